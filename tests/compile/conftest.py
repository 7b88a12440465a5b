"""Test setup for ``autograd_engine.compile``: puts this folder on ``sys.path`` (for the shared
helpers in ``compile_models.py``) and starts every test without traced programs."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

import autograd_engine as ag

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _fresh_compile_state():
    """Every test starts without traced programs and with warnings shown once per test."""
    ag.compiler.reset()
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        yield
    ag.compiler.reset()
