"""Test setup for the vendored-programs suite: puts this folder (``programs_loader``) and the
vendored minGPT checkout (its modules import each other as ``mingpt.*``) on ``sys.path``."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "vendored" / "minGPT"))


import pytest  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def _torch_one_thread():
    """PyTorch on one thread while these run: on a small busy machine its thread pool
    contends with itself (a 50x slowdown on the LSTM program), and the results do not depend
    on it. The previous setting comes back afterwards."""
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
