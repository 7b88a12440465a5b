"""A newcomer's command line (issue 18): no prefix matching, the closest option for a typo,
readable type errors, short error output, help with defaults, steps for --overfit-batch,
every file reported, no silent overwrite of an earlier run, and readable plots."""

import json

import pytest

from autograd_engine.cli import main
from autograd_engine.training import _plots
from autograd_engine.training.lr_finder import LRFindResult

QUICK = ["--epochs", "1", "--quiet", "--hidden", "32"]


def usage_error(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    return capsys.readouterr().err


def test_an_option_prefix_is_not_taken_for_the_option(capsys):
    err = usage_error(["train", "--epoch", "3"], capsys)
    assert "unrecognized option: --epoch (did you mean --epochs?)" in err


@pytest.mark.parametrize(
    "typo, meant",
    [
        ("--learning-rate", "--lr"),
        ("--optimiser", "--optimizer"),
        ("--batch_size", "--batch-size"),
        ("--hiden", "--hidden"),
        ("--weight-decy", "--weight-decay"),
    ],
)
def test_a_mistyped_option_gets_the_closest_one(typo, meant, capsys):
    err = usage_error(["train", typo, "1"], capsys)
    assert f"unrecognized option: {typo} (did you mean {meant}?)" in err
    assert err.startswith("usage: python -m autograd_engine train [OPTIONS]\n")


def test_a_mistyped_choice_or_command_gets_the_closest_one(capsys):
    assert "did you mean 'adam'?" in usage_error(["train", "--optimizer", "adm"], capsys)
    assert "did you mean 'train'?" in usage_error(["trian"], capsys)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--lr", "abc"], "argument --lr: must be a positive number, got 'abc'"),
        (["train", "--hidden", "x"], "argument --hidden: must be a positive integer, got 'x'"),
        (["train", "--seed", "1.5"], "argument --seed: must be an integer seed >= 0, got '1.5'"),
        (["lr-find", "--steps", "ten"], "argument --steps: must be an integer >= 2, got 'ten'"),
    ],
)
def test_type_errors_say_what_is_expected(argv, message, capsys):
    err = usage_error(argv, capsys)
    assert message in err
    assert "invalid" not in err and "_positive" not in err


def test_an_error_prints_the_usage_line_and_the_error_only(capsys):
    err = usage_error(["train", "--lr", "abc"], capsys)
    lines = err.splitlines()
    assert lines == [
        "usage: python -m autograd_engine train [OPTIONS]",
        "python -m autograd_engine train: error: argument --lr: must be a positive number, "
        "got 'abc'",
        "('python -m autograd_engine train --help' lists every option)",
    ]


def help_text(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    return " ".join(capsys.readouterr().out.split())  # unwrap argparse's line breaks


def test_lr_find_help_explains_its_options(capsys):
    text = help_text(["lr-find"], capsys)
    assert "--start-lr LR the learning rate of the first step (default: 1e-7)" in text
    assert "--end-lr LR the learning rate of the last step" in text and "(default: 10)" in text
    assert "--steps N training steps (batches), at least 2" in text
    assert "(default: 100)" in text


def test_search_help_shows_the_defaults(capsys):
    text = help_text(["search"], capsys)
    assert "epochs per trial (default: 10)" in text
    assert "(default: random)" in text and "(default: val_loss)" in text
    assert "every trial (default: none)" in text


class FigureSpy:
    """Keeps the figures the plotting code saves, open, for their labels to be read."""

    def __init__(self, monkeypatch):
        self.figures = []
        real = _plots._save

        def save(fig, path, keep):
            self.figures.append(fig)
            return real(fig, path, True)

        monkeypatch.setattr(_plots, "_save", save)


def test_overfit_batch_counts_steps_in_its_output_and_plot(tmp_path, monkeypatch, capsys):
    spy = FigureSpy(monkeypatch)
    argv = ["train", "--overfit-batch", "8", "--epochs", "10", "--hidden", "16"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "step 10/10  train loss" in out and "epoch" not in out
    (fig,) = spy.figures
    assert {ax.get_xlabel() for ax in fig.axes} == {"step"}


def test_lr_find_reports_both_files_it_writes(tmp_path, capsys):
    assert main(["lr-find", "--steps", "20", "--quiet", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'lr_find.png'}, {tmp_path / 'lr_find.json'}" in out
    assert json.loads((tmp_path / "lr_find.json").read_text())["steps"] == 20


def test_search_reports_both_files_it_writes(tmp_path, capsys):
    argv = ["search", "--param", "lr=0.01", "--trials", "1", "--epochs", "1", "--quiet"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tmp_path / 'search.json'}, {tmp_path / 'search.csv'}" in out


def test_a_second_run_gets_a_numbered_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["train", *QUICK]) == 0
    first = (tmp_path / "runs/digits-mlp/log.json").read_text()
    assert main(["train", *QUICK, "--seed", "1"]) == 0
    assert (tmp_path / "runs/digits-mlp/log.json").read_text() == first
    assert json.loads((tmp_path / "runs/digits-mlp-2/log.json").read_text())["config"]["seed"] == 1
    assert "wrote runs/digits-mlp-2/log.json" in capsys.readouterr().out


def test_an_explicit_out_holding_a_run_needs_overwrite(tmp_path, capsys):
    assert main(["train", *QUICK, "--out", str(tmp_path)]) == 0
    err = usage_error(["train", *QUICK, "--seed", "1", "--out", str(tmp_path)], capsys)
    assert f"--out {tmp_path} already holds the outputs of an earlier run (log.json, " in err
    assert "pass --overwrite" in err
    assert main(["train", *QUICK, "--seed", "1", "--out", str(tmp_path), "--overwrite"]) == 0
    assert json.loads((tmp_path / "log.json").read_text())["config"]["seed"] == 1


def test_missing_mnist_files_name_the_data_dir(tmp_path, capsys):
    assert main(["train", "--dataset", "mnist", "--data-dir", str(tmp_path), *QUICK]) == 1
    err = capsys.readouterr().err
    assert f"--data-dir {tmp_path}: MNIST: file 'train-images-idx3-ubyte' not found" in err
    assert f"put them in '{tmp_path}'" in err and "in root" not in err


# --- plots -----------------------------------------------------------------------------------
def grad_stats(layers=3, steps=20):
    names = [f"{i}.weight (8, 8)" for i in range(layers)]
    return {
        "step": list(range(0, steps * 5, 5)),
        "weight": {n: [0.1 + 1e-3 * s for s in range(steps)] for n in names},
        "grad": {n: [2e-3 * (1 + (s % 3)) for s in range(steps)] for n in names},
    }


def test_grads_png_labels_both_axes_and_keeps_the_legend_off_the_data(tmp_path):
    path, fig = _plots.plot_grads(grad_stats(), str(tmp_path / "g.png"), "t", keep=True)
    ax_w, ax_g = fig.axes
    assert ax_w.get_ylabel() == "RMS of the weights"
    assert ax_g.get_ylabel() == "RMS of the gradients (log scale)"
    assert ax_w.get_legend() is None and ax_g.get_legend() is None  # not drawn over the data
    (legend,) = fig.legends  # one legend for both panels, below them
    assert [t.get_text() for t in legend.get_texts()] == [f"{i}.weight (8, 8)" for i in range(3)]
    styles = {line.get_linestyle() for line in ax_w.get_lines()}
    assert len(styles) == 3  # lines that overlap stay distinguishable
    fig.canvas.draw()
    low, high = ax_g.get_ylim()
    labelled = [
        t for t in ax_g.get_yticklabels() if t.get_text() and low <= t.get_position()[1] <= high
    ]
    assert len(labelled) >= 2  # a range of less than a decade still gets labelled major ticks


def test_lr_find_png_caps_the_divergence_spike(tmp_path):
    lrs = [1e-5 * 10 ** (i / 10) for i in range(50)]
    losses = [2.3 - 0.02 * i for i in range(40)] + [3.0, 10.0, 50.0, 400.0] + [1e4] * 6
    result = LRFindResult(lrs, losses, losses, suggested_lr=lrs[20])
    _, fig = result.plot(str(tmp_path / "lr.png"), title="Learning-rate range test: sgd", keep=True)
    (ax,) = fig.axes
    low, high = ax.get_ylim()
    assert high < 4 and low < min(losses)  # the useful part fills the plot
    assert ax.get_title() == "Learning-rate range test: sgd"


def test_lr_find_command_titles_the_plot_with_the_optimizer(tmp_path, monkeypatch):
    titles = []
    real = LRFindResult.plot

    def plot(self, path, title="", keep=False):
        titles.append(title)
        return real(self, path, title)

    monkeypatch.setattr(LRFindResult, "plot", plot)
    argv = ["lr-find", "--optimizer", "sgd", "--steps", "10", "--quiet", "--out", str(tmp_path)]
    assert main(argv) == 0
    assert titles == ["Learning-rate range test: digits mlp, sgd"]


def test_curves_png_zooms_on_the_high_accuracies(tmp_path):
    history = [
        {"epoch": e, "train_loss": 1 / e, "train_acc": min(0.6 + 0.05 * e, 1.0),
         "val_loss": 1.2 / e, "val_acc": min(0.6 + 0.04 * e, 0.985)}
        for e in range(1, 21)
    ]  # fmt: skip
    test = {"accuracy": 0.98}
    _, fig = _plots.plot_curves(history, str(tmp_path / "c.png"), "t", test, keep=True)
    ax_loss, ax_acc, ax_zoom = fig.axes
    assert ax_acc.get_ylim()[0] < 65  # the full panel shows the start
    low, high = ax_zoom.get_ylim()
    assert 95 <= low < 98 and 100 <= high < 100.5  # the zoomed one, the region runs differ in
    assert ax_zoom.get_xlabel() == "epoch" and ax_zoom.get_ylabel() == "accuracy (%), zoomed"
