"""What checkpoints cost: save and load of a training checkpoint (an MLP's state_dict and its
Adam state, about 70 MB) in the safetensors format against the first format (a zip of JSON
and .npy, the module as it was at --rev), torch.save/torch.load(weights_only=True) and
safetensors.torch's save_file/load_file of the same tensors. Ratios of medians of interleaved
rounds, one process; files in a temporary folder (so mostly the page cache, not the disk).

    python benchmarks/bench_serialization.py [--rounds 7] [--rev c8064cb]
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # pin BLAS threads before NumPy loads

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import autograd_engine as ag  # noqa: E402
import nn  # noqa: E402
import optim  # noqa: E402
from autograd_engine import serialization  # noqa: E402


def old_module(rev: str):
    source = subprocess.run(
        ["git", "show", f"{rev}:autograd_engine/serialization.py"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    path = Path(tempfile.mkdtemp()) / "old_serialization.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("old_serialization", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def checkpoint() -> dict:
    model = nn.Sequential(nn.Linear(784, 2048), nn.ReLU(), nn.Linear(2048, 2048), nn.ReLU(),
                          nn.Linear(2048, 10))  # fmt: skip
    opt = optim.Adam(model.parameters())
    model(ag.randn(8, 784)).sum().backward()
    opt.step()
    return {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}


def flat_torch(ckpt: dict) -> dict:
    import torch

    out = {f"model.{k}": torch.from_numpy(v.numpy().copy()) for k, v in ckpt["model"].items()}
    for i, state in ckpt["optimizer"]["state"].items():
        for k, v in state.items():
            if isinstance(v, ag.Tensor):
                out[f"optimizer.state.{i}.{k}"] = torch.from_numpy(v.numpy().copy())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--rev", default="c8064cb", help="the commit of the first format")
    args = parser.parse_args()
    ckpt = checkpoint()
    folder = Path(tempfile.mkdtemp())
    old = old_module(args.rev)
    sides = {
        "safetensors (ours)": (
            lambda: serialization.save(ckpt, folder / "new.ckpt"),
            lambda: serialization.load(folder / "new.ckpt"),
        ),
        "zip + npy (before)": (
            lambda: old.save(ckpt, folder / "old.ckpt"),
            lambda: old.load(folder / "old.ckpt"),
        ),
        "ours, mmap=True": (None, lambda: serialization.load(folder / "new.ckpt", mmap=True)),
    }
    try:
        import safetensors.torch
        import torch

        flat = flat_torch(ckpt)
        sides["torch.save"] = (
            lambda: torch.save(flat, folder / "t.pt"),
            lambda: torch.load(folder / "t.pt", weights_only=True),
        )
        sides["safetensors.torch"] = (
            lambda: safetensors.torch.save_file(flat, folder / "t.st"),
            lambda: safetensors.torch.load_file(folder / "t.st"),
        )
    except ImportError:
        print("(torch not installed: no PyTorch rows)")
    serialization.save(ckpt, folder / "new.ckpt")
    mb = os.path.getsize(folder / "new.ckpt") / 2**20
    times: dict = {(name, op): [] for name in sides for op in ("save", "load")}
    for _ in range(args.rounds):  # interleaved: every side once per round
        for name, (save, load) in sides.items():
            for op, fn in (("save", save), ("load", load)):
                if fn is None:
                    continue
                t0 = time.perf_counter()
                fn()
                times[name, op].append(time.perf_counter() - t0)
    arrays = serialization.load(folder / "new.ckpt")
    crc_times = []
    tensors = [v.numpy() for v in arrays["model"].values()] + [
        v.numpy() for s in arrays["optimizer"]["state"].values() for v in s.values()
        if isinstance(v, ag.Tensor)
    ]  # fmt: skip
    for _ in range(args.rounds):
        t0 = time.perf_counter()
        for a in tensors:
            serialization._crc32(a)
        crc_times.append(time.perf_counter() - t0)
    base = {op: statistics.median(times["safetensors (ours)", op]) for op in ("save", "load")}
    print(f"checkpoint of {mb:.1f} MiB, {args.rounds} interleaved rounds, medians (min-max)")
    print(f"{'':22} {'save ms':>22} {'ratio':>6} {'load ms':>22} {'ratio':>6}")
    for name in sides:
        cells = []
        for op in ("save", "load"):
            t = times[name, op]
            if not t:
                cells += ["-", "-"]
                continue
            med = statistics.median(t)
            cells += [f"{1e3 * med:8.1f} ({1e3 * min(t):.1f}-{1e3 * max(t):.1f})",
                      f"{med / base[op]:.2f}"]  # fmt: skip
        print(f"{name:22} {cells[0]:>22} {cells[1]:>6} {cells[2]:>22} {cells[3]:>6}")
    print(f"CRC-32 of every tensor (part of ours' save and load): "
          f"{1e3 * statistics.median(crc_times):.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
