"""The CPU backend: NumPy for array math, Numba kernels for im2col, col2im and the fused ops.

Numba starts at the first kernel call, not at import, so `import minigan` stays light; its
threading layer is chosen here, through the environment, before Numba loads.
"""

import ctypes
import os
import sys

import numpy as np

from .base import Backend


def _choose_numba_threading_layer():
    """Prefer OpenMP's threading layer, then 'workqueue' where OpenMP is missing (why: DESIGN.md,
    "Numba's threading layer"), its idle workers asleep at once rather than spinning on the core
    OpenBLAS needs next (OMP_WAIT_POLICY=PASSIVE). NUMBA_THREADING_LAYER or
    MINIGAN_NUMBA_THREADING_LAYER, and OMP_WAIT_POLICY or GOMP_SPINCOUNT, override them. Numba
    and OpenMP read these when they load, whoever imports the kernels first; like OpenBLAS's
    setting in __init__.py, this has no effect if Numba was loaded before minigan."""
    chosen = os.environ.get("MINIGAN_NUMBA_THREADING_LAYER")
    if chosen:
        os.environ.setdefault("NUMBA_THREADING_LAYER", chosen)
    else:
        os.environ.setdefault("NUMBA_THREADING_LAYER_PRIORITY", "omp workqueue tbb")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


_choose_numba_threading_layer()

# glibc's mallopt parameters (malloc.h) and minigan's values for them
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD, _TRIM_THRESHOLD = 32 << 20, 512 << 20


def _keep_freed_arrays_in_the_heap():
    """A training step frees and allocates the same arrays, some of megabytes, every step.
    glibc gives arrays above its mmap threshold fresh pages from the kernel and returns freed
    heap memory above its trim threshold, so each step page-faults its arrays in again. Raise
    both (arrays up to 32 MiB from the heap, keep up to 512 MiB of freed heap): DESIGN.md,
    "Freed arrays stay in the heap". MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ or
    GLIBC_TUNABLES in the environment leave glibc as the user set it; no effect off glibc."""
    if not sys.platform.startswith("linux") or any(
            name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_",
                                            "GLIBC_TUNABLES")):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return
    mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)


_keep_freed_arrays_in_the_heap()


class NumpyBackend(Backend):
    """CPU arrays: NumPy for array math, Numba for the convolution kernels."""

    name = "numpy"
    xp = np
    array_type = np.ndarray

    def __init__(self):
        self.rng = np.random.default_rng()

    @property
    def _kernels(self):
        from . import cpu_kernels  # Numba starts at the first kernel, not here

        return cpu_kernels

    def to_host(self, array):
        return np.asarray(array)

    def synchronize(self):
        """Wait for queued work; on the CPU every call has already finished."""

    def rng_state(self):
        """The generator's state as JSON-friendly data (for checkpoints)."""
        return self.rng.bit_generator.state

    def set_rng_state(self, state):
        self.rng.bit_generator.state = state

    def im2col(self, x, kh, kw, stride, padding, dilation):
        return self._kernels.im2col(x, kh, kw, stride, padding, dilation)

    def col2im(self, col, x_shape, stride, padding, dilation):
        return self._kernels.col2im(col, x_shape, stride, padding, dilation)

    def swap_leading_axes(self, a):
        return self._kernels.swap_leading_axes(a)
