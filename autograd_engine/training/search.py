"""Hyperparameter search: random search (uniform, log-uniform, integer and choice
dimensions) and grid search, with every trial recorded to JSON and CSV."""

from __future__ import annotations

import csv
import itertools
import json
import math
import os
import time
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "search",
    "SearchResult",
    "SearchInterrupted",
    "uniform",
    "loguniform",
    "randint",
    "choice",
]


class _Dim:
    """One dimension of a search space."""

    def sample(self, rng: np.random.Generator):
        """One value drawn with the NumPy generator ``rng`` (random search)."""
        raise NotImplementedError

    def grid(self) -> list:
        """The values a grid search tries."""
        raise NotImplementedError


class uniform(_Dim):  # noqa: N801  (named like ray.tune.uniform)
    """A float uniform on ``[low, high]``; ``num`` points evenly spaced in a grid search."""

    def __init__(self, low: float, high: float, num: int | None = None):
        if not low < high:
            raise ValueError(f"uniform needs low < high, got {low} and {high}")
        self.low, self.high, self.num = float(low), float(high), num

    def sample(self, rng):
        return float(rng.uniform(self.low, self.high))

    def grid(self):
        if not self.num:
            raise ValueError(f"{self!r} needs num= (how many points) to be used in a grid search")
        return [float(v) for v in np.linspace(self.low, self.high, self.num)]

    def __repr__(self):
        return f"{type(self).__name__}({self.low}, {self.high}, num={self.num})"


class loguniform(uniform):  # noqa: N801
    """A positive float whose logarithm is uniform on ``[log low, log high]`` (for learning
    rates and weight decays); ``num`` points evenly spaced in log scale in a grid search."""

    def __init__(self, low: float, high: float, num: int | None = None):
        if low <= 0:
            raise ValueError(f"loguniform needs 0 < low < high, got {low} and {high}")
        super().__init__(low, high, num)

    def sample(self, rng):
        return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))

    def grid(self):
        if not self.num:
            raise ValueError(f"{self!r} needs num= (how many points) to be used in a grid search")
        return [float(v) for v in np.geomspace(self.low, self.high, self.num)]


class randint(_Dim):  # noqa: N801
    """An integer uniform on ``[low, high)`` (like ``torch.randint``); a grid takes them all."""

    def __init__(self, low: int, high: int):
        if not low < high:
            raise ValueError(f"randint needs low < high, got {low} and {high}")
        self.low, self.high = int(low), int(high)

    def sample(self, rng):
        return int(rng.integers(self.low, self.high))

    def grid(self):
        return list(range(self.low, self.high))

    def __repr__(self):
        return f"randint({self.low}, {self.high})"


class choice(_Dim):  # noqa: N801
    """One of ``values``, each equally likely; a grid takes them all."""

    def __init__(self, values):
        self.values = list(values)
        if not self.values:
            raise ValueError("choice needs at least one value")

    def sample(self, rng):
        return self.values[int(rng.integers(len(self.values)))]

    def grid(self):
        return list(self.values)

    def __repr__(self):
        return f"choice({self.values!r})"


def _as_dim(name: str, spec) -> _Dim:
    if isinstance(spec, _Dim):
        return spec
    if isinstance(spec, (list, tuple)):
        return choice(spec)
    raise TypeError(
        f"search space entry {name!r} should be uniform(...), loguniform(...), randint(...), "
        f"choice(...) or a list of values, got {type(spec).__name__}"
    )


@dataclass
class SearchResult:
    """All ``trials`` (dicts with ``trial``, ``seed``, ``params``, ``status``, ``metrics``,
    ``value``, ``seconds``) and the best one's ``best_params``, ``best_value``,
    ``best_trial``; ``interrupted`` is True when Ctrl-C stopped the search."""

    trials: list[dict] = field(default_factory=list)
    best_trial: dict | None = None
    metric: str = "value"
    mode: str = "min"
    interrupted: bool = False

    @property
    def completed(self) -> list[dict]:
        """The trials that ran to the end."""
        return [t for t in self.trials if t["status"] == "complete"]

    @property
    def best_params(self) -> dict | None:
        """The best trial's parameters (None when no trial completed)."""
        return None if self.best_trial is None else self.best_trial["params"]

    @property
    def best_value(self) -> float | None:
        """The best trial's metric value (None when no trial completed)."""
        return None if self.best_trial is None else self.best_trial["value"]


class SearchInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a ``search``: ``result`` holds the trials so far, the interrupted one
    marked ``status="interrupted"`` (as Optuna marks it and re-raises)."""

    def __init__(self, result: SearchResult):
        super().__init__("search interrupted")
        self.result = result


def search(
    train_fn,
    space: dict,
    strategy: str = "random",
    trials: int | None = 20,
    seed: int = 0,
    *,
    metric: str | None = None,
    mode: str = "min",
    out: str | None = None,
    verbose: bool = False,
) -> SearchResult:
    """Random or grid search over hyperparameters.

    ``train_fn(params, seed)`` trains one model with the hyperparameters in the dict
    ``params`` and the integer ``seed``, and returns the score to optimize: a number, or a
    dict of metrics from which ``metric`` is taken. PyTorch has no search of its own; the
    dimension names follow Ray Tune's (``uniform``, ``loguniform``, ``randint``, ``choice``).

    - ``strategy="random"``: ``trials`` draws, each dimension sampled independently from a
      generator seeded with ``seed`` (so the same call draws the same points).
    - ``strategy="grid"``: every combination (lists and ``choice`` give their values,
      ``randint`` its range, ``uniform``/``loguniform`` their ``num`` points); ``trials``,
      if given, caps the count.

    Each trial's seed is derived from ``seed`` and the trial number. With ``out`` (a folder),
    every trial is written, as it finishes, to ``out/search.json`` and ``out/search.csv``
    with its seed, parameters, metrics and time, and the best is marked; a crash keeps the
    trials done so far. The files are strict JSON: a NaN metric is written as ``null``.

    Ctrl-C (a ``KeyboardInterrupt`` out of ``train_fn``) stops the search: the trial it
    stopped is recorded with ``status="interrupted"`` and no value (it never counts as the
    best), the files are written, and ``SearchInterrupted`` (a ``KeyboardInterrupt``) is
    raised with the ``result`` so far.

    Returns:
        ``SearchResult`` with ``trials``, ``best_trial``, ``best_params``, ``best_value``.

    Example::

        >>> space = {"lr": loguniform(1e-4, 1e-1), "hidden": [64, 128, 256]}
        >>> res = search(lambda p, seed: train_and_validate(**p, seed=seed), space, trials=10)
        >>> res.best_params
    """
    if strategy not in ("random", "grid"):
        raise ValueError(f"strategy {strategy!r} is unknown: use 'random' or 'grid'")
    if mode not in ("min", "max"):
        raise ValueError(f"mode {mode!r} is unknown: use 'min' or 'max'")
    if not space:
        raise ValueError("search needs a non-empty space (a dict of name -> dimension)")
    dims = {name: _as_dim(name, spec) for name, spec in space.items()}
    if strategy == "random":
        if trials is None or trials < 1:
            raise ValueError(f"random search needs trials >= 1, got {trials}")
        rng = np.random.default_rng(seed)
        points = [{n: d.sample(rng) for n, d in dims.items()} for _ in range(trials)]
    else:
        names = list(dims)
        combos = itertools.product(*(dims[n].grid() for n in names))
        points = [dict(zip(names, c)) for c in combos]
        if trials is not None:
            points = points[:trials]
    seeds = np.random.SeedSequence(seed).generate_state(len(points), dtype=np.uint32)
    result = SearchResult(metric=metric or "value", mode=mode)
    for i, params in enumerate(points):
        trial_seed = int(seeds[i]) % (2**31)
        start = time.perf_counter()
        try:
            out_value = train_fn(dict(params), trial_seed)
        except KeyboardInterrupt as exc:
            result.trials.append({
                "trial": i, "seed": trial_seed, "params": dict(params), "status": "interrupted",
                "metrics": {}, "value": None, "note": str(exc) or None,
                "seconds": round(time.perf_counter() - start, 3),
            })  # fmt: skip
            result.interrupted = True
            if verbose:
                print(f"trial {i}: {params} -> interrupted")
            if out is not None:
                _write(out, result, strategy, seed)
            raise SearchInterrupted(result) from None
        seconds = time.perf_counter() - start
        metrics = dict(out_value) if isinstance(out_value, dict) else {result.metric: out_value}
        if result.metric not in metrics:
            raise KeyError(
                f"train_fn returned metrics {sorted(metrics)} without {result.metric!r}; "
                "pass metric= naming the one to optimize"
            )
        value = float(metrics[result.metric])
        record = {
            "trial": i,
            "seed": trial_seed,
            "params": dict(params),
            "status": "complete",
            "metrics": {k: _plain(v) for k, v in metrics.items()},
            "value": value,
            "seconds": round(seconds, 3),
        }
        result.trials.append(record)
        if _better(value, result.best_trial, mode):
            result.best_trial = record
        if verbose:
            print(f"trial {i}: {params} -> {result.metric} {value:.4g} ({seconds:.1f}s)")
        if out is not None:
            _write(out, result, strategy, seed)
    return result


def _better(value: float, best: dict | None, mode: str) -> bool:
    if math.isnan(value):
        return False
    if best is None or math.isnan(best["value"]):
        return True
    return value < best["value"] if mode == "min" else value > best["value"]


def _plain(v):
    if isinstance(v, (np.generic,)):
        return v.item()
    if hasattr(v, "item") and not isinstance(v, (int, float)):
        return v.item()
    return v


def _write(out: str, result: SearchResult, strategy: str, seed: int) -> None:
    os.makedirs(out, exist_ok=True)
    doc = {
        "strategy": strategy,
        "seed": seed,
        "metric": result.metric,
        "mode": result.mode,
        "best_trial": None if result.best_trial is None else result.best_trial["trial"],
        "best_params": result.best_params,
        "best_value": result.best_value,
        "interrupted": result.interrupted,
        "trials": result.trials,
    }
    text = json.dumps(strict(doc), indent=2, default=str, allow_nan=False)
    _replace(os.path.join(out, "search.json"), text + "\n")
    params = sorted({k for t in result.trials for k in t["params"]})
    metrics = sorted({k for t in result.trials for k in t["metrics"]})
    rows = [["trial", "seed", *params, *metrics, "seconds", "best", "status"]]
    best = result.best_trial["trial"] if result.best_trial else None
    for t in result.trials:
        rows.append(
            [t["trial"], t["seed"]]
            + [t["params"].get(k, "") for k in params]
            + [t["metrics"].get(k, "") for k in metrics]
            + [t["seconds"], int(t["trial"] == best), t["status"]]
        )
    tmp = os.path.join(out, ".search.csv.tmp")
    with open(tmp, "w", newline="") as f:
        csv.writer(f).writerows(rows)
    os.replace(tmp, os.path.join(out, "search.csv"))


def strict(obj):
    """``obj`` with every non-finite float replaced by None, so ``json.dumps`` writes strict
    JSON (``NaN`` and ``Infinity`` are not JSON; most parsers other than Python's refuse them).
    """
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: strict(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict(v) for v in obj]
    if isinstance(obj, np.generic):
        return strict(obj.item())
    return obj


def _replace(path: str, text: str) -> None:
    from autograd_engine._atomic_write import write_atomically

    def write(tmp):
        with open(tmp, "w") as f:
            f.write(text)

    write_atomically(path, write)
