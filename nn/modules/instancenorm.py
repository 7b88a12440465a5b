"""Instance normalization layers (``torch.nn.modules.instancenorm``): ``InstanceNorm1d``,
``InstanceNorm2d`` and ``InstanceNorm3d``, each channel of each sample normalized by its own
statistics; they share their base with the batch norms."""

from __future__ import annotations

import warnings

from .. import functional as F
from .normalization import _NormBase

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


class _InstanceNorm(_NormBase):
    """Shared by the instance norm layers (``torch.nn.modules.instancenorm._InstanceNorm``):
    PyTorch's defaults (no affine map, no running statistics), unbatched input, and the
    ``num_features`` check (an error with ``affine``, otherwise only a warning, as
    ``num_features`` is then unused)."""

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = False,
        track_running_stats: bool = False,
        device=None,
        dtype=None,
        *,
        bias: bool = True,
    ) -> None:
        super().__init__(
            num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias
        )

    def _apply_instance_norm(self, input):
        return F.instance_norm(
            input,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training or not self.track_running_stats,
            self.momentum if self.momentum is not None else 0.0,
            self.eps,
        )

    def forward(self, input):
        self._check_input_dim(input)
        no_batch_dim = self._expected[0]
        feature_dim = input.ndim - no_batch_dim
        size = input.shape[feature_dim]
        if size != self.num_features:
            if self.affine:
                raise ValueError(
                    f"{self!r}: expected input's size at dim={feature_dim} to match "
                    f"num_features ({self.num_features}), but got: {size}. (input of shape "
                    f"{tuple(input.shape)})"
                )
            warnings.warn(
                f"input's size at dim={feature_dim} does not match num_features. You can "
                "silence this warning by not passing in num_features, which is not used "
                "because affine=False",
                stacklevel=2,
            )
        if input.ndim == no_batch_dim:
            return self._apply_instance_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_instance_norm(input)


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization over ``(N, C, L)`` or unbatched ``(C, L)`` input
    (``torch.nn.InstanceNorm1d``).

    Each channel of each sample is normalized by its own mean and biased variance over L:
    y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, in training and, by default, in
    evaluation too. With ``track_running_stats=True`` training also updates
    ``running = (1 - momentum) * running + momentum * batch`` (``batch``: the samples' means
    and unbiased variances averaged over the batch; ``num_batches_tracked`` stays 0 and
    ``momentum=None`` leaves the statistics as they are, as in PyTorch), and evaluation
    normalizes by the running statistics.

    Args:
        num_features: C. Only checked against the input when ``affine`` (otherwise a
            mismatch warns, as PyTorch).
        eps: added to the variance (default 1e-5).
        momentum: the running statistics' update rate (default 0.1).
        affine: learn per-channel ``weight`` (ones) and ``bias`` (zeros) (default ``False``).
        track_running_stats: keep the buffers ``running_mean``, ``running_var`` and
            ``num_batches_tracked`` and use them in evaluation (default ``False``).
        bias: learn the bias when ``affine`` (keyword-only, default ``True``).

    Example::

        >>> m = nn.InstanceNorm1d(100, affine=True)
        >>> m(ag.randn(20, 100, 40)).shape
        (20, 100, 40)
    """

    _expected = (2, 3)
    _layout = "(C, L) or (N, C, L)"


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization over ``(N, C, H, W)`` or unbatched ``(C, H, W)`` input, statistics
    per sample and channel over H and W (``torch.nn.InstanceNorm2d``); arguments as in
    :class:`InstanceNorm1d`.

    Example::

        >>> m = nn.InstanceNorm2d(3)
        >>> m(ag.randn(2, 3, 8, 8)).shape
        (2, 3, 8, 8)
    """

    _expected = (3, 4)
    _layout = "(C, H, W) or (N, C, H, W)"


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization over ``(N, C, D, H, W)`` or unbatched ``(C, D, H, W)`` input
    (``torch.nn.InstanceNorm3d``); arguments as in :class:`InstanceNorm1d`.

    Example::

        >>> m = nn.InstanceNorm3d(4, affine=True)
        >>> m(ag.randn(2, 4, 3, 5, 5)).shape
        (2, 4, 3, 5, 5)
    """

    _expected = (4, 5)
    _layout = "(C, D, H, W) or (N, C, D, H, W)"
