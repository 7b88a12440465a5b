"""``nn.utils.rnn`` (``torch.nn.utils.rnn``): variable-length batches for the recurrent layers.
``PackedSequence`` holds the rows of every sequence time-major, ``batch_sizes[t]`` rows at step
``t``; packing, padding and unpacking are index gathers, so gradients flow through them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

import autograd_engine as ag
from autograd_engine import array_backend
from autograd_engine.tensor import Tensor

__all__ = [
    "PackedSequence",
    "invert_permutation",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "unpad_sequence",
    "pack_sequence",
    "unpack_sequence",
]


class _PackedSequenceBase(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


class PackedSequence(_PackedSequenceBase):
    """A batch of variable-length sequences, packed (``torch.nn.utils.rnn.PackedSequence``).

    Made by :func:`pack_padded_sequence` or :func:`pack_sequence` and accepted by
    ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU``, which return one.

    Attributes:
        data: ``(sum of lengths, *)``, the rows of all sequences, step by step: first every
            sequence's step 0 (longest sequence first), then step 1, ...
        batch_sizes: int64 CPU tensor, how many sequences are still running at each step.
        sorted_indices: the batch order used for packing (longest first), or ``None`` when
            the input was already sorted.
        unsorted_indices: its inverse, to restore the original order.

    Example::

        >>> packed = pack_sequence([ag.ones(3, 2), ag.ones(1, 2)])
        >>> packed.batch_sizes
        tensor([2, 1, 1])
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        if batch_sizes.device.type != "cpu":
            raise ValueError(
                "batch_sizes should always be on CPU. Instances of PackedSequence should never "
                "be created manually. They should be instantiated by functions like "
                "pack_sequence and pack_padded_sequences in nn.utils.rnn."
            )
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs) -> PackedSequence:
        """The packed sequence with ``data`` converted like ``Tensor.to`` (the indices follow
        the device; ``batch_sizes`` stays on the CPU). Returns ``self`` when nothing changes."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self

        def move(t):
            return None if t is None else t.to(data.device)

        return type(self)(
            data, self.batch_sizes, move(self.sorted_indices), move(self.unsorted_indices)
        )

    def cuda(self, *args, **kwargs) -> PackedSequence:
        """The same sequence with its data on a GPU (``torch.nn.utils.rnn.PackedSequence.cuda``)."""
        return self.to(*(args or ("cuda",)), **kwargs)

    def cpu(self, *args, **kwargs) -> PackedSequence:
        """The same sequence with its data on the CPU."""
        return self.to("cpu")

    def double(self) -> PackedSequence:
        """The same sequence with float64 data."""
        return self.to(ag.float64)

    def float(self) -> PackedSequence:
        """The same sequence with float32 data."""
        return self.to(ag.float32)

    def half(self) -> PackedSequence:
        """The same sequence with float16 data."""
        return self.to(ag.float16)

    def long(self) -> PackedSequence:
        """The same sequence with int64 data."""
        return self.to(ag.int64)

    def int(self) -> PackedSequence:
        """The same sequence with int32 data."""
        return self.to(ag.int32)

    @property
    def is_cuda(self) -> bool:
        """Whether the data is on a GPU."""
        return self.data.is_cuda


def invert_permutation(permutation: Tensor | None) -> Tensor | None:
    """The inverse of a permutation (``torch.nn.utils.rnn.invert_permutation``)."""
    if permutation is None:
        return None
    xp = array_backend.get_array_module(permutation.array)
    out = xp.empty_like(permutation.array)
    out[permutation.array] = xp.arange(permutation.array.size, dtype=out.dtype)
    return Tensor._make(out)


def _host_ints(values, what: str) -> np.ndarray:
    if isinstance(values, Tensor):
        values = values.numpy()
    array = np.asarray(values)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        raise RuntimeError(f"{what} must be a 1-D sequence of integers, got {values!r}")
    return array.astype(np.int64)


def _batch_sizes(lengths: np.ndarray) -> np.ndarray:
    """Rows per step for sequences sorted by decreasing length."""
    steps = int(lengths[0]) if lengths.size else 0
    return (lengths[None, :] > np.arange(steps)[:, None]).sum(1).astype(np.int64)


def _index_tensor(array, device) -> Tensor:
    return Tensor._make(array_backend.asarray(array, device))


def pack_padded_sequence(
    input: Tensor, lengths, batch_first: bool = False, enforce_sorted: bool = True
) -> PackedSequence:
    """Pack a padded batch of sequences (``torch.nn.utils.rnn.pack_padded_sequence``).

    Args:
        input: ``(T, B, *)``, or ``(B, T, *)`` with ``batch_first``: padded sequences.
        lengths: the length of each of the B sequences (a list or a CPU int tensor).
        batch_first: the layout of ``input``.
        enforce_sorted: require ``lengths`` in decreasing order; with ``False`` the batch is
            sorted here and the order kept in ``sorted_indices``.

    Returns:
        A :class:`PackedSequence`; its ``data`` is differentiable w.r.t. ``input``.
    """
    lengths = _host_ints(lengths, "lengths")
    if input.ndim < 2:
        raise ValueError(
            f"pack_padded_sequence: expected an input of at least 2 dims (T, B, *), got shape "
            f"{tuple(input.shape)}"
        )
    batch = input.shape[0 if batch_first else 1]
    if lengths.size != batch:
        raise ValueError(
            f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.size} "
            f"(batch_size={batch})"
        )
    sorted_indices = None
    order = np.arange(batch)
    if enforce_sorted:
        if np.any(lengths[1:] > lengths[:-1]):
            raise RuntimeError(
                "`lengths` array must be sorted in decreasing order when `enforce_sorted` is "
                "True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or "
                "pack_sequence to sidestep this requirement if you do not need ONNX "
                "exportability."
            )
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = _index_tensor(order, input.device)
    if lengths.size and lengths[-1] <= 0:
        raise RuntimeError(
            "Length of all samples has to be greater than 0, but found an element in "
            "'lengths' that is <= 0"
        )
    steps = input.shape[1 if batch_first else 0]
    if lengths.size and lengths[0] > steps:
        raise RuntimeError(
            f"pack_padded_sequence: the longest length is {int(lengths[0])} but the input has "
            f"only {steps} steps (input shape {tuple(input.shape)})"
        )
    sizes = _batch_sizes(lengths)
    t_index = np.repeat(np.arange(sizes.size), sizes)
    b_index = np.concatenate([order[:n] for n in sizes]) if sizes.size else t_index
    index = (b_index, t_index) if batch_first else (t_index, b_index)
    xp = input.device.xp
    data = input[tuple(xp.asarray(i) for i in index)]
    return PackedSequence(data, ag.tensor(sizes), sorted_indices, None)


def _padded_gather(sizes: np.ndarray, steps: int, order: np.ndarray, batch_first: bool):
    """For every (step, batch) place of the padded output, the packed row it takes, or the
    number of packed rows (an extra padding row) where the sequence has ended."""
    n = int(sizes.sum())
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    index = np.full((steps, order.size), n, dtype=np.int64)
    for t in range(sizes.size):
        running = order < sizes[t]
        index[t, running] = offsets[t] + order[running]
    return index.T if batch_first else index


def _with_padding_row(data: Tensor, value: float) -> Tensor:
    pad = ag.full((1,) + tuple(data.shape[1:]), value, dtype=data.dtype, device=data.device)
    return ag.cat([data, pad], 0)


def pad_packed_sequence(
    sequence: PackedSequence,
    batch_first: bool = False,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Unpack a :class:`PackedSequence` into a padded batch
    (``torch.nn.utils.rnn.pad_packed_sequence``), restoring the original batch order.

    Args:
        sequence: the packed batch.
        batch_first: return ``(B, T, *)`` instead of ``(T, B, *)``.
        padding_value: the value of the places past each sequence's end.
        total_length: pad to this many steps (at least the longest length).

    Returns:
        ``(padded, lengths)``: the padded batch and an int64 CPU tensor of the lengths.
    """
    sizes = _host_ints(sequence.batch_sizes, "batch_sizes")
    steps = sizes.size
    if total_length is not None:
        if total_length < steps:
            raise ValueError(
                "Expected total_length to be at least the length of the longest sequence in "
                f"input, but got total_length={total_length} and max sequence length being "
                f"{steps}"
            )
        steps = total_length
    batch = int(sizes[0])
    order = np.arange(batch)
    if sequence.unsorted_indices is not None:
        order = sequence.unsorted_indices.numpy().astype(np.int64)
    lengths_sorted = (sizes[None, :] > np.arange(batch)[:, None]).sum(1)
    index = _padded_gather(sizes, steps, order, batch_first)
    data = _with_padding_row(sequence.data, padding_value)
    padded = data[data.device.xp.asarray(index)]
    return padded, ag.tensor(lengths_sorted[order].astype(np.int64))


def pad_sequence(
    sequences, batch_first: bool = False, padding_value: float = 0.0, padding_side: str = "right"
) -> Tensor:
    """Stack sequences of different lengths ``(L_i, *)`` into one padded tensor
    (``torch.nn.utils.rnn.pad_sequence``).

    Args:
        sequences: a list of tensors ``(L_i, *)`` with the same trailing dims.
        batch_first: return ``(B, T, *)`` instead of ``(T, B, *)``.
        padding_value: the value of the padding.
        padding_side: ``'right'`` (default) or ``'left'``.

    Returns:
        ``(T, B, *)`` (or ``(B, T, *)``) with ``T`` the longest length.
    """
    if not isinstance(sequences, Iterable):
        raise RuntimeError(
            "pad_sequence: Expected iterable for input sequences, but got arg of type: "
            f"{type(sequences)}"
        )
    sequences = list(sequences)
    if padding_side not in ("left", "right"):
        raise ValueError(
            f"Expected padding_side to be one of left or right, but got {padding_side}."
        )
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    trailing = {tuple(s.shape[1:]) for s in sequences}
    if len(trailing) > 1 or any(s.ndim == 0 for s in sequences):
        raise RuntimeError(
            "pad_sequence: every sequence must be (L, *) with the same trailing dims, got "
            f"shapes {[tuple(s.shape) for s in sequences]}"
        )
    lengths = np.array([s.shape[0] for s in sequences], dtype=np.int64)
    steps = int(lengths.max())
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    n = int(lengths.sum())
    index = np.full((steps, len(sequences)), n, dtype=np.int64)
    for b, (start, length) in enumerate(zip(starts, lengths)):
        first = 0 if padding_side == "right" else steps - length
        index[first : first + length, b] = start + np.arange(length)
    data = _with_padding_row(ag.cat(sequences, 0), padding_value)
    if batch_first:
        index = index.T
    return data[data.device.xp.asarray(index)]


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list[Tensor]:
    """Split a padded batch back into its sequences (``torch.nn.utils.rnn.unpad_sequence``)."""
    lengths = _host_ints(lengths, "lengths")
    if batch_first:
        return [padded_sequences[b, : int(n)] for b, n in enumerate(lengths)]
    return [padded_sequences[: int(n), b] for b, n in enumerate(lengths)]


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of sequences ``(L_i, *)`` (``torch.nn.utils.rnn.pack_sequence``): with
    ``enforce_sorted`` they must come longest first."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences: PackedSequence) -> list[Tensor]:
    """The list of sequences in a :class:`PackedSequence`, in their original order
    (``torch.nn.utils.rnn.unpack_sequence``)."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
