"""The CuPy stand-in itself: each rule it models is CuPy's, and it must be as strict as CuPy
(these tests run only with ``AUTOGRAD_ENGINE_CUPY_STANDIN=1``, where ``import cupy`` is it)."""

from __future__ import annotations

import os
import pickle
import threading
import warnings

import numpy as np
import pytest

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        os.environ.get("AUTOGRAD_ENGINE_CUPY_STANDIN", "0") != "1",
        reason="tests the CuPy stand-in: run with AUTOGRAD_ENGINE_CUPY_STANDIN=1",
    ),
]


@pytest.fixture
def cp():
    import cupy

    assert getattr(cupy, "_IS_STANDIN", False), "a real CuPy was imported"
    return cupy


def test_implicit_host_conversion_raises_cupys_type_error(cp):
    x = cp.arange(3.0)
    msg = "Implicit conversion to a NumPy array is not allowed"
    for convert in (np.asarray, lambda a: np.array([a, a]), lambda a: np.float64(a)):
        with pytest.raises(TypeError, match=msg):
            convert(x)
    with pytest.raises(TypeError):
        float(x)  # size 3: NumPy's rule, through .get()
    with pytest.raises(TypeError):
        range(cp.asarray(3))  # no __index__ in CuPy
    assert float(cp.ones(())) == 1.0 and int(cp.asarray(2)) == 2 and bool(cp.ones(1))
    assert isinstance(x.get(), np.ndarray) and cp.asnumpy(x).tolist() == [0.0, 1.0, 2.0]


def test_mixing_with_numpy_arrays_raises(cp):
    x = cp.arange(3.0)
    for op in (
        lambda: x + np.ones(3),
        lambda: np.ones(3) + x,
        lambda: x * np.asarray(2.0),  # even 0-d host arrays (CuPy's CScalar)
        lambda: cp.maximum(x, np.zeros(3)),
        lambda: cp.stack([x, np.ones(3)]),
        lambda: cp.zeros_like(np.ones(3)),
    ):
        with pytest.raises(TypeError, match="Unsupported type <class 'numpy.ndarray'>"):
            op()
    assert (x * np.float32(2)).dtype == np.float64  # NumPy scalars are fine
    assert (x > np.asarray(1.0)).get().tolist() == [False, False, True]  # compare: .item()
    assert (cp.arange(3, dtype=cp.float32) * 2.0).dtype == np.float32  # weak Python scalars


def test_numpy_functions_dispatch_to_the_standin_or_fail(cp):
    x = cp.arange(4.0)
    assert isinstance(np.exp(x), cp.ndarray) and isinstance(np.sum(x), cp.ndarray)
    assert np.sum(x).shape == () and isinstance(x.max(), cp.ndarray)
    assert isinstance(np.stack([x, x]), cp.ndarray)
    with pytest.raises(TypeError, match="no implementation found"):
        np.polyfit(x, x, 1)  # the stand-in has no polyfit: NumPy refuses


def test_missing_pieces_fail_loudly(cp):
    with pytest.raises(AttributeError, match="stand-in"):
        cp.polyfit  # noqa: B018
    with pytest.raises(AttributeError, match="stand-in"):
        cp.arange(3).ptp()
    with pytest.raises(AttributeError, match="no attribute 'writeable'"):
        cp.ones(3).flags.writeable  # noqa: B018 - CuPy's flags have no writeable
    with pytest.raises(ValueError, match="Unsupported dtype"):
        cp.array(["a", "b"])
    with pytest.raises(ValueError, match="Unsupported dtype"):
        cp.zeros(2, dtype=object)


def test_devices_and_the_current_device(cp):
    assert cp.cuda.runtime.getDeviceCount() >= 2
    assert cp.cuda.Device().id == 0
    with cp.cuda.Device(1):
        assert cp.cuda.Device().id == 1 and cp.cuda.get_device_id() == 1
        b = cp.ones(3)
        with cp.cuda.Device(0):
            assert cp.ones(1).device.id == 0
        assert cp.cuda.Device().id == 1
    assert cp.cuda.Device().id == 0 and b.device.id == 1 and b.device == cp.cuda.Device(1)
    seen = []
    with cp.cuda.Device(1):
        t = threading.Thread(target=lambda: seen.append(cp.cuda.Device().id))
        t.start()
        t.join(timeout=10)
    assert seen == [0]  # the current device is per thread, as cudaSetDevice is
    with pytest.raises(cp.cuda.runtime.CUDARuntimeError, match="invalid device ordinal"):
        with cp.cuda.Device(7):
            pass
    assert cp.cuda.Device().id == 0
    try:
        cp.cuda.Device(1).use()
        assert cp.zeros(2).device.id == 1
    finally:
        cp.cuda.Device(0).use()


def test_kernels_on_another_device_raise_and_views_do_not(cp):
    with cp.cuda.Device(1):
        b = cp.arange(6.0)
    msg = r"resides \(1\) is different from the current device \(0\)"
    for op in (lambda: b + 1, lambda: b.sum(), lambda: cp.exp(b), lambda: b[cp.asarray([0])]):
        with pytest.raises(ValueError, match=msg):
            op()
    with pytest.raises(ValueError, match=msg):
        b[0] = 5.0
    v = b.reshape(2, 3)[0]  # views run no kernel: no check, same device
    assert v.device.id == 1
    with cp.cuda.Device(1):
        assert float((b + 1).sum()) == 21.0
    c = b.copy()  # a copy between devices lands on the current device
    assert c.device.id == 0 and cp.asarray(b).device.id == 0
    assert cp.asarray(c) is c  # same device and dtype: no copy


def test_peer_access_warns_instead_of_raising(cp, monkeypatch):
    from cupy._core import core

    monkeypatch.setattr(core, "_PEER_ACCESS", True)
    with cp.cuda.Device(1):
        b = cp.ones(2)
    with pytest.warns(cp._util.PerformanceWarning, match="Peer access has been activated"):
        out = b + 1
    assert out.device.id == 0  # CuPy allocates on the current device


def test_no_read_only_flag_broadcast_views_are_writable(cp):
    base = cp.zeros((1, 3))
    view = cp.broadcast_to(base, (2, 3))
    view[0, 1] = 5.0  # NumPy would raise: read-only
    assert base.get().tolist() == [[0.0, 5.0, 0.0]]
    strided = cp.lib.stride_tricks.as_strided(base, (4, 3), (0, 8))
    strided += 1
    assert sorted(base.get().ravel().tolist())[-1] >= 6.0


def test_out_of_bounds_index_arrays_wrap_around(cp):
    x = cp.arange(3.0)
    assert x[cp.asarray([5])].get().tolist() == [2.0]
    assert x[[1, 3, -4]].get().tolist() == [1.0, 0.0, 2.0]
    x[cp.asarray([4])] = 10.0
    assert x.get().tolist() == [0.0, 10.0, 2.0]
    assert cp.take(x, cp.asarray([3])).get().tolist() == [0.0]
    m = cp.arange(6.0).reshape(2, 3)
    assert cp.take_along_axis(m, cp.asarray([[3], [4]]), 1).get().tolist() == [[0.0], [4.0]]
    acc = cp.zeros(3)
    cp.add.at(acc, cp.asarray([3, 3, 7]), 1.0)
    assert acc.get().tolist() == [2.0, 1.0, 0.0]
    with pytest.raises(IndexError, match="out of bounds"):
        x[3]  # a scalar index still raises
    with pytest.raises(TypeError, match=r"cupy.add.at only supports"):
        cp.add.at(cp.zeros(3, dtype=cp.int8), cp.asarray([0]), 1)


def test_a_zero_d_index_array_is_advanced_indexing_a_new_array(cp):
    """CuPy's ``_prepare_slice_list``: a ()-shaped array index forces a new array (NumPy
    would read it as a scalar index); it wraps around like any index array."""
    x = cp.arange(3.0)
    out = x[cp.asarray(4)]
    assert isinstance(out, cp.ndarray) and out.shape == () and out.get() == 1.0
    out[...] = 9.0
    assert x.get().tolist() == [0.0, 1.0, 2.0]
    m = cp.arange(6.0).reshape(2, 3)
    row = m[cp.asarray(1)]
    row[...] = 0.0
    assert row.shape == (3,) and m.get()[1].tolist() == [3.0, 4.0, 5.0]


def test_special_functions_are_cupyxs(cp):
    import cupyx.scipy.special as sp
    import scipy.special

    x = cp.asarray([0.5, 1.5, 2.5])
    for name in ("psi", "digamma", "gammaln", "i0", "i1"):
        want = getattr(scipy.special, name)(x.get())
        np.testing.assert_allclose(getattr(sp, name)(x).get(), want, err_msg=name)
    np.testing.assert_allclose(
        sp.polygamma(cp.asarray(1), x).get(), scipy.special.polygamma(1, x.get())
    )
    with pytest.raises(AttributeError, match="'bool' object has no attribute 'astype'"):
        sp.polygamma(1, x)  # CuPy's cupy.where(n == 0, ...) with a Python int n
    with pytest.raises(AttributeError):
        sp.gamma  # noqa: B018 - CuPy has it; the engine does not use it, so neither does this
    with pytest.raises(NotImplementedError, match="cupy_maximum.accumulate"):
        cp.maximum.accumulate(x)


def test_scalars_are_zero_d_arrays_and_x0_is_a_view(cp):
    x = cp.arange(3.0)
    first = x[0]
    assert isinstance(first, cp.ndarray) and first.shape == ()
    first[...] = 7.0
    assert x.get()[0] == 7.0


def test_setitem_and_fill_refuse_host_arrays_except_as_indices(cp):
    x = cp.zeros(3)
    with pytest.raises(ValueError, match="non-scalar numpy.ndarray cannot be used for fill"):
        x[:] = np.ones(3)
    x[np.array([0, 2])] = np.array([1.0, 2.0])  # advanced setitem copies host values over
    assert x.get().tolist() == [1.0, 0.0, 2.0]
    x[:] = 4.0
    x.fill(cp.asarray(5.0))
    assert x.get().tolist() == [5.0, 5.0, 5.0]


def test_random_generator_is_cupys_api(cp):
    gen = cp.random.Generator(cp.random.XORWOW(0))
    a = gen.standard_normal((2, 3), dtype=cp.float32)
    assert a.dtype == np.float32 and a.shape == (2, 3) and a.device.id == 0
    assert gen.random(4, dtype=cp.float16).dtype == np.float16
    ints = gen.integers(0, 5, size=100)
    assert ints.dtype == np.int64 and 0 <= int(ints.min()) and int(ints.max()) < 5
    for name in ("permutation", "normal", "shuffle", "choice"):
        with pytest.raises(AttributeError, match="CuPy's Generator has no such method"):
            getattr(gen, name)
    assert callable(gen.bit_generator.state)  # a method returning a pointer, not a dict
    assert isinstance(gen.bit_generator.state(), int)
    with pytest.raises(TypeError, match="Unsupported dtype float16 for standard_normal"):
        gen.standard_normal(3, dtype=cp.float16)
    with cp.cuda.Device(1):
        with pytest.raises(RuntimeError, match="allocated in a different device"):
            gen.random(3)
    same = cp.random.default_rng(0).standard_normal(3).get()
    assert np.array_equal(same, cp.random.default_rng(0).standard_normal(3).get())
    with pytest.raises(AttributeError, match="legacy RandomState"):
        cp.random.seed  # noqa: B018


def test_memory_pool_counts_live_arrays(cp):
    pool = cp.get_default_memory_pool()
    pool.free_all_blocks()
    before = pool.used_bytes()
    x = cp.zeros(1000, dtype=cp.float64)
    assert pool.used_bytes() - before == 8192  # rounded up to CuPy's 512-byte unit
    del x
    assert pool.used_bytes() == before and pool.total_bytes() >= before + 8192
    pool.free_all_blocks()
    assert pool.total_bytes() == before


def test_custom_kernels_construct_but_do_not_run(cp):
    k = cp.ElementwiseKernel("T x", "T y", "y = x * 2", "double_it")
    with pytest.raises(NotImplementedError, match="'double_it' cannot run on the CuPy stand-in"):
        k(cp.ones(3))
    r = cp.ReductionKernel("T x", "T y", "x", "a + b", "y = a", "0", "total")
    with pytest.raises(NotImplementedError, match="kernels.enabled = False"):
        r(cp.ones(3))
    with pytest.raises(Exception, match="Syntax error"):
        cp.ElementwiseKernel("x", "T y", "y = x", "bad")
    with pytest.raises(NotImplementedError):
        cp.RawKernel("extern C __global__ void f() {}", "f")((1,), (1,), ())
    with pytest.raises(NotImplementedError):
        cp.fuse(lambda a: a + 1)(cp.ones(2))


def test_streams_events_and_synchronize_are_harmless(cp):
    start, end = cp.cuda.Event(), cp.cuda.Event()
    with cp.cuda.Stream(non_blocking=True) as stream:
        start.record(stream)
        cp.ones(10).sum()
        end.record(stream)
        stream.synchronize()
    end.synchronize()
    cp.cuda.Device().synchronize()
    cp.cuda.runtime.deviceSynchronize()
    assert cp.cuda.get_elapsed_time(start, end) >= 0.0


def test_pickle_and_deepcopy(cp):
    import copy

    with cp.cuda.Device(1):
        x = cp.arange(3.0)
        y = copy.deepcopy(x)
    assert copy.deepcopy(x).device.id == 1 and y.device.id == 1
    z = pickle.loads(pickle.dumps(x))  # unpickles onto the current device
    assert z.device.id == 0 and z.get().tolist() == [0.0, 1.0, 2.0]


def test_floating_point_errors_do_not_warn(cp):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isinf(float(cp.log(cp.zeros(1))[0]))
        assert np.isnan(float((cp.zeros(1) / 0.0)[0]))


def test_empty_memory_is_garbage_not_zeros(cp):
    assert np.isnan(cp.empty(4).get()).all()
    assert np.isnan(cp.empty_like(cp.ones(2)).get()).all()


def test_tf32_compute_type(cp):
    from cupy._core import _routines_linalg as linalg

    linalg.set_compute_type(np.float32, linalg.COMPUTE_TYPE_TF32)
    assert linalg.get_compute_type(np.float32) == linalg.COMPUTE_TYPE_TF32
    linalg.set_compute_type(np.float32, linalg.COMPUTE_TYPE_DEFAULT)
    with pytest.raises(ValueError, match="Unknown compute type"):
        linalg.set_compute_type(np.float32, 99)


def test_get_array_module(cp):
    assert cp.get_array_module(cp.ones(1), np.ones(1)) is cp
    assert cp.get_array_module(np.ones(1), 1.0) is np


def test_views_know_their_base_and_address(cp):
    x = cp.arange(6.0)
    v = x.reshape(2, 3)
    w = v[1]
    assert x.base is None and v.base is x and w.base is x  # CuPy's _view: base of the base
    assert x.flags.owndata and not w.flags.owndata
    start = x.__cuda_array_interface__["data"][0]
    assert w.__cuda_array_interface__["data"][0] == start + 3 * 8
    assert (x + 1).base is None


def test_generator_state_lives_in_the_device_buffer(cp):
    gen = cp.random.default_rng(5)
    saved = gen.bit_generator._state.copy()  # cuRAND keeps its states in this device array
    first = gen.standard_normal(4).get()
    gen.bit_generator._state[...] = saved
    assert np.array_equal(gen.standard_normal(4).get(), first)
