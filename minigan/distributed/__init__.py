"""Data-parallel training on several processes: `mpiexec -n N python -m minigan.train
--distributed`.

Every rank holds the same model, takes its own share of each batch, and averages its
gradients with the others' before each optimizer step, so that every rank takes the same
optimizer step: the one a single process would take on the whole batch (the loss is a mean
over the batch, and a mean of equal shares' means is the mean of the whole). MPI (mpi4py)
starts the ranks and carries the arrays on the CPU; on GPUs, NCCL carries them.

    world = distributed.init()                       # rank, size, local_rank
    distributed.broadcast_module(model, world)       # everyone starts from rank 0's weights
    loader = distributed.ShardedDataLoader(data, batch_size, world.rank, world.size)
    for images, _ in loader:
        loss = ...; optimizer.zero_grad(); loss.backward()
        distributed.average_gradients(model.parameters(), world)
        optimizer.step()

or, for a loop written for one process, `distributed.AveragingOptimizer(optimizer, world)`,
whose step() averages the gradients first.

Layer: above nn, optim and data; below gan.
"""

from .comm import Communicator, MpiCommunicator, NcclCommunicator, SingleProcess
from .data_parallel import (AveragingOptimizer, average_buffers, average_gradients,
                            average_metrics, broadcast_module)
from .launch import fail, init, world
from .sampler import ShardedDataLoader
from .sync_batchnorm import SyncBatchNorm, all_reduce_sum, convert_sync_batchnorm, sync_batch_norm

__all__ = ["AveragingOptimizer", "Communicator", "MpiCommunicator", "NcclCommunicator", "ShardedDataLoader",
           "SingleProcess", "SyncBatchNorm", "all_reduce_sum", "average_buffers",
           "average_gradients", "average_metrics", "broadcast_module", "convert_sync_batchnorm",
           "fail", "init", "sync_batch_norm", "world"]
