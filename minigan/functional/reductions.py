"""Reductions over axes: sum, mean, max, min, var, logsumexp.

Each takes NumPy's `axis` / `keepdims` or PyTorch's `dim` / `keepdim`. The backward of a
reduction spreads the gradient back over the reduced axes: `_expand_back` re-inserts them.
"""

import builtins
from collections import namedtuple

from ..tensor import Function, Tensor
from . import elementwise
from .arithmetic import broadcast_to


def _axis_args(axis, keepdims, dim, keepdim):
    if dim is not None:
        if axis is not None:
            raise TypeError("give axis or dim, not both")
        axis = dim
    if keepdim is not None:
        keepdims = keepdim
    return axis, bool(keepdims)


def _normalize_axes(axis, ndim):
    """axis as a sorted tuple of non-negative ints; None means every axis."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor of {ndim} dimensions")
    return tuple(sorted(a % builtins.max(ndim, 1) for a in axes))


def _expand_back(gy, axes, keepdims, shape):
    """The gradient of a reduction's output, broadcast back over the reduced axes to `shape`."""
    if not keepdims:
        kept = tuple(1 if i in axes else n for i, n in enumerate(shape))
        gy = gy.reshape(kept)
    return broadcast_to(gy, shape)


def _count(shape, axes):
    total = 1
    for a in axes:
        total *= shape[a]
    return total


class Sum(Function):
    saves_inputs = False

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        return x.sum(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        # d(sum x)/dx_i = 1
        return _expand_back(gy, self.axes, self.keepdims, self.inputs[0].shape)


class Mean(Function):
    saves_inputs = False

    def __init__(self, axes, keepdims):
        self.axes, self.keepdims = axes, keepdims

    def forward(self, x):
        return x.mean(axis=self.axes, keepdims=self.keepdims)

    def backward(self, gy):
        # d(mean x)/dx_i = 1/n
        shape = self.inputs[0].shape
        return _expand_back(gy * (1.0 / _count(shape, self.axes)), self.axes, self.keepdims, shape)


class Extreme(Function):
    """max or min over axes; the gradient goes to the extreme elements, shared among ties."""

    def __init__(self, axes, keepdims, reduce_name):
        self.axes, self.keepdims, self.reduce_name = axes, keepdims, reduce_name

    def forward(self, x):
        y = getattr(x, self.reduce_name)(axis=self.axes, keepdims=True)
        hits = (x == y).astype(x.dtype)
        self.share = hits / hits.sum(axis=self.axes, keepdims=True)
        return y if self.keepdims else y.reshape(
            tuple(n for i, n in enumerate(x.shape) if i not in self.axes))

    def backward(self, gy):
        # d(max x)/dx_i = 1 where x_i is the maximum (1/k each for a k-way tie), else 0
        shape = self.inputs[0].shape
        return _expand_back(gy, self.axes, self.keepdims, shape) * Tensor(self.share)


def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=None):  # noqa: A001
    """Sum over `axis` (all axes by default)."""
    axis, keepdims = _axis_args(axis, keepdims, dim, keepdim)
    return Sum(_normalize_axes(axis, x.ndim), keepdims)(x)


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Mean over `axis` (all axes by default)."""
    axis, keepdims = _axis_args(axis, keepdims, dim, keepdim)
    return Mean(_normalize_axes(axis, x.ndim), keepdims)(x)


ValuesIndices = {name: namedtuple(name, ["values", "indices"]) for name in ("max", "min")}


def _extreme(x, dim, keepdim, axis, keepdims, name):
    """max or min, PyTorch's way with `dim` ((values, indices)), NumPy's with `axis` (values)."""
    if isinstance(dim, Tensor):  # torch.max(a, b): the elementwise maximum
        return getattr(elementwise, name + "imum")(x, dim)
    if dim is None:
        axes = _normalize_axes(axis, x.ndim)
        return Extreme(axes, bool(keepdims or keepdim), name)(x)
    (dim,) = _normalize_axes(dim, x.ndim)
    xp = x.backend.xp
    indices = getattr(x.array, "arg" + name)(axis=dim)
    kept = xp.expand_dims(indices, dim)
    index = tuple(kept if i == dim else xp.arange(n).reshape((-1,) + (1,) * (x.ndim - 1 - i))
                  for i, n in enumerate(x.shape))
    values = x[index]  # the gradient goes to the one picked element, as in PyTorch
    if not keepdim:
        values, kept = values.squeeze(dim), indices
    return ValuesIndices[name](values, Tensor(kept))


def max(x, dim=None, keepdim=False, *, axis=None, keepdims=False):  # noqa: A001
    """The largest element; with `dim`, the named tuple (values, indices) along it (PyTorch);
    with NumPy's `axis`, the values only; with a tensor, the elementwise maximum."""
    return _extreme(x, dim, keepdim, axis, keepdims, "max")


def min(x, dim=None, keepdim=False, *, axis=None, keepdims=False):  # noqa: A001
    """The smallest element; with `dim`, the named tuple (values, indices) along it (PyTorch);
    with NumPy's `axis`, the values only; with a tensor, the elementwise minimum."""
    return _extreme(x, dim, keepdim, axis, keepdims, "min")


def var(x, axis=None, keepdims=False, *, correction=1, dim=None, keepdim=None, unbiased=None,
        ddof=None):
    """Variance over `axis`, dividing by n - correction: 1 by default, as in PyTorch
    (`unbiased=False` or NumPy's `ddof=0` gives the population variance)."""
    axis, keepdims = _axis_args(axis, keepdims, dim, keepdim)
    if unbiased is not None:
        correction = 1 if unbiased else 0
    if ddof is not None:
        correction = ddof
    axes = _normalize_axes(axis, x.ndim)
    deviation = x - x.mean(axis=axes, keepdims=True)
    return (deviation * deviation).sum(axis=axes, keepdims=keepdims) * (
        1.0 / (_count(x.shape, axes) - correction))


def logsumexp(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """log(sum(exp(x))) over `axis`, computed without overflow."""
    axis, keepdims = _axis_args(axis, keepdims, dim, keepdim)
    axes = _normalize_axes(axis, x.ndim)
    shift = Tensor(x.array.max(axis=axes, keepdims=True))  # a constant: any shift is exact
    total = (x - shift).exp().sum(axis=axes, keepdims=True).log() + shift
    return total if keepdims else total.reshape(
        tuple(n for i, n in enumerate(x.shape) if i not in axes))


def argmax(x, dim=None, keepdim=False, *, axis=None):
    """Indices of the maxima along `dim` (of the flattened tensor without one); not
    differentiable."""
    return _arg_extreme(x, dim if dim is not None else axis, keepdim, "argmax")


def argmin(x, dim=None, keepdim=False, *, axis=None):
    """Indices of the minima along `dim` (of the flattened tensor without one)."""
    return _arg_extreme(x, dim if dim is not None else axis, keepdim, "argmin")


def _arg_extreme(x, axis, keepdim, name):
    indices = getattr(x.array, name)(axis=axis)
    if keepdim:
        indices = indices.reshape((1,) * x.ndim) if axis is None else \
            x.backend.xp.expand_dims(indices, axis)
    return Tensor(x.backend.xp.asarray(indices))
