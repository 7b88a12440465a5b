"""The gradient-test registry: one row per differentiable op (its function, the node classes it
covers, input domains, shape and argument strategies, tolerances, second order or not).
``test_gradients.py`` checks every row against float64 central differences."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograd_engine as ag
from autograd_engine import ops

Shapes = st.SearchStrategy  # a strategy of tuples of shapes, one per input


@dataclass(frozen=True)
class OpSpec:
    """A row of the registry.

    fn: ``fn(*tensors, **kwargs) -> Tensor``.
    nodes: the node classes this row exercises (every Node subclass must be covered).
    shapes: strategy drawing a tuple of input shapes.
    domain: (low, high) for every input, or a tuple of such pairs, one per input.
    kwargs: function from the drawn shapes to a strategy of keyword arguments.
    kinks: values the inputs keep at least ``margin`` away from (non-differentiable points).
    valid: extra predicate on the input arrays (e.g. no ties between two inputs).
    unique: draw distinct values (ops whose gradient depends on ties).
    case: for ops whose arguments depend on the shapes, a strategy of (shapes, kwargs).
    """

    name: str
    fn: Callable
    nodes: tuple = ()
    shapes: Shapes = None
    domain: tuple = (-2.0, 2.0)
    kwargs: Callable = field(default=lambda shapes: st.just({}))
    atol: float = 1e-6
    rtol: float = 1e-4
    second_order: bool = True
    kinks: tuple = ()
    margin: float = 1e-3
    valid: Callable | None = None
    unique: bool = False
    case: st.SearchStrategy | None = None  # draws (shapes, kwargs) together, instead

    def draw_case(self, draw) -> tuple[tuple, dict]:
        if self.case is not None:
            return draw(self.case)
        shapes = draw(self.shapes)
        return shapes, draw(self.kwargs(shapes))

    def domains(self, n: int) -> list[tuple[float, float]]:
        if isinstance(self.domain[0], (tuple, list)):
            return list(self.domain)
        return [self.domain] * n


def unary(min_dims: int = 0, max_dims: int = 3, max_side: int = 4) -> Shapes:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def tup(strategy) -> Shapes:
    return strategy.map(lambda s: (s,))


def broadcastable(n: int, min_dims: int = 0, max_dims: int = 3, max_side: int = 4) -> Shapes:
    """``n`` mutually broadcastable shapes (one side may be 1 or missing)."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=n, min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side
    ).map(lambda r: r.input_shapes)


def reduce_kwargs(shapes, with_keepdim: bool = True, allow_none: bool = True):
    ndim = len(shapes[0])
    if ndim == 0:
        dims = st.just(None)
    else:
        subsets = st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)
        dims = st.one_of(st.just(None), st.integers(-ndim, ndim - 1), subsets.map(tuple))
        if not allow_none:
            dims = st.one_of(st.integers(-ndim, ndim - 1), subsets.map(tuple))
    keep = st.booleans() if with_keepdim else st.just(False)
    return st.fixed_dictionaries({"dim": dims, "keepdim": keep})


def one_dim_kwargs(shapes, keepdim: bool = True):
    ndim = len(shapes[0])
    out = {"dim": st.integers(-ndim, ndim - 1)}
    if keepdim:
        out["keepdim"] = st.booleans()
    return st.fixed_dictionaries(out)


@st.composite
def matmul_shapes(draw):
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    kind = draw(st.sampled_from(["mm", "mv", "vm", "vv", "batched", "broadcast"]))
    if kind == "mm":
        return (n, k), (k, m)
    if kind == "mv":
        return (n, k), (k,)
    if kind == "vm":
        return (k,), (k, m)
    if kind == "vv":
        return (k,), (k,)
    b = draw(st.integers(1, 3))
    if kind == "batched":
        return (b, n, k), (b, k, m)
    return (b, 1, n, k), (2, k, m)


@st.composite
def cat_shapes(draw):
    base = list(draw(unary(min_dims=1)))
    dim = draw(st.integers(0, len(base) - 1))
    count = draw(st.integers(1, 3))
    shapes = []
    for _ in range(count):
        s = list(base)
        s[dim] = draw(st.integers(1, 3))
        shapes.append(tuple(s))
    return tuple(shapes), dim


@st.composite
def expand_shapes(draw):
    target = draw(unary(min_dims=1))
    lead = draw(st.integers(0, len(target) - 1))
    src = tuple(1 if draw(st.booleans()) else s for s in target[lead:])
    return (src,), target


@st.composite
def index_case(draw):
    shape = draw(unary(min_dims=1, max_dims=3))
    kind = draw(st.sampled_from(["int", "slice", "none_ellipsis", "array", "mask", "mixed"]))
    n0 = shape[0]
    if kind == "int":
        return shape, (draw(st.integers(-n0, n0 - 1)),)
    if kind == "slice":
        start = draw(st.integers(0, n0 - 1))
        step = draw(st.integers(1, 2))
        return shape, (slice(start, None, step),)
    if kind == "none_ellipsis":
        return shape, (None, Ellipsis, slice(0, shape[-1]))
    if kind == "array":  # repeated indices must accumulate
        idx = draw(st.lists(st.integers(-n0, n0 - 1), min_size=1, max_size=6))
        return shape, (np.array(idx),)
    if kind == "mask":
        mask = draw(hnp.arrays(bool, shape))
        return shape, (mask,)
    idx = draw(st.lists(st.integers(0, n0 - 1), min_size=1, max_size=4))
    return shape, (np.array(idx), Ellipsis)


def _no_ties(arrays) -> bool:
    a, b = np.broadcast_arrays(*arrays)
    return bool(np.all(np.abs(a - b) > 1e-3))


@st.composite
def einsum_case(draw):
    eq = draw(
        st.sampled_from(
            ["ij,jk->ik", "bij,bjk->bik", "ij->j", "i,j->ij", "ijk->ki", "ij,ij->", "ij,j->i"]
        )
    )
    lhs = eq.split("->")[0].split(",")
    sizes = {c: draw(st.integers(1, 3)) for c in set("".join(lhs))}
    return tuple(tuple(sizes[c] for c in s) for s in lhs), eq


def _abs_values_apart(a, gap: float = 1e-3) -> bool:
    """No two entries of ``a`` within ``gap`` in absolute value (no tie at a max of |a|)."""
    v = np.sort(np.abs(a).ravel())
    return v.size < 2 or bool(np.min(np.diff(v)) > gap)


SPECS: list[OpSpec] = [
    # arithmetic
    OpSpec("add", lambda a, b: a + b, (ops.Add,), broadcastable(2)),
    OpSpec("sub", lambda a, b: a - b, (ops.Sub,), broadcastable(2)),
    OpSpec("mul", lambda a, b: a * b, (ops.Mul,), broadcastable(2)),
    OpSpec("div", lambda a, b: a / b, (ops.Div,), broadcastable(2), ((-2, 2), (0.5, 2))),
    OpSpec("neg", lambda a: -a, (ops.Neg,), tup(unary())),
    OpSpec("pow", lambda a, b: a**b, (ops.Pow,), broadcastable(2), ((0.5, 2), (-2, 2))),
    OpSpec(
        "pow_scalar",
        lambda a, p: a**p,
        (ops.Pow,),
        tup(unary()),
        (0.5, 2),
        kwargs=lambda s: st.fixed_dictionaries({"p": st.sampled_from([-1.5, 0.5, 2, 3])}),
    ),
    OpSpec("rsub_scalar", lambda a: 2.0 - a, (ops.Sub,), tup(unary())),
    OpSpec("rdiv_scalar", lambda a: 3.0 / a, (ops.Div,), tup(unary()), (0.5, 2)),
    OpSpec(
        "constant",
        lambda a: a * ops.Constant(ag.array_backend.asarray(np.asarray(2.5), a.device))(),
        (ops.Constant, ops.Mul),
        tup(unary()),
    ),
    OpSpec("cast", lambda a: ops.cast(a, ag.float64), (ops.Cast,), tup(unary())),
    OpSpec(  # there and back: the output stays on the input's device
        "to_device",
        lambda a: ops.to_device(ops.to_device(a, ag.device("cpu")), a.device),
        (ops.ToDevice,),
        tup(unary()),
    ),
    OpSpec("clone", lambda a: a.clone() * a, (ops.Clone,), tup(unary())),
    # element-wise math
    OpSpec("exp", lambda a: a.exp(), (ops.Exp,), tup(unary())),
    OpSpec("log", lambda a: a.log(), (ops.Log,), tup(unary()), (0.2, 3)),
    OpSpec("log1p", lambda a: a.log1p(), (ops.Log1p,), tup(unary()), (-0.7, 3)),
    OpSpec("expm1", lambda a: a.expm1(), (ops.Expm1,), tup(unary())),
    OpSpec("sqrt", lambda a: a.sqrt(), (ops.Sqrt,), tup(unary()), (0.2, 3)),
    OpSpec("rsqrt", lambda a: a.rsqrt(), (), tup(unary()), (0.2, 3)),
    OpSpec("abs", lambda a: a.abs(), (ops.Abs,), tup(unary()), kinks=(0.0,)),
    OpSpec("sign", lambda a: a.sign() * a, (ops.Sign,), tup(unary()), kinks=(0.0,)),
    OpSpec("sin", lambda a: a.sin(), (ops.Sin,), tup(unary())),
    OpSpec("cos", lambda a: a.cos(), (ops.Cos,), tup(unary())),
    OpSpec("square", lambda a: a.square(), (), tup(unary())),
    OpSpec(
        "clamp",
        lambda a, lo, hi: a.clamp(lo, hi),
        (ops.Clamp,),
        tup(unary()),
        kinks=(-0.5, 0.7),
        kwargs=lambda s: st.fixed_dictionaries(
            {"lo": st.sampled_from([None, -0.5]), "hi": st.sampled_from([0.7])}
        ),
    ),
    OpSpec("maximum", ag.maximum, (ops.Maximum,), broadcastable(2), valid=_no_ties),
    OpSpec("minimum", ag.minimum, (ops.Minimum,), broadcastable(2), valid=_no_ties),
    OpSpec(
        "where",
        lambda a, b, cond: ag.where(ag.tensor(cond), a, b),
        (ops.Where,),
        broadcastable(2),
        kwargs=lambda s: st.fixed_dictionaries({"cond": hnp.arrays(bool, np.broadcast_shapes(*s))}),
    ),
    # activations
    OpSpec("relu", lambda a: a.relu(), (ops.ReLU,), tup(unary()), kinks=(0.0,)),
    OpSpec(
        "dropout",  # reseeded on every call, so each evaluation draws the same mask
        lambda a, p: (ag.manual_seed(5), ops.dropout(a, p, True))[1],
        (ops.Dropout,),
        tup(unary()),
        kwargs=lambda s: st.fixed_dictionaries({"p": st.sampled_from([0.25, 0.5])}),
    ),
    OpSpec(
        "leaky_relu", lambda a: ag.leaky_relu(a, 0.1), (ops.LeakyReLU,), tup(unary()), kinks=(0,)
    ),
    OpSpec(
        "elu",
        lambda a, alpha: ag.elu(a, alpha),
        (ops.ELU,),
        tup(unary()),
        kinks=(0.0,),
        kwargs=lambda s: st.fixed_dictionaries({"alpha": st.sampled_from([1.0, 0.5])}),
    ),
    OpSpec("selu", ag.selu, (ops.ELU,), tup(unary()), kinks=(0.0,)),
    OpSpec(
        "gelu",
        lambda a, approximate: ag.gelu(a, approximate),
        (ops.GELU, ops.GELUCdf),
        tup(unary()),
        kwargs=lambda s: st.fixed_dictionaries({"approximate": st.sampled_from(["none", "tanh"])}),
    ),
    OpSpec("sigmoid", lambda a: a.sigmoid(), (ops.Sigmoid, ops.SigmoidGrad), tup(unary()), (-6, 6)),
    OpSpec("tanh", lambda a: a.tanh(), (ops.Tanh, ops.TanhGrad), tup(unary())),
    OpSpec(
        "tanh_sigmoid_grad",
        lambda g, y: ops.TanhGrad()(g, y.tanh()) + ops.SigmoidGrad()(g, y.sigmoid()),
        (ops.TanhGrad, ops.SigmoidGrad),
        broadcastable(2),
    ),
    OpSpec("silu", ag.silu, (ops.SiLU,), tup(unary()), (-4, 4)),
    OpSpec(
        "softplus",
        lambda a, beta: ag.softplus(a, beta, threshold=3.0),
        (ops.Softplus,),
        tup(unary()),
        (-4, 4),
        kinks=(1.5, 3.0),
        kwargs=lambda s: st.fixed_dictionaries({"beta": st.sampled_from([1.0, 2.0])}),
    ),
    OpSpec(
        "softmax",
        lambda a, dim: a.softmax(dim),
        (ops.Softmax,),
        tup(unary(min_dims=1)),
        kwargs=lambda s: one_dim_kwargs(s, keepdim=False),
    ),
    OpSpec(
        "log_softmax",
        lambda a, dim: a.log_softmax(dim),
        (ops.LogSoftmax,),
        tup(unary(min_dims=1)),
        kwargs=lambda s: one_dim_kwargs(s, keepdim=False),
    ),
    # reductions
    OpSpec("sum", lambda a, **k: a.sum(**k), (ops.Sum,), tup(unary()), kwargs=reduce_kwargs),
    OpSpec("mean", lambda a, **k: a.mean(**k), (ops.Mean,), tup(unary()), kwargs=reduce_kwargs),
    OpSpec(
        "prod",
        lambda a, dim, keepdim: a.prod(dim, keepdim),
        (ops.Prod,),
        tup(unary(max_side=3)),
        (0.5, 1.5),
        kwargs=lambda s: st.fixed_dictionaries(
            {
                "dim": st.one_of(st.just(None), st.integers(-1, len(s[0]) - 1))
                if s[0]
                else st.just(None),
                "keepdim": st.booleans(),
            }
        ),
    ),
    OpSpec(
        "amax",
        lambda a, dim, keepdim: a.amax(dim if dim is not None else (), keepdim),
        (ops.Amax,),
        tup(unary()),
        kwargs=reduce_kwargs,
        unique=True,
    ),
    OpSpec(
        "amin",
        lambda a, dim, keepdim: a.amin(dim if dim is not None else (), keepdim),
        (ops.Amin,),
        tup(unary()),
        kwargs=reduce_kwargs,
        unique=True,
    ),
    OpSpec("max_all", lambda a: a.max(), (ops.Amax,), tup(unary()), unique=True),
    OpSpec(
        "max_dim",
        lambda a, dim, keepdim: a.max(dim, keepdim).values,
        (ops.MaxDim,),
        tup(unary(min_dims=1)),
        kwargs=one_dim_kwargs,
        unique=True,
    ),
    OpSpec(
        "min_dim",
        lambda a, dim, keepdim: a.min(dim, keepdim).values,
        (ops.MinDim,),
        tup(unary(min_dims=1)),
        kwargs=one_dim_kwargs,
        unique=True,
    ),
    OpSpec(
        "logsumexp",
        lambda a, dim, keepdim: a.logsumexp(dim, keepdim),
        (ops.LogSumExp,),
        tup(unary(min_dims=1)),
        kwargs=lambda s: reduce_kwargs(s, allow_none=False),
    ),
    OpSpec(
        "var",
        lambda a, dim, keepdim, correction: a.var(dim, keepdim=keepdim, correction=correction),
        (),
        tup(unary(min_dims=1).filter(lambda s: int(np.prod(s)) > 1)),
        kwargs=lambda s: st.fixed_dictionaries(
            {"dim": st.just(None), "keepdim": st.booleans(), "correction": st.sampled_from([0, 1])}
        ),
    ),
    OpSpec(
        "std",
        lambda a: a.std(-1),
        (ops.Std,),
        tup(unary(min_dims=1).filter(lambda s: s[-1] > 1)),
        unique=True,  # a constant row is a kink: gradient 0 there (as torch), not differentiable
    ),
    OpSpec(
        "norm",
        lambda a, dim, keepdim: a.norm(2, dim, keepdim),
        (ops.Norm,),
        tup(unary(min_dims=1)),
        kinks=(0.0,),
        kwargs=reduce_kwargs,
    ),
    OpSpec(
        "norm_p",
        lambda a: a.norm(3, -1) + a.norm(1) + a.norm(float("inf")),
        (),
        tup(unary(min_dims=1)),
        kinks=(0.0,),
        unique=True,
        # the inf-norm's kink: two entries of equal size (0.5 and -0.5) tie for the max
        valid=lambda arrays: _abs_values_apart(arrays[0]),
    ),
    # shapes and indexing
    OpSpec("reshape", lambda a: a.reshape(-1), (ops.Reshape,), tup(unary())),
    OpSpec(
        "permute",
        lambda a, perm: a.permute(*perm),
        (ops.Permute,),
        tup(unary(min_dims=2)),
        kwargs=lambda s: st.fixed_dictionaries({"perm": st.permutations(range(len(s[0])))}),
    ),
    OpSpec("transpose", lambda a: a.transpose(0, -1), (ops.Permute,), tup(unary(min_dims=2))),
    OpSpec(
        "pad",
        lambda a, p: ag.ops.pad(a, p, value=0.5),
        (ops.Pad,),
        tup(unary(min_dims=1)),
        kwargs=lambda s: st.fixed_dictionaries(
            {
                "p": st.lists(st.integers(0, 2), min_size=2, max_size=2 * len(s[0]))
                .filter(lambda p: len(p) % 2 == 0)
                .map(tuple)
            }  # fmt: skip
        ),
    ),
    OpSpec(
        "flip",
        lambda a, dims: a.flip(dims),
        (ops.Flip,),
        tup(unary(min_dims=1)),
        kwargs=lambda s: st.fixed_dictionaries(
            {"dims": st.lists(st.integers(0, len(s[0]) - 1), min_size=1, unique=True).map(tuple)}
        ),
    ),
    OpSpec(
        "repeat",
        lambda a, reps: a.repeat(*reps),
        (ops.Repeat,),
        tup(unary(max_dims=2, max_side=3)),
        kwargs=lambda s: st.fixed_dictionaries(
            {"reps": st.lists(st.integers(1, 3), min_size=len(s[0]), max_size=len(s[0]) + 1)}
        ),
    ),
    OpSpec("split", lambda a: ag.split(a, 2, -1)[-1] * 2, (), tup(unary(min_dims=1))),
    OpSpec("chunk", lambda a: a.chunk(2, 0)[0].exp(), (), tup(unary(min_dims=1))),
    OpSpec("squeeze_unsqueeze", lambda a: a.unsqueeze(0).squeeze(), (), tup(unary())),
    OpSpec("sum_to_size", lambda a: a.sum_to_size(1, a.shape[-1]), (), tup(unary(min_dims=2))),
    OpSpec("matmul", ag.matmul, (ops.MatMul,), matmul_shapes()),
]

SPECS += [
    OpSpec(
        "cat",
        lambda *ts, dim: ag.cat(ts, dim),
        (ops.Cat,),
        case=cat_shapes().map(lambda r: (r[0], {"dim": r[1]})),
    ),
    OpSpec("stack", lambda a, b: ag.stack([a, b], -1), (), broadcastable(1).map(lambda s: s * 2)),
    OpSpec(
        "getitem",
        lambda a, index: a[index],
        (ops.GetItem, ops.IndexAdd),
        case=index_case().map(lambda r: ((r[0],), {"index": r[1]})),
    ),
    OpSpec(
        "einsum",
        lambda *ts, eq: ag.einsum(eq, *ts),
        (ops.Einsum,),
        case=einsum_case().map(lambda r: (r[0], {"eq": r[1]})),
    ),
    OpSpec(
        "expand",
        lambda a, shape: a.expand(*shape),
        (ops.Expand,),
        case=expand_shapes().map(lambda r: (r[0], {"shape": r[1]})),
    ),
]


def _load_extra(path: Path, name: str) -> list[OpSpec]:
    """Rows kept beside other packages' tests (conv ops, nn's fused nodes)."""
    if not path.exists():
        return []
    spec = importlib.util.spec_from_file_location(f"_registry_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(getattr(module, name, []))


_TESTS = Path(__file__).resolve().parent.parent
SPECS += _load_extra(_TESTS / "autograd_engine" / "registry_conv.py", "CONV_SPECS")
SPECS += _load_extra(_TESTS / "autograd_engine" / "registry_inplace.py", "INPLACE_SPECS")
SPECS += _load_extra(_TESTS / "nn" / "registry_nn.py", "NN_SPECS")
SPECS += _load_extra(_TESTS / "autograd_engine" / "registry_seq.py", "SEQ_SPECS")
SPECS += _load_extra(_TESTS / "autograd_engine" / "registry_autograd.py", "AUTOGRAD_SPECS")
SPECS += _load_extra(_TESTS / "compile" / "registry_compile.py", "COMPILE_SPECS")
SPECS += _load_extra(_TESTS / "autograd_engine" / "registry_linalg.py", "LINALG_SPECS")
SPECS += _load_extra(_TESTS / "autograd_engine" / "registry_surface.py", "SURFACE_SPECS")
