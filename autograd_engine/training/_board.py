"""``train --tensorboard``: per-epoch losses, accuracies, the learning rate, and weight and
gradient histograms, written with ``autograd_engine.utils.tensorboard.SummaryWriter``."""

from __future__ import annotations

from autograd_engine.training._build import RunError


class Board:
    """The TensorBoard log of one training run (``log_dir`` ``""``: torch's default
    ``runs/DATE_HOST``)."""

    def __init__(self, log_dir: str):
        try:
            from autograd_engine.utils.tensorboard import SummaryWriter
        except ImportError as exc:
            raise RunError(f"--tensorboard: {exc}") from exc
        self.writer = SummaryWriter(log_dir or None)
        self.log_dir = self.writer.log_dir

    def log_epoch(self, record: dict, model) -> None:
        w, step = self.writer, record["epoch"]
        w.add_scalar("Loss/train", record["train_loss"], step)
        w.add_scalar("Accuracy/train", record["train_acc"], step)
        if record["val_loss"] is not None:
            w.add_scalar("Loss/val", record["val_loss"], step)
            w.add_scalar("Accuracy/val", record["val_acc"], step)
        w.add_scalar("LearningRate", record["lr"], step)
        for name, p in model.named_parameters():
            w.add_histogram(f"weights/{name}", p, step)
            if p.grad is not None:  # the gradient of the epoch's last batch
                w.add_histogram(f"grads/{name}", p.grad, step)
        w.flush()

    def close(self) -> None:
        self.writer.close()
