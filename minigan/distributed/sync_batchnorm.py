"""Synchronised batch normalisation: the batch statistics of all ranks' batches together.

With plain batch norm, each rank normalises its batch of B/N examples with that batch's own
mean and variance, which differ from those of the whole batch of B. Here the per-channel sums
are all-reduced, so every rank normalises with the statistics of all B examples. The
all-reduce is a differentiable op whose backward all-reduces the gradient (the sum over ranks
is its own adjoint), so the backward needs no formula of its own: autograd all-reduces
exactly the sums that the batch-norm gradient needs, and second derivatives come for free.
"""

from ..nn.layers import _BatchNorm
from ..tensor import Function
from .launch import world


class AllReduceSum(Function):
    """y = the sum of x over all ranks, on every rank."""

    def __init__(self, comm):
        self.comm = comm

    def forward(self, x):
        return self.comm.allreduce_sum(x)

    def backward(self, gy):
        # d(sum over ranks s of L_s)/dx_r = sum over s of gy_s: all-reduce the gradient
        return all_reduce_sum(gy, self.comm)


def all_reduce_sum(x, comm=None):
    """The sum over ranks of the Tensor `x` (differentiable); comm: the world by default."""
    return AllReduceSum(world() if comm is None else comm)(x)


def sync_batch_norm(x, running_mean, running_var, weight, bias, momentum, eps, comm=None):
    """batch_norm in training over the union of every rank's batch; each rank's batch must
    have the same shape (as the sharded loader's are). Updates the running statistics,
    which are then the same on every rank."""
    comm = world() if comm is None else comm
    axes = (0,) + tuple(range(2, x.ndim))  # every axis but the channels'
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)  # a channel vector, broadcastable to x
    count = x.numel() // x.shape[1] * comm.size  # values per channel in all batches together
    if count < 2:
        raise ValueError(f"sync batch norm in training needs more than one value per channel, "
                         f"got input shape {x.shape} on {comm.size} rank(s)")
    mean = all_reduce_sum(x.sum(axis=axes), comm) / count
    centred = x - mean.reshape(shape)
    var = all_reduce_sum((centred * centred).sum(axis=axes), comm) / count
    y = centred * ((var + eps) ** -0.5).reshape(shape)
    if weight is not None:
        y = y * weight.reshape(shape) + bias.reshape(shape)
    if running_mean is not None:
        m = x.dtype.type(momentum)
        running_mean.array *= 1 - m
        running_mean.array += m * mean.array
        running_var.array *= 1 - m
        running_var.array += m * var.array * x.dtype.type(count / (count - 1))  # unbiased
    return y


class SyncBatchNorm(_BatchNorm):
    """BatchNorm over the batches of all ranks together, for (N, C, ...) input; in eval mode
    (or without a world of several ranks) it is an ordinary BatchNorm. Same parameters,
    buffers and state dict as BatchNorm1d/2d. `comm`: the world of init() by default."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, comm=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats)
        self.comm = comm

    def _check(self, x):
        if x.ndim < 2 or x.shape[1] != self.num_features:
            raise ValueError(f"{self!r} expected input of shape (N, {self.num_features}, ...), "
                             f"got {x.shape}")

    def forward(self, x):
        if not self.training:
            return super().forward(x)
        self._check(x)
        momentum = self.momentum
        if self.track_running_stats:
            self.num_batches_tracked.array += 1
            if momentum is None:  # a cumulative average, as in PyTorch
                momentum = 1.0 / int(self.num_batches_tracked.item())
        stats = (self.running_mean, self.running_var) if self.track_running_stats else (None,) * 2
        return sync_batch_norm(x, *stats, self.weight, self.bias, momentum or 0.0, self.eps,
                               self.comm)


def convert_sync_batchnorm(module, comm=None):
    """Replace every BatchNorm1d/2d inside `module` by a SyncBatchNorm that takes over its
    Parameter and buffer objects (so an optimizer built before keeps working); in place.
    Returns the module, or the new layer if `module` is itself a BatchNorm."""
    if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
        synced = SyncBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                               module.track_running_stats, comm)
        synced._parameters.update(module._parameters)
        synced._buffers.update(module._buffers)
        return synced.train(module.training)
    for name, child in list(module.named_children()):
        module._modules[name] = convert_sync_batchnorm(child, comm)  # keeps the layer order
    return module
