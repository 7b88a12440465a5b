"""The Python blocks of docs/compile.md run as written, in order, in one namespace (with a small
``loader`` of MNIST-shaped batches), and do what the text says: the step and the module are
replayed, not run eagerly."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

import autograd_engine as ag

DOC = Path(__file__).resolve().parents[2] / "docs" / "compile.md"


def test_python_blocks_run():
    code = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.S)
    assert len(code) == 2
    rng = np.random.default_rng(0)
    loader = [
        (
            ag.tensor(rng.standard_normal((16, 784)).astype(np.float32)),
            ag.tensor(rng.integers(0, 10, 16)),
        )
        for _ in range(4)
    ]
    namespace = {"loader": loader}
    for i, block in enumerate(code):
        exec(compile(block, f"{DOC.name}, python block {i}", "exec"), namespace)
    (line,) = namespace["train_step"].explain()
    assert line.startswith("replayed")
    assert namespace["model"].forward.explain()[0].startswith("replayed")
