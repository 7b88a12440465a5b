"""Character-level text: ``CharDataset`` windows, encode/decode, batches through the
DataLoader, and the bundled ``ShakespeareChar`` text and its splits."""

from __future__ import annotations

import numpy as np
import pytest

import autograd_engine as ag
from autograd_engine.datasets import CharDataset, ShakespeareChar
from autograd_engine.datasets.text import decode, encode, load_shakespeare
from autograd_engine.utils.data import DataLoader


def test_windows_and_their_next_characters():
    ds = CharDataset("hello world", block_size=4)
    assert ds.vocab == sorted(set("hello world"))
    assert len(ds) == 11 - 4
    x, y = ds[0]
    assert (ds.decode(x), ds.decode(y)) == ("hell", "ello")
    x, y = ds[len(ds) - 1]
    assert (ds.decode(x), ds.decode(y)) == ("worl", "orld")
    x, y = ds[-1]
    assert ds.decode(y) == "orld"
    with pytest.raises(IndexError, match="out of range for a dataset of 7 windows"):
        ds[7]


def test_stride_cuts_windows_that_do_not_overlap():
    ds = CharDataset("abcdefghij", block_size=3, stride=3)
    assert len(ds) == 3  # abc|def|ghi, each with its next characters (j ends the last)
    assert [ds.decode(ds[i][0]) for i in range(3)] == ["abc", "def", "ghi"]
    assert ds.decode(ds[2][1]) == "hij"


def test_batches_through_the_dataloader_fast_path():
    ds = CharDataset("the quick brown fox jumps over the lazy dog", block_size=5)
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert tuple(x.shape) == (4, 5) and x.dtype == ag.int64
    for i in range(4):
        np.testing.assert_array_equal(x.numpy()[i], ds[i][0])
        np.testing.assert_array_equal(y.numpy()[i], ds[i][1])


def test_encode_decode_and_unknown_characters():
    vocab = list("\n abc")
    ids = encode("ab c\n", vocab)
    np.testing.assert_array_equal(ids, [2, 3, 1, 4, 0])
    assert decode(ids, vocab) == "ab c\n"
    assert encode("é", ["é", "a"]).tolist() == [0]  # non-ASCII vocabularies work too
    with pytest.raises(ValueError, match=r"characters 'xz' are not in the vocabulary of 5"):
        encode("axbz", vocab)


def test_bad_arguments():
    with pytest.raises(ValueError, match="holds no window of 8 characters"):
        CharDataset("short", block_size=8)
    with pytest.raises(ValueError, match="give vocab= with character ids"):
        CharDataset(np.arange(10), block_size=2)
    with pytest.raises(ValueError, match="must be positive"):
        CharDataset("abcdef", block_size=2, stride=0)


def test_shakespeare_is_bundled_with_nanogpts_split():
    text = load_shakespeare()
    assert len(text) == 1_179_892 and text.isascii()
    assert text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.")
    train, test = ShakespeareChar(train=True), ShakespeareChar(train=False)
    assert train.vocab == test.vocab == sorted(set(text)) and len(train.vocab) == 69
    cut = int(len(text) * 0.9)
    assert len(train.data) == cut and len(test.data) == len(text) - cut
    assert train.decode(train.data[:14]) == "First Citizen:"
    assert test.decode(test.data[:50]) == text[cut : cut + 50]
    x, y = train[0]
    assert x.shape == (64,) and train.decode(y[-1:]) == text[64]
    assert "ShakespeareChar" in repr(train) and "69 distinct" in repr(train)
