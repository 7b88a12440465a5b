"""``autograd_engine.utils._pytree`` (``torch.utils._pytree``): flatten nested lists, tuples,
dicts and namedtuples into their leaves and a ``TreeSpec``, and rebuild them; ``tree_map``."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TreeSpec", "LeafSpec", "tree_flatten", "tree_unflatten", "tree_map", "tree_leaves",
           "tree_structure"]  # fmt: skip


@dataclass
class TreeSpec:
    """The structure of a tree: a container type, its context (dict keys, namedtuple class)
    and the specs of its children; a leaf has ``type`` None."""

    type: Any
    context: Any
    children_specs: list = field(default_factory=list)

    @property
    def num_leaves(self) -> int:
        if self.type is None:
            return 1
        return sum(c.num_leaves for c in self.children_specs)

    def is_leaf(self) -> bool:
        return self.type is None


def LeafSpec() -> TreeSpec:  # noqa: N802  (PyTorch's name)
    """The spec of a single leaf."""
    return TreeSpec(None, None, [])


def _children(tree):
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):  # a namedtuple
        return list(tree), type(tree), type(tree)
    if isinstance(tree, (list, tuple)):
        return list(tree), type(tree), None
    if isinstance(tree, (dict, OrderedDict)):
        keys = list(tree)
        return [tree[k] for k in keys], type(tree), keys
    return None


def tree_flatten(tree, is_leaf=None) -> tuple[list, TreeSpec]:
    """``(leaves, spec)``: the leaves in depth-first order and the structure around them."""
    if is_leaf is not None and is_leaf(tree):
        return [tree], LeafSpec()
    parts = _children(tree)
    if parts is None:
        return [tree], LeafSpec()
    children, kind, context = parts
    leaves, specs = [], []
    for child in children:
        sub_leaves, sub_spec = tree_flatten(child, is_leaf)
        leaves += sub_leaves
        specs.append(sub_spec)
    return leaves, TreeSpec(kind, context, specs)


def tree_unflatten(leaves, treespec: TreeSpec):
    """The tree of ``treespec``'s structure with ``leaves`` in its leaf positions."""
    leaves = list(leaves)
    if len(leaves) != treespec.num_leaves:
        raise ValueError(
            f"treespec.unflatten(leaves): `leaves` has length {len(leaves)} but the spec "
            f"refers to a pytree that holds {treespec.num_leaves} items ({treespec})."
        )
    return _build(iter(leaves), treespec)


def _build(leaves, spec: TreeSpec):
    if spec.type is None:
        return next(leaves)
    children = [_build(leaves, c) for c in spec.children_specs]
    if spec.type in (list, tuple):
        return spec.type(children)
    if isinstance(spec.context, type):  # a namedtuple
        return spec.context(*children)
    if spec.type in (dict, OrderedDict) or issubclass(spec.type, dict):
        return spec.type(zip(spec.context, children))
    return spec.type(children)


def tree_map(func, tree, *rests, is_leaf=None):
    """The tree with ``func`` applied to every leaf (to the matching leaves of ``rests``
    too)."""
    leaves, spec = tree_flatten(tree, is_leaf)
    others = [tree_flatten(r, is_leaf)[0] for r in rests]
    return tree_unflatten([func(*xs) for xs in zip(leaves, *others)], spec)


def tree_leaves(tree, is_leaf=None) -> list:
    """The leaves of ``tree``."""
    return tree_flatten(tree, is_leaf)[0]


def tree_structure(tree, is_leaf=None) -> TreeSpec:
    """The ``TreeSpec`` of ``tree``."""
    return tree_flatten(tree, is_leaf)[1]
