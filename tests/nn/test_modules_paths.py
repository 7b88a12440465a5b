"""PyTorch's ``nn.modules.*`` module paths that real code imports from: ``batchnorm`` (its
classes and the private ``_BatchNorm`` base for isinstance checks) and ``utils``
(``consume_prefix_in_state_dict_if_present`` and the tuple helpers), against PyTorch."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import autograd_engine as ag
import nn
from nn.modules.batchnorm import BatchNorm1d, BatchNorm2d, SyncBatchNorm, _BatchNorm
from nn.modules.utils import (
    _pair,
    _quadruple,
    _reverse_repeat_tuple,
    _single,
    _triple,
    consume_prefix_in_state_dict_if_present,
)

torch = pytest.importorskip("torch", reason="the oracle is PyTorch")


def test_batchnorm_path_and_isinstance_match_pytorch():
    from torch.nn.modules import batchnorm as tb

    assert BatchNorm1d is nn.BatchNorm1d and BatchNorm2d is nn.BatchNorm2d
    assert SyncBatchNorm is nn.SyncBatchNorm
    for name in ("BatchNorm1d", "BatchNorm2d", "SyncBatchNorm", "LazyBatchNorm1d", "InstanceNorm1d",
                 "LayerNorm", "GroupNorm"):  # fmt: skip
        ours = getattr(nn, name)(3) if name != "GroupNorm" else nn.GroupNorm(1, 3)
        theirs = getattr(torch.nn, name)(3) if name != "GroupNorm" else torch.nn.GroupNorm(1, 3)
        assert isinstance(ours, _BatchNorm) == isinstance(theirs, tb._BatchNorm), name


def test_tuple_helpers_match_pytorch():
    from torch.nn.modules import utils as tu

    for x in (3, (1, 2), [4, 5, 6]):
        for ours, theirs in ((_single, tu._single), (_pair, tu._pair), (_triple, tu._triple),
                             (_quadruple, tu._quadruple)):  # fmt: skip
            assert ours(x) == theirs(x)
    assert _reverse_repeat_tuple((1, 2), 2) == tu._reverse_repeat_tuple((1, 2), 2)


def _ddp_like_state(lib):
    state = collections.OrderedDict(
        [("module.0.weight", 1), ("module.0.bias", 2), ("other.w", 3), ("modulex", 4)]
    )
    state._metadata = collections.OrderedDict(
        [("", {"v": 0}), ("module", {"v": 1}), ("module.0", {"v": 1}), ("other", {"v": 1})]
    )
    return state


def test_consume_prefix_matches_pytorch_and_loads_a_ddp_checkpoint():
    from torch.nn.modules.utils import consume_prefix_in_state_dict_if_present as theirs

    ours_state, torch_state = _ddp_like_state(ag), _ddp_like_state(torch)
    consume_prefix_in_state_dict_if_present(ours_state, "module.")
    theirs(torch_state, "module.")
    assert list(ours_state.items()) == list(torch_state.items())
    assert list(ours_state._metadata.items()) == list(torch_state._metadata.items())

    model = nn.Sequential(nn.Linear(2, 3))
    wrapped = {f"module.{k}": v.detach().clone() + 1 for k, v in model.state_dict().items()}
    consume_prefix_in_state_dict_if_present(wrapped, "module.")
    model.load_state_dict(wrapped)
    np.testing.assert_array_equal(model[0].bias.numpy(), wrapped["0.bias"].numpy())
