"""Interoperation and process-level settings against PyTorch: DLPack both ways (zero copy with
NumPy and PyTorch), pinned and shared memory, memory formats and strides, ``inference_mode``,
``out=`` and the ``axis=``/``keepdims=`` aliases, threads, determinism, matmul precision."""

from __future__ import annotations

import multiprocessing as mp
import pickle

import numpy as np
import pytest

import autograd_engine as ag


# --- DLPack -------------------------------------------------------------------------------------
def test_dlpack_shares_memory_with_numpy_and_torch(torch):
    a = np.arange(6.0).reshape(2, 3)
    t = ag.from_dlpack(a)
    a[0, 0] = 9.0
    assert t[0, 0].item() == 9.0 and t.dtype is ag.float64  # no copy
    theirs = torch.arange(4, dtype=torch.float32)
    ours = ag.from_dlpack(theirs)
    ours.add_(1.0)
    assert theirs.tolist() == [1.0, 2.0, 3.0, 4.0]
    back = torch.from_dlpack(ag.zeros(3))
    ours2 = ag.zeros(3)
    back2 = torch.from_dlpack(ours2)
    ours2.fill_(5.0)
    assert back2.tolist() == [5.0, 5.0, 5.0] and back.dtype == torch.float32
    via_numpy = np.from_dlpack(ours2)
    assert np.shares_memory(via_numpy, ours2.array)
    device = tuple(int(v) for v in torch.zeros(1).__dlpack_device__())
    assert ours2.__dlpack_device__() == device
    assert ag.from_dlpack(ours2) is ours2


def test_dlpack_refuses_tensors_that_require_grad(torch):
    with pytest.raises(BufferError) as theirs:
        torch.zeros(2, requires_grad=True).__dlpack__()
    with pytest.raises(BufferError, match=str(theirs.value)):
        ag.zeros(2, requires_grad=True).__dlpack__()
    with pytest.raises(TypeError, match="__dlpack__"):
        ag.from_dlpack([1, 2])


# --- pinned and shared memory -------------------------------------------------------------------
def test_pin_memory_needs_an_accelerator_as_in_torch(torch):
    if ag.cuda.is_available():  # pragma: no cover - needs a GPU
        p = ag.arange(4.0).pin_memory()
        assert p.is_pinned() and p.tolist() == [0.0, 1.0, 2.0, 3.0]
        return
    with pytest.raises(RuntimeError) as theirs:
        torch.zeros(2).pin_memory()
    with pytest.raises(RuntimeError, match=str(theirs.value)):
        ag.zeros(2).pin_memory()
    assert ag.zeros(2).is_pinned() == torch.zeros(2).is_pinned() is False
    assert ag.ones(2, pin_memory=False).tolist() == [1.0, 1.0]


def _add_one(t):
    t.add_(1.0)


def test_share_memory_is_seen_by_other_processes():
    t = ag.zeros(4)
    assert not t.is_shared()
    assert t.share_memory_() is t and t.is_shared()
    t.share_memory_()  # a second call is a no-op
    for method in ("fork", "spawn"):
        ctx = mp.get_context(method)
        p = ctx.Process(target=_add_one, args=(t,))
        p.start()
        p.join(timeout=120)
        assert p.exitcode == 0, method
    assert t.tolist() == [2.0, 2.0, 2.0, 2.0]  # both children wrote into the same memory
    plain = pickle.loads(pickle.dumps(t))  # ordinary pickling copies the data
    plain.add_(1.0)
    assert t.tolist() == [2.0] * 4


def test_shared_parameters_keep_their_class():
    import nn

    p = nn.Parameter(ag.ones(2))
    p.share_memory_()
    from multiprocessing.reduction import ForkingPickler

    q = pickle.loads(ForkingPickler.dumps(p))
    assert isinstance(q, nn.Parameter) and q.requires_grad
    with ag.no_grad():
        q.mul_(3.0)
    assert p.tolist() == [3.0, 3.0]


# --- layout -------------------------------------------------------------------------------------
def test_strides_offsets_and_memory_formats_match_torch(torch):
    x, y = ag.randn(2, 3, 4, 5), torch.randn(2, 3, 4, 5)
    assert x.stride() == y.stride() and x.stride(-1) == y.stride(-1)
    cx, cy = x.to(memory_format=ag.channels_last), y.to(memory_format=torch.channels_last)
    assert cx.stride() == cy.stride()
    assert cx.is_contiguous() == cy.is_contiguous() is False
    assert cx.is_contiguous(memory_format=ag.channels_last)
    assert cx.contiguous().stride() == cy.contiguous().stride()
    assert ag.zeros_like(cx).stride() == torch.zeros_like(cy).stride()
    assert ag.empty(2, 3, 4, 5, memory_format=ag.channels_last).stride() == torch.empty(
        2, 3, 4, 5, memory_format=torch.channels_last).stride()  # fmt: skip
    assert x.contiguous(memory_format=ag.channels_last).stride() == cy.stride()
    a, b = ag.zeros(4, 5)[1:, 2:], torch.zeros(4, 5)[1:, 2:]
    assert a.storage_offset() == b.storage_offset() and a.stride() == b.stride()
    assert (a.nbytes, a.itemsize, a.is_cpu) == (b.nbytes, b.itemsize, b.is_cpu)
    assert a.layout is ag.strided
    assert repr(ag.channels_last) == "autograd_engine.channels_last"
    with pytest.raises(RuntimeError, match="required rank 4"):
        ag.zeros(3).to(memory_format=ag.channels_last)
    z = ag.randn(2, 3, 4, 5, requires_grad=True)
    z.to(memory_format=ag.channels_last).sum().backward()
    assert z.grad.shape == z.shape


def test_to_copy_and_non_blocking(torch):
    x = ag.zeros(2)
    assert x.to(ag.float32) is x and x.to(ag.float32, copy=True) is not x
    assert x.to("cpu", non_blocking=True) is x and x.cpu() is x
    assert x.numpy(force=True).tolist() == [0.0, 0.0]
    with pytest.raises(TypeError, match="unexpected keyword"):
        x.to(colour="red")
    if not ag.cuda.is_available():
        with pytest.raises(RuntimeError, match="CuPy"):
            x.cuda(non_blocking=True)


# --- modes and settings -------------------------------------------------------------------------
def test_inference_mode(torch):
    x = ag.ones(2, requires_grad=True)
    with ag.inference_mode():
        assert ag.is_inference_mode_enabled() and not ag.is_grad_enabled()
        assert not (x * 2).requires_grad
    assert not ag.is_inference_mode_enabled() and ag.is_grad_enabled()
    with ag.inference_mode(False):
        assert (x * 2).requires_grad

    @ag.inference_mode()
    def f(t):
        return t * 2

    @ag.inference_mode
    def g(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    with torch.inference_mode():
        assert torch.is_inference_mode_enabled()


def test_threads(torch):
    n = ag.get_num_threads()
    try:
        ag.set_num_threads(1)
        assert ag.get_num_threads() == 1
    finally:
        ag.set_num_threads(max(n, 1))
    with pytest.raises(RuntimeError):
        ag.set_num_threads(0)
    ag.set_num_interop_threads(2)
    assert ag.get_num_interop_threads() == 2


def test_deterministic_algorithms(torch):
    enabled = torch.are_deterministic_algorithms_enabled()
    assert ag.are_deterministic_algorithms_enabled() is enabled
    try:
        ag.use_deterministic_algorithms(True, warn_only=True)
        assert ag.are_deterministic_algorithms_enabled()
        assert ag.is_deterministic_algorithms_warn_only_enabled()
        assert ag.get_deterministic_debug_mode() == 1
        ag.set_deterministic_debug_mode("error")
        assert ag.get_deterministic_debug_mode() == 2
        x = ag.zeros(3, requires_grad=True)  # the CPU paths are deterministic: no error
        x[ag.tensor([0, 0])].sum().backward()
        assert x.grad.tolist() == [2.0, 0.0, 0.0]
        with pytest.raises(RuntimeError, match="does not have a deterministic implementation"):
            from autograd_engine.runtime import check_deterministic

            check_deterministic("index_add_cuda_")
    finally:
        ag.use_deterministic_algorithms(False)


def test_float32_matmul_precision(torch):
    assert ag.get_float32_matmul_precision() == torch.get_float32_matmul_precision()
    try:
        ag.set_float32_matmul_precision("high")
        assert ag.backends.cuda.matmul.allow_tf32 is True
    finally:
        ag.set_float32_matmul_precision("highest")
    assert ag.backends.cuda.matmul.allow_tf32 is False
    with pytest.raises(RuntimeError, match="Invalid precision"):
        ag.set_float32_matmul_precision("low")


# --- keyword spellings --------------------------------------------------------------------------
def test_axis_and_keepdims_aliases_match_torch(torch):
    x = np.random.default_rng(0).standard_normal((2, 3))
    a, t = ag.tensor(x), torch.tensor(x)
    cases = [("sum", {"axis": 0, "keepdims": True}), ("mean", {"axis": 1}), ("std", {"axis": 0}),
             ("amax", {"axis": 1}), ("argmax", {"axis": 1}), ("logsumexp", {"axis": 0}),
             ("cumsum", {"axis": 1}), ("softmax", {"axis": 1}),
             ("var", {"axis": 0, "keepdims": True})]  # fmt: skip
    for name, kwargs in cases:
        np.testing.assert_allclose(getattr(a, name)(**kwargs).numpy(),
                                   getattr(t, name)(**kwargs).numpy(), err_msg=name)  # fmt: skip
    assert a.max(axis=0, keepdims=True).values.shape == (1, 3)
    with pytest.raises(TypeError, match="both 'dim' and its alias 'axis'"):
        a.sum(dim=0, axis=0)
    import inspect

    assert "axis" in inspect.signature(ag.Tensor.sum).parameters


def test_out_argument_matches_torch(torch):
    a, b = np.ones((2, 3)), np.full((3, 2), 2.0)
    o = ag.empty(2, 2, dtype=ag.float64)
    assert ag.matmul(ag.tensor(a), ag.tensor(b), out=o) is o and o.tolist() == [[6.0] * 2] * 2
    assert ag.mul(ag.ones(2), 3.0, out=ag.empty(2)).tolist() == [3.0, 3.0]
    r = ag.rand(3, out=ag.empty(3))
    assert r.shape == (3,) and ((r.numpy() >= 0) & (r.numpy() < 1)).all()
    with pytest.warns(UserWarning, match="was resized"):
        resized = ag.add(ag.ones(3), 1, out=ag.empty(2))
    assert resized.shape == (3,)
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        ag.div(ag.ones(2), 3, out=ag.empty(2, dtype=ag.int64))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        ag.exp(ag.ones(2, requires_grad=True), out=ag.empty(2))
    with pytest.raises(RuntimeError) as theirs:
        torch.exp(torch.ones(2, requires_grad=True), out=torch.empty(2))
    assert "don't support automatic differentiation" in str(theirs.value)
