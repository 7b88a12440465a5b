"""How much of PyTorch's API, as real code uses it, resolves here: reads the usage list
(``tests/api_usage/torch-api-usage.tsv``), resolves each name (``torch`` -> ``autograd_engine``,
``torch.nn`` -> ``nn``, ``Tensor.x`` -> ``autograd_engine.Tensor.x``), and writes the
"PyTorch compatibility" page (``docs/compatibility.md``).

Usage (from the repository root)::

    python tools/api_coverage.py              # summary and the most used missing names
    python tools/api_coverage.py --missing 50 # the 50 most used missing names
    python tools/api_coverage.py --write-docs # regenerate docs/compatibility.md
    python tools/api_coverage.py --check-docs # exit 1 if the page is out of date

A name counts as covered when it resolves: it does what PyTorch's does, or (for the names in
``out_of_scope.tsv`` that exist) it raises a clear error that says why and what to use instead.
"""

from __future__ import annotations

import argparse
import csv
import functools
import importlib
import inspect
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "api_usage"
USAGE = DATA / "torch-api-usage.tsv"
KWARGS = DATA / "torch-api-kwargs.tsv"
OUT_OF_SCOPE = DATA / "out_of_scope.tsv"
NOTES = DATA / "numeric_differences.md"
PAGE = ROOT / "docs" / "compatibility.md"
TOP = 300


@dataclass(frozen=True)
class Name:
    """One row of the usage list and what became of it here."""

    rank: int
    kind: str
    name: str
    files: int
    uses: int
    resolves: bool
    reason: str | None  # set for the names deliberately out of scope

    @property
    def status(self) -> str:
        if self.reason is not None:
            return "raises" if self.resolves else "out of scope"
        return "works" if self.resolves else "missing"


@functools.cache
def _instances() -> dict:
    """Objects whose instance attributes the list names (``Optimizer.param_groups``)."""
    import autograd_engine as ag

    def optimizer():
        return ag.optim.SGD([ag.zeros(1, requires_grad=True)], lr=0.1)

    return {
        "Tensor": ag.zeros(1),
        "torch.nn.Module": ag.nn.Linear(1, 1),
        "torch.optim.Optimizer": optimizer(),
    }


def resolve(name: str):
    """The object ``name`` (in torch's spelling) names here; raises LookupError if none.

    ``torch.a.b`` is looked up as attributes of ``autograd_engine`` and, where an attribute is
    missing, as the submodule ``autograd_engine.a.b`` (what ``import torch.a.b`` does);
    ``Tensor.x`` is an attribute of ``autograd_engine.Tensor`` or of a tensor.
    """
    import autograd_engine as ag

    parts = name.split(".")
    if parts[0] == "Tensor":
        obj, path, rest = ag.Tensor, "Tensor", parts[1:]
    elif parts[0] == "torch":
        obj, path, rest = ag, "torch", parts[1:]
    else:
        raise LookupError(f"{name}: not a torch name")
    for i, part in enumerate(rest):
        module = ".".join(["autograd_engine", *rest[: i + 1]])  # what ``import torch.a.b`` finds
        if hasattr(obj, part):
            obj = getattr(obj, part)
        elif inspect.ismodule(obj) and _importable(module):
            obj = importlib.import_module(module)
        elif path in _instances() and hasattr(_instances()[path], part):
            obj = getattr(_instances()[path], part)
        else:
            raise LookupError(f"{name}: {path} has no attribute {part!r}")
        path = f"{path}.{part}"
    return obj


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def _resolves(name: str) -> bool:
    try:
        resolve(name)
    except LookupError:
        return False
    return True


def read_tsv(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t"))


def out_of_scope() -> dict[str, str]:
    """``name -> reason`` for the names deliberately not supported."""
    rows = [r for r in read_tsv(OUT_OF_SCOPE) if not r["name"].startswith("#")]
    return {r["name"]: r["reason"] for r in rows}


def names() -> list[Name]:
    reasons = out_of_scope()
    out = []
    for i, r in enumerate(read_tsv(USAGE)):
        n = r["name"]
        out.append(
            Name(
                i + 1,
                r["kind"],
                n,
                int(r["files_using"]),
                int(r["total_uses"]),
                _resolves(n),
                reasons.get(n),
            )  # fmt: skip
        )
    return out


@dataclass(frozen=True)
class Summary:
    total: int
    covered: int
    top_covered: int
    files_weighted: float  # share of (name, file) uses that resolve
    uses_weighted: float  # share of all call sites that resolve
    kwargs_total: int
    kwargs_covered: int


def summary(rows: list[Name] | None = None) -> Summary:
    rows = names() if rows is None else rows
    covered = [r for r in rows if r.resolves]
    kw = kwarg_rows(rows)
    return Summary(
        total=len(rows),
        covered=len(covered),
        top_covered=sum(r.resolves for r in rows[:TOP]),
        files_weighted=sum(r.files for r in covered) / sum(r.files for r in rows),
        uses_weighted=sum(r.uses for r in covered) / sum(r.uses for r in rows),
        kwargs_total=len(kw),
        kwargs_covered=sum(ok for *_, ok in kw),
    )


def kwarg_rows(rows: list[Name]) -> list[tuple[str, str, int, bool]]:
    """``(name, kwarg, files, accepted)`` for each keyword real code passes to a name that
    resolves here and is callable; accepted when the signature takes it (or ``**kwargs``)."""
    ok_names = {r.name for r in rows if r.resolves and r.reason is None}
    out = []
    for r in read_tsv(KWARGS):
        if r["name"] not in ok_names:
            continue
        out.append((r["name"], r["kwarg"], int(r["files_using"]), _accepts(r["name"], r["kwarg"])))
    return out


def _accepts(name: str, kwarg: str) -> bool:
    obj = resolve(name)
    if inspect.isclass(obj):
        obj = obj.__init__
    try:
        params = inspect.signature(obj).parameters
    except (TypeError, ValueError):
        return True  # a builtin without a signature: not checked
    if kwarg in params:
        return params[kwarg].kind not in (inspect.Parameter.POSITIONAL_ONLY,)
    return any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


# --- the page --------------------------------------------------------------------------------
def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def render(rows: list[Name] | None = None) -> str:
    """The text of ``docs/compatibility.md``."""
    rows = names() if rows is None else rows
    s = summary(rows)
    works = [r for r in rows if r.status == "works"]
    raises = [r for r in rows if r.status == "raises"]
    absent = [r for r in rows if r.status == "out of scope"]
    missing = [r for r in rows if r.status == "missing"]
    lines = [
        "# PyTorch compatibility",
        "",
        "<!-- Generated by `python tools/api_coverage.py --write-docs` from the lists in",
        "tests/api_usage/; do not edit by hand (a test checks that it is up to date). -->",
        "",
        "The engine's API is PyTorch's: `torch` -> `autograd_engine`, `torch.nn` -> `nn`,",
        "`torch.optim` -> `optim`, `torch.utils.data` -> `autograd_engine.utils.data`. This page",
        "measures that against how real code uses PyTorch: `tests/api_usage/torch-api-usage.tsv`",
        "ranks every PyTorch name by the number of files using it in a corpus of 852 files of",
        "ordinary PyTorch code from 30 public repositories (tutorials, the official examples,",
        "minGPT/nanoGPT, d2l, timm, torchvision, ...).",
        "",
        "A name is *covered* when it resolves here and does what PyTorch's does (tested against",
        "PyTorch), or, for a feature that cannot work in this engine, when it raises an error",
        "that says why and what to use instead. Nothing silently does something else.",
        "",
        "## Coverage",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| names covered | {s.covered} of {s.total} |",
        f"| names covered among the {TOP} most used | {s.top_covered} of {TOP} |",
        f"| usage-weighted (files using each name) | {_pct(s.files_weighted)} |",
        f"| usage-weighted (every call site) | {_pct(s.uses_weighted)} |",
        f"| keyword arguments accepted (of those real code passes to covered names) | "
        f"{s.kwargs_covered} of {s.kwargs_total} |",
        "",
        "## What raises, and why",
        "",
        "These names exist so that code using them fails at once with a clear message.",
        "",
        "| name | files | why, and what to use instead |",
        "|---|---:|---|",
        *[f"| `{r.name}` | {r.files} | {r.reason} |" for r in raises],
        "",
        "## Deliberately out of scope",
        "",
        "Not provided: the feature has no meaning in this engine or belongs to another library.",
        "",
        "| name | files | why |",
        "|---|---:|---|",
        *[f"| `{r.name}` | {r.files} | {r.reason} |" for r in absent],
        "",
        "## Not yet covered",
        "",
        "In scope, not yet built (most used first).",
        "",
        "| rank | name | files |",
        "|---:|---|---:|",
        *[f"| {r.rank} | `{r.name}` | {r.files} |" for r in missing],
        "",
        "## Keyword arguments not accepted",
        "",
        "Keywords real code passes to covered names that the signature here does not take.",
        "",
        "| name | keyword | files |",
        "|---|---|---:|",
        *[f"| `{n}` | `{k}` | {f} |" for n, k, f, ok in kwarg_rows(rows) if not ok],
        "",
        NOTES.read_text().rstrip() if NOTES.exists() else "",
        "",
        "## What works",
        "",
        "Every covered name, most used first (files using it in the corpus).",
        "",
        _columns([f"`{r.name}` ({r.files})" for r in works]),
        "",
    ]
    return "\n".join(lines)


def _columns(items: list[str], per_row: int = 3) -> str:
    rows = ["| | | |", "|---|---|---|"]
    for i in range(0, len(items), per_row):
        cells = items[i : i + per_row] + [""] * (per_row - len(items[i : i + per_row]))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--missing", type=int, default=30, help="how many missing names to list")
    parser.add_argument("--write-docs", action="store_true", help=f"write {PAGE.name}")
    parser.add_argument("--check-docs", action="store_true", help="fail if the page is stale")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    rows = names()
    if args.write_docs:
        PAGE.write_text(render(rows))
        print(f"wrote {PAGE.relative_to(ROOT)}")
    if args.check_docs:
        if not PAGE.exists() or PAGE.read_text() != render(rows):
            print(f"{PAGE.relative_to(ROOT)} is out of date: run python tools/api_coverage.py "
                  "--write-docs")  # fmt: skip
            return 1
        return 0
    s = summary(rows)
    print(f"covered: {s.covered} of {s.total} names; top {TOP}: {s.top_covered}")
    print(f"usage-weighted: {_pct(s.files_weighted)} (files), {_pct(s.uses_weighted)} (uses)")
    print(f"keywords accepted: {s.kwargs_covered} of {s.kwargs_total}")
    missing = [r for r in rows if r.status == "missing"][: args.missing]
    if missing:
        print("most used missing names:")
        for r in missing:
            print(f"  {r.rank:4d}  {r.name}  ({r.files} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
