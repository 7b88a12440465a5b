"""What the training command builds for a text dataset (``--dataset shakespeare-char``): the
character windows of each split, drawn at random for training and cut into windows that do
not overlap for evaluation, and the ``--model gpt`` language model."""

from __future__ import annotations

import autograd_engine as ag
from autograd_engine.training.config import RunConfig
from autograd_engine.utils.data import DataLoader, RandomSampler

__all__ = ["TEXT_DATASETS", "build_text_data", "build_gpt", "TokenCrossEntropy"]

TEXT_DATASETS = ("shakespeare-char",)


def _dataset_class(name: str):
    from autograd_engine import datasets

    return {"shakespeare-char": datasets.ShakespeareChar}[name]


def build_text_data(config: RunConfig, dev):
    """Loaders over character windows of ``config.block_size``.

    The training split is the first 90% of the text (the last 10% is the test split). With
    ``--val-split F`` the last fraction F of the training text is held out as the validation
    text: a contiguous piece, so no training window overlaps a validation one. A training
    "epoch" is ``--eval-interval`` batches of windows drawn at random (with replacement, as
    nanoGPT does) from ``generator``; validation and test cut their text into windows that
    do not overlap, so every character is predicted once, with 1 to ``block_size`` characters
    of context.
    """
    from autograd_engine.datasets import CharDataset
    from autograd_engine.training._build import Data, RunError

    cls = _dataset_class(config.dataset)
    block = config.block_size
    train_full = cls(train=True, block_size=block)
    test_full = cls(train=False, block_size=block)
    vocab = train_full.vocab
    ids = train_full.data
    n_val = int(round(len(ids) * config.val_split))
    if config.overfit_batch:
        n_val = 0
    if n_val and (n_val < block + 1 or len(ids) - n_val < block + 1):
        raise RunError(
            f"--val-split {config.val_split} leaves no {block}-character window for training or "
            "validation"
        )
    train_ids = ids[: len(ids) - n_val] if n_val else ids
    train_ds = CharDataset(train_ids, block, vocab)
    gen = ag.Generator().manual_seed(config.seed)
    if config.overfit_batch:
        train_ds = CharDataset(train_ids[: config.overfit_batch * block + 1], block, vocab,
                               stride=block)  # fmt: skip
        train = DataLoader(train_ds, len(train_ds))
    else:
        draws = config.eval_interval * config.batch_size
        sampler = RandomSampler(train_ds, replacement=True, num_samples=draws, generator=gen)
        train = DataLoader(train_ds, config.batch_size, sampler=sampler, device=dev)
    val = None
    if n_val:
        val_ds = CharDataset(ids[len(ids) - n_val :], block, vocab, stride=block)
        val = DataLoader(val_ds, config.eval_batch_size, device=dev)
    test_ds = CharDataset(test_full.data, block, vocab, stride=block)
    test = DataLoader(test_ds, config.eval_batch_size, device=dev)
    sizes = (len(train_ids), n_val, len(test_full.data))
    return Data(train, val, test, (block,), len(vocab), gen, vocab=vocab, text_sizes=sizes)


def build_gpt(config: RunConfig, vocab_size: int):
    """The ``--model gpt`` network for ``vocab_size`` tokens (nanoGPT's initialization)."""
    from autograd_engine.training.gpt import GPT

    return GPT(
        vocab_size,
        block_size=config.block_size,
        n_layer=config.n_layer,
        n_head=config.n_head,
        n_embd=config.n_embd,
        dropout=config.dropout,
    )


class TokenCrossEntropy:
    """Cross-entropy of logits ``(B, T, V)`` against targets ``(B, T)``, averaged over all
    ``B * T`` tokens (what ``F.cross_entropy`` gives on the flattened tensors)."""

    def __init__(self):
        import nn

        self.loss = nn.CrossEntropyLoss()

    def __call__(self, logits, targets):
        return self.loss(logits.flatten(0, -2), targets.flatten())


def text_gemm(config: RunConfig) -> int:
    """Multiply-adds of the largest matrix product of a GPT training step (the MLP's)."""
    rows = config.batch_size * config.block_size
    return int(rows * config.n_embd * 4 * config.n_embd)
