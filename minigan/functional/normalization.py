"""Normalisation: batch norm (its formula forward and backward, with an optional fused
kernel), and layer, group and instance norm with PyTorch's definitions.

Layer, group and instance norm each normalise x over some axes, (x - mean) / sqrt(var + eps)
with the biased variance, then scale and shift per channel (or per element, for layer norm).
They are compositions of minigan ops, so their gradients and second derivatives come from
those ops' backwards.
"""

from ..tensor import Function, Tensor, is_grad_enabled
from . import fused


def _stat_axes(x):
    return (0,) + tuple(range(2, x.ndim))  # every axis but the channels'


def _channel_shape(x):
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


class BatchNormTrain(Function):
    """y = (x - mean) / sqrt(var + eps) * w + b with the batch's own mean and variance."""

    def __init__(self, eps):
        self.eps = eps

    @staticmethod
    def formula(xp, x, w, b, eps):
        """(y, mean, biased variance). The statistics stay in float64: the backward subtracts
        nearly equal terms, and float32 statistics would cost it three digits."""
        axes, shape = _stat_axes(x), _channel_shape(x)
        mean, var = x.mean(axis=axes, dtype="float64"), x.var(axis=axes, dtype="float64")
        scale = w / xp.sqrt(var + eps)
        shift = b - mean * scale
        return (x * scale.astype(x.dtype).reshape(shape) + shift.astype(x.dtype).reshape(shape),
                mean, var)

    @staticmethod
    def backward_formula(gy, x, w, eps, need=(True, True, True)):
        """(gx, gw, gb) in minigan ops, recomputing xhat from x, so that the backward pass is
        itself differentiable (create_graph=True)."""
        axes, shape = _stat_axes(x), _channel_shape(x)
        centred = x - x.mean(axis=axes, keepdims=True)
        invstd = ((centred * centred).mean(axis=axes, keepdims=True) + eps) ** -0.5
        xhat = centred * invstd
        gx = gw = gb = None
        if need[0]:
            g = gy * w.reshape(shape)
            gx = invstd * (g - g.mean(axis=axes, keepdims=True)
                           - xhat * (g * xhat).mean(axis=axes, keepdims=True))
        if need[1]:
            gw = (gy * xhat).sum(axis=axes)
        if need[2]:
            gb = gy.sum(axis=axes)
        return gx, gw, gb

    def forward(self, x, w, b):
        kernel = fused.kernel(self.backend, "batch_norm_forward")
        y, self.batch_mean, self.batch_var = (kernel(x, w, b, self.eps) if kernel else
                                              self.formula(self.xp, x, w, b, self.eps))
        return y

    def backward(self, gy):
        # dx = w invstd (gy - mean(gy) - xhat mean(gy xhat)), dw = sum(gy xhat), db = sum(gy)
        x, w, _ = self.inputs
        kernel = fused.kernel(self.backend, "batch_norm_backward")
        if kernel is None or is_grad_enabled():
            return self.backward_formula(gy, x, w, self.eps, self.needs_input_grad)
        grads = kernel(gy.array, x.array, self.batch_mean, self.batch_var, w.array, self.eps)
        return tuple(Tensor(g) if need else None for g, need in zip(grads, self.needs_input_grad))


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation over every axis but axis 1 (the channels), as PyTorch's.

    In training it normalises with the batch's statistics and updates running_mean and
    running_var in place (running_var with the unbiased variance); in evaluation it uses them.
    """
    if x.ndim < 2:
        raise ValueError(f"batch_norm needs (N, C, ...) input, got shape {x.shape}")
    xp = x.backend.xp
    channels = x.shape[1]
    if weight is None:
        weight = Tensor(xp.ones(channels, dtype=x.dtype))
    if bias is None:
        bias = Tensor(xp.zeros(channels, dtype=x.dtype))
    if not training:
        if running_mean is None:
            raise ValueError("batch_norm in evaluation needs running_mean and running_var")
        scale = weight * Tensor(1 / xp.sqrt(running_var.array + x.dtype.type(eps)))
        shift = bias - Tensor(running_mean.array) * scale
        return x * scale.reshape(_channel_shape(x)) + shift.reshape(_channel_shape(x))
    count = x.numel() // channels
    if count < 2:
        raise ValueError(f"batch_norm in training needs more than one value per channel, "
                         f"got input shape {x.shape}")
    op = BatchNormTrain(eps)
    y = op(x, weight, bias)
    if running_mean is not None:
        m = x.dtype.type(momentum)
        running_mean.array *= 1 - m
        running_mean.array += m * op.batch_mean.astype(x.dtype)
        running_var.array *= 1 - m
        running_var.array += m * (op.batch_var * (count / (count - 1))).astype(x.dtype)
    return y


# -- layer, group and instance normalisation --------------------------------------------------
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
        scale = Tensor(1 / x.backend.xp.sqrt(running_var.array + eps))
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
