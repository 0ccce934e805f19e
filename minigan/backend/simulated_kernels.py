"""The GPU kernels on the simulated device (MINIGAN_SIMULATE_GPU=1, for testing only): the
numba.cuda kernels of gpu_kernels.py run in Numba's CUDA simulator, on the host memory behind
simulated_cupy's arrays."""

import functools
import os

import numpy

from .simulated_cupy import ndarray


class SimulatedKernels:
    """gpu_kernels.py's numba.cuda kernels, run by Numba's CUDA simulator on the arrays' memory.

    The simulator runs every CUDA thread as a Python thread (about a millisecond each), too slow
    for every launch of a test suite or a training run. So each launch geometry up to
    `max_threads` threads runs once in the simulator and must equal the CPU kernels (themselves
    tested against the reference); the CPU kernels compute the rest. tests/test_kernels.py runs
    every geometry it draws in the simulator.
    """

    max_threads = 20_000

    def __init__(self):
        os.environ["NUMBA_ENABLE_CUDASIM"] = "1"  # numba-cuda reads it when numba.cuda loads
        import numba

        numba.config.ENABLE_CUDASIM = True  # numba's own numba.cuda reads its config
        from . import cpu_kernels, gpu_kernels

        if type(gpu_kernels._im2col_kernel).__name__ != "FakeCUDAKernel":
            raise RuntimeError("numba.cuda was imported before MINIGAN_SIMULATE_GPU took effect, "
                               "so its kernels would need a real GPU: set MINIGAN_SIMULATE_GPU=1 "
                               "(or NUMBA_ENABLE_CUDASIM=1) before starting Python")
        self._gpu, self._cpu, self.checked = gpu_kernels, cpu_kernels, set()

    def _first_launch(self, key, threads):
        if key in self.checked or threads > self.max_threads:
            return False
        self.checked.add(key)
        return True

    def im2col(self, xp, x, kh, kw, stride, padding, dilation):
        host = x._host
        col = self._cpu.im2col(host, kh, kw, stride, padding, dilation)
        key = ("im2col", host.shape, host.dtype.str, kh, kw, stride, padding, dilation)
        if self._first_launch(key, col.size):
            simulated = self._gpu.im2col(numpy, host, kh, kw, stride, padding, dilation)
            _check(simulated, col, key)
        return ndarray(col)

    def col2im(self, xp, col, x_shape, stride, padding, dilation):
        host = col._host
        image = self._cpu.col2im(host, x_shape, stride, padding, dilation)
        key = ("col2im", host.shape, host.dtype.str, tuple(x_shape), stride, padding, dilation)
        if self._first_launch(key, image.size):
            simulated = self._gpu.col2im(numpy, host, x_shape, stride, padding, dilation)
            _check(simulated, image, key)
        return ndarray(image)


def _check(simulated, expected, key):
    tolerance = 1e-5 if expected.dtype == numpy.float32 else 1e-12
    if not numpy.allclose(simulated, expected, rtol=tolerance, atol=tolerance):
        raise AssertionError(f"the CUDA kernel {key[0]} differs from the CPU kernel on {key}")


@functools.cache
def simulated_kernels():
    """The one SimulatedKernels of the process (numba.cuda loads, simulated, at the first use)."""
    return SimulatedKernels()
