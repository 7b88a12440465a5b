"""The stand-in's ``cupy.random``: CuPy's Generator API (``Generator``, ``XORWOW``,
``default_rng``), not NumPy's.

Modelled on ``cupy/random/_generator_api.pyx`` and ``_bit_generator.pyx`` (CuPy 14): the bit
generator's state is device memory allocated on the device that was current when it was made,
and ``state()`` is a *method* returning its address, which raises RuntimeError on any other
device; draws land on the current device. The methods and their dtype rules are CuPy's
(``random`` computes float32 for non-float64 dtypes, ``standard_normal`` takes float32 and
float64 only, ``integers`` takes Python ints); there is no ``normal``, ``permutation``,
``shuffle`` or ``choice`` on Generator. The numbers come from NumPy's PCG64 seeded the same
way (a SeedSequence), not from cuRAND: a seed gives the same stream on every run of the
stand-in, different from a real GPU's.
"""

from __future__ import annotations

import numpy

from cupy._core.core import _wrap
from cupy.cuda import runtime

__all__ = ["BitGenerator", "Generator", "XORWOW", "MRG32k3a", "Philox4x3210", "default_rng"]


class BitGenerator:
    def __init__(self, seed=None):
        import cupy

        if isinstance(seed, numpy.random.SeedSequence):
            self._seed_seq = seed
        else:
            if isinstance(seed, cupy.ndarray):
                seed = cupy.asnumpy(seed)
            self._seed_seq = numpy.random.SeedSequence(seed)
        self._current_device_id = runtime.getDevice()

    def _check_device(self) -> None:
        if runtime.getDevice() != self._current_device_id:
            raise RuntimeError("This Generator state is allocated in a different device")

    def random_raw(self, size=None, output=True):
        raise NotImplementedError("Not implemented in base BitGenerator")


class _cuRANDGenerator(BitGenerator):
    _type_bytes = 48

    def __init__(self, seed=None, *, size=-1):
        import cupy

        super().__init__(seed)
        self._seed = self._seed_seq.generate_state(1, numpy.uint32)[0]
        if size < 0:
            size = (
                8
                * 256
                * runtime.deviceGetAttribute(
                    runtime.cudaDevAttrMultiProcessorCount, self._current_device_id
                )
            )
        self._size = size
        self._state = cupy.zeros(self._type_bytes * size, dtype=numpy.int8)
        self._host = numpy.random.Generator(numpy.random.PCG64(self._seed_seq))
        self._store()

    # NOTE: as with cuRAND, the whole state lives in the device buffer ``_state``: the PCG64
    # state that stands in for it is read from there before a draw and written back after, so
    # copying ``_state`` out and back in restores the stream, as it does on a GPU.
    def _load(self) -> None:
        raw = self._state._a[:40].tobytes()
        self._host.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {
                "state": int.from_bytes(raw[:16], "little"),
                "inc": int.from_bytes(raw[16:32], "little"),
            },
            "has_uint32": int.from_bytes(raw[32:36], "little"),
            "uinteger": int.from_bytes(raw[36:40], "little"),
        }

    def _store(self) -> None:
        st = self._host.bit_generator.state
        raw = (
            st["state"]["state"].to_bytes(16, "little")
            + st["state"]["inc"].to_bytes(16, "little")
            + int(st["has_uint32"]).to_bytes(4, "little")
            + int(st["uinteger"]).to_bytes(4, "little")
        )
        self._state._a[:40] = numpy.frombuffer(raw, dtype=numpy.int8)

    def state(self) -> int:
        self._check_device()
        return self._state.data.ptr

    def _state_size(self) -> int:
        return self._size

    def random_raw(self, size=None, output=True):
        self.state()
        self._load()
        y = self._host.integers(0, 2**32, size=size if size is not None else (), dtype=numpy.int64)
        self._store()
        return _wrap(y.astype(numpy.int32), runtime.getDevice(), True) if output else None


class XORWOW(_cuRANDGenerator):
    """cuRAND's XORWOW (the stand-in draws from NumPy's PCG64 instead)."""


class MRG32k3a(_cuRANDGenerator):
    """cuRAND's MRG32k3a (the stand-in draws from NumPy's PCG64 instead)."""


class Philox4x3210(_cuRANDGenerator):
    """cuRAND's Philox4x32-10 (the stand-in draws from NumPy's PCG64 instead)."""

    _type_bytes = 64


def _size(size):
    return () if size is None else size


class Generator:
    """``cupy.random.Generator``: the methods CuPy has, with CuPy's signatures."""

    def __init__(self, bit_generator):
        self.bit_generator = bit_generator
        self._binomial_state = None

    def _draw(self, fn, size, dtype):
        bit = self.bit_generator
        bit.state()  # _launch_dist checks the device
        bit._load()
        with numpy.errstate(all="ignore"):
            y = numpy.asarray(fn(bit._host, _size(size)))
        bit._store()
        return _wrap(y.astype(dtype, copy=False), runtime.getDevice(), True)

    def _check_output_array(self, dtype, size, out):
        dtype = numpy.dtype(dtype)
        if out.dtype.char != dtype.char:
            raise TypeError(
                "Supplied output array has the wrong type. "
                f"Expected {dtype.name}, got {out.dtype.name}"
            )
        if not out.flags.c_contiguous and not out.flags.f_contiguous:
            raise ValueError("Supplied output array is not contiguous, writable or aligned.")
        if size is not None:
            tup = tuple(size) if isinstance(size, (tuple, list)) else (size,)
            if tup != out.shape:
                raise ValueError("size must match out.shape when used together")

    def _into(self, y, out):
        if out is None:
            return y
        out[...] = y
        return out

    def random(self, size=None, dtype=numpy.float64, out=None):
        if out is not None:
            self._check_output_array(dtype, size, out)
            size = out.shape
        dtype_ = numpy.dtype(dtype)
        inner = numpy.float64 if dtype_.char == "d" else numpy.float32
        y = self._draw(lambda g, s: g.random(s, dtype=inner), size, inner)
        return self._into(y, out).astype(dtype, copy=False)

    def uniform(self, low=0.0, high=1.0, size=None, dtype=numpy.float64):
        import cupy

        low, high = cupy.asarray(low), cupy.asarray(high)
        if size is None:
            size = numpy.broadcast_shapes(low.shape, high.shape)
        inner = numpy.float64 if numpy.dtype(dtype).char == "d" else numpy.float32
        y = self._draw(lambda g, s: g.random(s, dtype=inner), size, inner)
        return (low + (high - low) * y).astype(dtype, copy=False)

    def integers(self, low, high=None, size=None, dtype=numpy.int64, endpoint=False):
        import cupy

        lo, hi1 = (0, int(low)) if high is None else (int(low), int(high))
        if not endpoint:
            hi1 -= 1
        if lo > hi1:
            raise ValueError("low >= high")
        info = numpy.iinfo(dtype)
        if lo < info.min:
            raise ValueError(f"low is out of bounds for {numpy.dtype(dtype).name}")
        if hi1 > info.max:
            raise ValueError(f"high is out of bounds for {numpy.dtype(dtype).name}")
        diff = hi1 - lo
        pdtype = numpy.uint32 if diff <= 0xFFFFFFFF else numpy.uint64
        y = self._draw(
            lambda g, s: g.integers(0, diff, s, dtype=numpy.uint64, endpoint=True), size, pdtype
        )
        return cupy.add(lo, y, dtype=dtype)

    def standard_normal(self, size=None, dtype=numpy.float64, out=None):
        if out is not None:
            self._check_output_array(dtype, size, out)
            size = out.shape
        dtype_ = numpy.dtype(dtype) if out is None else out.dtype
        if dtype_.char not in ("f", "d"):
            raise TypeError(f"Unsupported dtype {dtype_.name} for standard_normal")
        y = self._draw(lambda g, s: g.standard_normal(s, dtype=dtype_), size, dtype_)
        return self._into(y, out)

    def standard_exponential(self, size=None, dtype=numpy.float64, method="inv", out=None):
        if out is not None:
            self._check_output_array(dtype, size, out)
            size = out.shape
        dtype_ = numpy.dtype(dtype)
        if dtype_.char not in ("f", "d"):
            raise TypeError(f"Unsupported dtype {dtype_.name} for standard_exponential")
        y = self._draw(lambda g, s: g.standard_exponential(s, dtype=dtype_), size, dtype_)
        return self._into(y, out)

    def exponential(self, scale=1.0, size=None):
        return self._draw(lambda g, s: g.exponential(_host(scale), s), size, numpy.float64)

    def poisson(self, lam=1.0, size=None):
        return self._draw(lambda g, s: g.poisson(_host(lam), s), size, numpy.int64)

    def binomial(self, n, p, size=None):
        return self._draw(lambda g, s: g.binomial(_host(n), _host(p), s), size, numpy.int64)

    def gamma(self, shape, scale=1.0, size=None):
        return self._draw(lambda g, s: g.gamma(_host(shape), _host(scale), s), size, numpy.float64)

    def standard_gamma(self, shape, size=None, dtype=numpy.float64, out=None):
        y = self._draw(lambda g, s: g.standard_gamma(_host(shape), s), size, dtype)
        return self._into(y, out)

    def beta(self, a, b, size=None, dtype=numpy.float64):
        return self._draw(lambda g, s: g.beta(_host(a), _host(b), s), size, dtype)

    def __getattr__(self, name: str):
        raise AttributeError(
            f"'Generator' object has no attribute {name!r}"
            + (
                " (CuPy's Generator has no such method)"
                if name in ("normal", "permutation", "shuffle", "choice", "bytes", "permuted")
                else " (not modelled by the CuPy stand-in in tests/_cupy_standin)"
            )
        )


def _host(x):
    import cupy

    return cupy.asnumpy(x) if isinstance(x, cupy.ndarray) else x


def default_rng(seed=None) -> Generator:
    if isinstance(seed, BitGenerator):
        return Generator(seed)
    if isinstance(seed, Generator):
        return seed
    return Generator(XORWOW(seed))


def __getattr__(name: str):
    raise AttributeError(
        f"module 'cupy.random' has no attribute {name!r} (the CuPy stand-in models only the "
        "Generator API; CuPy's legacy RandomState functions are not modelled)"
    )
