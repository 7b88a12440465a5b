"""Classification metrics: ``accuracy`` and ``confusion_matrix``."""

from __future__ import annotations

import numpy as np

__all__ = ["accuracy", "confusion_matrix"]


def _labels(x, name: str) -> np.ndarray:
    array = x.numpy() if hasattr(x, "numpy") and not isinstance(x, np.ndarray) else np.asarray(x)
    if array.ndim == 2:  # scores or logits (N, C): the predicted class is the largest
        array = array.argmax(axis=1)
    if array.ndim != 1:
        raise ValueError(
            f"{name} should be class labels of shape (N,) or scores of shape (N, C), "
            f"got shape {array.shape}"
        )
    if array.dtype.kind == "f":
        if not np.all(array == np.round(array)):
            raise ValueError(f"{name} of shape (N,) should hold integer class labels")
    return array.astype(np.int64)


def accuracy(output, target) -> float:
    """The fraction of samples whose predicted class equals ``target``.

    ``output`` is either the scores/logits ``(N, C)`` (the prediction is their argmax) or
    predicted labels ``(N,)``; ``target`` holds the true labels ``(N,)``. Tensors or arrays.
    Matches ``torchmetrics.functional.accuracy(..., task="multiclass", average="micro")``.

    Example::

        >>> accuracy(ag.tensor([[2.0, 1.0], [0.0, 3.0]]), ag.tensor([0, 0]))
        0.5
    """
    pred, true = _labels(output, "output"), _labels(target, "target")
    if pred.shape != true.shape:
        raise ValueError(
            f"accuracy: output gives {pred.shape[0]} predictions but target has "
            f"{true.shape[0]} labels"
        )
    if pred.size == 0:
        raise ValueError("accuracy of an empty batch is undefined")
    return float((pred == true).mean())


def confusion_matrix(output, target, num_classes: int | None = None) -> np.ndarray:
    """Counts ``C[i, j]`` of samples of true class ``i`` predicted as class ``j``.

    ``output`` is scores ``(N, C)`` or predicted labels ``(N,)``, ``target`` the true labels;
    ``num_classes`` defaults to the number of columns of ``output`` or one more than the
    largest label seen. Returns an int64 NumPy array ``(num_classes, num_classes)``; rows
    are true classes as in ``torchmetrics`` and scikit-learn.
    """
    pred, true = _labels(output, "output"), _labels(target, "target")
    if pred.shape != true.shape:
        raise ValueError(
            f"confusion_matrix: output gives {pred.shape[0]} predictions but target has "
            f"{true.shape[0]} labels"
        )
    if num_classes is None:
        shape = np.shape(output.numpy() if hasattr(output, "numpy") else output)
        seen = int(max(pred.max(initial=-1), true.max(initial=-1))) + 1
        num_classes = max(seen, shape[1] if len(shape) == 2 else 0)
    if pred.size and (
        min(pred.min(), true.min()) < 0 or max(pred.max(), true.max()) >= num_classes
    ):
        raise ValueError(f"confusion_matrix: labels must lie in [0, {num_classes})")
    flat = np.bincount(true * num_classes + pred, minlength=num_classes * num_classes)
    return flat.reshape(num_classes, num_classes).astype(np.int64)
