"""``autograd_engine.backends.cudnn`` (``torch.backends.cudnn``): PyTorch's flags, kept so that
programs that set them run unchanged.

NOTE: this engine does not call cuDNN. Convolutions are im2col + matmul, so
``backends.cuda.matmul.allow_tf32`` is the flag that governs TF32 in them; ``benchmark``,
``deterministic`` and ``enabled`` have no effect (the convolutions are deterministic).
"""

from __future__ import annotations

__all__ = ["allow_tf32", "benchmark", "deterministic", "enabled", "is_available", "version"]

allow_tf32 = True  # PyTorch's default; no effect here (see above)
benchmark = False
deterministic = False
enabled = True


def is_available() -> bool:
    """False: cuDNN is not used by this engine (``torch.backends.cudnn.is_available``)."""
    return False


def version() -> None:
    """None, as PyTorch reports when cuDNN is not available."""
    return None
