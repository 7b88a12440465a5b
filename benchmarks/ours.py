"""Which of our APIs a workload can use right now: the PyTorch-style ``nn``/``optim`` path when
those exist, otherwise the raw ``autograd_engine`` ops, so the suite runs at every stage."""

from __future__ import annotations

import importlib

import autograd_engine as ag


def _module(name: str):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _has(module, *names: str) -> bool:
    return module is not None and all(hasattr(module, n) for n in names)


def nn_api(*layers: str):
    """``(nn, F, optim)`` when ``nn`` has the given layer classes (and ``Sequential``,
    ``F.cross_entropy``, ``optim.SGD``), else ``None``."""
    nn = _module("nn")
    functional = _module("nn.functional") if nn is not None else None
    optim = _module("optim")
    if not (
        _has(nn, "Sequential", *layers) and _has(functional, "cross_entropy") and _has(optim, "SGD")
    ):
        return None
    return nn, functional, optim


def optimizer(name: str):
    """``optim.<name>`` (``"Adam"``), or ``None`` while it is not written."""
    optim = _module("optim")
    return getattr(optim, name, None) if optim is not None else None


def functional(name: str):
    """The function ``name`` (``"conv2d"``, ``"max_pool2d"``) from ``nn.functional``, the
    ``autograd_engine`` namespace or its ``ops.conv``/``ops.pool`` modules, or ``None``."""
    places = [
        _module("nn.functional"),
        ag,
        _module("autograd_engine.ops.conv"),
        _module("autograd_engine.ops.pool"),
    ]
    for place in places:
        fn = getattr(place, name, None) if place is not None else None
        if callable(fn):
            return fn
    return None


def conv_available() -> bool:
    """True when a CNN step can be written with our ops (module or functional form)."""
    return bool(nn_api("Conv2d", "MaxPool2d", "Flatten", "Linear", "ReLU")) or (
        functional("conv2d") is not None and functional("max_pool2d") is not None
    )


def raw_cross_entropy(logits: ag.Tensor, target: ag.Tensor, rows: ag.Tensor) -> ag.Tensor:
    """Mean softmax cross-entropy from raw ops (the path used while ``nn`` is missing)."""
    return -logits.log_softmax(1)[rows, target].mean()


def sgd_update(params, lr: float) -> None:
    """``p -= lr * grad`` for each parameter: the plain-array SGD of the raw path."""
    with ag.no_grad():
        for p in params:
            p.array -= lr * p.grad.array


def zero_grad(params) -> None:
    for p in params:
        p.grad = None
