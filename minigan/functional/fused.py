"""The one switch between an op's own formula and an optional fused kernel.

An op in functional/ states its math with array operations. Where its backend has a fused
kernel for it (the NumPy backend's one-pass kernels in backend/cpu_kernels.py), the op hands
its arrays over instead; tests/test_kernels.py checks every fused kernel against the formula.
"""


def kernel(device, name):
    """The fused kernel `name` of backend `device`, or None: the op then runs its formula."""
    if device.name != "numpy":
        return None
    from ..backend import cpu_kernels  # on first use only: it loads Numba

    return getattr(cpu_kernels, name)
