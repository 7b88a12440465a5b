"""The API reference (``docs/api.md`` and one page per module in ``docs/api/``), generated from
the docstrings and signatures of every public name: what each module exports (its ``__all__``,
or its public attributes defined in this project) and the public methods and properties of
its classes.

Usage (from the repository root)::

    python tools/api_reference.py --write     # regenerate docs/api.md and docs/api/*.md
    python tools/api_reference.py --check     # exit 1 if the pages are out of date
    python tools/api_reference.py --missing   # the public names that have no docstring

A docstring renders as its first paragraph, in prose, and the rest verbatim in a text block.
``tests/docs/test_docstrings.py`` fails when a public name has no docstring or the pages are
stale.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import re
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INDEX = ROOT / "docs" / "api.md"
PAGES = ROOT / "docs" / "api"
OURS = ("autograd_engine", "nn", "optim")

# (module, its PyTorch counterpart), in the order of the index.
MODULES: list[tuple[str, str]] = [
    ("autograd_engine", "torch"),
    ("autograd_engine.Tensor", "torch.Tensor"),
    ("autograd_engine.autograd", "torch.autograd"),
    ("autograd_engine.autograd.functional", "torch.autograd.functional"),
    ("autograd_engine.autograd.graph", "torch.autograd.graph"),
    ("autograd_engine.autograd.profiler", "torch.autograd.profiler"),
    ("autograd_engine.linalg", "torch.linalg"),
    ("autograd_engine.special", "torch.special"),
    ("autograd_engine.fft", "torch.fft"),
    ("autograd_engine.func", "torch.func"),
    ("autograd_engine.functional", "torch.functional"),
    ("autograd_engine.testing", "torch.testing"),
    ("autograd_engine.hub", "torch.hub"),
    ("autograd_engine.nested", "torch.nested"),
    ("autograd_engine.version", "torch.version"),
    ("autograd_engine.distributions", "torch.distributions"),
    ("autograd_engine.serialization", "torch.serialization"),
    ("autograd_engine.amp", "torch.amp"),
    ("autograd_engine.profiler", "torch.profiler"),
    ("autograd_engine.cuda", "torch.cuda"),
    ("autograd_engine.accelerator", "torch.accelerator"),
    ("autograd_engine.backends", "torch.backends"),
    ("autograd_engine.jit", "torch.jit"),
    ("autograd_engine.export", "torch.export"),
    ("autograd_engine.fx", "torch.fx"),
    ("autograd_engine.onnx", "torch.onnx"),
    ("autograd_engine.utils.data", "torch.utils.data"),
    ("autograd_engine.utils.tensorboard", "torch.utils.tensorboard"),
    ("autograd_engine.datasets", "torchvision.datasets"),
    ("autograd_engine.datasets.transforms", "torchvision.transforms"),
    ("autograd_engine.distributed", "torch.distributed"),
    ("autograd_engine.multiprocessing", "torch.multiprocessing"),
    ("autograd_engine.training", "beyond PyTorch: the training command's helpers"),
    ("nn", "torch.nn"),
    ("nn.functional", "torch.nn.functional"),
    ("nn.attention", "torch.nn.attention"),
    ("nn.init", "torch.nn.init"),
    ("nn.utils", "torch.nn.utils"),
    ("nn.utils.rnn", "torch.nn.utils.rnn"),
    ("nn.utils.parametrize", "torch.nn.utils.parametrize"),
    ("nn.utils.parametrizations", "torch.nn.utils.parametrizations"),
    ("nn.parallel", "torch.nn.parallel"),
    ("optim", "torch.optim"),
    ("optim.lr_scheduler", "torch.optim.lr_scheduler"),
    ("optim.swa_utils", "torch.optim.swa_utils"),
]

# Submodules whose public names reach users through the modules above (or that are the
# engine's machinery), so they get no page of their own. A new submodule must be put in one
# of the two lists (tests/docs/test_docstrings.py checks).
INTERNAL = {
    "autograd_engine": {
        "anomaly", "array_backend", "cli", "compiler", "cpu", "creation", "dtypes", "engine",
        "grad_mode", "gradcheck", "hooks", "kernels", "layouts", "legacy", "node", "ops",
        "printing", "runtime", "size", "tensor", "tensor_methods", "utils", "views",
    },
    "nn": {"modules", "parameter", "summary"},
    "optim": {
        "adadelta", "adagrad", "adam", "adamax", "asgd", "lbfgs", "nadam", "optimizer", "radam",
        "rmsprop", "rprop", "sgd", "sparse_adam",
    },
}  # fmt: skip


@dataclass
class Entry:
    """One documented name: a function, a class (with its members) or a member."""

    name: str  # the public dotted path, e.g. "nn.functional.relu"
    obj: object
    kind: str  # "function", "class", "method", "property"
    members: list[Entry] = field(default_factory=list)

    @property
    def doc(self) -> str:
        target = self.obj.fget if isinstance(self.obj, property) else self.obj
        return (getattr(target, "__doc__", None) or "").strip()


def _is_ours(obj) -> bool:
    return (getattr(obj, "__module__", None) or "").split(".")[0] in OURS


def _resolve(name: str):
    """The module (or, for ``autograd_engine.Tensor``, the class) a page documents."""
    if name == "autograd_engine.Tensor":
        import autograd_engine

        return autograd_engine.Tensor
    return importlib.import_module(name)


def public_names(module: types.ModuleType) -> list[str]:
    """``__all__``, or the module's public attributes that are this project's functions and
    classes (a package without ``__all__`` also re-exports NumPy or typing names)."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
        names = [n for n in names if _is_ours(getattr(module, n, None))]
    return sorted(set(names), key=lambda n: (n.lower(), n))


def _members(cls: type, prefix: str) -> list[Entry]:
    """Public methods and properties defined in ``cls``'s body or in a base class of this
    project that is not public itself (a mixin such as ``Tensor``'s ``tensor_methods``)."""
    found: dict[str, Entry] = {}
    for owner in cls.__mro__:
        if owner is not cls and (not _is_ours(owner) or owner in _public_classes()):
            continue
        for attr, value in vars(owner).items():
            if attr.startswith("_") or attr in found:
                continue
            raw = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
            if isinstance(raw, property):
                found[attr] = Entry(f"{prefix}.{attr}", raw, "property")
            elif inspect.isfunction(raw):
                found[attr] = Entry(f"{prefix}.{attr}", raw, "method")
    return sorted(found.values(), key=lambda e: e.name.lower())


_PUBLIC: set[type] = set()


def _public_classes() -> set[type]:
    """Every class that some documented module exports."""
    if not _PUBLIC:
        for page, _ in MODULES:
            if page == "autograd_engine.Tensor":
                continue
            try:
                module = _resolve(page)
            except ModuleNotFoundError:
                continue
            for name in public_names(module):
                obj = getattr(module, name, None)
                if inspect.isclass(obj):
                    _PUBLIC.add(obj)
    return _PUBLIC


def entries(page: str) -> tuple[list[Entry], list[str]]:
    """The documented names of a page, and its other public names (constants, modules)."""
    target = _resolve(page)
    if inspect.isclass(target):
        return _members(target, page), []
    found, others = [], []
    for name in public_names(target):
        obj = getattr(target, name, None)
        path = f"{page}.{name}"
        if inspect.isclass(obj) and _is_ours(obj):
            found.append(Entry(path, obj, "class", _members(obj, path)))
        elif inspect.isfunction(obj) or (callable(obj) and _is_ours(obj)):
            found.append(Entry(path, obj, "function"))
        else:
            others.append(name)
    return found, others


def inherited_doc(entry: Entry, owner: type | None) -> bool:
    """A member without a docstring of its own that overrides a documented base member
    (``forward``, ``log_prob``, ...): documented where the base defines it."""
    if owner is None or entry.doc:
        return False
    attr = entry.name.rsplit(".", 1)[1]
    for base in owner.__mro__[1:]:
        value = base.__dict__.get(attr)
        if value is None:
            continue
        raw = value.__func__ if isinstance(value, (staticmethod, classmethod)) else value
        raw = raw.fget if isinstance(raw, property) else raw
        if (getattr(raw, "__doc__", None) or "").strip():
            return True
    return False


def missing_docstrings() -> list[str]:
    """Every public name (module-level functions and classes, and the public methods and
    properties of those classes) without a docstring; members that override a documented
    base member count as documented."""
    missing, seen = [], set()
    for page, _ in MODULES:
        try:
            owner = _resolve(page) if page == "autograd_engine.Tensor" else None
            found, _ = entries(page)
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] in OURS:
                raise
            continue  # a module that needs an optional package (tensorboard) not installed here
        for entry in found:
            if id(entry.obj) in seen:
                continue
            seen.add(id(entry.obj))
            if not entry.doc and not inherited_doc(entry, owner):
                missing.append(entry.name)
            for member in entry.members:
                if id(member.obj) in seen:
                    continue
                seen.add(id(member.obj))
                if not member.doc and not inherited_doc(member, entry.obj):
                    missing.append(member.name)
    return missing


def undocumented_modules() -> list[str]:
    """Submodules of the three packages that are neither documented nor listed as internal."""
    listed = {name for name, _ in MODULES}
    out = []
    for package, internal in INTERNAL.items():
        path = importlib.import_module(package).__path__
        for info in pkgutil.iter_modules(path):
            name = f"{package}.{info.name}"
            if info.name.startswith("_") or info.name in internal:
                continue
            if name not in listed and not any(n.startswith(name + ".") for n in listed):
                out.append(name)
    return out


_ROLE = re.compile(r":(?:class|func|meth|attr|mod|data|exc|obj):`~?([^`]+)`")


def _prose(text: str) -> str:
    """reST inline markup to Markdown: ``code`` and :role:`name` become `code`."""
    text = _ROLE.sub(r"``\1``", text)
    return re.sub(r"``(.+?)``", r"`\1`", text, flags=re.S)


def _signature(obj) -> str:
    target = obj.fget if isinstance(obj, property) else obj
    try:
        text = str(inspect.signature(target))
    except (TypeError, ValueError):
        return "(...)"
    text = re.sub(r" at 0x[0-9a-fA-F]+", "", text)  # addresses differ from run to run
    text = re.sub(r"(: |-> )'([^']*)'", r"\1\2", text)  # postponed annotations, unquoted
    return re.sub(r"^\(self(, )?", "(", text)


def _code_span(text: str) -> str:
    ticks = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _fence(text: str) -> str:
    ticks = "`" * max(3, max((len(m) for m in re.findall(r"`{3,}", text)), default=0) + 1)
    return f"{ticks}text\n{text}\n{ticks}"


def render_entry(entry: Entry, level: int) -> list[str]:
    short = entry.name.split(".")[-1]
    if entry.kind == "property":
        title = f"{entry.name} (property)"
        signature = ""
    else:
        title = f"{entry.name}" + (" (class)" if entry.kind == "class" else "")
        text = _signature(entry.obj)
        if entry.kind == "class":
            text = text.removesuffix(" -> None")  # __init__'s
        signature = _code_span(short + text)
    lines = [f"{'#' * level} {title}", ""]
    if signature:
        lines += [signature, ""]
    doc = inspect.cleandoc(entry.doc) if entry.doc else ""
    if not doc:
        lines += ["*(no docstring)*", ""]
    else:
        first, _, rest = doc.partition("\n\n")
        lines += [_prose(" ".join(first.split())), ""]
        if rest.strip():
            lines += [_fence(rest.rstrip()), ""]
    return lines


def slug(title: str) -> str:
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", title.replace("`", "").lower()).replace(" ", "-")


def page_file(page: str) -> Path:
    return PAGES / f"{page}.md"


def render_page(page: str, torch_name: str, first_home: dict[int, tuple[str, str]]) -> str:
    target = _resolve(page)
    found, others = entries(page)
    summary = (inspect.getdoc(target) or "").split("\n\n")[0]
    lines = [
        f"# `{page}`",
        "",
        "<!-- Generated by `python tools/api_reference.py --write` from the docstrings; do not "
        "edit by hand. -->",
        "",
        f"PyTorch counterpart: `{torch_name}`." if " " not in torch_name else f"{torch_name}.",
        "",
        _prose(" ".join(summary.split())),
        "",
        "[All modules](../api.md)",
        "",
    ]
    elsewhere = []
    for entry in found:
        home = first_home.get(id(entry.obj))
        if home and home[0] != page:
            elsewhere.append((entry.name, home))
            continue
        lines += render_entry(entry, 2)
        if entry.name in dict(MODULES):  # a class with a page of its own
            lines += [f"Its methods and properties: [{entry.name}]({entry.name}.md).", ""]
            continue
        for member in entry.members:
            if member.doc:  # members documented only at a base class are not repeated
                lines += render_entry(member, 3)
    if elsewhere:
        lines += ["## Documented on another page", ""]
        for name, (home_page, home_name) in elsewhere:
            title = home_name + (" (class)" if inspect.isclass(_lookup(home_name)) else "")
            lines.append(f"- `{name}`: [{home_name}]({home_page}.md#{slug(title)})")
        lines.append("")
    if others:
        lines += ["## Other names", "", ", ".join(f"`{n}`" for n in others), ""]
    return "\n".join(lines).rstrip() + "\n"


def _lookup(dotted: str):
    module, _, name = dotted.rpartition(".")
    try:
        return getattr(_resolve(module), name)
    except ModuleNotFoundError:  # a member's path: Class.attr
        owner, _, cls = module.rpartition(".")
        return getattr(getattr(_resolve(owner), cls), name)


def render_all() -> dict[Path, str]:
    """Every page's path and text."""
    first_home: dict[int, tuple[str, str]] = {}
    for page, _ in MODULES:
        for entry in entries(page)[0]:
            first_home.setdefault(id(entry.obj), (page, entry.name))
    out = {}
    index = [
        "# API reference",
        "",
        "<!-- Generated by `python tools/api_reference.py --write` from the docstrings; do not "
        "edit by hand. -->",
        "",
        "Every public name, with its signature and docstring, one page per module. The names "
        "and behaviour are PyTorch's unless a docstring says otherwise; how much of PyTorch's "
        "API is here is [compatibility.md](compatibility.md), and the manual is "
        "[README.md](README.md).",
        "",
        "| module | PyTorch | names | what it holds |",
        "|---|---|---:|---|",
    ]
    for page, torch_name in MODULES:
        found, _ = entries(page)
        summary = (inspect.getdoc(_resolve(page)) or "").split("\n\n")[0]
        summary = _prose(" ".join(summary.split())).replace("|", "\\|")
        index.append(f"| [`{page}`](api/{page}.md) | {torch_name} | {len(found)} | {summary} |")
        out[page_file(page)] = render_page(page, torch_name, first_home)
    out[INDEX] = "\n".join(index) + "\n"
    return out


def stale() -> list[Path]:
    """The pages whose text differs from what would be generated now (or that should go)."""
    pages = render_all()
    changed = [p for p, text in pages.items() if not p.exists() or p.read_text() != text]
    extra = [p for p in PAGES.glob("*.md") if p not in pages] if PAGES.exists() else []
    return changed + extra


def write() -> None:
    pages = render_all()
    PAGES.mkdir(parents=True, exist_ok=True)
    for path in PAGES.glob("*.md"):
        if path not in pages:
            path.unlink()
    for path, text in pages.items():
        path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", action="store_true", help="regenerate the pages")
    group.add_argument("--check", action="store_true", help="exit 1 if the pages are stale")
    group.add_argument("--missing", action="store_true", help="list names without a docstring")
    args = parser.parse_args(argv)
    if args.write:
        write()
        return 0
    if args.check:
        paths = stale()
        for path in paths:
            print(f"out of date: {path.relative_to(ROOT)}")
        return 1 if paths else 0
    names = missing_docstrings()
    print("\n".join(names) or "every public name has a docstring")
    return 1 if names else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
