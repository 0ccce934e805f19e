"""The GPU backend: CuPy for array math, numba.cuda kernels for im2col and col2im."""

import os

from .base import Backend, BackendUnavailable
from .device_random import CountedStreams

GPU_INSTALL_HINT = ('Install CuPy with pip install "minigan[gpu]" (CUDA 12 or 13 drivers) or '
                    '"minigan[gpu-cuda13]" (CUDA 13 drivers), or use the default backend, "numpy".')


def _cupy_with_a_gpu():
    """The cupy module, or BackendUnavailable saying why it cannot run here and what to do."""
    try:
        import cupy
    except ImportError as error:
        raise BackendUnavailable(
            f"the 'cupy' backend needs CuPy, which is not installed here ({error}). "
            + GPU_INSTALL_HINT) from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as error:  # CUDA driver missing or broken: CuPy raises its own types
        raise BackendUnavailable(
            f"CuPy is installed but cannot reach a CUDA GPU ({type(error).__name__}: {error}). "
            "Run on a machine with an NVIDIA GPU and driver, or use the 'numpy' backend."
        ) from None
    if count == 0:
        raise BackendUnavailable("CuPy is installed but this machine has no CUDA GPU. "
                                 "Use the 'numpy' backend.")
    return cupy


class CupyBackend(Backend):
    """GPU arrays: CuPy for array math, numba.cuda kernels for the convolution kernels."""

    name = "cupy"

    def __init__(self, xp=None):
        """`xp` is CuPy, checked to reach a GPU, unless another module with CuPy's API is given;
        with MINIGAN_SIMULATE_GPU=1 it is the simulated GPU of simulated_cupy.py (for tests)."""
        if xp is None and os.environ.get("MINIGAN_SIMULATE_GPU") == "1":
            from . import simulated_cupy as xp
        self.xp = _cupy_with_a_gpu() if xp is None else xp
        self.array_type = self.xp.ndarray
        self.rng = CountedStreams(self.xp)

    @property
    def _kernels(self):
        # numba.cuda starts at the first kernel, not here
        if getattr(self.xp, "SIMULATED_GPU", False):
            from .simulated_kernels import simulated_kernels

            return simulated_kernels()
        from . import gpu_kernels

        return gpu_kernels

    def to_host(self, array):
        return self.xp.asnumpy(array)

    def synchronize(self):
        """Wait until the GPU has finished every queued kernel (needed for honest timings)."""
        self.xp.cuda.get_current_stream().synchronize()

    def seed(self, seed):
        self.rng = CountedStreams(self.xp, seed)

    def rng_state(self):
        """The generator's state as JSON-friendly data (for checkpoints)."""
        return self.rng.state()

    def set_rng_state(self, state):
        self.rng.set_state(state)

    def im2col(self, x, kh, kw, stride, padding, dilation):
        return self._kernels.im2col(self.xp, x, kh, kw, stride, padding, dilation)

    def col2im(self, col, x_shape, stride, padding, dilation):
        return self._kernels.col2im(self.xp, col, x_shape, stride, padding, dilation)
