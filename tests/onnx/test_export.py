"""ONNX export (``autograd_engine.onnx.export``): the MLP, the CNN, recurrent nets and the GPT
exported with a dynamic batch axis, run by onnxruntime at two batch sizes and compared with our
forward (1e-5); PyTorch's options; and the errors for what cannot be exported. Skipped without
the onnx extra (onnx and onnxruntime)."""

from __future__ import annotations

import io

import numpy as np
import pytest

import autograd_engine as ag
import nn
from autograd_engine import onnx as ag_onnx

onnx = pytest.importorskip("onnx", reason="the onnx extra (onnx, onnxruntime) is not installed")
ort = pytest.importorskip("onnxruntime", reason="the onnx extra (onnxruntime) is not installed")

TOL = dict(rtol=1e-5, atol=1e-5)
BATCH = {"x": {0: "batch"}, "y": {0: "batch"}}


def export_bytes(model, args, **kwargs) -> bytes:
    buf = io.BytesIO()
    ag_onnx.export(model, args, buf, **kwargs)
    return buf.getvalue()


def session(data: bytes):
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only
    return ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])


def outputs(model, x):
    with ag.no_grad():
        out = model(x)
    return [t.numpy() for t in (out if isinstance(out, tuple) else (out,))]


def check_batches(model, x, batch_axis=0, **kwargs):
    """Export with a dynamic batch axis, then compare onnxruntime with our forward at the
    example's batch size and at a larger one."""
    model.eval()
    dynamic = {"x": {batch_axis: "batch"}}
    sess = session(export_bytes(model, (x,), input_names=["x"], dynamic_axes=dynamic, **kwargs))
    bigger = ag.cat([x, x.narrow(batch_axis, 0, 1), -x.narrow(batch_axis, 0, 1)], dim=batch_axis)
    if x.dtype == ag.int64:
        bigger = ag.cat([x, x.narrow(batch_axis, 0, 2).flip(-1)], dim=batch_axis)
    for inp in (x, bigger):
        got = sess.run(None, {"x": inp.numpy()})
        want = outputs(model, inp)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w, **TOL)
    return sess


def mlp():
    return nn.Sequential(
        nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 10),
        nn.LogSoftmax(dim=1),
    )  # fmt: skip


def cnn():
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Dropout(0.5), nn.Linear(64, 10),
    )  # fmt: skip
    with ag.no_grad():  # running statistics that are not the initial zeros and ones
        model(ag.randn(32, 1, 8, 8) * 2 + 0.5)
    return model


def test_mlp_matches_onnxruntime_at_two_batch_sizes():
    ag.manual_seed(0)
    check_batches(mlp(), ag.randn(4, 1, 8, 8))


def test_cnn_with_batchnorm_and_pooling_matches_onnxruntime():
    ag.manual_seed(1)
    model = cnn()
    check_batches(model, ag.randn(3, 1, 8, 8))
    proto = ag_onnx.export(model, (ag.randn(3, 1, 8, 8),), None)
    ops = {n.op_type for n in proto.graph.node}
    assert {"Conv", "BatchNormalization", "MaxPool", "Gemm"} <= ops
    assert "Dropout" not in ops  # eval mode: dropout is the identity


class Recurrent(nn.Module):
    """A recurrent layer and a linear head; returns the head's output and the last state."""

    def __init__(self, cls, **kwargs):
        super().__init__()
        self.rnn = cls(5, 7, **kwargs)
        width = 7 * (2 if kwargs.get("bidirectional") else 1)
        self.head = nn.Linear(width, 3)

    def forward(self, x):
        out, state = self.rnn(x)
        if isinstance(state, tuple):
            return self.head(out), state[0], state[1]
        return self.head(out), state


@pytest.mark.parametrize(
    "options",
    [{"batch_first": True}, {"num_layers": 2, "bidirectional": True}],
    ids=["batch-first", "two-layers-bidirectional"],
)
def test_lstm_exports_as_the_onnx_lstm_op(options):
    ag.manual_seed(2)
    model = Recurrent(nn.LSTM, **options)
    axis = 0 if options.get("batch_first") else 1
    model.eval()
    data = export_bytes(model, (ag.randn(4, 6, 5),), input_names=["x"],
                        dynamic_axes={"x": {axis: "batch"}})  # fmt: skip
    assert [n.op_type for n in onnx.load_from_string(data).graph.node].count("LSTM") == (
        options.get("num_layers", 1)
    )
    check_batches(model, ag.randn(4, 6, 5), batch_axis=axis)


@pytest.mark.parametrize("cls", ["GRU", "RNN"])
def test_gru_and_rnn_export_as_their_onnx_ops(cls):
    ag.manual_seed(3)
    model = Recurrent(getattr(nn, cls), batch_first=True, num_layers=2)
    check_batches(model, ag.randn(2, 5, 5))


def test_lstm_with_a_given_initial_state():
    ag.manual_seed(4)

    class WithState(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(5, 7, num_layers=2)

        def forward(self, x, h0, c0):
            out, (h, c) = self.rnn(x, (h0, c0))
            return out, h, c

    model = WithState().eval()
    x, h0, c0 = ag.randn(6, 3, 5), ag.randn(2, 3, 7), ag.randn(2, 3, 7)
    sess = session(export_bytes(model, (x, h0, c0)))
    got = sess.run(None, {"x": x.numpy(), "h0": h0.numpy(), "c0": c0.numpy()})
    with ag.no_grad():
        want = [t.numpy() for t in model(x, h0, c0)]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, **TOL)


def small_gpt():
    from autograd_engine.training.gpt import GPT

    ag.manual_seed(5)
    return GPT(vocab_size=11, block_size=8, n_layer=2, n_head=2, n_embd=16)


def test_gpt_matches_onnxruntime_at_two_batch_sizes():
    model = small_gpt()
    sess = check_batches(model, ag.randint(0, 11, (3, 8)))
    assert sess.get_inputs()[0].type == "tensor(int64)"


def test_gpt_with_opset_20_uses_the_gelu_op():
    model = small_gpt().eval()
    data = export_bytes(model, (ag.randint(0, 11, (2, 8)),), opset_version=20)
    ops = [n.op_type for n in onnx.load_from_string(data).graph.node]
    assert "Gelu" in ops and "Erf" not in ops
    x = ag.randint(0, 11, (2, 8))
    np.testing.assert_allclose(session(data).run(None, {"idx": x.numpy()})[0],
                               outputs(model, x)[0], **TOL)  # fmt: skip
    default = export_bytes(model, (x,))
    assert "Erf" in [n.op_type for n in onnx.load_from_string(default).graph.node]


def test_tied_weights_are_one_initializer_named_by_the_state_dict():
    model = small_gpt().eval()
    proto = ag_onnx.export(model, (ag.randint(0, 11, (2, 8)),), None, do_constant_folding=False)
    names = [i.name for i in proto.graph.initializer]
    assert "transformer.wte.weight" in names and "lm_head.weight" not in names
    assert "Transpose" in [n.op_type for n in proto.graph.node]


def test_file_path_input_names_and_opset(tmp_path):
    path = tmp_path / "mlp.onnx"
    ag.manual_seed(6)
    model = mlp().eval()
    x = ag.randn(2, 1, 8, 8)
    assert ag_onnx.export(model, (x,), str(path), input_names=["pixels"],
                          output_names=["logp"], opset_version=13) is None  # fmt: skip
    proto = onnx.load(str(path))
    assert proto.opset_import[0].version == 13
    assert [i.name for i in proto.graph.input] == ["pixels"]
    assert [o.name for o in proto.graph.output] == ["logp"]
    got = session(path.read_bytes()).run(["logp"], {"pixels": x.numpy()})[0]
    np.testing.assert_allclose(got, outputs(model, x)[0], **TOL)


def test_dynamic_axes_as_a_list_names_the_dimension():
    model = mlp().eval()
    proto = ag_onnx.export(model, (ag.randn(2, 1, 8, 8),), None, input_names=["x"],
                           output_names=["y"], dynamic_axes={"x": [0], "y": [0]})  # fmt: skip
    dim = proto.graph.input[0].type.tensor_type.shape.dim[0]
    assert dim.dim_param == "x_dynamic_axes_1"
    out_dim = proto.graph.output[0].type.tensor_type.shape.dim[0]
    assert out_dim.dim_param == "y_dynamic_axes_1"


def test_without_a_dynamic_axis_the_batch_is_fixed():
    model = mlp().eval()
    proto = ag_onnx.export(model, (ag.randn(2, 1, 8, 8),), None)
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 2


def test_export_params_false_makes_the_parameters_inputs():
    ag.manual_seed(7)
    model = mlp().eval()
    x = ag.randn(2, 1, 8, 8)
    proto = ag_onnx.export(model, (x,), None, export_params=False, input_names=["x"])
    assert len(proto.graph.initializer) < 4  # only constants, no weights
    feeds = {"x": x.numpy()}
    feeds.update({k: v.numpy() for k, v in model.state_dict().items()})
    names = {i.name for i in proto.graph.input}
    assert {"1.weight", "1.bias", "4.weight", "4.bias"} <= names
    got = session(proto.SerializeToString()).run(None, {k: feeds[k] for k in names})[0]
    np.testing.assert_allclose(got, outputs(model, x)[0], **TOL)


def test_keep_initializers_as_inputs_and_verbose(capsys):
    model = mlp().eval()
    proto = ag_onnx.export(model, (ag.randn(2, 1, 8, 8),), None, verbose=True,
                           keep_initializers_as_inputs=True)  # fmt: skip
    assert {"1.weight", "4.bias"} <= {i.name for i in proto.graph.input}
    assert "Gemm" in capsys.readouterr().out


def test_the_model_is_exported_in_eval_mode_and_its_mode_restored():
    model = mlp()
    model.train()
    seen = []

    class Probe(nn.Module):
        def forward(self, x):
            seen.append((self.training, ag_onnx.is_in_onnx_export()))
            return x

    model.append(Probe())
    ag_onnx.export(model, (ag.randn(2, 1, 8, 8),), None)
    assert model.training and seen[0] == (False, True)
    assert not ag_onnx.is_in_onnx_export()


def test_an_op_without_a_conversion_is_named():
    class ArgMaxy(nn.Module):
        def forward(self, x):
            return x.max(dim=1)[0]

    with pytest.raises(ag_onnx.UnsupportedOperatorError, match=r"MaxDim .*no ONNX conversion"):
        ag_onnx.export(ArgMaxy(), (ag.randn(2, 3),), None)


def test_a_value_computed_outside_the_ops_is_refused_not_frozen():
    class Leaky(nn.Module):
        def forward(self, x):
            return x - ag.tensor(float(x.numpy().mean()))  # .numpy() leaves the graph

    with pytest.raises(ag_onnx.UnsupportedOperatorError, match="outside the recorded operations"):
        ag_onnx.export(Leaky(), (ag.randn(2, 3),), None)


def test_an_in_place_write_in_forward_is_refused():
    class InPlace(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3)

        def forward(self, x):
            y = self.lin(x)
            y.mul_(2.0)
            return y + 1

    with pytest.raises(ag_onnx.UnsupportedOperatorError, match="changed in place"):
        ag_onnx.export(InPlace(), (ag.randn(2, 3),), None)


def test_bad_arguments():
    model = mlp()
    x = ag.randn(2, 1, 8, 8)
    with pytest.raises(ValueError, match="opset_version 9 is not supported; use 13 to"):
        ag_onnx.export(model, (x,), None, opset_version=9)
    with pytest.raises(ValueError, match="dynamic_axes names 'z', which is neither an input"):
        ag_onnx.export(model, (x,), None, input_names=["x"], dynamic_axes={"z": [0]})
    with pytest.raises(TypeError, match="args must be a Tensor or a tuple"):
        ag_onnx.export(model, x.numpy(), None)
    with pytest.raises(ValueError, match="2 input_names for 1 input tensors"):
        ag_onnx.export(model, (x,), None, input_names=["a", "b"])
    with pytest.raises(ag_onnx.UnsupportedOperatorError, match="LayerNorm needs .* opset 17"):
        ag_onnx.export(nn.LayerNorm(8), (ag.randn(2, 8),), None, opset_version=16)


def test_missing_onnx_package_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"install the onnx extra.*pip install -e '\.\[onnx\]'"):
        ag_onnx.export(mlp(), (ag.randn(2, 1, 8, 8),), None)


def test_supported_ops_lists_the_conversions():
    names = ag_onnx.supported_ops()
    for name in ("Linear", "Conv2d", "LayerNorm", "AttentionWeights", "GetItem", "LSTM"):
        assert name in names


def test_reached_as_an_attribute_like_torch_onnx():
    assert ag.onnx.export is ag_onnx.export
    assert issubclass(ag.onnx.UnsupportedOperatorError, RuntimeError)


def test_indexing_with_a_constant_mask_exports_and_a_data_dependent_one_is_refused():
    class Constant(nn.Module):
        def forward(self, x):
            return x[:, ag.tensor([True, False, True])] * 2

    class DataDependent(nn.Module):
        def forward(self, x):
            return x[x > 0]

    x = ag.randn(4, 3)
    data = export_bytes(Constant(), (x,), input_names=["x"], dynamic_axes={"x": [0]})
    np.testing.assert_allclose(session(data).run(None, {"x": x.numpy()})[0],
                               x.numpy()[:, [0, 2]] * 2, **TOL)  # fmt: skip
    signs = ag.tensor([1.0, -1.0, 2.0, -2.0, 3.0, -3.0])
    with pytest.raises(ag_onnx.UnsupportedOperatorError, match="depends on the batch size or"):
        ag_onnx.export(DataDependent(), (signs,), None)
