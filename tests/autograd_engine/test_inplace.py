"""In-place operations: values, aliasing, version counters, the errors PyTorch raises (leaf,
modified saved tensor, casts, shapes), ``__setitem__``, rebasing the history of a tensor and of
the base of a view, and agreement with PyTorch's gradients."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag

LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."


def test_inplace_ops_write_into_the_same_array(device):
    t = ag.tensor([1.0, -2.0, 3.0], device=device)
    array = t.array
    assert t.add_(1) is t
    t.sub_(ag.tensor([0.5, 0.5, 0.5], device=device), alpha=2)
    t.mul_(2)
    t.div_(ag.tensor(4.0, device=device))
    np.testing.assert_allclose(t.numpy(), [0.5, -1.0, 1.5])
    t.clamp_(min=-0.5, max=1.0)
    np.testing.assert_allclose(t.numpy(), [0.5, -0.5, 1.0])
    t.copy_(ag.tensor([7.0], device=device))
    np.testing.assert_allclose(t.numpy(), [7.0, 7.0, 7.0])
    t.fill_(2.5)
    np.testing.assert_allclose(t.numpy(), [2.5] * 3)
    t.zero_()
    np.testing.assert_allclose(t.numpy(), [0.0] * 3)
    assert t.array is array and t.dtype == ag.float32


def test_augmented_assignment_is_in_place():
    t = ag.tensor([1.0, 2.0])
    alias = t
    host = t.numpy()  # shares memory on the CPU
    t += 1
    t -= 0.5
    t *= 4
    t /= 2
    assert t is alias
    np.testing.assert_allclose(host, [3.0, 5.0])


def test_unary_inplace_methods_match_their_out_of_place_ops():
    x = ag.tensor([0.25, 1.0, 2.0])
    for name in ("exp", "log", "sqrt", "abs", "neg", "relu", "sigmoid", "tanh"):
        expected = getattr(x, name)().numpy()
        t = x.clone()
        assert getattr(t, name + "_")() is t
        np.testing.assert_allclose(t.numpy(), expected, rtol=1e-6)
    t = x.clone()
    np.testing.assert_allclose(t.pow_(2).numpy(), x.numpy() ** 2)


def test_version_counter_bumps_on_each_write_but_not_on_data_writes():
    t = ag.zeros(3)
    assert t._version == 0
    t.add_(1)
    t[0] = 5
    t.zero_()
    assert t._version == 3
    t.array += 1  # the raw array is outside autograd's view, as PyTorch's .data is
    assert t._version == 3


def test_views_and_detach_share_the_version_counter_of_their_base():
    base = ag.zeros(2, 3)
    row, flat, tr, det = base[0], base.reshape(6), base.T, base.detach()
    row.add_(1)
    assert base._version == flat._version == tr._version == det._version == 1
    assert row._base is base and flat._base is base and tr._base is base
    assert det._base is None and base._base is None
    np.testing.assert_allclose(base.numpy(), [[1, 1, 1], [0, 0, 0]])
    copy = base[[0, 1]]  # integer-array indexing copies: not a view
    base.add_(1)
    assert copy._version == 0 and copy._base is None


def test_inplace_on_non_leaf_is_differentiable(device):
    x = ag.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    y = x * 2
    y.add_(1)
    assert y.grad_fn.name() == "AddBackward0" and y._version == 1
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 2.0])


def test_mul_inplace_gradient_for_both_operands_keeps_the_old_value():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    w = ag.tensor([3.0, 5.0], requires_grad=True)
    y = x * 1
    y.mul_(w)  # dy/dw needs the value of y before the write
    y.mul_(y)  # y = (x w)^2
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() * w.numpy() ** 2)
    np.testing.assert_allclose(w.grad.numpy(), 2 * w.numpy() * x.numpy() ** 2)


def test_inplace_on_leaf_that_requires_grad_raises():
    w = ag.ones(3, requires_grad=True)
    for op in (
        lambda: w.add_(1),
        lambda: w.zero_(),
        lambda: w.uniform_(),
        lambda: w.__setitem__(0, 2.0),
        lambda: w.__iadd__(1),
    ):
        with pytest.raises(RuntimeError, match=LEAF_MESSAGE):
            op()
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad"):
        w[:2].mul_(2)
    assert w._version == 0


def test_inplace_on_leaf_works_under_no_grad():
    w = ag.ones(3, requires_grad=True)
    with ag.no_grad():
        w.add_(1)
        w[0] = 0.0
        w.normal_()
        w.mul_(0).add_(3)
    assert w.is_leaf and w.requires_grad and w.grad_fn is None
    np.testing.assert_allclose(w.numpy(), [3.0] * 3)


def test_modified_saved_input_raises_with_op_tensor_versions_and_hint():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y * y  # MulBackward saves y
    y.add_(1)
    with pytest.raises(RuntimeError) as info:
        z.sum().backward()
    msg = str(info.value)
    assert "modified by an inplace operation" in msg
    assert "[float32 tensor of shape (2,)]" in msg
    assert "is at version 1; expected version 0 instead" in msg
    assert "MulBackward0 saved it" in msg and ".clone()" in msg


def test_modified_saved_output_raises():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()  # ExpBackward saves its output
    y.mul_(2)
    with pytest.raises(RuntimeError, match=r"output 0 of ExpBackward0, is at version 1; expected"):
        y.sum().backward()


def test_modified_saved_leaf_raises_and_write_through_view_counts():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    c = ag.tensor([1.0, 1.0, 1.0])
    y = x * c  # saves c
    with ag.no_grad():
        c[1:].mul_(3)  # through a view of c: the shared counter sees it
    with pytest.raises(RuntimeError, match=r"which is a leaf, is at version 1; expected version 0"):
        y.sum().backward()


def test_clone_before_inplace_is_the_fix():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = y.clone()
    z.mul_(2)
    (y + z).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * np.exp([1.0, 2.0]), rtol=1e-6)


def test_cast_and_shape_errors_are_pytorchs():
    t = ag.zeros(3, dtype=ag.int64)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output"):
        t.add_(1.5)
    with ag.no_grad(), pytest.raises(RuntimeError, match="result type Float can't be cast"):
        t.mul_(0.5)
    with pytest.raises(RuntimeError, match="result type Float can't be cast .* type Long"):
        t.div_(2)
    f = ag.zeros(3)
    with pytest.raises(RuntimeError, match=r"output with shape \(3,\) doesn't match the broadcast"):
        f.add_(ag.ones(2, 3))
    with pytest.raises(RuntimeError, match=r"output with shape \(3,\) doesn't match"):
        (ag.zeros(3, requires_grad=True) * 1).add_(ag.ones(2, 3))  # recorded
    with pytest.raises(RuntimeError, match=r"source of shape \(2,\) cannot be broadcast"):
        f.copy_(ag.ones(2))
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        ag.zeros(3).expand(2, 3).add_(1)
    f.add_(ag.ones(3, dtype=ag.float64))  # a float64 operand is cast into float32, as in PyTorch
    assert f.dtype == ag.float32


def test_setitem_values_and_index_kinds(device):
    t = ag.zeros(3, 4, device=device)
    t[0] = 1.0
    t[1, 1:3] = ag.tensor([2.0, 3.0], device=device)
    t[:, -1] = ag.tensor([[7.0], [8.0], [9.0]], device=device).reshape(3)
    t[ag.tensor([2, 2], device=device), ag.tensor([0, 1], device=device)] = 5.0
    t[[0], [0]] = -1.0
    expected = np.array([[-1, 1, 1, 7], [0, 2, 3, 8], [5, 5, 0, 9]], dtype=np.float32)
    np.testing.assert_allclose(t.numpy(), expected)
    t[t > 4] = 0.0
    t[np.array([True, False, False])] = ag.tensor(4.0, device=device)
    expected[expected > 4] = 0
    expected[0] = 4
    np.testing.assert_allclose(t.numpy(), expected)
    assert t._version == 7


def test_setitem_shape_mismatch_raises():
    t = ag.zeros(3, 4)
    with pytest.raises(RuntimeError, match=r"value tensor of shape \(3,\) cannot be broadcast to "
                                           r"indexing result of shape \(4,\)"):  # fmt: skip
        t[0] = ag.ones(3)
    with pytest.raises(IndexError):
        t[5] = 1.0


def test_setitem_mask_on_non_leaf_is_differentiable_for_history_and_value():
    x = ag.tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    v = ag.tensor(0.5, requires_grad=True)
    y = x * 3
    y[x < 0] = v * 2
    assert y.grad_fn.name() == "IndexPutBackward0"
    np.testing.assert_allclose(y.detach().numpy(), [1.0, 6.0, 1.0, 12.0])
    (y * ag.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 6.0, 0.0, 12.0])
    np.testing.assert_allclose(v.grad.numpy(), 2 * (1.0 + 3.0))


def test_setitem_into_a_buffer_makes_it_part_of_the_graph():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    buf = ag.zeros(3, 2)
    buf[0] = x * x
    buf[2] = x
    assert buf.requires_grad and not buf.is_leaf
    buf.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + 1)


def test_fill_and_copy_cut_the_gradient_of_the_old_value():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    s = ag.tensor(3.0, requires_grad=True)
    y = x * 2
    y.fill_(s)
    z = x * 2
    z.copy_(s * x)
    (y + z).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])  # only through copy_'s source
    np.testing.assert_allclose(s.grad.numpy(), 2 + 3.0)
    with pytest.raises(RuntimeError, match="fill_ only supports 0-dimension value tensor"):
        y.fill_(ag.ones(2))


def test_inplace_through_a_view_rebases_the_base():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    v = y[:2]
    v.mul_(3)
    assert y.grad_fn.name() == "IndexPutBackward0" and y._version == v._version == 1
    np.testing.assert_allclose(y.detach().numpy(), [6.0, 12.0, 6.0])
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0, 2.0])


def test_view_made_before_an_inplace_on_its_base_follows_the_base():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    v = y[1:]
    y.mul_(3)
    v.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 6.0, 6.0])


def test_view_made_under_no_grad_cannot_be_modified_with_grad_on():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    with ag.no_grad():
        v = y[:1]
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode"):
        v.mul_(2)


def test_retain_grad_follows_the_tensor_and_old_hooks_see_the_old_value():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1
    y.retain_grad()
    seen = []
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    y.mul_(3)
    y.sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [1.0, 1.0])  # d/d(new y)
    np.testing.assert_allclose(seen[0], [3.0, 3.0])  # the hook was on the old y
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_random_fills_use_the_generator_and_keep_dtype():
    t = ag.empty(1000, dtype=ag.float64)
    t.uniform_(-2.0, 3.0)
    assert t.dtype == ag.float64 and -2.0 <= t.numpy().min() and t.numpy().max() < 3.0
    t.normal_(mean=5.0, std=0.5)
    assert abs(t.numpy().mean() - 5.0) < 0.1 and abs(t.numpy().std() - 0.5) < 0.05
    g1, g2 = ag.Generator().manual_seed(3), ag.Generator().manual_seed(3)
    a = ag.empty(5).uniform_(generator=g1)
    b = ag.empty(5).uniform_(**{"from": 0.0}, to=1.0, generator=g2)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.raises(RuntimeError, match="expects to return a \\[from, to\\) range"):
        t.uniform_(1.0, 0.0)
    with pytest.raises(RuntimeError, match="normal expects std >= 0.0"):
        t.normal_(std=-1.0)


def test_optimizer_updates_keep_working_and_bump_versions():
    optim = pytest.importorskip("optim")
    w = ag.tensor([1.0, -1.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        (w * w).sum().backward()
        opt.step()
    np.testing.assert_allclose(w.numpy(), np.array([1.0, -1.0]) * 0.8**3, rtol=1e-6)
    with ag.no_grad():  # a hand-written update, PyTorch style
        w.sub_(w.grad, alpha=0.1)
    assert w.is_leaf and w.grad_fn is None


def _torch_program(lib, x, w):
    """A program mixing in-place ops on non-leaves, views and __setitem__."""
    y = x * w
    y.add_(w, alpha=0.5)
    y[0] = y[1] * 2
    y[:, 1:].mul_(w[:, :2])
    z = y.T
    z[0].div_(3.0)
    mask = x.detach() > 0
    y[mask] = y[mask].exp()
    y.clamp_(min=-1.0, max=5.0)
    out = y.tanh() * x
    out.sub_(1.0)
    return (out * out).sum()


def test_gradients_agree_with_pytorch(torch):
    rng = np.random.default_rng(0)
    xs, ws = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    x, w = ag.tensor(xs, requires_grad=True), ag.tensor(ws, requires_grad=True)
    tx = torch.tensor(xs, requires_grad=True)
    tw = torch.tensor(ws, requires_grad=True)
    loss = _torch_program(ag, x, w)
    tloss = _torch_program(torch, tx, tw)
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-10)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_augmented_assignment_on_an_index_matches_pytorch(torch):
    def program(lib, x):
        y = x * 2
        y[1:] += 1  # through a view
        y[[0, 2]] *= 3  # a copy, written back by __setitem__
        return (y * y).sum()

    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    tx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    program(ag, x).backward()
    program(torch, tx).backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())


def test_a_view_whose_base_data_was_replaced_stops_being_a_view():
    x = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    v = y[:2]
    y.array = np.array([5.0, 6.0, 7.0], dtype=np.float32)  # v keeps the old memory
    y.mul_(3)
    (v.sum() + y.sum()).backward()
    assert v._base is None
    np.testing.assert_allclose(x.grad.numpy(), [8.0, 8.0, 6.0])


_VIEWS = [  # (view, whether it applies to a tensor of that shape)
    (lambda t: t.T, lambda t: t.ndim == 2),
    (lambda t: t[1:], lambda t: t.ndim >= 1),
    (lambda t: t[:, ::2], lambda t: t.ndim == 2),
    (lambda t: t[0], lambda t: t.ndim >= 2),  # NOTE: t[0] of a 1-d tensor is a copy here
    (lambda t: t.reshape(-1), lambda t: True),
    (lambda t: t.unsqueeze(0), lambda t: True),
    (lambda t: t.narrow(-1, 1, 2), lambda t: t.ndim >= 1 and t.shape[-1] >= 3),
]


def _operand(t, w):
    return w.reshape(-1)[: t.shape[-1]] if t.ndim else w.sum()


_WRITES = [
    lambda t, w: t.mul_(2.5),
    lambda t, w: t.add_(_operand(t, w), alpha=-0.5),
    lambda t, w: t.copy_(_operand(t, w).exp()),
    lambda t, w: t.zero_(),
    lambda t, w: t.__setitem__(..., t * w.sum()),  # t is saved, then overwritten: an error
    lambda t, w: t.clamp_(min=-0.2),
]


def _run(lib, program, xs, ws):
    x, w = lib.tensor(xs, requires_grad=True), lib.tensor(ws, requires_grad=True)
    y = x * w
    for views, write in program:
        t = y
        for v in views:
            view, applies = _VIEWS[v]
            if applies(t):
                t = view(t)
        _WRITES[write](t, w)
    loss = (y * y.detach() + y.tanh()).sum()
    try:
        loss.backward()
    except RuntimeError as exc:
        assert "modified by an inplace operation" in str(exc)
        return None
    return loss.item(), x.grad.numpy(), w.grad.numpy()


def test_random_view_and_inplace_programs_agree_with_pytorch(torch):
    from hypothesis import given, settings
    from hypothesis import strategies as st

    views = st.lists(st.sampled_from(range(len(_VIEWS))), max_size=2)
    steps = st.tuples(views, st.sampled_from(range(len(_WRITES))))

    @settings(deadline=None)
    @given(st.lists(steps, min_size=1, max_size=4))
    def check(program):
        rng = np.random.default_rng(len(program))
        xs, ws = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
        ours, theirs = _run(ag, program, xs, ws), _run(torch, program, xs, ws)
        assert (ours is None) == (theirs is None), (ours, theirs)  # both raise, or neither
        if ours is not None:
            for a, b in zip(ours, theirs):
                np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)

    check()
