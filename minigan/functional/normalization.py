"""Layer, group and instance normalisation, with PyTorch's definitions.

Each normalises x over some axes, (x - mean) / sqrt(var + eps) with the biased variance, then
scales and shifts per channel (or per element, for layer norm). They are compositions of
minigan ops, so their gradients and second derivatives come from those ops' backwards.
"""

from .. import backend
from ..tensor import Tensor


def _normalize(x, axes, eps):
    """(x - mean) / sqrt(var + eps) over `axes`, the variance biased (divided by n)."""
    centred = x - x.mean(axis=axes, keepdims=True)
    variance = (centred * centred).mean(axis=axes, keepdims=True)
    return centred * (variance + eps) ** -0.5


def _channel_affine(y, weight, bias):
    shape = (1, y.shape[1]) + (1,) * (y.ndim - 2)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last len(normalized_shape) axes; weight and bias have that shape."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) \
        else tuple(normalized_shape)
    count = len(normalized_shape)
    if tuple(x.shape[x.ndim - count:]) != normalized_shape:
        raise ValueError(f"layer_norm over {normalized_shape} needs input ending in those "
                         f"sizes, got shape {x.shape}")
    y = _normalize(x, tuple(range(x.ndim - count, x.ndim)), eps)
    if weight is not None:
        y = y * weight
    return y + bias if bias is not None else y


def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise (N, C, ...) over each group of C / num_groups channels and the spatial axes."""
    N, C = x.shape[:2]
    if C % num_groups:
        raise ValueError(f"group_norm: {C} channels do not split into {num_groups} groups")
    grouped = x.reshape((N, num_groups, -1))
    y = _normalize(grouped, (2,), eps).reshape(x.shape)
    return _channel_affine(y, weight, bias)


def instance_norm(x, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalise each (sample, channel) plane of (N, C, ...) over its own spatial axes.

    With running statistics and use_input_stats=True they are updated in place (their mean over
    the batch, the variance unbiased), as PyTorch does; use_input_stats=False uses them.
    """
    if x.ndim < 3:
        raise ValueError(f"instance_norm needs (N, C, ...) input with spatial axes, got shape "
                         f"{x.shape}")
    axes = tuple(range(2, x.ndim))
    if not use_input_stats:
        if running_mean is None:
            raise ValueError("instance_norm without input statistics needs running_mean and "
                             "running_var")
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        scale = Tensor(1 / backend.of(x.array).xp.sqrt(running_var.array + eps))
        y = (x - Tensor(running_mean.array).reshape(shape)) * scale.reshape(shape)
        return _channel_affine(y, weight, bias)
    if running_mean is not None:
        _update_running_stats(x, axes, running_mean, running_var, momentum)
    return _channel_affine(_normalize(x, axes, eps), weight, bias)


def _update_running_stats(x, axes, running_mean, running_var, momentum):
    count = 1
    for a in axes:
        count *= x.shape[a]
    values = x.array
    mean = values.mean(axis=axes).mean(axis=0)
    var = values.var(axis=axes, ddof=1 if count > 1 else 0).mean(axis=0)
    m = values.dtype.type(momentum)
    running_mean.array *= 1 - m
    running_mean.array += m * mean.astype(values.dtype)
    running_var.array *= 1 - m
    running_var.array += m * var.astype(values.dtype)
