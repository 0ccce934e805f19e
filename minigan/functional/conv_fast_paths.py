"""The measured shortcuts of convolution, fenced off from the three plain ops of conv.py.

Each gives the same numbers as the plain op and is built of differentiable ops, so gradients of
every order still follow. The timings that justify them are in DESIGN.md.

1. A kernel as large as its input is a matrix product: im2col would only copy x once more.
2. A transposed convolution of a 1x1 input is a matrix product: col2im would only copy y.
3. A column buffer is computed once and handed on: the weight gradient needs the very
   im2col(x) the forward made, and a transposed convolution's two gradients share im2col(gy).
4. So are a convolution's gradient rows: both gradients of conv2d read gy as (O, N*OH*OW).
"""


def conv2d(x, weight, bias, stride, padding, dilation):
    """Shortcut 1 (a DCGAN discriminator's last layer): one output position, so
    y = x (N, C*H*W) @ W (O, C*H*W)^T. None where it does not apply."""
    if padding != (0, 0) or dilation != (1, 1) or x.shape[2:] != weight.shape[2:]:
        return None
    N, O = x.shape[0], weight.shape[0]
    y = x.reshape(N, -1) @ weight.reshape(O, -1).T  # (N, O)
    if bias is not None:
        y = y + bias
    return y.reshape(N, O, 1, 1)


def conv_transpose2d(x, weight, bias, stride, padding, output_padding, dilation):
    """Shortcut 2 (a DCGAN generator's first layer): a 1x1 input paints the kernel once, so
    y = x (N, C) @ W (C, O*kh*kw). None where it does not apply."""
    if (x.shape[2:] != (1, 1) or padding != (0, 0) or output_padding != (0, 0)
            or dilation != (1, 1)):
        return None
    N = x.shape[0]
    C, O, kh, kw = weight.shape
    y = (x.reshape(N, C) @ weight.reshape(C, O * kh * kw)).reshape(N, O, kh, kw)
    return y if bias is None else y + bias.reshape(1, O, 1, 1)


def columns(device, x, kernel_size, geometry, handed_over=None):
    """Shortcut 3: im2col(x) as a (C, kh, kw, N, OH, OW) array, or the buffer a caller has
    already computed for this same x and geometry."""
    if handed_over is not None:
        return handed_over
    return device.im2col(x, *kernel_size, *geometry)


def rows(device, x, handed_over=None):
    """Shortcut 4: x (N, C, H, W) as rows (C, N*H*W), or the rows a caller has already
    made of this same x."""
    if handed_over is not None:
        return handed_over
    return device.swap_leading_axes(x).reshape(x.shape[1], -1)
