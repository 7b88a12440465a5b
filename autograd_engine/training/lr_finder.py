"""``lr_find``: the learning-rate range test (raise the rate exponentially over a few
hundred steps, record the loss, suggest the rate where it falls fastest)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["lr_find", "LRFindResult"]


@dataclass
class LRFindResult:
    """What ``lr_find`` measured: ``lrs[i]`` and the smoothed ``losses[i]`` after step ``i``,
    the ``raw_losses`` and the ``suggested_lr`` (``None`` when too few steps ran)."""

    lrs: list[float]
    losses: list[float]
    raw_losses: list[float] = field(default_factory=list)
    suggested_lr: float | None = None

    def plot(self, path: str, title: str = "Learning-rate range test", keep: bool = False):
        """Save loss against learning rate (log scale) as a PNG at ``path``; returns it (and
        the open figure with ``keep=True``).

        The y axis is capped a little above the starting loss, so the spike where the loss
        diverges does not flatten the useful part (where it falls); a note gives the largest
        loss the cap hides.
        """
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        ax.plot(self.lrs, self.losses, label="smoothed loss")
        if self.suggested_lr is not None:
            i = min(
                range(len(self.lrs)), key=lambda k: abs(math.log(self.lrs[k] / self.suggested_lr))
            )
            ax.plot([self.suggested_lr], [self.losses[i]], "o", color="red",
                    label=f"suggested lr {self.suggested_lr:.2e}")  # fmt: skip
        finite = [v for v in self.losses if math.isfinite(v)]
        if finite:
            low, high = y_range(finite)
            ax.set_ylim(low, high)
            if max(finite) > high or len(finite) < len(self.losses):
                ax.annotate("loss diverges beyond the top of the plot", xy=(0.02, 0.96),
                            xycoords="axes fraction", ha="left", va="top", fontsize="small",
                            color="gray")  # fmt: skip
        ax.set_xscale("log")
        ax.set_xlabel("learning rate (log scale)")
        ax.set_ylabel("training loss (smoothed)")
        ax.set_title(title)
        ax.legend(loc="lower left")
        ax.grid(True, which="major", alpha=0.3)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
        if keep:
            return path, fig
        plt.close(fig)
        return path


def y_range(losses: list[float]) -> tuple[float, float]:
    """The y range of the range test's plot: from a little below the lowest loss to a little
    above the starting loss (or a tenth above it, when the loss barely moved)."""
    start, low = losses[0], min(losses)
    top = start + max(0.5 * (start - low), 0.1 * abs(start), 1e-12)
    top = min(top, max(losses)) if max(losses) > start else top
    return low - 0.05 * (top - low), top


def _set_lr(optimizer, lr: float) -> None:
    for group in optimizer.param_groups:
        group["lr"] = lr


def lr_find(
    model,
    loader,
    loss_fn,
    optimizer_cls,
    start_lr: float = 1e-7,
    end_lr: float = 10,
    steps: int = 100,
    *,
    optimizer_kwargs: dict | None = None,
    smooth: float = 0.95,
    diverge_threshold: float = 4.0,
    device=None,
    plot: str | None = None,
) -> LRFindResult:
    """Run the learning-rate range test (L. Smith, 2015; fastai's ``lr_find``).

    Trains ``model`` for up to ``steps`` batches from ``loader`` (cycling through it) with
    ``optimizer_cls(model.parameters(), lr=..., **optimizer_kwargs)``, the rate growing
    exponentially from ``start_lr`` to ``end_lr``. The loss is smoothed with a bias-corrected
    exponential moving average (``smooth``; 0.95 as in torch-lr-finder); the test stops early
    once it exceeds ``diverge_threshold`` times the best loss, or is not finite. The model's
    weights (its ``state_dict``) are restored afterwards, so the test leaves it untouched.

    The suggested rate is where the smoothed loss falls fastest against log lr, measured
    over windows of a tenth of the steps before the minimum (a common pick; one tenth of the
    rate at the minimum is another).

    Args:
        model: an ``nn.Module``.
        loader: yields ``(inputs, targets)`` batches.
        loss_fn: ``loss_fn(model(inputs), targets)`` gives a scalar Tensor.
        optimizer_cls: e.g. ``optim.SGD``.
        plot: a PNG path to save the loss curve to (matplotlib, Agg backend).
        device: moves each batch there first.

    Returns:
        ``LRFindResult(lrs, losses, raw_losses, suggested_lr)``.

    Example::

        >>> res = lr_find(model, loader, nn.CrossEntropyLoss(), optim.SGD, plot="lr.png")
        >>> res.suggested_lr
    """
    if not 0 < start_lr < end_lr:
        raise ValueError(f"lr_find needs 0 < start_lr < end_lr, got {start_lr} and {end_lr}")
    if steps < 2:
        raise ValueError(f"lr_find needs at least 2 steps, got {steps}")
    if not 0 <= smooth < 1:
        raise ValueError(f"smooth should lie in [0, 1), got {smooth}")
    saved = {k: v.detach().clone() for k, v in model.state_dict().items()}
    was_training = getattr(model, "training", True)
    optimizer = optimizer_cls(model.parameters(), lr=start_lr, **(optimizer_kwargs or {}))
    ratio = (end_lr / start_lr) ** (1.0 / (steps - 1))
    lrs: list[float] = []
    losses: list[float] = []
    raw: list[float] = []
    avg, best = 0.0, math.inf
    model.train()
    try:
        batches = _cycle(loader)
        for i in range(steps):
            lr = start_lr * ratio**i
            _set_lr(optimizer, lr)
            inputs, targets = next(batches)
            if device is not None:
                inputs, targets = inputs.to(device), targets.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            loss.backward()
            optimizer.step()
            value = float(loss.item())
            raw.append(value)
            avg = smooth * avg + (1 - smooth) * value
            smoothed = avg / (1 - smooth ** (i + 1))
            lrs.append(lr)
            losses.append(smoothed)
            if not math.isfinite(smoothed) or smoothed > diverge_threshold * best:
                break
            best = min(best, smoothed)
    finally:
        model.load_state_dict(saved)
        model.train(was_training)
    result = LRFindResult(lrs, losses, raw, _suggest(lrs, losses))
    if plot is not None:
        result.plot(plot)
    return result


def _cycle(loader):
    while True:
        empty = True
        for batch in loader:
            empty = False
            yield batch
        if empty:
            raise ValueError("lr_find: the loader yielded no batch")


def _suggest(lrs: list[float], losses: list[float]) -> float | None:
    """The rate where the smoothed loss falls fastest before its minimum.

    The slope is measured over a window of about a tenth of the steps (so one noisy batch
    cannot win), and the rate in the middle of the steepest window is returned.
    """
    finite = [i for i, v in enumerate(losses) if math.isfinite(v)]
    if len(finite) < 4:
        return None
    best = min(finite, key=lambda i: losses[i])
    if best < 2:
        return None
    width = max(1, min(len(lrs) // 10, best // 2))
    slopes = []
    for i in range(0, best - width + 1):
        j = i + width
        slope = (losses[j] - losses[i]) / (math.log(lrs[j]) - math.log(lrs[i]))
        slopes.append((slope, i + width // 2))
    _, mid = min(slopes)
    return lrs[mid]
