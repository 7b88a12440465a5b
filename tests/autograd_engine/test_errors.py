"""Bad input gets an exception that names the op, the shapes/dtypes/devices and the fix."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine import array_backend


def test_mismatched_shapes_name_op_and_both_shapes():
    a, b = ag.ones(2, 3), ag.ones(4, 3)
    with pytest.raises(RuntimeError, match=r"Add.*\(2, 3\) and \(4, 3\).*do not broadcast"):
        a + b
    with pytest.raises(RuntimeError, match=r"Mul.*\(2, 3\) and \(4, 3\)"):
        a.requires_grad_() * b


def test_matmul_mismatch_names_shapes():
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\).*3 != 4"):
        ag.ones(2, 3) @ ag.ones(4, 5)


def test_backward_on_non_scalar_without_gradient():
    x = ag.ones(2, 3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"only for scalar outputs.*shape \(2, 3\).*gradient="):
        (x * 2).backward()


def test_backward_gradient_of_wrong_shape():
    x = ag.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"grad_output\[0\] has shape \(3,\)"):
        (x * 2).backward(ag.ones(3))


def test_backward_on_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        ag.ones(1).sum().backward()


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(RuntimeError, match=r"floating point dtype.*int64.*\.float\(\)"):
        ag.tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        ag.arange(3).requires_grad_()


def test_unknown_device():
    with pytest.raises(RuntimeError, match=r"Unknown device 'tpu'.*'cpu', 'cuda' or 'cuda:N'"):
        ag.zeros(2, device="tpu")
    with pytest.raises(RuntimeError, match="Unknown device"):
        ag.device("cuda:x")


@pytest.mark.skipif(ag.cuda.is_available(), reason="tests the no-GPU message")
def test_cuda_without_gpu_says_what_to_do():
    with pytest.raises(RuntimeError, match=r"cuda.*(CuPy is not installed|GPU).*device='cpu'"):
        ag.zeros(2, device="cuda")
    with pytest.raises(RuntimeError, match="device='cpu'"):
        ag.ones(2).cuda()


def test_mixed_devices_name_each_tensor(monkeypatch):
    # Simulated without a GPU: an op whose inputs report two devices.
    from autograd_engine.node import Node

    class Pair(Node):
        def forward(self, a, b):
            raise TypeError("arrays on different devices")

    a, b = ag.ones(2), ag.ones(2)
    cuda = array_backend.Device("cuda:0")
    monkeypatch.setattr(
        ag.Tensor, "device", property(lambda t: cuda if t is b else array_backend.CPU)
    )
    with pytest.raises(RuntimeError, match=r"same device.*input 0 on cpu, input 1 on cuda:0.*\.to"):
        Pair()(a, b)


@pytest.mark.gpu
@pytest.mark.skipif(not ag.cuda.is_available(), reason="needs CuPy and a CUDA GPU")
def test_mixed_devices_on_a_real_gpu():
    with pytest.raises(RuntimeError, match=r"same device.*cpu.*cuda:0"):
        ag.ones(2) + ag.ones(2, device="cuda")


def test_bad_dims_and_sizes():
    with pytest.raises(IndexError, match="Dimension out of range"):
        ag.ones(2, 3).sum(2)
    with pytest.raises(RuntimeError, match=r"shape \[4, 2\] is invalid for input of size 6"):
        ag.ones(2, 3).reshape(4, 2)
    with pytest.raises(RuntimeError, match=r"cat\(\): sizes of tensors must match"):
        ag.cat([ag.ones(2, 3), ag.ones(2, 4)], 0)
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        ag.stack([ag.ones(2), ag.ones(3)])
    with pytest.raises(ValueError, match="sizes must be non-negative"):
        ag.zeros(-1)
    with pytest.raises(IndexError, match="Dimension out of range"):
        ag.ones(4).flatten(1)


def test_item_and_bool_of_many_elements():
    with pytest.raises(RuntimeError, match=r"3 elements cannot be converted.*shape \(3,\)"):
        ag.ones(3).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(ag.ones(3))


def test_mean_of_integers_needs_float():
    with pytest.raises(RuntimeError, match=r"mean\(\).*floating point.*int64.*\.float\(\)"):
        ag.arange(3).mean()


def test_requires_grad_false_on_non_leaf():
    y = ag.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="only change requires_grad flags of leaf"):
        y.requires_grad_(False)


def test_bad_tensor_data():
    with pytest.raises(TypeError, match="cannot make a tensor"):
        ag.tensor(["a", "b"])
    with pytest.raises(TypeError, match="Unknown dtype"):
        ag.zeros(2, dtype="float128x")


def test_numpy_refusal_is_not_silently_broadcast():
    with pytest.raises(RuntimeError, match="broadcast"):
        ag.ones(3) - ag.tensor(np.ones(4, dtype=np.float32))
