"""Every public name has a docstring, every public submodule is documented or declared internal,
and the API reference (``docs/api.md``, ``docs/api/*.md``) is what ``tools/api_reference.py``
generates from the docstrings now."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from doc_blocks import ROOT


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location(
        "api_reference", ROOT / "tools" / "api_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["api_reference"] = module  # NOTE: dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_public_name_has_a_docstring(tool):
    missing = tool.missing_docstrings()
    assert not missing, (
        f"{len(missing)} public names have no docstring (one line naming the PyTorch "
        "counterpart is enough):\n" + "\n".join(missing)
    )


def test_every_public_module_is_documented_or_internal(tool):
    unlisted = tool.undocumented_modules()
    assert not unlisted, (
        f"add these modules to MODULES (documented) or INTERNAL in tools/api_reference.py: "
        f"{unlisted}"
    )


def test_the_checker_sees_a_missing_docstring(tool, monkeypatch):
    import autograd_engine as ag

    def undocumented(x):
        return x

    undocumented.__module__ = "autograd_engine"
    monkeypatch.setattr(ag, "undocumented_example", undocumented, raising=False)
    assert "autograd_engine.undocumented_example" in tool.missing_docstrings()


def test_api_reference_is_up_to_date(tool):
    pytest.importorskip("tensorboard", reason="the reference documents utils.tensorboard too")
    stale = [str(p.relative_to(ROOT)) for p in tool.stale()]
    assert not stale, (
        f"out of date: {stale}; run `python tools/api_reference.py --write` and commit the pages"
    )
