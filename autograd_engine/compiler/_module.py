"""``compile(module)``: PyTorch's ``OptimizedModule``, a module that holds the original as
``_orig_mod`` (so its state dict keys start with ``_orig_mod.``, as PyTorch's do) and whose
forward is the compiled call of the original (its hooks included). Attribute reads and writes
go through to the original module."""

from __future__ import annotations

from autograd_engine.nn import Module

from ._function import CompiledFunction


class OptimizedModule(Module):
    """What ``autograd_engine.compile(module)`` returns (``torch._dynamo.OptimizedModule``).

    Calling it runs the compiled forward: traced on the first call of each signature (input
    shapes, dtypes, devices, grad mode, train/eval mode), replayed afterwards. In training, the
    outputs carry one node whose backward replays the recorded backward of the forward, so
    ``loss.backward()`` and ``optimizer.step()`` outside work as with the original module.
    Everything else (parameters, ``train()``/``eval()``, ``state_dict``, attributes) is the
    original module's; ``_orig_mod`` is the original.
    """

    _opt_mod_attributes = frozenset(("_orig_mod", "forward", "_super_module_initialized"))

    def __init__(self, mod: Module, *, fullgraph: bool, cudagraphs: bool, recompile_limit: int):
        object.__setattr__(self, "_orig_mod", mod)
        object.__setattr__(self, "_super_module_initialized", False)
        super().__init__()
        object.__setattr__(self, "_super_module_initialized", True)
        self._orig_mod = mod  # registered as a child: state_dict keys get "_orig_mod."
        self.forward = CompiledFunction(
            mod.__call__,
            fullgraph=fullgraph,
            cudagraphs=cudagraphs,
            recompile_limit=recompile_limit,
        )

    @property
    def training(self) -> bool:
        return self._orig_mod.training

    @training.setter
    def training(self, value: bool) -> None:
        if self._super_module_initialized:  # Module.__init__'s default is not mirrored
            self._orig_mod.training = value

    def __getattr__(self, name: str):
        if name == "_orig_mod":
            return self._modules["_orig_mod"]
        return getattr(self._orig_mod, name)

    def __setattr__(self, name: str, value) -> None:
        if hasattr(type(self), name) or name in OptimizedModule._opt_mod_attributes:
            return super().__setattr__(name, value)
        return setattr(self._orig_mod, name, value)

    def __delattr__(self, name: str) -> None:
        if hasattr(type(self), name) or name in OptimizedModule._opt_mod_attributes:
            return super().__delattr__(name)
        return delattr(self._orig_mod, name)

    def __len__(self) -> int:
        return len(self._orig_mod)

    def __dir__(self):
        return list(self._orig_mod.__dir__()) + ["_orig_mod"]
