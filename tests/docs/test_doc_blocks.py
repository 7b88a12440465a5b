"""The docs tests' own machinery: the Markdown reader's directives and the block runner catch what
they are meant to catch (a failing block, a block that should raise and does not, a wrong
output, an unknown directive)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from doc_blocks import DocFormatError, output_matches, python_blocks, read_blocks

RUNNER = Path(__file__).with_name("run_blocks.py")

PAGE = """# A page

<!-- an ordinary comment -->
```python
x = 2
print(x * 21)
```

<!-- output -->
```text
42
```

<!-- skip: needs a GPU -->
```python
y = x.cuda()
```

<!-- requires: surely_not_installed_package -->
```python
import surely_not_installed_package
```

<!-- raises: ZeroDivisionError -->
```python
x / 0
```

<!-- output -->
```text
ZeroDivisionError: division by zero
```

- a list item with an indented block:

  ```python
  print(x + 1)
  ```

```bash
echo not python
```
"""


def run(blocks, tmp_path: Path) -> list[dict]:
    spec = [
        {
            "where": b.where if hasattr(b, "where") else "page.md",
            "path": str(b.path),
            "line": b.line,
            "code": b.code,
            "skip": b.directives.get("skip"),
            "requires": b.requires,
            "raises": b.directives.get("raises"),
        }
        for b in blocks
    ]
    (tmp_path / "blocks.json").write_text(json.dumps(spec))
    subprocess.run(
        [sys.executable, str(RUNNER), "blocks.json", "results.json"],
        cwd=tmp_path,
        check=True,
        timeout=120,
    )
    return json.loads((tmp_path / "results.json").read_text())


@pytest.fixture
def page(tmp_path, monkeypatch) -> Path:
    import doc_blocks

    monkeypatch.setattr(doc_blocks, "ROOT", tmp_path)  # Block.where is relative to ROOT
    path = tmp_path / "page.md"
    path.write_text(PAGE)
    return path


def test_reader_finds_blocks_directives_and_outputs(page):
    blocks = read_blocks(page)
    assert [b.language for b in blocks] == ["python", "text", "python", "python", "python"] + [
        "text",
        "python",
        "bash",
    ]
    code = python_blocks(page)
    assert [b.line for b in code] == [5, 16, 21, 26, 37]
    assert code[0].output == "42\n" and code[0].directives == {}
    assert code[1].directives == {"skip": "needs a GPU"}
    assert code[2].requires == ["surely_not_installed_package"]
    assert code[3].directives == {"raises": "ZeroDivisionError"}
    assert code[3].output == "ZeroDivisionError: division by zero\n"
    assert code[4].code == "print(x + 1)\n"  # the list's indentation is removed


def test_runner_runs_in_order_and_reports_each_block(page, tmp_path):
    results = run(python_blocks(page), tmp_path)
    assert [r["status"] for r in results] == ["passed", "skipped", "skipped", "passed", "passed"]
    assert results[0]["stdout"] == "42\n"
    assert results[1]["reason"] == "needs a GPU"
    assert results[2]["reason"] == "needs surely_not_installed_package (not installed)"
    assert results[3]["raised"] == "ZeroDivisionError: division by zero\n"
    assert results[4]["stdout"] == "3\n"  # the namespace carries over


def test_runner_reports_failures_with_the_page_line_and_stops(tmp_path, monkeypatch):
    import doc_blocks

    monkeypatch.setattr(doc_blocks, "ROOT", tmp_path)
    path = tmp_path / "bad.md"
    path.write_text(
        "```python\nz = 1\nundefined_name\n```\n\n<!-- raises: ValueError -->\n```python\n"
        "z = 2\n```\n\n```python\nprint(z)\n```\n"
    )
    results = run(python_blocks(path), tmp_path)
    assert results[0]["status"] == "failed"
    assert "NameError" in results[0]["error"] and f'"{path}", line 3' in results[0]["error"]
    assert results[1] == {"status": "skipped", "reason": "not run: the block at bad.md:2 failed"}
    results = run(python_blocks(path)[1:], tmp_path)
    assert results[0]["status"] == "failed" and "should raise ValueError" in results[0]["error"]


def test_outputs_compare_up_to_whitespace_with_ellipsis():
    assert output_matches("a  b\n c\n", "a b c")
    assert output_matches("loss 0.12...\nacc ...%", "loss 0.1234 \nacc 98.6%")
    assert not output_matches("loss 0.12", "loss 0.13")
    assert not output_matches("a", "a b")


@pytest.mark.parametrize(
    "text",
    [
        "<!-- skipp: typo -->\n```python\nx = 1\n```\n",
        "<!-- output -->\n```text\n1\n```\n",
        "<!-- skip: why -->\nsome prose\n```python\nx = 1\n```\n",
    ],
)
def test_reader_refuses_malformed_directives(tmp_path, text):
    path = tmp_path / "page.md"
    path.write_text(text)
    with pytest.raises(DocFormatError):
        read_blocks(path)
