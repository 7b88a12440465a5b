"""Runs one page's python blocks in order in one fresh ``__main__`` namespace, as a reader who
pastes them into one script would, and records what each did.

Usage: ``python run_blocks.py BLOCKS.json RESULTS.json`` (the docs tests start it in a temporary
directory with a timeout). BLOCKS.json is a list of ``{"where", "path", "line", "code",
"skip", "requires", "raises"}``; RESULTS.json gets one ``{"status", "stdout", "error",
"reason"}`` per block, rewritten after every block so that a timeout still tells which block
hung. Tracebacks point at the Markdown file's own lines.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import io
import json
import sys
import traceback
import types


def missing(requirement: str) -> str | None:
    """Why ``requirement`` is unavailable here, or None when it is available."""
    if requirement in ("cuda", "gpu"):
        import autograd_engine as ag

        return None if ag.cuda.is_available() else "needs a CUDA GPU (CuPy and a GPU)"
    if importlib.util.find_spec(requirement) is None:
        return f"needs {requirement} (not installed)"
    return None


def raised_as(exc: BaseException, name: str) -> bool:
    return any(cls.__name__ == name or cls.__qualname__ == name for cls in type(exc).__mro__)


def run_block(block: dict, namespace: dict) -> dict:
    tree = ast.parse(block["code"], filename=block["path"])
    ast.increment_lineno(tree, block["line"] - 1)  # tracebacks name the page's lines
    code = compile(tree, block["path"], "exec")
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(code, namespace)
    except BaseException as exc:  # noqa: BLE001 - every failure is reported, not raised
        if isinstance(exc, KeyboardInterrupt):
            raise
        message = "".join(traceback.format_exception_only(type(exc), exc))
        if block["raises"] and raised_as(exc, block["raises"]):
            return {"status": "passed", "stdout": out.getvalue(), "raised": message}
        return {
            "status": "failed",
            "stdout": out.getvalue(),
            "error": "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)),
        }
    if block["raises"]:
        return {
            "status": "failed",
            "stdout": out.getvalue(),
            "error": f"the block should raise {block['raises']} (it says so) but ran without error",
        }
    return {"status": "passed", "stdout": out.getvalue()}


def main(blocks_file: str, results_file: str) -> int:
    with open(blocks_file, encoding="utf-8") as f:
        blocks = json.load(f)
    module = types.ModuleType("__main__")  # classes defined in a page pickle as a script's would
    module.__builtins__ = __builtins__
    sys.modules["__main__"] = module
    results: list[dict] = []
    failed_at = None
    for block in blocks:
        if block["skip"] is not None:
            result = {"status": "skipped", "reason": block["skip"]}
        elif failed_at is not None:
            result = {"status": "skipped", "reason": f"not run: the block at {failed_at} failed"}
        else:
            reasons = [r for r in map(missing, block["requires"]) if r]
            if reasons:
                result = {"status": "skipped", "reason": "; ".join(reasons)}
            else:
                result = run_block(block, module.__dict__)
                if result["status"] == "failed":
                    failed_at = block["where"]
        results.append(result)
        with open(results_file, "w", encoding="utf-8") as f:
            json.dump(results, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
