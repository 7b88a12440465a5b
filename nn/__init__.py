"""``nn`` (``torch.nn``): ``Module`` and ``Parameter``, the layers, activations and losses,
the containers, plus ``nn.functional``, ``nn.init``, ``nn.utils`` and the Keras-style
``nn.summary``.

Example::

    import autograd_engine as ag
    import nn
    import nn.functional as F

    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    loss = F.cross_entropy(model(x), y)
"""

from . import attention, functional, init, parallel, utils
from .modules import *  # noqa: F403
from .modules import Module, RemovableHandle
from .parallel import DataParallel
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
from .summary import ModelSummary, summary
