"""The ``generate`` command: text sampled from a ``--model gpt`` checkpoint of the training
command (nanoGPT's ``sample.py``)."""

from __future__ import annotations

import autograd_engine as ag
from autograd_engine.serialization import load
from autograd_engine.training._build import RunError, resolve_device
from autograd_engine.training.config import RunConfig

__all__ = ["load_gpt", "generate_text"]


def load_gpt(path: str, device: str = "cpu"):
    """``(model, vocab, config)`` of a checkpoint written by ``train --model gpt
    --checkpoint PATH``; the model is in eval mode on ``device``."""
    from autograd_engine.training._text import build_gpt

    dev = resolve_device(device)
    try:
        ckpt = load(path, map_location=dev)
    except (FileNotFoundError, RuntimeError) as exc:
        raise RunError(f"--checkpoint: {exc}", code=1) from exc
    if not isinstance(ckpt, dict) or "config" not in ckpt or "model" not in ckpt:
        raise RunError(f"--checkpoint {path}: not a checkpoint of the training command", code=1)
    try:
        config = RunConfig.from_dict(ckpt["config"]).resolved()
    except ValueError as exc:
        raise RunError(f"--checkpoint {path}: the checkpoint's options are invalid: {exc}") from exc
    if config.model != "gpt" or not ckpt.get("vocab"):
        raise RunError(
            f"--checkpoint {path}: written by a --model {config.model} run on --dataset "
            f"{config.dataset}; generate needs a --model gpt checkpoint (train one with: python "
            "-m autograd_engine train --dataset shakespeare-char --model gpt --checkpoint "
            f"{path})",
            code=1,
        )
    vocab = list(ckpt["vocab"])
    model = build_gpt(config, len(vocab)).to(dev)
    model.load_state_dict(ckpt["model"])
    model.eval()
    return model, vocab, config


def generate_text(
    path: str,
    prompt: str = "\n",
    max_new_tokens: int = 500,
    temperature: float = 0.8,
    top_k: int | None = 200,
    num_samples: int = 1,
    seed: int = 0,
    device: str = "cpu",
    threads: int = 1,
) -> list[str]:
    """``num_samples`` texts, each ``prompt`` followed by ``max_new_tokens`` sampled
    characters, from the GPT checkpoint at ``path`` (seeded: the same call gives the same
    text). ``threads``: BLAS threads (one suits the small products of sampling, see
    ``docs/training.md``, "BLAS threads")."""
    from autograd_engine.datasets.text import decode, encode
    from autograd_engine.training._threads import blas_threads

    model, vocab, _ = load_gpt(path, device)
    if not prompt:
        raise RunError("--prompt: give at least one character (the default is a newline)")
    try:
        ids = encode(prompt, vocab)
    except ValueError as exc:
        raise RunError(f"--prompt: {exc}") from exc
    gen = ag.Generator(device=model.lm_head.weight.device).manual_seed(seed)
    idx = ag.tensor(ids[None, :].repeat(num_samples, axis=0), device=model.lm_head.weight.device)
    with blas_threads(threads):
        out = model.generate(
            idx, max_new_tokens, temperature=temperature, top_k=top_k, generator=gen
        )
    return [decode(row, vocab) for row in out.numpy()]
