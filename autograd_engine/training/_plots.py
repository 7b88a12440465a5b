"""PNG plots for the training command: loss/accuracy curves and per-layer weight and
gradient magnitudes (matplotlib, Agg backend)."""

from __future__ import annotations


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curves(history: list[dict], path: str, title: str, test: dict | None = None) -> str:
    """Train/val loss and accuracy per epoch, side by side."""
    plt = _pyplot()
    epochs = [r["epoch"] for r in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, [r["train_loss"] for r in history], label="train")
    ax_acc.plot(epochs, [100 * r["train_acc"] for r in history], label="train")
    if history and history[0].get("val_loss") is not None:
        ax_loss.plot(epochs, [r["val_loss"] for r in history], label="validation")
        ax_acc.plot(epochs, [100 * r["val_acc"] for r in history], label="validation")
    if test is not None and epochs:
        ax_acc.axhline(100 * test["accuracy"], color="gray", linestyle="--",
                       label=f"test {100 * test['accuracy']:.2f}%")  # fmt: skip
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("cross-entropy loss")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy (%)")
    for ax in (ax_loss, ax_acc):
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_grads(stats: dict, path: str, title: str) -> str:
    """Per-layer RMS of weights and of gradients against the training step (log scale).

    Flat-low gradient lines mark vanishing or dead layers; growing ones, explosion.
    """
    plt = _pyplot()
    fig, (ax_w, ax_g) = plt.subplots(1, 2, figsize=(11, 4.2))
    steps = stats["step"]
    for name, values in stats["weight"].items():
        ax_w.plot(steps, values, label=name)
    for name, values in stats["grad"].items():
        ax_g.plot(steps, [max(v, 1e-12) for v in values], label=name)
    ax_w.set_title("weight RMS per layer")
    ax_g.set_title("gradient RMS per layer")
    for ax in (ax_w, ax_g):
        ax.set_yscale("log")
        ax.set_xlabel("training step")
        ax.grid(True, which="both", alpha=0.3)
    ax_g.legend(fontsize="small", loc="best")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
