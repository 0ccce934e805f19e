"""Numba CPU kernels: im2col and col2im, with the index arithmetic of reference.py, and the
fused one-pass kernels that some ops of minigan/functional may hand their math to.

Each runs in parallel over slices of its output that no other thread writes, so none needs
atomics: im2col over the rows (c, i, j) of the column buffer, col2im over the image planes
(n, c), each pixel summing the column entries that land on it. Both look their sources up in a
table of offsets built once per call: integer division per element, and Numba's per-slice
overhead, cost more than the copying itself (see DESIGN.md).
"""

import os

import numba
import numpy as np
from numba import njit, prange

from .geometry import check_columns, conv_output_size

# Below this much work a kernel runs on the calling thread alone: waking Numba's workers after
# an OpenBLAS call costs more than they save (DESIGN.md).
PARALLEL_MIN_ELEMENTS = int(os.environ.get("MINIGAN_PARALLEL_MIN_ELEMENTS", 1 << 16))
# A kernel that only moves each element once (a copy, LeakyReLU and its gradient) gains from a
# second thread later: below this many elements one thread is faster (DESIGN.md).
PARALLEL_MIN_STREAMING = int(os.environ.get("MINIGAN_PARALLEL_MIN_STREAMING", 1 << 19))


def _launch(kernel, work, *arguments, least=None):
    """Run a parallel kernel, on one thread when `work` (elements touched) is below `least`
    (default PARALLEL_MIN_ELEMENTS)."""
    if work >= (PARALLEL_MIN_ELEMENTS if least is None else least):
        kernel(*arguments)
        return
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        kernel(*arguments)
    finally:
        numba.set_num_threads(threads)


@njit(cache=True, inline="always")
def _valid_range(first, stride, size, count):
    """The range [lo, hi) of output positions o whose input position first + o*stride lies
    inside [0, size), clipped to [0, count)."""
    lo = 0
    if first < 0:
        lo = (-first + stride - 1) // stride
    hi = 0
    if size - first > 0:
        hi = (size - first + stride - 1) // stride
    return min(lo, count), min(max(hi, lo), count)


@njit(parallel=True, cache=True, error_model="numpy")
def _im2col_kernel(x, col, sh, sw, ph, pw, dh, dw):
    N, C, H, W = x.shape
    _, kh, kw, _, OH, OW = col.shape
    L = OH * OW
    flat_x, rows = x.reshape(-1), col.reshape(C * kh * kw, N * L)
    for row in prange(C * kh * kw):
        c, i, j = row // (kh * kw), (row // kw) % kh, row % kw
        # where each output position of this tap reads in a plane x[n, c]; -1: padding
        source = np.empty(L, dtype=np.int64)
        for oh in range(OH):
            h = i * dh - ph + oh * sh
            for ow in range(OW):
                w = j * dw - pw + ow * sw
                source[oh * OW + ow] = h * W + w if 0 <= h < H and 0 <= w < W else -1
        out = rows[row]
        for n in range(N):
            plane = (n * C + c) * H * W
            for k in range(L):
                out[n * L + k] = flat_x[plane + source[k]] if source[k] >= 0 else 0


@njit(cache=True)
def _landing_offsets(size, taps, count, stride, padding, dilation, tap_step, position_step):
    """Along one axis: for each pixel p < size, the offsets tap * tap_step + o * position_step
    of the column entries (tap, o) that land on p (tap * dilation - padding + o * stride == p),
    in tap order, and how many there are. At most one o per tap lands on a given p."""
    offsets = np.empty((size, taps), dtype=np.int64)
    found = np.zeros(size, dtype=np.int64)
    for tap in range(taps):
        first = tap * dilation - padding
        lo, hi = _valid_range(first, stride, size, count)
        for o in range(lo, hi):
            p = first + o * stride
            offsets[p, found[p]] = tap * tap_step + o * position_step
            found[p] += 1
    return offsets, found


@njit(cache=True)
def _landing_table(H, W, kh, kw, OH, OW, N, sh, sw, ph, pw, dh, dw):
    """For each pixel h * W + w of an image plane: the offsets, from col[c, 0, 0, n, 0, 0], of
    the column entries that land on it, in tap order, and how many there are."""
    block = N * OH * OW  # the entries of one row (c, i, j) of the column buffer
    rows, row_count = _landing_offsets(H, kh, OH, sh, ph, dh, kw * block, OW)
    cols, col_count = _landing_offsets(W, kw, OW, sw, pw, dw, block, 1)
    table = np.empty((H * W, kh * kw), dtype=np.int64)
    count = np.zeros(H * W, dtype=np.int64)
    for h in range(H):
        for w in range(W):
            p = h * W + w
            for a in range(row_count[h]):
                for b in range(col_count[w]):
                    table[p, count[p]] = rows[h, a] + cols[w, b]
                    count[p] += 1
    return table, count


@njit(parallel=True, cache=True, error_model="numpy")
def _col2im_kernel(col, x, sh, sw, ph, pw, dh, dw):
    N, C, H, W = x.shape
    _, kh, kw, _, OH, OW = col.shape
    table, count = _landing_table(H, W, kh, kw, OH, OW, N, sh, sw, ph, pw, dh, dw)
    flat_col, flat_x = col.reshape(-1), x.reshape(-1)
    for plane in prange(N * C):
        # the plane x[n, c] is written by this thread only, each pixel once, as the sum of its
        # entries in tap order; n varies fastest, so neighbouring planes read neighbouring blocks
        c, n = plane // N, plane % N
        first, out = (c * kh * kw * N + n) * OH * OW, (n * C + c) * H * W
        for p in range(H * W):
            total = flat_x.dtype.type(0)
            for k in range(count[p]):
                total += flat_col[first + table[p, k]]
            flat_x[out + p] = total


def im2col(x, kh, kw, stride, padding, dilation):
    """(N, C, H, W) -> (C, kh, kw, N, OH, OW), as im2col_reference."""
    N, C, H, W = x.shape
    OH = conv_output_size(H, kh, stride[0], padding[0], dilation[0])
    OW = conv_output_size(W, kw, stride[1], padding[1], dilation[1])
    col = np.empty((C, kh, kw, N, OH, OW), dtype=x.dtype)
    _launch(_im2col_kernel, col.size, np.ascontiguousarray(x), col, *stride, *padding, *dilation)
    return col


def col2im(col, x_shape, stride, padding, dilation):
    """(C, kh, kw, N, OH, OW) -> (N, C, H, W), as col2im_reference."""
    check_columns(col.shape, x_shape, stride, padding, dilation)
    x = np.empty(x_shape, dtype=col.dtype)
    _launch(_col2im_kernel, col.size, np.ascontiguousarray(col), x, *stride, *padding, *dilation)
    return x


@njit(parallel=True, cache=True)
def _swap_leading_axes_kernel(x, y):
    A, B, R = x.shape
    for b in prange(B):
        for a in range(A):
            for r in range(R):
                y[b, a, r] = x[a, b, r]


def swap_leading_axes(a):
    """a.swapaxes(0, 1) as a new C-contiguous array, copied in parallel (NumPy's copy is
    serial): (O, N, H, W) -> (N, O, H, W) around a convolution's matrix products."""
    A, B, rest = a.shape[0], a.shape[1], a.shape[2:]
    x = np.ascontiguousarray(a).reshape(A, B, int(np.prod(rest)))
    y = np.empty((B, A, x.shape[2]), dtype=a.dtype)
    _launch(_swap_leading_axes_kernel, x.size, x, y, least=PARALLEL_MIN_STREAMING)
    return y.reshape((B, A) + rest)


# -- fused kernels: one pass instead of NumPy's several. Each computes the formula of its op in
# minigan/functional (LeakyReLU, LeakyReLUGrad, Sigmoid, BatchNormTrain) or of Adam's update,
# and is tested against it.
@njit(parallel=True, cache=True)
def _leaky_relu_kernel(x, y, slope):
    for k in prange(x.size):
        v = x[k]
        y[k] = v if v > 0 else v * slope


@njit(parallel=True, cache=True)
def _leaky_relu_grad_kernel(x, gy, gx, slope):
    for k in prange(x.size):
        gx[k] = gy[k] if x[k] > 0 else gy[k] * slope


def _flat(array):
    """A contiguous 1-D view (or copy) of `array`, of any shape, 0-d included."""
    return np.ascontiguousarray(array).reshape(-1)


def leaky_relu(x, slope):
    """LeakyReLU.formula in one pass."""
    y = np.empty(x.size, dtype=x.dtype)
    _launch(_leaky_relu_kernel, x.size, _flat(x), y, x.dtype.type(slope),
            least=PARALLEL_MIN_STREAMING)
    return y.reshape(x.shape)


def leaky_relu_grad(x, gy, slope):
    """LeakyReLUGrad.formula in one pass."""
    gx = np.empty(gy.size, dtype=gy.dtype)
    _launch(_leaky_relu_grad_kernel, x.size, _flat(x), _flat(gy), gx, gy.dtype.type(slope),
            least=PARALLEL_MIN_STREAMING)
    return gx.reshape(gy.shape)


# Lets LLVM reorder a sum into several SIMD accumulators; without it each channel's float64
# sum is one serial chain of additions (DESIGN.md). No "nnan"/"ninf": a NaN input still gives
# NaN statistics.
VECTORISED_SUMS = {"reassoc", "contract"}


@njit(parallel=True, cache=True, error_model="numpy", fastmath=VECTORISED_SUMS)
def _batch_norm_forward_kernel(x, weight, bias, eps, y, mean, var):
    N, C, S = x.shape  # S: the spatial positions of one channel (H*W, L or 1)
    count = N * S
    for c in prange(C):
        total = 0.0
        for n in range(N):
            for s in range(S):
                total += x[n, c, s]
        m = total / count
        squares = 0.0
        for n in range(N):
            for s in range(S):
                d = x[n, c, s] - m
                squares += d * d
        inv = 1.0 / np.sqrt(squares / count + eps)
        scale, shift = weight[c] * inv, bias[c] - weight[c] * inv * m
        for n in range(N):
            for s in range(S):
                y[n, c, s] = x[n, c, s] * scale + shift
        mean[c], var[c] = m, squares / count


@njit(parallel=True, cache=True, error_model="numpy", fastmath=VECTORISED_SUMS)
def _batch_norm_backward_kernel(gy, x, mean, var, weight, eps, gx, gw, gb):
    N, C, S = x.shape
    count = N * S
    for c in prange(C):
        m, inv = mean[c], 1.0 / np.sqrt(var[c] + eps)
        sum_g, sum_g_xhat = 0.0, 0.0
        for n in range(N):
            for s in range(S):
                sum_g += gy[n, c, s]
                sum_g_xhat += gy[n, c, s] * (x[n, c, s] - m) * inv
        gb[c], gw[c] = sum_g, sum_g_xhat
        # gx = w inv (gy - mean(gy) - xhat mean(gy xhat))
        a = weight[c] * inv
        mean_g, mean_g_xhat = sum_g / count, sum_g_xhat / count
        for n in range(N):
            for s in range(S):
                xhat = (x[n, c, s] - m) * inv
                gx[n, c, s] = a * (gy[n, c, s] - mean_g - xhat * mean_g_xhat)


def _channels_last_flat(x):
    return np.ascontiguousarray(x).reshape(x.shape[0], x.shape[1], -1)


def batch_norm_forward(x, weight, bias, eps):
    """BatchNormTrain.formula in three passes per channel: (y, mean, biased variance), the
    statistics accumulated and returned in float64."""
    flat = _channels_last_flat(x)
    y = np.empty_like(flat)
    C = flat.shape[1]
    mean, var = np.empty(C, dtype=np.float64), np.empty(C, dtype=np.float64)
    _launch(_batch_norm_forward_kernel, flat.size, flat, weight, bias, eps, y, mean, var)
    return y.reshape(x.shape), mean, var


def batch_norm_backward(gy, x, mean, var, weight, eps):
    """BatchNormTrain.backward_formula's (gx, gw, gb) in two passes per channel, from the
    forward's float64 statistics."""
    flat_x, flat_gy = _channels_last_flat(x), _channels_last_flat(gy)
    gx = np.empty_like(flat_gy)
    gw, gb = np.empty_like(weight), np.empty_like(weight)
    _launch(_batch_norm_backward_kernel, flat_x.size, flat_gy, flat_x, mean, var, weight, eps,
            gx, gw, gb)
    return gx.reshape(x.shape), gw, gb


def sigmoid(x):
    """Sigmoid.formula as 1 / (1 + e^-x) in four in-place NumPy passes (NumPy's vectorised exp
    beats a Numba loop's). Where e^-x overflows (x < -88 in float32) the result is its limit, 0."""
    y = np.negative(x, out=np.empty_like(x))  # an array even for 0-d x, so `out=` works below
    with np.errstate(over="ignore"):
        np.exp(y, out=y)
    y += 1
    return np.reciprocal(y, out=y)


@njit(parallel=True, cache=True)
def _adam_kernel(param, grad, exp_avg, exp_avg_sq, beta1, rest1, beta2, rest2, step_size,
                 root_correction2, eps):
    for k in prange(param.size):
        g = grad[k]
        m = exp_avg[k] * beta1 + rest1 * g
        v = exp_avg_sq[k] * beta2 + rest2 * g * g
        exp_avg[k], exp_avg_sq[k] = m, v
        param[k] -= step_size * m / (np.sqrt(v) / root_correction2 + eps)


def adam_update(param, grad, exp_avg, exp_avg_sq, beta1, beta2, step_size, root_correction2,
                eps):
    """Adam.update's formula in one pass, in place on the C-contiguous param, exp_avg and
    exp_avg_sq; the scalars are rounded to the arrays' precision, as NumPy does."""
    real, grad = param.dtype.type, _flat(grad).astype(param.dtype, copy=False)
    _launch(_adam_kernel, param.size, param.reshape(-1), grad, exp_avg.reshape(-1),
            exp_avg_sq.reshape(-1), real(beta1), real(1 - beta1), real(beta2), real(1 - beta2),
            real(step_size), real(root_correction2), real(eps))
