"""Losses, each with PyTorch's `reduction` ("mean", "sum" or "none").

They are compositions of differentiable ops, so their gradients (and second derivatives) come
from the ops' own backwards.
"""

from ..tensor import Function, Tensor
from .activations import log_sigmoid, log_softmax
from .arithmetic import as_tensor
from .elementwise import where

REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _check_same_shape(name, prediction, target):
    if prediction.shape != target.shape:
        raise ValueError(f"{name}: the input has shape {prediction.shape} but the target has "
                         f"{target.shape}; they must match")


class BinaryCrossEntropy(Function):
    """-[t log p + (1 - t) log(1 - p)], each log clamped at -100 as in PyTorch."""

    def forward(self, p, t):
        xp = self.xp
        floor = xp.finfo(p.dtype).smallest_subnormal  # log(0) would warn; log(floor) < -100
        log_p = xp.maximum(xp.log(xp.maximum(p, floor)), -100)
        log_not_p = xp.maximum(xp.log(xp.maximum(1 - p, floor)), -100)
        return -(t * log_p + (1 - t) * log_not_p)

    def backward(self, gy):
        # d/dp = (p - t) / (p (1 - p)), its denominator kept >= 1e-12 (PyTorch's guard, so
        # p = 0 or 1 gives a large gradient, not 0/0); d/dt = log(1 - p) - log(p)
        p, t = self.inputs
        need_p, need_t = self.needs_input_grad
        gp = gy * (p - t) / (p * (1.0 - p)).clip(min=1e-12) if need_p else None
        gt = None
        if need_t:
            gt = gy * ((1.0 - p).clip(min=1e-44).log().clip(min=-100.0)
                       - p.clip(min=1e-44).log().clip(min=-100.0))
        return gp, gt


def binary_cross_entropy(probabilities, target, weight=None, reduction="mean"):
    """-[t log p + (1 - t) log(1 - p)] on probabilities p in [0, 1]; each log is clamped at
    -100, as in PyTorch, so p = 0 or 1 gives a large finite loss instead of inf."""
    target = as_tensor(target, probabilities)
    _check_same_shape("binary_cross_entropy", probabilities, target)
    loss = BinaryCrossEntropy()(probabilities, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(logits, target, weight=None, pos_weight=None,
                                     reduction="mean"):
    """Binary cross-entropy on logits x, stable for any x:
    -[t log sigmoid(x) + (1 - t) log sigmoid(-x)] = (1 - t) x - log sigmoid(x)."""
    target = as_tensor(target, logits)
    _check_same_shape("binary_cross_entropy_with_logits", logits, target)
    if pos_weight is None:
        loss = (1.0 - target) * logits - log_sigmoid(logits)
    else:  # positives weighted by pos_weight: (1 - t) x - (1 + (pos_weight - 1) t) log sigmoid(x)
        loss = (1.0 - target) * logits - (1.0 + (pos_weight - 1.0) * target) * log_sigmoid(logits)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def mse_loss(prediction, target, reduction="mean"):
    """(prediction - target)^2."""
    target = as_tensor(target, prediction)
    _check_same_shape("mse_loss", prediction, target)
    difference = prediction - target
    return _reduce(difference * difference, reduction)


def l1_loss(prediction, target, reduction="mean"):
    """|prediction - target|."""
    target = as_tensor(target, prediction)
    _check_same_shape("l1_loss", prediction, target)
    return _reduce((prediction - target).abs(), reduction)


def nll_loss(log_probabilities, target, weight=None, reduction="mean", ignore_index=-100):
    """-log_probabilities[n, target[n]] for (N, C) input and (N,) integer targets.

    With class weights, "mean" divides by the sum of the picked weights, as PyTorch does;
    targets equal to ignore_index count for nothing (weight 0).
    """
    if log_probabilities.ndim != 2:
        raise ValueError(f"nll_loss needs (N, C) input, got shape {log_probabilities.shape}")
    xp = log_probabilities.backend.xp
    labels = target.array if isinstance(target, Tensor) else xp.asarray(target)
    N, C = log_probabilities.shape
    if labels.shape != (N,) or labels.dtype.kind not in "iu":
        raise ValueError(f"nll_loss needs (N,) = ({N},) integer targets, got shape "
                         f"{labels.shape} of {labels.dtype}")
    ignored = labels == ignore_index
    labels = xp.where(ignored, 0, labels)
    if N and (labels.min() < 0 or labels.max() >= C):
        raise IndexError(f"nll_loss targets must be class indices in [0, {C}) or ignore_index "
                         f"({ignore_index}), got values from {int(labels.min())} to "
                         f"{int(labels.max())}")
    picked = -log_probabilities[Tensor(xp.arange(N)), Tensor(labels)]
    weights = None if weight is None else weight[Tensor(labels)]
    if bool(ignored.any()):
        kept = Tensor((~ignored).astype(log_probabilities.dtype))
        weights = kept if weights is None else weights * kept
    if weights is None:
        return _reduce(picked, reduction)
    if reduction == "mean":
        return (picked * weights).sum() / weights.sum()
    return _reduce(picked * weights, reduction)


def cross_entropy(logits, target, weight=None, reduction="mean", ignore_index=-100):
    """nll_loss(log_softmax(logits)): (N, C) logits and (N,) integer class targets."""
    return nll_loss(log_softmax(logits, axis=1), target, weight=weight, reduction=reduction,
                    ignore_index=ignore_index)


def smooth_l1_loss(prediction, target, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - beta / 2, for d = prediction - target."""
    target = as_tensor(target, prediction)
    _check_same_shape("smooth_l1_loss", prediction, target)
    difference = prediction - target
    if beta == 0:
        return _reduce(difference.abs(), reduction)
    small = difference.backend.xp.abs(difference.array) < beta
    loss = where(small, difference * difference * (0.5 / beta), difference.abs() - 0.5 * beta)
    return _reduce(loss, reduction)
