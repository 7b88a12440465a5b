"""DistributedDataParallel under mpiexec: training on 2 ranks equals one process on the union
of their batches (Adam; SGD with momentum and weight decay), ranks end bit-identical, no_sync,
find_unused_parameters, buckets started from backward hooks, buffers, errors; and a rank that
raises or stalls makes the job fail fast instead of hanging."""

from __future__ import annotations

import time

import numpy as np
import pytest

import autograd_engine as ag
import nn
from nn.parallel import DataParallel, DistributedDataParallel
from tests.distributed.mpi_helper import mpirun, needs_mpi

# NOTE: a hang fails the test (pytest-timeout, from the test extra) instead of CI
pytestmark = pytest.mark.timeout(240)

DDP_SCRIPT = """
import copy, datetime, hashlib
import numpy as np
import autograd_engine as ag
import autograd_engine.distributed as dist
import nn, optim
import nn.functional as F
from nn.parallel import DistributedDataParallel as DDP
from autograd_engine.utils.data import DataLoader, DistributedSampler, TensorDataset

dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=60))
r, n = dist.get_rank(), dist.get_world_size()
out = {}
rng = np.random.default_rng(0)
X = ag.from_numpy(rng.standard_normal((32, 6)).astype(np.float32))
Y = ag.from_numpy(rng.integers(0, 3, 32))
data = TensorDataset(X, Y)

def net():
    ag.manual_seed(10 + r)     # a different init on each rank: DDP must broadcast rank 0's
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))

def make_opt(params, kind):
    if kind == "adam":
        return optim.Adam(params, lr=0.01)
    return optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=0.01)

def max_diff(a, b):
    return max(float(np.abs(p.numpy() - q.numpy()).max()) for p, q in zip(a, b))

def digest(params):
    h = hashlib.sha256()
    for p in params:
        h.update(p.numpy().tobytes())
    return h.hexdigest()

for kind in ("adam", "sgd"):
    model = DDP(net(), bucket_cap_mb=0.0002)   # several buckets
    ref = net()
    ref.load_state_dict(model.module.state_dict())   # the single process starts from rank 0's
    opt, ref_opt = make_opt(model.parameters(), kind), make_opt(ref.parameters(), kind)
    samplers = [DistributedSampler(data, n, k, shuffle=True, seed=3) for k in range(n)]
    for epoch in range(3):
        for s in samplers:
            s.set_epoch(epoch)
        mine = DataLoader(data, batch_size=4, sampler=samplers[r])
        union = zip(*[DataLoader(data, batch_size=4, sampler=s) for s in samplers])
        for (x, y), batches in zip(mine, union):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
            ref_opt.zero_grad()
            xs = ag.cat([b[0] for b in batches])
            ys = ag.cat([b[1] for b in batches])
            F.cross_entropy(ref(xs), ys).backward()
            ref_opt.step()
    out[kind + "_diff"] = max_diff(model.module.parameters(), ref.parameters())
    digests = [None] * n
    dist.all_gather_object(digests, digest(model.parameters()))
    out[kind + "_identical"] = len(set(digests)) == 1
    out[kind + "_buckets"] = len(model._buckets)

# buckets start from the backward hooks: the first starts before the last gradient is ready
model = DDP(net(), bucket_cap_mb=0.0001)
pg = model.process_group
launches = []
real_allreduce = pg.mpi.allreduce
def spy(array, op):
    launches.append(sum(model._ready))
    return real_allreduce(array, op)
pg.mpi.allreduce = spy
F.cross_entropy(model(X[:4]), Y[:4]).backward()
pg.mpi.allreduce = real_allreduce
out["launch_ready_counts"] = launches
out["n_params"] = len(model._params)

# no_sync: two local backward passes, the second averaged; equals the union's summed grads
model = DDP(net())
ref = net()
ref.load_state_dict(model.module.state_dict())
halves = [(X[k * 4:(k + 1) * 4], Y[k * 4:(k + 1) * 4]) for k in range(2 * n)]
with model.no_sync():
    x, y = halves[r]
    F.cross_entropy(model(x), y).backward()
local_grad = model.module[0].weight.grad.numpy().copy()
x, y = halves[n + r]
F.cross_entropy(model(x), y).backward()
for first in (0, n):
    xs = ag.cat([halves[first + k][0] for k in range(n)])
    ys = ag.cat([halves[first + k][1] for k in range(n)])
    F.cross_entropy(ref(xs), ys).backward()
grads = [p.grad for p in model.parameters()]
out["no_sync_diff"] = max_diff(grads, [p.grad for p in ref.parameters()])
out["no_sync_was_local"] = not np.allclose(local_grad, model.module[0].weight.grad.numpy())

# find_unused_parameters: an unused layer neither hangs nor gets a gradient
class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(6, 4)
        self.unused = nn.Linear(4, 2)
    def forward(self, x):
        return self.body(x)

ag.manual_seed(0)
model = DDP(TwoHeads(), find_unused_parameters=True)
opt = optim.SGD(model.parameters(), lr=0.1)
for step in range(2):
    opt.zero_grad()
    model(X[:4]).pow(2).mean().backward()
    opt.step()
out["unused_grad_is_none"] = model.module.unused.weight.grad is None
out["used_grad_set"] = model.module.body.weight.grad is not None

# without find_unused_parameters the next forward says what went wrong (PyTorch's error)
model = DDP(TwoHeads())
model(X[:4]).sum().backward()
try:
    model(X[:4])
except RuntimeError as e:
    out["unused_error"] = str(e)

# buffers follow rank 0, at construction and at each forward
class WithBuffer(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)
        self.register_buffer("count", ag.zeros(1))
    def forward(self, x):
        return self.lin(x)

m = WithBuffer()
m.count.add_(float(r + 5))
model = DDP(m)
out["buffer_at_init"] = m.count.tolist()
m.count.add_(float(r))        # drift apart; the next forward brings rank 0's back
model(ag.ones(1, 2))
out["buffer_at_forward"] = m.count.tolist()
out["state_dict_keys"] = sorted(model.state_dict())

# gradient_as_bucket_view: .grad is a view into the bucket
model = DDP(net(), gradient_as_bucket_view=True)
model(X[:4]).sum().backward()
p = model.module[0].weight
out["grad_is_bucket_view"] = any(np.shares_memory(p.grad.array, b.buffer) for b in model._buckets)

# a model that differs between ranks is refused at construction
try:
    DDP(nn.Linear(3, 2 + r))
except RuntimeError as e:
    out["model_mismatch"] = str(e)
report(out)
"""


@needs_mpi
def test_ddp_on_two_ranks_equals_one_process_on_the_union(tmp_path):
    _, results = mpirun(DDP_SCRIPT, tmp_path, n=2, timeout=150)
    for r, out in enumerate(results):
        assert out is not None, f"rank {r} reported nothing"
        for kind in ("adam", "sgd"):
            assert out[kind + "_diff"] < 2e-5, (kind, out[kind + "_diff"])
            assert out[kind + "_identical"], f"{kind}: ranks ended with different parameters"
            assert out[kind + "_buckets"] > 1
        launches = out["launch_ready_counts"]
        assert len(launches) > 1 and launches[0] < out["n_params"], launches
        assert out["no_sync_diff"] < 1e-6 and out["no_sync_was_local"]
        assert out["unused_grad_is_none"] and out["used_grad_set"]
        assert "Expected to have finished reduction in the prior iteration" in out["unused_error"]
        assert "find_unused_parameters=True" in out["unused_error"]
        assert "unused.weight" in out["unused_error"]
        assert out["buffer_at_init"] == [5.0] and out["buffer_at_forward"] == [5.0]
        assert out["state_dict_keys"] == ["module.count", "module.lin.bias", "module.lin.weight"]
        assert out["grad_is_bucket_view"]
        assert "rank 1 has a different model from rank 0" in out["model_mismatch"]
        assert "(2, 3)" in out["model_mismatch"] and "(3, 3)" in out["model_mismatch"]


RAISING_RANK = """
import datetime, time
import autograd_engine as ag
import autograd_engine.distributed as dist
dist.init_process_group("mpi", timeout=datetime.timedelta(seconds={timeout}))
if dist.get_rank() == 1:
    {rank1}
dist.all_reduce(ag.ones(3))      # rank 0 waits here for a rank that will never come
print("rank", dist.get_rank(), "finished")
"""


@needs_mpi
@pytest.mark.parametrize(
    "rank1, timeout, expect",
    [
        ("raise ValueError('rank 1 broke')", 600, "ValueError: rank 1 broke"),
        ("time.sleep(30)", 1, "all_reduce timed out after 1 s on rank 0 of 2"),
    ],
    ids=["raises", "stalls"],
)
def test_a_failing_rank_fails_the_job_instead_of_hanging(tmp_path, rank1, timeout, expect):
    start = time.monotonic()
    source = RAISING_RANK.format(timeout=timeout, rank1=rank1)
    done, _ = mpirun(source, tmp_path, n=2, timeout=60, check=False)
    assert done.returncode != 0
    assert expect in done.stderr
    assert "finished" not in done.stdout
    assert time.monotonic() - start < 25


def test_ddp_refuses_what_it_cannot_do(monkeypatch):
    with pytest.raises(RuntimeError, match="Default process group has not been initialized"):
        DistributedDataParallel(nn.Linear(2, 2))


def test_data_parallel_on_a_cpu_machine_is_the_module_itself():
    ag.manual_seed(0)
    inner = nn.Linear(3, 2)
    model = DataParallel(inner)
    x = ag.randn(4, 3)
    np.testing.assert_array_equal(model(x).numpy(), inner(x).numpy())
    assert model.module is inner
    assert sorted(model.state_dict()) == ["module.bias", "module.weight"]
    with pytest.raises(NotImplementedError, match="use nn.parallel.DistributedDataParallel"):
        DataParallel(inner, device_ids=[0, 1])
