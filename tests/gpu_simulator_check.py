"""Run by test_kernels.py in a subprocess with NUMBA_ENABLE_CUDASIM=1: the CUDA kernels of
minigan.backend.gpu_kernels, executed by Numba's CUDA simulator on NumPy arrays, must equal
the reference im2col/col2im on hypothesis-drawn geometries. Exits non-zero on a mismatch."""

import os
import sys

assert os.environ.get("NUMBA_ENABLE_CUDASIM") == "1", "run with NUMBA_ENABLE_CUDASIM=1"

import numpy as np  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from kernel_cases import geometries  # noqa: E402

from minigan.backend import gpu_kernels, reference  # noqa: E402


def scatter_add(target, index, values):
    np.add.at(target, index, values)


@settings(max_examples=int(sys.argv[1]) if len(sys.argv) > 1 else 12, deadline=None,
          derandomize=True)
@given(geometry=geometries(max_batch=2, max_channels=2, max_side=6))
def check(geometry):
    shape, kh, kw, stride, padding, dilation = geometry
    x = np.random.default_rng(sum(shape)).standard_normal(shape).astype(np.float32)
    expected = reference.im2col_reference(np, x, kh, kw, stride, padding, dilation)
    col = gpu_kernels.im2col(np, x, kh, kw, stride, padding, dilation)
    np.testing.assert_array_equal(col, expected)
    gradient = np.random.default_rng(1).standard_normal(col.shape).astype(np.float32)
    expected_image = reference.col2im_reference(np, scatter_add, gradient, shape, stride,
                                                padding, dilation)
    image = gpu_kernels.col2im(np, gradient, shape, stride, padding, dilation)
    np.testing.assert_allclose(image, expected_image, rtol=1e-5, atol=1e-5)


if __name__ == "__main__":
    check()
    print("gpu kernels match the reference under the CUDA simulator")
