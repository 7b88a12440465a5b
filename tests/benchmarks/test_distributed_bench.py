"""The DDP benchmark runs (quick mode, 1 and 2 ranks) and reports every row it promises."""

from __future__ import annotations

import json
import sys

from tests.distributed.mpi_helper import ROOT, needs_mpi, run


@needs_mpi
def test_distributed_benchmark_quick(tmp_path):
    out = tmp_path / "ddp.json"
    done = run(
        [sys.executable, "-m", "benchmarks.distributed", "--quick", "--json", str(out)],
        timeout=180,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(out.read_text())["rows"]
    assert {(r["ranks"], r["scaling"]) for r in rows} == {
        (k, s) for k in (1, 2) for s in ("strong", "weak")
    }
    assert {r["workload"] for r in rows} == {"mlp 784-256-128-10", "cnn conv8-pool-fc"}
    for r in rows:
        assert r["step_ms"] > 0 and 0 <= r["comm_share"] <= 1 and r["efficiency"] > 0
        assert r["global_batch"] == r["batch_per_rank"] * r["ranks"]
    assert "| workload | scaling | ranks |" in done.stdout
