"""What each rank runs in tests/test_distributed.py, started there with `mpiexec -n 2`:

    python tests/mpi_worker.py gradients OUT.json   data-parallel gradients and steps against
                                                    one process's full batch
    python tests/mpi_worker.py nccl-id OUT.json     the NCCL id handed out, with a fake NCCL
    python tests/mpi_worker.py fail-on-rank-1       rank 1 fails while rank 0 waits
    python tests/mpi_worker.py nccl-one-rank OUT.json   one rank on a real GPU, through NCCL
"""

import json
import sys

import numpy as np

import minigan as mg
from minigan import distributed, nn
from minigan.backend import threads
from minigan.optim import Adam

BATCH = 8


def plain_model(seed):
    mg.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 1)).double()


def batch_norm_model(seed):
    mg.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.LeakyReLU(0.2),
                         nn.Flatten(), nn.Linear(3 * 4 * 4, 1)).double()


def data(shape):
    rng = np.random.default_rng(0)
    return rng.standard_normal((BATCH,) + shape), rng.standard_normal((BATCH, 1))


def loss_of(model, x, target, backend_name="numpy"):
    error = model(mg.tensor(x, backend=backend_name)) - mg.tensor(target, backend=backend_name)
    return (error * error).mean()  # a mean over the batch


def flat(tensors):
    return np.concatenate([t.numpy().ravel() for t in tensors])


def relative_error(actual, expected):
    return float(np.abs(actual - expected).max() / np.abs(expected).max())


def shard(array, world):
    share = len(array) // world.size
    return array[world.rank * share:(world.rank + 1) * share]


def train(model, x, target, steps, world=None):
    """`steps` Adam steps on the full batch (world None) or on this rank's share, with an
    optimizer that averages the gradients over the ranks."""
    optimizer = Adam(model.parameters(), lr=0.01)
    if world is not None:
        optimizer = distributed.AveragingOptimizer(optimizer, world)
        x, target = shard(x, world), shard(target, world)
    for _ in range(steps):
        optimizer.zero_grad()
        loss_of(model, x, target).backward()
        optimizer.step()
    return model


def compare(build, shape, world, sync):
    """Gradient error of one data-parallel backward, and the weights after three steps."""
    x, target = data(shape)
    reference = build(0)
    loss_of(reference, x, target).backward()
    ours = build(world.rank)  # rank 1 starts elsewhere: the broadcast must fix it
    distributed.broadcast_module(ours, world)
    if sync:
        distributed.convert_sync_batchnorm(ours)
    loss_of(ours, shard(x, world), shard(target, world)).backward()
    distributed.average_gradients(ours.parameters(), world)
    result = {"gradient_error": relative_error(flat(p.grad for p in ours.parameters()),
                                               flat(p.grad for p in reference.parameters())),
              "buffer_error": max([relative_error(a.numpy(), b.numpy()) for a, b in
                                   zip(ours.buffers(), reference.buffers())
                                   if a.dtype.kind == "f"], default=0.0)}
    model = distributed.convert_sync_batchnorm(build(0)) if sync else build(0)
    weights = flat(train(model, x, target, 3, world).parameters())
    everyone = world.allgather_object(weights)
    result["ranks_identical"] = all(np.array_equal(w, weights) for w in everyone)
    result["step_error"] = relative_error(weights, flat(train(build(0), x, target, 3)
                                                         .parameters()))
    return result


def gradients(out):
    world = distributed.init()
    results = {"plain": compare(plain_model, (6,), world, sync=False),
               "sync_batch_norm": compare(batch_norm_model, (2, 4, 4), world, sync=True),
               "unsynced_batch_norm": compare(batch_norm_model, (2, 4, 4), world, sync=False),
               "numba_threads": threads.numba_threads(),
               "threads_per_rank": threads.threads_per_rank(world.local_size)}
    if world.is_root:
        with open(out, "w") as handle:
            json.dump(results, handle)


class FakeNccl:
    """CuPy's NCCL module as far as NcclCommunicator's setup uses it."""

    def get_unique_id(self):
        return tuple(int(v) for v in np.random.default_rng().integers(0, 256, 128))

    def NcclCommunicator(self, size, unique_id, rank):  # noqa: N802 (CuPy's name)
        return {"size": size, "id": unique_id, "rank": rank}


def nccl_id(out):
    mpi = distributed.MpiCommunicator()
    nccl = distributed.NcclCommunicator(mpi, nccl=FakeNccl())
    made = mpi.allgather_object(nccl.comm)
    if mpi.is_root:
        with open(out, "w") as handle:
            json.dump(made, handle)


def nccl_one_rank(out):
    """A world of one rank on one GPU: NCCL sums, and sync batch norm's gradients on the GPU
    against the CPU's."""
    world = distributed.init("cupy")
    total = world.allreduce_sum(mg.arange(4, dtype="float32", backend="cupy").array)
    x, target = data((2, 4, 4))
    reference = batch_norm_model(0)
    loss_of(reference, x, target).backward()
    ours = distributed.convert_sync_batchnorm(batch_norm_model(0).to("cupy"), world)
    loss_of(ours, x, target, "cupy").backward()
    distributed.average_gradients(ours.parameters(), world)
    with open(out, "w") as handle:
        json.dump({"communicator": type(world).__name__, "sum": total.get().tolist(),
                   "gradient_error": relative_error(
                       flat(p.grad for p in ours.parameters()),
                       flat(p.grad for p in reference.parameters()))}, handle)


def fail_on_rank_1():
    world = distributed.init()
    if world.rank == 1:
        distributed.fail(world, "error: the data folder is empty", 2)
    world.allreduce_sum(np.zeros(1))  # rank 0 waits here for a partner that never comes


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "gradients":
        gradients(sys.argv[2])
    elif command == "nccl-id":
        nccl_id(sys.argv[2])
    elif command == "fail-on-rank-1":
        fail_on_rank_1()
    elif command == "nccl-one-rank":
        nccl_one_rank(sys.argv[2])
