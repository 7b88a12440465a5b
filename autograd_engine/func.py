"""``autograd_engine.func`` (``torch.func``): function transforms on top of the reverse-mode
engine: ``grad``/``grad_and_value``, ``vjp``, ``jvp``, ``jacrev``/``jacfwd``, ``hessian``,
``vmap`` and ``functional_call``/``stack_module_state``. They compose (``grad(grad(f))``)
because every derivative is taken with ``create_graph=True``.

NOTE: PyTorch computes ``jacfwd`` and ``jvp`` in forward mode and ``vmap`` by batching each
operation; here ``jacfwd`` equals ``jacrev`` (the same numbers, from reverse mode), ``jvp``
uses the double-vjp identity, and ``vmap`` calls the function once per batch element and
stacks the results (the same values, one call per element)."""

from __future__ import annotations

import contextlib
import functools

from .engine import grad as _grad
from .grad_mode import enable_grad
from .tensor import Tensor

__all__ = [
    "grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap",
    "functional_call", "stack_module_state",
]  # fmt: skip


def _argnums(argnums, n: int) -> tuple[tuple[int, ...], bool]:
    single = isinstance(argnums, int)
    nums = (argnums,) if single else tuple(argnums)
    for a in nums:
        if not -n <= a < n:
            raise RuntimeError(f"Got argnums={argnums}, but only {n} positional inputs were given")
    return tuple(a % n for a in nums), single


def _track(args, nums):
    """The arguments with those at ``nums`` made to require grad (fresh leaves if they did
    not), and whether any of them already carried a graph (an outer transform)."""
    args = list(args)
    outer = False
    for i in nums:
        t = args[i]
        if not isinstance(t, Tensor):
            raise RuntimeError(
                f"Expected the argument {i} to be a Tensor to differentiate with respect to, "
                f"got {type(t).__name__}"
            )
        if t.requires_grad:
            outer = True
        else:
            args[i] = t.detach().requires_grad_(True)
    return args, outer


def _maybe_detach(x, outer: bool):
    if outer:
        return x
    if isinstance(x, Tensor):
        return x.detach()
    if isinstance(x, tuple):
        return tuple(_maybe_detach(y, outer) for y in x)
    return x


def grad_and_value(func, argnums=0, has_aux: bool = False):
    """A function returning ``(gradient, value)`` of the scalar ``func`` with respect to the
    arguments ``argnums`` (``torch.func.grad_and_value``); with ``has_aux``, ``func`` returns
    ``(value, aux)`` and the result is ``(gradient, (value, aux))``."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        nums, single = _argnums(argnums, len(args))
        with enable_grad():
            tracked, outer = _track(args, nums)
            out = func(*tracked, **kwargs)
            value, aux = out if has_aux else (out, None)
            if not isinstance(value, Tensor) or value.array.size != 1 or value.ndim != 0:
                shape = tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__
                raise RuntimeError(
                    f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, "
                    f"got {shape}"
                )
            inputs = [tracked[i] for i in nums]
            grads = _grad(value, inputs, create_graph=True, allow_unused=True)
            grads = tuple(g if g is not None else inputs[k] * 0 for k, g in enumerate(grads))
        grads = _maybe_detach(grads, outer)
        g = grads[0] if single else grads
        value = _maybe_detach(value, outer)
        return (g, (value, _maybe_detach(aux, outer))) if has_aux else (g, value)

    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """A function returning the gradient of the scalar ``func`` with respect to the arguments
    ``argnums`` (``torch.func.grad``); composes: ``grad(grad(f))`` is the second derivative.

    Example::

        ag.func.grad(lambda x: (x ** 3).sum())(ag.tensor([2.0]))   # tensor([12.])
    """
    inner = grad_and_value(func, argnums, has_aux)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        g, rest = inner(*args, **kwargs)
        return (g, rest[1]) if has_aux else g

    return wrapper


def vjp(func, *primals, has_aux: bool = False):
    """``(output, vjp_fn)``: ``vjp_fn(cotangents)`` is the vector-Jacobian product, one
    gradient per primal (``torch.func.vjp``)."""
    with enable_grad():
        tracked, outer = _track(primals, range(len(primals)))
        out = func(*tracked)
    output, aux = out if has_aux else (out, None)
    outputs = output if isinstance(output, tuple) else (output,)

    def vjp_fn(*cotangents):
        cts = cotangents[0] if len(cotangents) == 1 and isinstance(output, tuple) else cotangents
        if len(cts) != len(outputs):
            raise RuntimeError(
                f"Expected {len(outputs)} cotangents (one per output), got {len(cts)}"
            )
        with enable_grad():
            grads = _grad(list(outputs), tracked, list(cts), create_graph=True, retain_graph=True,
                          allow_unused=True)  # fmt: skip
        grads = tuple(g if g is not None else p * 0 for g, p in zip(grads, tracked))
        return _maybe_detach(grads, outer)

    result = (_maybe_detach(output, outer), vjp_fn)
    return (*result, aux) if has_aux else result


def jvp(func, primals, tangents, *, has_aux: bool = False):
    """``(output, jvp_out)``: the Jacobian-vector product along ``tangents``
    (``torch.func.jvp``; computed by the double-vjp identity here)."""
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise RuntimeError("jvp(f, primals, tangents): Expected primals and tangents to have the "
                           "same length")  # fmt: skip
    with enable_grad():
        tracked, outer = _track(primals, range(len(primals)))
        out = func(*tracked)
        output, aux = out if has_aux else (out, None)
        outputs = output if isinstance(output, tuple) else (output,)
        dummies = [o.detach() * 0 for o in outputs]
        for d in dummies:
            d.requires_grad_(True)
        g = _grad(list(outputs), tracked, dummies, create_graph=True, allow_unused=True)
        pairs = [(gi, t) for gi, t in zip(g, tangents) if gi is not None]
        if not pairs:
            results = tuple(o * 0 for o in outputs)
        else:
            results = _grad([p[0] for p in pairs], dummies, [p[1] for p in pairs],
                            create_graph=True, allow_unused=True)  # fmt: skip
            results = tuple(r if r is not None else o * 0 for r, o in zip(results, outputs))
    jvp_out = results if isinstance(output, tuple) else results[0]
    result = (_maybe_detach(output, outer), _maybe_detach(jvp_out, outer))
    return (*result, aux) if has_aux else result


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None):
    """A function returning the Jacobian of ``func`` with respect to ``argnums``, of shape
    ``output.shape + input.shape`` (``torch.func.jacrev``)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from .ops import stack

        nums, single = _argnums(argnums, len(args))
        with enable_grad():
            tracked, outer = _track(args, nums)
            out = func(*tracked, **kwargs)
            output, aux = out if has_aux else (out, None)
            inputs = [tracked[i] for i in nums]
            flat = output.reshape(-1)
            rows = []
            for k in range(flat.array.shape[0]):
                gs = _grad(flat[k], inputs, create_graph=True, retain_graph=True,
                           allow_unused=True)  # fmt: skip
                rows.append(tuple(g if g is not None else x * 0 for g, x in zip(gs, inputs)))
            jacs = []
            for j, x in enumerate(inputs):
                if rows:
                    jac = stack([r[j] for r in rows]).reshape(*output.shape, *x.shape)
                else:
                    jac = x.new_zeros(*output.shape, *x.shape)
                jacs.append(jac)
        jacs = _maybe_detach(tuple(jacs), outer)
        result = jacs[0] if single else jacs
        return (result, _maybe_detach(aux, outer)) if has_aux else result

    return wrapper


def jacfwd(func, argnums=0, has_aux: bool = False, *, randomness: str = "error"):
    """The Jacobian of ``func`` (``torch.func.jacfwd``): the same numbers as :func:`jacrev`,
    computed in reverse mode here."""
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    """The Hessian of the scalar ``func`` with respect to ``argnums``
    (``torch.func.hessian``)."""
    return jacfwd(jacrev(func, argnums), argnums)


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """``func`` mapped over a batch dimension of its inputs (``torch.func.vmap``): each
    positional argument's ``in_dims`` entry (an int, or None for no batching) says which
    dimension to map over; the results are stacked along ``out_dims``. Here ``func`` is called
    once per batch element (the same values as PyTorch's batched execution)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from .ops import stack

        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(
                f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not compatible with the "
                f"structure of `inputs`. in_dims has structure of length {len(dims)} but "
                f"inputs has structure of length {len(args)}."
            )
        sizes = {a.array.shape[d] for a, d in zip(args, dims) if d is not None}
        if not sizes:
            raise ValueError(
                "vmap(f, in_dims=...)(<inputs>): at least one input must be mapped over (got "
                "None for every input)"
            )
        if len(sizes) > 1:
            raise ValueError(
                f"vmap: Expected all tensors to have the same size in the mapped dimension, got "
                f"sizes {sorted(sizes)} for the mapped dimension"
            )
        (n,) = sizes
        results = []
        for i in range(n):
            sliced = [a if d is None else a.select(d, i) for a, d in zip(args, dims)]
            results.append(func(*sliced, **kwargs))
        first = results[0]
        if isinstance(first, tuple):
            outs = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(first)
            return tuple(stack([r[k] for r in results], outs[k]) for k in range(len(first)))
        return stack(results, out_dims)

    return wrapper


@contextlib.contextmanager
def _swapped(module, tensors: dict, strict: bool):
    """Replace the parameters and buffers of ``module`` named in ``tensors`` for the block."""
    saved = []
    names = {n for n, _ in module.named_parameters()} | {n for n, _ in module.named_buffers()}
    unknown = sorted(set(tensors) - names)
    if strict and (unknown or names - set(tensors)):
        raise RuntimeError(
            f"Error(s) in reparametrizing for {type(module).__name__}: unexpected keys "
            f"{unknown}, missing keys {sorted(names - set(tensors))}"
        )
    try:
        for name, value in tensors.items():
            prefix, _, leaf = name.rpartition(".")
            owner = module.get_submodule(prefix) if prefix else module
            for table in ("_parameters", "_buffers"):
                store = owner.__dict__[table]
                if leaf in store:
                    saved.append((store, leaf, store[leaf]))
                    store[leaf] = value
                    break
            else:
                saved.append((owner.__dict__, leaf, owner.__dict__.get(leaf, _MISSING)))
                owner.__dict__[leaf] = value
        yield
    finally:
        for store, leaf, value in reversed(saved):
            if value is _MISSING:
                store.pop(leaf, None)
            else:
                store[leaf] = value


_MISSING = object()


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):  # fmt: skip
    """Call ``module`` with its parameters and buffers replaced by the given tensors (a dict
    of names to tensors, or a tuple of dicts), leaving the module unchanged afterwards
    (``torch.func.functional_call``)."""
    dicts = parameter_and_buffer_dicts
    if isinstance(dicts, (tuple, list)):
        merged = {}
        for d in dicts:
            overlap = set(merged) & set(d)
            if overlap:
                raise ValueError(f"{sorted(overlap)} appeared in multiple dictionaries")
            merged.update(d)
        dicts = merged
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _swapped(module, dict(dicts), strict):
        return module(*args, **(kwargs or {}))


def stack_module_state(models):
    """``(params, buffers)``: each parameter and buffer of the identical ``models`` stacked
    along a new first dimension, the parameters as new leaves that require grad
    (``torch.func.stack_module_state``, for ``vmap`` over an ensemble)."""
    from .ops import stack

    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    params = {
        name: stack([dict(m.named_parameters())[name].detach() for m in models]).requires_grad_(
            p.requires_grad
        )
        for name, p in models[0].named_parameters()
    }
    buffers = {
        name: stack([dict(m.named_buffers())[name] for m in models])
        for name, _ in models[0].named_buffers()
    }
    return params, buffers
