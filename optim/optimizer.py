"""The ``Optimizer`` base class: parameter groups, per-parameter state, ``zero_grad``,
PyTorch-layout state dicts, and the step shared by every optimizer: gather each group's
parameters, gradients and state, then run the optimizer's rule from ``optim._functional``."""

from __future__ import annotations

import copy
import numbers
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

import autograd_engine as ag
from autograd_engine import Tensor, array_backend, enable_grad
from autograd_engine import node as _node
from autograd_engine.array_backend import device_of, numpy, to_device

from . import _functional
from ._checks import check_group

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Singleton marking a hyperparameter that every param group must give (PyTorch's)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of all optimizers; mirrors ``torch.optim.Optimizer``.

    An optimizer holds ``param_groups``, a list of dicts each with a ``"params"`` list and
    the hyperparameters for those parameters (a group's own values override ``defaults``),
    and ``state``, a dict keyed by parameter Tensor holding what the update rule keeps
    between steps, as PyTorch keeps it: Tensors (``"exp_avg"``, ``"momentum_buffer"``, ...
    on the parameter's device, in its dtype) and ``"step"``, a 0-d float32 Tensor on the
    CPU.

    Args:
        params: an iterable of Tensors, of ``(name, Tensor)`` pairs (``named_parameters()``),
            or of dicts defining parameter groups.
        defaults: the default hyperparameters, used for every group that does not set its own.

    A subclass names its update rule (a function in ``optim._functional``), the state it
    keeps and how that state starts; this class gathers, for each group, the parameters that
    have a grad, their gradients and state buffers (creating state on a parameter's first
    step and counting steps), and hands the lists to the rule. ``_validate_group`` checks
    hyperparameters in every group (constructor, ``add_param_group``, ``load_state_dict``).

    Example::

        >>> opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> opt.zero_grad()
        >>> loss_fn(model(x), y).backward()
        >>> opt.step()

    The implementation flags PyTorch's optimizers take are accepted with PyTorch's
    defaults and stored in every group: ``foreach`` changes nothing (there is one loop over
    the parameters); ``fused=False`` keeps CuPy parameters off the fused GPU kernels
    (``None`` and ``True`` use them where one exists, SGD and Adam/AdamW; elsewhere, and on
    the CPU, the plain code runs, as PyTorch accepts ``fused=True`` on the CPU);
    ``capturable=True`` is refused for CPU parameters as in PyTorch and changes nothing on
    a GPU (nothing is captured here); ``differentiable=True`` raises (updates run outside
    autograd). Hyperparameters may be 1-element Tensors (``lr=tensor(0.01)``); a rule reads
    them as Python floats at each step. See docs/optim.md.

    Differences from PyTorch: step hooks are not provided; ``state_dict()`` returns copies
    (a snapshot that later steps do not change) and ``load_state_dict()`` checks the whole
    state dict before changing anything; scalar state (``step``, NAdam's ``mu_product``,
    ASGD's ``eta`` and ``mu``) keeps its dtype on load, so a resumed run continues
    bit-identically (PyTorch casts all but ``step`` to the parameter's dtype).
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._validate_group(defaults)
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got a Tensor (wrap it in a list: [tensor])"
            )
        self.state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []

        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for param_group in param_groups:
            self.add_param_group(param_group)

    def __repr__(self) -> str:
        lines = [self.__class__.__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"

    # The hyperparameters ``_validate_group`` checks, in PyTorch's order: ``betas`` must lie
    # in [0, 1), the others must be >= 0.
    _checked: tuple[str, ...] = ()

    def _validate_group(self, group: dict[str, Any]) -> None:
        """Raise ValueError naming any bad hyperparameter in ``group``; subclasses extend."""
        check_group(group, self._checked)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a parameter group to ``param_groups``; mirrors ``Optimizer.add_param_group``.

        Useful when fine-tuning: unfreeze layers and hand them to the optimizer, with their
        own hyperparameters if wanted. Keys the group omits take the optimizer's defaults.

        Args:
            param_group (dict): ``{"params": [...], "lr": ..., ...}``.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("param_group must have a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs. Please use a list instead."
            )
        else:
            params = list(params)

        tensors, names = [], []
        for param in params:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError(
                    "all optimizer params should be with/without names. "
                    "Some param names are missing"
                )
            param_group["param_names"] = names

        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but one of the params is "
                    + type(param).__name__
                )
            if not (param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")

        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(
                    "parameter group didn't specify a value of required optimization "
                    f"parameter {name}"
                )
            param_group.setdefault(name, default)
        self._validate_group(param_group)

        ids = [id(p) for p in tensors]
        if len(ids) != len(set(ids)):
            warnings.warn(
                "optimizer contains a parameter group with duplicate parameters; "
                "in future, this will cause an error; "
                "see github.com/pytorch/pytorch/issues/40967 for more information",
                stacklevel=3,
            )
        existing = set()
        for group in self.param_groups:
            existing.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(
                    "all optimizer param groups should be with/without names. "
                    f"cannot add param group {which} to the optimizer"
                )
        if not existing.isdisjoint(ids):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized Tensors; mirrors ``Optimizer.zero_grad``.

        Args:
            set_to_none (bool): set each ``.grad`` to ``None`` (default) instead of filling
                it with zeros. Optimizers skip a parameter whose grad is ``None`` but do take
                a step (weight decay, momentum) for one whose grad is zero.
        """
        rec = _node._recorder
        if rec is not None and rec.claims():  # traced by autograd_engine.compile: replayed
            return rec.opaque_call(self.zero_grad, set_to_none)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.array[...] = 0

    # How a subclass plugs in (PyTorch's ``_init_group`` and functional rule, split in two):
    # ``_rule`` names its update rule in ``optim._functional``; ``_buffers`` are the state
    # keys the rule takes as lists of arrays, in its argument order ("step" is given as
    # this step's counts, the step Tensors advanced here); ``_init_state`` makes a
    # parameter's state on its first step. The rule may create the buffers named in
    # ``_created_by_rule`` (a ``None`` entry replaced by a new array), stored back here.
    # ``_scalar_state`` names the 0-d state that keeps its own dtype (not the parameter's).
    _rule: str = ""
    _buffers: tuple[str, ...] = ()
    _created_by_rule: tuple[str, ...] = ()
    _scalar_state: tuple[str, ...] = ("step",)

    def _init_state(self, p: Tensor, group: dict[str, Any]) -> dict[str, Any]:
        """The state of ``p`` before its first step (empty by default)."""
        return {}

    @staticmethod
    def _step_tensor(value: float = 0.0, device=None) -> Tensor:
        """A fresh ``"step"`` counter: a 0-d Tensor in PyTorch's scalar dtype (float32, or
        float64 when that is the default dtype), on the CPU unless ``device`` is given."""
        return ag.tensor(value, dtype=_scalar_dtype(), device=device)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one optimization step (update every parameter that has a grad).

        Args:
            closure (callable, optional): re-evaluates the model and returns the loss;
                called with grad enabled, and its result is returned.
        """
        rec = _node._recorder
        if rec is not None and rec.claims():  # traced by autograd_engine.compile: replayed
            return rec.opaque_call(self.step, closure)
        if not self._rule:
            raise NotImplementedError(
                f"{type(self).__name__} has no update rule: a subclass of Optimizer sets "
                "_rule (a function of optim._functional) or overrides step()"
            )
        loss = self._evaluate(closure)
        for group in self.param_groups:
            params, grads, states = self._gather(group)
            if params:
                self._update(group, params, grads, states)
        return loss

    @staticmethod
    def _evaluate(closure: Callable[[], Any] | None) -> Any:
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _gather(self, group: dict[str, Any]):
        """The parameters of ``group`` that have a grad, their grad arrays and their state
        dicts, each state made by ``_init_state`` on the parameter's first step."""
        params, grads, states = [], [], []
        if group.get("capturable"):
            _check_capturable(group["params"])
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state.get(p)
            if not state:  # made on the parameter's device (CuPy allocates on the current one)
                state = array_backend.run_on(p.device, self._init_state, p, group)
                if state:
                    self.state[p] = state
            params.append(p)
            grads.append(p.grad.array)
            states.append(state)
        return params, grads, states

    def _update(self, group: dict[str, Any], params: list, grads: list, states: list) -> None:
        """Run the update rule on the gathered lists and store back what it created.

        The parameters' version counters are bumped, as PyTorch's in-place update bumps
        them: a backward through a graph that saved the old values then raises instead of
        silently using the new ones.
        """
        buffers = []
        for key in self._buffers:
            if key == "step":
                buffers.append(_count_steps(states))
            else:
                buffers.append([None if (t := s.get(key)) is None else t.array for s in states])
        arrays = [p.array for p in params]
        if any(a.ndim == 0 for a in arrays):
            shaped = [key not in self._scalar_state for key in self._buffers]
            _one_element_views(arrays, grads, [b for b, s in zip(buffers, shaped) if s])
        _functional.update(self._rule, group, arrays, grads, *buffers)
        for key in self._created_by_rule:
            for p, array in zip(params, buffers[self._buffers.index(key)]):
                if array is not None and key not in self.state[p]:
                    self.state[p][key] = ag.as_tensor(array.reshape(p.shape))
        for p in params:
            p._version += 1

    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state as a dict with PyTorch's layout.

        ``"state"`` maps a parameter's index (its position counting through all groups in
        order) to its state dict; ``"param_groups"`` is a list of the groups'
        hyperparameters with ``"params"`` replaced by the list of indices. Arrays are
        copies, so the dict is a snapshot that later steps do not change.

        Example::

            >>> sd = opt.state_dict()
            >>> sd["param_groups"][0]["params"]
            [0, 1, 2, 3]
        """
        index_of: dict[int, int] = {}
        start = 0
        param_groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            for i, p in enumerate(group["params"], start):
                index_of.setdefault(id(p), i)
            packed["params"] = [index_of[id(p)] for p in group["params"]]
            start += len(packed["params"])
            param_groups.append(packed)
        state = {
            index_of[id(p)]: {k: _copy_value(v) for k, v in s.items()}
            for p, s in self.state.items()
            if id(p) in index_of
        }
        return {"state": state, "param_groups": param_groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a state dict made by :meth:`state_dict`; mirrors ``Optimizer.load_state_dict``.

        The saved groups are matched with this optimizer's groups by position, and the
        saved parameter indices with its parameters in order. Arrays are copied onto each
        parameter's device as Tensors, floating-point ones in its dtype (scalar state such
        as ``"step"`` keeps its dtype; a Python number there, as older checkpoints hold,
        becomes a 0-d Tensor). PyTorch's own state dicts (``torch.Tensor`` values) load
        too. Everything is checked first
        (group count and sizes, unknown parameter indices, state shapes, hyperparameter
        values), so a bad state dict raises ValueError and leaves the optimizer unchanged.

        When resuming with a learning-rate scheduler, create the scheduler first, then load
        the optimizer's state (loading it after would be overwritten by the scheduler).
        """
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError(
                "loaded state dict has a different number of parameter groups: it has "
                f"{len(saved_groups)}, the optimizer has {len(groups)}"
            )
        for i, (group, saved) in enumerate(zip(groups, saved_groups)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size "
                    f"of optimizer's group: group {i} has {len(saved['params'])} parameters in "
                    f"the state dict and {len(group['params'])} in the optimizer"
                )
        id_map = {}
        for group, saved in zip(groups, saved_groups):
            id_map.update(zip(saved["params"], group["params"]))

        state: defaultdict[Tensor, dict[str, Any]] = defaultdict(dict)
        for index, saved_state in state_dict["state"].items():
            if index not in id_map:
                raise ValueError(
                    f"loaded state dict has state for parameter index {index!r}, which no "
                    f"parameter group lists (its groups list indices {sorted(id_map)})"
                )
            param = id_map[index]
            for key, value in saved_state.items():
                shape = getattr(value, "shape", None)
                shaped = key in self._buffers and key not in self._scalar_state
                if shaped and shape is not None and tuple(shape) != tuple(param.shape):
                    raise ValueError(
                        f"loaded state dict has state {key!r} of shape {tuple(shape)} for "
                        f"parameter index {index}, but that parameter has shape "
                        f"{tuple(param.shape)}: was the state dict saved for another model?"
                    )
            state[param] = {k: self._cast_value(v, param, k) for k, v in saved_state.items()}

        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                saved.setdefault(name, group.get(name, default))
            self._validate_group(saved)
            new_groups.append(saved)
        self.state = state
        self.param_groups = new_groups

    def _cast_value(self, value, param: Tensor, key):
        """A loaded state value as this optimizer keeps it: a Tensor copy on ``param``'s
        device (in its dtype if floating point), scalar state in its own dtype, containers
        recursively, other values (Python numbers, None) as they are."""
        if key in self._scalar_state:
            if isinstance(value, numbers.Number):
                device = None if key == "step" else param.device
                return self._step_tensor(value, device)
            array = _as_array(value)
            if array is not None:
                if key != "step":
                    array = to_device(array, device_of(param.array))
                return ag.as_tensor(array.copy())
        array = _as_array(value)
        if array is not None:
            array = to_device(array, device_of(param.array))
            if array.dtype.kind == "f":
                return ag.as_tensor(array.astype(param.array.dtype, copy=True))
            return ag.as_tensor(array.copy())
        if isinstance(value, dict):
            return {k: self._cast_value(v, param, k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self._cast_value(v, param, None) for v in value)
        return value


def _scalar_dtype():
    """PyTorch's ``_get_scalar_dtype``: float64 when that is the default dtype, else float32
    (as a NumPy dtype, for the array code that uses it)."""
    if ag.get_default_dtype() == ag.float64:
        return ag.float64.dtype
    return ag.float32.dtype


def _count_steps(states: list[dict[str, Any]]) -> list[float]:
    """Advance each state's 0-d ``"step"`` array by one in place; return the new counts."""
    counts = []
    for state in states:
        step = state["step"].array
        count = step.tolist() + 1.0  # NOTE: tolist() is the quickest read of a 0-d array
        step[()] = count
        if count > 16777216.0:  # past 2**24 a float32 counter rounds (PyTorch's does too)
            count = step.tolist()
        counts.append(count)
    return counts


def _check_capturable(params) -> None:
    for p in params:
        if p.device.type != "cuda":
            raise RuntimeError(
                "If capturable=True, params and state_steps must be on supported devices: "
                f"['cuda'] (a parameter of shape {tuple(p.shape)} is on {p.device}). "
                "Leave capturable=False for CPU parameters; nothing is captured here."
            )


def _as_array(value):
    """The backend array of a state value that is a Tensor, a NumPy/CuPy array or scalar, or
    another library's array (a ``torch.Tensor`` from a PyTorch state dict); None otherwise."""
    if isinstance(value, Tensor):
        return value.array
    module = type(value).__module__.split(".")[0]
    if module in ("numpy", "cupy"):
        return ag.array_backend.get_array_module(value).asarray(value)
    if hasattr(value, "__array__") and hasattr(value, "shape"):
        return numpy.asarray(value)
    return None


def _copy_value(value):
    """Deep-copy a state value: Tensors and arrays are copied (as Tensors) on their device,
    containers recursively."""
    if isinstance(value, Tensor) or type(value).__module__.split(".")[0] in ("numpy", "cupy"):
        return ag.as_tensor(_as_array(value).copy())
    if isinstance(value, dict):
        return {k: _copy_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_value(v) for v in value)
    return value


def _one_element_views(arrays: list, grads: list, buffers: list) -> None:
    """Replace, for each 0-d parameter, its array, gradient and parameter-shaped state
    arrays by 1-element views of the same memory (1-element copies for gradients that are
    NumPy scalars).

    NOTE: NumPy turns the result of an operation on 0-d arrays into a scalar, which an update
    rule's in-place steps (``out=``, ``+=`` on a name) would then write into a temporary; a
    view of shape (1,) keeps every step writing into the parameter and its state.
    """
    for i, array in enumerate(arrays):
        if array.ndim == 0:
            arrays[i] = array.reshape(1)
            grads[i] = grads[i].reshape(1)
            for column in buffers:
                if column[i] is not None:
                    column[i] = column[i].reshape(1)
