"""Lazy modules (``torch.nn.modules.lazy``): layers whose input size is read from the first
input. ``LazyLinear``, ``LazyConv1d/2d``, ``LazyConvTranspose1d/2d``, ``LazyBatchNorm1d/2d`` and
``LazyInstanceNorm1d/2d/3d`` hold uninitialized parameters until their first call (or a
``load_state_dict``), then initialize them as the ordinary layer would and become that layer."""

from __future__ import annotations

import autograd_engine as ag

from ..parameter import UninitializedBuffer, UninitializedParameter, UninitializedTensorMixin
from .conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .linear import Linear
from .normalization import BatchNorm1d, BatchNorm2d

__all__ = [
    "LazyModuleMixin",
    "LazyLinear",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
]


def is_lazy(value) -> bool:
    return isinstance(value, UninitializedTensorMixin)


class LazyModuleMixin:
    """Makes a module lazy (``torch.nn.modules.lazy.LazyModuleMixin``): a forward pre-hook
    calls :meth:`initialize_parameters` with the first input, then the module becomes
    ``cls_to_become`` (``LazyLinear`` becomes ``Linear``); ``load_state_dict`` materializes
    uninitialized parameters with the shapes it is given."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._initialize_hook = self.register_forward_pre_hook(
            self._infer_parameters, with_kwargs=True
        )

    def initialize_parameters(self, *args, **kwargs) -> None:
        """Give every uninitialized parameter its shape from the first input."""
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {self.__class__.__name__}"
        )

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer is still waiting for its shape."""
        return any(is_lazy(v) for v in (*self._parameters.values(), *self._buffers.values()))

    def _infer_parameters(self, module, args, kwargs):
        self.initialize_parameters(*args, **kwargs)
        if self.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        self._initialize_hook.remove()
        del self._initialize_hook
        if self.cls_to_become is not None:
            self.__class__ = self.cls_to_become

    def _prepare_state(self, state_dict, prefix: str) -> None:
        loaded = False
        for name, value in (*self._parameters.items(), *self._buffers.items()):
            key = prefix + name
            if is_lazy(value) and key in state_dict and not is_lazy(state_dict[key]):
                array = state_dict[key]
                value.materialize(tuple(getattr(array, "shape", ag.tensor(array).shape)))
                loaded = True
        if loaded:
            self._sizes_from_parameters()
        super()._prepare_state(state_dict, prefix)

    def _sizes_from_parameters(self) -> None:
        """Set the inferred size (``in_features``...) from parameters loaded by shape."""


def _uninitialized(device, dtype) -> dict:
    return {"device": device, "dtype": dtype if dtype is not None else ag.float32}


class LazyLinear(LazyModuleMixin, Linear):
    """``Linear`` whose ``in_features`` is the last dim of the first input
    (``torch.nn.LazyLinear``).

    Example::

        >>> fc = nn.LazyLinear(10)
        >>> fc(ag.randn(4, 32)).shape     # fc is now Linear(32, 10)
        (4, 10)
    """

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, 0, False)
        factory = _uninitialized(device, dtype)
        self.weight = UninitializedParameter(**factory)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(**factory)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def _sizes_from_parameters(self) -> None:
        if not is_lazy(self.weight):
            self.in_features = self.weight.shape[1]

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if self.has_uninitialized_params():
            with ag.no_grad():
                self.in_features = input.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()


class _LazyConvMixin(LazyModuleMixin):
    """Shared by the lazy convolutions: ``in_channels`` from dim 1 of the first input (dim 0
    when unbatched), then the weight and bias as the ordinary layer makes them."""

    def _lazy_setup(self, out_channels: int, bias: bool, device, dtype) -> None:
        factory = _uninitialized(device, dtype)
        self.weight = UninitializedParameter(**factory)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(**factory)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _sizes_from_parameters(self) -> None:
        if not is_lazy(self.weight):
            shape = self.weight.shape
            self.in_channels = shape[0] if self.transposed else shape[1] * self.groups

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if not self.has_uninitialized_params():
            return
        batched = input.ndim == self._dims + 2
        self.in_channels = input.shape[1 if batched else 0]
        if self.in_channels % self.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups)
        else:
            shape = (self.out_channels, self.in_channels // self.groups)
        with ag.no_grad():
            self.weight.materialize(shape + tuple(self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()


class LazyConv1d(_LazyConvMixin, Conv1d):
    """``Conv1d`` whose ``in_channels`` is read from the first input (``torch.nn.LazyConv1d``);
    the other arguments as ``Conv1d`` without ``in_channels``."""

    cls_to_become = Conv1d

    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode)
        self._lazy_setup(out_channels, bias, device, dtype)


class LazyConv2d(_LazyConvMixin, Conv2d):
    """``Conv2d`` whose ``in_channels`` is read from the first input (``torch.nn.LazyConv2d``).

    Example::

        >>> conv = nn.LazyConv2d(16, 3, padding=1)
        >>> conv(ag.randn(2, 3, 8, 8)).shape    # conv is now Conv2d(3, 16, ...)
        (2, 16, 8, 8)
    """

    cls_to_become = Conv2d

    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False, padding_mode)
        self._lazy_setup(out_channels, bias, device, dtype)


class LazyConvTranspose1d(_LazyConvMixin, ConvTranspose1d):
    """``ConvTranspose1d`` with ``in_channels`` from the first input
    (``torch.nn.LazyConvTranspose1d``)."""

    cls_to_become = ConvTranspose1d

    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation,
            padding_mode,
        )  # fmt: skip
        self._lazy_setup(out_channels, bias, device, dtype)


class LazyConvTranspose2d(_LazyConvMixin, ConvTranspose2d):
    """``ConvTranspose2d`` with ``in_channels`` from the first input
    (``torch.nn.LazyConvTranspose2d``)."""

    cls_to_become = ConvTranspose2d

    def __init__(
        self,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        output_padding=0,
        groups: int = 1,
        bias: bool = True,
        dilation=1,
        padding_mode: str = "zeros",
        device=None,
        dtype=None,
    ) -> None:
        super().__init__(
            0, 0, kernel_size, stride, padding, output_padding, groups, False, dilation,
            padding_mode,
        )  # fmt: skip
        self._lazy_setup(out_channels, bias, device, dtype)


class _LazyNormMixin(LazyModuleMixin):
    """Shared by the lazy batch and instance norms: ``num_features`` from dim 1 of the first
    input (for an unbatched instance norm input too, as PyTorch)."""

    def _lazy_setup(self, affine, track_running_stats, device, dtype, bias=True) -> None:
        factory = _uninitialized(device, dtype)
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = UninitializedParameter(**factory)
            if bias:
                self.bias = UninitializedParameter(**factory)
        if track_running_stats:
            # NOTE: stored directly: register_buffer would make them plain tensors
            self._buffers["running_mean"] = UninitializedBuffer(**factory)
            self._buffers["running_var"] = UninitializedBuffer(**factory)
            self._buffers["num_batches_tracked"] = ag.tensor(0, dtype=ag.int64, device=device)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def _sizes_from_parameters(self) -> None:
        for value in (self.weight, self.running_mean):
            if value is not None and not is_lazy(value):
                self.num_features = value.shape[0]

    def initialize_parameters(self, input, *args, **kwargs) -> None:
        if not self.has_uninitialized_params():
            return
        self.num_features = input.shape[1] if input.ndim > 1 else input.shape[0]
        with ag.no_grad():
            for name in ("weight", "bias"):
                if is_lazy(self._parameters.get(name)):
                    self._parameters[name].materialize((self.num_features,))
            for name in ("running_mean", "running_var"):
                if is_lazy(self._buffers.get(name)):
                    self._buffers[name].materialize((self.num_features,))
            self.reset_parameters()


class LazyBatchNorm1d(_LazyNormMixin, BatchNorm1d):
    """``BatchNorm1d`` whose ``num_features`` is read from the first input
    (``torch.nn.LazyBatchNorm1d``); the other arguments as ``BatchNorm1d``."""

    cls_to_become = BatchNorm1d

    def __init__(
        self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None
    ) -> None:
        super().__init__(0, eps, momentum, False, False)
        self._lazy_setup(affine, track_running_stats, device, dtype)


class LazyBatchNorm2d(_LazyNormMixin, BatchNorm2d):
    """``BatchNorm2d`` whose ``num_features`` is read from the first input
    (``torch.nn.LazyBatchNorm2d``).

    Example::

        >>> bn = nn.LazyBatchNorm2d()
        >>> bn(ag.randn(4, 6, 5, 5)).shape     # bn is now BatchNorm2d(6)
        (4, 6, 5, 5)
    """

    cls_to_become = BatchNorm2d

    def __init__(
        self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True, device=None, dtype=None
    ) -> None:
        super().__init__(0, eps, momentum, False, False)
        self._lazy_setup(affine, track_running_stats, device, dtype)


class _LazyInstanceNorm(_LazyNormMixin):
    """PyTorch's lazy instance norms take the lazy batch norms' defaults (``affine=True``,
    ``track_running_stats=True``), unlike the instance norms they become."""

    def __init__(
        self,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        device=None,
        dtype=None,
        *,
        bias=True,
    ) -> None:
        super().__init__(0, eps, momentum, False, False)
        self._lazy_setup(affine, track_running_stats, device, dtype, bias)


class LazyInstanceNorm1d(_LazyInstanceNorm, InstanceNorm1d):
    """``InstanceNorm1d`` whose ``num_features`` is ``input.size(1)`` of the first input
    (``torch.nn.LazyInstanceNorm1d``); defaults ``affine=True``, ``track_running_stats=True``
    as PyTorch's."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyInstanceNorm, InstanceNorm2d):
    """``InstanceNorm2d`` whose ``num_features`` is ``input.size(1)`` of the first input
    (``torch.nn.LazyInstanceNorm2d``).

    Example::

        >>> m = nn.LazyInstanceNorm2d()
        >>> m(ag.randn(4, 6, 5, 5)).shape     # m is now InstanceNorm2d(6, affine=True, ...)
        (4, 6, 5, 5)
    """

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyInstanceNorm, InstanceNorm3d):
    """``InstanceNorm3d`` whose ``num_features`` is ``input.size(1)`` of the first input
    (``torch.nn.LazyInstanceNorm3d``)."""

    cls_to_become = InstanceNorm3d
