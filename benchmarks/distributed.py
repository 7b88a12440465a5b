"""DDP step time on 1 and 2 ranks (CPU MLP and CNN): scaling efficiency and the share of the
step spent communicating, measured.

``python -m benchmarks.distributed [--quick] [--ranks 1,2] [--json PATH] [--markdown PATH]``
launches ``mpiexec -n k`` for each rank count; each launch times, interleaved, a DDP step that
averages gradients and the same step under ``no_sync()`` (no communication), and then the
all-reduce alone on a buffer the size of all the gradients. The share of communication is
``(sync - no_sync) / sync`` (medians), which includes waiting for the slower rank; weak scaling
keeps the per-rank batch, strong scaling splits one global batch. BLAS is pinned to one thread
per rank.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

WORKLOADS = {
    # name: (global batch for strong scaling, per-rank batch for weak scaling)
    "mlp 784-256-128-10": (256, 128),
    "cnn conv8-pool-fc": (64, 32),
}


def _model(name: str):
    import nn

    if name.startswith("mlp"):
        return nn.Sequential(
            nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)
        )
    return nn.Sequential(
        nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1352, 10)
    )


def _inputs(name: str, batch: int, seed: int):
    import autograd_engine as ag

    g = ag.Generator().manual_seed(seed)
    shape = (batch, 784) if name.startswith("mlp") else (batch, 1, 28, 28)
    return ag.randn(*shape, generator=g), ag.randint(0, 10, (batch,), generator=g)


def _step(model, opt, x, y, sync: bool) -> float:
    """One timed training step, averaging the gradients or (``sync=False``) not."""
    import autograd_engine.distributed as dist
    import nn.functional as F

    dist.barrier()  # start together, so the wait inside backward is communication only
    t0 = time.perf_counter()
    opt.zero_grad()
    if sync:
        F.cross_entropy(model(x), y).backward()
    else:
        with model.no_sync():
            F.cross_entropy(model(x), y).backward()
    opt.step()
    return time.perf_counter() - t0


def worker(steps: int, warmup: int, out: str) -> None:
    """One rank: time sync and no_sync steps of each workload; rank 0 writes the medians."""
    import autograd_engine as ag
    import autograd_engine.distributed as dist
    import optim
    from nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    results = []
    for name, (global_batch, per_rank) in WORKLOADS.items():
        for scaling, batch in (("strong", global_batch // world), ("weak", per_rank)):
            ag.manual_seed(0)
            model = DDP(_model(name))
            opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
            x, y = _inputs(name, batch, seed=rank)

            run = (model, opt, x, y)
            for _ in range(warmup):
                _step(*run, True), _step(*run, False)
            synced, local = [], []
            for _ in range(steps):
                synced.append(_step(*run, True))
                local.append(_step(*run, False))
            flat = [ag.zeros(sum(p.numel() for p in model.parameters()))]
            transfer = []
            for _ in range(steps):  # the all-reduce alone, on a buffer of all the gradients
                dist.barrier()
                t0 = time.perf_counter()
                dist.all_reduce(flat[0])
                transfer.append(time.perf_counter() - t0)
            mine = (statistics.median(synced), statistics.median(local))
            everyone = [None] * world
            dist.all_gather_object(everyone, mine)
            sync_s = max(t[0] for t in everyone)  # the step ends when the slowest rank does
            local_s = max(t[1] for t in everyone)
            results.append(
                {
                    "workload": name,
                    "scaling": scaling,
                    "ranks": world,
                    "batch_per_rank": batch,
                    "global_batch": batch * world,
                    "step_ms": 1e3 * sync_s,
                    "no_sync_step_ms": 1e3 * local_s,
                    "comm_share": max(0.0, (sync_s - local_s) / sync_s),
                    "allreduce_ms": 1e3 * statistics.median(transfer),
                    "grad_bytes": int(flat[0].numel()) * 4,
                    "samples_per_s": batch * world / sync_s,
                    "buckets": len(model._buckets),
                }
            )
    if rank == 0:
        Path(out).write_text(json.dumps(results))
    dist.destroy_process_group()


def _launch(ranks: int, steps: int, warmup: int) -> list[dict]:
    from autograd_engine.distributed import _mpi

    mpiexec = _mpi.find_mpiexec()
    if mpiexec is None or not _mpi.available():
        raise SystemExit("benchmarks.distributed needs mpi4py and mpiexec: " + _mpi.INSTALL_HINT)
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "rank0.json")
        cmd = [mpiexec, "-n", str(ranks), sys.executable, "-m", "benchmarks.distributed",
               "--worker", "--steps", str(steps), "--warmup", str(warmup),
               "--out", out]  # fmt: skip
        subprocess.run(cmd, env=env, check=True, timeout=1800, cwd=ROOT)
        return json.loads(Path(out).read_text())


def _efficiency(rows: list[dict]) -> None:
    """Scaling efficiency of each row against the 1-rank row of its workload and scaling:
    strong: t1 / (k * tk) of the same global batch; weak: t1 / tk at the same per-rank batch."""
    base = {(r["workload"], r["scaling"]): r for r in rows if r["ranks"] == 1}
    for r in rows:
        one = base.get((r["workload"], r["scaling"]))
        if one is None:
            r["efficiency"] = None
            continue
        k = r["ranks"]
        if r["scaling"] == "strong":
            r["efficiency"] = one["step_ms"] / (k * r["step_ms"])
        else:
            r["efficiency"] = one["step_ms"] / r["step_ms"]


def markdown(rows: list[dict], machine: dict) -> str:
    lines = [
        f"DDP on the CPU: {machine['cpus']} cores, load average {machine['load']}, "
        f"MPI {machine['mpi']}, {machine['steps']} interleaved steps per row (medians; "
        "a row's step is the slowest rank's).",
        "",
        "| workload | scaling | ranks | batch/rank | step ms | no_sync ms | comm share "
        "| all-reduce ms (KiB) | samples/s | efficiency |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        eff = "—" if r["efficiency"] is None else f"{r['efficiency']:.2f}"
        lines.append(
            f"| {r['workload']} | {r['scaling']} | {r['ranks']} | {r['batch_per_rank']} | "
            f"{r['step_ms']:.2f} | {r['no_sync_step_ms']:.2f} | {100 * r['comm_share']:.0f}% | "
            f"{r['allreduce_ms']:.2f} ({r['grad_bytes'] // 1024}) | {r['samples_per_s']:.0f} | "
            f"{eff} |"
        )
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.distributed", description=__doc__)
    p.add_argument("--quick", action="store_true", help="few steps: checks that it runs")
    p.add_argument("--ranks", default="1,2", help="rank counts to run (default 1,2)")
    p.add_argument("--steps", type=int, default=None, help="timed steps per row (default 40)")
    p.add_argument("--warmup", type=int, default=None)
    p.add_argument("--json", metavar="PATH")
    p.add_argument("--markdown", metavar="PATH")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    steps = args.steps or (3 if args.quick else 40)
    warmup = args.warmup if args.warmup is not None else (1 if args.quick else 5)
    if args.worker:
        worker(steps, warmup, args.out)
        return 0
    rows = []
    for k in (int(x) for x in args.ranks.split(",")):
        rows.extend(_launch(k, steps, warmup))
    _efficiency(rows)
    from autograd_engine.distributed import _mpi

    machine = {
        "cpus": os.cpu_count(),
        "load": [round(x, 2) for x in os.getloadavg()],
        "mpi": "mpi4py " + __import__("mpi4py").__version__ if _mpi.available() else "?",
        "steps": steps,
    }
    text = markdown(rows, machine)
    print(text)
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine, "rows": rows}, indent=1))
    if args.markdown:
        Path(args.markdown).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
