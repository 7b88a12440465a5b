"""The ``lr-find`` and ``search`` commands, built on the training command's pieces."""

from __future__ import annotations

import math
import os
import sys

import autograd_engine as ag
from autograd_engine.training._build import (
    RunError,
    build_data,
    build_model,
    build_optimizer,
    resolve_device,
)
from autograd_engine.training._files import prepare_out
from autograd_engine.training._loop import Printer, train, write_json
from autograd_engine.training._threads import auto_threads, blas_threads, largest_gemm
from autograd_engine.training.config import RunConfig

__all__ = ["lr_find_command", "search_command"]


def lr_find_command(
    config: RunConfig, start_lr: float = 1e-7, end_lr: float = 10.0, steps: int = 100
) -> dict:
    """The ``lr-find`` command: the range test on the training data of the run ``config``
    describes; writes ``lr_find.png`` and ``lr_find.json`` to ``config.out``."""
    import nn
    from autograd_engine.training.lr_finder import lr_find

    config = config.resolved()
    printer = Printer(config.silent)  # the results, even with --quiet
    dev = resolve_device(config.device)
    ag.manual_seed(config.seed)
    data = build_data(config, dev)
    model = build_model(config, data.in_shape, data.num_classes).to(dev)
    probe = build_optimizer(config, model)
    cls, groups_kwargs = type(probe), {}
    for key in ("momentum", "nesterov"):
        if key in probe.defaults:
            groups_kwargs[key] = probe.defaults[key]
    if config.out:
        prepare_out(config.out)
    loss_fn, gemm = nn.CrossEntropyLoss(), None
    if data.vocab is not None:  # a text dataset: a loss over every token
        from autograd_engine.training._text import TokenCrossEntropy, text_gemm

        loss_fn, gemm = TokenCrossEntropy(), text_gemm(config)
    if gemm is None:
        gemm = largest_gemm(model, data.in_shape, config.batch_size)
    threads = config.threads or auto_threads(gemm, dev.type)
    with blas_threads(threads):
        result = lr_find(
            model, data.train, loss_fn, cls, start_lr=start_lr, end_lr=end_lr,
            steps=steps, optimizer_kwargs=groups_kwargs,
        )  # fmt: skip
    doc = {"lrs": result.lrs, "losses": result.losses, "raw_losses": result.raw_losses,
           "suggested_lr": result.suggested_lr, "config": config.to_dict(),
           "start_lr": start_lr, "end_lr": end_lr, "steps": steps}  # fmt: skip
    if result.suggested_lr is None:
        printer("lr-find: the loss diverged too early to suggest a rate; lower --start-lr")
    else:
        printer(
            f"lr-find: {len(result.lrs)} steps from {start_lr:g} to {result.lrs[-1]:.3g}; "
            f"suggested lr {result.suggested_lr:.2e} (steepest descent of the loss)"
        )
        printer(
            f"try: python -m autograd_engine train --dataset {config.dataset} --model "
            f"{config.model} --optimizer {config.optimizer} --lr {result.suggested_lr:.1e}"
        )
    if config.out:
        title = f"Learning-rate range test: {config.dataset} {config.model}, {config.optimizer}"
        png = result.plot(os.path.join(config.out, "lr_find.png"), title=title)
        path = os.path.join(config.out, "lr_find.json")
        write_json(path, doc)
        printer(f"wrote {png}, {path}")
    return doc


def search_command(
    config: RunConfig,
    space: dict,
    strategy: str = "random",
    trials: int | None = 10,
    metric: str = "val_loss",
) -> dict:
    """The ``search`` command: each trial is a quiet training run of ``config`` with the
    trial's values from ``space``, scored on the validation set; ``search.json`` and
    ``search.csv`` go to ``config.out``."""
    from autograd_engine.training.search import SearchInterrupted, search

    if config.val_split <= 0:
        raise RunError("search scores trials on the validation set: use --val-split > 0")
    printer = Printer(config.silent)  # the results, even with --quiet
    if config.out:
        prepare_out(config.out)

    def run_trial(params: dict, seed: int) -> dict:
        trial = config.replace(**params, seed=seed, quiet=True, silent=True, out=None,
                               checkpoint=None, resume=None)  # fmt: skip
        log = train(trial)
        if log["interrupted"]:
            done = len(log["history"])
            raise KeyboardInterrupt(f"stopped after {done} of {trial.resolved().epochs} epochs")
        best = min(log["history"], key=lambda r: _key(r["val_loss"]))
        return {"val_loss": best["val_loss"], "val_acc": best["val_acc"], "epoch": best["epoch"]}

    mode = "max" if metric == "val_acc" else "min"
    try:
        result = search(run_trial, space, strategy=strategy, trials=trials, seed=config.seed,
                        metric=metric, mode=mode, out=config.out,
                        verbose=not config.quiet)  # fmt: skip
    except SearchInterrupted as exc:
        result = exc.result
        stopped = result.trials[-1]
        where = f" in {os.path.join(config.out, 'search.json')}" if config.out else ""
        print(f"interrupted: trial {stopped['trial']} was stopped ({stopped['note'] or 'Ctrl-C'}) "
              f"and is marked \"interrupted\"{where}; no further trial was started",
              file=sys.stderr)  # fmt: skip
    best, done = result.best_trial, len(result.completed)
    if best is not None:
        trials = f"{done} completed trial{'s' * (done != 1)}"
        printer(f"best of {trials}: {best['params']} -> {metric} {best['value']:.4f} "
                f"(trial {best['trial']}, seed {best['seed']})")  # fmt: skip
    elif result.interrupted:
        printer("no trial completed, so there is no best yet")
    if config.out:
        files = [os.path.join(config.out, name) for name in ("search.json", "search.csv")]
        printer(f"wrote {', '.join(files)}")
    return {"best": best, "trials": result.trials, "interrupted": result.interrupted}


def _key(value) -> float:
    """A sort key that puts NaN (a diverged run) last."""
    return math.inf if value is None or math.isnan(value) else value
