"""The pages' links lead somewhere: every relative link names an existing file, every ``#anchor``
a heading of its page (GitHub's rules for heading anchors), and the python blocks that need an
optional package say so (``<!-- requires: torch -->``), so that they skip where it is absent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from doc_blocks import ROOT, pages, python_blocks

_FENCED = re.compile(r"^[ \t]*(`{3,}|~{3,}).*?^[ \t]*\1[ \t]*$", re.M | re.S)
_CODE_SPAN = re.compile(r"(`+).+?\1", re.S)
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.M)


def prose(text: str) -> str:
    """The text without fenced blocks and code spans (links inside code are not links)."""
    return _CODE_SPAN.sub("", _FENCED.sub("", text))


def anchors(path: Path) -> set[str]:
    """The anchors GitHub gives the headings of ``path``."""
    seen: dict[str, int] = {}
    found = set()
    for heading in _HEADING.findall(_FENCED.sub("", path.read_text(encoding="utf-8"))):
        text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text stays
        slug = re.sub(r"[^\w\- ]", "", text.replace("`", "").lower()).replace(" ", "-")
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        found.add(slug if n == 0 else f"{slug}-{n}")
    return found


def links(path: Path) -> list[str]:
    return _LINK.findall(prose(path.read_text(encoding="utf-8")))


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(page: Path):
    broken = []
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:, ...
            continue
        file_part, _, anchor = target.partition("#")
        where = (page.parent / file_part).resolve() if file_part else page
        if not where.exists():
            broken.append(f"{target}: no such file")
        elif anchor and where.suffix == ".md" and anchor not in anchors(where):
            broken.append(f"{target}: no heading with the anchor #{anchor}")
    assert not broken, f"{page.relative_to(ROOT)}: broken links:\n" + "\n".join(broken)


def test_the_link_checker_sees_links_and_anchors(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# Training on several processes / GPUs\n## The `nn` package\n## Notes\n## Notes\n"
        "See [a](other.md#x) and ![img](pic.png), not `[b](c.md)`.\n```\n[d](e.md)\n```\n"
    )
    assert links(page) == ["other.md#x", "pic.png"]
    assert anchors(page) == {
        "training-on-several-processes--gpus",
        "the-nn-package",
        "notes",
        "notes-1",
    }


@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_blocks_that_import_optional_packages_say_so(page: Path):
    optional = {"torch": r"^\s*(import|from) torch\b", "tensorboard": r"\btensorboard\b"}
    unmarked = [
        f"{block.where} uses {name} without <!-- requires: {name} -->"
        for block in python_blocks(page)
        for name, pattern in optional.items()
        if re.search(pattern, block.code, re.M)
        and name not in block.requires
        and "skip" not in block.directives
        and "excerpt" not in block.directives
    ]
    assert not unmarked, "\n".join(unmarked)
