"""The GPUs of this machine, for processes that each take one, and CuPy's NCCL bindings that
let them sum arrays in GPU memory. CuPy is imported only when called."""

from .base import BackendUnavailable


def gpu_count():
    """How many CUDA devices this process sees."""
    import cupy

    return cupy.cuda.runtime.getDeviceCount()


def use_gpu(number):
    """Make GPU `number` this process's device for all later CuPy work."""
    import cupy

    cupy.cuda.Device(number).use()


def nccl_module():
    """CuPy's NCCL module; BackendUnavailable, saying what to install, when it is missing."""
    try:
        from cupy.cuda import nccl
    except ImportError as error:
        raise BackendUnavailable(
            f"NCCL is not available through CuPy ({error}): install a CuPy build with NCCL "
            "(pip install \"minigan[gpu]\" brings one), or train on the CPU with --backend "
            "numpy") from None
    return nccl
