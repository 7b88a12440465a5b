"""The char-level GPT job against PyTorch (issue 13): ``python -m autograd_engine train
--dataset shakespeare-char --model gpt`` and the same configuration trained with PyTorch on
the CPU, from the same initial weights, on the same batches, for the same number of steps.

    python benchmarks/bench_gpt.py                               # the default job, both sides
    python benchmarks/bench_gpt.py --steps 200 --eval-interval 100 --side ours
    python benchmarks/bench_gpt.py --out benchmarks/results/gpt-shakespeare-char

Both sides read the batches from the training command's own loaders (the same seeded draws),
start from our model's initial ``state_dict`` and evaluate on the same non-overlapping windows
of the validation and test text. Each side runs in this process with one BLAS thread (and one
PyTorch thread); wall time and the process's CPU time are recorded for each, with the load
average before and after: on a shared machine the wall time of a run depends on what else
runs, its CPU time much less.

Writes ``log.json`` (ours, as the command writes it), ``torch.json``, ``summary.json``,
``vs-pytorch.png`` (both sides' curves) and ``sample.txt`` (text our
model generates) to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

# NOTE: BLAS threads pinned before NumPy or PyTorch load (the suite's rule).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


# --- the PyTorch side ---------------------------------------------------------------------
def torch_gpt(vocab_size, block_size, n_layer, n_head, n_embd, dropout):
    """nanoGPT's model in PyTorch, with our ``GPT``'s module and parameter names."""
    import torch
    from torch import nn
    from torch.nn import functional as F

    class CausalSelfAttention(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_attn = nn.Linear(n_embd, 3 * n_embd)
            self.c_proj = nn.Linear(n_embd, n_embd)
            self.resid_dropout = nn.Dropout(dropout)

        def forward(self, x):
            B, T, C = x.shape
            qkv = self.c_attn(x).reshape(B, T, 3, n_head, C // n_head).permute(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            p = dropout if self.training else 0.0
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
            return self.resid_dropout(self.c_proj(y.transpose(1, 2).reshape(B, T, C)))

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.c_fc = nn.Linear(n_embd, 4 * n_embd)
            self.gelu = nn.GELU()
            self.c_proj = nn.Linear(4 * n_embd, n_embd)
            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(n_embd)
            self.attn = CausalSelfAttention()
            self.ln_2 = nn.LayerNorm(n_embd)
            self.mlp = MLP()

        def forward(self, x):
            x = x + self.attn(self.ln_1(x))
            return x + self.mlp(self.ln_2(x))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.transformer = nn.ModuleDict(
                {
                    "wte": nn.Embedding(vocab_size, n_embd),
                    "wpe": nn.Embedding(block_size, n_embd),
                    "drop": nn.Dropout(dropout),
                    "h": nn.ModuleList([Block() for _ in range(n_layer)]),
                    "ln_f": nn.LayerNorm(n_embd),
                }
            )
            self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
            self.transformer.wte.weight = self.lm_head.weight

        def forward(self, idx):
            pos = torch.arange(idx.shape[1])
            x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
            for block in self.transformer.h:
                x = block(x)
            return self.lm_head(self.transformer.ln_f(x))

    return GPT()


def torch_optimizer(config, model):
    """Our ``build_optimizer`` in PyTorch: weight decay on the weights (ndim > 1) only."""
    import torch

    decay = [p for p in model.parameters() if p.ndim > 1]
    rest = [p for p in model.parameters() if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": config.weight_decay}]
    if rest:
        groups.append({"params": rest, "weight_decay": 0.0})
    cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[config.optimizer]
    return cls(groups, lr=config.lr)


def torch_scheduler(config, optimizer, steps_per_epoch: int, epochs: int):
    """Our ``build_scheduler`` in PyTorch, for the schedules a GPT run uses."""
    from torch.optim import lr_scheduler as S

    if config.scheduler == "none":
        return None, False
    if config.scheduler == "onecycle":
        total = max(1, epochs * steps_per_epoch)
        return S.OneCycleLR(optimizer, max_lr=config.lr, total_steps=total), True
    if config.scheduler == "cosine":
        return S.CosineAnnealingLR(optimizer, T_max=epochs), False
    raise SystemExit(f"bench_gpt: --scheduler {config.scheduler} has no PyTorch mirror here")


def torch_evaluate(model, loader) -> dict:
    import torch
    from torch.nn import functional as F

    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = torch.from_numpy(x.numpy()), torch.from_numpy(y.numpy())
            out = model(x)
            n = y.numel()
            total += F.cross_entropy(out.flatten(0, 1), y.flatten()).item() * n
            correct += int((out.argmax(-1) == y).sum())
            count += n
    return {"loss": total / count, "accuracy": correct / count}


def run_torch(config, initial_state: dict) -> dict:
    """Train the PyTorch mirror of ``config``'s GPT on the command's own batches."""
    import numpy as np
    import torch
    from torch.nn import functional as F

    import autograd_engine as ag
    from autograd_engine.training._build import build_data
    from autograd_engine.training._loop import epoch_seeds

    torch.set_num_threads(1)
    torch.manual_seed(config.seed)
    config = config.resolved()
    data = build_data(config, ag.device("cpu"))
    model = torch_gpt(len(data.vocab), config.block_size, config.n_layer, config.n_head,
                      config.n_embd, config.dropout)  # fmt: skip
    state = {k: torch.from_numpy(np.array(v)) for k, v in initial_state.items()}
    model.load_state_dict(state)
    optimizer = torch_optimizer(config, model)
    steps_per_epoch = len(data.train)
    scheduler, per_batch = torch_scheduler(config, optimizer, steps_per_epoch, config.epochs)
    history = []
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for epoch in range(config.epochs):
        data.loader_generator.manual_seed(epoch_seeds(config.seed, epoch)[0])
        model.train()
        lr = optimizer.param_groups[0]["lr"]
        loss_sum, count, t0 = 0.0, 0, time.perf_counter()
        for x, y in data.train:
            x, y = torch.from_numpy(x.numpy()), torch.from_numpy(y.numpy())
            loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
            optimizer.zero_grad()
            loss.backward()
            if config.clip_grad_norm:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_grad_norm)
            optimizer.step()
            if per_batch:
                scheduler.step()
            loss_sum += loss.item() * y.numel()
            count += y.numel()
        val = torch_evaluate(model, data.val)
        history.append({"step": (epoch + 1) * steps_per_epoch, "train_loss": loss_sum / count,
                        "val_loss": val["loss"], "val_acc": val["accuracy"], "lr": lr,
                        "seconds": round(time.perf_counter() - t0, 3)})  # fmt: skip
        if scheduler is not None and not per_batch:
            scheduler.step()
        print(f"torch step {history[-1]['step']}: train loss {history[-1]['train_loss']:.4f} "
              f"val loss {val['loss']:.4f}", flush=True)  # fmt: skip
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    test = torch_evaluate(model, data.test)
    return {"history": history, "test": test, "wall_s": wall, "cpu_s": cpu}


# --- our side ------------------------------------------------------------------------------
def run_ours(config) -> tuple[dict, dict, object]:
    """The training command's run of ``config``; (log, initial state_dict, trainer)."""
    from autograd_engine.training import Trainer

    trainer = Trainer(config)
    initial = {k: v.numpy().copy() for k, v in trainer.model.state_dict().items()}
    wall0, cpu0 = time.perf_counter(), time.process_time()
    log = trainer.run()
    log["wall_s"], log["cpu_s"] = time.perf_counter() - wall0, time.process_time() - cpu0
    return log, initial, trainer


def sample(trainer, prompt: str, tokens: int, seed: int = 0) -> str:
    import autograd_engine as ag
    from autograd_engine.datasets.text import decode, encode

    model = trainer.model
    model.eval()
    idx = ag.tensor(encode(prompt, trainer.data.vocab)[None, :])
    out = model.generate(idx, tokens, temperature=0.8, top_k=200,
                         generator=ag.Generator().manual_seed(seed))  # fmt: skip
    return decode(out[0], trainer.data.vocab)


def plot(ours: dict, theirs: dict | None, path: str, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.8))
    h = ours["history"]
    steps = [r["step"] for r in h]
    ax.plot(steps, [r["train_loss"] for r in h], color="C0", alpha=0.5, label="ours, train")
    ax.plot(steps, [r["val_loss"] for r in h], color="C0", marker="o", label="ours, validation")
    if theirs is not None:
        t = theirs["history"]
        ax.plot([r["step"] for r in t], [r["train_loss"] for r in t], color="C1", alpha=0.5,
                linestyle="--", label="PyTorch, train")  # fmt: skip
        ax.plot([r["step"] for r in t], [r["val_loss"] for r in t], color="C1", marker="x",
                linestyle="--", label="PyTorch, validation")  # fmt: skip
    ax.axhline(2.0, color="gray", linestyle=":", label="target 2.0")
    ax.set_xlabel("training step")
    ax.set_ylabel("cross-entropy (nats per character)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def profile_step(batch: int = 32, rounds: int = 7, steps: int = 3, top: int = 18) -> dict:
    """One training step of the default GPT, ours against PyTorch: medians of interleaved
    rounds of process CPU time, and cProfile of ours (own time per function)."""
    import cProfile
    import io
    import pstats
    import statistics

    import torch

    import autograd_engine as ag
    import nn.functional as F
    import optim
    from autograd_engine.training.gpt import GPT

    torch.set_num_threads(1)
    ag.manual_seed(0)
    model = GPT(69)
    theirs = torch_gpt(69, 64, 4, 4, 128, 0.0)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in model.state_dict().items()})  # fmt: skip
    x, y = ag.randint(0, 69, (batch, 64)), ag.randint(0, 69, (batch, 64))
    tx, ty = torch.from_numpy(x.numpy()), torch.from_numpy(y.numpy())
    opt = optim.Adam(model.parameters(), lr=1e-3)
    topt = torch.optim.Adam(theirs.parameters(), lr=1e-3)

    def ours():
        loss = F.cross_entropy(model(x).flatten(0, 1), y.flatten())
        opt.zero_grad()
        loss.backward()
        opt.step()

    def pytorch():
        loss = torch.nn.functional.cross_entropy(theirs(tx).flatten(0, 1), ty.flatten())
        topt.zero_grad()
        loss.backward()
        topt.step()

    times = {"ours": [], "torch": []}
    for r in range(rounds + 1):  # the first round warms up
        for name, fn in (("ours", ours), ("torch", pytorch)):
            start = time.process_time()
            for _ in range(steps):
                fn()
            if r:
                times[name].append((time.process_time() - start) / steps)
    med = {k: statistics.median(v) for k, v in times.items()}
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    for _ in range(steps):
        ours()
    prof.disable()
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(top)
    return {"batch": batch, "median_cpu_s": med, "ratio": med["ours"] / med["torch"],
            "rounds": times, "profile": text.getvalue()}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    from autograd_engine.training import RunConfig

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--eval-interval", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--optimizer", default=None)
    p.add_argument("--scheduler", default=None)
    p.add_argument("--n-layer", type=int, default=None)
    p.add_argument("--n-embd", type=int, default=None)
    p.add_argument("--side", choices=["both", "ours", "torch"], default="both")
    p.add_argument(
        "--profile",
        action="store_true",
        help="time one training step against PyTorch and profile ours; no training",
    )
    p.add_argument("--out", default="runs/bench-gpt")
    args = p.parse_args(argv)
    if args.profile:
        result = profile_step(batch=args.batch_size or 32)
        print(result["profile"])
        print(
            f"median CPU s per step (batch {result['batch']}): "
            f"ours {result['median_cpu_s']['ours']:.4f}, "
            f"torch {result['median_cpu_s']['torch']:.4f}, ratio {result['ratio']:.2f}"
        )
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "profile.json"), "w") as f:
            json.dump({k: v for k, v in result.items()}, f, indent=2)
        return 0
    options = {k: v for k, v in vars(args).items()
               if v is not None and k not in ("side", "out", "profile")}  # fmt: skip
    os.makedirs(args.out, exist_ok=True)
    config = RunConfig(dataset="shakespeare-char", model="gpt", threads=1, out=args.out,
                       checkpoint=os.path.join(args.out, "gpt.ckpt"), **options)  # fmt: skip
    command = "python -m autograd_engine train --dataset shakespeare-char --model gpt " + " ".join(
        f"--{k.replace('_', '-')} {v}" for k, v in options.items()
    )
    summary = {"command": command.strip(), "config": config.resolved().to_dict(),
               "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                           "load_before": _load()}}  # fmt: skip
    ours = theirs = None
    if args.side in ("both", "ours"):
        ours, initial, trainer = run_ours(config)
        summary["ours"] = _side(ours)
        summary["sample"] = sample(trainer, "\n", 500)
        Path(args.out, "sample.txt").write_text(summary["sample"] + "\n")
    else:
        from autograd_engine.training import Trainer

        initial = {k: v.numpy().copy() for k, v in Trainer(config).model.state_dict().items()}
    summary["machine"]["load_middle"] = _load()
    if args.side in ("both", "torch"):
        import torch

        theirs = run_torch(config, initial)
        summary["torch"] = _side(theirs)
        summary["torch_version"] = torch.__version__
        with open(os.path.join(args.out, "torch.json"), "w") as f:
            json.dump(theirs, f, indent=2)
    summary["machine"]["load_after"] = _load()
    if ours is not None and theirs is not None:
        a, b = summary["ours"]["final_val_loss"], summary["torch"]["final_val_loss"]
        summary["val_loss_ratio"] = a / b
        summary["within_3_percent"] = abs(a / b - 1) <= 0.03
    if ours is not None:
        plot(ours, theirs, os.path.join(args.out, "vs-pytorch.png"),
             "char-level GPT on shakespeare-char: ours vs PyTorch, same batches")  # fmt: skip
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(json.dumps({k: v for k, v in summary.items() if k != "sample"}, indent=2))
    return 0


def _side(log: dict) -> dict:
    h = log["history"]
    best = min(r["val_loss"] for r in h)
    return {"final_val_loss": h[-1]["val_loss"], "best_val_loss": best,
            "test_loss": log["test"]["loss"], "steps": h[-1]["step"],
            "wall_s": round(log["wall_s"], 1), "cpu_s": round(log["cpu_s"], 1),
            "first_step_at_or_below_2": next((r["step"] for r in h if r["val_loss"] <= 2.0),
                                             None)}  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
