"""Anomaly mode: the switches and their exports, the NaN/Inf error naming the node and the
user's line that created it, annotated backward errors, and no cost or trace when it is off."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import autograd_engine as ag

pytestmark = [
    pytest.mark.filterwarnings("ignore:Anomaly Detection has been enabled"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),  # NumPy's divide-by-zero, on purpose
]


def test_off_by_default_and_switches_restore():
    assert not ag.is_anomaly_enabled()
    with ag.detect_anomaly():
        assert ag.is_anomaly_enabled() and ag.is_anomaly_check_nan_enabled()
        with ag.detect_anomaly(check_nan=False):
            assert not ag.is_anomaly_check_nan_enabled()
        assert ag.is_anomaly_check_nan_enabled()
    assert not ag.is_anomaly_enabled()
    ag.set_detect_anomaly(True)
    try:
        assert ag.is_anomaly_enabled()
    finally:
        ag.set_detect_anomaly(False)
    assert not ag.is_anomaly_enabled()
    with ag.set_detect_anomaly(True):
        assert ag.is_anomaly_enabled()
    assert not ag.is_anomaly_enabled()


def test_enabling_warns_as_pytorch_does():
    with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
        ag.detect_anomaly()


def test_decorator_form():
    @ag.detect_anomaly()
    def step():
        return ag.is_anomaly_enabled()

    assert step() and step()
    assert not ag.is_anomaly_enabled()


def _nan_in_backward():
    x = ag.tensor([0.0, 1.0], requires_grad=True)
    y = x.log() * 0  # backward: LogBackward gets 0 and divides it by x = 0
    return y.sum()


def test_nan_in_backward_names_the_node_and_the_users_line():
    with ag.detect_anomaly():
        loss = _nan_in_backward()
        with pytest.raises(RuntimeError) as info:
            loss.backward()
    msg = str(info.value)
    assert msg.startswith("Function 'LogBackward0' returned nan values in its 0th output.")
    assert "Traceback of forward call that caused the error:" in msg
    assert "y = x.log() * 0" in msg and "_nan_in_backward" in msg
    assert os.path.dirname(ag.__file__) + os.sep not in msg  # the engine's frames are hidden


def test_log_backward_nan_message_matches_pytorchs():
    with ag.detect_anomaly():
        x = ag.tensor([0.0, 1.0], requires_grad=True)
        y = x.log()
        with pytest.raises(
            RuntimeError, match=r"^Function 'LogBackward0' returned (nan|inf) values in its 0th"
        ):
            (y * 0).sum().backward()


def test_inf_is_reported_as_inf():
    with ag.detect_anomaly():
        x = ag.tensor([0.0, 4.0], requires_grad=True)
        y = x.sqrt()  # d sqrt / dx = 1 / (2 sqrt x): inf at 0
        with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned inf values"):
            y.sum().backward()


def test_check_nan_false_and_off_mode_do_not_raise():
    with ag.detect_anomaly(check_nan=False):
        _nan_in_backward().backward()
    loss = _nan_in_backward()
    loss.backward()  # anomaly mode off: NaN gradients are the user's to find


def test_node_made_before_anomaly_mode_still_reported():
    loss = _nan_in_backward()
    with ag.detect_anomaly(), pytest.raises(RuntimeError, match="anomaly mode was off"):
        loss.backward()


def test_nodes_keep_no_trace_when_off():
    x = ag.tensor([1.0], requires_grad=True)
    y = x * 2
    assert getattr(y.grad_fn, "_trace", None) is None
    with ag.detect_anomaly():
        z = x * 2
    assert z.grad_fn._trace is not None


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes need Python 3.11")
def test_error_in_backward_gets_the_forward_traceback():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    with ag.detect_anomaly():
        y = x * 2
        z = y * y  # MulBackward saves y
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation") as info:
            z.sum().backward()
    notes = "".join(getattr(info.value, "__notes__", []))
    assert "Error detected in MulBackward0" in notes and "z = y * y" in notes


def test_anomaly_mode_does_not_change_results():
    x = ag.tensor(np.linspace(-1, 1, 5), requires_grad=True)
    (x.tanh() * x).sum().backward()
    plain = x.grad.numpy().copy()
    x.grad = None
    with ag.detect_anomaly():
        (x.tanh() * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), plain)
