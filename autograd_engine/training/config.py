"""``RunConfig``: the options of one run of the training command, as a typed dataclass with
the command line's defaults. The parser builds one; tests and ``search`` build them directly.
Every value is checked when the config is made, with the same rules as the command line."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

__all__ = ["RunConfig", "DEFAULT_LR", "DEFAULT_GAMMA", "IDENTITY", "CHOICES", "option"]

DATASETS = ("digits", "mnist", "fashion-mnist", "cifar10", "shakespeare-char")
TEXT_DATASETS = ("shakespeare-char",)  # character-level text, for --model gpt
MODELS = ("mlp", "cnn", "gpt")
INITS = ("he", "xavier")
OPTIMIZERS = (
    "adam", "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adamw", "nadam", "adamax",
)  # fmt: skip
SCHEDULERS = ("none", "step", "exponential", "power", "plateau", "onecycle", "cosine")
CHOICES = {
    "dataset": DATASETS,
    "model": MODELS,
    "init": INITS,
    "optimizer": OPTIMIZERS,
    "scheduler": SCHEDULERS,
}

# Default learning rate of each --optimizer (used when --lr is not given).
DEFAULT_LR = {
    "sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, "adagrad": 0.05, "rmsprop": 1e-3,
    "adam": 1e-3, "adamw": 1e-3, "nadam": 2e-3, "adamax": 2e-3,
}  # fmt: skip

# Default --gamma of each --scheduler that takes one.
DEFAULT_GAMMA = {"step": 0.1, "exponential": 0.9, "plateau": 0.1}

# Options that define a run: --resume refuses a checkpoint written with other values.
IDENTITY = (
    "dataset", "model", "hidden", "dropout", "batchnorm", "init", "optimizer", "lr",
    "weight_decay", "l1", "scheduler", "gamma", "step_size", "power_r", "power_c",
    "batch_size", "val_split", "seed", "augment", "noise", "overfit_batch",
    "clip_grad_norm", "clip_grad_value", "block_size", "n_layer", "n_head", "n_embd",
    "eval_interval",
)  # fmt: skip

# --steps of a text run when it is not given.
DEFAULT_STEPS = 1000


# --- value checks, shared with the command line (each returns the value, normalized) -------
def _number(value, kind: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"must be {kind}, got {value!r}") from None
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"must be {kind}, got {value!r} (only finite values are accepted)")
    return value


def _integer(value, kind: str) -> int:
    if isinstance(value, bool):
        raise ValueError(f"must be {kind}, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValueError(f"must be {kind}, got {value!r}") from None


def positive_int(value) -> int:
    value = _integer(value, "a positive integer")
    if value < 1:
        raise ValueError(f"must be a positive integer, got {value}")
    return value


def non_negative_int(value) -> int:
    value = _integer(value, "an integer >= 0")
    if value < 0:
        raise ValueError(f"must be 0 or more, got {value}")
    return value


def positive_float(value) -> float:
    value = _number(value, "a positive number")
    if not value > 0:
        raise ValueError(f"must be a positive number, got {value:g}")
    return value


def non_negative_float(value) -> float:
    value = _number(value, "a number >= 0")
    if not value >= 0:
        raise ValueError(f"must be 0 or more, got {value:g}")
    return value


def fraction(value) -> float:
    value = _number(value, "a fraction in [0, 1)")
    if not 0 <= value < 1:
        raise ValueError(f"must be a fraction in [0, 1), got {value:g}")
    return value


def seed(value) -> int:
    value = _integer(value, "an integer seed >= 0")
    if not 0 <= value < 2**63:
        raise ValueError(f"must be an integer seed >= 0, got {value}")
    return value


def device(value) -> str:
    text = str(value)
    kind, _, num = text.partition(":")
    if kind not in ("cpu", "cuda") or (num and (kind == "cpu" or not num.isdigit())):
        raise ValueError(f"must be cpu, cuda or cuda:N, got {value!r}")
    return text


def boolean(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "yes", "on", "1"):
        return True
    if text in ("false", "no", "off", "0"):
        return False
    raise ValueError(f"must be true or false, got {value!r}")


def at_least_two(value) -> int:
    value = _integer(value, "an integer >= 2")
    if value < 2:
        raise ValueError(f"must be at least 2, got {value}")
    return value


def hidden(value) -> list[int]:
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise ValueError("must list at least one hidden width")
    return [positive_int(v) for v in values]


def one_of(choices):
    def check(value) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    return check


def optional(check):
    def check_or_none(value):
        return None if value is None else check(value)

    return check_or_none


def path_or_none(value) -> str | None:
    import os

    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise ValueError(f"must be a path, got {value!r}")
    return os.fspath(value)


@dataclass
class RunConfig:
    """The options of one training run, with the command line's defaults.

    ``python -m autograd_engine train --lr 0.01 --hidden 128 64`` is
    ``RunConfig(lr=0.01, hidden=[128, 64])``. Field ``x_y`` is option ``--x-y``; see
    ``python -m autograd_engine train --help`` or ``docs/training.md`` for each one. A few
    fields default to ``None``, meaning "the default for the other options": ``hidden``
    ([256] for the mlp, [128] for the cnn's head), ``epochs`` (30; 200 steps with
    ``overfit_batch``), ``lr`` (per optimizer, ``DEFAULT_LR``) and ``gamma`` (per scheduler);
    ``resolved()`` fills them in. A text dataset (``shakespeare-char``) trains ``--model gpt``
    for ``steps`` (default 1000) in rounds of ``eval_interval`` steps, each round ending with
    a validation pass: ``resolved()`` sets ``epochs`` to the number of rounds.
    ``threads=None`` lets the run choose its BLAS threads.
    ``out=None`` writes no files (the command line fills in its default folder before it
    builds the config).

    Every value is checked on construction (and by ``dataclasses.replace``): a bad one raises
    ``ValueError`` naming the option, as the command line would.

    Example::

        >>> from autograd_engine.training import RunConfig, train
        >>> log = train(RunConfig(epochs=2, hidden=[32], quiet=True))
    """

    # data
    dataset: str = "digits"
    data_dir: str | None = None
    val_split: float = 0.1
    batch_size: int = 32
    eval_batch_size: int = 1024
    augment: bool = False
    noise: float = 0.0
    # model
    model: str = "mlp"
    hidden: list[int] | None = None
    dropout: float = 0.0
    batchnorm: bool = False
    init: str = "he"
    # --model gpt (nanoGPT's names): context length, depth, heads, width
    block_size: int = 64
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    # optimization
    optimizer: str = "adam"
    lr: float | None = None
    weight_decay: float = 0.0
    l1: float = 0.0
    clip_grad_norm: float | None = None
    clip_grad_value: float | None = None
    # the training loop
    epochs: int | None = None
    steps: int | None = None  # text datasets: training steps (default DEFAULT_STEPS)
    eval_interval: int = 200  # text datasets: steps between validation passes
    scheduler: str = "none"
    gamma: float | None = None
    step_size: int | None = None
    power_r: float = 10.0
    power_c: float = 1.0
    plateau_patience: int = 3
    early_stopping: int | None = None
    overfit_batch: int | None = None
    plot_grads: bool = False
    # the run
    device: str = "cpu"
    seed: int = 0
    threads: int | None = None  # BLAS threads; None chooses them for the workload
    compile: bool = False  # the model's forward through autograd_engine.compile
    quiet: bool = False
    silent: bool = field(default=False, metadata={"cli": False})  # a search trial: no output
    # files
    checkpoint: str | None = None
    resume: str | None = None
    out: str | None = None
    tensorboard: str | None = None  # "" for SummaryWriter's default folder

    def __post_init__(self):
        for f in dataclasses.fields(self):
            check = _CHECKS[f.name]
            try:
                setattr(self, f.name, check(getattr(self, f.name)))
            except ValueError as exc:
                raise ValueError(f"{option(f.name)}: {exc}") from None
        problem = self._conflict()
        if problem:
            raise ValueError(problem)

    def _conflict(self) -> str | None:
        problem = self._text_conflict()
        if problem:
            return problem
        if self.overfit_batch and self.resume:
            return "--overfit-batch cannot be combined with --resume"
        if self.overfit_batch and self.early_stopping:
            return "--overfit-batch has no validation set, so no --early-stopping"
        if self.scheduler == "plateau" and self.gamma is not None and self.gamma >= 1:
            return (
                f"--gamma {self.gamma:g}: the plateau scheduler multiplies the rate by gamma, "
                "which must be below 1 (default 0.1)"
            )
        batch = self.overfit_batch or self.batch_size
        if self.batchnorm and self.model == "mlp" and batch == 1:
            which = "--overfit-batch 1" if self.overfit_batch else "--batch-size 1"
            fix = "--overfit-batch 2" if self.overfit_batch else "--batch-size 2"
            return (
                f"--batchnorm needs at least 2 samples per training batch, got {which}: "
                "BatchNorm1d cannot normalize a single sample (PyTorch raises 'Expected more "
                f"than 1 value per channel when training'); use {fix} or more, or leave out "
                "--batchnorm"
            )
        return None

    def _text_conflict(self) -> str | None:
        """The combinations a text dataset or the gpt model rules out."""
        text = self.dataset in TEXT_DATASETS
        if text and self.model != "gpt":
            return (
                f"--dataset {self.dataset} is text: train it with --model gpt (--model "
                f"{self.model} is for the image datasets)"
            )
        if not text and self.model == "gpt":
            return (
                f"--model gpt is a language model: train it on a text dataset (--dataset "
                f"{', '.join(TEXT_DATASETS)}), not on --dataset {self.dataset}"
            )
        if not text:
            if self.steps is not None:
                return "--steps applies to the text datasets; the image datasets train --epochs"
            return None
        for name in ("batchnorm", "augment", "noise"):
            if getattr(self, name):
                return f"{option(name)} applies to the image datasets, not to --model gpt"
        if self.n_embd % self.n_head:
            return (
                f"--n-embd {self.n_embd} must be a multiple of --n-head {self.n_head} (each "
                "attention head gets n_embd / n_head features)"
            )
        if self.overfit_batch:
            return None
        if self.epochs is not None and self.steps is None:
            return (
                f"--dataset {self.dataset} trains for --steps (default {DEFAULT_STEPS}), "
                f"validating every --eval-interval steps; use --steps instead of --epochs"
            )
        steps = DEFAULT_STEPS if self.steps is None else self.steps
        if steps % self.eval_interval:
            return (
                f"--steps {steps} must be a multiple of --eval-interval {self.eval_interval} "
                "(training runs in rounds of eval-interval steps, each followed by validation)"
            )
        if self.epochs is not None and self.epochs != steps // self.eval_interval:
            return "--epochs does not apply to text datasets: use --steps"
        return None

    @classmethod
    def check(cls, name: str, value):
        """``value`` checked (and normalized) as field ``name``; ``ValueError`` if it is bad."""
        if name not in _CHECKS:
            raise ValueError(f"{name!r} is not an option of a run")
        return _CHECKS[name](value)

    @classmethod
    def from_dict(cls, values: dict) -> RunConfig:
        """A config from a dict such as a log's or a checkpoint's ``config`` (unknown keys,
        e.g. ones from an older version, are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in names})

    def to_dict(self) -> dict:
        """The options as a JSON-friendly dict (what logs and checkpoints store)."""
        return {
            k: (list(v) if isinstance(v, tuple) else v)
            for k, v in sorted(dataclasses.asdict(self).items())
        }

    def replace(self, **changes) -> RunConfig:
        """A copy with ``changes`` applied (checked like a new config)."""
        return dataclasses.replace(self, **changes)

    def resolved(self) -> RunConfig:
        """A copy with the defaults that depend on other options filled in: ``hidden``,
        ``epochs``, ``lr`` and (for a scheduler that takes one) ``gamma``."""
        changes = {}
        if self.hidden is None:
            changes["hidden"] = [256] if self.model == "mlp" else [128]
        text = self.dataset in TEXT_DATASETS
        if text and self.steps is None and not self.overfit_batch:
            changes["steps"] = DEFAULT_STEPS
        if self.epochs is None:
            if text and not self.overfit_batch:
                steps = changes.get("steps", self.steps)
                changes["epochs"] = steps // self.eval_interval
            else:
                changes["epochs"] = 200 if self.overfit_batch else 30
        if self.lr is None:
            changes["lr"] = DEFAULT_LR[self.optimizer]
        if self.gamma is None and self.scheduler in DEFAULT_GAMMA:
            changes["gamma"] = DEFAULT_GAMMA[self.scheduler]
        return self.replace(**changes) if changes else self

    def identity(self) -> dict:
        """The resolved values of the options that define a run (``IDENTITY``)."""
        values = dataclasses.asdict(self.resolved())
        return {k: values[k] for k in IDENTITY}


def option(name: str) -> str:
    """The command-line spelling of field ``name``: ``weight_decay`` -> ``--weight-decay``."""
    return "--" + name.replace("_", "-")


_CHECKS = {
    "dataset": one_of(DATASETS),
    "data_dir": path_or_none,
    "val_split": fraction,
    "batch_size": positive_int,
    "eval_batch_size": positive_int,
    "augment": boolean,
    "noise": non_negative_float,
    "model": one_of(MODELS),
    "hidden": optional(hidden),
    "dropout": fraction,
    "batchnorm": boolean,
    "init": one_of(INITS),
    "block_size": positive_int,
    "n_layer": positive_int,
    "n_head": positive_int,
    "n_embd": positive_int,
    "optimizer": one_of(OPTIMIZERS),
    "lr": optional(positive_float),
    "weight_decay": non_negative_float,
    "l1": non_negative_float,
    "clip_grad_norm": optional(positive_float),
    "clip_grad_value": optional(positive_float),
    "epochs": optional(positive_int),
    "steps": optional(positive_int),
    "eval_interval": positive_int,
    "scheduler": one_of(SCHEDULERS),
    "gamma": optional(positive_float),
    "step_size": optional(positive_int),
    "power_r": positive_float,
    "power_c": positive_float,
    "plateau_patience": non_negative_int,
    "early_stopping": optional(positive_int),
    "overfit_batch": optional(positive_int),
    "plot_grads": boolean,
    "device": device,
    "seed": seed,
    "threads": optional(positive_int),
    "compile": boolean,
    "quiet": boolean,
    "silent": boolean,
    "checkpoint": path_or_none,
    "resume": path_or_none,
    "out": path_or_none,
    "tensorboard": path_or_none,
}

# Fields whose values are whole numbers (a search draws them with randint or from a list).
WHOLE_NUMBER_FIELDS = frozenset(
    f.name
    for f in dataclasses.fields(RunConfig)
    if "int" in str(f.type) and "float" not in str(f.type)
)
