"""The command line: ``python -m autograd_engine train | lr-find | search | generate`` (also
installed as ``autograd-engine``)."""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

__all__ = ["main", "build_parser", "config_from"]

from autograd_engine.training import config as C
from autograd_engine.training._parser import Parser
from autograd_engine.training.config import RunConfig

DATASETS = list(C.DATASETS)
MODELS = list(C.MODELS)
OPTIMIZERS = list(C.OPTIMIZERS)
SCHEDULERS = list(C.SCHEDULERS)


def _arg(check, name: str):
    """An argparse ``type`` that parses and checks a value with a ``RunConfig`` check."""

    def parse(text: str):
        try:
            return check(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = name
    return parse


_positive_int = _arg(C.positive_int, "positive integer")
_non_negative_int = _arg(C.non_negative_int, "integer")
_positive_float = _arg(C.positive_float, "positive number")
_non_negative_float = _arg(C.non_negative_float, "number")
_fraction = _arg(C.fraction, "fraction")
_device = _arg(C.device, "device")
_seed = _arg(C.seed, "seed")


def _add_run_options(p: argparse.ArgumentParser) -> None:
    """The options shared by train, lr-find and search: data, model, optimizer."""
    data = p.add_argument_group("data")
    data.add_argument(
        "--dataset",
        choices=DATASETS,
        default="digits",
        help="digits and shakespeare-char (text, for --model gpt) are bundled; the others are "
        "read from --data-dir (default: digits)",
    )
    data.add_argument(
        "--data-dir",
        metavar="DIR",
        help="folder holding the MNIST/Fashion-MNIST IDX files or CIFAR-10 batches",
    )
    data.add_argument(
        "--val-split",
        type=_fraction,
        default=0.1,
        metavar="FRACTION",
        help="fraction of the training data held out as a validation (dev) set; "
        "0 turns it off (default: 0.1)",
    )
    data.add_argument(
        "--batch-size",
        type=_positive_int,
        default=32,
        metavar="N",
        help="training batch size (default: 32)",
    )
    data.add_argument(
        "--eval-batch-size", type=_positive_int, default=1024, metavar="N", help=argparse.SUPPRESS
    )
    data.add_argument(
        "--augment",
        action="store_true",
        help="random shifts (RandomCrop with padding), plus flips on cifar10; training data only",
    )
    data.add_argument(
        "--noise",
        type=_non_negative_float,
        default=0.0,
        metavar="SIGMA",
        help="add Gaussian pixel noise to training images (default: 0)",
    )

    model = p.add_argument_group("model")
    model.add_argument(
        "--model",
        choices=MODELS,
        default="mlp",
        help="mlp or cnn for images; gpt (a character-level transformer) for text (default: mlp)",
    )
    model.add_argument(
        "--hidden",
        type=_positive_int,
        nargs="+",
        default=None,
        metavar="N",
        help="hidden layer widths (default: 256 for mlp; 128 for the cnn's head)",
    )
    model.add_argument(
        "--dropout",
        type=_fraction,
        default=0.0,
        metavar="P",
        help="dropout probability after each hidden layer (default: 0)",
    )
    model.add_argument("--batchnorm", action="store_true", help="batch normalization layers")
    model.add_argument(
        "--init", choices=["he", "xavier"], default="he", help="weight initialization (default: he)"
    )
    gpt = p.add_argument_group("gpt (--model gpt; nanoGPT's names)")
    gpt.add_argument(
        "--block-size",
        type=_positive_int,
        default=64,
        metavar="N",
        help="context length in characters (default: 64)",
    )
    gpt.add_argument(
        "--n-layer", type=_positive_int, default=4, metavar="N", help="blocks (default: 4)"
    )
    gpt.add_argument(
        "--n-head", type=_positive_int, default=4, metavar="N", help="attention heads (default: 4)"
    )
    gpt.add_argument(
        "--n-embd",
        type=_positive_int,
        default=128,
        metavar="N",
        help="width, a multiple of --n-head (default: 128)",
    )

    opt = p.add_argument_group("optimization")
    opt.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="(default: adam)")
    opt.add_argument(
        "--lr",
        type=_positive_float,
        default=None,
        help="learning rate (default: 1e-3 for adam; per optimizer otherwise)",
    )
    opt.add_argument(
        "--weight-decay",
        type=_non_negative_float,
        default=0.0,
        metavar="W",
        help="L2 weight decay on weights, not biases or norms (default: 0)",
    )
    opt.add_argument(
        "--l1",
        type=_non_negative_float,
        default=0.0,
        metavar="W",
        help="L1 penalty on weights, not biases or norms (default: 0)",
    )
    opt.add_argument(
        "--clip-grad-norm",
        type=_positive_float,
        default=None,
        metavar="MAX",
        help="clip the gradients' global L2 norm to MAX",
    )
    opt.add_argument(
        "--clip-grad-value",
        type=_positive_float,
        default=None,
        metavar="MAX",
        help="clip each gradient entry to [-MAX, MAX]",
    )

    run = p.add_argument_group("run")
    run.add_argument("--device", type=_device, default="cpu", help="cpu or cuda (default: cpu)")
    run.add_argument(
        "--threads",
        type=_positive_int,
        default=None,
        metavar="N",
        help="BLAS threads for the matrix products (default: chosen for the workload: 1 when "
        "the step's matrices are small, as for the digits models, else the idle cores)",
    )
    run.add_argument(
        "--compile",
        action="store_true",
        help="compile the model's forward (autograd_engine.compile): traced once, then "
        "replayed with its backward; the same numbers, less Python work per step",
    )
    run.add_argument("--seed", type=_seed, default=0, help="random seed (default: 0)")
    run.add_argument(
        "--quiet",
        action="store_true",
        help="no progress bar and no per-epoch lines (results are still printed)",
    )


def _add_overwrite(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument(
        "--overwrite",
        action="store_true",
        help=f"replace {what} of an earlier run in --out (without it, the default folder gets "
        "a number, e.g. -2, and an explicit --out that holds them is refused)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="python -m autograd_engine",
        description="Train and tune classifiers with autograd_engine. "
        "See docs/training.md for the manual.",
        epilog="Run 'python -m autograd_engine COMMAND --help' for a command's options.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    train = sub.add_parser("train", help="train a model and report test accuracy",
                           usage="%(prog)s [OPTIONS]",
                           description="Train a model, report validation and test accuracy, "
                           "and write a JSON log and plots to --out.")  # fmt: skip
    _add_run_options(train)
    loop = train.add_argument_group("training loop")
    loop.add_argument(
        "--epochs",
        type=_positive_int,
        default=None,
        help="epochs (default: 30; with --overfit-batch, steps: 200)",
    )
    loop.add_argument(
        "--steps",
        type=_positive_int,
        default=None,
        metavar="N",
        help=f"text datasets: training steps (batches), a multiple of --eval-interval "
        f"(default: {C.DEFAULT_STEPS})",
    )
    loop.add_argument(
        "--eval-interval",
        type=_positive_int,
        default=200,
        metavar="N",
        help="text datasets: steps between validation passes, each a line of progress and a "
        "point of the curves (default: 200)",
    )
    loop.add_argument(
        "--scheduler",
        choices=SCHEDULERS,
        default="none",
        help="learning-rate schedule (default: none)",
    )
    loop.add_argument(
        "--gamma",
        type=_positive_float,
        default=None,
        help="decay factor of step (0.1), exponential (0.9) and plateau (0.1)",
    )
    loop.add_argument(
        "--step-size",
        type=_positive_int,
        default=None,
        metavar="EPOCHS",
        help="epochs between decays for --scheduler step (default: epochs/3)",
    )
    loop.add_argument(
        "--power-r",
        type=_positive_float,
        default=10.0,
        metavar="R",
        help="power schedule lr0 * (1 + epoch/R)^-C (default: R=10)",
    )
    loop.add_argument(
        "--power-c", type=_positive_float, default=1.0, metavar="C", help="(default: 1)"
    )
    loop.add_argument(
        "--plateau-patience",
        type=_non_negative_int,
        default=3,
        metavar="EPOCHS",
        help="epochs without improvement before plateau decays (default: 3)",
    )
    loop.add_argument(
        "--early-stopping",
        type=_positive_int,
        default=None,
        metavar="N",
        help="stop after N epochs without a better validation loss, and restore the best weights",
    )
    loop.add_argument(
        "--overfit-batch",
        type=_positive_int,
        default=None,
        metavar="N",
        help="train on one batch of N samples to check the model can drive the loss to ~0 "
        "(then --epochs counts steps, default 200)",
    )
    loop.add_argument(
        "--plot-grads",
        action="store_true",
        help="plot per-layer weight and gradient magnitudes (grads.png)",
    )
    files = train.add_argument_group("files")
    files.add_argument(
        "--checkpoint",
        metavar="PATH",
        help="save a checkpoint here after every epoch and on Ctrl-C",
    )
    files.add_argument("--resume", metavar="PATH", help="continue the run saved in PATH")
    files.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="folder for log.json and curves.png (default: runs/DATASET-MODEL, numbered "
        "-2, -3, ... when it holds an earlier run)",
    )
    _add_overwrite(files, "log.json, curves.png and grads.png")
    files.add_argument(
        "--tensorboard",
        nargs="?",
        const="",
        default=None,
        metavar="DIR",
        help="log losses, accuracies, the learning rate and weight/gradient histograms per "
        "epoch for TensorBoard in DIR (default: runs/DATE_HOST); needs the tensorboard extra",
    )
    train.set_defaults(func=_train)

    lrf = sub.add_parser("lr-find", help="learning-rate range test",
                         usage="%(prog)s [OPTIONS]",
                         description="Raise the learning rate exponentially over --steps "
                         "batches, plot the loss, and suggest a rate.")  # fmt: skip
    _add_run_options(lrf)
    test = lrf.add_argument_group("range test")
    test.add_argument(
        "--start-lr",
        type=_positive_float,
        default=1e-7,
        metavar="LR",
        help="the learning rate of the first step (default: 1e-7)",
    )
    test.add_argument(
        "--end-lr",
        type=_positive_float,
        default=10.0,
        metavar="LR",
        help="the learning rate of the last step; the rate grows exponentially from "
        "--start-lr to it (default: 10)",
    )
    test.add_argument(
        "--steps",
        type=_arg(C.at_least_two, "integer"),
        default=100,
        metavar="N",
        help="training steps (batches), at least 2; the test stops earlier once the loss "
        "diverges (default: 100)",
    )
    test.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="folder for lr_find.png and lr_find.json (default: runs/lr-find, numbered -2, "
        "-3, ... when it holds an earlier run)",
    )
    _add_overwrite(test, "lr_find.png and lr_find.json")
    lrf.set_defaults(func=_lr_find)

    srch = sub.add_parser("search", help="random or grid hyperparameter search",
                          usage="%(prog)s --param NAME=SPEC [--param NAME=SPEC ...] [OPTIONS]",
                          description="Train one model per trial and pick the best on the "
                          "validation set.",
                          epilog="Examples of --param: lr=loguniform:1e-4:1e-1 (add :N for N "
                          "grid points), dropout=uniform:0:0.5, hidden=choice:64,128,256, "
                          "optimizer=adam,nadam (a plain list is a choice), "
                          "batch_size=randint:16:129")  # fmt: skip
    _add_run_options(srch)
    space = srch.add_argument_group("search")
    space.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=SPEC",
        required=True,
        help="a dimension of the search space (repeat the option; examples below)",
    )
    space.add_argument(
        "--strategy",
        choices=["random", "grid"],
        default="random",
        help="random draws --trials points; grid tries every combination (default: random)",
    )
    space.add_argument(
        "--trials",
        type=_positive_int,
        default=None,
        metavar="N",
        help="random: the number of trials (default: 10); grid: a cap (default: all)",
    )
    space.add_argument(
        "--metric",
        choices=["val_loss", "val_acc"],
        default="val_loss",
        help="what picks the best trial, at its best epoch (default: val_loss)",
    )
    space.add_argument(
        "--epochs",
        type=_positive_int,
        default=10,
        metavar="N",
        help="epochs per trial (default: 10)",
    )
    space.add_argument(
        "--scheduler",
        choices=SCHEDULERS,
        default="none",
        help="learning-rate schedule of every trial (default: none)",
    )
    space.add_argument(
        "--out",
        metavar="DIR",
        default=None,
        help="folder for search.json and search.csv (default: runs/search, numbered -2, -3, "
        "... when it holds an earlier search)",
    )
    _add_overwrite(space, "search.json and search.csv")
    srch.set_defaults(func=_search)
    _add_generate(sub)
    return parser


def _add_generate(sub) -> None:
    gen = sub.add_parser("generate", help="sample text from a --model gpt checkpoint",
                         usage="%(prog)s --checkpoint PATH [OPTIONS]",
                         description="Sample text from a GPT trained with 'train --dataset "
                         "shakespeare-char --model gpt --checkpoint PATH'.")  # fmt: skip
    gen.add_argument(
        "--checkpoint", metavar="PATH", required=True, help="the training run's --checkpoint"
    )
    gen.add_argument(
        "--prompt",
        default="\n",
        metavar="TEXT",
        help="the text to continue (default: a newline)",
    )
    gen.add_argument(
        "--max-new-tokens",
        type=_positive_int,
        default=500,
        metavar="N",
        help="characters to sample (default: 500)",
    )
    gen.add_argument(
        "--temperature",
        type=_positive_float,
        default=0.8,
        metavar="T",
        help="below 1: likelier characters, above 1: more varied (default: 0.8)",
    )
    gen.add_argument(
        "--top-k",
        type=_positive_int,
        default=200,
        metavar="K",
        help="sample from the K likeliest characters only (default: 200, i.e. all of them "
        "for Shakespeare's 69)",
    )
    gen.add_argument(
        "--num-samples", type=_positive_int, default=1, metavar="N", help="texts (default: 1)"
    )
    gen.add_argument("--seed", type=_seed, default=0, help="random seed (default: 0)")
    gen.add_argument("--device", type=_device, default="cpu", help="cpu or cuda (default: cpu)")
    gen.add_argument(
        "--threads",
        type=_positive_int,
        default=1,
        metavar="N",
        help="BLAS threads (default: 1, the fastest for sampling's small matrix products)",
    )
    gen.set_defaults(func=_generate, needs_config=False)


def _generate(args, parser) -> int:
    from autograd_engine.training._generate import generate_text

    texts = generate_text(
        args.checkpoint, prompt=args.prompt, max_new_tokens=args.max_new_tokens,
        temperature=args.temperature, top_k=args.top_k, num_samples=args.num_samples,
        seed=args.seed, device=args.device, threads=args.threads,
    )  # fmt: skip
    for i, text in enumerate(texts):
        if i:
            print("-" * 40)
        print(text)
    return 0


def default_out(command: str, dataset: str, model: str, overfit_batch=None) -> str:
    """The folder a command writes to when ``--out`` is not given."""
    if command == "train":
        return f"runs/{dataset}-{model}" + ("-overfit" if overfit_batch else "")
    return {"lr-find": "runs/lr-find", "search": "runs/search"}[command]


def config_from(args: argparse.Namespace) -> RunConfig:
    """The ``RunConfig`` of parsed options (the fields a subcommand lacks keep their
    defaults). ``--out`` becomes the folder to write to: the command's default folder, with
    a number when it holds an earlier run; an explicit one that holds an earlier run is
    refused without ``--overwrite``. Raises ``ValueError`` for a bad combination."""
    from autograd_engine.training._files import choose_out

    names = {f.name for f in dataclasses.fields(RunConfig)}
    values = {k: v for k, v in vars(args).items() if k in names}
    if args.command == "lr-find":
        values.pop("steps", None)  # the range test's own --steps, not a training run's
    if args.command == "search" and args.dataset in C.TEXT_DATASETS:
        raise ValueError(
            f"search runs the image datasets; for --dataset {args.dataset} run train with "
            "the values to compare (or autograd_engine.training.search from Python, with "
            "RunConfig(steps=...) trials)"
        )
    default = default_out(
        args.command, args.dataset, args.model, getattr(args, "overfit_batch", None)
    )
    values["out"] = choose_out(
        args.command, values.get("out"), default, getattr(args, "overwrite", False)
    )
    return RunConfig(**values)


def _train(config: RunConfig, args, parser):
    from autograd_engine.training._loop import train

    log = train(config)
    return 130 if log["interrupted"] else 0


def _lr_find(config: RunConfig, args, parser):
    from autograd_engine.training._commands import lr_find_command

    if args.start_lr >= args.end_lr:
        parser.error(f"--start-lr {args.start_lr} must be below --end-lr {args.end_lr}")
    lr_find_command(config, start_lr=args.start_lr, end_lr=args.end_lr, steps=args.steps)
    return 0


def _parse_value(text: str):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_space(params: list[str], parser, valid: set[str]) -> dict:
    """``NAME=SPEC`` strings into a search space (see the search command's epilog). Every
    value a dimension can take is checked as ``RunConfig`` checks it, so a bad one is a usage
    error before the first trial, not a traceback in the middle of the search."""
    from autograd_engine.training.search import choice, loguniform, randint, uniform

    space = {}
    for item in params:
        name, sep, spec = item.partition("=")
        name = name.strip().lstrip("-").replace("-", "_")
        if not sep or not spec:
            parser.error(f"--param {item!r}: expected NAME=SPEC, e.g. lr=loguniform:1e-4:1e-1")
        if name not in valid:
            parser.error(f"--param {item!r}: {name!r} is not a training option; "
                         f"choose from {', '.join(sorted(valid))}")  # fmt: skip
        kind, _, rest = spec.partition(":")
        try:
            if kind in ("uniform", "loguniform"):
                if name in C.WHOLE_NUMBER_FIELDS:
                    raise ValueError(
                        f"{C.option(name)} takes whole numbers: use randint:LOW:HIGH or a list"
                    )
                parts = rest.split(":")
                if len(parts) not in (2, 3):
                    raise ValueError("expected LOW:HIGH or LOW:HIGH:N")
                num = int(parts[2]) if len(parts) == 3 else None
                cls = uniform if kind == "uniform" else loguniform
                dim = cls(float(parts[0]), float(parts[1]), num=num)
                _check_values(name, [dim.low, dim.high])
            elif kind == "randint":
                low, high = rest.split(":")
                dim = randint(int(low), int(high))
                _check_values(name, [dim.low, dim.high - 1])
            else:
                values = rest if kind == "choice" else spec
                values = [_parse_value(v) for v in values.split(",")]
                dim = choice(_check_values(name, values))
        except ValueError as exc:
            parser.error(f"--param {item!r}: {exc}")
        space[name] = dim
    return space


def _check_values(name: str, values: list) -> list:
    """``values`` checked (and normalized: 'true' -> True) as option ``name``."""
    checked = []
    for value in values:
        try:
            normal = RunConfig.check(name, value)
        except ValueError as exc:
            raise ValueError(f"{C.option(name)}: {exc}") from None
        checked.append(value if name == "hidden" else normal)  # hidden=64 stays 64 in logs
    return checked


_SEARCHABLE = {
    "lr", "hidden", "dropout", "weight_decay", "l1", "batch_size", "optimizer", "batchnorm",
    "init", "epochs", "scheduler", "clip_grad_norm", "clip_grad_value", "noise", "augment",
}  # fmt: skip


def _search(config: RunConfig, args, parser):
    from autograd_engine.training._commands import search_command

    space = parse_space(args.param, parser, _SEARCHABLE)
    trials = args.trials
    if args.strategy == "random" and trials is None:
        trials = 10
    try:
        done = search_command(
            config, space, strategy=args.strategy, trials=trials, metric=args.metric
        )
    except ValueError as exc:
        parser.error(str(exc))
    return 130 if done["interrupted"] else 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 failed, 2 bad usage,
    130 interrupted)."""
    from autograd_engine.training._build import RunError

    parser = build_parser()
    args = parser.parse_args(argv)
    sub = parser.subparser(args.command)
    needs_config = getattr(args, "needs_config", True)
    if needs_config:
        try:
            config = config_from(args)
        except ValueError as exc:
            sub.error(str(exc))
    try:
        if not needs_config:
            return args.func(args, sub)
        return args.func(config, args, sub)
    except RunError as exc:
        print(f"{sub.prog}: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print(f"{sub.prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # NOTE: the reader of our output left (e.g. `| head -1`); as Python's docs advise,
        # point stdout at devnull so the interpreter's final flush does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
