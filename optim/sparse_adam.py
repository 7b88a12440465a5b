"""SparseAdam: named as in PyTorch, and refused, since this engine has no sparse gradients."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from autograd_engine import Tensor

from .optimizer import Optimizer

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    r"""``torch.optim.SparseAdam``'s name and signature; constructing it raises.

    PyTorch's SparseAdam updates only the rows present in a sparse gradient (from
    ``nn.Embedding(sparse=True)``) and refuses dense gradients. This engine has no sparse
    tensors — ``nn.Embedding(sparse=True)`` raises in the same way — so SparseAdam could
    never take a step: it raises ``NotImplementedError`` when made, saying what to use.
    ``optim.Adam`` is the dense counterpart (it also decays the moments of the rows absent
    from a batch, so its numbers differ from SparseAdam's).

    See https://pytorch.org/docs/stable/generated/torch.optim.SparseAdam.html
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | Tensor = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        maximize: bool = False,
    ) -> None:
        raise NotImplementedError(
            "SparseAdam needs sparse gradients, which this engine does not have "
            "(nn.Embedding(sparse=True) raises too). Use optim.Adam with dense gradients "
            "(nn.Embedding(sparse=False), the default); it also decays the moments of rows "
            "that a batch does not touch, so its numbers differ from SparseAdam's."
        )
