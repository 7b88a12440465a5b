"""The Python blocks of ``docs/cuda.md``, ``docs/jit.md`` and ``docs/distributions.md`` run (on
the CPU the first takes its no-GPU branches)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.mark.parametrize("page", ["cuda.md", "jit.md", "distributions.md"])
def test_python_blocks_run(page):
    blocks = re.findall(r"```python\n(.*?)```", (DOCS / page).read_text(), flags=re.S)
    assert blocks
    namespace: dict = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"{page} block {i}", "exec"), namespace)
