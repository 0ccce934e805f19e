"""Convolution as three ops whose backwards call each other.

    conv2d(x, w)                     y  = W @ im2col(x)                 the convolution
    conv_transpose2d(g, w, size)     x' = col2im(W^T @ g) of that size  its input gradient
    conv2d_weight_grad(x, g)         w' = g @ im2col(x)^T               its weight gradient

The gradient of a convolution with respect to its input IS a transposed convolution with the
same weight, and the gradient of a transposed convolution is a convolution. Every backward
below is one of these three ops, so each is differentiable again, to any order: the gradient
penalty of WGAN-GP differentiates through them twice. The measured shortcuts (two matrix
products, one column buffer used twice) live apart, in conv_fast_paths.py.

Column buffers have the layout of minigan.backend.reference: (C, kh, kw, N, OH, OW), so a
convolution is one matrix product with the weight reshaped to (O, C*kh*kw).
"""

from ..backend import conv_output_size, conv_transpose_output_size, pair
from ..tensor import Function
from . import conv_fast_paths as fast


def _crop(a, size):
    """The first `size` positions of a's last two axes. Output positions that a smaller
    tensor does not reach (output_padding, a gradient of fewer positions) count as zero."""
    return a if tuple(a.shape[-2:]) == tuple(size) else a[..., :size[0], :size[1]]


class Conv2d(Function):
    """y = W @ im2col(x) + b. `col`: im2col(x), when the caller has already computed it."""

    def __init__(self, stride, padding, dilation, col=None):
        self.geometry, self.col = (stride, padding, dilation), col

    def forward(self, x, w, b=None):
        O, C, kh, kw = w.shape
        self.col = fast.columns(self.backend, x, (kh, kw), self.geometry, self.col)
        N, (OH, OW) = x.shape[0], self.col.shape[4:]
        y = w.reshape(O, C * kh * kw) @ self.col.reshape(C * kh * kw, N * OH * OW)
        self.has_bias = b is not None
        if self.has_bias:
            y += b[:, None]
        return self.backend.swap_leading_axes(y.reshape(O, N, OH, OW))

    def backward(self, gy):
        # dx = conv_transpose2d(gy, w) of x's size; dw = conv2d_weight_grad(x, gy); db = sum gy
        x, w = self.inputs[:2]
        need = self.needs_input_grad
        col, self.col = self.col, None  # handed to the weight gradient; a second backward redoes it
        rows = fast.rows(self.backend, gy.array) if need[0] and need[1] else None  # both read it
        gx = ConvTranspose2d(*self.geometry, x.shape[2:], rows)(gy, w) if need[0] else None
        gw = (Conv2dWeightGrad(w.shape[2:], *self.geometry, col=col, rows=rows)(x, gy)
              if need[1] else None)
        if not self.has_bias:
            return gx, gw
        return gx, gw, (gy.sum(axis=(0, 2, 3)) if need[2] else None)


class ConvTranspose2d(Function):
    """y = col2im(W^T @ x) + b, of spatial size `output_size`: the adjoint of conv2d.
    `rows`: x as (C_in, N*H*W), when the caller has already made them."""

    def __init__(self, stride, padding, dilation, output_size, rows=None):
        self.geometry, self.output_size = (stride, padding, dilation), tuple(output_size)
        self.rows = rows

    def forward(self, x, w, b=None):
        N, C_in, H, W = x.shape
        _, C_out, kh, kw = w.shape
        x_rows, self.rows = fast.rows(self.backend, x, self.rows), None  # used once
        col = w.reshape(C_in, C_out * kh * kw).T @ x_rows  # (C_out*kh*kw, N*H*W)
        y = self.backend.col2im(col.reshape(C_out, kh, kw, N, H, W),
                                (N, C_out) + self.output_size, *self.geometry)
        self.has_bias = b is not None
        if self.has_bias:
            y += b[None, :, None, None]
        return y

    def backward(self, gy):
        # dx = conv2d(gy, w); dw = conv2d_weight_grad(gy, x); db = sum gy. Both read im2col(gy).
        x, w = self.inputs[:2]
        need = self.needs_input_grad
        col = fast.columns(self.backend, gy.array, w.shape[2:], self.geometry)
        gx = _crop(Conv2d(*self.geometry, col=col)(gy, w), x.shape[2:]) if need[0] else None
        gw = Conv2dWeightGrad(w.shape[2:], *self.geometry, col=col)(gy, x) if need[1] else None
        if not self.has_bias:
            return gx, gw
        return gx, gw, (gy.sum(axis=(0, 2, 3)) if need[2] else None)


class Conv2dWeightGrad(Function):
    """dw = gy @ im2col(x)^T: the weight gradient of conv2d(x, w) given gy = dL/dy.
    `col`, `rows`: im2col(x) and gy's rows, when the caller has already made them."""

    def __init__(self, kernel_size, stride, padding, dilation, col=None, rows=None):
        self.kernel_size, self.geometry = kernel_size, (stride, padding, dilation)
        self.col, self.rows = col, rows

    def forward(self, x, gy):
        (col, self.col), (gy_rows, self.rows) = (self.col, None), (self.rows, None)  # used once
        col = _crop(fast.columns(self.backend, x, self.kernel_size, self.geometry, col),
                    gy.shape[2:])
        gy_rows = fast.rows(self.backend, gy, gy_rows)  # (O, N*OH*OW)
        taps = col.shape[0] * col.shape[1] * col.shape[2]
        # dw^T = col @ gy_rows^T: the product in this order is the faster one (DESIGN.md)
        gw_t = col.reshape(taps, -1) @ gy_rows.T  # (C*kh*kw, O)
        return gw_t.T.reshape((gy.shape[1], x.shape[1]) + self.kernel_size)

    def backward(self, ggw):
        # linear in x and in gy: d/dx = conv_transpose2d(gy, ggw), d/dgy = conv2d(x, ggw)
        x, gy = self.inputs
        need_x, need_gy = self.needs_input_grad
        gx = ConvTranspose2d(*self.geometry, x.shape[2:])(gy, ggw) if need_x else None
        ggy = _crop(conv2d(x, ggw, None, *self.geometry), gy.shape[2:]) if need_gy else None
        return gx, ggy


def _geometry(stride, padding, dilation):
    return pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation")


def _check_shapes(name, x, weight, in_channels_axis):
    for label, t in (("input", x), ("weight", weight)):
        if t.ndim != 4:
            raise ValueError(f"{name}: {label} must be 4-D (N, C, H, W) / (out, in, kh, kw), "
                             f"got shape {t.shape}")
    expected = weight.shape[in_channels_axis]
    if x.shape[1] != expected:
        raise ValueError(f"{name}: the input has {x.shape[1]} channels (shape {x.shape}) but the "
                         f"weight {weight.shape} expects {expected}")


def _check_output(name, x, out_size):
    if min(out_size) < 1:
        raise ValueError(f"{name}: the input's spatial size {tuple(x.shape[2:])} is too small "
                         f"for the kernel, stride, padding and dilation (output would be "
                         f"{tuple(out_size)})")


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D convolution (cross-correlation, as PyTorch): x (N, C, H, W), weight (O, C, kh, kw),
    bias (O,) -> (N, O, OH, OW)."""
    _check_shapes("conv2d", x, weight, 1)
    geometry = _geometry(stride, padding, dilation)
    _check_output("conv2d", x, [conv_output_size(n, k, s, p, d) for n, k, s, p, d in zip(
        x.shape[2:], weight.shape[2:], *geometry)])
    shortcut = fast.conv2d(x, weight, bias, *geometry)
    if shortcut is not None:
        return shortcut
    return Conv2d(*geometry)(*((x, weight) if bias is None else (x, weight, bias)))


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1):
    """Transposed convolution, the input gradient of conv2d: x (N, C_in, H, W), weight
    (C_in, C_out, kh, kw), bias (C_out,) -> (N, C_out, OH, OW)."""
    _check_shapes("conv_transpose2d", x, weight, 0)
    stride, padding, dilation = _geometry(stride, padding, dilation)
    extra = pair(output_padding, "output_padding")
    if any(e >= s and e >= d for e, s, d in zip(extra, stride, dilation)):
        raise ValueError(f"conv_transpose2d: output_padding {extra} must be smaller than the "
                         f"stride {stride} or the dilation {dilation}")
    size = [conv_transpose_output_size(n, k, s, p, e, d) for n, k, s, p, e, d in zip(
        x.shape[2:], weight.shape[2:], stride, padding, extra, dilation)]
    _check_output("conv_transpose2d", x, size)
    shortcut = fast.conv_transpose2d(x, weight, bias, stride, padding, extra, dilation)
    if shortcut is not None:
        return shortcut
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return ConvTranspose2d(stride, padding, dilation, size)(*inputs)


def conv2d_weight_grad(x, grad_output, kernel_size, stride=1, padding=0, dilation=1):
    """The gradient of conv2d's loss with respect to its weight, from the input `x` (N, C, H, W)
    and the output gradient (N, O, OH, OW): a tensor (O, C, kh, kw). The output gradient may
    cover fewer positions than conv2d(x) has (ConvTranspose2d's output_padding); the rest
    count as zero."""
    return Conv2dWeightGrad(pair(kernel_size, "kernel_size"),
                            *_geometry(stride, padding, dilation))(x, grad_output)
