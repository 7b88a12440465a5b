"""PyTorch's legacy tensor types: ``FloatTensor``, ``LongTensor``, ... and their ``cuda.``
forms, as constructors and as ``isinstance`` checks; and ``Tensor.type()``'s type strings
(``"torch.FloatTensor"``)."""

from __future__ import annotations

from . import array_backend
from .dtypes import as_dtype, torch_dtype, torch_name

__all__ = ["type_string", "convert", "CPU_TYPES", "CUDA_TYPES"]

_NAMES = ("Float", "Double", "Half", "Byte", "Char", "Short", "Int", "Long", "Bool")
_DTYPES = {
    "Float": "float32", "Double": "float64", "Half": "float16", "Byte": "uint8", "Char": "int8",
    "Short": "int16", "Int": "int32", "Long": "int64", "Bool": "bool",
}  # fmt: skip


class _LegacyTensorType(type):
    """The metaclass of ``FloatTensor`` & co.: calling one makes a Tensor of its dtype and
    device (PyTorch's legacy constructor), and ``isinstance(t, FloatTensor)`` is true for a
    float32 tensor on the CPU, as in PyTorch (the class is not a Tensor subclass)."""

    def __call__(cls, *args, device=None):
        from .creation import class_array
        from .tensor import Tensor

        if len(args) == 1 and isinstance(args[0], Tensor) and args[0].dtype != cls.dtype:
            raise TypeError(
                f"{cls.__name__}(tensor): expected a tensor of dtype {cls.dtype}, got "
                f"{args[0].dtype}; convert it with .type({cls.__module__}.{cls.__name__})"
            )
        dev = "cuda" if cls.is_cuda else "cpu"
        if device is not None and array_backend.device(device).type != dev:
            raise RuntimeError(
                f"legacy constructor expects device type: {dev} but device type: "
                f"{array_backend.device(device).type} was passed"
            )
        return Tensor._make(class_array(args, cls.dtype, device or dev, False))

    def __instancecheck__(cls, obj) -> bool:
        from .tensor import Tensor

        return (
            isinstance(obj, Tensor)
            and obj.array.dtype == cls.dtype
            and (obj.device.type == "cuda") == cls.is_cuda
        )

    def __repr__(cls) -> str:
        return f"<class '{cls.__module__}.{cls.__name__}'>"


def _make_type(name: str, cuda: bool) -> type:
    dtype = torch_dtype(array_backend.numpy.dtype(_DTYPES[name]))
    where = "a CUDA GPU" if cuda else "the CPU"
    doc = (
        f"Legacy constructor of {dtype} tensors on {where} (``torch.{'cuda.' if cuda else ''}"
        f"{name}Tensor``): ``{name}Tensor(2, 3)`` is uninitialized of that shape, "
        f"``{name}Tensor([1, 2])`` converts the data. Prefer ``tensor(data, dtype={dtype})``."
    )
    namespace = {
        "__doc__": doc,
        "__module__": "autograd_engine.cuda" if cuda else "autograd_engine",
        "dtype": dtype,
        "is_cuda": cuda,
        "_legacy_dtype": dtype,
    }
    return _LegacyTensorType(f"{name}Tensor", (), namespace)


CPU_TYPES = {f"{n}Tensor": _make_type(n, False) for n in _NAMES}
CUDA_TYPES = {f"{n}Tensor": _make_type(n, True) for n in _NAMES}

FloatTensor, DoubleTensor, HalfTensor, ByteTensor, CharTensor, ShortTensor, IntTensor = (
    CPU_TYPES[f"{n}Tensor"] for n in _NAMES[:7]
)
LongTensor, BoolTensor = CPU_TYPES["LongTensor"], CPU_TYPES["BoolTensor"]
(cuda_FloatTensor, cuda_DoubleTensor, cuda_HalfTensor, cuda_ByteTensor, cuda_CharTensor,
 cuda_ShortTensor, cuda_IntTensor, cuda_LongTensor, cuda_BoolTensor) = (
    CUDA_TYPES[f"{n}Tensor"] for n in _NAMES
)  # fmt: skip


def type_string(t) -> str:
    """``t.type()``: PyTorch's type string, ``"torch.FloatTensor"`` or
    ``"torch.cuda.FloatTensor"`` (PyTorch's spelling, so that code comparing it with a
    string literal keeps working)."""
    where = "torch.cuda." if t.device.type == "cuda" else "torch."
    return f"{where}{torch_name(t.array.dtype)}Tensor"


def convert(t, dtype, non_blocking: bool = False):
    """``t.type(dtype)``: ``t`` converted to a dtype, a legacy type (``ag.FloatTensor``) or a
    type string (``"torch.cuda.LongTensor"``); ``t`` itself when it already is of that type."""
    if isinstance(dtype, str) and dtype.endswith("Tensor"):
        name = dtype
        for prefix in ("torch.", "autograd_engine."):
            name = name[len(prefix) :] if name.startswith(prefix) else name
        cuda = name.startswith("cuda.")
        table = CUDA_TYPES if cuda else CPU_TYPES
        key = name[len("cuda.") :] if cuda else name
        if key not in table:
            raise ValueError(f"invalid type: {dtype!r}")
        dtype = table[key]
    if isinstance(dtype, _LegacyTensorType):
        on_cuda = t.device.type == "cuda"
        device = t.device if on_cuda == dtype.is_cuda else ("cuda" if dtype.is_cuda else "cpu")
        return t.to(device, dtype.dtype)
    if isinstance(dtype, str):
        raise ValueError(f"invalid type: {dtype!r}")
    return t.to(as_dtype(dtype))
