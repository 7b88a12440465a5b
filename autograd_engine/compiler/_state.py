"""What a compiled function depends on besides its tensor arguments: the modules and
optimizers it reaches (in its arguments, its bound ``self``, its closure and the globals it
names), the guard key of a call, and snapshots of that state, used to check a new program
against eager mode on its first replay."""

from __future__ import annotations

import copy
import types

from .. import array_backend
from ..grad_mode import grad_enabled
from ..tensor import Tensor

_SIMPLE = (int, float, bool, str, bytes, type(None), complex)


def _module_types():
    from autograd_engine.nn import Module
    from autograd_engine.optim import Optimizer

    return Module, Optimizer


def _code_names(code) -> list[str]:
    names = list(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names += _code_names(const)
    return names


class Reach:
    """The modules and optimizers a compiled function can reach: its arguments, ``self`` of a
    bound method (and that object's attributes), its closure cells, defaults and the globals
    its code names, one level into lists, tuples and dicts (a scheduler contributes its
    optimizer). Found again only when one of those objects is replaced."""

    def __init__(self, fn):
        module_type, _ = _module_types()
        self.fn = fn
        self.is_module = isinstance(fn, module_type)
        self.owner = getattr(fn, "__self__", None)
        func = getattr(fn, "__func__", fn)
        code = getattr(func, "__code__", None)
        self.func = func if code is not None else None
        self.names = list(dict.fromkeys(_code_names(code))) if code is not None else []
        self.fingerprint = None
        self.modules: list = []
        self.optimizers: list = []
        self.every_module: list = []

    def _candidates(self, args, kwargs) -> list:
        found = list(args)
        if kwargs:
            found += kwargs.values()
        if self.is_module:
            found.append(self.fn)
        if self.owner is not None:
            found.append(self.owner)
            found += getattr(self.owner, "__dict__", {}).values()
        func = self.func
        if func is not None:
            scope = func.__globals__
            found += [scope.get(n) for n in self.names]
            found += func.__defaults__ or ()
            if func.__kwdefaults__:
                found += func.__kwdefaults__.values()
            for cell in func.__closure__ or ():
                try:
                    found.append(cell.cell_contents)
                except ValueError:  # an empty cell
                    pass
        return found

    def get(self, args, kwargs) -> tuple[list, list, list]:
        """``(modules, optimizers, every module under them)`` for a call."""
        found = self._candidates(args, kwargs)
        fingerprint = tuple(map(id, found))
        if fingerprint != self.fingerprint:
            self.modules, self.optimizers = _classify(found)
            self.every_module = all_modules(self.modules)
            self.fingerprint = fingerprint
        return self.modules, self.optimizers, self.every_module


def _classify(found) -> tuple[list, list]:
    module_type, optimizer_type = _module_types()
    modules, optimizers, seen = [], [], set()
    for obj in _one_level(found):
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, module_type):
            modules.append(obj)
        elif isinstance(obj, optimizer_type):
            optimizers.append(obj)
        elif isinstance(getattr(obj, "optimizer", None), optimizer_type):
            if id(obj.optimizer) not in seen:
                seen.add(id(obj.optimizer))
                optimizers.append(obj.optimizer)
    return modules, optimizers


def _one_level(objs):
    for obj in objs:
        yield obj
        if isinstance(obj, (list, tuple)):
            yield from obj
        elif isinstance(obj, dict):
            yield from obj.values()


def all_modules(modules) -> list:
    """Every module reachable from ``modules``, each once."""
    out, seen = [], set()
    for m in modules:
        for sub in m.modules():
            if id(sub) not in seen:
                seen.add(id(sub))
                out.append(sub)
    return out


def call_key(args, kwargs, tensors: list, modules, optimizers) -> tuple:
    """The guard key of a call; fills ``tensors`` with the tensor arguments, flattened.

    A tensor contributes its shape, dtype, device and requires_grad; a number, string or None
    its value (it is a constant of the trace); any other object its identity. Grad mode, the
    modules' training flags and the identities of the modules and optimizers reached complete it.
    """
    parts = [grad_enabled()]
    _key(args, parts, tensors)
    if kwargs:
        _key(kwargs, parts, tensors)
    parts.append(tuple(m.training for m in modules))
    parts.append(tuple(id(o) for o in optimizers))
    return tuple(parts)


def _key(obj, parts: list, tensors: list) -> None:
    if isinstance(obj, Tensor):
        a = obj.array
        device = None if type(a) is array_backend.numpy.ndarray else a.device.id
        parts.append((type(a), a.shape, a.dtype, device, obj._requires_grad))
        tensors.append(obj)
    elif isinstance(obj, _SIMPLE):
        parts.append((type(obj), obj))
    elif isinstance(obj, (tuple, list)):
        parts.append((type(obj), len(obj)))
        for x in obj:
            _key(x, parts, tensors)
    elif isinstance(obj, dict):
        parts.append((type(obj), tuple(obj)))
        for x in obj.values():
            _key(x, parts, tensors)
    else:
        parts.append(("id", id(obj)))


# --- snapshots --------------------------------------------------------------------------------
def _copy(a):
    return None if a is None else a.copy()


def same_array(a, b) -> bool:
    """Bit for bit on the CPU; equal values (NaN equal to NaN) on a GPU."""
    if type(a) is not type(b) or a.shape != b.shape or a.dtype != b.dtype:
        return False
    xp = array_backend.get_array_module(a)
    if xp is array_backend.numpy:
        return a.tobytes() == b.tobytes()
    return bool(xp.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))


def _keep(value):
    """``(value, its array, a copy of the array)`` for a Tensor or an array, else
    ``(value, None, None)``: what ``_put_back`` needs to restore it in place."""
    if isinstance(value, Tensor):
        return value, value.array, value.array.copy()
    if type(value) in array_backend.ARRAY_TYPES:
        return value, value, value.copy()
    return value, None, copy.deepcopy(value)


def _put_back(kept):
    value, array, values = kept
    if array is None:
        return values
    array[...] = values
    if isinstance(value, Tensor):
        value.array = array
    return value


def _same_kept(a, b) -> bool:
    if b is None:
        return False
    if a[1] is None or b[1] is None:
        return a[1] is None and b[1] is None and _equal(a[2], b[2])
    return same_array(a[2], b[2])


def _equal(x, y) -> bool:
    try:
        return bool(x == y)
    except Exception:  # noqa: BLE001  (objects without a usable ==)
        return x is y


class Snapshot:
    """The values of the tensors (and their gradients), optimizer states and hyperparameters
    and the CPU random generators that a step may change."""

    def __init__(self, tensors, optimizers):
        seen, self.tensors = set(), []
        for t in tensors:
            if id(t) in seen:
                continue
            seen.add(id(t))
            g = t.grad
            garray = None if g is None else g.array
            self.tensors.append((t, t.array, t.array.copy(), g, garray, _copy(garray)))
        self.optimizers = []
        for opt in optimizers:
            state = {p: {k: _keep(v) for k, v in st.items()} for p, st in opt.state.items()}
            groups = [
                {k: _keep(v) for k, v in g.items() if k != "params"} for g in opt.param_groups
            ]
            self.optimizers.append((opt, opt.state, state, opt.param_groups, groups))
        self.rng = {
            dev: gen.bit_generator.state
            for dev, gen in array_backend._generators.by_device.items()
            if dev.type == "cpu"
        }

    def restore(self) -> None:
        for t, array, values, g, garray, gvalues in self.tensors:
            t.array = array
            array[...] = values
            t.grad = g
            if g is not None:
                g.array = garray
                garray[...] = gvalues
        for opt, state_obj, state, groups_obj, groups in self.optimizers:
            opt.state = state_obj
            state_obj.clear()
            for p, st in state.items():
                state_obj[p] = {k: _put_back(kept) for k, kept in st.items()}
            opt.param_groups = groups_obj
            for group, saved in zip(groups_obj, groups):
                for k, kept in saved.items():
                    group[k] = _put_back(kept)
        gens = array_backend._generators.by_device
        for dev, state in self.rng.items():
            if dev in gens:
                gens[dev].bit_generator.state = state

    def differences(self, other: Snapshot) -> list[str]:
        """What differs between two snapshots of the same objects, in words."""
        out = []
        for (t, _, a, _, _, ga), (_, _, b, _, _, gb) in zip(self.tensors, other.tensors):
            what = f"tensor {tuple(t.shape)} {t.dtype}"
            if not same_array(a, b):
                out.append(f"the values of a {what}")
            if (ga is None) != (gb is None) or (ga is not None and not same_array(ga, gb)):
                out.append(f"the gradient of a {what}")
        for (opt, _, sa, _, ga), (_, _, sb, _, gb) in zip(self.optimizers, other.optimizers):
            name = type(opt).__name__
            if len(sa) != len(sb):
                out.append(f"the number of parameters with {name} state")
            for p, st in sa.items():
                for k, kept in st.items():
                    if not _same_kept(kept, sb.get(p, {}).get(k)):
                        out.append(f"{name} state {k!r}")
            for i, (x, y) in enumerate(zip(ga, gb)):
                for k, kept in x.items():
                    if not _same_kept(kept, y.get(k)):
                        out.append(f"{name} param group {i} {k!r}")
        if self.rng != other.rng:
            out.append("the state of the random generator")
        return out


def output_differences(a, b, where: str = "the result") -> list[str]:
    """Differences between an eager result and a replayed one."""
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        if not (isinstance(a, Tensor) and isinstance(b, Tensor)) or not same_array(
            a.array, b.array
        ):
            return [where]
        return []
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out += output_differences(x, y, f"{where}[{i}]")
        return out
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        out = []
        for k in a:
            out += output_differences(a[k], b[k], f"{where}[{k!r}]")
        return out
    try:
        return [] if a == b else [where]
    except Exception:  # objects without a usable ==
        return [] if a is b else [where]
