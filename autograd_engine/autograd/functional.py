"""``autograd.functional`` (``torch.autograd.functional``): Jacobians, Hessians and their
products with vectors, for functions of Tensors, built on reverse-mode ``grad``.

``jvp`` and ``hvp`` use the double-backward trick (a vector-Jacobian product is linear in its
vector, so differentiating it by that vector gives a Jacobian-vector product), as PyTorch does.
``vectorize=True`` is accepted and gives the same results; NOTE: here it runs the same loop of
backward passes (PyTorch batches them with vmap), so it is not faster.
"""

from __future__ import annotations

from collections.abc import Callable

from ..creation import zeros_like
from ..engine import grad as _grad
from ..grad_mode import enable_grad, is_grad_enabled, set_grad_enabled
from ..ops import stack
from ..tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def _as_tuple(x, arg_name: str, fn_name: str) -> tuple[bool, tuple]:
    """``(was_tuple, x as a tuple of Tensors)``, with PyTorch's TypeError otherwise."""
    is_tuple = isinstance(x, tuple)
    items = x if is_tuple else (x,)
    for i, el in enumerate(items):
        if not isinstance(el, Tensor):
            where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(
                f"The {arg_name} given to {fn_name} must be either a Tensor or a tuple of "
                f"Tensors but {where} has type {type(el).__name__}."
            )
    return is_tuple, items


def _postprocess(res, unpack):
    """Undo ``_as_tuple``: ``unpack`` is one flag, or (outer, inner) flags for nested tuples."""
    if isinstance(unpack, tuple):
        outer, inner = unpack
        if not inner:
            res = tuple(el[0] for el in res)
        if not outer:
            res = res[0]
        return res
    return res if unpack else res[0]


def _prepare(inputs: tuple, create_graph: bool, need_graph: bool) -> tuple:
    """New tensor objects for the inputs (so the function's own closure over the same tensors
    is not mistaken for them), connected to the caller's graph only with ``create_graph``."""
    out = []
    for t in inputs:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(need_graph))
    return tuple(out)


def _finish(tensors, create_graph: bool):
    """Detach results the caller did not ask to differentiate."""
    if tensors and isinstance(tensors[0], Tensor):
        return tensors if create_graph else tuple(t.detach() for t in tensors)
    return tuple(_finish(t, create_graph) for t in tensors)


def _validate_v(v: tuple, other: tuple, other_is_tuple: bool) -> None:
    if len(v) != len(other):
        if other_is_tuple:
            raise RuntimeError(
                f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}."
            )
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, other)):
        if tuple(a.shape) != tuple(b.shape):
            prefix = f"Entry {i} in " if other_is_tuple else ""
            raise RuntimeError(
                f"{prefix}v has invalid size: should be {tuple(b.shape)} but got {tuple(a.shape)}."
            )


_STRICT_MESSAGES = {
    "outputs": (
        "Output {i} of the user-provided function does not require gradients. The outputs "
        "must be computed in a differentiable manner from the input when running in strict "
        "mode."
    ),
    "grad_inputs": (
        "The gradient with respect to input {i} is independent of the inputs of the "
        "user-provided function. This is not allowed in strict mode."
    ),
    "jacobian": (
        "While computing the hessian, found that the jacobian of the user-provided function "
        "with respect to input {i} is independent of the input. This is not allowed in strict "
        "mode. You should ensure that your function is twice differentiable and that the "
        "jacobian depends on the inputs (this would be violated by a linear function for "
        "example)."
    ),
    "hessian": (
        "The hessian of the user-provided function with respect to input {i} is independent "
        "of the input. This is not allowed in strict mode. You should ensure that your "
        "function is thrice differentiable and that the hessian depends on the inputs."
    ),
}


def _check_requires_grad(tensors, kind: str, strict: bool) -> None:
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(
                f"The output of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode."
            )
        if not t.requires_grad:
            raise RuntimeError(_STRICT_MESSAGES[kind].format(i=i))


def _autograd_grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """``grad`` that skips outputs which do not require grad and allows unused inputs."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    outs, gos = [], []
    for o, g in zip(outputs, grad_outputs):
        if o is not None and o.requires_grad:
            outs.append(o)
            gos.append(g)
    if not outs:
        return (None,) * len(inputs)
    return _grad(outs, inputs, gos, retain_graph, create_graph, allow_unused=True)


_ZERO_MESSAGES = {
    "back": (
        "The output of the user-provided function is independent of input {i}. This is not "
        "allowed in strict mode."
    ),
    "back_trick": (
        "The gradient with respect to the input is independent of entry {i} in the "
        "grad_outputs when using the double backward trick to compute forward mode gradients. "
        "This is not allowed in strict mode."
    ),
    "double_back": (
        "The jacobian of the user-provided function is independent of input {i}. This is not "
        "allowed in strict mode."
    ),
    "double_back_trick": (
        "The hessian of the user-provided function is independent of entry {i} in the "
        "grad_jacobian. This is not allowed in strict mode as it prevents from using the "
        "double backward trick to replace forward mode AD."
    ),
}


def _fill_in_zeros(grads, refs, strict: bool, create_graph: bool, stage: str) -> tuple:
    """Zeros for the ``None`` gradients of unused inputs (or a strict-mode error)."""
    out = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_ZERO_MESSAGES[stage].format(i=i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(
                f"The {what} of the user-provided function is independent of input {i}. This "
                "is not allowed in strict mode when create_graph=True."
            )
        out.append(g)
    return tuple(out)


def _prepare_v(v, ref: tuple, ref_is_tuple: bool, create_graph: bool, fn: str, what: str):
    if v is not None:
        _, v = _as_tuple(v, "v", fn)
        v = _prepare(v, create_graph, need_graph=False)
        _validate_v(v, ref, ref_is_tuple)
        return v
    if len(ref) != 1 or ref[0].numel() != 1:
        raise RuntimeError(
            f"The vector v can only be None if the {what} a single Tensor with a single element."
        )
    return None


def vjp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(*inputs), v^T J)``: the vector-Jacobian product at ``inputs``
    (``torch.autograd.functional.vjp``).

    Args:
        func: a function of Tensors returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or tuple of Tensors.
        v: one tensor per output, of its shape; may be omitted for a single one-element output.
        create_graph: make the results differentiable (with respect to the inputs and ``v``).
        strict: raise when an input does not affect the outputs, instead of giving zeros.

    Returns:
        ``(outputs, vjp)``, each a Tensor or tuple shaped like ``func``'s outputs and inputs.

    Example::

        out, g = vjp(lambda x: x.exp().sum(dim=1), ag.randn(4, 4), v=ag.ones(4))
    """
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        outputs_is_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "vjp"
        )
        _check_requires_grad(outputs, "outputs", strict)
        v = _prepare_v(v, outputs, outputs_is_tuple, create_graph, "vjp",
                       "user-provided function returns")  # fmt: skip
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, inputs, strict, create_graph, "back")
    outputs = _finish(outputs, create_graph)
    result = _finish(result, create_graph)
    return _postprocess(outputs, outputs_is_tuple), _postprocess(result, inputs_is_tuple)


def jvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(*inputs), J v)``: the Jacobian-vector product at ``inputs``
    (``torch.autograd.functional.jvp``), by the double-backward trick.

    Args:
        func: a function of Tensors returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or tuple of Tensors.
        v: one tensor per input, of its shape; may be omitted for a single one-element input.
        create_graph, strict: as in :func:`vjp`.

    Returns:
        ``(outputs, jvp)``, both shaped like ``func``'s outputs.

    Example::

        out, jv = jvp(lambda x: x ** 2, ag.tensor([1.0, 2.0]), v=ag.ones(2))   # jv = [2, 4]
    """
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        v = _prepare_v(v, inputs, inputs_is_tuple, create_graph, "jvp",
                       "input to the user-provided function is")  # fmt: skip
        outputs = func(*inputs)
        outputs_is_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "jvp"
        )
        _check_requires_grad(outputs, "outputs", strict)
        # The vector-Jacobian product is linear in u, so u's value does not matter (zeros keep
        # NaN and Inf out); differentiating it by u gives J v.
        us = tuple(zeros_like(o).requires_grad_(True) for o in outputs)
        grad_inputs = _autograd_grad(outputs, inputs, us, create_graph=True)
        _check_requires_grad(grad_inputs, "grad_inputs", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _autograd_grad(grad_inputs, us, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, outputs, strict, create_graph, "back_trick")
    outputs = _finish(outputs, create_graph)
    result = _finish(result, create_graph)
    return _postprocess(outputs, outputs_is_tuple), _postprocess(result, outputs_is_tuple)


def jacobian(
    func: Callable,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    strategy: str = "reverse-mode",
):
    """The Jacobian of ``func`` at ``inputs`` (``torch.autograd.functional.jacobian``).

    Args:
        func: a function of Tensors returning a Tensor or a tuple of Tensors.
        inputs: a Tensor or tuple of Tensors.
        create_graph: make the Jacobian differentiable.
        strict: raise when an output does not depend on an input, instead of giving zeros.
        vectorize: accepted; the same backward passes run in a loop (see the module note).
        strategy: ``"reverse-mode"`` (one backward pass per output element). NOTE:
            ``"forward-mode"`` raises NotImplementedError: the engine has no forward mode.

    Returns:
        For one input and one output, a Tensor of shape ``output.shape + input.shape``; with
        tuples, ``J[i][j]`` for output ``i`` and input ``j``.

    Example::

        J = jacobian(lambda x: x.exp(), ag.randn(2))     # diag(exp(x)), shape (2, 2)
    """
    if strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError(
            'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your '
            'function has more outputs than inputs, "forward-mode" tends to be more '
            'performant. Otherwise, prefer to use "reverse-mode".'
        )
    if strategy == "forward-mode":
        raise NotImplementedError(
            'jacobian(strategy="forward-mode") needs forward-mode AD, which autograd_engine '
            'does not implement; use strategy="reverse-mode" (the default).'
        )
    if strict and vectorize:
        raise RuntimeError(
            "torch.autograd.functional.jacobian: `strict=True` and `vectorized=True` are not "
            "supported together. Please either set `strict=False` or `vectorize=False`."
        )
    with enable_grad():
        inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph, need_graph=True)
        outputs = func(*inputs)
        outputs_is_tuple, outputs = _as_tuple(
            outputs, "outputs of the user-provided function", "jacobian"
        )
        _check_requires_grad(outputs, "outputs", strict)
        jac = []
        for i, out in enumerate(outputs):
            rows: tuple[list, ...] = tuple([] for _ in inputs)
            flat = out.reshape(-1)
            for k in range(out.numel()):
                grads = _autograd_grad((flat[k],), inputs, retain_graph=True,
                                       create_graph=create_graph)  # fmt: skip
                for j, (acc, g, inp) in enumerate(zip(rows, grads, inputs)):
                    if g is None:
                        if strict:
                            raise RuntimeError(
                                f"Output {i} of the user-provided function is independent of "
                                f"input {j}. This is not allowed in strict mode."
                            )
                        g = zeros_like(inp)
                    elif strict and create_graph and not g.requires_grad:
                        raise RuntimeError(
                            f"The jacobian of the user-provided function is independent of "
                            f"input {i}. This is not allowed in strict mode when "
                            "create_graph=True."
                        )
                    acc.append(g)
            jac.append(
                tuple(
                    _stack_rows(acc, inp).reshape(tuple(out.shape) + tuple(inp.shape))
                    for acc, inp in zip(rows, inputs)
                )
            )
        jac = _finish(tuple(jac), create_graph)
        return _postprocess(jac, (outputs_is_tuple, inputs_is_tuple))


def _stack_rows(rows: list, inp: Tensor) -> Tensor:
    if rows:
        return stack(rows, 0)
    return inp.new_zeros((0,) + tuple(inp.shape))  # an output with no elements


def hessian(
    func: Callable,
    inputs,
    create_graph: bool = False,
    strict: bool = False,
    vectorize: bool = False,
    outer_jacobian_strategy: str = "reverse-mode",
):
    """The Hessian of a scalar function at ``inputs`` (``torch.autograd.functional.hessian``).

    Args:
        func: a function of Tensors returning a Tensor with a single element.
        inputs: a Tensor or tuple of Tensors.
        create_graph, strict, vectorize: as in :func:`jacobian`.
        outer_jacobian_strategy: ``"reverse-mode"``; ``"forward-mode"`` raises
            NotImplementedError (no forward mode here).

    Returns:
        For one input, a Tensor of shape ``input.shape + input.shape``; with a tuple,
        ``H[i][j]`` for inputs ``i`` and ``j``.

    Example::

        H = hessian(lambda x: (x ** 3).sum(), ag.tensor([1.0, 2.0]))   # diag(6x)
    """
    inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def single_output(*inp):
        out = func(*inp)
        out_is_tuple, t_out = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(t_out, "outputs", strict)
        if out_is_tuple or not isinstance(out, Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError(
                "The Tensor returned by the function given to hessian should contain a single "
                "element"
            )
        return out.reshape(())

    def jac_func(*inp):
        jac = jacobian(single_output, inp, create_graph=True)
        _check_requires_grad(jac, "jacobian", strict)
        return jac

    res = jacobian(jac_func, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)  # fmt: skip
    return _postprocess(res, (inputs_is_tuple, inputs_is_tuple))


def _scalar_function_jac(func, inputs, v, create_graph, strict, name):
    """The shared start of ``vhp`` and ``hvp``: prepared inputs and ``v``, the single output
    and its gradient recorded for a second differentiation."""
    inputs_is_tuple, inputs = _as_tuple(inputs, "inputs", name)
    inputs = _prepare(inputs, create_graph, need_graph=True)
    v = _prepare_v(v, inputs, inputs_is_tuple, create_graph, name,
                   "input to the user-provided function is")  # fmt: skip
    outputs = func(*inputs)
    outputs_is_tuple, outputs = _as_tuple(outputs, "outputs of the user-provided function", name)
    _check_requires_grad(outputs, "outputs", strict)
    if outputs_is_tuple or not isinstance(outputs[0], Tensor):
        raise RuntimeError(f"The function given to {name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(
            f"The Tensor returned by the function given to {name} should contain a single element"
        )
    jac = _autograd_grad(outputs, inputs, create_graph=True)
    _check_requires_grad(jac, "jacobian", strict)
    return inputs_is_tuple, inputs, v, outputs_is_tuple, outputs, jac


def vhp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(*inputs), v^T H)``: the vector-Hessian product of a scalar function
    (``torch.autograd.functional.vhp``).

    Returns:
        ``(output, vhp)``, the latter shaped like the inputs.

    Example::

        out, vh = vhp(lambda x: (x ** 3).sum(), ag.tensor([1.0, 2.0]), v=ag.ones(2))  # 6x
    """
    with enable_grad():
        inputs_is_tuple, inputs, v, outputs_is_tuple, outputs, jac = _scalar_function_jac(
            func, inputs, v, create_graph, strict, "vhp"
        )
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _autograd_grad(jac, inputs, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back")
    outputs = _finish(outputs, create_graph)
    result = _finish(result, create_graph)
    return _postprocess(outputs, outputs_is_tuple), _postprocess(result, inputs_is_tuple)


def hvp(func: Callable, inputs, v=None, create_graph: bool = False, strict: bool = False):
    """``(func(*inputs), H v)``: the Hessian-vector product of a scalar function
    (``torch.autograd.functional.hvp``), by the double-backward trick.

    Returns:
        ``(output, hvp)``, the latter shaped like the inputs.

    Example::

        out, hv = hvp(lambda x: (x ** 3).sum(), ag.tensor([1.0, 2.0]), v=ag.ones(2))  # 6x
    """
    with enable_grad():
        inputs_is_tuple, inputs, v, outputs_is_tuple, outputs, jac = _scalar_function_jac(
            func, inputs, v, create_graph, strict, "hvp"
        )
        us = tuple(zeros_like(t).requires_grad_(True) for t in inputs)
        double_back = _autograd_grad(jac, inputs, us, create_graph=True)
        _check_requires_grad(jac, "hessian", strict)
    with set_grad_enabled(create_graph or is_grad_enabled()):
        grads = _autograd_grad(double_back, us, v, create_graph=create_graph)
        result = _fill_in_zeros(grads, inputs, strict, create_graph, "double_back_trick")
    outputs = _finish(outputs, create_graph)
    result = _finish(result, create_graph)
    return _postprocess(outputs, outputs_is_tuple), _postprocess(result, inputs_is_tuple)
