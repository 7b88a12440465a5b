"""Shared test setup: the ``device`` fixture (CPU, plus CUDA where CuPy sees a GPU), hypothesis
profiles chosen by ``HYPOTHESIS_PROFILE`` (dev, ci, thorough) and the torch-oracle skip helper.

``AUTOGRAD_ENGINE_CUPY_STANDIN=1`` runs every ``cuda`` case on the strict CuPy stand-in in
``tests/_cupy_standin`` (two simulated GPUs, NumPy underneath): it goes first on ``sys.path``
before anything imports ``autograd_engine``, fused kernels are switched off (the stand-in cannot
run CUDA C++), and tests marked ``real_gpu`` skip."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

STANDIN = os.environ.get("AUTOGRAD_ENGINE_CUPY_STANDIN", "0") == "1"
if STANDIN:
    _standin_path = str(Path(__file__).parent / "_cupy_standin")
    sys.path.insert(0, _standin_path)
    # Subprocesses started by tests see the stand-in too.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (_standin_path, os.environ.get("PYTHONPATH")) if p
    )
    os.environ["AUTOGRAD_ENGINE_FUSED"] = "0"
    assert "autograd_engine" not in sys.modules, "the stand-in must be on sys.path first"

import autograd_engine as ag  # noqa: E402

# The gradient-test registry is shared by test modules in several folders.
sys.path.insert(0, str(Path(__file__).parent / "autograd_engine"))

settings.register_profile(
    "dev", max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci",
    max_examples=50,
    deadline=None,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.register_profile(
    "thorough", max_examples=300, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

DEVICES = [
    "cpu",
    pytest.param(
        "cuda",
        marks=[
            pytest.mark.gpu,
            pytest.mark.skipif(not ag.cuda.is_available(), reason="needs CuPy and a CUDA GPU"),
        ],
    ),
]


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "real_gpu: needs a real CUDA GPU (custom kernels); skips on the CuPy stand-in"
    )


def pytest_collection_modifyitems(config, items):
    if not STANDIN:
        return
    skip = pytest.mark.skip(reason="needs a real GPU: the CuPy stand-in cannot run CUDA kernels")
    for item in items:
        if "real_gpu" in item.keywords:
            item.add_marker(skip)


def pytest_report_header(config):
    if STANDIN:
        import cupy

        return (
            f"cuda: the CuPy stand-in ({cupy.__file__}), "
            f"{cupy.cuda.runtime.getDeviceCount()} simulated devices"
        )
    return None


@pytest.fixture(params=DEVICES)
def device(request) -> str:
    """Each test that takes ``device`` runs on the CPU and, where available, on CUDA."""
    return request.param


def requires_torch():
    """The torch module for oracle tests; skips the test where torch is not installed."""
    return pytest.importorskip("torch", reason="torch (the oracle) is not installed")


@pytest.fixture
def torch():
    return requires_torch()


@pytest.fixture(autouse=True)
def _seed():
    ag.manual_seed(0)
    yield
