"""Metrics, EarlyStopping and hyperparameter search."""

import csv
import json
import math

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine.training import (
    EarlyStopping,
    accuracy,
    choice,
    confusion_matrix,
    loguniform,
    randint,
    search,
    uniform,
)


def test_accuracy_from_scores_and_labels():
    scores = ag.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    target = ag.tensor([0, 1, 1, 0])
    assert accuracy(scores, target) == 0.75
    assert accuracy(np.array([0, 1, 2]), [0, 1, 1]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="output gives 4 predictions but target has 3 labels"):
        accuracy(scores, ag.tensor([0, 1, 1]))


def test_confusion_matrix_rows_are_true_classes():
    cm = confusion_matrix(np.array([0, 2, 2, 1]), np.array([0, 1, 2, 1]), num_classes=3)
    np.testing.assert_array_equal(cm, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])
    scores = ag.zeros(2, 4)
    assert confusion_matrix(scores, ag.tensor([0, 0])).shape == (4, 4)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 2\)"):
        confusion_matrix([0, 3], [0, 1], num_classes=2)


class FakeModel:
    """Just enough of nn.Module for EarlyStopping: a state_dict of one tensor."""

    def __init__(self):
        self.w = ag.zeros(2)

    def state_dict(self):
        return {"w": self.w}

    def load_state_dict(self, state):
        self.w = state["w"].clone()


def test_early_stopping_min_mode_restores_best():
    model = FakeModel()
    stopper = EarlyStopping(patience=2)
    losses = [1.0, 0.5, 0.6, 0.4, 0.45, 0.41, 0.9]
    stopped_at = None
    for epoch, loss in enumerate(losses):
        model.w = ag.full((2,), float(epoch))
        if stopper.step({"val_loss": loss, "val_acc": 0.0}, model):
            stopped_at = epoch
            break
    assert stopped_at == 5
    assert stopper.best == 0.4 and stopper.best_epoch == 3
    assert model.w.numpy().tolist() == [3.0, 3.0]  # the weights of epoch 3 are back


def test_early_stopping_max_mode_and_min_delta():
    stopper = EarlyStopping(monitor="val_acc", mode="max", patience=1, min_delta=0.01)
    assert not stopper.step(0.90)
    assert stopper.step(0.905)  # not better by more than min_delta
    assert stopper.best == 0.90


def test_early_stopping_state_dict_round_trip():
    a = EarlyStopping(patience=3)
    for v in [1.0, 0.9, 0.95]:
        a.step(v)
    b = EarlyStopping(patience=3)
    b.load_state_dict(a.state_dict())
    assert (b.best, b.num_bad_epochs, b.last_epoch) == (0.9, 1, 2)


def test_early_stopping_errors():
    with pytest.raises(ValueError, match="mode 'up' is unknown"):
        EarlyStopping(mode="up")
    with pytest.raises(KeyError, match="monitors 'val_loss', which is not among"):
        EarlyStopping().step({"loss": 1.0})


def quadratic(params, seed):
    return (math.log10(params["lr"]) + 2) ** 2 + (params["hidden"] - 64) ** 2 / 1e4


def test_random_search_is_seeded_and_records_trials(tmp_path):
    space = {"lr": loguniform(1e-4, 1e-1), "hidden": [32, 64, 128]}
    a = search(quadratic, space, trials=12, seed=3, out=str(tmp_path))
    b = search(quadratic, space, trials=12, seed=3)
    assert [t["params"] for t in a.trials] == [t["params"] for t in b.trials]
    assert [t["seed"] for t in a.trials] == [t["seed"] for t in b.trials]
    assert len({t["seed"] for t in a.trials}) == 12
    assert all(1e-4 <= t["params"]["lr"] <= 1e-1 for t in a.trials)
    assert a.best_value == min(t["value"] for t in a.trials)
    doc = json.loads((tmp_path / "search.json").read_text())
    assert doc["best_params"] == a.best_params and len(doc["trials"]) == 12
    rows = list(csv.DictReader(open(tmp_path / "search.csv")))
    assert len(rows) == 12 and sum(int(r["best"]) for r in rows) == 1
    assert {"trial", "seed", "lr", "hidden", "value", "seconds"} <= set(rows[0])


def test_log_uniform_spreads_over_decades():
    values = [
        t["params"]["lr"]
        for t in search(
            quadratic, {"lr": loguniform(1e-5, 1e-1), "hidden": [64]}, trials=200
        ).trials
    ]
    decades = np.floor(np.log10(values))
    assert set(decades) == {-5, -4, -3, -2}
    assert min(np.bincount((decades + 5).astype(int))) > 25


def test_grid_search_visits_every_combination():
    space = {
        "lr": loguniform(1e-3, 1e-1, num=3),
        "hidden": choice([32, 64]),
        "layers": randint(1, 3),
    }
    res = search(quadratic_ok, space, strategy="grid", trials=None, metric="val_loss")
    assert len(res.trials) == 12
    assert sorted({round(t["params"]["lr"], 6) for t in res.trials}) == [0.001, 0.01, 0.1]
    assert res.best_params["lr"] == pytest.approx(0.01) and res.best_params["hidden"] == 64


def quadratic_ok(params, seed):
    return {"val_loss": quadratic(params, seed), "val_acc": 0.5}


def test_search_with_metric_dict_and_max_mode():
    res = search(
        lambda p, s: {"val_acc": p["x"]},
        {"x": uniform(0, 1)},
        trials=5,
        metric="val_acc",
        mode="max",
    )
    assert res.best_value == max(t["value"] for t in res.trials)


def test_search_errors():
    with pytest.raises(ValueError, match="strategy 'bayes' is unknown"):
        search(quadratic, {"lr": [1]}, strategy="bayes")
    with pytest.raises(ValueError, match=r"needs num= \(how many points\)"):
        search(quadratic, {"lr": loguniform(1e-3, 1)}, strategy="grid")
    with pytest.raises(KeyError, match="without 'val_loss'"):
        search(lambda p, s: {"acc": 1.0}, {"x": [1]}, metric="val_loss", trials=1)
