"""Joining an MPI job, and leaving it without a hang when something goes wrong."""

import sys
import time

from .. import backend
from ..backend import gpus, threads
from .comm import MpiCommunicator, NcclCommunicator, SingleProcess

_world = None


def world():
    """The communicator that init() set up, or a world of one process before (or without) it."""
    return _world if _world is not None else SingleProcess()


def init(backend_name="numpy"):
    """Join the MPI job this process was started in (`mpiexec -n N python ...`) and return its
    communicator: MPI on the CPU; on GPUs (backend "cupy") each rank takes its machine's GPU
    number local_rank and the arrays travel through NCCL. Numba's threads are set to this
    rank's share of the cores."""
    global _world
    try:
        mpi = MpiCommunicator()
    except ImportError as error:
        raise backend.BackendUnavailable(
            f"distributed training needs mpi4py and an MPI ({error}): pip install "
            "\"minigan[mpi]\", then start N processes with mpiexec -n N python -m "
            "minigan.train --distributed") from None
    threads.set_numba_threads(threads.threads_per_rank(mpi.local_size))
    _world = mpi if backend_name != "cupy" else _nccl_world(mpi)
    return _world


def _nccl_world(mpi):
    devices = gpus.gpu_count()
    if mpi.local_size > devices:
        raise ValueError(f"{mpi.local_size} ranks share this machine but it has {devices} "
                         f"GPU(s): NCCL needs one GPU per rank, so start at most {devices} "
                         "ranks per machine (mpiexec -n ...)")
    gpus.use_gpu(mpi.local_rank)
    return NcclCommunicator(mpi)


def fail(comm, message, code, grace_seconds=3.0):
    """End every rank of the job after an error on this one, with the message printed once.

    Rank 0 prints and aborts at once. Another rank first waits `grace_seconds`: an error that
    every rank meets (a bad option, a missing folder, a NaN in averaged losses) is then
    printed by rank 0 alone, whose abort ends this rank too; an error of this rank alone is
    printed, with its rank, after the wait. MPI_Abort ends ranks blocked in a collective, so
    nothing hangs. In a world of one process, the message is printed and `code` returned."""
    if comm.size > 1 and not comm.is_root:
        time.sleep(grace_seconds)
        message = f"rank {comm.rank}: {message}"
    print(message, file=sys.stderr, flush=True)
    if comm.size > 1:
        time.sleep(0.5)  # mpiexec forwards the line before the abort tears its pipes down
        comm.abort(code)
    return code
