"""``nn.utils.parametrizations`` (``torch.nn.utils.parametrizations``): weight normalization
and spectral normalization as parametrizations (see :mod:`nn.utils.parametrize`), with
PyTorch's state_dict keys (``parametrizations.weight.original0``/``original1`` for weight norm;
``parametrizations.weight.original`` and ``parametrizations.weight.0._u``/``_v`` for spectral
norm)."""

from __future__ import annotations

import autograd_engine as ag
from autograd_engine.ops._util import const
from autograd_engine.tensor import Tensor

from ..modules.conv import ConvTranspose1d, ConvTranspose2d
from ..modules.module import Module
from . import parametrize

__all__ = ["weight_norm", "spectral_norm"]


def norm_except_dim(v: Tensor, pow: float = 2, dim: int = 0) -> Tensor:
    """The ``pow``-norm of ``v`` over every dim but ``dim``, kept as size-1 dims
    (``torch.norm_except_dim``); ``dim=-1`` (or ``None``) is the norm of the whole tensor."""
    if dim is None or dim == -1:
        return v.norm(pow)
    dim = dim % v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    if not others:
        return v.abs() if pow != 2 else (v * v).sqrt()
    return v.norm(pow, others, keepdim=True)


def _weight_norm(v: Tensor, g: Tensor, dim: int) -> Tensor:
    """v * (g / ||v||) with the norm over every dim but ``dim`` (``torch._weight_norm``)."""
    return v * (g / norm_except_dim(v, 2, dim))


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        weight_g = norm_except_dim(weight, 2, self.dim)
        return weight_g, weight


def weight_norm(module: Module, name: str = "weight", dim: int | None = 0) -> Module:
    """Weight normalization, w = g v / ||v|| (``torch.nn.utils.parametrizations.weight_norm``).

    The magnitude ``g`` is ``module.parametrizations[name].original0`` and the direction ``v``
    ``original1``; ``module.<name>`` is computed from them on each access.

    Args:
        module: the module to change (in place; also returned).
        name: the parameter (default ``"weight"``).
        dim: the dim kept in the norm (default 0: one norm per output); ``None`` for one norm
            of the whole tensor.

    Example::

        >>> m = weight_norm(nn.Linear(20, 40), name="weight")
        >>> m.parametrizations.weight.original0.shape     # g
        (40, 1)
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(
                "Dimension out of range (expected to be in range of "
                f"[-{ndim}, {ndim - 1}] but got {dim})"
            )
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight).array
            h, w = weight_mat.shape
            u = ag.empty(h, dtype=weight.dtype, device=weight.device).normal_(0, 1)
            v = ag.empty(w, dtype=weight.dtype, device=weight.device).normal_(0, 1)
            self.register_buffer("_u", Tensor._make(_normalize(u.array, eps)))
            self.register_buffer("_v", Tensor._make(_normalize(v.array, eps)))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.flatten(1)

    def _power_method(self, weight_mat, n_power_iterations: int) -> None:
        """Update ``_u`` and ``_v`` in place (arrays: no gradient), as PyTorch."""
        u, v = self._u.array, self._v.array
        for _ in range(n_power_iterations):
            u[...] = _normalize(weight_mat @ v, self.eps)
            v[...] = _normalize(weight_mat.conj().T @ u, self.eps)
        self._u._version += 1
        self._v._version += 1

    def forward(self, weight):
        if weight.ndim == 1:
            from .. import functional as F

            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat.array, self.n_power_iterations)
        u = const(self._u.array.copy())
        v = const(self._v.array.copy())
        sigma = (u * (weight_mat @ v)).sum()
        return weight / sigma

    def right_inverse(self, value):
        return value


def _normalize(a, eps: float):
    """``a / max(||a||, eps)`` on an array (``F.normalize`` of a vector)."""
    xp = ag.array_backend.get_array_module(a)
    return a / max(float(xp.sqrt((a * a).sum())), eps)


def _default_dim(module: Module) -> int:
    return 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d)) else 0


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Spectral normalization, w / sigma(w) with sigma estimated by power iteration
    (``torch.nn.utils.parametrizations.spectral_norm``).

    In training each access runs ``n_power_iterations`` steps of the power method on the
    buffers ``_u`` and ``_v`` (initialized randomly, then 15 steps); in eval they are used as
    they are.

    Args:
        module: the module to change (in place; also returned).
        name: the parameter (default ``"weight"``).
        n_power_iterations: power-method steps per access in training (default 1).
        eps: the norm's lower bound in the normalizations (default 1e-12).
        dim: the output dim (default 0, 1 for transposed convolutions).

    Example::

        >>> snm = spectral_norm(nn.Linear(20, 40))
        >>> snm.parametrizations.weight.original.shape
        (40, 20)
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = _default_dim(module)
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps)
    )
    return module
