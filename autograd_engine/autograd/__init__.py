"""``autograd_engine.autograd`` (``torch.autograd``): custom differentiable operations
(:class:`Function`), gradients as values (:func:`grad`) or accumulated (:func:`backward`),
Jacobians and Hessian products (:mod:`.functional`), saved-tensor hooks (:mod:`.graph`),
gradient checks and anomaly detection. All of it runs on the one engine of
``autograd_engine.engine``."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

from .. import engine as _engine
from ..anomaly import detect_anomaly, set_detect_anomaly
from ..grad_mode import enable_grad, no_grad, set_grad_enabled
from ..gradcheck import GradcheckError, gradcheck, gradgradcheck
from ..tensor import Tensor
from . import forward_ad, function, functional, graph, profiler, variable
from .function import Function, FunctionCtx, InplaceFunction, once_differentiable
from .variable import Variable

__all__ = [
    "Variable",
    "Function",
    "FunctionCtx",
    "InplaceFunction",
    "once_differentiable",
    "backward",
    "grad",
    "functional",
    "graph",
    "profiler",
    "forward_ad",
    "function",
    "variable",
    "detect_anomaly",
    "set_detect_anomaly",
    "enable_grad",
    "no_grad",
    "set_grad_enabled",
    "gradcheck",
    "gradgradcheck",
    "GradcheckError",
]


def _tensors(x, what: str) -> tuple:
    if isinstance(x, Tensor):
        return (x,)
    out = tuple(x)
    for i, t in enumerate(out):
        if not isinstance(t, Tensor):
            raise TypeError(f"{what}[{i}] must be a Tensor, got {type(t).__name__}")
    return out


def backward(
    tensors,
    grad_tensors=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    grad_variables=None,
    inputs=None,
) -> None:
    """Accumulate the gradients of ``tensors`` into the ``.grad`` of the leaves
    (``torch.autograd.backward``).

    Args:
        tensors: a tensor or sequence of tensors whose gradients are computed.
        grad_tensors: one gradient per tensor (``None`` for a scalar means 1).
        retain_graph: keep what the graph saved, to run backward through it again (defaults
            to ``create_graph``).
        create_graph: record the backward pass, so gradients can be differentiated again.
        grad_variables: the deprecated name of ``grad_tensors``.
        inputs: accumulate only into these tensors.

    Example::

        autograd.backward([loss1, loss2])     # the same as (loss1 + loss2).backward()
    """
    if grad_variables is not None:
        warnings.warn(
            "`grad_variables` is deprecated. Use `grad_tensors` instead.",
            FutureWarning,
            stacklevel=2,
        )
        if grad_tensors is not None:
            raise RuntimeError(
                "`grad_tensors` and `grad_variables` (deprecated) arguments both passed to "
                "`backward()`. Please only use `grad_tensors`."
            )
        grad_tensors = grad_variables
    if inputs is not None:
        inputs = _tensors(inputs, "inputs")
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    _engine.backward(_tensors(tensors, "tensors"), grad_tensors, retain_graph, create_graph, inputs)


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """The gradients of ``outputs`` with respect to ``inputs``, returned rather than
    accumulated into ``.grad`` (``torch.autograd.grad``).

    Args:
        outputs: a tensor or sequence of tensors to differentiate.
        inputs: a tensor or sequence of tensors (leaves or intermediates).
        grad_outputs: the vector of the vector-Jacobian product, one per output (``None`` for a
            scalar output means 1).
        retain_graph: keep what the graph saved (defaults to ``create_graph``).
        create_graph: record the backward pass, for higher-order derivatives.
        only_inputs: deprecated and ignored (always True).
        allow_unused: return ``None`` (or zeros with ``materialize_grads``) for inputs the
            outputs do not depend on, instead of raising. Defaults to ``materialize_grads``.
        is_grads_batched: the first dimension of every ``grad_outputs`` entry is a batch of
            vectors; the result gets the same leading dimension. NOTE: computed with one
            backward pass per batch entry (PyTorch uses vmap); the values are the same.
        materialize_grads: zeros instead of ``None`` for unused inputs.

    Example::

        x = ag.tensor([2.0], requires_grad=True)
        (dy,) = autograd.grad((x ** 3).sum(), x, create_graph=True)   # 3x^2 = 12
        (d2y,) = autograd.grad(dy.sum(), x)                            # 6x = 12
    """
    if not only_inputs:
        warnings.warn(
            "only_inputs argument is deprecated and is ignored now (defaults to True). To "
            "accumulate gradient for other parts of the graph, please use "
            "autograd_engine.autograd.backward.",
            FutureWarning,
            stacklevel=2,
        )
    if materialize_grads and allow_unused is False:
        raise ValueError(
            "Expected allow_unused to be True or not passed when materialize_grads=True, but "
            "got: allow_unused=False."
        )
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = _tensors(outputs, "outputs")
    inputs = _tensors(inputs, "inputs")
    if is_grads_batched:
        result = _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                               allow_unused)  # fmt: skip
    else:
        result = _engine.grad(outputs, inputs, grad_outputs, retain_graph, create_graph,
                              allow_unused)  # fmt: skip
    if materialize_grads:
        from ..creation import zeros_like

        result = tuple(zeros_like(t) if g is None else g for t, g in zip(inputs, result))
    return result


def _batched_grad(outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused):
    """``is_grads_batched``: one vector-Jacobian product per entry of the leading dimension."""
    from ..ops import stack

    grad_outputs = _tensors(grad_outputs, "grad_outputs") if grad_outputs is not None else ()
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"grad_outputs has {len(grad_outputs)} entries but there are {len(outputs)} "
            "outputs; with is_grads_batched=True give one batched gradient per output."
        )
    for i, (g, out) in enumerate(zip(grad_outputs, outputs)):
        if g.ndim == 0 or tuple(g.shape[1:]) != tuple(out.shape):
            raise RuntimeError(
                "If `is_grads_batched=True`, we interpret the first dimension of each "
                "grad_output as the batch dimension. The sizes of the remaining dimensions are "
                "expected to match the shape of corresponding output, but a mismatch was "
                f"detected: grad_output[{i}] has a shape of {tuple(g.shape)} and output[{i}] "
                f"has a shape of {tuple(out.shape)}."
            )
    sizes = {g.shape[0] for g in grad_outputs}
    if len(sizes) != 1:
        raise RuntimeError(
            f"with is_grads_batched=True every grad_output needs the same batch size, got "
            f"{sorted(sizes)}"
        )
    (batch,) = sizes
    per_input: list[list] = [[] for _ in inputs]
    for b in range(batch):
        keep = True if b < batch - 1 else retain_graph
        grads = _engine.grad(outputs, inputs, [g[b] for g in grad_outputs], keep, create_graph,
                             allow_unused)  # fmt: skip
        for acc, g in zip(per_input, grads):
            acc.append(g)
    result = []
    for t, gs in zip(inputs, per_input):
        if all(g is None for g in gs):
            result.append(None)
            continue
        from ..creation import zeros_like

        result.append(stack([zeros_like(t) if g is None else g for g in gs]))
    return tuple(result)
