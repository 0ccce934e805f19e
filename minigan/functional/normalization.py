"""Batch normalisation: its formula forward and backward, with an optional fused kernel."""

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
        grads = kernel(gy.data, x.data, self.batch_mean, self.batch_var, w.data, self.eps)
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
        scale = weight * Tensor(1 / xp.sqrt(running_var.data + x.dtype.type(eps)))
        shift = bias - Tensor(running_mean.data) * scale
        return x * scale.reshape(_channel_shape(x)) + shift.reshape(_channel_shape(x))
    count = x.size // channels
    if count < 2:
        raise ValueError(f"batch_norm in training needs more than one value per channel, "
                         f"got input shape {x.shape}")
    op = BatchNormTrain(eps)
    y = op(x, weight, bias)
    if running_mean is not None:
        m = x.dtype.type(momentum)
        running_mean.data *= 1 - m
        running_mean.data += m * op.batch_mean.astype(x.dtype)
        running_var.data *= 1 - m
        running_var.data += m * (op.batch_var * (count / (count - 1))).astype(x.dtype)
    return y
