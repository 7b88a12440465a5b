"""``autograd_engine.autograd.profiler`` (``torch.autograd.profiler``): the older profiler
interface, recording the same events as :mod:`autograd_engine.profiler` (op applications,
backward nodes, ``record_function`` ranges; see that module for what is and is not
recorded)."""

from __future__ import annotations

import warnings

from ..profiler import _record
from ..profiler._events import EventList, FunctionEvent, FunctionEventAvg, to_event_list
from ..profiler._record import record_function

__all__ = ["profile", "record_function", "EventList", "FunctionEvent", "FunctionEventAvg"]


class profile:
    """Record the ops run inside the block (``torch.autograd.profiler.profile``).

    Args:
        enabled: ``False`` makes the block record nothing; ``with profile(enabled=False) as p``
            then binds ``p`` to None, as in PyTorch.
        use_cuda: include the GPU's work: on a GPU each op synchronizes the device at its
            start and end, so its CPU time includes its kernels; without a GPU PyTorch's
            warning, and CPU times only.
        record_shapes: keep each op's input shapes.
        profile_memory, with_flops: accepted; warn that they are not measured.
        with_stack: keep the user's frames of each event.

    After the block: ``function_events`` (an ``EventList``), ``key_averages()``, ``table()``,
    ``total_average()``, ``self_cpu_time_total``, ``export_chrome_trace(path)``;
    ``print(prof)`` prints the table of raw events.

    Example::

        with autograd.profiler.profile(record_shapes=True) as prof:
            model(x).sum().backward()
        print(prof.key_averages().table(sort_by="self_cpu_time_total"))
    """

    def __init__(
        self,
        enabled: bool = True,
        *,
        use_cuda: bool = False,
        use_device: str | None = None,
        record_shapes: bool = False,
        with_flops: bool = False,
        profile_memory: bool = False,
        with_stack: bool = False,
        with_modules: bool = False,
        use_kineto: bool = False,
        use_cpu: bool = True,
        experimental_config=None,
        acc_events: bool = False,
        custom_trace_id_callback=None,
    ) -> None:
        from .. import cuda

        self.enabled = enabled
        if not enabled:
            return
        if not use_cpu:
            raise ValueError(
                "profile(use_cpu=False): this profiler records CPU time only; keep use_cpu=True"
            )
        if use_cuda:
            warnings.warn(
                "The attribute `use_cuda` will be deprecated soon, please use "
                "``use_device = 'cuda'`` instead.",
                FutureWarning,
                stacklevel=2,
            )
            use_device = "cuda"
        if use_device not in (None, "cuda"):
            raise ValueError(f"profile(use_device={use_device!r}): only 'cuda' is a device here")
        if use_device == "cuda" and not cuda.is_available():
            warnings.warn("CUDA is not available, disabling CUDA profiling", stacklevel=2)
            use_device = None
        self.use_device = use_device
        self._sync = cuda.synchronize if use_device == "cuda" else None
        for flag, what in ((profile_memory, "memory"), (with_flops, "FLOPs")):
            if flag:
                warnings.warn(
                    f"profile: {what} are not measured by this profiler; op times are recorded "
                    "without them.",
                    UserWarning,
                    stacklevel=2,
                )
        self.record_shapes, self.with_stack = record_shapes, with_stack
        self.profile_memory, self.with_flops = profile_memory, with_flops
        self.function_events: EventList | None = None
        self._session = None

    def __enter__(self) -> profile | None:
        if not self.enabled:
            return None
        if self._session is not None:
            raise RuntimeError("Profiler context manager is not reentrant")
        self._session = _record.start(self.record_shapes, self.with_stack, self._sync)
        return self

    def __exit__(self, exc_type, exc_val, exc_tb) -> None:
        if not self.enabled:
            return
        session, self._session = self._session, None
        _record.stop(session)
        self.function_events = to_event_list(session)

    def _events(self) -> EventList:
        if self.function_events is None:
            raise RuntimeError(
                "Profiler didn't finish running: read its results after the with-block."
            )
        return self.function_events

    def key_averages(
        self, group_by_input_shape: bool = False, group_by_stack_n: int = 0, **kwargs
    ) -> EventList:
        """The events averaged per name (see ``autograd_engine.profiler.profile``)."""
        return self._events().key_averages(group_by_input_shape, group_by_stack_n, **kwargs)

    def table(self, sort_by: str | None = None, row_limit: int = 100, **kwargs) -> str:
        """The table of the raw events (``key_averages().table()`` for one row per name)."""
        return self._events().table(sort_by=sort_by, row_limit=row_limit, **kwargs)

    def total_average(self):
        """All events summed into one ``FunctionEventAvg``."""
        return self._events().total_average()

    @property
    def self_cpu_time_total(self) -> float:
        """The sum of the events' self times in µs."""
        return self._events().self_cpu_time_total

    def export_chrome_trace(self, path: str) -> None:
        """Write the events as a Chrome trace JSON."""
        self._events().export_chrome_trace(path)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total") -> None:
        """Write the stacks for a flame graph (needs ``with_stack=True``)."""
        self._events().export_stacks(path, metric)

    def __str__(self) -> str:
        return self.table()

    def __repr__(self) -> str:
        if self.function_events is None:
            return "<unfinished profiler>"
        return repr(self.function_events)
