"""The README's test command is what CI runs (``.ci/run``), and the README stays a front page."""

from __future__ import annotations

import shlex

from doc_blocks import ROOT, read_blocks

README = ROOT / "README.md"
CI = ROOT / ".ci" / "run"


def ci_commands() -> tuple[dict[str, str], list[str], list[list[str]]]:
    """``.ci/run``'s exported variables, its ``pip install`` arguments and its pytest runs (each
    with the ``VAR=value`` words that precede it)."""
    env: dict[str, str] = {}
    install: list[str] = []
    pytest_runs: list[list[str]] = []
    for line in CI.read_text().splitlines():
        words = shlex.split(line, comments=True)
        if not words:
            continue
        if words[0] == "export":
            env.update(word.split("=", 1) for word in words[1:])
        elif words[:4] == ["python", "-m", "pip", "install"]:
            install = [w for w in words[4:] if w != "-q"]
        elif "pytest" in words:
            pytest_runs.append(words)
    return env, install, pytest_runs


def split_env(words: list[str]) -> tuple[dict[str, str], list[str]]:
    """``VAR=value`` words before a command, and the command."""
    env = {}
    while words and "=" in words[0] and not words[0].startswith("-"):
        key, value = words[0].split("=", 1)
        env[key] = value
        words = words[1:]
    return env, words


def readme_test_command() -> list[list[str]]:
    """The README's bash line that runs pytest, split at ``&&``."""
    (line,) = [
        line
        for block in read_blocks(README)
        if block.language == "bash"
        for line in block.code.splitlines()
        if "pytest" in line and "pip install" in line
    ]
    parts, current = [], []
    for word in shlex.split(line):
        if word == "&&":
            parts.append(current)
            current = []
        else:
            current.append(word)
    return parts + [current]


def test_readme_test_command_is_what_ci_runs():
    env, install, pytest_runs = ci_commands()
    assert install and pytest_runs, ".ci/run no longer installs and runs pytest as expected"
    first, *others = pytest_runs
    pip, run = readme_test_command()
    assert pip == ["pip", "install", *install], (
        f"README installs {pip[2:]}, .ci/run installs {install}"
    )
    ci_env, ci_command = split_env(first)
    readme_env, command = split_env(run)
    assert readme_env == {**env, **ci_env}, f"README sets {readme_env}, .ci/run {env | ci_env}"
    assert command == ci_command, f"README runs {command}, .ci/run runs {ci_command}"
    text = README.read_text()
    for words in others:  # further CI passes are named in the README too
        assert shlex.join(words) in text, f"README does not mention CI's `{shlex.join(words)}`"


def test_readme_is_a_front_page():
    lines = README.read_text().splitlines()
    assert len(lines) <= 250, f"README.md has {len(lines)} lines; move details into docs/"
