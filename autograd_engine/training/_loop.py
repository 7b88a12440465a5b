"""The training command's loop: epochs with a progress bar, validation, schedulers, early
stopping, checkpoints after every epoch and on Ctrl-C, and an exact ``--resume``.

Exact resume: each epoch reseeds the shuffling generator and the default generators
(dropout, augmentation) from ``(seed, epoch)``, so an epoch's randomness does not depend on
what ran before it. A checkpoint taken mid-epoch (Ctrl-C) also stores the batch count, the
running sums and the CPU generator's state; resuming replays the epoch's order up to there.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import time
from contextlib import contextmanager

import numpy as np

import autograd_engine as ag
from autograd_engine.serialization import load, save
from autograd_engine.training._build import (
    RunError,
    build_data,
    build_model,
    build_optimizer,
    build_scheduler,
    decayed_parameters,
    resolve_device,
)
from autograd_engine.training._files import check_checkpoint, prepare_out
from autograd_engine.training._ranks import Ranks
from autograd_engine.training._text import TokenCrossEntropy, text_gemm
from autograd_engine.training._threads import auto_threads, blas_threads, largest_gemm
from autograd_engine.training.config import RunConfig, option
from autograd_engine.training.early_stopping import EarlyStopping
from autograd_engine.utils.data import DataLoader

__all__ = ["Trainer", "train", "evaluate", "Printer", "write_json"]


def epoch_seeds(seed: int, epoch: int) -> tuple[int, int]:
    """Seeds for epoch ``epoch``'s shuffling and for its dropout/augmentation draws."""
    a, b = np.random.SeedSequence([seed, epoch]).generate_state(2)
    return int(a), int(b)


def evaluate(model, loader, loss_fn) -> dict:
    """Mean loss and accuracy of ``model`` over ``loader`` (eval mode, no grad), per sample
    (per token for a language model: its targets have a time dimension)."""
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with ag.no_grad():
        for x, y in loader:
            out = model(x)
            n = int(y.numel())
            total_loss += float(loss_fn(out, y).item()) * n
            correct += int((out.argmax(dim=-1) == y).sum().item())
            count += n
    return {"loss": total_loss / count, "accuracy": correct / count, "correct": correct,
            "total": count}  # fmt: skip


def _rms(array) -> float:
    xp = ag.array_backend.get_array_module(array)
    return float(xp.sqrt(xp.mean(xp.square(array.astype(xp.float64)))))


class GradStats:
    """Per-layer weight and gradient RMS, sampled every ``every`` steps (--plot-grads)."""

    def __init__(self, model, every: int):
        self.params = {
            f"{n} {tuple(p.shape)}": p for n, p in model.named_parameters() if p.ndim > 1
        }
        self.every = max(1, every)
        self.data = {
            "step": [],
            "weight": {n: [] for n in self.params},
            "grad": {n: [] for n in self.params},
        }

    def record(self, step: int) -> None:
        if step % self.every:
            return
        self.data["step"].append(step)
        for n, p in self.params.items():
            self.data["weight"][n].append(_rms(p.array))
            self.data["grad"][n].append(0.0 if p.grad is None else _rms(p.grad.array))

    def summary(self) -> list[str]:
        lines = []
        for n, grads in self.data["grad"].items():
            if not grads:
                continue
            first, last = grads[0], grads[-1]
            flag = ""
            if last < 1e-7:
                flag = "  <- dead or vanishing"
            elif first > 0 and last / first > 1e3:
                flag = "  <- exploding"
            lines.append(f"  {n:<20} gradient RMS {first:.2e} -> {last:.2e}{flag}")
        return lines


class _Interrupt:
    """Turns the first Ctrl-C into a flag checked between batches (so a checkpoint never
    holds a half-applied step); a second Ctrl-C interrupts at once."""

    def __init__(self):
        self.requested = False

    @contextmanager
    def installed(self):
        try:
            previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: leave Ctrl-C alone
            yield self
            return
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True


class Printer:
    """Prints lines (through tqdm, so a live bar is not broken) unless quiet."""

    def __init__(self, quiet: bool):
        self.quiet = quiet

    def __call__(self, line: str = "") -> None:
        if not self.quiet:
            from tqdm import tqdm

            tqdm.write(line, file=sys.stdout)


def write_json(path: str, doc: dict) -> None:
    """``doc`` as strict JSON (a NaN or infinite number, e.g. a diverged loss, becomes
    ``null``), written to a temporary file and renamed."""
    from autograd_engine._atomic_write import write_atomically
    from autograd_engine.training.search import strict

    def default(o):
        return strict(o.item()) if hasattr(o, "item") else str(o)

    def write(tmp):
        with open(tmp, "w") as f:
            json.dump(strict(doc), f, indent=2, allow_nan=False, default=default)
            f.write("\n")

    write_atomically(path, write)


@contextmanager
def _closing(board):
    try:
        yield
    finally:
        if board is not None:
            board.close()


def _epoch_line(r: dict, epochs: int, unit: str = "epoch") -> str:
    width = len(str(epochs))
    key = "step" if "step" in r else "epoch"  # a text run's record counts steps
    line = f"{unit} {r[key]:>{width}}/{epochs}  train loss {r['train_loss']:.4f} "
    line += f"acc {100 * r['train_acc']:6.2f}%"
    if r["val_loss"] is not None:
        line += f"  val loss {r['val_loss']:.4f} acc {100 * r['val_acc']:6.2f}%"
    return line + f"  lr {r['lr']:.2e}  {r['seconds']:.1f}s"


class Trainer:
    """One run of the ``train`` command, built from a ``RunConfig``."""

    def __init__(self, config: RunConfig, on_batch=None):
        import nn

        if not isinstance(config, RunConfig):
            raise TypeError(f"Trainer takes a RunConfig, got {type(config).__name__}")
        self.config = config = config.resolved()
        self.on_batch = on_batch  # on_batch(epoch, batches_done): a hook for tests
        self.ranks = Ranks(config.batch_size)  # under mpiexec: data parallel, rank 0 speaks
        self.print = Printer(config.quiet or not self.ranks.main)  # per-epoch lines, notes
        self.result = Printer(config.silent or not self.ranks.main)  # outcomes, even --quiet
        self.device = resolve_device(config.device)
        self.overfit = bool(config.overfit_batch)
        self.text = config.model == "gpt"  # a language model: a round of steps is an "epoch"
        # With --overfit-batch an "epoch" is one step on the one batch: say steps.
        self.unit = "step" if self.overfit or self.text else "epoch"
        self.epochs = config.epochs
        ag.manual_seed(config.seed)
        self.data = build_data(config, self.device)
        self.model = build_model(config, self.data.in_shape, self.data.num_classes)
        self.model.to(self.device)
        self.net = self.ranks.wrap(self.model)  # what training calls: DDP on several ranks
        self.loss_weight = 1.0  # this rank's share of the global batch, relative
        self.loss_fn = TokenCrossEntropy() if self.text else nn.CrossEntropyLoss()
        self.optimizer = build_optimizer(config, self.model)
        self.steps_per_epoch = len(self.data.train)
        self.scheduler, self.per_batch = build_scheduler(
            config, self.optimizer, self.steps_per_epoch, self.epochs
        )
        self.stopper = None
        if config.early_stopping:
            if self.data.val is None:
                raise RunError("--early-stopping needs a validation set: use --val-split > 0")
            self.stopper = EarlyStopping(patience=config.early_stopping)
        self.grads = None
        if config.plot_grads:
            self.grads = GradStats(self.model, max(1, self.steps_per_epoch // 10))
        self.penalized = decayed_parameters(self.model)[0]
        # BLAS threads (--threads): given, or chosen for the size of the step's GEMMs.
        batch = config.overfit_batch or config.batch_size
        if self.text:
            self.gemm = text_gemm(config)
        else:
            self.gemm = largest_gemm(self.model, self.data.in_shape, batch)
        self.threads = config.threads or auto_threads(self.gemm, self.device.type)
        if self.ranks.active and not config.threads:  # the ranks share the machine's cores
            self.threads = max(1, self.threads // self.ranks.size)
        self.history: list[dict] = []
        self.epoch, self.batch, self.partial, self.stopped = 0, 0, None, False
        self.interrupted = False
        self.board = None  # the TensorBoard log (--tensorboard)
        self.title = f"{config.dataset} {config.model}, {config.optimizer}"
        if self.overfit:
            self.title += f", one batch of {config.overfit_batch} (--overfit-batch)"

    # --- checkpoints ----------------------------------------------------------------------
    def state(self) -> dict:
        """Everything a checkpoint holds: the config, the position in the run, the model, optimizer,
        scheduler, early-stopping and random-generator states."""
        s = self.scheduler
        return {
            "config": self.config.to_dict(),
            "epoch": self.epoch,
            "batch": self.batch,
            "partial": self.partial,
            "stopped": self.stopped,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": None if s is None else s.state_dict(),
            "early_stopping": None if self.stopper is None else self.stopper.state_dict(),
            "grad_stats": None if self.grads is None else self.grads.data,
            "history": self.history,
            "vocab": self.data.vocab,  # a text run's characters, for the generate command
        }

    def save_checkpoint(self) -> None:
        """Write ``state()`` to the configured checkpoint (on the main rank only)."""
        if self.config.checkpoint and self.ranks.main:
            save(self.state(), self.config.checkpoint)

    def resume(self, path: str) -> None:
        """Continue the run saved in the checkpoint at ``path`` exactly where it stopped."""
        try:
            ckpt = load(path, map_location=self.device)
        except (FileNotFoundError, RuntimeError) as exc:
            raise RunError(f"--resume: {exc}", code=1) from exc
        if not isinstance(ckpt, dict) or "config" not in ckpt or "model" not in ckpt:
            raise RunError(f"--resume {path}: not a checkpoint of the training command", code=1)
        try:
            theirs = RunConfig.from_dict(ckpt["config"]).identity()
        except ValueError as exc:
            raise RunError(f"--resume {path}: the checkpoint's options are invalid: {exc}") from exc
        ours = self.config.identity()
        diffs = [
            f"{option(key)} {theirs[key]!r} (this command: {ours[key]!r})"
            for key in ours
            if ours[key] != theirs[key]
        ]
        if diffs:
            raise RunError(
                f"--resume {path}: the checkpoint was written by a run with other options: "
                + "; ".join(diffs)
                + ". Resume with the same options, or start a new run without --resume."
            )
        self.model.load_state_dict(ckpt["model"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        if self.scheduler is not None and ckpt["scheduler"] is not None:
            self.scheduler.load_state_dict(ckpt["scheduler"])
        if self.stopper is not None and ckpt["early_stopping"] is not None:
            self.stopper.load_state_dict(ckpt["early_stopping"])
        if self.grads is not None and ckpt["grad_stats"] is not None:
            self.grads.data = ckpt["grad_stats"]
        self.history = ckpt["history"]
        self.epoch, self.batch = ckpt["epoch"], ckpt["batch"]
        self.partial, self.stopped = ckpt["partial"], ckpt["stopped"]
        self.print(f"resumed {path} at epoch {self.epoch + 1}, batch {self.batch}")

    # --- training -------------------------------------------------------------------------
    def train_step(self, x, y) -> tuple[float, int, int]:
        """One optimizer step on the batch ``(x, y)``; returns the loss, the number classified
        correctly and the batch size."""
        loss, out = self.optimize(x, y)
        if self.per_batch:
            self.scheduler.step()
        correct = int((out.argmax(dim=-1) == y).sum().item())
        return float(loss.item()), correct, int(y.numel())

    @functools.cached_property
    def optimize(self):
        """``_optimize``, compiled with ``--compile`` (autograd_engine.compile: traced on the
        first batch, replayed after, the same numbers)."""
        return ag.compile(self._optimize) if self.config.compile else self._optimize

    def _optimize(self, x, y):
        """The step's forward, backward and update; returns the loss and the output."""
        import nn

        config = self.config
        out = self.net(x)
        loss = self.loss_fn(out, y)
        # NOTE: data parallel: this rank's share of the batch weighs in by its size
        objective = loss if self.loss_weight == 1.0 else loss * self.loss_weight
        if config.l1:
            objective = objective + config.l1 * sum(p.abs().sum() for p in self.penalized)
        self.optimizer.zero_grad()
        objective.backward()
        if config.clip_grad_value:
            nn.utils.clip_grad_value_(self.model.parameters(), config.clip_grad_value)
        if config.clip_grad_norm:
            nn.utils.clip_grad_norm_(self.model.parameters(), config.clip_grad_norm)
        if self.grads is not None:
            self.grads.record(self.epoch * self.steps_per_epoch + self.batch)
        self.optimizer.step()
        return loss, out.detach()

    def train_epoch(self, interrupt: _Interrupt) -> dict | None:
        """One epoch from ``self.batch`` on; the epoch's record, or None if interrupted."""
        from tqdm import tqdm

        loader = self.data.train
        shuffle_seed, draw_seed = epoch_seeds(self.config.seed, self.epoch)
        self.data.loader_generator.manual_seed(shuffle_seed)
        ag.manual_seed(draw_seed)
        self.model.train()
        batches = iter(loader.batch_sampler)
        if self.batch:  # resuming mid-epoch: replay the order, restore sums and draws
            for _ in range(self.batch):
                next(batches)
            if self.partial["rng"] is not None:
                ag.array_backend.set_generator_state(ag.device("cpu"), self.partial["rng"])
        else:
            lr = self.optimizer.param_groups[0]["lr"]
            self.partial = {"loss_sum": 0.0, "correct": 0, "count": 0, "lr": lr, "rng": None}
        p = self.partial
        t0 = time.perf_counter()
        bar = tqdm(total=self.steps_per_epoch, initial=self.batch, leave=False, unit="batch",
                   desc=f"{self.unit} {self.epoch + 1}/{self.epochs}", file=sys.stderr,
                   disable=self.config.quiet or not self.ranks.main
                   or not sys.stderr.isatty())  # fmt: skip
        with bar:
            for index in batches:
                local, self.loss_weight = self.ranks.share(index)
                loss, correct, n = self.train_step(*loader._fetch(local))
                # NOTE: a sum over the ranks keeps the running sums the same everywhere
                loss_sum, correct, n = self.ranks.total([loss * n, correct, n])
                if self.ranks.active:
                    loss = loss_sum / n
                p["loss_sum"] += loss_sum
                p["correct"] += int(correct)
                p["count"] += int(n)
                self.batch += 1
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
                if self.on_batch is not None:
                    self.on_batch(self.epoch, self.batch)
                stop = self.ranks.any(interrupt.requested)  # a Ctrl-C seen by any rank
                if stop and self.batch < self.steps_per_epoch:
                    if self.device.type == "cpu":
                        p["rng"] = ag.array_backend.generator_state(ag.device("cpu"))
                    return None
        record = {
            "epoch": self.epoch + 1,
            **({"step": (self.epoch + 1) * self.steps_per_epoch} if self.text else {}),
            "train_loss": p["loss_sum"] / p["count"],
            "train_acc": p["correct"] / p["count"],
            "val_loss": None,
            "val_acc": None,
            "lr": p["lr"],
        }
        if self.data.val is not None:
            val = evaluate(self.model, self.data.val, self.loss_fn)
            record["val_loss"], record["val_acc"] = val["loss"], val["accuracy"]
        record["seconds"] = round(time.perf_counter() - t0, 3)
        return record

    def end_epoch(self, record: dict) -> None:
        """Record an epoch (history, TensorBoard, the printed line), step the schedule and early
        stopping, and checkpoint."""
        self.history.append(record)
        if self.board is not None:
            self.board.log_epoch(record, self.model)
        self.epoch, self.batch, self.partial = self.epoch + 1, 0, None
        every = max(1, self.epochs // 10) if self.overfit else 1
        if self.epoch % every == 0 or self.epoch == self.epochs:
            total = self.epochs * self.steps_per_epoch if self.text else self.epochs
            self.print(_epoch_line(record, total, self.unit))
        if self.scheduler is not None and not self.per_batch:
            if self.config.scheduler == "plateau":
                has_val = record["val_loss"] is not None
                self.scheduler.step(record["val_loss"] if has_val else record["train_loss"])
            else:
                self.scheduler.step()
        if self.stopper is not None and self.stopper.step(record["val_loss"], self.model):
            self.stopped = True
            self.print(
                f"early stopping: no better validation loss for {self.stopper.patience} epochs; "
                f"restored the weights of epoch {self.stopper.best_epoch + 1} "
                f"(val loss {self.stopper.best:.4f})"
            )
        self.save_checkpoint()

    def run(self) -> dict:
        """Train to ``epochs`` (or an early stop / Ctrl-C); evaluate; write outputs. BLAS
        uses ``self.threads`` threads meanwhile."""
        with blas_threads(self.threads):
            return self._run()

    def _run(self) -> dict:
        config, data = self.config, self.data
        if config.out:
            prepare_out(config.out)
        if config.checkpoint:
            check_checkpoint(config.checkpoint)
        if config.resume:
            self.resume(config.resume)
        n_params = sum(p.numel() for p in self.model.parameters())
        sizes = f"{len(data.train.dataset)} training samples"
        if data.val is not None:
            sizes += f", {len(data.val.dataset)} validation"
        if not self.overfit:
            sizes += f", {len(data.test.dataset)} test"
        if data.text_sizes is not None:
            train, val, test = data.text_sizes
            sizes = f"{train:,} training characters, {val:,} validation, {test:,} test"
            sizes += f" ({len(data.vocab)} distinct); context {config.block_size}"
        self.print(f"{self.title}: {sizes}; "
                   f"{n_params:,} parameters; device {self.device}, "
                   f"{self.threads} BLAS thread{'s' * (self.threads > 1)}")  # fmt: skip
        if data.note:
            self.result(data.note)
        interrupt = _Interrupt()
        start = time.perf_counter()
        if config.tensorboard is not None and self.ranks.main:
            from autograd_engine.training._board import Board

            self.board = Board(config.tensorboard)
            self.print(f"TensorBoard: logging to {self.board.log_dir} "
                       f"(view with: tensorboard --logdir {self.board.log_dir})")  # fmt: skip
        with interrupt.installed(), _closing(self.board):
            while self.epoch < self.epochs and not self.stopped:
                record = self.train_epoch(interrupt)
                if record is None:
                    self.interrupted = True
                    self.save_checkpoint()
                    break
                self.end_epoch(record)
                if self.ranks.any(interrupt.requested):
                    self.interrupted = True
                    break
        seconds = time.perf_counter() - start
        if self.stopper is not None and not self.interrupted and not self.stopped:
            if self.stopper.restore(self.model):
                self.print(f"restored the weights of the best epoch, {self.stopper.best_epoch + 1}")
        log = {"config": config.to_dict(), "device": str(self.device), "threads": self.threads,
               "history": self.history,
               "interrupted": self.interrupted, "seconds": round(seconds, 3)}  # fmt: skip
        self.report(log, seconds)
        if config.out and self.ranks.main:
            self.write_outputs(log)
        return log

    def report(self, log: dict, seconds: float) -> None:
        """Print the run's result lines (test accuracy, or how it was interrupted)."""
        config = self.config
        if self.interrupted:
            if config.checkpoint:
                self.result(f"interrupted: checkpoint saved to {config.checkpoint} "
                           f"(continue with --resume {config.checkpoint})")  # fmt: skip
            else:
                self.result("interrupted (no --checkpoint given, so nothing was saved)")
        elif self.overfit:
            batch = self.data.train.dataset
            final = evaluate(self.model, DataLoader(batch, len(batch)), self.loss_fn)
            log["overfit"] = final
            self.result(
                f"overfit-batch: loss {final['loss']:.2e}, accuracy "
                f"{100 * final['accuracy']:.1f}% on the {final['total']} samples after "
                f"{self.epochs} steps"
            )
        elif not config.silent and self.text:
            test = evaluate(self.model, self.data.test, self.loss_fn)
            log["test"] = test
            self.result(
                f"test loss {test['loss']:.4f} nats/character, next-character accuracy "
                f"{100 * test['accuracy']:.2f}% ({test['total']:,} characters); trained in "
                f"{seconds:.1f}s"
            )
        elif not config.silent:  # a search trial never looks at the test set
            test = evaluate(self.model, self.data.test, self.loss_fn)
            log["test"] = test
            self.result(
                f"test accuracy: {100 * test['accuracy']:.2f}% ({test['correct']}/"
                f"{test['total']}), test loss {test['loss']:.4f}; trained in {seconds:.1f}s"
            )
        if self.grads is not None:
            self.result("per-layer gradient RMS, first -> last sample (plot: grads.png):")
            for line in self.grads.summary():
                self.result(line)

    def write_outputs(self, log: dict) -> None:
        """Write ``log.json`` and the plots into the run's folder."""
        from autograd_engine.training import _plots

        out = self.config.out
        os.makedirs(out, exist_ok=True)
        files = {"log": os.path.join(out, "log.json")}
        if log["history"]:
            path = os.path.join(out, "curves.png")
            files["curves"] = _plots.plot_curves(
                log["history"], path, self.title, log.get("test"), unit=self.unit,
                x_key="step" if self.text else "epoch",
            )  # fmt: skip
        if self.grads is not None:
            log["grad_stats"] = self.grads.data
            if self.grads.data["step"]:
                path = os.path.join(out, "grads.png")
                files["grads"] = _plots.plot_grads(self.grads.data, path, self.title)
        log["files"] = files
        write_json(files["log"], log)
        self.result("wrote " + ", ".join(files.values()))


def train(config: RunConfig, *, on_batch=None) -> dict:
    """Run the ``train`` command with the options in ``config``; returns the log."""
    return Trainer(config, on_batch=on_batch).run()
