"""PyTorch habits, checked against PyTorch: dtype objects, ``Size``, the default dtype,
``finfo``/``iinfo``, legacy tensor types and ``Tensor.type``, how tensors print, ``grad_fn``
names, ``f"{loss:.4f}"`` and the broadcast error."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest

import autograd_engine as ag


def _ours(torch_repr: str) -> str:
    return torch_repr.replace("torch.", "autograd_engine.")


# --- dtypes ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name", ["float16", "float32", "float64", "uint8", "int8", "int16", "int32", "int64", "bool",
             "half", "float", "double", "short", "int", "long"],
)  # fmt: skip
def test_dtype_names_and_attributes_match_torch(torch, name):
    ours, theirs = getattr(ag, name), getattr(torch, name)
    assert repr(ours) == _ours(repr(theirs)) and str(ours) == _ours(str(theirs))
    assert ours.is_floating_point == theirs.is_floating_point
    assert ours.is_signed == theirs.is_signed and ours.is_complex == theirs.is_complex
    assert ours.itemsize == theirs.itemsize


def test_dtype_is_an_object_equal_to_the_numpy_dtype():
    x = ag.zeros(2, dtype=ag.float64)
    assert isinstance(x.dtype, ag.dtype) and x.dtype is ag.float64 and x.dtype is ag.double
    assert x.dtype == np.float64 and np.float64 == x.dtype and x.dtype == np.dtype("float64")
    assert np.dtype("float64") == x.dtype and x.dtype != ag.float32 and x.dtype != np.float32
    assert hash(ag.float32) == hash(np.dtype("float32"))  # one dict key for both spellings
    assert np.zeros(2, dtype=ag.int32).dtype == np.int32  # NumPy takes it as a dtype
    assert x.array.dtype is np.dtype("float64")  # the internal path stays a NumPy dtype
    assert pickle.loads(pickle.dumps(ag.float16)) is ag.float16
    assert ag.float is ag.float32 and ag.long is ag.int64 and ag.int is ag.int32


def test_python_types_as_dtypes_follow_torch(torch):
    for py in (float, int, bool):
        assert repr(ag.zeros(1, dtype=py).dtype) == _ours(repr(torch.zeros(1, dtype=py).dtype))


def test_complex_dtypes_raise_clearly():
    with pytest.raises(AttributeError, match="complex tensors are not supported"):
        ag.cfloat  # noqa: B018
    with pytest.raises(TypeError, match="complex dtypes .* not supported"):
        ag.zeros(2, dtype=np.complex64)
    with pytest.raises(TypeError, match="not supported"):
        ag.float32.to_complex()


def test_bfloat16_raises_saying_to_use_float16():
    with pytest.raises(AttributeError, match="no bfloat16.*dtype=autograd_engine.float16"):
        ag.bfloat16  # noqa: B018


def test_finfo_and_iinfo_match_torch(torch):
    for name in ("float16", "float32", "float64"):
        ours, theirs = ag.finfo(getattr(ag, name)), torch.finfo(getattr(torch, name))
        for attr in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
            assert getattr(ours, attr) == getattr(theirs, attr), (name, attr)
        assert repr(ours) == repr(theirs)
    assert repr(ag.finfo()) == repr(torch.finfo())
    for name in ("uint8", "int8", "int16", "int32", "int64"):
        ours, theirs = ag.iinfo(getattr(ag, name)), torch.iinfo(getattr(torch, name))
        assert (ours.bits, ours.max, ours.min, ours.dtype) == (
            theirs.bits, theirs.max, theirs.min, theirs.dtype)  # fmt: skip
        assert repr(ours) == repr(theirs)
    with pytest.raises(TypeError, match="requires a floating point input type"):
        ag.finfo(ag.int64)
    with pytest.raises(TypeError, match="requires an integer input type"):
        ag.iinfo(ag.float32)
    with pytest.raises(TypeError, match="bool is not supported"):
        ag.iinfo(ag.bool)


def test_promote_types_matches_torch(torch):
    names = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
    for a in names:
        for b in names:
            ours = ag.promote_types(getattr(ag, a), getattr(ag, b))
            theirs = torch.promote_types(getattr(torch, a), getattr(torch, b))
            assert repr(ours) == _ours(repr(theirs)), (a, b)


def test_default_dtype_governs_python_floats_like_torch(torch):
    def probe(lib):
        t = lib.tensor([1])
        return [
            lib.tensor(1.0).dtype, lib.tensor([1.5, 2]).dtype, lib.zeros(2).dtype,
            lib.ones(1).dtype, lib.empty(1).dtype, lib.full((1,), 2.0).dtype,
            lib.arange(0.0, 1.0, 0.5).dtype, lib.linspace(0, 1, 3).dtype, lib.eye(2).dtype,
            lib.rand(2).dtype, lib.randn(2).dtype, (t / 2).dtype, (t * 1.5).dtype,
            lib.Tensor([1, 2]).dtype, lib.FloatTensor([1]).dtype, lib.tensor([1]).dtype,
            lib.tensor(np.float32(1)).dtype, lib.get_default_dtype(),
        ]  # fmt: skip

    for dtype in ("float64", "float32"):
        try:
            ag.set_default_dtype(getattr(ag, dtype))
            torch.set_default_dtype(getattr(torch, dtype))
            assert [repr(d) for d in probe(ag)] == [_ours(repr(d)) for d in probe(torch)]
        finally:
            ag.set_default_dtype(ag.float32)
            torch.set_default_dtype(torch.float32)
    with pytest.raises(TypeError, match="only floating-point types"):
        ag.set_default_dtype(ag.int64)


def test_default_device_is_used_by_creation_functions():
    try:
        ag.set_default_device("cpu")
        assert ag.get_default_device() == ag.device("cpu") and ag.zeros(1).device.type == "cpu"
    finally:
        ag.set_default_device(None)
    with pytest.raises(RuntimeError, match="Unknown device"):
        ag.set_default_device("tpu")


# --- Size -------------------------------------------------------------------------------------
def test_size_is_a_tuple_like_torch_size(torch):
    x, y = ag.zeros(2, 3, 4), torch.zeros(2, 3, 4)
    assert isinstance(x.shape, ag.Size) and isinstance(x.shape, tuple)
    assert repr(x.shape) == _ours(repr(y.shape)) and str(x.size()) == _ours(str(y.size()))
    for f in (lambda s: s[1:], lambda s: s + (5,), lambda s: (1,) + s, lambda s: s * 2):
        assert repr(f(x.shape)) == _ours(repr(f(y.shape)))
    assert x.shape == (2, 3, 4) and x.shape.numel() == 24 and x.size(-1) == 4
    assert ag.Size([2, 3]) == torch.Size([2, 3]) and pickle.loads(pickle.dumps(x.shape)) == x.shape
    with pytest.raises(TypeError, match=r"takes an iterable of 'int' \(item 0 is 'float'\)"):
        ag.Size([2.5])
    with pytest.raises(IndexError, match="no dimensions"):
        ag.tensor(1.0).size(0)
    assert x.nelement() == x.numel() == 24 and x.ndimension() == 3


# --- legacy types -----------------------------------------------------------------------------
def test_legacy_constructors_and_isinstance_match_torch(torch):
    cases = [
        lambda lib: lib.FloatTensor([1, 2]),
        lambda lib: lib.LongTensor([1.7, -1.7]),
        lambda lib: lib.DoubleTensor(np.array([1, 2])),
        lambda lib: lib.ByteTensor([3]),
        lambda lib: lib.BoolTensor([1, 0]),
        lambda lib: lib.IntTensor([]),
        lambda lib: lib.Tensor([1, 2]),
        lambda lib: lib.Tensor((2, 3)),
        lambda lib: lib.Tensor([True]),
    ]
    for case in cases:
        assert repr(case(ag)) == _ours(repr(case(torch)))
    assert ag.FloatTensor(2, 3).shape == (2, 3) and ag.Tensor(2, 3).dtype is ag.float32
    assert ag.Tensor().shape == (0,) and ag.Tensor(ag.Size([4])).shape == (4,)
    assert type(ag.FloatTensor(1)) is ag.Tensor
    x = ag.zeros(2)
    assert isinstance(x, ag.FloatTensor) and not isinstance(x, ag.DoubleTensor)
    assert not isinstance(x, ag.cuda.FloatTensor) and not isinstance(x.long(), ag.FloatTensor)
    assert ag.FloatTensor.dtype is ag.float32 and ag.cuda.LongTensor.is_cuda
    assert repr(ag.cuda.FloatTensor) == "<class 'autograd_engine.cuda.FloatTensor'>"
    a = ag.tensor([1, 2])
    assert ag.Tensor(a).array is a.array  # Tensor(tensor) shares memory, keeps the dtype
    with pytest.raises(TypeError, match="expected a tensor of dtype autograd_engine.float32"):
        ag.FloatTensor(a)
    with pytest.raises(TypeError, match="Tensor\\(\\): expected sizes"):
        ag.Tensor(2.5)


def test_tensor_type_matches_torch(torch):
    makers = [
        lambda lib: lib.zeros(2),
        lambda lib: lib.zeros(2, dtype=lib.int64),
        lambda lib: lib.zeros(2, dtype=lib.bool),
        lambda lib: lib.zeros(2).half(),
    ]
    for make in makers:
        assert make(ag).type() == make(torch).type()
    x, y = ag.tensor([1.5, -2.5]), torch.tensor([1.5, -2.5])
    for target in ("torch.LongTensor", "torch.DoubleTensor", "torch.IntTensor"):
        assert repr(x.type(target)) == _ours(repr(y.type(target)))
    assert repr(x.type(ag.LongTensor)) == _ours(repr(y.type(torch.LongTensor)))
    assert repr(x.type(ag.float64)) == _ours(repr(y.type(torch.float64)))
    assert x.type(ag.FloatTensor) is x and x.type("autograd_engine.FloatTensor") is x
    with pytest.raises(ValueError, match="invalid type: 'foo'"):
        x.type("foo")


# --- printing ---------------------------------------------------------------------------------
def _print_cases(lib):
    g = np.random.default_rng(0)
    return [
        lib.tensor([1.0, 2.5, -3.25]),
        lib.tensor(3.14159265),
        lib.tensor([[1.0, 2.0], [3.0, 4.0]]),
        lib.tensor([1e-5, 1.0, 1e3]),
        lib.tensor([1e9, 2.0]),
        lib.tensor([0.0, -0.0, float("nan"), float("inf"), -float("inf")]),
        lib.tensor([float("nan")]),
        lib.tensor([1, 22, -333]),
        lib.tensor([True, False]),
        lib.tensor([1.0, 2.0], dtype=lib.float64),
        lib.tensor([1, 2], dtype=lib.int32),
        lib.tensor([1.5], dtype=lib.float16),
        lib.tensor([1, 2], dtype=lib.uint8),
        lib.zeros(0),
        lib.zeros(2, 0),
        lib.zeros(0, dtype=lib.int64),
        lib.tensor(g.standard_normal((2, 3, 4)).astype(np.float32)),
        lib.tensor(g.standard_normal((40,)).astype(np.float32)),
        lib.tensor(g.standard_normal((50, 50)).astype(np.float32)),
        lib.arange(2000),
        lib.tensor(g.standard_normal((3, 400)) * 1e4),
        lib.tensor(g.standard_normal((2, 3)).astype(np.float32), requires_grad=True),
        lib.tensor([2.0, 3.0], requires_grad=True) * 2,
        lib.tensor([[123456.0, 0.001]]),
    ]


def test_tensors_print_like_torch(torch):
    for ours, theirs in zip(_print_cases(ag), _print_cases(torch)):
        assert repr(ours) == _ours(repr(theirs))
        assert str(ours) == _ours(str(theirs))


@pytest.mark.parametrize(
    "options",
    [{"precision": 2}, {"threshold": 5}, {"edgeitems": 1, "threshold": 5}, {"linewidth": 30},
     {"sci_mode": True}, {"sci_mode": False}, {"profile": "short"}, {"profile": "full"},
     {"edgeitems": 0, "threshold": 5}],
)  # fmt: skip
def test_set_printoptions_matches_torch(torch, options):
    try:
        ag.set_printoptions(**options)
        torch.set_printoptions(**options)
        theirs = torch._tensor_str.get_printoptions()
        assert ag.get_printoptions() == {k: theirs[k] for k in ag.get_printoptions()}
        for ours, theirs in zip(_print_cases(ag)[:21], _print_cases(torch)[:21]):
            if "linewidth" in options and "dtype=" in repr(theirs):
                continue  # NOTE: "autograd_engine." is longer than "torch.": it wraps sooner
            assert repr(ours) == _ours(repr(theirs)), options
    finally:
        ag.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_format_spec_formats_a_scalar_tensor(torch):
    loss = ag.tensor(0.123456)
    assert f"{loss:.4f}" == f"{torch.tensor(0.123456):.4f}" == "0.1235"
    assert f"{ag.tensor(7):>4d}" == "   7" and f"{ag.tensor([1.0])}" == "tensor([1.])"
    with pytest.raises(TypeError):
        f"{ag.tensor([1.0, 2.0]):.2f}"  # noqa: B018  (as in PyTorch: only 0-d tensors)
    with pytest.raises(TypeError):
        f"{torch.tensor([1.0, 2.0]):.2f}"  # noqa: B018


# --- grad_fn names ----------------------------------------------------------------------------
def _graph_cases(lib):
    F = lib.nn.functional
    g = np.random.default_rng(1)

    def leaf(*shape):
        return lib.tensor(g.standard_normal(shape).astype(np.float32), requires_grad=True)

    x, y, v, m = leaf(3, 4), leaf(3, 4), leaf(4), leaf(4, 5)
    img = leaf(1, 1, 4, 4)
    return {
        "add": x + y, "add_scalar": x + 1, "sub": x - y, "mul": x * y, "mul_scalar": x * 2,
        "div": x / y, "neg": -x, "pow_scalar": x**2, "pow": x**y, "rpow": 2**x,
        "sum": x.sum(), "sum_dim": x.sum(0), "mean": x.mean(), "mean_dim": x.mean(0),
        "prod": x.prod(), "prod_dim": x.prod(0), "max": x.max(), "max_dim": x.max(0)[0],
        "min": x.min(), "min_dim": x.min(0)[0], "amax": x.amax(0), "amin": x.amin(0),
        "exp": x.exp(), "log": x.log(), "sqrt": x.sqrt(), "abs": x.abs(), "sin": x.sin(),
        "cos": x.cos(), "tanh": x.tanh(), "sigmoid": x.sigmoid(), "relu": x.relu(),
        "log1p": x.log1p(), "expm1": x.expm1(), "sign": x.sign(), "clamp": x.clamp(0, 1),
        "clamp_min": x.clamp(min=0), "maximum": lib.maximum(x, y), "where": lib.where(x > 0, x, y),
        "mm": x @ m, "mv": x @ v, "dot": v @ v, "linear": F.linear(x, m.t()),
        "linear_bias": F.linear(x, m.t(), lib.zeros(5)), "view": x.view(-1),
        "reshape": x.reshape(12), "flatten": x.flatten(), "permute": x.permute(1, 0),
        "transpose": x.transpose(0, 1), "T": x.T, "mT": x.mT, "unsqueeze": x.unsqueeze(0),
        "squeeze": x.unsqueeze(0).squeeze(), "squeeze_dim": x.unsqueeze(0).squeeze(0),
        "expand": v.expand(3, 4), "repeat": x.repeat(2, 1), "flip": x.flip(0),
        "cat": lib.cat([x, y]), "stack": lib.stack([x, y]), "select": x[0], "slice": x[:2],
        "index": x[lib.tensor([0, 1])], "mask": x[x > 0], "none": x[None], "ellipsis": x[..., 0],
        "select2": x[0, 1], "softmax": x.softmax(-1), "log_softmax": x.log_softmax(-1),
        "logsumexp": x.logsumexp(-1), "norm": x.norm(), "clone": x.clone(), "double": x.double(),
        "gelu": F.gelu(x), "silu": F.silu(x), "elu": F.elu(x), "leaky_relu": F.leaky_relu(x),
        "softplus": F.softplus(x), "cross_entropy": F.cross_entropy(x, lib.tensor([0, 1, 2])),
        "pad": F.pad(x, (1, 1)), "layer_norm": F.layer_norm(x, (4,)),
        "batch_norm": F.batch_norm(x, None, None, training=True),
        "conv2d": F.conv2d(img, leaf(1, 1, 3, 3)), "max_pool2d": F.max_pool2d(img, 2),
        "avg_pool2d": F.avg_pool2d(img, 2), "sum_to_size": x.sum_to_size(1, 4),
    }  # fmt: skip


def test_grad_fn_names_match_torch(torch):
    ours, theirs = _graph_cases(ag), _graph_cases(torch)
    for key, t in theirs.items():
        want = type(t.grad_fn).__name__
        assert ours[key].grad_fn.name() == want, key
        assert f"grad_fn=<{want}>" in repr(ours[key]), key


# --- errors -------------------------------------------------------------------------------------
def test_broadcast_error_names_both_shapes_like_torch(torch):
    with pytest.raises(RuntimeError) as theirs:
        torch.zeros(2, 3) + torch.zeros(4)
    with pytest.raises(RuntimeError) as ours:
        ag.zeros(2, 3) + ag.zeros(4)
    message = str(ours.value)
    assert message.startswith(str(theirs.value))  # PyTorch's sentence, then the shapes and fix
    assert "(2, 3) and (4,)" in message and "operands could not be broadcast" not in message
    with pytest.raises(RuntimeError, match=r"tensor a \(5\) .* tensor b \(2\) at non-singleton "
                                           r"dimension 0"):  # fmt: skip
        ag.zeros(5, 1) * ag.zeros(2, 3)


def test_constants():
    assert (ag.pi, ag.e, ag.inf) == (math.pi, math.e, math.inf) and math.isnan(ag.nan)


def test_dtype_and_size_round_trip_through_save_and_load(tmp_path):
    path = tmp_path / "meta.pt"
    ag.save({"dtype": ag.float16, "shape": ag.zeros(2, 3).shape, "np": np.dtype("int8")}, path)
    out = ag.load(path)  # weights_only=True: dtypes and sizes are plain data, as in PyTorch
    assert out["dtype"] is ag.float16 and isinstance(out["shape"], ag.Size)
    assert out["shape"] == (2, 3) and out["np"] == np.dtype("int8")


def test_default_dtype_reaches_new_layers_like_torch(torch):
    def dtypes(lib):
        nn = lib.nn
        layers = [nn.Linear(2, 2), nn.Conv2d(1, 1, 3), nn.Embedding(3, 2), nn.BatchNorm1d(3),
                  nn.LayerNorm(3), nn.LSTM(2, 3), nn.PReLU()]  # fmt: skip
        return [repr(p.dtype) for m in layers for p in m.state_dict().values()]

    try:
        ag.set_default_dtype(ag.float64)
        torch.set_default_dtype(torch.float64)
        assert dtypes(ag) == [_ours(d) for d in dtypes(torch)]
    finally:
        ag.set_default_dtype(ag.float32)
        torch.set_default_dtype(torch.float32)
