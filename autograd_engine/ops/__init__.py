"""The differentiable operations, one node class each, grouped by family."""

from .activation import *  # noqa: F403
from .arith import *  # noqa: F403
from .arrange import *  # noqa: F403
from .attention import *  # noqa: F403
from .conv import *  # noqa: F403
from .decomp import *  # noqa: F403
from .fold import *  # noqa: F403
from .index import *  # noqa: F403
from .inplace import *  # noqa: F403
from .linalg import *  # noqa: F403
from .logic import *  # noqa: F403
from .loss import *  # noqa: F403
from .matrix import *  # noqa: F403
from .normalization import *  # noqa: F403
from .ordering import *  # noqa: F403
from .pool import *  # noqa: F403
from .random import *  # noqa: F403
from .reduce import *  # noqa: F403
from .rnn import *  # noqa: F403
from .scan import *  # noqa: F403
from .shape import *  # noqa: F403
from .special import *  # noqa: F403
from .stats import *  # noqa: F403
from .stochastic import *  # noqa: F403
from .unary import *  # noqa: F403
