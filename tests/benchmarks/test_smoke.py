"""Smoke test of the benchmark suite: the ``--quick`` run completes in-process, writes its JSON,
keeps our MLP and CNN steps in float32, and its three sides agree on the gradients. No timing
is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import autograd_engine as ag

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks import ours, run  # noqa: E402


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """One quick run of every workload; returns (result dict, JSON path, printed text)."""
    path = tmp_path_factory.mktemp("bench") / "quick.json"
    result = run.run_suite(["--quick", "--json", str(path)])
    return result, path


def test_quick_run_times_every_workload(quick):
    result, _ = quick
    groups = {r["group"] for r in result["rows"]} | {r["group"] for r in result["memory"]}
    assert groups == set(run.GROUP_NAMES)
    for row in result["rows"]:
        if row["skip"]:
            continue
        # the sequence rows have PyTorch as their only reference (no hand-written NumPy side)
        wanted = {"ours"} if row["group"] == "sequence" else {"ours", "ref"}
        assert wanted <= set(row["stats"]), row["name"]
        for stats in row["stats"].values():
            assert 0 < stats["min"] <= stats["median"] <= stats["max"]
            assert len(stats["samples"]) == result["options"]["repeat"]
    for row in result["memory"]:
        if not row["skip"]:
            assert row["peak_bytes"]["ours"] > 0 and row["peak_bytes"]["ref"] > 0


def test_torch_is_a_side_where_installed(quick):
    result, _ = quick
    pytest.importorskip("torch")
    timed = [r for r in result["rows"] if not r["skip"]]
    assert all("torch" in r["stats"] for r in timed)
    assert all("torch" in r["ratios"] for r in timed if "ours" in r["stats"])


def test_ours_uses_nn_and_conv_where_they_exist(quick):
    result, _ = quick
    notes = {r["name"]: r["note"] for r in result["rows"]}
    mlp_notes = [n for name, n in notes.items() if name.startswith("mlp")]
    expected = "nn+optim" if ours.nn_api("Linear", "ReLU") else "raw ops"
    assert mlp_notes and all(expected in n for n in mlp_notes)
    cnn_rows = [r for r in result["rows"] if r["group"] == "cnn"]
    assert all(bool(r["skip"]) != ours.conv_available() for r in cnn_rows)


def test_float32_end_to_end(quick):
    result, _ = quick
    checks = result["checks"]["float32"]
    mlp = [v for k, v in checks.items() if k.startswith("mlp")]
    assert mlp == [[]], checks
    cnn = [v for k, v in checks.items() if k.startswith("cnn")]
    if ours.conv_available():
        assert cnn == [[]], checks
    else:
        assert all(isinstance(v, str) and v.startswith("skipped") for v in cnn)


def test_sides_agree_on_gradients(quick):
    result, _ = quick
    checks = result["checks"]
    assert checks["ok"], checks
    for diffs in checks["agreement"].values():
        assert all(d <= checks["tolerance"] for d in diffs.values()), diffs


def test_json_has_numbers_and_machine(quick):
    _, path = quick
    data = json.loads(path.read_text())
    for key in ("date", "cpu", "cores", "python", "numpy", "torch", "blas", "commit"):
        assert key in data["machine"]
    assert data["options"]["quick"] is True
    assert data["rows"] and all("ratios" in r for r in data["rows"])


@pytest.mark.gpu
@pytest.mark.skipif(not ag.cuda.is_available(), reason="needs CuPy and a CUDA GPU")
def test_quick_gpu_run(tmp_path):
    args = ["--quick", "--device", "cuda", "--json", str(tmp_path / "gpu.json")]
    if getattr(ag.array_backend.cupy, "_IS_STANDIN", False):
        # NOTE: the compiled group captures CUDA graphs, which the CuPy stand-in cannot model
        args += ["--only", "per-op,mlp,cnn,optim,matmul,memory,sequence"]
    result = run.run_suite(args)
    assert result["machine"]["gpu"]
    assert result["checks"]["ok"], result["checks"]
    timed = [r for r in result["rows"] if not r["skip"]]
    # NOTE: the sequence workloads have no hand-written CuPy reference, and PyTorch joins only
    # where its wheel has CUDA, so those rows may time ours alone.
    assert timed and all("ours" in r["stats"] for r in timed)
    assert all("ref" in r["stats"] for r in timed if r["group"] != "sequence")


def test_unknown_workload_is_refused(capsys):
    with pytest.raises(SystemExit):
        run.parse_args(["--only", "mlp,nope"])
    assert "unknown workload nope" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["-m", "benchmarks"], ["benchmarks/run.py"]])
def test_both_entry_points_start(command):
    done = subprocess.run(
        [sys.executable, *command, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "--device" in done.stdout and "--only" in done.stdout


@pytest.mark.parametrize(
    "device",
    [
        "cpu",
        pytest.param(
            "cuda",
            marks=[
                pytest.mark.gpu,
                pytest.mark.skipif(not ag.cuda.is_available(), reason="needs CuPy and a CUDA GPU"),
            ],
        ),
    ],
)
def test_autocast_mlp_quick_run(device, tmp_path):
    from benchmarks import autocast_mlp

    result = autocast_mlp.main(["--quick", "--device", device, "--json", str(tmp_path / "a.json")])
    assert set(result["median_s"]) == {"float32", "autocast float16"}
    assert all(len(v) == result["repeat"] for v in result["samples_s"].values())
    assert result["speedup"] > 0 and (tmp_path / "a.json").exists()
