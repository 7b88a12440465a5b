"""Sequence models, forward and backward: ``nn.LSTM`` and ``nn.GRU`` (two layers, 128 -> 256,
35 steps at batch 32, as in PyTorch's word-language-model example), an ``nn.LSTMCell`` loop
(two cells 51 wide unrolled over 50 steps, as in its time-sequence example) and a causal
transformer (4 pre-norm ``nn.TransformerEncoderLayer`` blocks, 4 heads, 128 wide, context 64,
batch 16: the size of a small character-level GPT), with GELU and with ReLU.

The same weights and inputs on both sides; the step is forward, ``out.square().mean()`` and
backward (no optimizer: the layers are what is measured). PyTorch CPU eager is the
reference; there is no hand-written NumPy side for these rows.
"""

from __future__ import annotations

from benchmarks.context import Context
from benchmarks.harness import Row, Target

RECURRENT = {"input": 128, "hidden": 256, "layers": 2, "steps": 35, "batch": 32}
QUICK_RECURRENT = {"input": 16, "hidden": 32, "layers": 2, "steps": 8, "batch": 4}
CELL = {"input": 1, "hidden": 51, "steps": 50, "batch": 32}
QUICK_CELL = {"input": 1, "hidden": 8, "steps": 6, "batch": 4}
TRANSFORMER = {"width": 128, "heads": 4, "layers": 4, "context": 64, "batch": 16}
QUICK_TRANSFORMER = {"width": 16, "heads": 4, "layers": 2, "context": 8, "batch": 2}


def _copy_weights(ctx: Context, ours, theirs) -> None:
    """Give our module PyTorch's (randomly initialized) weights, then move both."""
    ours.load_state_dict({k: v.detach().cpu().numpy() for k, v in theirs.state_dict().items()})
    ours.to(ctx.device)
    theirs.to(ctx.torch_device)


def _loss(out):
    return (out * out).mean()


class _Side:
    """One side of a row: a module, its input, and ``step()`` (forward, loss, backward)."""

    def __init__(self, module, run, x):
        self.module, self.run, self.x = module, run, x

    def step(self):
        for p in self.module.parameters():
            p.grad = None
        loss = _loss(self.run(self.module, self.x))
        loss.backward()
        return loss


def _recurrent(ctx: Context, kind: str, size: dict) -> dict:
    import nn

    x = ctx.randn(size["steps"], size["batch"], size["input"])
    sides = {"ours": None, "ref": None, "torch": None}
    ours = getattr(nn, kind)(size["input"], size["hidden"], size["layers"])
    if ctx.torch is not None:
        theirs = getattr(ctx.torch.nn, kind)(size["input"], size["hidden"], size["layers"])
        _copy_weights(ctx, ours, theirs)
        sides["torch"] = _Side(theirs, lambda m, x: m(x)[0], ctx.to_torch(x)).step
    else:
        ours.to(ctx.device)
    sides["ours"] = _Side(ours, lambda m, x: m(x)[0], ctx.ours(x)).step
    return sides


def _cells(nn_module):
    """Two LSTM cells and a linear read-out, unrolled over the steps of ``x``."""

    class Cells(nn_module.Module):
        def __init__(self, size):
            super().__init__()
            self.cell1 = nn_module.LSTMCell(size["input"], size["hidden"])
            self.cell2 = nn_module.LSTMCell(size["hidden"], size["hidden"])
            self.linear = nn_module.Linear(size["hidden"], 1)

        def forward(self, x):
            s1 = s2 = None
            outputs = []
            for t in range(x.shape[0]):
                s1 = self.cell1(x[t], s1)
                s2 = self.cell2(s1[0], s2)
                outputs.append(self.linear(s2[0]))
            return outputs[-1] if len(outputs) == 1 else sum(outputs[1:], outputs[0])

    return Cells


def _cell_loop(ctx: Context, size: dict) -> dict:
    import nn

    x = ctx.randn(size["steps"], size["batch"], size["input"])
    sides = {"ours": None, "ref": None, "torch": None}
    ours = _cells(nn)(size)
    if ctx.torch is not None:
        theirs = _cells(ctx.torch.nn)(size)
        _copy_weights(ctx, ours, theirs)
        sides["torch"] = _Side(theirs, lambda m, x: m(x), ctx.to_torch(x)).step
    else:
        ours.to(ctx.device)
    sides["ours"] = _Side(ours, lambda m, x: m(x), ctx.ours(x)).step
    return sides


def _transformer_stack(nn_module, size: dict, activation: str):
    layer = nn_module.TransformerEncoderLayer(
        size["width"],
        size["heads"],
        dim_feedforward=4 * size["width"],
        dropout=0.0,
        activation=activation,
        batch_first=True,
        norm_first=True,
    )
    return nn_module.TransformerEncoder(layer, size["layers"], enable_nested_tensor=False)


def _transformer(ctx: Context, size: dict, activation: str) -> dict:
    import autograd_engine as ag
    import nn

    x = ctx.randn(size["batch"], size["context"], size["width"])
    n = size["context"]
    sides = {"ours": None, "ref": None, "torch": None}
    ours = _transformer_stack(nn, size, activation)
    mask = nn.Transformer.generate_square_subsequent_mask(n, device=ag.device(ctx.device))

    def run_ours(m, x):
        return m(x, mask=mask, is_causal=True)

    if ctx.torch is not None:
        torch = ctx.torch
        theirs = _transformer_stack(torch.nn, size, activation)
        _copy_weights(ctx, ours, theirs)
        tmask = torch.nn.Transformer.generate_square_subsequent_mask(n, device=ctx.torch_device)

        def run_torch(m, x):
            return m(x, mask=tmask, is_causal=True)

        sides["torch"] = _Side(theirs, run_torch, ctx.to_torch(x)).step
    else:
        ours.to(ctx.device)
    sides["ours"] = _Side(ours, run_ours, ctx.ours(x)).step
    return sides


def rows(ctx: Context) -> list[Row]:
    import nn

    rec = QUICK_RECURRENT if ctx.quick else RECURRENT
    cell = QUICK_CELL if ctx.quick else CELL
    tr = QUICK_TRANSFORMER if ctx.quick else TRANSFORMER
    target = Target("torch", 1.5, "<= 1.5x PyTorch eager")
    shape = f"{rec['layers']}x{rec['hidden']} T{rec['steps']} b{rec['batch']}"
    out = []
    for kind in ("LSTM", "GRU"):
        out.append(
            Row(
                f"{kind.lower()} {shape}",
                "sequence",
                f"nn.{kind}({rec['input']}, {rec['hidden']}, num_layers={rec['layers']}) "
                f"forward + backward, {rec['steps']} steps at batch {rec['batch']}",
                _recurrent(ctx, kind, rec),
                target=target,
                note="one fused node per layer and direction",
            )
        )
    out.append(
        Row(
            f"lstmcell loop {cell['hidden']} T{cell['steps']} b{cell['batch']}",
            "sequence",
            f"two nn.LSTMCell({cell['hidden']}) and a Linear read-out unrolled over "
            f"{cell['steps']} steps at batch {cell['batch']}, forward + backward",
            _cell_loop(ctx, cell),
            target=target,
            note="Python loop: per-step overhead",
        )
    )
    for activation in ("gelu", "relu"):
        row = Row(
            f"transformer {tr['layers']}x{tr['width']} h{tr['heads']} ctx{tr['context']} "
            f"b{tr['batch']} {activation}",
            "sequence",
            f"{tr['layers']} causal pre-norm nn.TransformerEncoderLayer({tr['width']}, "
            f"{tr['heads']} heads, {activation}) forward + backward at context "
            f"{tr['context']}, batch {tr['batch']}",
            {},
            target=target,
            note="fused attention weights; exact GELU (erf)"
            if activation == "gelu"
            else "fused attention weights",
        )
        if hasattr(nn, "TransformerEncoderLayer"):
            row.sides = _transformer(ctx, tr, activation)
        else:
            row.skip = "nn.TransformerEncoderLayer does not exist yet"
        out.append(row)
    return out
