"""What the training command builds from its options: the data loaders, the model, the
optimizer (weight decay on weights only) and the learning-rate scheduler."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import autograd_engine as ag
from autograd_engine.training.config import DEFAULT_GAMMA, DEFAULT_LR, RunConfig
from autograd_engine.utils.data import DataLoader, Subset, TensorDataset

__all__ = [
    "RunError",
    "Data",
    "resolve_device",
    "build_data",
    "build_model",
    "build_optimizer",
    "build_scheduler",
    "decayed_parameters",
]


class RunError(Exception):
    """A problem with the command's options or files; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 2):
        super().__init__(message)
        self.code = code


@dataclass
class Data:
    train: DataLoader
    val: DataLoader | None
    test: DataLoader
    in_shape: tuple
    num_classes: int
    loader_generator: object
    note: str | None = None  # what the loaders changed, e.g. a dropped last batch
    vocab: list | None = None  # a text dataset's characters (class i is vocab[i])
    text_sizes: tuple | None = None  # a text dataset's characters: (train, validation, test)


def resolve_device(name: str):
    if name.startswith("cuda") and not ag.cuda.is_available():
        raise RunError(
            f"--device {name} was requested but no CUDA GPU is available (CuPy is not "
            "installed or sees no GPU). Install the GPU extra on a machine with an NVIDIA GPU, "
            "or use --device cpu.",
            code=1,
        )
    return ag.device(name)


def _dataset_class(name: str):
    from autograd_engine import datasets

    return {
        "digits": datasets.Digits,
        "mnist": datasets.MNIST,
        "fashion-mnist": datasets.FashionMNIST,
        "cifar10": datasets.CIFAR10,
    }[name]


def _augmentation(config: RunConfig, cls, image_size: int):
    from autograd_engine.datasets import transforms as T

    steps = []
    if config.augment:
        steps.append(T.RandomCrop(image_size, padding=max(1, image_size // 8)))
        if config.dataset == "cifar10":
            steps.append(T.RandomHorizontalFlip())
    if config.noise:
        steps.append(T.GaussianNoise(0.0, config.noise))
    return steps


def _materialize(dataset, indices, normalize, dev) -> TensorDataset:
    """The (normalized) images at ``indices`` as one TensorDataset on ``dev``."""
    images, targets = dataset._batch(np.asarray(indices, dtype=np.int64))
    images = normalize(images.numpy())
    return TensorDataset(ag.from_numpy(images).to(dev), targets.to(dev))


def build_data(config: RunConfig, dev) -> Data:
    """Train/validation/test loaders for ``config.dataset``.

    Evaluation data never gets a random transform: only the training subset is augmented.
    Without augmentation the normalized images are put on the device once, as TensorDatasets.
    """
    from autograd_engine.datasets import transforms as T
    from autograd_engine.training._text import TEXT_DATASETS, build_text_data

    if config.dataset in TEXT_DATASETS:
        return build_text_data(config, dev)
    cls = _dataset_class(config.dataset)
    root = config.data_dir
    if config.dataset != "digits" and root is None:
        raise RunError(f"--dataset {config.dataset} needs --data-dir, the folder holding its files")
    try:
        train_full = cls(root, train=True)
        test_set = cls(root, train=False)
    except (FileNotFoundError, RuntimeError, ValueError) as exc:
        raise RunError(f"--dataset {config.dataset} --data-dir {root}: {exc}", code=1) from exc
    normalize = T.Normalize(cls.mean, cls.std)
    n = len(train_full)
    in_shape = tuple(train_full[0][0].shape)
    num_classes = len(cls.classes)

    order = np.arange(n)
    if config.overfit_batch:
        train_idx, val_idx = order[: config.overfit_batch], []
    elif config.val_split > 0:
        perm = ag.randperm(n, generator=ag.Generator().manual_seed(config.seed)).numpy()
        n_val = int(round(n * config.val_split))
        if n_val < 1 or n_val >= n:
            raise RunError(f"--val-split {config.val_split} leaves no training or validation data")
        val_idx, train_idx = np.sort(perm[:n_val]), np.sort(perm[n_val:])
    else:
        train_idx, val_idx = order, []

    gen = ag.Generator().manual_seed(config.seed)
    batch_size = config.overfit_batch or config.batch_size
    # NOTE: BatchNorm1d cannot normalize one sample in training mode (PyTorch raises), so a
    # last batch of one is dropped, as PyTorch users do with drop_last=True. Only that case:
    # a larger partial batch is kept. BatchNorm2d normalizes over N*H*W values and copes.
    drop_last = config.batchnorm and config.model == "mlp" and len(train_idx) % batch_size == 1
    note = None
    if drop_last:
        note = (
            f"note: with --batchnorm, the last training batch of each epoch would hold 1 sample "
            f"({len(train_idx)} = {len(train_idx) // batch_size} x {batch_size} + 1), which "
            "BatchNorm1d cannot normalize; it is dropped (a different sample each epoch, as "
            "the data is shuffled). Another --batch-size keeps every sample."
        )
    augment = _augmentation(config, cls, in_shape[-1])
    if augment and not config.overfit_batch:
        train_ds = cls(root, train=True, transform=T.Compose([*augment, normalize]))
        train_ds = Subset(train_ds, train_idx.tolist())
        train = DataLoader(train_ds, batch_size, shuffle=True, generator=gen, device=dev,
                           drop_last=drop_last)  # fmt: skip
    else:
        train_ds = _materialize(train_full, train_idx, normalize, dev)
        train = DataLoader(train_ds, batch_size, shuffle=not config.overfit_batch, generator=gen,
                           drop_last=drop_last)  # fmt: skip
    val = None
    if len(val_idx):
        val = DataLoader(_materialize(train_full, val_idx, normalize, dev), config.eval_batch_size)
    test_ds = _materialize(test_set, np.arange(len(test_set)), normalize, dev)
    test = DataLoader(test_ds, config.eval_batch_size)
    return Data(train, val, test, in_shape, num_classes, gen, note)


def build_model(config: RunConfig, in_shape: tuple, num_classes: int):
    """The ``--model`` network (an ``nn.Sequential``; a ``GPT`` for ``--model gpt``) for
    inputs of ``in_shape``."""
    import nn

    config = config.resolved()
    if config.model == "gpt":
        from autograd_engine.training._text import build_gpt

        return build_gpt(config, num_classes)
    hidden = list(config.hidden)
    layers: list = []
    if config.model == "mlp":
        layers.append(nn.Flatten())
        width = int(np.prod(in_shape))
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if config.batchnorm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(nn.ReLU())
            if config.dropout:
                layers.append(nn.Dropout(config.dropout))
            width = h
        layers.append(nn.Linear(width, num_classes))
    else:
        channels, size = in_shape[0], in_shape[-1]
        # Two blocks of conv 3x3 (same padding) -> [batchnorm] -> ReLU -> max-pool 2x2.
        for out_ch in (32, 64):
            layers.append(nn.Conv2d(channels, out_ch, 3, padding=1, bias=not config.batchnorm))
            if config.batchnorm:
                layers.append(nn.BatchNorm2d(out_ch))
            layers.append(nn.ReLU())
            layers.append(nn.MaxPool2d(2))
            channels, size = out_ch, size // 2
        layers.append(nn.Flatten())
        width = channels * size * size
        for h in hidden:
            if config.dropout:
                layers.append(nn.Dropout(config.dropout))
            layers.append(nn.Linear(width, h))
            layers.append(nn.ReLU())
            width = h
        if config.dropout:
            layers.append(nn.Dropout(config.dropout))
        layers.append(nn.Linear(width, num_classes))
    model = nn.Sequential(*layers)
    for module in model.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            if config.init == "he":
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            else:
                nn.init.xavier_uniform_(module.weight)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
    return model


def decayed_parameters(model):
    """(weights, rest): weight decay and L1 apply to weights, never to biases or norms."""
    decay, rest = [], []
    for _, p in model.named_parameters():
        (decay if p.ndim > 1 else rest).append(p)
    return decay, rest


def build_optimizer(config: RunConfig, model):
    import optim

    lr = config.lr if config.lr is not None else DEFAULT_LR[config.optimizer]
    decay, rest = decayed_parameters(model)
    groups = [{"params": decay, "weight_decay": config.weight_decay}]
    if rest:
        groups.append({"params": rest, "weight_decay": 0.0})
    kind = config.optimizer
    if kind == "sgd":
        return optim.SGD(groups, lr=lr)
    if kind in ("momentum", "nesterov"):
        return optim.SGD(groups, lr=lr, momentum=0.9, nesterov=kind == "nesterov")
    cls = {
        "adagrad": optim.Adagrad,
        "rmsprop": optim.RMSprop,
        "adam": optim.Adam,
        "adamw": optim.AdamW,
        "nadam": optim.NAdam,
        "adamax": optim.Adamax,
    }[kind]
    return cls(groups, lr=lr)


def build_scheduler(config: RunConfig, optimizer, steps_per_epoch: int, epochs: int):
    """The scheduler and whether it steps per batch (OneCycle) rather than per epoch."""
    from optim import lr_scheduler as S

    kind = config.scheduler
    gamma = config.gamma if config.gamma is not None else DEFAULT_GAMMA.get(kind)
    if kind == "none":
        return None, False
    if kind == "step":
        step_size = config.step_size or max(1, epochs // 3)
        return S.StepLR(optimizer, step_size=step_size, gamma=gamma), False
    if kind == "exponential":
        return S.ExponentialLR(optimizer, gamma=gamma), False
    if kind == "power":
        return S.PowerLR(optimizer, r=config.power_r, c=config.power_c), False
    if kind == "plateau":
        return S.ReduceLROnPlateau(optimizer, factor=gamma, patience=config.plateau_patience), False
    if kind == "cosine":
        return S.CosineAnnealingLR(optimizer, T_max=epochs), False
    if kind == "onecycle":
        max_lr = optimizer.param_groups[0]["lr"]
        total = max(1, epochs * steps_per_epoch)
        return S.OneCycleLR(optimizer, max_lr=max_lr, total_steps=total), True
    raise RunError(f"unknown scheduler {kind!r}")
