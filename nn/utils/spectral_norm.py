"""``nn.utils.spectral_norm`` and ``remove_spectral_norm`` (``torch.nn.utils.spectral_norm``):
the older, hook-based spectral normalization, with PyTorch's ``weight_orig`` parameter and
``weight_u``/``weight_v`` buffers."""

from __future__ import annotations

import autograd_engine as ag
from autograd_engine.ops._util import const
from autograd_engine.tensor import Tensor

from ..modules.module import Module
from ..parameter import Parameter, UninitializedParameter
from .parametrizations import _default_dim, _normalize

__all__ = ["SpectralNorm", "spectral_norm", "remove_spectral_norm"]


class SpectralNorm:
    """The forward pre-hook setting ``module.<name> = weight_orig / sigma`` before each call,
    sigma from power iteration (one step per call in training)."""

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12) -> None:
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but got "
                f"n_power_iterations={n_power_iterations}"
            )
        self.name, self.dim = name, dim
        self.n_power_iterations, self.eps = n_power_iterations, eps

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            w = weight_mat.array
            for _ in range(self.n_power_iterations):
                v.array[...] = _normalize(w.T @ u.array, self.eps)
                u.array[...] = _normalize(w @ v.array, self.eps)
            u._version += 1
            v._version += 1
        sigma = (const(u.array.copy()) * (weight_mat @ const(v.array.copy()))).sum()
        return weight / sigma

    def remove(self, module: Module) -> None:
        with ag.no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))

    @staticmethod
    def apply(module: Module, name: str, n_power_iterations: int, dim: int, eps: float):
        for hook, _ in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two spectral_norm hooks on the same parameter {name}"
                )
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters.get(name)
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        if isinstance(weight, UninitializedParameter):
            raise ValueError(
                "The module passed to `SpectralNorm` can't have uninitialized parameters. Make "
                "sure to run the dummy forward before applying spectral normalization"
            )
        with ag.no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            u = ag.empty(h, dtype=weight.dtype, device=weight.device).normal_(0, 1)
            v = ag.empty(w, dtype=weight.dtype, device=weight.device).normal_(0, 1)
        u = Tensor._make(_normalize(u.array, eps))
        v = Tensor._make(_normalize(v.array, eps))
        delattr(module, name)
        module.register_parameter(name + "_orig", weight)
        setattr(module, name, weight.detach())
        module.register_buffer(name + "_u", u)
        module.register_buffer(name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(
    module: Module,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> Module:
    """Spectral normalization by a forward pre-hook (``torch.nn.utils.spectral_norm``).

    Replaces the parameter ``name`` by ``name_orig`` and the buffers ``name_u``/``name_v``;
    before each forward ``module.<name> = name_orig / sigma``, with ``n_power_iterations`` of
    the power method in training (none in eval). ``dim`` defaults to 0 (1 for transposed
    convolutions). See also ``nn.utils.parametrizations.spectral_norm``.

    Example::

        >>> m = spectral_norm(nn.Linear(20, 40))
        >>> m.weight_u.shape
        (40,)
    """
    if dim is None:
        dim = _default_dim(module)
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """Undo :func:`spectral_norm`: ``name`` becomes an ordinary parameter with the current
    normalized value."""
    for k, (hook, _) in list(module._forward_pre_hooks.items()):
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[k]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
