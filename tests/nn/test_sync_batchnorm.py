"""``nn.SyncBatchNorm`` in one process against PyTorch's: the signature, plain batch norm when
``distributed`` is not initialized (outputs, gradients, running statistics, evaluation,
state_dict), ``convert_sync_batchnorm`` (structure, shared parameters and buffers, flags) and
the errors. The synchronized path runs on two ranks in tests/distributed/."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from nn_oracle import close, compare_modules, sync, torch_state_as_arrays

import autograd_engine as ag
import autograd_engine.distributed as dist
import nn

torch = pytest.importorskip("torch")
tnn = torch.nn

RNG = np.random.default_rng(5)


def test_signature_is_torchs():
    params = inspect.signature(nn.SyncBatchNorm.__init__).parameters
    tparams = inspect.signature(tnn.SyncBatchNorm.__init__).parameters
    assert [(k, p.default, p.kind) for k, p in params.items()] == [
        (k, p.default, p.kind) for k, p in tparams.items()
    ]
    assert repr(nn.SyncBatchNorm(4, affine=False)) == repr(tnn.SyncBatchNorm(4, affine=False))


@pytest.mark.parametrize("kwargs", [{}, {"momentum": None, "eps": 1e-3}, {"bias": False}])
def test_without_distributed_it_is_batch_norm_like_torch(kwargs):
    assert not dist.is_initialized()
    theirs = tnn.SyncBatchNorm(3, **kwargs)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn(p.shape))
    ours = nn.SyncBatchNorm(3, **kwargs)
    sync(ours, theirs)
    for step, shape in enumerate([(4, 3), (2, 3, 5), (2, 3, 2, 2)]):  # any (N, C, *) input
        x = RNG.standard_normal(shape) * (step + 1) + step
        compare_modules(torch, ours, theirs, x, seed=step)
        ours.zero_grad()
        theirs.zero_grad()
    for key, value in torch_state_as_arrays(theirs).items():
        close(ours.state_dict()[key], value, what=key)
    ours.eval()
    theirs.eval()
    compare_modules(torch, ours, theirs, RNG.standard_normal((3, 3, 4)), seed=7)


def _network(m):
    inner = m.Sequential(m.BatchNorm1d(4, affine=False, momentum=None), m.Linear(4, 4))
    return m.Sequential(m.Conv2d(3, 8, 3), m.BatchNorm2d(8, eps=1e-3, bias=False), inner)


def test_convert_sync_batchnorm_matches_torchs_structure():
    ours, theirs = _network(nn), _network(tnn)
    ours[1].num_batches_tracked.fill_(5)
    ours.eval()
    ours[1].qconfig = "a qconfig"
    bn, group = ours[1], object()
    params = dict(ours.named_parameters())
    buffers = dict(ours.named_buffers())
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(ours, process_group=group)
    expected = tnn.SyncBatchNorm.convert_sync_batchnorm(theirs)
    assert converted is ours  # containers are kept, batch norms replaced
    assert repr(converted) == repr(expected)
    assert type(converted[1]) is nn.SyncBatchNorm and type(converted[2][0]) is nn.SyncBatchNorm
    assert converted[1] is not bn
    assert list(converted.state_dict()) == list(expected.state_dict())
    # the very same parameter and buffer objects, the flags and the group
    assert all(p is params[k] for k, p in converted.named_parameters())
    assert all(b is buffers[k] for k, b in converted.named_buffers())
    assert int(converted[1].num_batches_tracked.item()) == 5
    assert converted[1].training is False and converted[2][0].training is False
    assert converted[1].process_group is group and converted[1].qconfig == "a qconfig"
    assert converted[2][0].momentum is None and converted[1].eps == 1e-3
    # a batch norm itself becomes a new SyncBatchNorm
    single = nn.BatchNorm1d(2)
    assert type(nn.SyncBatchNorm.convert_sync_batchnorm(single)) is nn.SyncBatchNorm
    assert nn.SyncBatchNorm.convert_sync_batchnorm(single).weight is single.weight


def test_converted_model_computes_what_the_original_did():
    model = _network(nn)
    x = ag.randn(2, 3, 6, 6)
    x2 = ag.randn(5, 4)
    before = model[1](model[0](x)).numpy(), model[2](x2).numpy()
    clone = _network(nn)
    clone.load_state_dict(model.state_dict())
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(clone)
    after = converted[1](converted[0](x)).numpy(), converted[2](x2).numpy()
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a, b)


def test_errors_like_torch():
    with pytest.raises(ValueError, match=r"expected at least 2D input \(got 1D input"):
        nn.SyncBatchNorm(3)(ag.randn(3))
    with pytest.raises(ValueError, match="number of input channels should be non-zero"):
        nn.SyncBatchNorm(0)(ag.randn(2, 0, 3))
    with pytest.raises(ValueError, match="number of input channels should be non-zero"):
        tnn.SyncBatchNorm(0)(torch.randn(2, 0, 3))
    with pytest.raises(RuntimeError, match="expected input with 3 channels"):
        nn.SyncBatchNorm(3)(ag.randn(2, 4))


def test_synchronized_function_is_differentiable_once_like_torchs():
    from nn.modules._functions import SyncBatchNorm

    x = ag.randn(4, 3, 2, requires_grad=True)
    w = ag.randn(3, requires_grad=True)
    y = SyncBatchNorm.apply(x, w, None, None, None, 1e-5, 0.1, None, 1)
    plain = nn.functional.batch_norm(x, None, None, w, training=True)
    np.testing.assert_allclose(y.detach().numpy(), plain.detach().numpy(), rtol=1e-5, atol=1e-6)
    (gx,) = ag.autograd.grad((y * y * y).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        gx.sum().backward()
