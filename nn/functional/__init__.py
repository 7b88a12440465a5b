"""``nn.functional`` (``torch.nn.functional``): the functional form of every layer, activation
and loss: ``import nn.functional as F``. Convolution, pooling and normalization are the
engine's ops, re-exported here under PyTorch's names."""

from autograd_engine.ops.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from autograd_engine.ops.normalization import batch_norm, group_norm, instance_norm, layer_norm
from autograd_engine.ops.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)

from .activation import (
    celu,
    elu,
    gelu,
    glu,
    hardsigmoid,
    hardswish,
    hardtanh,
    leaky_relu,
    log_softmax,
    logsigmoid,
    mish,
    prelu,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softsign,
    tanh,
    tanhshrink,
    threshold,
)
from .attention import multi_head_attention_forward, scaled_dot_product_attention
from .distance import cosine_similarity, pairwise_distance
from .layers import (
    bilinear,
    dropout,
    dropout1d,
    dropout2d,
    embedding,
    linear,
    maxout,
    normalize,
    one_hot,
    pad,
)
from .loss import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    huber_loss,
    kl_div,
    l1_loss,
    mse_loss,
    multi_margin_loss,
    nll_loss,
    smooth_l1_loss,
)
from .vision import fold, interpolate, pixel_shuffle, pixel_unshuffle, unfold, upsample
