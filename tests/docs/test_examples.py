"""Every python block of README.md and docs/*.md runs: one test per block, each page's blocks in
order in one fresh process and namespace, from a temporary directory, with a timeout per page.
Outputs marked ``<!-- output -->`` are compared; ``<!-- skip: ... -->`` and ``<!-- requires:
... -->`` blocks are reported skipped with their reason; ``<!-- raises: ... -->`` blocks must
raise; ``<!-- excerpt: PATH -->`` blocks must still be in PATH. See ``doc_blocks.py``."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from doc_blocks import ROOT, Block, DocFormatError, output_matches, pages, python_blocks

try:
    import fcntl
except ImportError:  # Windows: no locking; under pytest-xdist a page may then run twice
    fcntl = None

RUNNER = Path(__file__).with_name("run_blocks.py")
PAGE_TIMEOUT = 300  # seconds for all of one page's blocks


def _collect() -> list:
    params = []
    for page in pages():
        try:
            blocks = python_blocks(page)
        except DocFormatError as exc:
            params.append(pytest.param(page, None, str(exc), id=page.relative_to(ROOT).as_posix()))
            continue
        for index, block in enumerate(blocks):
            params.append(pytest.param(page, index, None, id=block.where))
    return params


_RESULTS: dict[Path, list[dict]] = {}


def _shared_dir(tmp_path_factory) -> Path:
    """A folder all of this session's processes see: under pytest-xdist, the workers' common
    parent, so that each page runs once, not once per worker that got one of its blocks."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextlib.contextmanager
def _locked(path: Path):
    with open(path, "w") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _run_page(page: Path, tmp_path_factory) -> list[dict]:
    """The result of each of the page's blocks; the first of its tests to run runs the page."""
    if page not in _RESULTS:
        work = _shared_dir(tmp_path_factory) / ("docs-" + "_".join(page.relative_to(ROOT).parts))
        work.mkdir(exist_ok=True)
        final = work / "final.json"
        with _locked(work / "lock"):
            if not final.exists():
                final.write_text(json.dumps(_execute(page, work)))
        _RESULTS[page] = json.loads(final.read_text())
    return _RESULTS[page]


def _execute(page: Path, work: Path) -> list[dict]:
    blocks = python_blocks(page)
    runnable = [b for b in blocks if "excerpt" not in b.directives]
    spec = [
        {
            "where": b.where,
            "path": str(b.path),
            "line": b.line,
            "code": b.code,
            "skip": b.directives.get("skip"),
            "requires": b.requires,
            "raises": b.directives.get("raises"),
        }
        for b in runnable
    ]
    blocks_file, results_file = work / "blocks.json", work / "results.json"
    blocks_file.write_text(json.dumps(spec))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("MPLBACKEND", "Agg")
    cwd = work / "cwd"
    cwd.mkdir()
    timed_out = False
    try:
        proc = subprocess.run(
            [sys.executable, str(RUNNER), str(blocks_file), str(results_file)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=PAGE_TIMEOUT,
        )
        crash = proc.stderr if proc.returncode else ""
    except subprocess.TimeoutExpired:
        timed_out, crash = True, ""
    results = json.loads(results_file.read_text()) if results_file.exists() else []
    if len(results) < len(runnable):
        if timed_out:
            why = f"the page's blocks ran past {PAGE_TIMEOUT} s; this block had not finished"
        else:
            why = f"the runner stopped:\n{crash}"
        results.append({"status": "failed", "error": why})
        results += [{"status": "skipped", "reason": "not run (see above)"}] * (
            len(runnable) - len(results)
        )
    by_block = iter(results)
    return [{"status": "excerpt"} if "excerpt" in b.directives else next(by_block) for b in blocks]


def _check_excerpt(block: Block) -> None:
    """Each line of the excerpt, stripped, is within the matching line of a run of consecutive
    lines of the source (so an excerpt may drop indentation or a trailing comma)."""
    source = ROOT / block.directives["excerpt"]
    assert source.is_file(), f"{block.where}: the excerpt's source {source} does not exist"
    lines = [line.strip() for line in source.read_text().splitlines()]
    want = [line.strip() for line in block.code.strip("\n").splitlines()]
    found = any(
        all((w in line) if w else not line for w, line in zip(want, lines[i : i + len(want)]))
        for i in range(len(lines) - len(want) + 1)
    )
    assert found, (
        f"{block.where}: the excerpt is no longer in {block.directives['excerpt']}; copy it again"
    )


@pytest.mark.parametrize(("page", "index", "format_error"), _collect())
def test_example(page: Path, index: int | None, format_error: str | None, tmp_path_factory):
    if format_error:
        pytest.fail(format_error)
    block = python_blocks(page)[index]
    if "excerpt" in block.directives:
        _check_excerpt(block)
        return
    result = _run_page(page, tmp_path_factory)[index]
    if result["status"] == "skipped":
        pytest.skip(result["reason"])
    if result["status"] == "failed":
        pytest.fail(f"{block.where}: the example fails\n{block.code}\n{result['error']}", False)
    if block.output is not None:
        actual = result.get("raised", result["stdout"])
        what = "error" if "raised" in result else "printed output"
        assert output_matches(block.output, actual), (
            f"{block.where}: the {what} differs from the page's output block\n"
            f"--- page ---\n{block.output}--- actual ---\n{actual}"
        )
