"""``amp.GradScaler``: dynamic loss scaling for mixed-precision training, PyTorch's
``torch.amp.GradScaler`` (same arguments, defaults, state dict and numbers)."""

from __future__ import annotations

import enum
import warnings
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy

from .. import array_backend
from ..grad_mode import no_grad

__all__ = ["GradScaler", "OptState"]


class OptState(enum.Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _fresh_state() -> dict[str, Any]:
    return {"stage": OptState.READY, "found_inf_per_device": {}}


class GradScaler:
    """Scales the loss so that float16 gradients do not underflow, unscales the gradients
    before the optimizer step, skips steps whose gradients hold inf or NaN, and adapts the
    scale (``torch.amp.GradScaler``).

    Args:
        device: ``"cuda"`` (default) or ``"cpu"``. A ``"cuda"`` scaler on a machine without a
            usable GPU warns and disables itself, as PyTorch's does.
        init_scale: the first scale (default ``2.**16``).
        growth_factor: multiplies the scale after ``growth_interval`` consecutive steps with
            finite gradients (default 2.0; must be > 1).
        backoff_factor: multiplies the scale after a step with inf/NaN gradients (default
            0.5; must be < 1).
        growth_interval: default 2000.
        enabled: ``False`` makes every method a pass-through (``step`` just steps).

    Example::

        scaler = ag.amp.GradScaler("cuda")
        for x, y in loader:
            optimizer.zero_grad()
            with ag.autocast("cuda", dtype=ag.float16):
                loss = loss_fn(model(x), y)
            scaler.scale(loss).backward()
            scaler.step(optimizer)   # unscales, skips the step on inf/NaN
            scaler.update()

    The scale is a float32 number, updated as ``torch._amp_update_scale_`` does; unscaling
    multiplies each gradient by the float32 reciprocal of the scale. float16 gradients
    cannot be unscaled (keep the parameters in float32 and let autocast cast), as in PyTorch.
    """

    def __init__(
        self,
        device: str = "cuda",
        init_scale: float = 2.0**16,
        growth_factor: float = 2.0,
        backoff_factor: float = 0.5,
        growth_interval: int = 2000,
        enabled: bool = True,
    ) -> None:
        self._device = device
        self._enabled = enabled
        if device == "cuda" and enabled and not array_backend.cuda_available():
            warnings.warn(
                "autograd_engine.amp.GradScaler is enabled, but CUDA is not available.  Disabling.",
                stacklevel=2,
            )
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise AssertionError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise AssertionError("The backoff factor must be < 1.0.")
        self._init_scale = float(init_scale)
        self._scale: float | None = None  # a float32 value, set by the first scale()
        self._growth_factor = growth_factor
        self._backoff_factor = backoff_factor
        self._growth_interval = growth_interval
        self._init_growth_tracker = 0
        self._growth_tracker: int | None = None
        self._per_optimizer_states: dict[int, dict[str, Any]] = defaultdict(_fresh_state)

    def scale(self, outputs):
        """``outputs`` (a Tensor, or an iterable of them) times the current scale; unchanged
        when the scaler is disabled. The scale is a 0-d float32 tensor on each output's
        device, so PyTorch's promotion rules apply (a 0-d float16 loss becomes float32)."""
        if not self._enabled:
            return outputs
        from ..creation import tensor
        from ..tensor import Tensor

        if self._scale is None:
            self._scale = _float32(self._init_scale)
            self._growth_tracker = self._init_growth_tracker

        def apply(val):
            if isinstance(val, Tensor):
                return val * tensor(self._scale, dtype=numpy.float32, device=val.device)
            if isinstance(val, Iterable):
                mapped = map(apply, val)
                return type(val)(mapped) if isinstance(val, (list, tuple)) else mapped
            raise ValueError("outputs must be a Tensor or an iterable of Tensors")

        return apply(outputs)

    def _check_scale_growth_tracker(self, funcname: str) -> None:
        fix = (
            "This may indicate your script did not use scaler.scale(loss or outputs) earlier "
            "in the iteration."
        )
        if self._scale is None:
            raise AssertionError(f"Attempted {funcname} but _scale is None.  " + fix)

    def _unscale_grads(self, optimizer, inv_scale: float, allow_fp16: bool) -> dict:
        """Multiply every gradient by ``inv_scale`` in place; per device, a 0-d array that is
        non-zero where some gradient (before unscaling) was not finite."""
        found: dict = {}
        with no_grad():
            for group in optimizer.param_groups:
                for param in group["params"]:
                    grad = param.grad
                    if grad is None:
                        continue
                    if not allow_fp16 and grad.dtype == numpy.float16:
                        raise ValueError("Attempting to unscale FP16 gradients.")
                    a = grad.array
                    xp = array_backend.get_array_module(a)
                    with array_backend.on_device_of(a):
                        bad = xp.logical_not(xp.isfinite(a)).any()
                        a *= numpy.float32(inv_scale)
                        dev = grad.device
                        found[dev] = bad if dev not in found else xp.logical_or(found[dev], bad)
        return found

    def unscale_(self, optimizer) -> None:
        """Divide ``optimizer``'s gradients by the scale, in place (for clipping or inspecting
        them before :meth:`step`); at most once per optimizer between updates."""
        if not self._enabled:
            return
        self._check_scale_growth_tracker("unscale_")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError(
                "unscale_() has already been called on this optimizer since the last update()."
            )
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv_scale = _float32(1.0 / self._scale)
        state["found_inf_per_device"] = self._unscale_grads(optimizer, inv_scale, False)
        state["stage"] = OptState.UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """Unscale ``optimizer``'s gradients (unless :meth:`unscale_` did) and call
        ``optimizer.step(*args, **kwargs)`` unless a gradient holds inf or NaN; returns what
        the step returned (None when skipped)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        self._check_scale_growth_tracker("step")
        state = self._per_optimizer_states[id(optimizer)]
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        if len(state["found_inf_per_device"]) == 0:
            raise AssertionError("No inf checks were recorded for this optimizer.")
        retval = None
        if not any(bool(v) for v in state["found_inf_per_device"].values()):
            retval = optimizer.step(*args, **kwargs)
        state["stage"] = OptState.STEPPED
        return retval

    def update(self, new_scale=None) -> None:
        """Back off the scale if a step was skipped since the last update, grow it after
        ``growth_interval`` good steps in a row; or set it to ``new_scale``."""
        if not self._enabled:
            return
        self._check_scale_growth_tracker("update")
        if new_scale is not None:
            if isinstance(new_scale, float):
                self._scale = _float32(new_scale)
            else:
                reason = (
                    "new_scale should be a float or a 1-element Tensor with requires_grad=False."
                )
                if new_scale.device.type != self._device:
                    raise AssertionError(reason)
                if new_scale.numel() != 1 or new_scale.requires_grad:
                    raise AssertionError(reason)
                self._scale = _float32(new_scale.item())
        else:
            found = [
                bool(v)
                for state in self._per_optimizer_states.values()
                for v in state["found_inf_per_device"].values()
            ]
            if len(found) == 0:
                raise AssertionError("No inf checks were recorded prior to update.")
            self._scale, self._growth_tracker = _updated_scale(
                self._scale,
                self._growth_tracker,
                any(found),
                self._growth_factor,
                self._backoff_factor,
                self._growth_interval,
            )
        self._per_optimizer_states = defaultdict(_fresh_state)

    def get_scale(self) -> float:
        """The current scale (1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return self._init_scale if self._scale is None else self._scale

    def get_growth_factor(self) -> float:
        """The factor the scale grows by after ``growth_interval`` steps without inf/NaN
        (``torch.amp.GradScaler.get_growth_factor``)."""
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        """Set the growth factor (``torch.amp.GradScaler.set_growth_factor``)."""
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        """The factor the scale shrinks by after a step with inf/NaN gradients
        (``torch.amp.GradScaler.get_backoff_factor``)."""
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        """Set the backoff factor (``torch.amp.GradScaler.set_backoff_factor``)."""
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        """How many consecutive steps without inf/NaN grow the scale
        (``torch.amp.GradScaler.get_growth_interval``)."""
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        """Set the growth interval (``torch.amp.GradScaler.set_growth_interval``)."""
        self._growth_interval = new_interval

    def _get_growth_tracker(self) -> int:
        if not self._enabled:
            return 0
        return self._init_growth_tracker if self._growth_tracker is None else self._growth_tracker

    def is_enabled(self) -> bool:
        """Whether the scaler is on (``torch.amp.GradScaler.is_enabled``)."""
        return self._enabled

    def state_dict(self) -> dict[str, Any]:
        """``scale``, ``growth_factor``, ``backoff_factor``, ``growth_interval`` and
        ``_growth_tracker`` (PyTorch's keys); empty when disabled."""
        if not self._enabled:
            return {}
        return {
            "scale": self.get_scale(),
            "growth_factor": self._growth_factor,
            "backoff_factor": self._backoff_factor,
            "growth_interval": self._growth_interval,
            "_growth_tracker": self._get_growth_tracker(),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the scale, factors, interval and growth tracker from ``state_dict()``'s dict; a
        PyTorch scaler's loads too (``torch.amp.GradScaler.load_state_dict``)."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError(
                "The source state dict is empty, possibly because it was saved "
                "from a disabled instance of GradScaler."
            )
        missing = {"scale", "growth_factor", "backoff_factor", "growth_interval"}
        missing = missing.union({"_growth_tracker"}) - set(state_dict)
        if missing:
            raise KeyError(f"GradScaler.load_state_dict: missing keys {sorted(missing)}")
        self._init_scale = float(state_dict["scale"])
        if self._scale is not None:
            self._scale = _float32(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._init_growth_tracker = int(state_dict["_growth_tracker"])
        if self._growth_tracker is not None:
            self._growth_tracker = int(state_dict["_growth_tracker"])

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if self._enabled:
            if len(self._per_optimizer_states) != 0:
                raise AssertionError(
                    "A GradScaler instance may only be pickled at the beginning "
                    "of an iteration, or at the end after scaler.update()."
                )
            state["_init_scale"] = self.get_scale()
            state["_init_growth_tracker"] = self._get_growth_tracker()
            state["_scale"] = None
            state["_growth_tracker"] = None
        state["_per_optimizer_states"] = dict(state["_per_optimizer_states"])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state["_per_optimizer_states"] = defaultdict(_fresh_state, state["_per_optimizer_states"])
        self.__dict__.update(state)


def _float32(x: float) -> float:
    return float(numpy.float32(x))


def _updated_scale(scale, growth_tracker, found_inf, growth_factor, backoff_factor, interval):
    """ATen's ``_amp_update_scale_``: the scale is float32, the factors double."""
    if found_inf:
        return _float32(scale * backoff_factor), 0
    successful = growth_tracker + 1
    if successful == interval:
        new_scale = _float32(scale * growth_factor)
        if numpy.isfinite(new_scale):
            scale = new_scale
        return scale, 0
    return scale, successful
