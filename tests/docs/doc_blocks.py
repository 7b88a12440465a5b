"""Reads the fenced code blocks of the Markdown pages and the HTML-comment directives that say
how the docs tests treat them (the conventions are in ``CONTRIBUTING.md``, "Examples in the
docs").

A directive is an HTML comment on the line(s) right above a fence:

- ``<!-- skip: REASON -->``: the block is not run; the test reports it skipped with REASON.
- ``<!-- requires: NAME[, NAME] -->``: run only where each NAME is importable (``torch``,
  ``tensorboard``, ``mpi4py``) or, for ``cuda``, where ``autograd_engine.cuda.is_available()``;
  otherwise skipped, naming what is missing.
- ``<!-- raises: ExceptionType -->``: the block must raise that exception (the example fails
  on purpose); the pages after it keep running.
- ``<!-- output -->`` above a ``text`` block right after a python block: what that python block
  prints (or, for a ``raises`` block, ``ExceptionType: message``) must equal the text, compared
  after collapsing whitespace; ``...`` in the text stands for any run of characters.
- ``<!-- excerpt: PATH -->``: the block is quoted from the repository file PATH; it is not run,
  and the test checks that PATH still contains it, line for line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ("python", "py", "python3")
DIRECTIVES = ("skip", "requires", "raises", "output", "excerpt")
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`\s]*)[^`]*$")
_COMMENT = re.compile(r"^\s*<!--\s*(?P<body>.*?)\s*-->\s*$")


class DocFormatError(ValueError):
    """A page breaks the conventions (an unknown directive, an output block after no python)."""


@dataclass
class Block:
    """One fenced block: where it is, its language and text, and its directives."""

    path: Path
    line: int  # 1-based line of the first line of code (the one after the opening fence)
    language: str
    code: str
    directives: dict[str, str] = field(default_factory=dict)
    output: str | None = None  # the expected output, for a python block followed by one

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT).as_posix()}:{self.line}"

    @property
    def is_python(self) -> bool:
        return self.language in PYTHON

    @property
    def requires(self) -> list[str]:
        text = self.directives.get("requires", "")
        return [name.strip() for name in text.split(",") if name.strip()]


def pages() -> list[Path]:
    """The Markdown pages a reader sees: the top-level ones and everything under ``docs/``."""
    top = sorted(ROOT.glob("*.md"))
    return top + sorted((ROOT / "docs").rglob("*.md"))


def _directive(body: str, path: Path, lineno: int) -> tuple[str, str] | None:
    key, _, value = body.partition(":")
    key = key.strip()
    if key not in DIRECTIVES:
        if re.fullmatch(r"[a-z-]+", key) and (not value or value.startswith(" ")):
            raise DocFormatError(
                f"{path.name}:{lineno}: unknown directive <!-- {body} --> before a code block; "
                f"the directives are {', '.join(DIRECTIVES)}"
            )
        return None  # an ordinary comment
    return key, value.strip()


def read_blocks(path: Path) -> list[Block]:
    """The fenced blocks of ``path`` in order, with their directives and expected outputs."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    pending: dict[str, str] = {}
    while i < len(lines):
        comment = _COMMENT.match(lines[i])
        if comment:
            found = _directive(comment["body"], path, i + 1)
            if found:
                pending[found[0]] = found[1]
            i += 1
            continue
        fence = _FENCE.match(lines[i])
        if not fence:
            if lines[i].strip() and pending:
                raise DocFormatError(
                    f"{path.name}:{i}: the directive(s) {sorted(pending)} must sit right above "
                    "a code block"
                )
            i += 1
            continue
        indent, marker = fence["indent"], fence["fence"]
        start = i + 1
        i += 1
        while i < len(lines) and not (
            lines[i].strip().startswith(marker) and lines[i].strip().strip(marker[0]) == ""
        ):
            i += 1
        body = [line[len(indent) :] if line.startswith(indent) else line for line in lines[start:i]]
        block = Block(path, start + 1, fence["info"].lower(), "\n".join(body) + "\n", pending)
        pending = {}
        i += 1
        if "output" in block.directives:
            previous = blocks[-1] if blocks else None
            if block.is_python or previous is None or not previous.is_python:
                raise DocFormatError(
                    f"{path.name}:{block.line}: <!-- output --> must mark a text block that "
                    "comes right after a python block"
                )
            if previous.output is not None:
                raise DocFormatError(f"{path.name}:{block.line}: a second output block")
            previous.output = block.code
        blocks.append(block)
    return blocks


def python_blocks(path: Path) -> list[Block]:
    return [block for block in read_blocks(path) if block.is_python]


def normalize(text: str) -> str:
    """Whitespace collapsed to single spaces, ends stripped."""
    return " ".join(text.split())


def output_matches(expected: str, actual: str) -> bool:
    """``actual`` equals ``expected`` up to whitespace, where ``...`` in ``expected`` matches any
    run of characters (as doctest's ELLIPSIS)."""
    parts = [re.escape(part) for part in normalize(expected).split("...")]
    return re.fullmatch(".*?".join(parts), normalize(actual), flags=re.S) is not None
