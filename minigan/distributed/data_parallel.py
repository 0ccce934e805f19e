"""Data parallelism: the same model on every rank, each rank on its share of the batch.

Three collectives keep the ranks in step: rank 0's weights broadcast once at the start; between
each backward pass and its optimizer step, each model's gradients packed into one contiguous
buffer and averaged with one all-reduce (one large message instead of one per parameter); and,
before a checkpoint or an evaluation, batch norm's running statistics averaged (each rank
estimated them from its own share of the data).
"""

import numpy as np

from .. import backend
from ..tensor import Tensor


def _pack(arrays):
    """One contiguous 1-D array holding `arrays` one after the other."""
    xp = backend.of(arrays[0]).xp
    return xp.concatenate([a.reshape(-1) for a in arrays])


def _unpack(flat, like):
    """Views of `flat` shaped (and typed) as the arrays of `like`."""
    pieces, offset = [], 0
    for array in like:
        piece = flat[offset:offset + array.size].reshape(array.shape)
        pieces.append(piece.astype(array.dtype, copy=False))
        offset += array.size
    return pieces


def broadcast_module(module, comm, root=0):
    """Give every rank rank `root`'s parameters and buffers (in place, so optimizers stay
    attached); one broadcast per dtype."""
    tensors = list(module.parameters()) + [b for b in module.buffers() if b is not None]
    for dtype in sorted({t.dtype.name for t in tensors}):
        group = [t for t in tensors if t.dtype.name == dtype]
        flat = comm.bcast(_pack([t.array for t in group]), root)
        for t, value in zip(group, _unpack(flat, [t.array for t in group])):
            t.array[...] = value


def average_gradients(parameters, comm):
    """Replace each parameter's .grad by its mean over the ranks, with one all-reduce of one
    buffer. Parameters without a gradient are skipped: every rank must have the same ones
    (the same model and graph on every rank guarantee it)."""
    params = [p for p in parameters if p.grad is not None]
    if not params or comm.size == 1:
        return
    grads = [p.grad.array for p in params]
    total = comm.allreduce_sum(_pack(grads))
    total /= comm.size
    for p, mean in zip(params, _unpack(total, grads)):
        p.grad = Tensor(mean)  # a new array: gradient arrays may be shared, never edit them


class AveragingOptimizer:
    """`optimizer`, whose step() first averages its parameters' gradients over the ranks
    (one all-reduce): hand it to a training loop written for one process, and the loop
    trains data-parallel unchanged. Everything else is the wrapped optimizer's."""

    def __init__(self, optimizer, comm):
        self.optimizer, self.comm = optimizer, comm

    def step(self, closure=None):
        parameters = [p for group in self.optimizer.param_groups for p in group["params"]]
        average_gradients(parameters, self.comm)
        return self.optimizer.step(closure)

    def __getattr__(self, name):
        return getattr(self.optimizer, name)


def average_buffers(module, comm):
    """Average the floating-point buffers (batch norm's running mean and variance) over the
    ranks, in place; integer buffers (batches counted) are the same on every rank."""
    buffers = [b for b in module.buffers() if b is not None and b.dtype.kind == "f"]
    if not buffers or comm.size == 1:
        return
    arrays = [b.array for b in buffers]
    total = comm.allreduce_sum(_pack(arrays))
    total /= comm.size
    for b, mean in zip(buffers, _unpack(total, arrays)):
        b.array[...] = mean


def average_metrics(metrics, comm):
    """The dict `metrics` with each float value replaced by its mean over the ranks (one
    all-reduce of a small host array); other values as they are."""
    names = [name for name, value in metrics.items() if isinstance(value, float)]
    if not names or comm.size == 1:
        return dict(metrics)
    values = comm.allreduce_sum(np.array([metrics[name] for name in names])) / comm.size
    return {**metrics, **{name: float(value) for name, value in zip(names, values)}}
