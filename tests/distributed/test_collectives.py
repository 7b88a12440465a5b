"""Every collective of autograd_engine.distributed on 2 and 3 ranks under mpiexec (one launch
per world size, all checks batched), and the errors that need no second process."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
import autograd_engine.distributed as dist
from tests.distributed.mpi_helper import mpirun, needs_mpi

# NOTE: a hang fails the test (pytest-timeout, from the test extra) instead of CI
pytestmark = pytest.mark.timeout(240)

RANKS_SCRIPT = """
import datetime
import numpy as np
import autograd_engine as ag
import autograd_engine.distributed as dist

dist.init_process_group("mpi", timeout=datetime.timedelta(seconds=60))
r, n = dist.get_rank(), dist.get_world_size()
out = {"rank": r, "size": n, "backend": dist.get_backend(), "init": dist.is_initialized()}

def base():
    return ag.tensor([1.0, -2.0, 3.0]) * (r + 1)

for name in ("SUM", "AVG", "PRODUCT", "MIN", "MAX"):
    t = base()
    dist.all_reduce(t, op=getattr(dist.ReduceOp, name))
    out["all_reduce_" + name] = t.tolist()
for name in ("BAND", "BOR", "BXOR"):
    t = ag.tensor([r + 1, 6], dtype=ag.int64)
    dist.all_reduce(t, op=getattr(dist.ReduceOp, name))
    out["all_reduce_" + name] = t.tolist()
t = base().double()
dist.all_reduce(t)
out["float64"] = [t.tolist(), str(t.dtype)]
t = base().half()
dist.all_reduce(t)
out["float16"] = [t.float().tolist(), str(t.dtype)]
t = ag.tensor([r == 0, False, True])
dist.all_reduce(t)
out["bool"] = t.tolist()

t = base()
work = dist.all_reduce(t, async_op=True)
out["async_type"] = type(work).__name__
work.wait()
out["async"] = [t.tolist(), work.is_completed(), work.is_success()]

grid = ag.zeros(4, 3)
column = grid[:, 1]          # a strided view: reduced in a staging copy and written back
column.add_(float(r + 1))
dist.all_reduce(column)
out["strided"] = grid.tolist()

t = base()
dist.broadcast(t, src=n - 1)
out["broadcast"] = t.tolist()
t = base()
dist.reduce(t, dst=1, op=dist.ReduceOp.SUM)
out["reduce"] = t.tolist()

parts = [ag.zeros(2) for _ in range(n)]
dist.all_gather(parts, ag.tensor([float(r), r + 0.5]))
out["all_gather"] = [p.tolist() for p in parts]
flat = ag.zeros(2 * n)
dist.all_gather_into_tensor(flat, ag.tensor([float(r), r + 0.5]))
stacked = ag.zeros(n, 2)
dist.all_gather_into_tensor(stacked, ag.tensor([float(r), r + 0.5]))
out["all_gather_into_tensor"] = [flat.tolist(), stacked.tolist()]

piece = ag.zeros(2)
dist.reduce_scatter_tensor(piece, ag.arange(2 * n).float() * (r + 1))
out["reduce_scatter_tensor"] = piece.tolist()
piece = ag.zeros(2)
dist.reduce_scatter(piece, [ag.full((2,), float(k + r)) for k in range(n)])
out["reduce_scatter"] = piece.tolist()

bucket = [ag.zeros(2) for _ in range(n)] if r == 0 else None
dist.gather(ag.tensor([float(r), -float(r)]), bucket, dst=0)
out["gather"] = None if bucket is None else [b.tolist() for b in bucket]
t = ag.zeros(2)
dist.scatter(t, [ag.full((2,), 10.0 * k) for k in range(n)] if r == 0 else None, src=0)
out["scatter"] = t.tolist()

# point to point: a ring with isend/irecv, then blocking send/recv from any source
got = ag.zeros(3)
sent = dist.isend(ag.full((3,), float(r)), dst=(r + 1) % n)
dist.irecv(got, src=(r - 1) % n).wait()
sent.wait()
out["ring"] = got.tolist()
if r == 0:
    buf = ag.zeros(2)
    sender = dist.recv(buf)
    out["recv_any"] = [sender, buf.tolist()]
elif r == 1:
    dist.send(ag.tensor([7.0, 8.0]), dst=0)

objs = [{"rank": r}, "x" * r] if r == 1 else [None, None]
dist.broadcast_object_list(objs, src=1)
out["broadcast_object_list"] = objs
everyone = [None] * n
dist.all_gather_object(everyone, ("obj", r))
out["all_gather_object"] = [list(x) for x in everyone]
gathered = [None] * n if r == 0 else None
dist.gather_object(r * 2, gathered, dst=0)
out["gather_object"] = gathered
received = [None]
dist.scatter_object_list(received, [f"to{k}" for k in range(n)] if r == 0 else None, src=0)
out["scatter_object_list"] = received[0]

dist.barrier()
dist.barrier(async_op=True).wait()

sub = dist.new_group([0, n - 1])
if r in (0, n - 1):
    t = ag.tensor([float(r)])
    dist.all_reduce(t, group=sub)
    out["new_group"] = [dist.get_rank(sub), dist.get_world_size(sub), t.tolist()]
else:
    out["new_group"] = [dist.get_rank(sub), repr(sub)]

errors = {}
try:
    dist.all_reduce(ag.zeros(2 + r))
except RuntimeError as e:
    errors["shape"] = str(e)
try:
    dist.all_reduce(ag.zeros(2, dtype=ag.float32 if r == 0 else ag.float64))
except RuntimeError as e:
    errors["dtype"] = str(e)
try:
    if r == 0:
        dist.all_reduce(ag.zeros(2))
    else:
        dist.broadcast(ag.zeros(2), src=0)
except RuntimeError as e:
    errors["op"] = str(e)
try:
    dist.all_reduce(ag.tensor([1, 2]), op=dist.ReduceOp.AVG)
except ValueError as e:
    errors["int_avg"] = str(e)
never = dist.irecv(ag.zeros(1), src=(r + 1) % n, tag=99)
try:
    never.wait(timeout=0.2)
except dist.DistBackendError as e:
    errors["timeout"] = str(e)
never._requests[0].Cancel()
out["errors"] = errors

# NCCL's bootstrap with a stand-in module (no GPU here): rank 0's unique id reaches all ranks
from autograd_engine.distributed._nccl import NCCLBackend

class FakeComm:
    def __init__(self, ndev, uid, rank):
        self.args = (ndev, list(uid), rank)

class FakeNccl:
    NcclCommunicator = FakeComm

    @staticmethod
    def get_unique_id():
        return tuple(range(100 + r, 228 + r))   # differs per rank: only rank 0's may be used

world = dist.group.WORLD
backend = NCCLBackend.bootstrap(world.mpi, FakeNccl)
out["nccl_bootstrap"] = list(backend.comm.args)

dist.destroy_process_group()
out["after_destroy"] = dist.is_initialized()
report(out)
"""


def _expected(r: int, n: int) -> dict:
    base = [np.array([1.0, -2.0, 3.0]) * (k + 1) for k in range(n)]
    stack = np.stack(base)
    ints = [np.array([k + 1, 6]) for k in range(n)]
    band, bor, bxor = ints[0].copy(), ints[0].copy(), ints[0].copy()
    for x in ints[1:]:
        band &= x
        bor |= x
        bxor ^= x
    grid = np.zeros((4, 3))
    grid[:, 1] = sum(k + 1 for k in range(n))
    return {
        "all_reduce_SUM": stack.sum(0),
        "all_reduce_AVG": stack.sum(0) / n,
        "all_reduce_PRODUCT": stack.prod(0),
        "all_reduce_MIN": stack.min(0),
        "all_reduce_MAX": stack.max(0),
        "all_reduce_BAND": band,
        "all_reduce_BOR": bor,
        "all_reduce_BXOR": bxor,
        "strided": grid,
        "broadcast": base[n - 1],
        "reduce": stack.sum(0) if r == 1 else base[r],
        "all_gather": [[k, k + 0.5] for k in range(n)],
        "reduce_scatter_tensor": np.arange(2 * n)[2 * r : 2 * r + 2] * sum(range(1, n + 1)),
        "reduce_scatter": [sum(r + k for k in range(n))] * 2,
        "scatter": [10.0 * r] * 2,
        "ring": [float((r - 1) % n)] * 3,
    }


@needs_mpi
@pytest.mark.parametrize("n", [2, 3])
def test_every_collective_on_n_ranks(tmp_path, n):
    _, results = mpirun(RANKS_SCRIPT, tmp_path, n=n, timeout=120)
    for r, out in enumerate(results):
        assert out is not None, f"rank {r} reported nothing"
        assert (out["rank"], out["size"], out["backend"], out["init"]) == (r, n, "mpi", True)
        for key, want in _expected(r, n).items():
            np.testing.assert_allclose(np.asarray(out[key], dtype=float), want, err_msg=key)
        total = sum(np.array([1.0, -2.0, 3.0]) * (k + 1) for k in range(n))
        assert out["float64"][1] == "autograd_engine.float64" and np.allclose(
            out["float64"][0], total
        )
        assert out["float16"][1] == "autograd_engine.float16" and np.allclose(
            out["float16"][0], total
        )
        assert out["bool"] == [True, False, True]
        assert out["async_type"] == "Work"
        assert np.allclose(out["async"][0], total) and out["async"][1:] == [True, True]
        assert out["all_gather_into_tensor"][0] == [v for k in range(n) for v in (k, k + 0.5)]
        assert out["all_gather_into_tensor"][1] == [[k, k + 0.5] for k in range(n)]
        assert out["gather"] == ([[k, -k] for k in range(n)] if r == 0 else None)
        if r == 0:
            assert out["recv_any"] == [1, [7.0, 8.0]]
        assert out["broadcast_object_list"] == [{"rank": 1}, "x"]
        assert out["all_gather_object"] == [["obj", k] for k in range(n)]
        assert out["gather_object"] == ([2 * k for k in range(n)] if r == 0 else None)
        assert out["scatter_object_list"] == f"to{r}"
        if r in (0, n - 1):
            assert out["new_group"] == [0 if r == 0 else 1, 2, [float(n - 1)]]
        else:
            assert out["new_group"] == [-1, "GroupMember.NON_GROUP_MEMBER"]
        errors = out["errors"]
        assert "rank 0 has shape (2,) float32, rank 1 has shape (3,) float32" in errors["shape"]
        assert "shape (2,) float64" in errors["dtype"]
        assert "rank 0 called all_reduce, rank 1 called broadcast" in errors["op"]
        assert "ReduceOp.AVG needs a floating point tensor" in errors["int_avg"]
        assert "timed out after 0.2 s" in errors["timeout"]
        assert out["nccl_bootstrap"] == [n, list(range(100, 228)), r]
        assert out["after_destroy"] is False


def test_collective_before_init_process_group_names_the_fix():
    assert not dist.is_initialized()
    with pytest.raises(RuntimeError, match="Default process group has not been initialized"):
        dist.all_reduce(ag.ones(2))
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.get_rank()


def test_unknown_backend_lists_the_ones_there_are():
    with pytest.raises(ValueError, match="Invalid backend: 'tcp'.*'mpi'.*'nccl'"):
        dist.init_process_group("tcp")
    assert dist.Backend("MPI") == "mpi" and dist.Backend.NCCL == "nccl"


def test_nccl_without_cupy_says_what_to_install(monkeypatch):
    monkeypatch.setattr(ag.array_backend, "cupy", None)
    with pytest.raises(RuntimeError, match="needs CuPy with NCCL.*backend='mpi'"):
        dist.init_process_group("nccl")
    assert not dist.is_initialized()


def test_missing_mpi4py_names_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_mpi4py(name, *args, **kwargs):
        if name.startswith("mpi4py"):
            raise ImportError("No module named 'mpi4py'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_mpi4py)
    with pytest.raises(RuntimeError, match=r"needs mpi4py.*pip install -e '\.\[distributed\]'"):
        dist.init_process_group("mpi")


def test_world_size_that_mpi_did_not_start_is_refused(monkeypatch):
    from autograd_engine.distributed import process_group as collectives

    with pytest.raises(ValueError, match="world_size=4.*mpiexec -n 4"):
        collectives._check_world(1, 0, 4, -1)
    with pytest.raises(ValueError, match="rank=1, but MPI started this process as rank 0"):
        collectives._check_world(2, 0, 2, 1)
    monkeypatch.setenv("WORLD_SIZE", "3")
    with pytest.raises(ValueError, match="world_size=3"):
        collectives._check_world(2, 0, -1, -1)


def test_reduce_op_and_work_names():
    assert [op.name for op in dist.ReduceOp] == [
        "SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR",
    ]  # fmt: skip
    assert dist.is_available() == dist.is_mpi_available()
    with pytest.raises(TypeError, match="op must be a dist.ReduceOp"):
        dist.collectives._op("sum", "all_reduce")
