"""Training helpers that PyTorch leaves to other libraries: ``save``/``load`` of
checkpoints, ``EarlyStopping``, the learning-rate range test ``lr_find``, random and grid
``search``, the metrics ``accuracy`` and ``confusion_matrix``, and the training command's
run as a function: ``train(RunConfig(...))``."""

from autograd_engine.serialization import CheckpointError, load, save  # moved to the core
from autograd_engine.training._loop import Trainer, train
from autograd_engine.training.config import RunConfig
from autograd_engine.training.early_stopping import EarlyStopping
from autograd_engine.training.lr_finder import LRFindResult, lr_find
from autograd_engine.training.metrics import accuracy, confusion_matrix
from autograd_engine.training.search import (
    SearchResult,
    choice,
    loguniform,
    randint,
    search,
    uniform,
)

__all__ = [
    "CheckpointError",
    "EarlyStopping",
    "LRFindResult",
    "RunConfig",
    "SearchResult",
    "Trainer",
    "accuracy",
    "choice",
    "confusion_matrix",
    "load",
    "loguniform",
    "lr_find",
    "randint",
    "save",
    "search",
    "train",
    "uniform",
]
