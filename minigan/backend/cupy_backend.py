"""The GPU backend: CuPy for array math, numba.cuda kernels for im2col and col2im."""

from .base import Backend, BackendUnavailable

GPU_INSTALL_HINT = ('Install CuPy for CUDA 12 with: pip install "minigan[gpu]" '
                    '(or use the default backend, "numpy").')


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
        """`xp` is CuPy, checked to reach a GPU, unless another module with CuPy's API is given."""
        self.xp = _cupy_with_a_gpu() if xp is None else xp
        self.array_type = self.xp.ndarray
        self.rng = self.xp.random.default_rng()

    @property
    def _kernels(self):
        from . import gpu_kernels  # numba.cuda starts at the first kernel, not here

        return gpu_kernels

    def to_host(self, array):
        return self.xp.asnumpy(array)

    def synchronize(self):
        """Wait until the GPU has finished every queued kernel (needed for honest timings)."""
        self.xp.cuda.get_current_stream().synchronize()

    def rng_state(self):
        return None  # CuPy's generators cannot export their state; a resumed run reseeds

    def set_rng_state(self, state):
        raise NotImplementedError("CuPy's random generator state cannot be restored")

    def im2col(self, x, kh, kw, stride, padding, dilation):
        return self._kernels.im2col(self.xp, x, kh, kw, stride, padding, dilation)

    def col2im(self, col, x_shape, stride, padding, dilation):
        return self._kernels.col2im(self.xp, col, x_shape, stride, padding, dilation)
