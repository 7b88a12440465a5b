"""TensorBoard logging (``torch.utils.tensorboard``): ``SummaryWriter`` writes event files
through the ``tensorboard`` package (the optional extra: ``pip install -e '.[tensorboard]'``)."""

try:
    import tensorboard  # noqa: F401
except ImportError as exc:
    raise ImportError(
        "autograd_engine.utils.tensorboard needs the tensorboard package: install it with "
        "pip install -e '.[tensorboard]' in the checkout (or pip install tensorboard)."
    ) from exc

from autograd_engine.utils.tensorboard.writer import SummaryWriter

__all__ = ["SummaryWriter"]
