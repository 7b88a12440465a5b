"""``autograd_engine.utils.benchmark`` (``torch.utils.benchmark``): ``Timer`` and
``Measurement`` for timing a statement, with PyTorch's methods (``timeit``,
``blocked_autorange``, ``adaptive_autorange``); GPU work is synchronized before each clock read.
"""

from __future__ import annotations

import statistics
import textwrap
import timeit as _timeit

__all__ = ["Timer", "Measurement"]


class Measurement:
    """The times of ``number_per_run`` executions of a statement, per run
    (``torch.utils.benchmark.Measurement``): ``mean``, ``median``, ``iqr``, ``times``."""

    def __init__(self, number_per_run: int, raw_times: list, task_spec: dict):
        self.number_per_run = number_per_run
        self.raw_times = list(raw_times)
        self.task_spec = task_spec

    @property
    def times(self) -> list[float]:
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.times)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def iqr(self) -> float:
        ts = sorted(self.times)
        if len(ts) < 2:
            return 0.0
        q = statistics.quantiles(ts, n=4)
        return q[2] - q[0]

    def __repr__(self) -> str:
        label = self.task_spec.get("label") or ""
        stmt = textwrap.indent(self.task_spec["stmt"], "")
        value, unit = _unit(self.median)
        runs = len(self.raw_times)
        return (
            f"<{type(self).__module__}.Measurement object>\n{label + chr(10) if label else ''}"
            f"{stmt}\n  {value:.2f} {unit}\n  {runs} measurement{'s' if runs > 1 else ''}, "
            f"{self.number_per_run} runs , {self.task_spec['num_threads']} thread"
        )


def _unit(seconds: float) -> tuple[float, str]:
    for scale, unit in ((1.0, "s"), (1e-3, "ms"), (1e-6, "us"), (1e-9, "ns")):
        if seconds >= scale:
            return seconds / scale, unit
    return seconds / 1e-9, "ns"


def _synchronized_clock() -> float:
    """``perf_counter`` after the GPU's queued work is done (as PyTorch's Timer reads CUDA)."""
    from ... import cuda

    if cuda.is_available():  # pragma: no cover - needs a GPU
        cuda.synchronize()
    return _timeit.default_timer()


class Timer:
    """Time ``stmt`` after ``setup`` in the namespace ``globals``
    (``torch.utils.benchmark.Timer``).

    Example::

        t = Timer("x @ x", globals={"x": ag.randn(64, 64)})
        t.timeit(100).median      # seconds per execution
    """

    def __init__(self, stmt: str = "pass", setup: str = "pass", global_setup: str = "",
                 timer=None, globals=None, label=None, sub_label=None, description=None,
                 env=None, num_threads: int = 1, language="python"):  # fmt: skip
        if language not in ("python", "py"):
            raise ValueError(f"Timer: only Python statements can be timed here, got {language!r}")
        self.stmt, self.setup = textwrap.dedent(stmt), textwrap.dedent(setup)
        self.globals = dict(globals or {})
        self.task_spec = {"stmt": self.stmt, "setup": self.setup, "label": label,
                          "sub_label": sub_label, "description": description,
                          "num_threads": num_threads}  # fmt: skip
        self.num_threads = num_threads
        self._timer = _timeit.Timer(
            stmt=self.stmt, setup=self.setup, timer=timer or _synchronized_clock,
            globals=self.globals,
        )  # fmt: skip

    def _run(self, number: int) -> float:
        from ... import runtime

        before = runtime.get_num_threads()
        runtime.set_num_threads(self.num_threads)
        try:
            return self._timer.timeit(number)
        finally:
            runtime.set_num_threads(before)

    def timeit(self, number: int = 1000000) -> Measurement:
        """Run the statement ``number`` times once (after one warm-up run)."""
        self._run(1)
        return Measurement(number, [self._run(number)], self.task_spec)

    def repeat(self, repeat: int = -1, number: int = -1):
        raise NotImplementedError("Timer.repeat is not implemented in PyTorch either")

    def blocked_autorange(self, callback=None, min_run_time: float = 0.2) -> Measurement:
        """Blocks of runs sized to take about 0.1 s each, until ``min_run_time`` has passed."""
        number = self._block_size()
        times, total = [], 0.0
        while total < min_run_time or not times:
            t = self._run(number)
            if callback is not None:
                callback(number, t)
            times.append(t)
            total += t
        return Measurement(number, times, self.task_spec)

    def adaptive_autorange(self, threshold: float = 0.1, *, min_run_time: float = 0.01,
                           max_run_time: float = 10.0, callback=None) -> Measurement:  # fmt: skip
        """Blocks until the inter-quartile range is below ``threshold`` of the median (or
        ``max_run_time`` has passed)."""
        number = self._block_size()
        times, total = [], 0.0
        while total < max_run_time:
            t = self._run(number)
            if callback is not None:
                callback(number, t)
            times.append(t)
            total += t
            if total >= min_run_time and len(times) > 3:
                m = Measurement(number, times, self.task_spec)
                if m.iqr / m.median < threshold:
                    break
        return Measurement(number, times, self.task_spec)

    def _block_size(self) -> int:
        number = 1
        while True:
            if self._run(number) >= 0.01 or number >= 10**7:
                return number
            number *= 10
