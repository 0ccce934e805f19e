"""Reference im2col and col2im: a few lines of array indexing, for any array module `xp`.

These are the definitions that the fast kernels (Numba on the CPU, CUDA on the GPU) are tested
against, and the ones the tutorials teach with. They are correct and short, not fast.

Layout of a column buffer: `col[c, i, j, n, oh, ow]`, shape (C, kh, kw, N, OH, OW), is the input
pixel that kernel tap (i, j) of channel c sees when output pixel (oh, ow) of image n is computed:

    col[c, i, j, n, oh, ow] = x_padded[n, c, oh*sh + i*dh, ow*sw + j*dw]

Reshaped to (C*kh*kw, N*OH*OW), a convolution is one matrix product: W(O, C*kh*kw) @ col.
"""

from .geometry import check_columns, conv_output_size


def _patch_index(xp, kh, kw, OH, OW, stride, dilation):
    """Row and column indices into the padded image, broadcastable to (kh, kw, OH, OW)."""
    (sh, sw), (dh, dw) = stride, dilation
    rows = xp.arange(kh)[:, None] * dh + xp.arange(OH)[None, :] * sh  # (kh, OH)
    cols = xp.arange(kw)[:, None] * dw + xp.arange(OW)[None, :] * sw  # (kw, OW)
    return rows[:, None, :, None], cols[None, :, None, :]


def im2col_reference(xp, x, kh, kw, stride, padding, dilation):
    """Gather every kernel patch of `x` (N, C, H, W) into a (C, kh, kw, N, OH, OW) buffer."""
    N, C, H, W = x.shape
    (ph, pw) = padding
    OH = conv_output_size(H, kh, stride[0], ph, dilation[0])
    OW = conv_output_size(W, kw, stride[1], pw, dilation[1])
    x_padded = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    rows, cols = _patch_index(xp, kh, kw, OH, OW, stride, dilation)
    patches = x_padded[:, :, rows, cols]  # (N, C, kh, kw, OH, OW)
    return xp.ascontiguousarray(patches.transpose(1, 2, 3, 0, 4, 5))


def col2im_reference(xp, scatter_add, col, x_shape, stride, padding, dilation):
    """The adjoint of im2col: scatter-add every column entry back to the pixel it came from.

    im2col is a gather, so its transpose is a scatter-add with the same index. Pixels that
    several patches share receive the sum of their entries.
    """
    check_columns(col.shape, x_shape, stride, padding, dilation)
    N, C, H, W = x_shape
    _, kh, kw, _, OH, OW = col.shape
    (ph, pw) = padding
    x_padded = xp.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=col.dtype)
    rows, cols = _patch_index(xp, kh, kw, OH, OW, stride, dilation)
    scatter_add(x_padded, (slice(None), slice(None), rows, cols), col.transpose(3, 0, 1, 2, 4, 5))
    return xp.ascontiguousarray(x_padded[:, :, ph:ph + H, pw:pw + W])
