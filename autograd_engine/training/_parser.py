"""The command line's ``ArgumentParser``: errors a newcomer can act on. An error prints the
subcommand's one-line usage and the message (not every option), a mistyped option or choice
gets the closest valid one, and option names are never prefix-matched (``--epoch`` is not
silently ``--epochs``)."""

from __future__ import annotations

import argparse
import difflib
import re
import sys

__all__ = ["Parser", "suggest"]

# Spellings that string similarity cannot find: other libraries' names for our options.
SYNONYMS = {
    "--learning-rate": "--lr",
    "--learning_rate": "--lr",
    "--learningrate": "--lr",
    "--optimiser": "--optimizer",
    "--opt": "--optimizer",
    "--wd": "--weight-decay",
    "--bs": "--batch-size",
    "--epoch": "--epochs",
    "--n-epochs": "--epochs",
    "--num-epochs": "--epochs",
    "--output": "--out",
    "--output-dir": "--out",
    "--data": "--data-dir",
    "--data-root": "--data-dir",
    "--root": "--data-dir",
    "--hidden-size": "--hidden",
    "--hidden-sizes": "--hidden",
    "--ckpt": "--checkpoint",
    "--lr-scheduler": "--scheduler",
    "--schedule": "--scheduler",
    "--batch-norm": "--batchnorm",
    "--bn": "--batchnorm",
    "--cuda": "--device",
    "--gpu": "--device",
}


def suggest(word: str, candidates) -> str | None:
    """The candidate closest to ``word`` (a synonym first, then by spelling), or None."""
    candidates = list(candidates)
    if SYNONYMS.get(word) in candidates:
        return SYNONYMS[word]
    if word.replace("_", "-") in candidates:
        return word.replace("_", "-")
    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` with ``allow_abbrev=False`` and actionable errors."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def parse_args(self, args=None, namespace=None):
        namespace, extras = self.parse_known_args(args, namespace)
        if extras:
            parser = self.subparser(getattr(namespace, "command", None)) or self
            parser.error(parser.unrecognized(extras))
        return namespace

    def subparser(self, command: str | None):
        """The parser of subcommand ``command`` (None if there is none)."""
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction) and command in action.choices:
                return action.choices[command]
        return None

    def options(self) -> list[str]:
        return [s for s in self._option_string_actions if s.startswith("--")]

    def unrecognized(self, extras: list[str]) -> str:
        """The message for arguments no option took, naming the closest option of each."""
        unknown = [e for e in extras if e.startswith("-") and not _is_number(e)]
        if not unknown:
            return f"unrecognized arguments: {' '.join(extras)}"
        parts = []
        for item in unknown:
            name = item.split("=", 1)[0]
            close = suggest(name, self.options())
            parts.append(f"{name} (did you mean {close}?)" if close else name)
        noun = "option" if len(parts) == 1 else "options"
        return f"unrecognized {noun}: {', '.join(parts)}"

    def error(self, message: str):
        message = self._suggest_choice(message)
        self.print_usage(sys.stderr)
        hint = f"'{self.prog} --help' lists every option"
        self.exit(2, f"{self.prog}: error: {message}\n({hint})\n")

    def _suggest_choice(self, message: str) -> str:
        """'invalid choice' errors gain the closest choice."""
        found = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if not found:
            return message
        choices = re.findall(r"'([^']*)'", found.group(2)) or found.group(2).split(", ")
        close = suggest(found.group(1), choices)
        return message + (f"; did you mean {close!r}?" if close else "")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
