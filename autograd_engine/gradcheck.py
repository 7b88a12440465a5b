"""Finite-difference checks of analytic gradients: ``gradcheck`` and ``gradgradcheck`` with
``torch.autograd.gradcheck``'s semantics and defaults."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence

from . import array_backend
from .engine import grad as _grad
from .grad_mode import enable_grad, no_grad
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when analytic and numerical gradients disagree."""


def _as_tuple(x) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(func, inputs) -> tuple[Tensor, ...]:
    return tuple(o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor))


def _numerical_jacobian(func, inputs, i: int, eps: float) -> list:
    """Columns d(out)/d(inputs[i][k]) by central differences, one list per output."""
    x = inputs[i]
    xp = array_backend.get_array_module(x.array)
    if not x.array.flags.c_contiguous:
        x.array = xp.ascontiguousarray(x.array)
    flat = x.array.reshape(-1)  # a view: writes go into x.array
    columns = None
    with no_grad():
        for k in range(flat.size):
            orig = flat[k].item()
            flat[k] = orig + eps
            plus = [o.array.astype("float64").reshape(-1) for o in _outputs(func, inputs)]
            flat[k] = orig - eps
            minus = [o.array.astype("float64").reshape(-1) for o in _outputs(func, inputs)]
            flat[k] = orig
            cols = [(p - m) / (2 * eps) for p, m in zip(plus, minus)]
            if columns is None:
                columns = [[] for _ in cols]
            for out_cols, c in zip(columns, cols):
                out_cols.append(c)
    if columns is None:
        return []
    return [xp.stack(c, axis=1) if c else None for c in columns]  # (n_out, n_in)


def _unsupported(option: str, what: str) -> None:
    raise NotImplementedError(
        f"gradcheck({option}=True) checks {what}, which autograd_engine does not implement "
        "(it has reverse-mode AD only, and no vmap); leave it False."
    )


def _analytical_jacobian(func, inputs, i: int, outputs, check_dtypes: bool = False) -> list:
    """Rows d(out[j])/d(inputs[i]) by one vector-Jacobian product per output element."""
    x = inputs[i]
    jacobians = []
    for o in outputs:
        xp = array_backend.get_array_module(o.array)
        rows = []
        for j in range(o.array.size):
            onehot = xp.zeros(o.array.size, dtype=o.array.dtype)
            onehot[j] = 1
            if not o.requires_grad:
                rows.append(xp.zeros(x.array.size))
                continue
            (g,) = _grad(
                o,
                x,
                grad_outputs=Tensor._make(onehot.reshape(o.array.shape)),
                retain_graph=True,
                allow_unused=True,
            )
            if check_dtypes and g is not None and g.dtype != x.dtype:
                raise GradcheckError(
                    f"Gradient has dtype mismatch: the gradient of input {i} has dtype "
                    f"{g.dtype} but the input is {x.dtype}"
                )
            rows.append(xp.zeros(x.array.size) if g is None else g.array.reshape(-1).astype("f8"))
        jacobians.append(xp.stack(rows, axis=0) if rows else xp.zeros((0, x.array.size)))
    return jacobians


def gradcheck(
    func: Callable,
    inputs,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_batched_forward_grad: bool = False,
    check_forward_ad: bool = False,
    check_backward_ad: bool = True,
    fast_mode: bool = False,
    masked: bool | None = None,
) -> bool:
    """Check the analytic gradients of ``func`` at ``inputs`` against central finite
    differences (``torch.autograd.gradcheck``).

    Every input that requires grad is perturbed element by element; the numerical and analytic
    Jacobians must satisfy ``|analytic - numerical| <= atol + rtol * |numerical|``. Use float64
    inputs: in float32 the finite differences are too coarse (a warning says so).

    Args:
        func: a function of tensors returning a tensor or a tuple of tensors.
        inputs: a tensor or tuple of tensors (and other arguments, passed through).
        eps, atol, rtol: the perturbation and tolerances (PyTorch's defaults).
        raise_exception: raise :class:`GradcheckError` on mismatch instead of returning False.
        nondet_tol: how far two backward passes on the same input may differ (0: identical).
        check_grad_dtypes: also require each gradient to have its input's dtype.
        check_backward_ad: compare the gradients (with False there is nothing left to check).
        check_undefined_grad, fast_mode, masked: accepted for PyTorch compatibility. NOTE: the
            engine always passes defined gradients to backward, so there is no undefined-grad
            case to check; ``fast_mode`` runs the full check (same verdict, slower).
        check_batched_grad, check_batched_forward_grad, check_forward_ad: raise
            NotImplementedError when True (no vmap, no forward-mode AD here).

    Example::

        x = ag.randn(3, dtype=ag.float64, requires_grad=True)
        assert ag.gradcheck(lambda t: (t * t).sin(), (x,))
    """
    if check_batched_grad:
        _unsupported("check_batched_grad", "batched gradients (vmap)")
    if check_batched_forward_grad:
        _unsupported("check_batched_forward_grad", "batched forward gradients (vmap)")
    if check_forward_ad:
        _unsupported("check_forward_ad", "forward-mode AD")
    if masked:
        raise NotImplementedError("gradcheck(masked=True) is for sparse tensors, which "
                                  "autograd_engine does not have.")  # fmt: skip
    inputs = _as_tuple(inputs)
    differentiable = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not differentiable:
        raise ValueError("gradcheck expects at least one input tensor to require gradient")
    for i in differentiable:
        if inputs[i].dtype.itemsize < 8:
            warnings.warn(
                f"gradcheck: input {i} is {inputs[i].dtype}, not float64; finite differences "
                "in single precision are unreliable. Use .double() inputs.",
                stacklevel=2,
            )
    if not check_backward_ad:
        return True
    with enable_grad():
        outputs = _outputs(func, inputs)
        for i in differentiable:
            analytic = _analytical_jacobian(func, inputs, i, outputs, check_grad_dtypes)
            again = _analytical_jacobian(func, inputs, i, outputs)
            for a, b in zip(analytic, again):
                xp = array_backend.get_array_module(a)
                if not bool(xp.all(xp.abs(a - b) <= nondet_tol)):
                    msg = (
                        "Backward is not reentrant, i.e., running backward with same input and "
                        "grad_output multiple times gives different values, although analytical "
                        "gradient matches numerical gradient. The tolerance for nondeterminism "
                        f"was {nondet_tol}."
                    )
                    if raise_exception:
                        raise GradcheckError(msg)
                    return False
            numeric = _numerical_jacobian(func, inputs, i, eps)
            for k, (a, n) in enumerate(zip(analytic, numeric)):
                if n is None:
                    continue
                xp = array_backend.get_array_module(n)
                if not bool(xp.all(xp.abs(a - n) <= atol + rtol * xp.abs(n))):
                    msg = (
                        f"Jacobian mismatch for output {k} with respect to input {i},\n"
                        f"numerical:{array_backend.to_device(n, array_backend.CPU)}\n"
                        f"analytical:{array_backend.to_device(a, array_backend.CPU)}\n"
                    )
                    if raise_exception:
                        raise GradcheckError(msg)
                    return False
    return True


def gradgradcheck(
    func: Callable,
    inputs,
    grad_outputs: Sequence[Tensor] | None = None,
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    gen_non_contig_grad_outputs: bool = False,
    raise_exception: bool = True,
    nondet_tol: float = 0.0,
    check_undefined_grad: bool = True,
    check_grad_dtypes: bool = False,
    check_batched_grad: bool = False,
    check_fwd_over_rev: bool = False,
    check_rev_over_rev: bool = True,
    fast_mode: bool = False,
    masked: bool = False,
) -> bool:
    """Check second derivatives: gradcheck of the vector-Jacobian product of ``func``
    (``torch.autograd.gradgradcheck``). ``grad_outputs`` default to fixed random tensors that
    require grad, so the check covers them too. The options are :func:`gradcheck`'s;
    ``gen_non_contig_grad_outputs`` makes the default ``grad_outputs`` non-contiguous views;
    ``check_fwd_over_rev=True`` raises NotImplementedError (no forward-mode AD)."""
    if check_fwd_over_rev:
        _unsupported("check_fwd_over_rev", "forward-over-reverse derivatives")
    if not check_rev_over_rev:
        return True
    inputs = _as_tuple(inputs)
    with enable_grad():
        outputs = _outputs(func, inputs)
    if grad_outputs is None:
        gen = array_backend.new_generator(array_backend.CPU, 0)
        grad_outputs = []
        for o in outputs:
            v = gen.standard_normal(o.array.shape)
            v = array_backend.asarray(v, o.device, dtype=o.array.dtype)
            if gen_non_contig_grad_outputs and v.ndim >= 1 and v.size > 1:
                v = v.repeat(2, axis=-1)[..., ::2]  # the same values, every other element
            g = Tensor._make(v)
            g.requires_grad = True
            grad_outputs.append(g)
    grad_outputs = tuple(grad_outputs)
    n_in = len(inputs)
    diff = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]

    def first_order(*args):
        ins, gos = args[:n_in], args[n_in:]
        with enable_grad():  # also while gradcheck perturbs inputs under no_grad
            outs = _outputs(func, ins)
            grads = _grad(
                outs,
                [ins[i] for i in diff],
                grad_outputs=list(gos),
                create_graph=True,
                allow_unused=True,
            )
        return tuple(g for g in grads if g is not None)

    return gradcheck(
        first_order,
        inputs + grad_outputs,
        eps=eps,
        atol=atol,
        rtol=rtol,
        raise_exception=raise_exception,
        nondet_tol=nondet_tol,
        check_grad_dtypes=check_grad_dtypes,
        check_batched_grad=check_batched_grad,
        masked=masked,
    )
