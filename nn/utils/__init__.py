"""``nn.utils`` (``torch.nn.utils``): gradient clipping, parameter/vector conversion,
``nn.utils.rnn`` (packed sequences), ``nn.utils.parametrize`` and ``parametrizations``
(weight and spectral norm as parametrizations) and the hook-based ``weight_norm`` and
``spectral_norm``."""

from . import parametrizations, parametrize, rnn
from .clip_grad import clip_grad_norm_, clip_grad_value_, get_total_norm
from .convert_parameters import parameters_to_vector, vector_to_parameters
from .spectral_norm import remove_spectral_norm, spectral_norm
from .weight_norm import remove_weight_norm, weight_norm
