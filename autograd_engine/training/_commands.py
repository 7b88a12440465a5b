"""The ``lr-find`` and ``search`` commands, built on the training command's pieces."""

from __future__ import annotations

import copy
import os

import autograd_engine as ag
from autograd_engine.training._build import (
    RunError,
    build_data,
    build_model,
    build_optimizer,
    resolve_device,
)
from autograd_engine.training._loop import Printer, config_of, train, write_json

__all__ = ["lr_find_command", "search_command"]


def lr_find_command(args) -> dict:
    """The ``lr-find`` command: the range test on the training data of the chosen run."""
    import nn
    from autograd_engine.training.lr_finder import lr_find

    printer = Printer(args.quiet)
    dev = resolve_device(args.device)
    ag.manual_seed(args.seed)
    data = build_data(args, dev)
    model = build_model(args, data.in_shape, data.num_classes).to(dev)
    probe = build_optimizer(args, model)
    cls, groups_kwargs = type(probe), {}
    for key in ("momentum", "nesterov"):
        if key in probe.defaults:
            groups_kwargs[key] = probe.defaults[key]
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "lr_find.png")
    result = lr_find(
        model, data.train, nn.CrossEntropyLoss(), cls, start_lr=args.start_lr, end_lr=args.end_lr,
        steps=args.steps, optimizer_kwargs=groups_kwargs, plot=path,
    )  # fmt: skip
    doc = {"lrs": result.lrs, "losses": result.losses, "raw_losses": result.raw_losses,
           "suggested_lr": result.suggested_lr, "config": config_of(args)}  # fmt: skip
    write_json(os.path.join(args.out, "lr_find.json"), doc)
    if result.suggested_lr is None:
        printer("lr-find: the loss diverged too early to suggest a rate; lower --start-lr")
    else:
        printer(
            f"lr-find: {len(result.lrs)} steps from {args.start_lr:g} to {result.lrs[-1]:.3g}; "
            f"suggested lr {result.suggested_lr:.2e} (steepest descent of the loss)"
        )
        printer(
            f"try: python -m autograd_engine train --dataset {args.dataset} --model {args.model} "
            f"--optimizer {args.optimizer} --lr {result.suggested_lr:.1e}"
        )
    printer(f"wrote {path}")
    return doc


def search_command(args, space: dict) -> dict:
    """The ``search`` command: each trial is a quiet training run scored on validation."""
    from autograd_engine.training.search import search

    if args.val_split <= 0:
        raise RunError("search scores trials on the validation set: use --val-split > 0")
    printer = Printer(args.quiet)

    def run_trial(params: dict, seed: int) -> dict:
        trial = copy.copy(args)
        for key, value in params.items():
            setattr(
                trial, key, [value] if key == "hidden" and not isinstance(value, list) else value
            )
        trial.seed, trial.quiet, trial.silent, trial.out = seed, True, True, None
        trial.checkpoint = trial.resume = None
        log = train(trial)
        best = min(log["history"], key=lambda r: r["val_loss"])
        return {"val_loss": best["val_loss"], "val_acc": best["val_acc"], "epoch": best["epoch"]}

    metric = args.metric
    mode = "max" if metric == "val_acc" else "min"
    result = search(run_trial, space, strategy=args.strategy, trials=args.trials, seed=args.seed,
                    metric=metric, mode=mode, out=args.out, verbose=not args.quiet)  # fmt: skip
    best = result.best_trial
    if best is not None:
        printer(f"best of {len(result.trials)} trials: {best['params']} -> {metric} "
                f"{best['value']:.4f} (trial {best['trial']}, seed {best['seed']})")  # fmt: skip
    printer(f"wrote {os.path.join(args.out, 'search.json')} and search.csv")
    return {"best": best, "trials": result.trials}
