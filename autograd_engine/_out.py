"""The public functions that take ``out=`` (PyTorch's ``torch.add(a, b, out=c)``): the ops
with the ``out`` argument added. The operators and methods call the ops directly, so ``out=``
costs nothing on their path."""

from __future__ import annotations

from . import ops
from ._args import out_arg

__all__ = [
    "abs", "add", "bmm", "cat", "clamp", "cos", "cumprod", "cumsum", "div", "exp", "log",
    "matmul", "maximum", "minimum", "mm", "mul", "neg", "pow", "sigmoid", "sin", "sqrt",
    "stack", "sub", "tanh", "where", "gather", "index_select", "masked_select", "sort", "topk",
]  # fmt: skip

abs = out_arg(ops.abs)  # noqa: A001
add = out_arg(ops.add)
bmm = out_arg(ops.bmm)
cat = out_arg(ops.cat)
clamp = out_arg(ops.clamp)
cos = out_arg(ops.cos)
cumprod = out_arg(ops.cumprod)
cumsum = out_arg(ops.cumsum)
div = out_arg(ops.div)
exp = out_arg(ops.exp)
log = out_arg(ops.log)
matmul = out_arg(ops.matmul)
maximum = out_arg(ops.maximum)
minimum = out_arg(ops.minimum)
mm = out_arg(ops.mm)
mul = out_arg(ops.mul)
neg = out_arg(ops.neg)
pow = out_arg(ops.pow)  # noqa: A001
sigmoid = out_arg(ops.sigmoid)
sin = out_arg(ops.sin)
sqrt = out_arg(ops.sqrt)
stack = out_arg(ops.stack)
sub = out_arg(ops.sub)
tanh = out_arg(ops.tanh)
where = out_arg(ops.where)
gather = out_arg(ops.gather)
index_select = out_arg(ops.index_select)
masked_select = out_arg(ops.masked_select)
sort = out_arg(ops.sort)
topk = out_arg(ops.topk)
