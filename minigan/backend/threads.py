"""How many threads each process may use: under mpiexec, the ranks on one machine share its
cores, so that ranks x threads = cores. Standard library only: this runs before NumPy loads,
which is when OpenBLAS reads its thread count."""

import os

# the variables in which MPI launchers tell a process how many ranks share its machine
_LOCAL_RANK_COUNT_VARIABLES = ("MPI_LOCALNRANKS",  # MPICH (hydra)
                               "OMPI_COMM_WORLD_LOCAL_SIZE",  # Open MPI
                               "MV2_COMM_WORLD_LOCAL_SIZE")  # MVAPICH
_BLAS_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def available_cores():
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def local_rank_count(environ=os.environ):
    """How many ranks of an MPI job share this machine, from the launcher's variables (1 when
    the process was not started by mpiexec)."""
    for name in _LOCAL_RANK_COUNT_VARIABLES:
        if environ.get(name, "").isdigit():
            return max(1, int(environ[name]))
    return 1


def threads_per_rank(local_ranks, cores=None):
    """Each rank's share of the cores, at least one thread."""
    return max(1, (available_cores() if cores is None else cores) // local_ranks)


def share_cores_among_local_ranks(environ=os.environ):
    """Under mpiexec, give the BLAS and Numba thread pools each rank's share of the cores,
    unless the user chose a count. Call before NumPy and Numba load; no effect outside MPI."""
    ranks = local_rank_count(environ)
    if ranks == 1:
        return
    threads = str(threads_per_rank(ranks))
    for name in _BLAS_THREAD_VARIABLES + ("NUMBA_NUM_THREADS",):
        environ.setdefault(name, threads)


def set_numba_threads(count):
    """Use `count` Numba threads from now on (at most the pool Numba started with)."""
    import numba

    numba.set_num_threads(max(1, min(count, numba.config.NUMBA_NUM_THREADS)))
    return numba.get_num_threads()


def numba_threads():
    """How many threads Numba's parallel kernels use now."""
    import numba

    return numba.get_num_threads()
