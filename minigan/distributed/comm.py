"""Communicators: the few collective operations data-parallel training needs, behind one
interface, so that the training code never asks which transport carries them.

- `SingleProcess`: a world of one (no MPI needed): every collective returns its input.
- `MpiCommunicator`: MPI through mpi4py, on host (NumPy) arrays. A CuPy array is copied to the
  host first: the MPI wheels from PyPI cannot read GPU memory, so no device pointer ever
  reaches MPI.
- `NcclCommunicator`: NVIDIA's NCCL through CuPy, on GPU arrays; MPI only starts the ranks
  and hands every rank the NCCL unique id that rank 0 made.

Arrays go through `allreduce_sum` and `bcast`; small Python objects (a random state, an
error flag) through `bcast_object` and `allgather_object`, always over MPI.
"""

import numpy as np

from .. import backend
from ..backend import gpus


class Communicator:
    """What every communicator offers; subclasses set rank, size, local_rank, local_size."""

    rank, size, local_rank, local_size = 0, 1, 0, 1

    @property
    def is_root(self):
        """Rank 0 writes the files and prints."""
        return self.rank == 0

    def __repr__(self):
        return f"<{type(self).__name__} rank {self.rank} of {self.size}>"

    def __deepcopy__(self, memo):
        return self  # a handle on the job's processes: a copy of a model shares it


class SingleProcess(Communicator):
    """A world of one process: the sum over ranks of an array is the array itself."""

    def allreduce_sum(self, array):
        return array.copy()

    def bcast(self, array, root=0):
        return array

    def bcast_object(self, value, root=0):
        return value

    def allgather_object(self, value):
        return [value]

    def abort(self, code):
        raise SystemExit(code)


class MpiCommunicator(Communicator):
    """Collectives over an mpi4py communicator (MPI.COMM_WORLD unless told otherwise)."""

    def __init__(self, mpi_comm=None):
        from mpi4py import MPI

        self.MPI = MPI
        self.comm = MPI.COMM_WORLD if mpi_comm is None else mpi_comm
        self.rank, self.size = self.comm.Get_rank(), self.comm.Get_size()
        # the ranks that share this machine's memory: the local rank picks the GPU
        local = self.comm.Split_type(MPI.COMM_TYPE_SHARED, key=self.rank)
        self.local_rank, self.local_size = local.Get_rank(), local.Get_size()
        local.Free()

    def allreduce_sum(self, array):
        """The element-wise sum of `array` over all ranks, as a new array on its backend."""
        owner = backend.of(array)
        send = np.ascontiguousarray(owner.to_host(array))
        total = np.empty_like(send)
        self.comm.Allreduce(send, total, op=self.MPI.SUM)
        return total if owner.name == "numpy" else owner.asarray(total)

    def bcast(self, array, root=0):
        """Rank `root`'s values of `array`, on every rank (in place for NumPy arrays)."""
        owner = backend.of(array)
        if owner.name == "numpy" and array.flags.c_contiguous:
            self.comm.Bcast(array, root=root)
            return array
        host = np.ascontiguousarray(owner.to_host(array))
        self.comm.Bcast(host, root=root)
        return owner.asarray(host)

    def bcast_object(self, value, root=0):
        return self.comm.bcast(value, root=root)

    def allgather_object(self, value):
        return self.comm.allgather(value)

    def abort(self, code):
        """End every rank of the job now (MPI_Abort): the way out that cannot hang."""
        self.comm.Abort(code)


_NCCL_TYPES = {"float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64",
               "int32": "NCCL_INT32", "int64": "NCCL_INT64"}


class NcclCommunicator(Communicator):
    """Collectives on GPU arrays through NCCL; `mpi` (an MpiCommunicator) shares the NCCL id
    and carries the host-side objects. `nccl` is CuPy's binding module (a fake in tests)."""

    def __init__(self, mpi, nccl=None):
        nccl = gpus.nccl_module() if nccl is None else nccl
        self.mpi, self.nccl = mpi, nccl
        self.rank, self.size = mpi.rank, mpi.size
        self.local_rank, self.local_size = mpi.local_rank, mpi.local_size
        unique_id = nccl.get_unique_id() if mpi.is_root else None
        unique_id = mpi.bcast_object(unique_id)
        self.comm = nccl.NcclCommunicator(self.size, unique_id, self.rank)

    def _nccl_type(self, array):
        name = _NCCL_TYPES.get(array.dtype.name)
        if name is None:
            raise TypeError(f"NCCL collectives take {sorted(_NCCL_TYPES)} arrays, got "
                            f"{array.dtype.name}")
        return getattr(self.nccl, name)

    def allreduce_sum(self, array):
        """The sum over ranks: GPU arrays through NCCL, host arrays (metrics) through MPI."""
        if backend.of(array).name == "numpy":
            return self.mpi.allreduce_sum(array)
        xp = backend.of(array).xp
        array = xp.ascontiguousarray(array)
        total = xp.empty_like(array)
        self.comm.allReduce(array.data.ptr, total.data.ptr, array.size, self._nccl_type(array),
                            self.nccl.NCCL_SUM, xp.cuda.get_current_stream().ptr)
        return total

    def bcast(self, array, root=0):
        if backend.of(array).name == "numpy":
            return self.mpi.bcast(array, root)
        xp = backend.of(array).xp
        array = xp.ascontiguousarray(array)
        self.comm.bcast(array.data.ptr, array.size, self._nccl_type(array), root,
                        xp.cuda.get_current_stream().ptr)
        return array

    def bcast_object(self, value, root=0):
        return self.mpi.bcast_object(value, root)

    def allgather_object(self, value):
        return self.mpi.allgather_object(value)

    def abort(self, code):
        self.mpi.abort(code)
