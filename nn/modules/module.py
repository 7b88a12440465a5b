"""``Module``: the base class of every layer. It registers parameters, buffers and submodules
in order through ``__setattr__`` and owns traversal, train/eval, device and dtype moves,
``state_dict`` loading and saving, forward hooks and the PyTorch-style ``repr``."""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import autograd_engine as ag
from autograd_engine import array_backend
from autograd_engine.dtypes import as_dtype
from autograd_engine.hooks import RemovableHandle
from autograd_engine.tensor import Tensor

from ..parameter import Buffer, Parameter

__all__ = ["Module", "RemovableHandle"]


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it did not find and the keys it did not use."""

    __slots__ = ()

    def __repr__(self) -> str:
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    first = lines.pop(0)
    rest = [(" " * spaces) + line if line.strip() else "" for line in lines]
    return first + "\n" + "\n".join(rest)


def _typename(value) -> str:
    return f"{type(value).__module__}.{type(value).__qualname__}"


def _check_name(kind: str, name) -> None:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string. Got {type(name).__name__}")
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')


class Module:
    """Base class for all layers and models (``torch.nn.Module``).

    Subclasses call ``super().__init__()`` first, assign ``Parameter``s, submodules and
    buffers as attributes (they are registered in assignment order), and define
    ``forward``. Calling the module runs its forward pre-hooks, ``forward`` and its forward
    hooks.

    Example::

        >>> class MLP(nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc1 = nn.Linear(4, 8)
        ...         self.fc2 = nn.Linear(8, 2)
        ...     def forward(self, x):
        ...         return self.fc2(self.fc1(x).relu())
        >>> [name for name, _ in MLP().named_parameters()]
        ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
    """

    training: bool
    _version: int = 1

    def __init__(self, *args, **kwargs) -> None:
        if args or kwargs:
            raise TypeError(
                f"{type(self).__name__}.__init__() got unexpected arguments: Module.__init__ "
                "takes no arguments (pass them to your subclass's own __init__)"
            )
        setattr_ = object.__setattr__
        setattr_(self, "training", True)
        setattr_(self, "_parameters", OrderedDict())
        setattr_(self, "_buffers", OrderedDict())
        setattr_(self, "_non_persistent_buffers_set", set())
        setattr_(self, "_modules", OrderedDict())
        setattr_(self, "_forward_hooks", OrderedDict())
        setattr_(self, "_forward_pre_hooks", OrderedDict())

    # --- the call -----------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        """The computation of the module; every subclass defines it."""
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks):
            return self.forward(*args, **kwargs)
        for hook, with_kwargs in list(self._forward_pre_hooks.values()):
            if with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        out = self.forward(*args, **kwargs)
        for hook, with_kwargs in list(self._forward_hooks.values()):
            result = hook(self, args, kwargs, out) if with_kwargs else hook(self, args, out)
            if result is not None:
                out = result
        return out

    def register_forward_pre_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, args)`` before each ``forward``
        (``torch.nn.Module.register_forward_pre_hook``).

        The hook may return a replacement for the positional inputs (a tuple, or a single
        value that is wrapped in one). With ``with_kwargs`` it is called as
        ``hook(module, args, kwargs)`` and may return ``(args, kwargs)``. ``prepend`` runs it
        before the hooks already registered. Returns a handle whose ``remove()`` unregisters
        it.
        """
        return self._add_hook(self._forward_pre_hooks, hook, prepend, with_kwargs)

    def register_forward_hook(
        self, hook: Callable, *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after each ``forward``
        (``torch.nn.Module.register_forward_hook``).

        The hook may return a replacement output. With ``with_kwargs`` it is called as
        ``hook(module, args, kwargs, output)``. Returns a handle whose ``remove()``
        unregisters it.

        Example::

            >>> shapes = []
            >>> h = model.register_forward_hook(lambda m, args, out: shapes.append(out.shape))
            >>> _ = model(x); h.remove()
        """
        return self._add_hook(self._forward_hooks, hook, prepend, with_kwargs)

    @staticmethod
    def _add_hook(
        hooks: OrderedDict, hook: Callable, prepend: bool, with_kwargs: bool
    ) -> RemovableHandle:
        handle = RemovableHandle(hooks)
        hooks[handle.id] = (hook, with_kwargs)
        if prepend:
            hooks.move_to_end(handle.id, last=False)
        return handle

    # --- registration -----------------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_everywhere(name, keep="_parameters")
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as parameter '{name}' "
                    "(nn.Parameter or None expected)"
                )
            params[name] = None
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._remove_everywhere(name, keep="_modules")
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as child module '{name}' "
                    "(nn.Module or None expected)"
                )
            modules[name] = None
            return
        buffers = d.get("_buffers")
        if isinstance(value, Buffer) or (buffers is not None and name in buffers):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign '{_typename(value)}' as buffer '{name}' "
                    "(nn.Buffer, Tensor or None expected)"
                )
            if isinstance(value, Buffer):
                persistent = value.persistent
            else:
                persistent = name not in self._non_persistent_buffers_set
            self._remove_everywhere(name, keep="_buffers")
            self.register_buffer(name, value, persistent)
            return
        object.__setattr__(self, name, value)

    def _remove_everywhere(self, name: str, keep: str) -> None:
        """Forget ``name`` everywhere but in ``keep`` (where it is being reassigned in place,
        so its position in the registration order stays)."""
        d = self.__dict__
        d.pop(name, None)
        for key in ("_parameters", "_buffers", "_modules"):
            if key != keep:
                d[key].pop(name, None)
        if keep != "_buffers":
            d["_non_persistent_buffers_set"].discard(name)

    def __getattr__(self, name: str):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            members = d.get(key)
            if members is not None and name in members:
                return members[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        keys = list(object.__dir__(self))
        keys += list(self._parameters) + list(self._buffers) + list(self._modules)
        return sorted(set(keys))

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Add a parameter (or ``None``) under ``name`` (``torch.nn.Module.register_parameter``).

        Args:
            name: the attribute name; no dots, not empty, not an existing attribute.
            param: a ``Parameter``, or ``None`` for an absent parameter (such as a
                ``bias=False`` layer's bias), which ``state_dict`` skips.
        """
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name("parameter", name)
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign '{_typename(param)}' object to parameter '{name}' "
                "(nn.Parameter or None required)"
            )
        if param is not None and param.grad_fn is not None:
            raise ValueError(
                f"Cannot assign non-leaf Tensor to parameter '{name}'. Model parameters must be "
                f"created explicitly. To express '{name}' as a function of another Tensor, "
                "compute the value in the forward() method."
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Add a buffer: module state that is not a parameter, such as BatchNorm's
        ``running_mean`` (``torch.nn.Module.register_buffer``).

        Args:
            name: the attribute name.
            tensor: a Tensor, or ``None`` (skipped by ``state_dict`` and by moves).
            persistent: whether the buffer is part of ``state_dict()``.

        Example::

            >>> self.register_buffer("running_mean", ag.zeros(num_features))
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name("buffer", name)
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"cannot assign '{_typename(tensor)}' object to buffer '{name}' "
                "(Tensor or None required)"
            )
        if isinstance(tensor, (Buffer, Parameter)):
            tensor = Tensor._make(tensor.array)
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Add a child module under ``name`` (``torch.nn.Module.add_module``)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{_typename(module)} is not a Module subclass")
        _check_name("module", name)
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    def register_module(self, name: str, module: Module | None) -> None:
        """Alias of :meth:`add_module`."""
        self.add_module(name, module)

    def get_submodule(self, target: str) -> Module:
        """The submodule at the dotted path ``target`` (``torch.nn.Module.get_submodule``)."""
        mod = self
        if target == "":
            return mod
        for item in target.split("."):
            if not hasattr(mod, item):
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}`")
            mod = getattr(mod, item)
            if not isinstance(mod, Module):
                raise AttributeError(f"`{item}` is not an nn.Module")
        return mod

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at the dotted path ``target``."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._parameters:
            raise AttributeError(f"{mod._get_name()} has no parameter `{name}`")
        return mod._parameters[name]

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at the dotted path ``target``."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._buffers:
            raise AttributeError(f"{mod._get_name()} has no buffer `{name}`")
        return mod._buffers[name]

    # --- traversal ----------------------------------------------------------------------------
    def named_modules(
        self, memo: set | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """Yield ``(dotted_name, module)`` for this module and every submodule, each once
        (``torch.nn.Module.named_modules``)."""
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        if remove_duplicate:
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """Yield this module and every submodule (each once)."""
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Yield ``(name, module)`` for the direct children (each once)."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """Yield the direct children."""
        for _, module in self.named_children():
            yield module

    def _named_members(
        self, members: Callable, prefix: str, recurse: bool, remove_duplicate: bool = True
    ):
        seen = set()
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for module_prefix, module in modules:
            for key, value in members(module):
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield module_prefix + ("." if module_prefix else "") + key, value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """Yield ``(dotted_name, parameter)`` in registration order; a parameter shared by
        several modules comes once, under its first name (``torch.nn.Module.named_parameters``).

        Args:
            prefix: prepended to every name.
            recurse: include the submodules' parameters (default) or only this module's.
            remove_duplicate: yield a shared parameter once (default).
        """
        return self._named_members(
            lambda m: m._parameters.items(), prefix, recurse, remove_duplicate
        )

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """Yield the parameters (each once), e.g. to give to an optimizer
        (``torch.nn.Module.parameters``)."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """Yield ``(dotted_name, buffer)`` for every buffer, persistent or not."""
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """Yield the buffers (each once)."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # --- modes --------------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Set training mode (``mode=True``) or evaluation mode on this module and every
        submodule; affects Dropout and BatchNorm (``torch.nn.Module.train``). Returns self."""
        if not isinstance(mode, bool):
            raise ValueError("training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode: ``train(False)``. Returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        """Set ``requires_grad`` on every parameter (to freeze or unfreeze). Returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every parameter: to ``None`` (default) or to zeros
        (``torch.nn.Module.zero_grad``)."""
        rec = ag.node._recorder
        if rec is not None and rec.claims():  # traced by autograd_engine.compile: replayed
            return rec.opaque_call(self.zero_grad, set_to_none)
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                if p.grad.grad_fn is not None:
                    p.grad = p.grad.detach()
                p.grad.array[...] = 0

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first) and then on self, e.g. for custom
        initialization (``torch.nn.Module.apply``). Returns self.

        Example::

            >>> def init_weights(m):
            ...     if isinstance(m, nn.Linear):
            ...         nn.init.xavier_uniform_(m.weight)
            >>> model.apply(init_weights)
        """
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # --- devices and dtypes -----------------------------------------------------------------
    def _apply(self, fn: Callable, recurse: bool = True) -> Module:
        """Replace the array of every parameter, gradient and buffer by ``fn(array)``,
        keeping the Tensor objects (so optimizers holding them stay valid)."""
        if recurse:
            for module in self.children():
                module._apply(fn)
        for p in self._parameters.values():
            if p is None:
                continue
            p.array = fn(p.array)
            if p.grad is not None:
                p.grad.array = fn(p.grad.array)
        for b in self._buffers.values():
            if b is not None:
                b.array = fn(b.array)
        return self

    def to(self, *args, **kwargs) -> Module:
        """Move and/or cast the parameters and buffers in place (``torch.nn.Module.to``).

        ``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or ``to(tensor)``. A dtype must be
        floating point and applies to floating point parameters and buffers only (integer
        buffers such as ``num_batches_tracked`` keep theirs). The parameters stay the same
        Tensor objects (their ``.data`` is replaced), so an optimizer built before the move
        keeps working. Returns self.

        Example::

            >>> model.to("cuda")          # or model.to(ag.float64)
        """
        dev, dtype = None, None
        for a in list(args) + [kwargs.get("device"), kwargs.get("dtype"), kwargs.get("tensor")]:
            if a is None:
                continue
            if isinstance(a, Tensor):
                dev, dtype = a.device, a.dtype
            elif isinstance(a, (str, array_backend.Device)):
                dev = array_backend.device(a)
            elif isinstance(a, int) and not isinstance(a, bool):
                dev = array_backend.device(f"cuda:{a}")
            else:
                dtype = as_dtype(a)
        if dtype is not None and dtype.kind != "f":
            raise TypeError(
                f"nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}"
            )

        def convert(array):
            if dev is not None and array_backend.device_of(array) != dev:
                array = array_backend.to_device(array, dev)
            if dtype is not None and array.dtype.kind == "f" and array.dtype != dtype:
                array = array.astype(dtype)
            return array

        return self._apply(convert)

    def cpu(self) -> Module:
        """Move every parameter and buffer to the CPU. Returns self."""
        return self.to("cpu")

    def cuda(self, device: int | str | None = None) -> Module:
        """Move every parameter and buffer to a GPU (``cuda`` or ``cuda:N``). Returns self."""
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device)

    def float(self) -> Module:
        """Cast floating point parameters and buffers to float32. Returns self."""
        return self.to(ag.float32)

    def double(self) -> Module:
        """Cast floating point parameters and buffers to float64. Returns self."""
        return self.to(ag.float64)

    def half(self) -> Module:
        """Cast floating point parameters and buffers to float16. Returns self."""
        return self.to(ag.float16)

    # --- state_dict ---------------------------------------------------------------------------
    def state_dict(self, *, destination=None, prefix: str = "", keep_vars: bool = False):
        """The module's state: an ordered dict from dotted names to tensors, with the
        parameters and persistent buffers of every submodule (``torch.nn.Module.state_dict``).

        Keys are PyTorch's (``"0.weight"``, ``"bn.running_mean"``,
        ``"bn.num_batches_tracked"``). Values share memory with the module (detached unless
        ``keep_vars``); copy them to keep a snapshot.

        Example::

            >>> sd = model.state_dict()
            >>> list(sd)
            ['0.weight', '0.bias', '1.weight', '1.bias']
        """
        if destination is None:
            destination = OrderedDict()
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(
                    destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars
                )
        return destination

    def _state_targets(self) -> OrderedDict:
        """Every state_dict key with the Tensor it loads into."""
        return self.state_dict(keep_vars=True)

    def _prepare_state(self, state_dict: Mapping[str, Any], prefix: str) -> None:
        """Called by ``load_state_dict`` on every submodule before anything is checked (this
        module's keys start with ``prefix``): lazy modules size their uninitialized
        parameters from the state_dict here, as PyTorch's load pre-hook does."""

    def _optional_state(self) -> tuple[str, ...]:
        """Names of this module's state that a loaded state_dict may omit (they are then left
        as they are). Subclasses override (BatchNorm: ``num_batches_tracked``, as PyTorch does
        for state_dicts without version metadata)."""
        return ()

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True, assign: bool = False
    ):
        """Copy parameters and buffers from ``state_dict`` (``torch.nn.Module.load_state_dict``).

        Values may be Tensors or arrays (NumPy, CuPy, or anything ``numpy.asarray`` takes,
        such as a CPU ``torch.Tensor``); they are cast to each target's dtype and moved to
        its device. Every key and shape is checked before anything is copied: on an error the
        model is left exactly as it was (stricter than PyTorch, which may load part of it).

        Args:
            state_dict: a mapping from dotted names to values, e.g. from :meth:`state_dict`
                or from PyTorch's ``model.state_dict()`` converted to arrays.
            strict: require the keys to match exactly (missing and unexpected keys are
                errors); with ``False`` they are reported and skipped. Shape mismatches are
                errors either way.
            assign: replace each target's array by (a copy of) the value instead of copying
                into the existing array; the Tensor objects are kept either way.

        Returns:
            ``(missing_keys, unexpected_keys)``, a named tuple.

        Raises:
            RuntimeError: listing every missing key, unexpected key and size mismatch.

        Example::

            >>> model.load_state_dict({k: v.numpy() for k, v in torch_model.state_dict().items()})
            <All keys matched successfully>
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        for prefix, module in self.named_modules():
            module._prepare_state(state_dict, prefix + "." if prefix else "")
        targets = self._state_targets()
        optional = set()
        for prefix, module in self.named_modules():
            for key in module._optional_state():
                optional.add((prefix + "." if prefix else "") + key)
        missing = [k for k in targets if k not in state_dict and k not in optional]
        unexpected = [k for k in state_dict if k not in targets]
        problems = []
        values = {}
        for key, target in targets.items():
            if key not in state_dict:
                continue
            value = state_dict[key]
            try:
                array = value.array if isinstance(value, Tensor) else _as_host_or_device(value)
            except Exception as exc:  # noqa: BLE001 - reported with the key
                problems.append(
                    f'While copying the parameter named "{key}": cannot read a value of '
                    f"type {type(value).__name__} as an array ({exc})."
                )
                continue
            if tuple(array.shape) != tuple(target.shape):
                problems.append(
                    f"size mismatch for {key}: copying a param with shape {tuple(array.shape)} "
                    f"from checkpoint, the shape in current model is {tuple(target.shape)}."
                )
                continue
            values[key] = array
        if strict and (missing or unexpected) or problems:
            lines = []
            if strict and missing:
                lines.append(
                    "Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing) + ". "
                )
            if strict and unexpected:
                lines.append(
                    "Unexpected key(s) in state_dict: "
                    + ", ".join(f'"{k}"' for k in unexpected)
                    + ". "
                )
            lines += problems
            raise RuntimeError(
                f"Error(s) in loading state_dict for {self._get_name()}:\n\t"
                + "\n\t".join(lines)
                + "\nNothing was loaded: the model is unchanged."
            )
        with ag.no_grad():
            for key, array in values.items():
                target = targets[key]
                converted = array_backend.asarray(array, target.device, dtype=target.dtype)
                if assign:
                    target.array = converted.copy() if converted is array else converted
                else:
                    target.array[...] = converted
                target._version += 1
        return _IncompatibleKeys(missing, unexpected)

    # --- printing -----------------------------------------------------------------------------
    def _get_name(self) -> str:
        return type(self).__name__

    def extra_repr(self) -> str:
        """The module's own settings for its ``repr`` (e.g. ``in_features=3, ...``);
        subclasses override it. Single-line strings print inline, as in PyTorch."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({key}): " + _addindent(repr(module), 2) for key, module in self._modules.items()
        ]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        for key, default in (
            ("_forward_hooks", OrderedDict),
            ("_forward_pre_hooks", OrderedDict),
            ("_non_persistent_buffers_set", set),
        ):
            if key not in self.__dict__:
                self.__dict__[key] = default()


def _as_host_or_device(value):
    """A checkpoint value as a backend array without copying where possible."""
    if type(value) in array_backend.ARRAY_TYPES:
        return value
    array = array_backend.numpy.asarray(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"not numeric data (NumPy dtype {array.dtype})")
    return array
