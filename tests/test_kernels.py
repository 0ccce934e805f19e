"""The fast im2col/col2im kernels against the reference kernels, on drawn geometries."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from kernel_cases import geometries

from minigan import Tensor, backend
from minigan.backend import cpu_kernels
from minigan.functional.activations import LeakyReLU, LeakyReLUGrad, Sigmoid
from minigan.functional.normalization import BatchNormTrain

TESTS = pathlib.Path(__file__).parent


@pytest.fixture(params=["one thread", "all threads"])
def threads(request, monkeypatch):
    """Every CPU kernel test runs both ways: small work runs on one thread, large on all."""
    limit = float("inf") if request.param == "one thread" else 0
    for name in ("PARALLEL_MIN_ELEMENTS", "PARALLEL_MIN_STREAMING"):
        monkeypatch.setattr(cpu_kernels, name, limit)


@given(geometry=geometries())
def test_im2col_equals_reference(backend_name, geometry, threads):
    b = backend.get(backend_name)
    shape, kh, kw, stride, padding, dilation = geometry
    x = b.asarray(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    fast = b.im2col(x, kh, kw, stride, padding, dilation)
    expected = b.im2col_reference(x, kh, kw, stride, padding, dilation)
    assert fast.shape == expected.shape and fast.dtype == x.dtype
    np.testing.assert_array_equal(b.to_host(fast), b.to_host(expected))


@given(geometry=geometries())
def test_col2im_equals_reference(backend_name, geometry, threads):
    b = backend.get(backend_name)
    shape, kh, kw, stride, padding, dilation = geometry
    x = b.asarray(np.zeros(shape, dtype=np.float64))
    col_shape = b.im2col_reference(x, kh, kw, stride, padding, dilation).shape
    col = b.asarray(np.random.default_rng(1).standard_normal(col_shape))
    fast = b.col2im(col, shape, stride, padding, dilation)
    expected = b.col2im_reference(col, shape, stride, padding, dilation)
    assert fast.shape == shape and fast.dtype == col.dtype
    np.testing.assert_allclose(b.to_host(fast), b.to_host(expected), rtol=1e-12, atol=1e-12)


@given(geometry=geometries())
def test_col2im_of_fewer_output_positions_equals_reference(geometry, threads):
    """A column buffer may cover fewer positions than the full output (a transposed
    convolution's output_padding); the positions it lacks count as zero."""
    b = backend.get("numpy")
    shape, kh, kw, stride, padding, dilation = geometry
    C, _, _, N, OH, OW = b.im2col_reference(np.zeros(shape), kh, kw, stride, padding,
                                            dilation).shape
    col = np.random.default_rng(4).standard_normal((C, kh, kw, N, max(OH - 1, 1),
                                                    max(OW - 1, 1)))
    np.testing.assert_allclose(b.col2im(col, shape, stride, padding, dilation),
                               b.col2im_reference(col, shape, stride, padding, dilation),
                               rtol=1e-12, atol=1e-12)


@given(geometry=geometries())
def test_col2im_is_the_adjoint_of_im2col(geometry, threads):
    """<im2col(x), c> = <x, col2im(c)> for all x, c: col2im is im2col's transpose."""
    b = backend.get("numpy")
    shape, kh, kw, stride, padding, dilation = geometry
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape)
    col = b.im2col(x, kh, kw, stride, padding, dilation)
    c = rng.standard_normal(col.shape)
    left = float((col * c).sum())
    right = float((x * b.col2im(c, shape, stride, padding, dilation)).sum())
    assert abs(left - right) <= 1e-10 * max(1.0, abs(left))


def test_kernels_accept_non_contiguous_input():
    b = backend.get("numpy")
    x = np.random.default_rng(3).standard_normal((4, 3, 6, 5)).transpose(1, 0, 2, 3)
    fast = b.im2col(x, 3, 3, (1, 1), (1, 1), (1, 1))
    np.testing.assert_array_equal(fast, b.im2col_reference(x, 3, 3, (1, 1), (1, 1), (1, 1)))


def test_gpu_kernels_under_the_cuda_simulator():
    """The CUDA kernels' index arithmetic, run by Numba's simulator on NumPy arrays."""
    environment = dict(os.environ, NUMBA_ENABLE_CUDASIM="1")
    result = subprocess.run([sys.executable, str(TESTS / "gpu_simulator_check.py"), "10"],
                            cwd=TESTS, env=environment, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "match the reference" in result.stdout


@pytest.mark.parametrize("col_shape, x_shape", [
    ((1, 2, 2, 1, 3, 3), (1, 1, 3, 3)),  # more output positions than a 2x2 kernel leaves
    ((1, 2, 2, 2, 2, 2), (1, 1, 3, 3)),  # two images' columns for one image
    ((3, 2, 2, 1, 2, 2), (1, 1, 3, 3)),  # three channels' columns for one channel
    ((1, 2, 2, 2, 2), (1, 1, 3, 3)),     # not 6-D
])
def test_col2im_of_a_column_buffer_that_does_not_fit_is_a_value_error(col_shape, x_shape):
    b = backend.get("numpy")
    col = np.ones(col_shape)
    for col2im in (b.col2im, b.col2im_reference):
        with pytest.raises(ValueError, match=r"col2im: a column buffer of shape .* does not fit "
                                             r"images of shape \(1, 1, 3, 3\)"):
            col2im(col, x_shape, (1, 1), (0, 0), (1, 1))


# -- the fused kernels against the formula of their op -----------------------------------------
SHAPES = [(64, 8, 5, 5), (7, 3), (4, 6, 9), (2, 1, 1, 1)]
ELEMENTWISE_SHAPES = SHAPES + [()]  # 0-d arrays too (issue 21)
FORMULAS = {  # each fused kernel of cpu_kernels and the op's own math, on NumPy arrays
    "leaky_relu": LeakyReLU.formula, "leaky_relu_grad": LeakyReLUGrad.formula,
    "sigmoid": Sigmoid.formula, "batch_norm_forward": BatchNormTrain.formula}


def _fast_and_plain(name, *arguments):
    fast = getattr(cpu_kernels, name)(*arguments)
    if name == "batch_norm_backward":  # the op's backward formula is written in minigan ops
        gy, x, _, _, weight, eps = arguments
        plain = tuple(g.array for g in BatchNormTrain.backward_formula(
            Tensor(gy), Tensor(x), Tensor(weight), eps))
    else:
        plain = FORMULAS[name](np, *arguments)
    return fast, plain


@pytest.mark.parametrize("shape", ELEMENTWISE_SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("slope", [0.0, 0.2, 1.5])
def test_leaky_relu_kernels(shape, dtype, slope, threads):
    rng = np.random.default_rng(4)
    x, gy = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    x.reshape(-1)[0] = 0.0  # the kink itself: its gradient is slope, as in PyTorch
    for fast, plain in (_fast_and_plain("leaky_relu", x, slope),
                        _fast_and_plain("leaky_relu_grad", x, gy, slope)):
        assert fast.dtype == dtype and fast.shape == shape
        np.testing.assert_array_equal(fast, plain)


@pytest.mark.parametrize("shape", ELEMENTWISE_SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sigmoid_kernel(shape, dtype):
    x = np.array(np.random.default_rng(6).standard_normal(shape) * 40, dtype=dtype)
    specials = [0.0, -1000.0, 1000.0][:x.size]  # the middle, and far past exp's range
    x.reshape(-1)[:len(specials)] = specials
    fast, plain = _fast_and_plain("sigmoid", x)
    assert fast.dtype == dtype and fast.shape == shape
    info = np.finfo(dtype)  # relative precision, down to the subnormals
    np.testing.assert_allclose(fast, plain, rtol=4 * info.eps, atol=info.tiny)
    assert fast.reshape(-1)[:len(specials)].tolist() == [0.5, 0.0, 1.0][:len(specials)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_batch_norm_kernels(shape, dtype, threads):
    rng = np.random.default_rng(5)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    gy = rng.standard_normal(shape).astype(dtype)
    weight = rng.uniform(0.5, 1.5, shape[1]).astype(dtype)
    bias = rng.standard_normal(shape[1]).astype(dtype)
    tolerance = 1e-5 if dtype == "float32" else 1e-12
    forward = _fast_and_plain("batch_norm_forward", x, weight, bias, 1e-5)
    for fast, plain, expected_dtype in zip(*forward, (dtype, "float64", "float64")):
        assert fast.dtype == plain.dtype == expected_dtype  # statistics are kept in float64
        np.testing.assert_allclose(fast, plain, rtol=tolerance, atol=tolerance)
    _, mean, var = forward[1]
    for fast, plain in zip(*_fast_and_plain("batch_norm_backward", gy, x, mean, var, weight,
                                            1e-5)):
        assert fast.dtype == dtype and fast.shape == plain.shape
        np.testing.assert_allclose(fast, plain, rtol=tolerance, atol=tolerance * 10)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (3, 7), (1, 1, 1), (0, 4)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_swap_leading_axes_kernel(shape, dtype, threads):
    a = np.random.default_rng(7).standard_normal(shape).astype(dtype)
    for source in (a, np.asarray(a.swapaxes(0, 1)).swapaxes(0, 1)):  # contiguous or not
        fast = cpu_kernels.swap_leading_axes(source)
        assert fast.flags.c_contiguous and fast.dtype == dtype
        np.testing.assert_array_equal(fast, source.swapaxes(0, 1))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("options", [{}, dict(weight_decay=0.1), dict(maximize=True),
                                     dict(betas=(0.0, 0.9), lr=4e-4)])
@pytest.mark.parametrize("optimizer", ["Adam", "AdamW"])
def test_adam_kernel_follows_the_formula(dtype, options, optimizer, threads, monkeypatch):
    """Five steps of Adam through the fused kernel against the same steps by its formula."""
    from minigan import optim
    from minigan.functional import fused

    rng = np.random.default_rng(8)
    start = rng.standard_normal((70, 30)).astype(dtype)
    grads = [rng.standard_normal((30, 70)).astype(dtype).T for _ in range(5)]  # not contiguous
    finals = []
    for use_kernel in (True, False):
        if not use_kernel:
            monkeypatch.setattr(fused, "kernel", lambda device, name: None)
        param = Tensor(start.copy(), requires_grad=True)
        opt = getattr(optim, optimizer)([param], **options)
        for grad in grads:
            param.grad = Tensor(grad)
            opt.step()
        finals.append((param.array, *(opt.state[param][k].array
                                      for k in ("exp_avg", "exp_avg_sq"))))
    tolerance = 1e-6 if dtype == "float32" else 1e-14
    for fast, plain in zip(*finals):
        assert fast.dtype == dtype
        np.testing.assert_allclose(fast, plain, rtol=tolerance, atol=tolerance)
