"""Character-level text datasets for language models: ``CharDataset`` (any text, as windows
of characters and the characters that follow them) and ``ShakespeareChar``, nine plays of
Shakespeare bundled with the package (public domain; see ``data/README.md``)."""

from __future__ import annotations

import gzip
import os
from collections.abc import Sequence
from importlib import resources

import numpy as np

from autograd_engine.utils.data import Dataset

__all__ = ["CharDataset", "ShakespeareChar", "load_shakespeare", "encode", "decode"]

_FILE = "shakespeare.txt.gz"


def encode(text: str, vocab: Sequence[str]) -> np.ndarray:
    """The ids (positions in ``vocab``) of ``text``'s characters, int64; ``ValueError`` names
    any character not in ``vocab``."""
    if text.isascii() and all(len(ch) == 1 and ch.isascii() for ch in vocab):
        # NOTE: a lookup table over the bytes: 100x faster than a dict per character.
        table = np.full(128, -1, dtype=np.int64)
        table[[ord(ch) for ch in vocab]] = np.arange(len(vocab))
        ids = table[np.frombuffer(text.encode("ascii"), dtype=np.uint8)]
        if not (ids < 0).any():
            return ids
    stoi = {ch: i for i, ch in enumerate(vocab)}
    unknown = sorted({ch for ch in text if ch not in stoi})
    if unknown:
        raise ValueError(
            f"characters {''.join(unknown)!r} are not in the vocabulary of {len(vocab)} "
            f"characters ({''.join(vocab)!r})"
        )
    return np.fromiter((stoi[ch] for ch in text), dtype=np.int64, count=len(text))


def decode(ids, vocab: Sequence[str]) -> str:
    """The text of character ids (a sequence, array or Tensor) in ``vocab``."""
    if hasattr(ids, "numpy"):
        ids = ids.numpy()
    return "".join(vocab[int(i)] for i in np.asarray(ids).reshape(-1))


class CharDataset(Dataset):
    """Windows of ``block_size`` characters of a text and, for each, the next characters.

    ``dataset[i]`` is ``(x, y)``: two int64 arrays of shape ``(block_size,)``, ``x`` the
    character ids at positions ``s .. s + block_size - 1`` and ``y`` those one further on
    (``y[t]`` is the character that follows ``x[:t + 1]``), where ``s = i * stride``. With
    ``stride=1`` every window is a sample (training); ``stride=block_size`` cuts the text into
    windows that do not overlap (evaluation: every character is predicted once).

    Args:
        data: the text as a string, or its character ids (an integer array).
        block_size: the window length (the model's context).
        vocab: the characters, id order (default: the sorted distinct characters of
            ``data``, which must then be a string).
        stride: the distance between the starts of consecutive windows.

    ``vocab``, ``encode(text)`` and ``decode(ids)`` translate between text and ids.

    Example::

        >>> ds = CharDataset("hello world", block_size=4)
        >>> x, y = ds[0]
        >>> ds.decode(x), ds.decode(y)
        ('hell', 'ello')
    """

    def __init__(
        self,
        data: str | np.ndarray,
        block_size: int,
        vocab: Sequence[str] | None = None,
        stride: int = 1,
    ):
        if isinstance(data, str):
            if vocab is None:
                vocab = sorted(set(data))
            self.vocab = list(vocab)
            data = self.encode(data)
        elif vocab is None:
            raise ValueError("CharDataset: give vocab= with character ids (or pass the text)")
        else:
            self.vocab = list(vocab)
        self.data = np.ascontiguousarray(data, dtype=np.int64)
        if block_size < 1 or stride < 1:
            raise ValueError(
                f"CharDataset: block_size and stride must be positive, got {block_size} "
                f"and {stride}"
            )
        if len(self.data) < block_size + 1:
            raise ValueError(
                f"CharDataset: a text of {len(self.data)} characters holds no window of "
                f"{block_size} characters and the one after it; use a smaller block_size"
            )
        self.block_size, self.stride = int(block_size), int(stride)
        self._offsets = np.arange(self.block_size, dtype=np.int64)

    @property
    def classes(self) -> list[str]:
        """The characters (the classes a model predicts), as ``vocab``."""
        return self.vocab

    @property
    def stoi(self) -> dict[str, int]:
        """The id of each character of the vocabulary, the inverse of ``vocab`` (nanoGPT's
        ``stoi``)."""
        return {ch: i for i, ch in enumerate(self.vocab)}

    def encode(self, text: str) -> np.ndarray:
        """The ids of ``text``'s characters; ``ValueError`` names any not in the vocabulary."""
        return encode(text, self.vocab)

    def decode(self, ids) -> str:
        """The text of character ids (a sequence, array or Tensor)."""
        return decode(ids, self.vocab)

    def __len__(self) -> int:
        return (len(self.data) - self.block_size - 1) // self.stride + 1

    def _windows(self, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = len(self)
        if indices.size and (indices.min() < -n or indices.max() >= n):
            raise IndexError(f"index out of range for a dataset of {n} windows")
        starts = (indices % n) * self.stride
        positions = starts[..., None] + self._offsets
        return self.data[positions], self.data[positions + 1]

    def __getitem__(self, index: int):
        x, y = self._windows(np.asarray(index, dtype=np.int64))
        return x, y

    def _get_batch(self, indices: np.ndarray):
        import autograd_engine as ag

        x, y = self._windows(np.asarray(indices, dtype=np.int64))
        return ag.from_numpy(x), ag.from_numpy(y)

    def __repr__(self) -> str:
        return (
            f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
            f"    Characters: {len(self.data):,} ({len(self.vocab)} distinct), "
            f"block_size {self.block_size}, stride {self.stride}"
        )


def load_shakespeare() -> str:
    """The bundled text of ``ShakespeareChar`` (about 1.18 million characters)."""
    ref = resources.files("autograd_engine.datasets").joinpath("data", _FILE)
    with resources.as_file(ref) as path:
        try:
            with gzip.open(os.fspath(path), "rt", encoding="ascii") as f:
                return f.read()
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise RuntimeError(
                f"ShakespeareChar: cannot read {os.fspath(path)!r} ({exc}). The file ships with "
                "autograd_engine; reinstall the package to restore it."
            ) from exc


class ShakespeareChar(CharDataset):
    """Nine plays of Shakespeare as characters, bundled: the text of the training command's
    ``--dataset shakespeare-char``, in the layout of Karpathy's "Tiny Shakespeare".

    Coriolanus, Richard III, Richard II, Henry VI Part 3, Romeo and Juliet, Measure for
    Measure, The Winter's Tale, The Taming of the Shrew and The Tempest (the plays Tiny
    Shakespeare draws on; Project Gutenberg's Globe-edition text, public domain), about 1.18
    million characters: a speaker's name and a colon on one line, the speech, a blank line.
    As in nanoGPT, the first 90% of the text is the training split and the last 10% the test
    split; the vocabulary (69 characters) is that of the whole text, so both splits share it.

    Args:
        root: ignored (the text ships inside the package); accepted for torchvision's
            signature.
        train: the first 90% of the text if True, else the last 10%.
        block_size: the window length; see :class:`CharDataset`.
        stride: see :class:`CharDataset` (default 1: every window).
        download: ignored (nothing to download).

    Example::

        >>> from autograd_engine.datasets import ShakespeareChar
        >>> train = ShakespeareChar(train=True, block_size=64)
        >>> x, y = train[0]                  # (64,) int64 ids; train.decode(x) is text
    """

    #: the fraction of the text in the training split (nanoGPT's)
    train_fraction = 0.9

    def __init__(
        self,
        root=None,
        train: bool = True,
        block_size: int = 64,
        stride: int = 1,
        download: bool = False,
    ):
        text = load_shakespeare()
        vocab = sorted(set(text))
        cut = int(len(text) * self.train_fraction)
        part = text[:cut] if train else text[cut:]
        super().__init__(part, block_size, vocab=vocab, stride=stride)
        self.root, self.train = root, train
