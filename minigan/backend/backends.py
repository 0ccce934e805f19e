"""The two backends. A backend knows its array module, its kernels, its random generator, how to
move arrays to and from the host, and how to wait for the device."""

import os

import numpy as np

from . import reference
from .device_random import CountedStreams


class BackendUnavailable(RuntimeError):
    """A backend was asked for that cannot run on this machine."""


def _configure_numba_threads():
    """Pick Numba's threading layer before its first parallel kernel runs.

    The convolution alternates Numba kernels with OpenBLAS matrix products (im2col, GEMM,
    col2im), and each thread pool keeps spinning for a while after its call, stealing the
    cores the other one needs. Measured on 2 cores, whole processes A/B (see
    benchmarks/README.md): OpenMP's layer alone was 6% slower than 'workqueue', but with
    OpenBLAS told to stop spinning early (OPENBLAS_THREAD_TIMEOUT=4, set in __init__.py before
    NumPy loads) it was 14% faster than either. 'workqueue' remains the fallback where OpenMP is
    missing. MINIGAN_NUMBA_THREADING_LAYER or NUMBA_THREADING_LAYER override the choice.
    """
    import numba

    if "NUMBA_THREADING_LAYER" in os.environ:
        return
    chosen = os.environ.get("MINIGAN_NUMBA_THREADING_LAYER")
    if chosen:
        numba.config.THREADING_LAYER = chosen
    else:
        numba.config.THREADING_LAYER_PRIORITY = ["omp", "workqueue", "tbb"]
        numba.config.THREADING_LAYER = "default"


class Backend:
    """What every backend shares; subclasses set `name`, `xp`, `array_type` and `_kernels`."""

    name = ""

    def __repr__(self):
        return f"<minigan backend {self.name!r}>"

    # -- moving arrays ------------------------------------------------------------------------
    def asarray(self, data, dtype=None):
        return self.xp.asarray(data, dtype=dtype)

    # -- random numbers -----------------------------------------------------------------------
    def seed(self, seed):
        self.rng = self.xp.random.default_rng(seed)

    def randn(self, shape, dtype):
        return self.rng.standard_normal(shape, dtype=dtype)

    def rand(self, shape, dtype):
        return self.rng.random(shape, dtype=dtype)

    def randint(self, low, high, shape):
        return self.rng.integers(low, high, size=shape)

    def permutation(self, n):
        return self.rng.permutation(n)

    # -- kernels ------------------------------------------------------------------------------
    def scatter_add(self, target, index, values):
        """target[index] += values, summing repeated indices (np.add.at)."""
        self.xp.add.at(target, index, values)

    # -- fused elementwise ops: plain array math here (CuPy, and the tests' reference); the
    # NumPy backend overrides them with one-pass Numba kernels --------------------------------
    def leaky_relu(self, x, slope):
        """x for x > 0, else slope * x."""
        return self.xp.where(x > 0, x, x * x.dtype.type(slope))

    def leaky_relu_grad(self, x, gy, slope):
        """gy where x > 0, else slope * gy."""
        return self.xp.where(x > 0, gy, gy * gy.dtype.type(slope))

    def sigmoid(self, x):
        """1 / (1 + e^-x) as e^min(x,0) / (1 + e^-|x|): exp never overflows, no branch."""
        xp = self.xp
        return xp.exp(xp.minimum(x, 0)) / (1 + xp.exp(-xp.abs(x)))

    def batch_norm_forward(self, x, weight, bias, eps):
        """Batch norm with the batch's statistics over every axis but 1: (y, mean, biased
        variance)."""
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        mean, var = x.mean(axis=axes, dtype="float64"), x.var(axis=axes, dtype="float64")
        scale = weight / self.xp.sqrt(var + eps)  # float64 statistics, as the CPU kernel's
        shift = bias - mean * scale
        return (x * scale.astype(x.dtype).reshape(shape) + shift.astype(x.dtype).reshape(shape),
                mean, var)

    def batch_norm_backward(self, gy, x, mean, var, weight, eps):
        """(gx, gw, gb): gx = w invstd (gy - mean(gy) - xhat mean(gy xhat))."""
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        invstd = (1 / self.xp.sqrt(var + eps)).astype(x.dtype)
        xhat = (x - mean.astype(x.dtype).reshape(shape)) * invstd.reshape(shape)
        gb, gw = gy.sum(axis=axes), (gy * xhat).sum(axis=axes)
        count = x.size // x.shape[1]
        gx = (weight * invstd).reshape(shape) * (
            gy - (gb / count).reshape(shape) - xhat * (gw / count).reshape(shape))
        return gx, gw, gb

    def im2col_reference(self, x, kh, kw, stride, padding, dilation):
        return reference.im2col_reference(self.xp, x, kh, kw, stride, padding, dilation)

    def col2im_reference(self, col, x_shape, stride, padding, dilation):
        return reference.col2im_reference(self.xp, self.scatter_add, col, x_shape, stride,
                                          padding, dilation)


class NumpyBackend(Backend):
    """CPU arrays: NumPy for array math, Numba for the convolution kernels."""

    name = "numpy"
    xp = np
    array_type = np.ndarray

    def __init__(self):
        _configure_numba_threads()
        from . import cpu_kernels

        self._kernels = cpu_kernels
        self.rng = np.random.default_rng()

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

    def leaky_relu(self, x, slope):
        return self._kernels.leaky_relu(x, slope)

    def leaky_relu_grad(self, x, gy, slope):
        return self._kernels.leaky_relu_grad(x, gy, slope)

    def sigmoid(self, x):
        return self._kernels.sigmoid(x)

    def batch_norm_forward(self, x, weight, bias, eps):
        return self._kernels.batch_norm_forward(x, weight, bias, eps)

    def batch_norm_backward(self, gy, x, mean, var, weight, eps):
        return self._kernels.batch_norm_backward(gy, x, mean, var, weight, eps)


GPU_INSTALL_HINT = ('Install CuPy with pip install "minigan[gpu]" (CUDA 12 or 13 drivers) or '
                    '"minigan[gpu-cuda13]" (CUDA 13 drivers), or use the default backend, "numpy".')


class CupyBackend(Backend):
    """GPU arrays: CuPy for array math, numba.cuda kernels for the convolution kernels."""

    name = "cupy"

    def __init__(self):
        if os.environ.get("MINIGAN_SIMULATE_GPU") == "1":  # tests without a GPU: see simulated_cupy
            from . import simulated_cupy, simulated_kernels

            self.xp, self.array_type = simulated_cupy, simulated_cupy.ndarray
            self._kernels, self.rng = simulated_kernels.SimulatedKernels(), CountedStreams(self.xp)
            return
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
        from . import gpu_kernels

        self.xp = cupy
        self.array_type = cupy.ndarray
        self._kernels = gpu_kernels
        self.rng = CountedStreams(cupy)

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
