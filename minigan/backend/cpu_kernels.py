"""Numba CPU kernels for im2col and col2im, with the index arithmetic of reference.py.

Both run in parallel over independent slices of their output, so no two threads ever write the
same element: im2col over the rows (c, i, j) of the column buffer, col2im over the images and
channels (n, c) of the result. col2im is written as a gather, each pixel summing the column
entries that came from it, which is why it needs no atomics.
"""

import numpy as np
from numba import njit, prange

from .geometry import conv_output_size


@njit(parallel=True, cache=True)
def _im2col_kernel(x, col, sh, sw, ph, pw, dh, dw):
    N, C, H, W = x.shape
    _, kh, kw, _, OH, OW = col.shape
    for row in prange(C * kh * kw):
        c, i, j = row // (kh * kw), (row // kw) % kh, row % kw
        for n in range(N):
            for oh in range(OH):
                h = oh * sh - ph + i * dh
                inside_h = 0 <= h < H
                for ow in range(OW):
                    w = ow * sw - pw + j * dw
                    if inside_h and 0 <= w < W:
                        col[c, i, j, n, oh, ow] = x[n, c, h, w]
                    else:
                        col[c, i, j, n, oh, ow] = 0


@njit(parallel=True, cache=True)
def _col2im_kernel(col, x, sh, sw, ph, pw, dh, dw):
    N, C, H, W = x.shape
    _, kh, kw, _, OH, OW = col.shape
    for image_channel in prange(N * C):
        n, c = image_channel // C, image_channel % C
        for h in range(H):
            for w in range(W):
                total = col.dtype.type(0)
                for i in range(kh):
                    hs = h + ph - i * dh  # = oh * sh for the output row that used pixel h
                    if hs < 0 or hs % sh != 0 or hs // sh >= OH:
                        continue
                    for j in range(kw):
                        ws = w + pw - j * dw
                        if ws < 0 or ws % sw != 0 or ws // sw >= OW:
                            continue
                        total += col[c, i, j, n, hs // sh, ws // sw]
                x[n, c, h, w] = total


def im2col(x, kh, kw, stride, padding, dilation):
    """(N, C, H, W) -> (C, kh, kw, N, OH, OW), as im2col_reference."""
    N, C, H, W = x.shape
    OH = conv_output_size(H, kh, stride[0], padding[0], dilation[0])
    OW = conv_output_size(W, kw, stride[1], padding[1], dilation[1])
    col = np.empty((C, kh, kw, N, OH, OW), dtype=x.dtype)
    _im2col_kernel(np.ascontiguousarray(x), col, *stride, *padding, *dilation)
    return col


def col2im(col, x_shape, stride, padding, dilation):
    """(C, kh, kw, N, OH, OW) -> (N, C, H, W), as col2im_reference."""
    x = np.empty(x_shape, dtype=col.dtype)
    _col2im_kernel(np.ascontiguousarray(col), x, *stride, *padding, *dilation)
    return x
