"""The namespaces of the PyTorch surface against PyTorch: ``testing``, ``special``, ``linalg``,
``func``, ``fft``, ``version``, ``functional``, and the names that raise by design (``hub``,
``nested``, sparse and complex constructors)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from torch_oracle import check, same_error

import autograd_engine as ag

rng = np.random.default_rng(4)
X = rng.uniform(0.1, 2.0, (3, 4))
A = rng.standard_normal((3, 3))
SPD = A @ A.T + np.eye(3)
B = rng.standard_normal((3, 2))
TALL = rng.standard_normal((4, 3))
BATCH = rng.standard_normal((2, 3, 3))


# --- testing ---
TESTING = [
    lambda L: L.testing.assert_close(L.tensor([1.0, 2, 3]), L.tensor([1.0, 2.5, 3])),
    lambda L: L.testing.assert_close(L.tensor([1.0, 2, 3]), L.tensor([1.0, 2])),
    lambda L: L.testing.assert_close(L.tensor([1.0, 2]), L.tensor([1.0, 2], dtype=L.float64)),
    lambda L: L.testing.assert_close(L.tensor([1, 2]), L.tensor([1, 3])),
    lambda L: L.testing.assert_close(1.0, 1.1),
    lambda L: L.testing.assert_close(2, 3),
    lambda L: L.testing.assert_close([L.ones(2)], [L.zeros(2)]),
    lambda L: L.testing.assert_close({"a": L.ones(2)}, {"a": L.ones(2) * 2}),
    lambda L: L.testing.assert_close(L.tensor([math.nan]), L.tensor([math.nan])),
    lambda L: L.testing.assert_close(L.tensor([math.nan]), L.tensor([math.nan]), equal_nan=True),
    lambda L: L.testing.assert_close(L.ones(2), L.ones(2) * 1.1, msg="custom"),
    lambda L: L.testing.assert_close(L.ones(2), L.ones(2) * 1.1, rtol=0.2, atol=0),
    lambda L: L.testing.assert_close(L.ones(2), L.ones(2) * 1.1, rtol=0.2),
    lambda L: L.testing.assert_close(L.ones(2, 2), L.ones(2, 2) + L.eye(2) * 1e-3),
    lambda L: L.testing.assert_close(np.ones(2), np.ones(2)),
    lambda L: L.testing.assert_close(L.tensor([True]), L.tensor([False])),
    lambda L: L.testing.assert_close(L.tensor([1.0, math.inf]), L.tensor([1.0, math.inf])),
    lambda L: L.testing.assert_close(L.ones(2, dtype=L.float16), L.ones(2, dtype=L.float16) * 1.01),
    lambda L: L.testing.assert_close(L.ones(1, requires_grad=True), L.ones(1)),
]


@pytest.mark.parametrize("case", range(len(TESTING)))
def test_assert_close_matches_torch(torch, case):
    def outcome(lib):
        try:
            TESTING[case](lib)
        except Exception as exc:  # the message, in our spelling
            return type(exc).__name__, str(exc).replace("torch.", "autograd_engine.")
        return None

    assert outcome(ag) == outcome(torch)


def test_assert_close_refuses_unknown_pairs_and_assert_allclose_warns(torch):
    with pytest.raises(TypeError, match="No comparison pair was able to handle inputs"):
        ag.testing.assert_close(ag.ones(2), [1.0, 1.0])
    with pytest.warns(FutureWarning, match="assert_allclose"):
        ag.testing.assert_allclose(ag.ones(2), [1.0, 1.0])
    with pytest.warns(FutureWarning), pytest.raises(AssertionError, match="not close"):
        ag.testing.assert_allclose(ag.ones(2), ag.ones(2) * 1.1)


def test_make_tensor(torch):
    t = ag.testing.make_tensor(2, 3, dtype=ag.float32, device="cpu", low=-1, high=1)
    assert t.shape == (2, 3) and t.dtype is ag.float32
    assert (t.numpy() >= -1).all() and (t.numpy() < 1).all()
    i = ag.testing.make_tensor((4,), dtype=ag.int64, device="cpu", exclude_zero=True)
    assert i.dtype is ag.int64 and (i.numpy() != 0).all()
    nc = ag.testing.make_tensor(3, 4, dtype=ag.float64, device="cpu", noncontiguous=True)
    assert not nc.is_contiguous() and nc.shape == (3, 4)
    assert ag.testing.make_tensor(
        2, dtype=ag.float32, device="cpu", requires_grad=True
    ).requires_grad


# --- special ---
SPECIAL = [
    "expm1",
    "exp2",
    "expit",
    "log1p",
    "erf",
    "erfc",
    "gammaln",
    "digamma",
    "psi",
    "ndtr",
    "sinc",
    "entr",
    "i0",
    "i1",
]


@pytest.mark.parametrize("name", SPECIAL)
def test_special_functions_match_torch(torch, name):
    check(lambda L, a: getattr(L.special, name)(a), X, torch=torch, name=name)


@pytest.mark.parametrize("v", [0.0, 5e-324, -1e-20, 1e-17, 2.2e-16, 1e-10, 0.7])
def test_i0_second_derivative_near_zero_matches_torch(torch, v):
    """I1'(x) = I0(x) - I1(x) / x loses all precision for |x| <= eps: 1/2 there, as PyTorch."""
    x = torch.tensor([v], dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(torch.special.i0(x).sum(), x, create_graph=True)
    (want,) = torch.autograd.grad(g.sum(), x)
    a = ag.tensor([v], dtype=ag.float64, requires_grad=True)
    (h,) = ag.autograd.grad(ag.special.i0(a).sum(), a, create_graph=True)
    (got,) = ag.autograd.grad(h.sum(), a)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-14, atol=1e-15)


def test_more_special_functions_match_torch(torch):
    p = X / 2.5
    check(lambda L, a: L.special.logit(a), p, torch=torch)
    check(lambda L, a: L.special.erfinv(a * 0.9), p, torch=torch)
    check(lambda L, a: L.special.ndtri(a), p, torch=torch)
    check(lambda L, a: L.special.polygamma(2, a), X, torch=torch)
    check(lambda L, a: L.special.multigammaln(a + 2, 3), X, torch=torch)
    check(lambda L, a, b: L.special.xlog1py(a - 1, b), X, X, torch=torch)
    check(lambda L, a, b: L.special.xlogy(a - 1, b), X, X, torch=torch)
    check(lambda L, a: L.special.softmax(a, 1), X, torch=torch)
    check(lambda L, a: L.special.log_softmax(a, 0), X, torch=torch)
    check(lambda L, a: L.special.logsumexp(a, 0), X, torch=torch)
    check(lambda L, a: L.special.round(a * 10), X, torch=torch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda L, a: L.special.entr(a), np.array([0.0, -1.0, 0.5]), torch=torch)
    check(lambda L, a: L.special.i1(a), np.array([0.0, -1.0, 0.5]), torch=torch)
    check(lambda L, a: L.i0(a), np.array([0.0, -1.0, 0.5]), torch=torch)


# --- linalg ---
LINALG = {
    "inv": (lambda L, a: L.linalg.inv(a), A),
    "inv_batch": (lambda L, a: L.inverse(a), BATCH),
    "det": (lambda L, a: L.linalg.det(a), A),
    "det_batch": (lambda L, a: L.det(a), BATCH),
    "logabsdet": (lambda L, a: L.linalg.slogdet(a).logabsdet, A),
    "slogdet_sign": (lambda L, a: L.slogdet(a.detach()).sign, A),
    "logdet": (lambda L, a: L.logdet(a), SPD),
    "solve": (lambda L, a, b: L.linalg.solve(a, b), A, B),
    "solve_vector": (lambda L, a, b: L.linalg.solve(a, b[:, 0]), A, B),
    "solve_right": (lambda L, a, b: L.linalg.solve(a, b.T, left=False), A, B),
    "eigvalsh": (lambda L, a: L.linalg.eigvalsh(a), SPD),
    "eigh_reconstruct": (
        lambda L, a: (lambda e: e[1] @ L.diag_embed(e[0]) @ e[1].mT)(L.linalg.eigh(a)),
        SPD,
    ),
    "eigh_vectors_sq": (lambda L, a: L.linalg.eigh(a)[1] ** 2, SPD),
    "svdvals": (lambda L, a: L.linalg.svdvals(a), TALL),
    "svd_reconstruct": (
        lambda L, a: (lambda u, s, vh: (u * s.unsqueeze(-2)) @ vh)(
            *L.linalg.svd(a, full_matrices=False)
        ),
        TALL,
    ),
    "svd_u_sq": (lambda L, a: L.linalg.svd(a, full_matrices=False).U ** 2, TALL),
    "svd_wide_v_sq": (lambda L, a: L.linalg.svd(a, full_matrices=False).Vh ** 2, TALL.T),
    "qr": (lambda L, a: L.linalg.qr(a), TALL),
    "matrix_exp": (lambda L, a: L.linalg.matrix_exp(a), A),
    "matrix_exp_large": (lambda L, a: L.matrix_exp(a * 3), A),
    "pinv": (lambda L, a: L.linalg.pinv(a), TALL),
    "pinverse": (lambda L, a: L.pinverse(a), TALL),
    "matrix_power": (lambda L, a: L.linalg.matrix_power(a, 3), A),
    "matrix_power_neg": (lambda L, a: L.matrix_power(a, -2), A),
    "matrix_power_zero": (lambda L, a: L.linalg.matrix_power(a, 0), A),
    "cross": (lambda L, a, b: L.linalg.cross(a, b), A, A[::-1].copy()),
    "cross_dim0": (lambda L, a, b: L.cross(a, b, dim=0), A, A[::-1].copy()),
    "vector_norm": (lambda L, a: L.linalg.vector_norm(a, 3, dim=1), A),
    "vector_norm_inf": (lambda L, a: L.linalg.vector_norm(a, float("inf")), A),
    "matrix_norm_fro": (lambda L, a: L.linalg.matrix_norm(a), TALL),
    "matrix_norm_nuc": (lambda L, a: L.linalg.matrix_norm(a, "nuc"), TALL),
    "matrix_norm_2": (lambda L, a: L.linalg.matrix_norm(a, 2), TALL),
    "matrix_norm_1": (lambda L, a: L.linalg.matrix_norm(a, 1), TALL),
    "matrix_norm_inf": (lambda L, a: L.linalg.matrix_norm(a, float("inf")), TALL),
    "norm": (lambda L, a: L.linalg.norm(a), TALL),
    "norm_ord": (lambda L, a: L.linalg.norm(a, 1, dim=0), TALL),
    "multi_dot": (lambda L, a, b: L.linalg.multi_dot([a, a, b]), A, B),
    "vecdot": (lambda L, a, b: L.linalg.vecdot(a, b), A, A),
    "tensordot": (lambda L, a, b: L.tensordot(a, b, 1), A, B),
    "tensordot_pairs": (lambda L, a, b: L.tensordot(a, b, ([0], [0])), A, B),
    "chain_matmul": (lambda L, a, b: L.chain_matmul(a, a, b), A, B),
    "svd_legacy": (lambda L, a: L.svd(a)[1], TALL),
    "qr_legacy_r": (lambda L, a: L.qr(a)[1].abs(), TALL),
}


@pytest.mark.parametrize("name", list(LINALG))
def test_linalg_matches_torch(torch, name):
    fn, *arrays = LINALG[name]
    check(fn, *arrays, torch=torch, name=name, rtol=1e-5, atol=1e-8)


def test_linalg_no_grad_results(torch):
    check(lambda L, a: L.linalg.matrix_rank(a), TALL, grad=False, torch=torch)
    check(lambda L, a: L.linalg.matrix_rank(a @ a.mT), TALL, grad=False, torch=torch)


def test_linalg_errors(torch):
    same_error(lambda L: L.linalg.inv(L.zeros(2, 3)), torch=torch, match="square matrices")
    with pytest.raises(torch.linalg.LinAlgError):
        torch.linalg.inv(torch.zeros(2, 2))
    with pytest.raises(ag.linalg.LinAlgError, match="singular"):
        ag.linalg.inv(ag.zeros(2, 2))
    same_error(lambda L: L.linalg.det(L.ones(3, dtype=L.int64)), torch=torch)
    same_error(lambda L: L.linalg.cross(L.zeros(2), L.zeros(2)), torch=torch, match="length 3")
    with pytest.raises(RuntimeError, match="complex"):
        ag.linalg.eig(ag.eye(2))


# --- stats and miscellany ---
STATS = {
    "quantile": (lambda L, a: L.quantile(a, 0.3, dim=1), X),
    "quantile_all": (lambda L, a: L.quantile(a, 0.75), X),
    "quantile_vector": (
        lambda L, a: L.quantile(a, L.tensor([0.25, 0.5], dtype=L.float64), dim=0, keepdim=True),
        X,
    ),
    "quantile_modes": (
        lambda L, a: [
            a.quantile(0.4, 1, interpolation=m) for m in ("lower", "higher", "midpoint", "nearest")
        ],
        X,
    ),
    "nanquantile": (
        lambda L, a: L.nanquantile(a, 0.5, dim=1),
        np.array([[1.0, np.nan, 3], [4, 5, np.nan]]),
    ),
    "cov": (lambda L, a: L.cov(a), X),
    "cov_weights": (
        lambda L, a: L.cov(
            a,
            fweights=L.tensor([1, 2, 1, 1]),
            aweights=L.tensor([0.5, 1.0, 2.0, 1.0], dtype=L.float64),
        ),
        X,
    ),
    "corrcoef": (lambda L, a: L.corrcoef(a), X),
    "dist": (lambda L, a, b: L.dist(a, b), X, X[::-1].copy()),
    "dist_p1": (lambda L, a, b: a.dist(b, 1), X, X[::-1].copy()),
    "trapezoid": (lambda L, a: L.trapezoid(a), X),
    "trapezoid_dx": (lambda L, a: L.trapezoid(a, dx=0.5, dim=0), X),
    "trapezoid_x": (lambda L, a, x: L.trapz(a, x), X, np.array([0.0, 1.0, 3.0, 4.0])),
    "cumulative_trapezoid": (lambda L, a: L.cumulative_trapezoid(a), X),
    "copysign": (lambda L, a, b: L.copysign(a, b), X, np.array([-1.0, 0.0, -0.0, 2.0])),
    "diagflat": (lambda L, a: L.diagflat(a[0], 1), X),
    "vander": (lambda L, a: L.vander(a[0].detach(), 3), X),
    "combinations": (lambda L, a: L.combinations(a[0], 2), X),
    "fill": (lambda L, a: L.fill(a, 3.0), X),
}


@pytest.mark.parametrize("name", list(STATS))
def test_stats_and_misc_match_torch(torch, name):
    fn, *arrays = STATS[name]
    check(fn, *arrays, torch=torch, name=name, rtol=1e-6)


def test_no_grad_misc_match_torch(torch):
    ints = np.array([12, 18, 7, 0])
    cases = [
        (lambda L, a: L.isin(a, L.tensor([18, 0])), ints),
        (lambda L, a: L.gcd(a, L.tensor([8, 27, 14, 5])), ints),
        (lambda L, a: L.lcm(a, L.tensor([8, 27, 14, 5])), ints),
        (lambda L, a: L.heaviside(a.double() - 7, L.tensor(0.5, dtype=L.float64)), ints),
        (lambda L: L.tril_indices(3, 4, 1),),
        (lambda L: L.triu_indices(4, 3, -1),),
        (lambda L: L.logspace(0, 2, 3),),
        (lambda L: L.scalar_tensor(3),),
        (lambda L, a: repr(L.result_type(a, 1.0)).split(".")[-1], ints),
        (lambda L, a: repr(L.result_type(a, L.tensor(1.5))).split(".")[-1], ints),
        (lambda L: L.can_cast(L.float32, L.int32),),
        (lambda L: L.can_cast(L.int32, L.float32),),
        (lambda L, a: (L.is_signed(a), L.is_same_size(a, a), L.is_complex(a), L.is_conj(a)), ints),
        (lambda L, a: (L.conj(a), L.resolve_conj(a), L.real(a), a.real, a.conj()), ints),
        (lambda L, a: (a.byte(), a.char(), a.short()), ints),
        (lambda L: L.fft.fftfreq(5, 0.5),),
        (lambda L: L.fft.rfftfreq(6),),
        (lambda L, a: L.fft.fftshift(a), ints),
        (lambda L, a: L.fft.ifftshift(a.reshape(2, 2), dim=1), ints),
        (lambda L, a: L.functional.einsum("i,i->", a, a), ints),
    ]
    for i, (fn, *arrays) in enumerate(cases):
        check(fn, *arrays, grad=False, torch=torch, name=f"case {i}")


def test_resize_apply_map_and_rng_state(torch):
    x, t = ag.arange(6.0).reshape(2, 3), torch.arange(6.0).reshape(2, 3)
    assert x.resize_(3, 2).tolist() == t.resize_(3, 2).tolist()
    assert x.resize_(2, 2).tolist() == t.resize_(2, 2).tolist()
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        assert x.resize(4).tolist() == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(RuntimeError, match="require grad"):
        ag.zeros(2, requires_grad=True).resize_(3)
    y = ag.tensor([1.0, 2.0])
    assert y.apply_(lambda v: v * 10) is y and y.tolist() == [10.0, 20.0]
    assert y.map_(ag.tensor([1.0]), lambda a, b: a + b).tolist() == [11.0, 21.0]
    state = ag.get_rng_state()
    assert state.dtype is ag.uint8
    first = ag.rand(3)
    ag.set_rng_state(state)
    assert ag.rand(3).tolist() == first.tolist()
    with pytest.raises(RuntimeError, match="not a state"):
        ag.set_rng_state(ag.zeros(3, dtype=ag.uint8))
    ag.manual_seed(5)
    assert ag.initial_seed() == 5 and isinstance(ag.seed(), int)


def test_names_that_raise_by_design(torch):
    same_error(lambda L: L.zeros(2).imag, torch=torch, match="non-complex dtypes")
    same_error(
        lambda L: L.view_as_real(L.zeros(2)), torch=torch, match="only supported for complex"
    )
    for call in (
        lambda: ag.view_as_complex(ag.zeros(2, 2)),
        lambda: ag.complex(ag.zeros(1), ag.zeros(1)),
        lambda: ag.polar(ag.ones(1), ag.zeros(1)),
        lambda: ag.fft.fft(ag.zeros(4)),
        lambda: ag.fft.rfft2(ag.zeros(2, 2)),
    ):
        with pytest.raises(RuntimeError, match="complex"):
            call()
    for call in (
        lambda: ag.sparse_coo_tensor(ag.tensor([[0]]), ag.ones(1), (2,)),
        lambda: ag.zeros(2).to_sparse(),
        lambda: ag.spmm(ag.eye(2), ag.eye(2)),
    ):
        with pytest.raises(RuntimeError, match="sparse"):
            call()
    for call in (
        lambda: ag.nested.nested_tensor([ag.zeros(2)]),
        lambda: ag.zeros(2).to_padded_tensor(0),
    ):
        with pytest.raises(RuntimeError, match="nested"):
            call()
    for call in (
        lambda: ag.hub.load("pytorch/vision", "resnet18"),
        lambda: ag.hub.load_state_dict_from_url("https://example.com/w.pth"),
        lambda: ag.hub.list("pytorch/vision"),
    ):
        with pytest.raises(RuntimeError, match="does not download"):
            call()
    ag.hub.set_dir("/tmp/hub")
    assert ag.hub.get_dir() == "/tmp/hub"
    assert ag.zeros(2).to_dense().tolist() == [0.0, 0.0] and ag.jagged is not None
    assert ag.version.__version__ == ag.__version__ and ag.version.hip is None


# --- func ---
def test_func_transforms_match_torch(torch):
    x = np.array([1.0, 2.0, 3.0])

    def cubic(L):
        return lambda t: (t**3).sum()

    def vec(L):
        return lambda t: t.exp() * t[0]

    def both(L):
        f = L.func
        return {
            "grad": f.grad(cubic(L))(L.tensor(x)),
            "grad_grad": f.grad(lambda t: f.grad(lambda u: (u**3).sum())(t).sum())(L.tensor(x)),
            "grad_and_value": f.grad_and_value(cubic(L))(L.tensor(x)),
            "grad_aux": f.grad(lambda t: ((t**2).sum(), t * 2), has_aux=True)(L.tensor(x)),
            "grad_argnums": f.grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(
                L.tensor(x), L.tensor(x * 2)
            ),
            "jacrev": f.jacrev(vec(L))(L.tensor(x)),
            "jacfwd": f.jacfwd(vec(L))(L.tensor(x)),
            "hessian": f.hessian(lambda t: (t.sin() * t).sum())(L.tensor(x)),
            "jvp": f.jvp(vec(L), (L.tensor(x),), (L.ones(3, dtype=L.float64),)),
            "vjp": f.vjp(vec(L), L.tensor(x))[1](L.ones(3, dtype=L.float64)),
            "vmap": f.vmap(lambda a, b: (a * b).sum())(
                L.tensor([[1.0, 2], [3, 4]]), L.tensor([[1.0, 1], [2, 2]])
            ),
            "vmap_in_dims": f.vmap(lambda a, b: a * b, in_dims=(1, None))(
                L.tensor([[1.0, 2], [3, 4]]), L.tensor(2.0)
            ),
            "vmap_out_dims": f.vmap(lambda a: a * 2, out_dims=1)(L.tensor([[1.0, 2], [3, 4]])),
        }

    ours, theirs = both(ag), both(torch)
    for key in theirs:
        check(lambda L, k=key: ours[k] if L is ag else theirs[k], grad=False, torch=torch, name=key)


def test_functional_call_and_stack_module_state(torch):
    import nn

    m = nn.Linear(2, 1)
    zeros = {k: ag.zeros_like(v) for k, v in m.named_parameters()}
    before = m.weight.numpy().copy()
    assert ag.func.functional_call(m, zeros, (ag.ones(1, 2),)).tolist() == [[0.0]]
    assert np.array_equal(m.weight.numpy(), before)  # the module is unchanged afterwards
    w = ag.ones(1, 2, requires_grad=True)
    out = ag.func.functional_call(m, ({"weight": w}, {"bias": ag.zeros(1)}), ag.ones(3, 2))
    out.sum().backward()
    assert w.grad.tolist() == [[3.0, 3.0]]
    params, buffers = ag.func.stack_module_state([nn.Linear(2, 1), nn.Linear(2, 1)])
    assert params["weight"].shape == (2, 1, 2) and params["weight"].requires_grad and not buffers
    with pytest.raises(ValueError, match="at least one input must be mapped"):
        ag.func.vmap(lambda a: a, in_dims=None)(ag.zeros(2))
    with pytest.raises(RuntimeError, match="scalar Tensor"):
        ag.func.grad(lambda t: t * 2)(ag.ones(2))


# --- utils: pytree, benchmark, model_zoo ---
def test_pytree_matches_torch(torch):
    from collections import namedtuple

    from torch.utils import _pytree as theirs

    from autograd_engine.utils import _pytree as ours

    Point = namedtuple("Point", "x y")
    tree = {"a": [1, (2, 3)], "b": Point(4, [5]), "c": 6}
    leaves, spec = ours.tree_flatten(tree)
    assert leaves == theirs.tree_flatten(tree)[0] == [1, 2, 3, 4, 5, 6]
    assert ours.tree_unflatten([x * 10 for x in leaves], spec) == theirs.tree_unflatten(
        [x * 10 for x in leaves], theirs.tree_flatten(tree)[1]
    )
    assert ours.tree_map(lambda v: v + 1, tree) == theirs.tree_map(lambda v: v + 1, tree)
    assert ours.tree_leaves(tree) == leaves and spec.num_leaves == 6
    with pytest.raises(ValueError, match="holds 6 items"):
        ours.tree_unflatten([1], spec)


def test_benchmark_timer_and_vmap_alias():
    timer = ag.utils.benchmark.Timer("x + 1", setup="y = 2", globals={"x": ag.zeros(4)})
    m = timer.timeit(200)
    assert m.number_per_run == 200 and len(m.times) == 1 and 0 < m.mean < 1
    assert "x + 1" in repr(m) and "200 runs" in repr(m)
    auto = timer.blocked_autorange(min_run_time=0.02)
    assert len(auto.times) >= 1 and auto.median > 0 and auto.iqr >= 0
    assert timer.adaptive_autorange(max_run_time=0.05).median > 0
    assert ag.vmap is ag.func.vmap
    with pytest.raises(RuntimeError, match="does not download"):
        ag.utils.model_zoo.load_url("https://example.com/w.pth")
