"""CUDA kernels for im2col and col2im, written with numba.cuda: one GPU thread per output element.

The index arithmetic is that of cpu_kernels.py, element by element. The kernels take any array
that exposes `__cuda_array_interface__` (CuPy arrays) on a GPU, and plain NumPy arrays under
Numba's CUDA simulator (`NUMBA_ENABLE_CUDASIM=1`), which is how the tests run them on a
machine with no GPU. `xp` is the array module that allocates the output: cupy on a GPU, numpy
in the simulator.
"""

from numba import cuda

from .geometry import check_columns, conv_output_size

THREADS_PER_BLOCK = 256


@cuda.jit
def _im2col_kernel(x, col, sh, sw, ph, pw, dh, dw):
    N, C, H, W = x.shape
    _, kh, kw, _, OH, OW = col.shape
    index = cuda.grid(1)
    if index >= col.size:
        return
    # Unflatten index into (c, i, j, n, oh, ow), the row-major order of col.
    ow = index % OW
    rest = index // OW
    oh = rest % OH
    rest //= OH
    n = rest % N
    rest //= N
    j = rest % kw
    rest //= kw
    i = rest % kh
    c = rest // kh
    h = oh * sh - ph + i * dh
    w = ow * sw - pw + j * dw
    if 0 <= h < H and 0 <= w < W:
        col[c, i, j, n, oh, ow] = x[n, c, h, w]
    else:
        col[c, i, j, n, oh, ow] = 0


@cuda.jit
def _col2im_kernel(col, x, sh, sw, ph, pw, dh, dw):
    N, C, H, W = x.shape
    _, kh, kw, _, OH, OW = col.shape
    index = cuda.grid(1)
    if index >= x.size:
        return
    # Unflatten index into (n, c, h, w), the row-major order of x.
    w = index % W
    rest = index // W
    h = rest % H
    rest //= H
    c = rest % C
    n = rest // C
    total = 0.0
    for i in range(kh):
        hs = h + ph - i * dh
        if hs < 0 or hs % sh != 0 or hs // sh >= OH:
            continue
        for j in range(kw):
            ws = w + pw - j * dw
            if ws < 0 or ws % sw != 0 or ws // sw >= OW:
                continue
            total += col[c, i, j, n, hs // sh, ws // sw]
    x[n, c, h, w] = total


def _blocks(size):
    return max(1, (size + THREADS_PER_BLOCK - 1) // THREADS_PER_BLOCK)


def im2col(xp, x, kh, kw, stride, padding, dilation):
    """(N, C, H, W) -> (C, kh, kw, N, OH, OW), as im2col_reference."""
    N, C, H, W = x.shape
    OH = conv_output_size(H, kh, stride[0], padding[0], dilation[0])
    OW = conv_output_size(W, kw, stride[1], padding[1], dilation[1])
    col = xp.empty((C, kh, kw, N, OH, OW), dtype=x.dtype)
    _im2col_kernel[_blocks(col.size), THREADS_PER_BLOCK](
        xp.ascontiguousarray(x), col, *stride, *padding, *dilation)
    return col


def col2im(xp, col, x_shape, stride, padding, dilation):
    """(C, kh, kw, N, OH, OW) -> (N, C, H, W), as col2im_reference."""
    check_columns(col.shape, x_shape, stride, padding, dilation)
    x = xp.empty(x_shape, dtype=col.dtype)
    _col2im_kernel[_blocks(x.size), THREADS_PER_BLOCK](
        xp.ascontiguousarray(col), x, *stride, *padding, *dilation)
    return x
