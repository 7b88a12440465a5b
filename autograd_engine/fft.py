"""``autograd_engine.fft`` (``torch.fft``): the sample-frequency helpers (``fftfreq``,
``rfftfreq``, ``fftshift``, ``ifftshift``) work; the transforms themselves produce complex
tensors, which this engine does not have, so they raise saying so."""

from __future__ import annotations

from .creation import _dev, _new
from .dtypes import as_dtype, default_float
from .tensor import Tensor

__all__ = [
    "fftfreq", "rfftfreq", "fftshift", "ifftshift", "fft", "ifft", "rfft", "irfft", "hfft",
    "ihfft", "fft2", "ifft2", "rfft2", "irfft2", "fftn", "ifftn", "rfftn", "irfftn",
]  # fmt: skip


def fftfreq(n: int, d: float = 1.0, *, dtype=None, device=None, requires_grad=False):
    """The sample frequencies of an n-point FFT, sample spacing ``d`` (``torch.fft.fftfreq``)."""
    xp = _dev(device).xp
    return _new(xp.fft.fftfreq(n, d).astype(as_dtype(dtype) or default_float()), requires_grad)


def rfftfreq(n: int, d: float = 1.0, *, dtype=None, device=None, requires_grad=False):
    """The non-negative frequencies of an n-point real FFT (``torch.fft.rfftfreq``)."""
    xp = _dev(device).xp
    return _new(xp.fft.rfftfreq(n, d).astype(as_dtype(dtype) or default_float()), requires_grad)


def fftshift(input: Tensor, dim=None) -> Tensor:
    """The zero frequency moved to the centre: a roll by half of each dimension
    (``torch.fft.fftshift``)."""
    dims = tuple(range(input.ndim)) if dim is None else ((dim,) if isinstance(dim, int) else dim)
    shifts = tuple(input.array.shape[d] // 2 for d in dims)
    return input.roll(shifts, dims)


def ifftshift(input: Tensor, dim=None) -> Tensor:
    """The inverse of :func:`fftshift` (``torch.fft.ifftshift``)."""
    dims = tuple(range(input.ndim)) if dim is None else ((dim,) if isinstance(dim, int) else dim)
    shifts = tuple(-(input.array.shape[d] // 2) for d in dims)
    return input.roll(shifts, dims)


def _complex_result(name: str):
    def fn(*args, **kwargs):
        raise RuntimeError(
            f"fft.{name} makes (or reads) complex tensors, which autograd_engine does not have "
            "(tensors hold real numbers). Use numpy.fft on t.numpy() outside autograd."
        )

    fn.__name__ = name
    fn.__doc__ = f"Raises: ``torch.fft.{name}`` works on complex tensors (see the module doc)."
    return fn


fft, ifft, rfft, irfft, hfft, ihfft = (
    _complex_result(n) for n in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft")
)
fft2, ifft2, rfft2, irfft2 = (_complex_result(n) for n in ("fft2", "ifft2", "rfft2", "irfft2"))
fftn, ifftn, rfftn, irfftn = (_complex_result(n) for n in ("fftn", "ifftn", "rfftn", "irfftn"))
