"""PNG plots for the training command: loss/accuracy curves and per-layer weight and
gradient magnitudes (matplotlib, Agg backend). Each function returns the figure's path and,
with ``keep=True``, leaves the figure open for a caller (a test) to inspect."""

from __future__ import annotations

import math

# Colours and dash patterns that keep lines apart where they overlap (layers of one shape
# often have the same weight RMS).
_STYLES = ["-", "--", ":", "-."]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str, keep: bool):
    fig.savefig(path, dpi=100)
    if not keep:
        _pyplot().close(fig)
    return fig


def zoom_range(values: list[float], margin: float = 0.5) -> tuple[float, float]:
    """A y range in percent for accuracies near the top: from a little below the smallest of
    ``values`` to a little above the largest (capped at 100)."""
    lo, hi = min(values), max(values)
    span = max(hi - lo, 1.0)
    return max(0.0, math.floor(lo - margin * span / 2)), min(100.0, hi + margin * span / 4) + 0.05


def plot_curves(
    history: list[dict],
    path: str,
    title: str,
    test: dict | None = None,
    unit: str = "epoch",
    keep: bool = False,
    x_key: str = "epoch",
):
    """Three panels per ``unit`` (epoch, or step for ``--overfit-batch``): train/validation
    loss (log scale), accuracy in full, and accuracy zoomed on the later epochs, where runs
    differ by tenths of a percent and a 0-100% axis would squash them together. ``x_key``:
    the record field on the x axis ("step" for a text run, whose records are rounds of
    steps)."""
    plt = _pyplot()
    x = [r[x_key] for r in history]
    fig, (ax_loss, ax_acc, ax_zoom) = plt.subplots(1, 3, figsize=(15, 4.2))
    series = [("train", "train_loss", "train_acc")]
    if history and history[0].get("val_loss") is not None:
        series.append(("validation", "val_loss", "val_acc"))
    late = history[len(history) // 2 :] or history
    zoom_values = []
    for label, loss_key, acc_key in series:
        ax_loss.plot(x, [r[loss_key] for r in history], label=label)
        acc = [100 * r[acc_key] for r in history]
        ax_acc.plot(x, acc, label=label)
        ax_zoom.plot(x, acc, label=label, marker="." if len(x) <= 50 else None)
        zoom_values += [100 * r[acc_key] for r in late if r[acc_key] is not None]
    if test is not None and x:
        for ax in (ax_acc, ax_zoom):
            ax.axhline(100 * test["accuracy"], color="gray", linestyle="--",
                       label=f"test {100 * test['accuracy']:.2f}%")  # fmt: skip
        zoom_values.append(100 * test["accuracy"])
    if zoom_values:
        ax_zoom.set_ylim(*zoom_range(zoom_values))
        if len(late) < len(history):
            half = 0.5 * (x[1] - x[0]) if len(x) > 1 else 0.5
            ax_zoom.set_xlim(late[0][x_key] - half, x[-1] + half)
    ax_loss.set_yscale("log")
    ax_loss.set_ylabel("cross-entropy loss (log scale)")
    ax_acc.set_ylabel("accuracy (%)")
    ax_zoom.set_ylabel("accuracy (%), zoomed")
    ax_loss.set_title("loss")
    ax_acc.set_title("accuracy")
    ax_zoom.set_title(f"accuracy, second half of the {unit}s" if len(late) < len(history)
                      else "accuracy, zoomed")  # fmt: skip
    for ax in (ax_loss, ax_acc, ax_zoom):
        ax.set_xlabel(unit)
        ax.grid(True, alpha=0.3)
    ax_loss.legend()
    ax_acc.legend(loc="lower right")
    fig.suptitle(title)
    fig.tight_layout()
    _save(fig, path, keep)
    return (path, fig) if keep else path


def plot_grads(stats: dict, path: str, title: str, keep: bool = False):
    """Per-layer RMS of the weights (linear scale) and of their gradients (log scale) against
    the training step, with one legend for both panels below them.

    On the log scale, a gradient line that sinks orders of magnitude below the others (or
    keeps falling) marks a vanishing or dead layer; one that climbs, an exploding one.
    """
    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

    plt = _pyplot()
    fig, (ax_w, ax_g) = plt.subplots(1, 2, figsize=(12, 4.8))
    steps = stats["step"]
    names = list(stats["weight"])
    for i, name in enumerate(names):
        style = {"linestyle": _STYLES[i % len(_STYLES)], "color": f"C{i % 10}", "lw": 1.6}
        ax_w.plot(steps, stats["weight"][name], label=name, **style)
        ax_g.plot(steps, [max(v, 1e-12) for v in stats["grad"][name]], **style)
    ax_w.set_title("weights")
    ax_w.set_ylabel("RMS of the weights")
    ax_w.yaxis.set_major_formatter(ScalarFormatter(useOffset=False))
    ax_g.set_title("gradients")
    ax_g.set_ylabel("RMS of the gradients (log scale)")
    ax_g.set_yscale("log")
    # NOTE: 1-2-5 major ticks, so a range of less than a decade still gets labelled ticks.
    ax_g.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax_g.yaxis.set_major_formatter(_LogLabels())
    ax_g.yaxis.set_minor_formatter(NullFormatter())
    for ax in (ax_w, ax_g):
        ax.set_xlabel("training step")
        ax.grid(True, which="major", alpha=0.3)
    fig.suptitle(title)
    ncol = min(len(names), 5) or 1
    fig.legend(loc="lower center", ncol=ncol, fontsize="small", frameon=False,
               title="layer (shape)", title_fontsize="small")  # fmt: skip
    rows = math.ceil(len(names) / ncol) if names else 1
    fig.tight_layout(rect=(0, 0.06 + 0.045 * rows, 1, 1))
    _save(fig, path, keep)
    return (path, fig) if keep else path


def _LogLabels():  # noqa: N802  (a formatter factory)
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{v:.0e}".replace("e-0", "e-").replace("e+0", "e"))
