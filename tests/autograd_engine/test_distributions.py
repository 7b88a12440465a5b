"""``distributions`` against ``torch.distributions`` in float64: log_prob, entropy, cdf/icdf,
moments, KL divergences and their gradients with respect to the parameters; shapes of samples,
moments of samples (fixed seeds, tolerances of several standard errors), gradients through
``rsample``; PyTorch's validation errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine import distributions as D
from autograd_engine.distributions import constraints

torch = pytest.importorskip("torch", reason="torch (the oracle) is not installed")
TD = torch.distributions

RNG = np.random.default_rng(0)
LOC = RNG.normal(size=(2, 3))
SCALE = RNG.uniform(0.5, 2.0, size=(2, 3))
VALUE = RNG.normal(size=(4, 2, 3))
LOGITS = RNG.normal(size=(2, 4))
PROBS = RNG.uniform(0.1, 0.9, size=(2, 3))
A = RNG.normal(size=(2, 3, 3))
COV = A @ np.swapaxes(A, -1, -2) + 3 * np.eye(3)
MVN_LOC = RNG.normal(size=(2, 3))
MVN_X = RNG.normal(size=(5, 2, 3))


def pair(a, requires_grad=True):
    a = np.asarray(a, dtype=np.float64)
    return (
        ag.tensor(a, requires_grad=requires_grad),
        torch.tensor(a, requires_grad=requires_grad),
    )


def close(ours, theirs, rtol=1e-10, atol=1e-12):
    theirs = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    ours = ours.detach().numpy() if hasattr(ours, "detach") else np.asarray(ours)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


def grads(lib, out, params):
    gs = lib.autograd.grad(out.sum(), params, allow_unused=True)
    return [None if g is None else g for g in gs]


def same_grads(out, tout, params, tparams, rtol=1e-9):
    for g, tg in zip(grads(ag, out, params), grads(torch, tout, tparams)):
        assert (g is None) == (tg is None)
        if g is not None:
            close(g, tg, rtol=rtol, atol=1e-11)


# --- builders: the same distribution in both libraries ----------------------------------------
def normal():
    (loc, tloc), (scale, tscale) = pair(LOC), pair(SCALE)
    return D.Normal(loc, scale), TD.Normal(tloc, tscale), [loc, scale], [tloc, tscale]


def bernoulli_probs():
    p, tp = pair(PROBS)
    return D.Bernoulli(probs=p), TD.Bernoulli(probs=tp), [p], [tp]


def bernoulli_logits():
    lg, tlg = pair(LOGITS[:, :3])
    return D.Bernoulli(logits=lg), TD.Bernoulli(logits=tlg), [lg], [tlg]


def categorical_logits():
    lg, tlg = pair(LOGITS)
    return D.Categorical(logits=lg), TD.Categorical(logits=tlg), [lg], [tlg]


def categorical_probs():
    p, tp = pair(np.exp(LOGITS))
    return D.Categorical(probs=p), TD.Categorical(probs=tp), [p], [tp]


def one_hot():
    lg, tlg = pair(LOGITS)
    return D.OneHotCategorical(logits=lg), TD.OneHotCategorical(logits=tlg), [lg], [tlg]


def uniform():
    (lo, tlo), (hi, thi) = pair(LOC - 3), pair(LOC + SCALE + 3)
    return D.Uniform(lo, hi), TD.Uniform(tlo, thi), [lo, hi], [tlo, thi]


def mvn(kind="covariance_matrix"):
    (loc, tloc), (m, tm) = pair(MVN_LOC), pair(COV)
    if kind == "covariance_matrix":
        d = D.MultivariateNormal(loc, covariance_matrix=m)
        return d, TD.MultivariateNormal(tloc, covariance_matrix=tm), [loc, m], [tloc, tm]
    if kind == "precision_matrix":
        d = D.MultivariateNormal(loc, precision_matrix=m)
        return d, TD.MultivariateNormal(tloc, precision_matrix=tm), [loc, m], [tloc, tm]
    L = np.linalg.cholesky(COV)
    (s, ts) = pair(L)
    return (D.MultivariateNormal(loc, scale_tril=s), TD.MultivariateNormal(tloc, scale_tril=ts),
            [loc, s], [tloc, ts])  # fmt: skip


def independent():
    d, td, p, tp = normal()
    return D.Independent(d, 1), TD.Independent(td, 1), p, tp


BUILDERS = {
    "normal": normal,
    "bernoulli_probs": bernoulli_probs,
    "bernoulli_logits": bernoulli_logits,
    "categorical_logits": categorical_logits,
    "categorical_probs": categorical_probs,
    "one_hot": one_hot,
    "uniform": uniform,
    "mvn_cov": lambda: mvn("covariance_matrix"),
    "mvn_precision": lambda: mvn("precision_matrix"),
    "mvn_scale_tril": lambda: mvn("scale_tril"),
    "independent": independent,
}


def values_for(name):
    if name.startswith("bernoulli"):
        return (RNG.uniform(size=(4, 2, 3)) < 0.5).astype(np.float64)
    if name.startswith("categorical"):
        return np.array([[0, 3], [2, 1], [1, 1]], dtype=np.int64)
    if name == "one_hot":
        return np.eye(4)[np.array([[0, 3], [2, 1], [1, 1]])]
    if name.startswith("mvn"):
        return MVN_X
    if name == "uniform":
        return np.clip(VALUE, LOC - 2.9, LOC + SCALE + 2.9)
    return VALUE


@pytest.mark.parametrize("name", list(BUILDERS))
def test_shapes_and_moments_match_torch(name):
    d, td, _, _ = BUILDERS[name]()
    assert d.batch_shape == tuple(td.batch_shape) and d.event_shape == tuple(td.event_shape)
    assert d.has_rsample == td.has_rsample
    assert d.has_enumerate_support == td.has_enumerate_support
    for moment in ("mean", "variance", "stddev"):
        close(getattr(d, moment), getattr(td, moment))


@pytest.mark.parametrize("name", list(BUILDERS))
def test_log_prob_entropy_and_their_gradients_match_torch(name):
    d, td, params, tparams = BUILDERS[name]()
    v = values_for(name)
    value = ag.tensor(v)
    tvalue = torch.tensor(v)
    lp, tlp = d.log_prob(value), td.log_prob(tvalue)
    close(lp, tlp)
    same_grads(lp, tlp, params, tparams)
    d, td, params, tparams = BUILDERS[name]()
    h, th = d.entropy(), td.entropy()
    close(h, th)
    same_grads(h, th, params, tparams)
    d, td, _, _ = BUILDERS[name]()
    close(d.perplexity(), td.perplexity())


def test_normal_cdf_icdf_match_torch_with_gradients():
    d, td, params, tparams = normal()
    c, tc = d.cdf(ag.tensor(VALUE)), td.cdf(torch.tensor(VALUE))
    close(c, tc)
    same_grads(c, tc, params, tparams)
    q = RNG.uniform(0.05, 0.95, size=(2, 3))
    (qq, tqq) = pair(q)
    d, td, params, tparams = normal()
    i, ti = d.icdf(qq), td.icdf(tqq)
    close(i, ti)
    same_grads(i, ti, params + [qq], tparams + [tqq])
    (g,) = ag.autograd.grad(d.icdf(qq).sum(), qq, create_graph=True)  # second order
    (tg,) = torch.autograd.grad(td.icdf(tqq).sum(), tqq, create_graph=True)
    close(ag.autograd.grad(g.sum(), qq)[0], torch.autograd.grad(tg.sum(), tqq)[0], rtol=1e-8)


def test_uniform_cdf_icdf_and_out_of_support_log_prob_match_torch():
    d, td, _, _ = uniform()
    v = values_for("uniform")
    close(d.cdf(ag.tensor(v)), td.cdf(torch.tensor(v)))
    q = RNG.uniform(size=(2, 3))
    close(d.icdf(ag.tensor(q)), td.icdf(torch.tensor(q)))
    d = D.Uniform(ag.tensor([0.0, 0.0], dtype=ag.float64), ag.tensor([1.0, 2.0], dtype=ag.float64),
                  validate_args=False)  # fmt: skip
    td = TD.Uniform(torch.tensor([0.0, 0.0]).double(), torch.tensor([1.0, 2.0]).double(),
                    validate_args=False)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy warning for log(0)
        close(d.log_prob(ag.tensor([1.5, 1.5], dtype=ag.float64)),
              td.log_prob(torch.tensor([1.5, 1.5]).double()))  # fmt: skip


KL_PAIRS = [
    ("normal", "normal"),
    ("bernoulli_probs", "bernoulli_logits"),
    ("categorical_logits", "categorical_probs"),
    ("one_hot", "one_hot"),
    ("uniform", "uniform"),
    ("mvn_cov", "mvn_scale_tril"),
    ("mvn_precision", "mvn_cov"),
    ("independent", "independent"),
    ("uniform", "normal"),
    ("normal", "uniform"),
]


def _other(name):
    """A second distribution of the same kind with other parameters."""
    d, td, params, tparams = BUILDERS[name]()
    shift = {"normal": 0.3, "uniform": 1.0, "independent": 0.3}.get(name)
    if shift is None:
        return d, td, params, tparams
    if name == "uniform":
        (lo, tlo), (hi, thi) = pair(LOC - 3.5), pair(LOC + SCALE + 4)
        return D.Uniform(lo, hi), TD.Uniform(tlo, thi), [lo, hi], [tlo, thi]
    (loc, tloc), (scale, tscale) = pair(LOC[::-1].copy() + shift), pair(SCALE[:, ::-1].copy())
    d, td = D.Normal(loc, scale), TD.Normal(tloc, tscale)
    if name == "independent":
        d, td = D.Independent(d, 1), TD.Independent(td, 1)
    return d, td, [loc, scale], [tloc, tscale]


@pytest.mark.parametrize("p_name, q_name", KL_PAIRS)
def test_kl_divergence_and_gradients_match_torch(p_name, q_name):
    p, tp, pp, tpp = BUILDERS[p_name]()
    q, tq, qp, tqp = _other(q_name) if p_name == q_name else BUILDERS[q_name]()
    kl, tkl = D.kl_divergence(p, q), TD.kl_divergence(tp, tq)
    close(kl, tkl)
    if np.isfinite(tkl.detach().numpy()).all():
        same_grads(kl, tkl, pp + qp, tpp + tqp)


def test_kl_infinite_where_supports_do_not_nest_like_torch():
    for lib, mk in ((D, lambda a: ag.tensor(a, dtype=ag.float64)), (TD, torch.tensor)):
        p = lib.Uniform(mk([0.0, 0.0]), mk([2.0, 1.0]))
        q = lib.Uniform(mk([0.5, -1.0]), mk([3.0, 3.0]))
        kl = lib.kl_divergence(p, q)
        assert math.isinf(float(kl[0])) and math.isfinite(float(kl[1]))
    b, tb = D.Bernoulli(probs=ag.tensor([0.0, 0.5])), TD.Bernoulli(probs=torch.tensor([0.0, 0.5]))
    c, tc = D.Bernoulli(probs=ag.tensor([0.5, 1.0])), TD.Bernoulli(probs=torch.tensor([0.5, 1.0]))
    close(D.kl_divergence(b, c), TD.kl_divergence(tb, tc))


def test_kl_of_an_unregistered_pair_raises_like_torch():
    for lib, c, n in ((D, ag.zeros(3), ag.ones(3)), (TD, torch.zeros(3), torch.ones(3))):
        with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p"):
            lib.kl_divergence(lib.Categorical(logits=c), lib.Normal(c, n))


def test_register_kl_adds_a_pair():
    class MyNormal(D.Normal):
        pass

    @D.register_kl(MyNormal, D.Normal)
    def _kl(p, q):
        return p.loc * 0 + 42

    p = MyNormal(ag.zeros(2), ag.ones(2))
    assert D.kl_divergence(p, D.Normal(ag.zeros(2), ag.ones(2))).tolist() == [42.0, 42.0]
    with pytest.raises(TypeError, match="Distribution subclass"):
        D.register_kl(int, D.Normal)


# --- sampling --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(BUILDERS))
def test_sample_shapes_and_dtypes_match_torch(name):
    d, td, _, _ = BUILDERS[name]()
    for shape in ((), (5,), (2, 4)):
        s, ts = d.sample(shape), td.sample(shape)
        assert tuple(s.shape) == tuple(ts.shape)
        assert str(s.dtype) == str(ts.dtype).replace("torch.", "autograd_engine.")
        assert not s.requires_grad
        if d.has_rsample:
            r = d.rsample(shape)
            assert tuple(r.shape) == tuple(ts.shape) and r.requires_grad


N = 40_000


def _within(sample_mean, mean, sd, n=N, k=5.0):
    np.testing.assert_array_less(np.abs(sample_mean - mean), k * sd / math.sqrt(n) + 1e-12)


def test_normal_and_uniform_samples_have_the_right_moments():
    ag.manual_seed(1)
    d = D.Normal(ag.tensor(LOC), ag.tensor(SCALE))
    s = d.sample((N,)).numpy()
    _within(s.mean(0), LOC, SCALE)
    np.testing.assert_allclose(s.std(0), SCALE, rtol=0.03)
    u = D.Uniform(ag.tensor(LOC), ag.tensor(LOC + SCALE)).sample((N,)).numpy()
    assert (u >= LOC).all() and (u < LOC + SCALE).all()
    _within(u.mean(0), LOC + SCALE / 2, SCALE / math.sqrt(12))


def test_bernoulli_and_categorical_frequencies():
    ag.manual_seed(2)
    s = D.Bernoulli(probs=ag.tensor(PROBS)).sample((N,)).numpy()
    assert set(np.unique(s)) <= {0.0, 1.0}
    _within(s.mean(0), PROBS, np.sqrt(PROBS * (1 - PROBS)))
    probs = np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)
    c = D.Categorical(logits=ag.tensor(LOGITS)).sample((N,)).numpy()
    assert c.dtype == np.int64 and c.min() >= 0 and c.max() < 4
    for k in range(4):
        _within((c == k).mean(0), probs[:, k], np.sqrt(probs[:, k] * (1 - probs[:, k])))
    h = D.OneHotCategorical(logits=ag.tensor(LOGITS)).sample((N,)).numpy()
    assert h.shape == (N, 2, 4) and (h.sum(-1) == 1).all() and set(np.unique(h)) <= {0.0, 1.0}
    _within(h.mean(0), probs, np.sqrt(probs * (1 - probs)))


def test_multivariate_normal_samples_have_the_covariance():
    ag.manual_seed(3)
    d = D.MultivariateNormal(ag.tensor(MVN_LOC), covariance_matrix=ag.tensor(COV))
    s = d.sample((N,)).numpy()
    _within(s.mean(0), MVN_LOC, np.sqrt(np.diagonal(COV, axis1=-2, axis2=-1)))
    for b in range(2):
        np.testing.assert_allclose(np.cov(s[:, b].T), COV[b], rtol=0.05, atol=0.1)


def test_samples_follow_the_global_seed():
    ag.manual_seed(7)
    a = D.Normal(0.0, 1.0).sample((3,)).numpy()
    ag.manual_seed(7)
    np.testing.assert_array_equal(D.Normal(0.0, 1.0).sample((3,)).numpy(), a)


def test_rsample_gradients_are_the_reparameterization():
    ag.manual_seed(4)
    loc, scale = ag.tensor(LOC, requires_grad=True), ag.tensor(SCALE, requires_grad=True)
    x = D.Normal(loc, scale).rsample((7,))
    gl, gs = ag.autograd.grad(x.sum(), (loc, scale))
    eps = (x.detach().numpy() - LOC) / SCALE
    np.testing.assert_allclose(gl.numpy(), np.full(LOC.shape, 7.0))
    np.testing.assert_allclose(gs.numpy(), eps.sum(0), rtol=1e-10)
    low, high = ag.tensor(LOC, requires_grad=True), ag.tensor(LOC + SCALE, requires_grad=True)
    u = D.Uniform(low, high).rsample((5,))
    glo, ghi = ag.autograd.grad(u.sum(), (low, high))
    frac = (u.detach().numpy() - LOC) / SCALE
    np.testing.assert_allclose(ghi.numpy(), frac.sum(0), rtol=1e-10)
    np.testing.assert_allclose(glo.numpy(), (1 - frac).sum(0), rtol=1e-10)
    mloc = ag.tensor(MVN_LOC, requires_grad=True)
    L = ag.tensor(np.linalg.cholesky(COV), requires_grad=True)
    y = D.MultivariateNormal(mloc, scale_tril=L).rsample((6,))
    gloc, gL = ag.autograd.grad(y.sum(), (mloc, L))
    eps = np.linalg.solve(np.linalg.cholesky(COV)[None], (y.detach().numpy() - MVN_LOC)[..., None])
    np.testing.assert_allclose(gloc.numpy(), np.full(MVN_LOC.shape, 6.0))
    np.testing.assert_allclose(gL.numpy(), np.broadcast_to(eps[..., 0].sum(0)[:, None, :],
                                                           (2, 3, 3)), rtol=1e-9)  # fmt: skip


def test_expand_matches_torch():
    for name in ("normal", "bernoulli_probs", "categorical_logits", "uniform", "mvn_cov",
                 "independent", "one_hot"):  # fmt: skip
        d, td, _, _ = BUILDERS[name]()
        e, te = d.expand((5,) + d.batch_shape), td.expand((5,) + td.batch_shape)
        assert e.batch_shape == tuple(te.batch_shape) and e.event_shape == tuple(te.event_shape)
        v = values_for(name)[:1]
        close(e.log_prob(ag.tensor(v)), te.log_prob(torch.tensor(v)))


def test_enumerate_support_matches_torch():
    for name in ("bernoulli_probs", "categorical_logits", "one_hot"):
        d, td, _, _ = BUILDERS[name]()
        for expand in (True, False):
            close(d.enumerate_support(expand), td.enumerate_support(expand))


# --- validation ------------------------------------------------------------------------------
def test_parameter_validation_errors_match_torch():
    cases = [
        lambda lib, t: lib.Normal(t([0.0, 0.0]), t([1.0, -1.0])),
        lambda lib, t: lib.Bernoulli(probs=t([0.5, 1.5])),
        lambda lib, t: lib.Categorical(probs=t([[0.5, -0.1]])),
        lambda lib, t: lib.Uniform(t([1.0]), t([0.0])),
        lambda lib, t: lib.MultivariateNormal(t([0.0, 0.0]), covariance_matrix=t([[1.0, 2.0],
                                                                                   [2.0, 1.0]])),
        lambda lib, t: lib.MultivariateNormal(t([0.0, 0.0]), scale_tril=t([[1.0, 1.0],
                                                                            [0.0, 1.0]])),
    ]  # fmt: skip
    for case in cases:
        with pytest.raises(ValueError) as ours:
            case(D, lambda a: ag.tensor(a, dtype=ag.float64))
        with pytest.raises(ValueError) as theirs:
            case(TD, lambda a: torch.tensor(a, dtype=torch.float64))
        head = str(theirs.value).split(" of distribution")[0]
        assert str(ours.value).startswith(head)
        assert "to satisfy the constraint" in str(ours.value)
        tail = str(theirs.value).split("to satisfy the constraint ")[1].split(",")[0]
        assert f"to satisfy the constraint {tail}" in str(ours.value)


def test_sample_validation_errors_match_torch():
    for lib, t in ((D, lambda a: ag.tensor(a, dtype=ag.float64)),
                   (TD, lambda a: torch.tensor(a, dtype=torch.float64))):  # fmt: skip
        n = lib.Normal(t([0.0, 0.0, 0.0]), t([1.0, 1.0, 1.0]))
        with pytest.raises(ValueError, match="Value is not broadcastable with batch_shape"):
            n.log_prob(t([0.0, 0.0]))
        with pytest.raises(ValueError, match="The value argument to log_prob must be a Tensor"):
            n.log_prob([0.0, 0.0, 0.0])
        with pytest.raises(ValueError, match="to be within the support \\(Boolean\\(\\)\\)"):
            lib.Bernoulli(probs=t([0.2, 0.5])).log_prob(t([0.5, 1.0]))
        with pytest.raises(ValueError, match="The right-most size of value must match"):
            lib.MultivariateNormal(t([0.0, 0.0]), scale_tril=t([[1.0, 0.0], [0.0, 1.0]])
                                   ).log_prob(t([0.0, 0.0, 0.0]))  # fmt: skip
        with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified"):
            lib.Categorical()
        with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision"):
            lib.MultivariateNormal(t([0.0]))
        with pytest.raises(ValueError, match="Expected reinterpreted_batch_ndims <="):
            lib.Independent(lib.Normal(t([0.0]), t([1.0])), 2)
        lib.Normal(t([0.0]), t([-1.0]), validate_args=False)  # off: no error


def test_set_default_validate_args_like_torch():
    try:
        for lib in (D, TD):
            lib.Distribution.set_default_validate_args(False)
            lib.Normal(0.0, -1.0)  # no error
            lib.Distribution.set_default_validate_args(True)
            with pytest.raises(ValueError):
                lib.Normal(0.0, -1.0)
            with pytest.raises(ValueError):
                lib.Distribution.set_default_validate_args("yes")
    finally:
        D.Distribution.set_default_validate_args(True)
        TD.Distribution.set_default_validate_args(True)


def test_constraints_match_torch():
    C, TC = constraints, TD.constraints
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, np.nan])
    for name in ("real", "positive", "unit_interval", "boolean"):
        ours = getattr(C, name).check(ag.tensor(x)).numpy()
        theirs = getattr(TC, name).check(torch.tensor(x)).numpy()
        np.testing.assert_array_equal(ours, theirs, err_msg=name)
        assert repr(getattr(C, name)) == repr(getattr(TC, name))
    assert repr(C.integer_interval(0, 3)) == repr(TC.integer_interval(0, 3))
    assert repr(C.real_vector) == repr(TC.real_vector)
    for m in (COV, -COV, A):
        for name in ("positive_definite", "lower_cholesky"):
            ours = getattr(C, name).check(ag.tensor(m)).numpy()
            np.testing.assert_array_equal(ours, getattr(TC, name).check(torch.tensor(m)).numpy())


def test_repr_is_torchs():
    assert repr(D.Normal(0.0, 1.0)) == repr(TD.Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    assert repr(D.Independent(D.Normal(0.0, 1.0).expand((3,)), 1)).startswith("Independent(")


def test_log_prob_is_differentiable_twice():
    (loc, _), (scale, _) = pair(LOC), pair(SCALE)
    assert ag.autograd.gradgradcheck(lambda a, b: D.Normal(a, b).log_prob(ag.tensor(VALUE)),
                                     (loc, scale))  # fmt: skip
    L = ag.tensor(np.linalg.cholesky(COV[0]), requires_grad=True)

    def mvn_lp(mloc, L):
        return D.MultivariateNormal(mloc, scale_tril=L, validate_args=False).log_prob(
            ag.tensor(MVN_X[:, 0])
        )

    assert ag.autograd.gradcheck(mvn_lp, (ag.tensor(MVN_LOC[0], requires_grad=True), L))
