"""The workload groups, in table order; each module's ``rows(ctx)`` builds its timed rows."""

from benchmarks.workloads import cnn, compiled, matmul, memory, mlp, optimizer, per_op, sequence

GROUPS = {
    "per-op": per_op,
    "mlp": mlp,
    "cnn": cnn,
    "compiled": compiled,
    "optim": optimizer,
    "matmul": matmul,
    "memory": memory,
    "sequence": sequence,
}
