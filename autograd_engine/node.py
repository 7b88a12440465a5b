"""The node contract: a differentiable operation with ``forward`` on backend arrays and
``backward`` written with Tensor ops, plus what it saves for backward and when it records."""

from __future__ import annotations

from typing import Any

from . import backend
from .grad_mode import state as _grad_state
from .tensor import Tensor

_ARRAY_TYPES = backend.ARRAY_TYPES
_as_array = backend.ensure_array


class Node:
    """A differentiable operation and, once applied, one vertex of the graph.

    Subclasses implement ``forward(*arrays) -> array`` on backend arrays (taking the array
    module from the data, ``xp = get_array_module(a)``) and ``backward(grad) -> grads`` with
    Tensor ops (one gradient per input, ``None`` where an input needs none). Non-tensor
    arguments go to ``__init__``. ``forward`` saves what backward needs with
    ``save_inputs(i, ...)``, ``save_output()`` and ``save_for_backward(*arrays)``; the engine
    frees them after backward unless the graph is retained.
    """

    __slots__ = (
        "next_edges",
        "in_shapes",
        "needs_input_grad",
        "_saved",
        "_saved_versions",
        "_save_out",
        "_out_data",
        "_extra",
        "_hooks",
        "_trace",
        "__dict__",
        "__weakref__",
    )

    def __init__(self) -> None:
        pass

    # --- what forward saves -------------------------------------------------------------
    def save_inputs(self, *indices: int) -> None:
        """Keep the inputs at ``indices`` for backward (read them as ``saved_tensors``)."""
        self._saved = indices

    def save_output(self) -> None:
        """Keep the output for backward; it comes last in ``saved_tensors``."""
        self._save_out = True

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep extra backend arrays or values (masks, indices) for backward."""
        self._extra = arrays

    @property
    def saved_arrays(self) -> tuple:
        extra = getattr(self, "_extra", None)
        if extra is None:
            self._raise_freed()
        return extra

    @property
    def saved_tensors(self) -> tuple[Tensor, ...]:
        """The saved inputs (in the order given to ``save_inputs``), then the output."""
        saved = getattr(self, "_saved", None)
        if saved is None:
            self._raise_freed()
        versions = self._saved_versions
        for t, v in zip(saved, versions):
            if t._version != v:
                self._raise_modified(t, v)
        if getattr(self, "_save_out", False):
            out = Tensor._make(self._out_data)
            out.requires_grad = True
            out.grad_fn = self
            return (*saved, out)
        return saved

    def _raise_freed(self):
        raise RuntimeError(
            f"Trying to backward through the graph a second time (or to read the saved tensors "
            f"of {type(self).__name__}Backward after they were freed). Saved values are freed "
            "after backward; pass retain_graph=True to the first backward() (or autograd_engine."
            "grad()) if you need to backward through the same graph again."
        )

    def _raise_modified(self, t: Tensor, version: int):
        raise RuntimeError(
            f"One of the tensors needed for gradient computation has been modified by an "
            f"in-place operation: a tensor of shape {tuple(t.shape)} and dtype {t.dtype}, saved "
            f"by {type(self).__name__}, is at version {t._version}; expected version {version} "
            "instead. Hint: use .clone() before the in-place operation (or make it out of "
            "place) so the value backward needs is kept."
        )

    def release(self) -> None:
        """Free what forward saved (after a backward that does not retain the graph)."""
        if getattr(self, "_saved", None) is not None:
            self._saved = None
        self._out_data = None
        if getattr(self, "_extra", None) is not None:
            self._extra = None

    # --- the contract -------------------------------------------------------------------
    def forward(self, *arrays):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, grad: Tensor):  # pragma: no cover - abstract
        raise NotImplementedError

    # --- application ----------------------------------------------------------------------
    def __call__(self, *inputs: Tensor) -> Tensor:
        """Run forward on the inputs' arrays; record this node when grad is on and an input
        requires grad, otherwise return a plain tensor and keep nothing."""
        try:
            out = self.forward(*[t.data for t in inputs])
        except ValueError as exc:
            raise self._shape_error(inputs, exc) from None
        except TypeError as exc:
            raise self._device_error(inputs, exc) from None
        if type(out) not in _ARRAY_TYPES:
            out = _as_array(out)
        result = Tensor._make(out)
        if not _grad_state.enabled:
            return result
        for t in inputs:
            if t.requires_grad:
                break
        else:
            return result
        self.next_edges = tuple(
            t.grad_fn if t.grad_fn is not None else (t if t.requires_grad else None) for t in inputs
        )
        self.needs_input_grad = tuple(t.requires_grad for t in inputs)
        self.in_shapes = tuple(t.data.shape for t in inputs)
        saved = getattr(self, "_saved", None)
        if saved is not None:
            saved = self._saved = tuple(inputs[i] for i in saved)
            self._saved_versions = tuple(t._version for t in saved)
        else:
            self._saved = self._saved_versions = ()
        if getattr(self, "_save_out", False):
            self._out_data = out
        if _anomaly.enabled:
            _anomaly.record(self)
        result.requires_grad = True
        result.grad_fn = self
        return result

    def _shape_error(self, inputs, exc) -> Exception:
        shapes = " and ".join(str(tuple(t.shape)) for t in inputs)
        return RuntimeError(
            f"{type(self).__name__}: cannot apply to tensors of shapes {shapes}: {exc}. "
            "Shapes must be equal or broadcastable (NumPy rules); reshape or unsqueeze the "
            "inputs so their sizes agree."
        )

    def _device_error(self, inputs, exc) -> Exception:
        devices = {str(t.device) for t in inputs}
        if len(devices) > 1:
            where = ", ".join(f"input {i} on {t.device}" for i, t in enumerate(inputs))
            return RuntimeError(
                f"{type(self).__name__}: expected all tensors to be on the same device, but "
                f"found {where}. Move them to one device with .to(device) first."
            )
        return exc

    def name(self) -> str:
        return f"{type(self).__name__}Backward"

    def __repr__(self) -> str:
        return f"<{self.name()}>"


class _Anomaly:
    """Anomaly-mode switch: remembers where each node was made (see ``detect_anomaly``)."""

    __slots__ = ("enabled",)

    def __init__(self):
        self.enabled = False

    def record(self, node: Node) -> None:
        import traceback

        node._trace = traceback.format_stack()[:-2]


_anomaly = _Anomaly()
