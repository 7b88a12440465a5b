"""``nn.SyncBatchNorm`` under mpiexec: on 2 ranks holding unequal parts of a batch it equals
``BatchNorm`` over the whole batch (outputs, input gradients, the ranks' weight/bias gradients
summed, running statistics, evaluation), with the world group and with a ``process_group``."""

from __future__ import annotations

import pytest

from tests.distributed.mpi_helper import mpirun, needs_mpi

# NOTE: a hang fails the test (pytest-timeout, from the test extra) instead of CI
pytestmark = pytest.mark.timeout(240)

SYNC_BN_SCRIPT = """
import datetime
import numpy as np
import autograd_engine as ag
import autograd_engine.distributed as dist
import nn

dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=60))
r, n = dist.get_rank(), dist.get_world_size()
rng = np.random.default_rng(0)           # the same numbers on every rank
out = {}

def diff(a, b):
    return float(np.abs(np.asarray(a) - np.asarray(b)).max())

cases = [
    ("world", (7, 3, 2, 3), {"momentum": 0.3}, None),
    ("group_1d", (9, 4, 5), {"momentum": None}, dist.new_group([0, 1])),
    ("no_affine", (5, 2), {"affine": False}, None),
]
for name, shape, kwargs, group in cases:
    bn_cls = nn.BatchNorm1d if len(shape) < 4 else nn.BatchNorm2d
    ref = bn_cls(shape[1], **kwargs).double()
    if ref.affine:
        with ag.no_grad():
            ref.weight.copy_(ag.tensor(rng.standard_normal(shape[1])))
            ref.bias.copy_(ag.tensor(rng.standard_normal(shape[1])))
    model = bn_cls(shape[1], **kwargs).double()
    model.load_state_dict(ref.state_dict())
    model = nn.SyncBatchNorm.convert_sync_batchnorm(nn.Sequential(model), group)
    sync = model[0]
    worst = {}
    for step in range(3):
        x = rng.standard_normal(shape) * (step + 1) + step
        g = rng.standard_normal(shape)
        cut = 3 if step != 1 else shape[0] - 2           # unequal parts, the larger on either
        part = slice(0, cut) if r == 0 else slice(cut, None)
        full = ag.tensor(x, requires_grad=True)
        y = ref(full)
        y.backward(ag.tensor(g))
        mine = ag.tensor(x[part], requires_grad=True)
        y_mine = model(mine)
        y_mine.backward(ag.tensor(g[part]))
        checks = {
            "output": diff(y_mine.numpy(), y.numpy()[part]),
            "input_grad": diff(mine.grad.numpy(), full.grad.numpy()[part]),
            "running_mean": diff(sync.running_mean.numpy(), ref.running_mean.numpy()),
            "running_var": diff(sync.running_var.numpy(), ref.running_var.numpy()),
        }
        for p_name in ("weight", "bias"):
            p = getattr(sync, p_name)
            if p is not None:
                total = p.grad.clone()
                dist.all_reduce(total, group=group)
                checks[p_name + "_grad"] = diff(total.numpy(), getattr(ref, p_name).grad.numpy())
                p.grad = None
                getattr(ref, p_name).grad = None
        for k, v in checks.items():
            worst[k] = max(worst.get(k, 0.0), v)
    worst["batches"] = int(sync.num_batches_tracked.item())
    model.eval()
    ref.eval()
    x = rng.standard_normal(shape)
    worst["eval"] = diff(model(ag.tensor(x[:2])).numpy(), ref(ag.tensor(x[:2])).numpy())
    out[name] = worst
report(out)
"""


@needs_mpi
def test_sync_batchnorm_on_two_ranks_equals_batchnorm_on_the_whole_batch(tmp_path):
    _, results = mpirun(SYNC_BN_SCRIPT, tmp_path, n=2, timeout=180)
    for rank, result in enumerate(results):
        assert result is not None, f"rank {rank} reported nothing"
        for case, checks in result.items():
            assert checks.pop("batches") == 3, (rank, case)
            assert "input_grad" in checks and "running_var" in checks
            if case != "no_affine":
                assert "weight_grad" in checks and "bias_grad" in checks
            for what, worst in checks.items():
                assert worst < 1e-11, f"rank {rank}, {case}: {what} differs by {worst}"
