"""``cuda``, ``accelerator``, ``jit`` and the lazily reached subpackages. Without CuPy the
answers and errors are those of PyTorch's CPU-only build (the oracle, when it is one); the CuPy
paths run against a small fake CuPy (two GPUs, a memory pool, streams and events) that records
what it was asked."""

from __future__ import annotations

import subprocess
import sys
import typing
from pathlib import Path

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine import accelerator, array_backend, cuda, jit

no_cupy = pytest.mark.skipif(array_backend.cupy is not None, reason="tests the no-CuPy answers")


def _cpu_torch():
    torch = pytest.importorskip("torch", reason="torch (the oracle) is not installed")
    if torch.backends.cuda.is_built():
        pytest.skip("the oracle is a CUDA build of PyTorch; these compare with a CPU-only build")
    return torch


# --- without a GPU: PyTorch's CPU-only answers ------------------------------------------------
@no_cupy
@pytest.mark.parametrize(
    "call",
    [
        "is_available()",
        "device_count()",
        "memory_allocated()",
        "max_memory_allocated()",
        "memory_reserved()",
        "max_memory_reserved()",
        "empty_cache()",
        "manual_seed(1)",
        "manual_seed_all(1)",
        "is_bf16_supported()",
        "set_device(-1)",
    ],
)
def test_cuda_queries_answer_like_a_cpu_only_torch(call):
    torch = _cpu_torch()  # noqa: F841  (read by eval)
    assert eval(f"cuda.{call}") == eval(f"torch.cuda.{call}")


@no_cupy
@pytest.mark.parametrize(
    "call",
    [
        "current_device()",
        "synchronize()",
        "get_device_name()",
        "get_device_name(0)",
        "get_device_properties(0)",
        "get_device_capability()",
        "mem_get_info()",
    ],
)
def test_cuda_calls_that_need_a_gpu_raise_like_a_cpu_only_torch(call):
    torch = _cpu_torch()  # noqa: F841  (read by eval)
    with pytest.raises(AssertionError):
        eval(f"torch.cuda.{call}")
    with pytest.raises(AssertionError, match="CuPy is not installed"):
        eval(f"cuda.{call}")


@no_cupy
def test_cuda_objects_without_a_gpu_raise_like_torch():
    torch = _cpu_torch()
    for lib in (cuda, torch.cuda):
        with pytest.raises(RuntimeError):
            lib.Stream()
        with pytest.raises(RuntimeError):
            lib.Event()
        with pytest.raises(RuntimeError):
            with lib.device(0):
                pass
        with lib.device(-1):  # a negative number: nothing to do
            pass
        with lib.stream(None):
            pass
        with pytest.raises(ValueError, match="Expected a cuda device, but got: cpu"):
            lib.set_device("cpu")
    with pytest.raises(AssertionError):
        cuda.reset_peak_memory_stats()


@no_cupy
def test_accelerator_without_a_gpu_answers_like_torch():
    torch = _cpu_torch()
    for lib in (accelerator, torch.accelerator):
        assert lib.is_available() is False
        assert lib.current_accelerator() is None
        assert lib.current_accelerator(check_available=True) is None
        assert lib.device_count() == 0
        for call in (
            lib.current_device_index,
            lib.synchronize,
            lib.empty_cache,
            lib.memory_allocated,
            lib.max_memory_allocated,
            lib.reset_peak_memory_stats,
            lambda lib=lib: lib.set_device_index(0),
        ):
            with pytest.raises(RuntimeError, match="Cannot access accelerator device when none"):
                call()
        with lib.device_index(None):
            pass
        with pytest.raises(RuntimeError, match="Cannot access accelerator device"):
            with lib.device_index(0):
                pass
        with pytest.warns(FutureWarning, match="current_device_index"):
            with pytest.raises(RuntimeError):
                lib.current_device_idx()


def test_cuda_manual_seed_leaves_the_cpu_generator_alone():
    ag.manual_seed(5)
    a = ag.rand(3).numpy()
    ag.manual_seed(5)
    ag.cuda.manual_seed(123)
    ag.cuda.manual_seed_all(123)
    np.testing.assert_array_equal(ag.rand(3).numpy(), a)


# --- with CuPy: a fake CuPy with two GPUs -------------------------------------------------------
class _Memory:
    def __init__(self, size, device_id):
        self.size, self.device_id = size, device_id


class _Runtime:
    def __init__(self):
        self.current = 0
        self.props = {
            i: {
                "name": f"Fake GPU {i}".encode(),
                "major": 8 + i,
                "minor": 0,
                "totalGlobalMem": (80 + i) * 2**30,
                "multiProcessorCount": 108,
                "l2CacheSize": 40 * 2**20,
                "integrated": 0,
                "isMultiGpuBoard": 0,
            }
            for i in range(2)
        }

    def getDeviceCount(self):
        return 2

    def getDevice(self):
        return self.current

    def setDevice(self, i):
        assert 0 <= i < 2
        self.current = i

    def getDeviceProperties(self, i):
        return self.props[i]

    def memGetInfo(self):
        return (70 * 2**30, 80 * 2**30)


class _Pool:
    def __init__(self, runtime):
        self.runtime = runtime
        self.used = {0: 0, 1: 0}
        self.total = {0: 0, 1: 0}
        self.freed = 0

    def used_bytes(self):
        return self.used[self.runtime.current]

    def total_bytes(self):
        return self.total[self.runtime.current]

    def free_all_blocks(self):
        self.freed += 1
        self.total[self.runtime.current] = self.used[self.runtime.current]

    def malloc(self, size):
        d = self.runtime.current
        self.used[d] += size
        self.total[d] = max(self.total[d], self.used[d])
        return _Memory(size, d)

    def free(self, mem):
        self.used[mem.device_id] -= mem.size


class _Stream:
    null = None
    made = 0

    def __init__(self, non_blocking=False, priority=0):
        _Stream.made += 1
        self.ptr = 1000 + _Stream.made
        self.done = True
        self.waited = []
        self.synced = 0

    def synchronize(self):
        self.synced += 1

    def wait_event(self, event):
        self.waited.append(event)

    def __enter__(self):
        _FakeCuda.current_stream = self
        return self

    def __exit__(self, *exc):
        _FakeCuda.current_stream = _Stream.null


class _Event:
    def __init__(self, block=False, disable_timing=True, interprocess=False):
        self.timing = not disable_timing
        self.recorded_on = None
        self.done = False

    def record(self, stream=None):
        self.recorded_on = stream or _FakeCuda.current_stream
        self.time = _FakeCuda.clock
        _FakeCuda.clock += 2.5

    def synchronize(self):
        self.done = True


class _Device:
    def __init__(self, i=None):
        self.id = _FakeCuda.runtime.current if i is None else i
        self.synced = 0

    def __enter__(self):
        self.prev = _FakeCuda.runtime.current
        _FakeCuda.runtime.current = self.id
        return self

    def __exit__(self, *exc):
        _FakeCuda.runtime.current = self.prev

    def synchronize(self):
        _FakeCuda.device_syncs.append(self.id)


class _FakeCuda:
    runtime = None
    clock = 0.0
    device_syncs: list = []
    current_stream = None
    allocator = None
    Device = _Device
    Stream = _Stream
    Event = _Event

    @staticmethod
    def get_allocator():
        return _FakeCuda.allocator

    @staticmethod
    def set_allocator(fn):
        _FakeCuda.allocator = fn

    @staticmethod
    def get_current_stream():
        return _FakeCuda.current_stream

    @staticmethod
    def get_elapsed_time(start, end):
        assert start.timing and end.timing
        return end.time - start.time


class _FakeRandom:
    Generator = np.random.Generator

    @staticmethod
    def XORWOW(seed):
        return np.random.PCG64(seed)


class _FakeCupy:
    def __init__(self):
        _FakeCuda.runtime = _Runtime()
        _FakeCuda.device_syncs = []
        _Stream.null = _Stream()
        _FakeCuda.current_stream = _Stream.null
        self.pool = _Pool(_FakeCuda.runtime)
        self.pinned = _Pool(_FakeCuda.runtime)
        _FakeCuda.allocator = self.pool.malloc
        self.cuda = _FakeCuda
        self.random = _FakeRandom
        self.ndarray = type("ndarray", (), {})

    def get_default_memory_pool(self):
        return self.pool

    def get_default_pinned_memory_pool(self):
        return self.pinned


@pytest.fixture
def fake(monkeypatch):
    fake = _FakeCupy()
    monkeypatch.setattr(array_backend, "cupy", fake)
    monkeypatch.setattr(cuda, "_peaks", cuda._PeakTracker())
    monkeypatch.setattr(array_backend._generators, "by_device", {})
    return fake


def test_device_queries_through_cupy(fake):
    assert cuda.is_available() and cuda.device_count() == 2
    assert cuda.current_device() == 0
    cuda.set_device(1)
    assert cuda.current_device() == 1 and accelerator.current_device_index() == 1
    cuda.set_device("cuda:0")
    with cuda.device(1):
        assert cuda.current_device() == 1
        assert cuda.get_device_name() == "Fake GPU 1"
    assert cuda.current_device() == 0
    assert cuda.get_device_name(ag.device("cuda:1")) == "Fake GPU 1"
    assert cuda.get_device_capability(1) == (9, 0)
    props = cuda.get_device_properties(0)
    assert (props.name, props.major, props.total_memory) == ("Fake GPU 0", 8, 80 * 2**30)
    assert "total_memory=81920MB" in repr(props)
    assert cuda.mem_get_info() == (70 * 2**30, 80 * 2**30)
    cuda.synchronize(1)
    assert fake.cuda.device_syncs == [1]
    assert accelerator.is_available() and accelerator.device_count() == 2
    assert accelerator.current_accelerator().type == "cuda"
    with accelerator.device_index(1):
        assert accelerator.current_device_index() == 1
    assert accelerator.current_device_index() == 0


def test_memory_statistics_through_cupys_pool(fake):
    first = fake.cuda.get_allocator()(1000)
    assert cuda.memory_allocated() == 1000 and cuda.memory_reserved() == 1000
    cuda.reset_peak_memory_stats()  # watching starts here
    alloc = fake.cuda.get_allocator()
    a = alloc(4000)
    b = alloc(2000)
    assert cuda.memory_allocated() == 7000
    fake.pool.free(a)
    fake.pool.free(b)
    assert cuda.memory_allocated() == 1000
    assert cuda.max_memory_allocated() == 7000 and accelerator.max_memory_allocated() == 7000
    cuda.reset_peak_memory_stats()
    assert cuda.max_memory_allocated() == 1000
    with cuda.device(1):
        alloc(500)
    assert cuda.max_memory_allocated(1) == 500 and cuda.max_memory_allocated(0) == 1000
    assert cuda.memory_reserved() == 7000
    cuda.empty_cache()
    assert fake.pool.freed == 1 and fake.pinned.freed == 1 and cuda.memory_reserved() == 1000
    with pytest.warns(FutureWarning, match="reset_peak_memory_stats"):
        cuda.reset_max_memory_allocated()
    fake.pool.free(first)


def test_manual_seed_reseeds_only_the_gpu_generators(fake):
    ag.manual_seed(0)
    cpu_state = array_backend.generator_for(array_backend.CPU).bit_generator.state
    cuda.manual_seed(7)
    g0 = array_backend.generator_for(ag.device("cuda:0")).random(3)
    assert ag.device("cuda:1") not in array_backend._generators.by_device
    cuda.manual_seed_all(7)
    g1 = array_backend.generator_for(ag.device("cuda:1")).random(3)
    np.testing.assert_array_equal(g0, g1)  # the same seed on both GPUs
    assert array_backend.generator_for(array_backend.CPU).bit_generator.state == cpu_state


def test_streams_and_events_wrap_cupys(fake):
    s = cuda.Stream(priority=-1)
    assert cuda.current_stream() != s
    with cuda.stream(s):
        assert cuda.current_stream() == s
        start, end = cuda.Event(enable_timing=True), cuda.Event(enable_timing=True)
        start.record()
        end.record()
    assert start.cupy_event.recorded_on is s.cupy_stream
    assert start.elapsed_time(end) == 2.5
    other = cuda.Stream()
    other.wait_stream(s)
    assert len(other.cupy_stream.waited) == 1
    end.synchronize()
    assert end.query() and s.query()
    s.synchronize()
    assert s.cupy_stream.synced == 1
    assert cuda.default_stream().cupy_stream is fake.cuda.Stream.null


def test_is_bf16_supported_needs_the_dtype_and_an_ampere_gpu(fake):
    expected = getattr(ag.dtypes, "bfloat16", None) is not None
    assert cuda.is_bf16_supported() is expected


# --- jit -----------------------------------------------------------------------------------------
def test_jit_decorators_leave_functions_as_they_are_like_torch_eager():
    torch = pytest.importorskip("torch", reason="torch (the oracle) is not installed")

    def f(x):
        return x * 2

    for lib in (jit, torch.jit):
        assert lib.ignore(f)(3) == 6 and lib.unused(f)(3) == 6 and lib.export(f)(3) == 6
        assert lib.script_if_tracing(f)(3) == 6
        assert lib.annotate(list[int], [1]) == [1]
        assert lib.is_scripting() is False and lib.is_tracing() is False
        assert lib.Final is typing.Final
        with pytest.warns(FutureWarning, match="ignore\\(True\\) has been deprecated"):
            assert lib.ignore(drop=True)(f)(3) == 6
        assert lib.ignore(drop=False)(f)(3) == 6
    assert jit.ignore(f) is f and jit.unused(f) is f and jit.export(f) is f
    assert jit.annotations.List is typing.List and ag.jit.annotations.Dict is typing.Dict  # noqa: UP006

    class Block:
        scale: jit.Final[int]

        @jit.unused
        def debug(self):
            return "ran"

    assert Block().debug() == "ran"
    assert not isinstance(Block(), jit.ScriptModule)


@pytest.mark.parametrize("name", ["script", "trace", "trace_module", "save", "load", "freeze"])
def test_jit_compilers_raise_and_point_to_compile(name):
    with pytest.raises(RuntimeError, match=r"TorchScript is not available.*compile"):
        getattr(jit, name)(lambda x: x)


# --- lazily reached subpackages ------------------------------------------------------------------
def test_subpackages_are_reached_after_a_bare_import_and_not_imported_by_it():
    code = (
        "import sys, autograd_engine as torch\n"
        "lazy = ['autograd_engine.' + n for n in ('autograd', 'jit', 'accelerator', "
        "'distributions', 'utils.data')]\n"
        "print([n for n in lazy if n in sys.modules])\n"
        "print(torch.utils.data.DataLoader.__name__, torch.jit.is_scripting(), "
        "torch.accelerator.is_available() in (True, False), torch.autograd.Function.__name__)\n"
        "import autograd_engine.utils.hooks as h; print(h.RemovableHandle.__name__)\n"
    )
    root = Path(ag.__file__).parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=root, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:3] == ["[]", "DataLoader False True Function", "RemovableHandle"]


def test_a_lazy_name_that_is_missing_is_an_attribute_error():
    from autograd_engine import _aliases

    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        _aliases.lazy_attribute("autograd_engine", "nonexistent")


def test_memory_summary_reports_cupys_numbers(fake):
    fake.cuda.get_allocator()(3 * 2**20)
    text = cuda.memory_summary()
    assert "device ID 0" in text and "Allocated memory" in text and "3.0 MiB" in text
    assert "81920.0 MiB" in text  # the total from mem_get_info
