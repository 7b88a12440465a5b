"""Shared test setup: the ``device`` fixture (CPU, plus CUDA where CuPy sees a GPU), hypothesis
profiles chosen by ``HYPOTHESIS_PROFILE`` (dev, ci, thorough) and the torch-oracle skip helper."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import autograd_engine as ag

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
