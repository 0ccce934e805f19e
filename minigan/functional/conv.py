"""Convolution as three ops whose backwards call each other.

    conv2d(x, w)              y  = W @ im2col(x)                      (forward convolution)
    conv_transpose2d(g, w)    x' = col2im(W^T @ g)                     (its input gradient)
    conv2d_weight_grad(x, g)  w' = g @ im2col(x)^T                     (its weight gradient)

The gradient of a convolution with respect to its input IS a transposed convolution with the
same weight, and the gradient of a transposed convolution is a convolution. Because every
backward below is one of these three ops, each is differentiable again, to any order: the
gradient penalty of WGAN-GP differentiates through them twice.

Column buffers have the layout of minigan.backend.reference: (C, kh, kw, N, OH, OW), so a
convolution is one matrix product with the weight reshaped to (O, C*kh*kw).
"""

from ..backend import conv_output_size, conv_transpose_output_size, pair
from ..tensor import Function


def _geometry(stride, padding, dilation):
    return pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation")


def _input_gradient(gy, w, size, stride, padding, dilation):
    """dL/dx of a conv2d with weight w whose input had spatial `size`: the transposed
    convolution of gy, with the output_padding that makes it exactly that size. (The Function
    is called directly: inside a backward this padding may exceed what PyTorch's public
    conv_transpose2d accepts, which the col2im formulation handles the same way.)"""
    natural = [conv_transpose_output_size(o, k, s, p, 0, d)
               for o, k, s, p, d in zip(gy.shape[2:], w.shape[2:], stride, padding, dilation)]
    output_padding = tuple(n - m for n, m in zip(size, natural))
    return ConvTranspose2d(stride, padding, output_padding, dilation)(gy, w)


class Conv2d(Function):
    def __init__(self, stride, padding, dilation):
        self.stride, self.padding, self.dilation = stride, padding, dilation

    def forward(self, x, w, b=None):
        N = x.shape[0]
        O, C, kh, kw = w.shape
        col = self.backend.im2col(x, kh, kw, self.stride, self.padding, self.dilation)
        OH, OW = col.shape[4:]
        y = w.reshape(O, C * kh * kw) @ col.reshape(C * kh * kw, N * OH * OW)
        if b is not None:
            y += b[:, None]
        self.col = col  # reused by the weight gradient (see conv2d_weight_grad)
        return self.xp.ascontiguousarray(y.reshape(O, N, OH, OW).transpose(1, 0, 2, 3))

    def backward(self, gy):
        # dL/dx = conv_transpose2d(dL/dy, w); dL/dw = conv2d_weight_grad(x, dL/dy); dL/db = sum dL/dy
        x, w = self.inputs[:2]
        need = self.needs_input_grad
        gx = gw = gb = None
        if need[0]:
            gx = _input_gradient(gy, w, x.shape[2:], self.stride, self.padding, self.dilation)
        col, self.col = self.col, None  # a second backward (retain_graph) recomputes it
        if need[1]:
            gw = Conv2dWeightGrad(w.shape[2:], self.stride, self.padding, self.dilation,
                                  col)(x, gy)
        if len(need) == 3 and need[2]:
            gb = gy.sum(axis=(0, 2, 3))
        return (gx, gw) if len(need) == 2 else (gx, gw, gb)


class ConvTranspose2d(Function):
    def __init__(self, stride, padding, output_padding, dilation):
        self.stride, self.padding, self.dilation = stride, padding, dilation
        self.output_padding = output_padding

    def forward(self, x, w, b=None):
        N, C_in, H, W = x.shape
        _, C_out, kh, kw = w.shape
        OH, OW = (conv_transpose_output_size(n, k, s, p, op, d) for n, k, s, p, op, d in zip(
            (H, W), (kh, kw), self.stride, self.padding, self.output_padding, self.dilation))
        x_rows = self.xp.ascontiguousarray(x.transpose(1, 0, 2, 3)).reshape(C_in, N * H * W)
        col = w.reshape(C_in, C_out * kh * kw).T @ x_rows  # (C_out*kh*kw, N*H*W)
        y = self.backend.col2im(col.reshape(C_out, kh, kw, N, H, W), (N, C_out, OH, OW),
                                self.stride, self.padding, self.dilation)
        if b is not None:
            y += b[None, :, None, None]
        return y

    def backward(self, gy):
        # dL/dx = conv2d(dL/dy, w); dL/dw = conv2d_weight_grad(dL/dy, x); dL/db = sum dL/dy
        x, w = self.inputs[:2]
        need = self.needs_input_grad
        gx = gw = gb = None
        col = None
        if need[0]:
            convolution = Conv2d(self.stride, self.padding, self.dilation)
            gx = convolution(gy, w)
            col, convolution.col = convolution.col, None  # im2col(gy): the weight grad needs it too
            if gx.shape != x.shape:  # output_padding >= stride added rows that no input reached
                gx = gx[:, :, :x.shape[2], :x.shape[3]]
        if need[1]:
            gw = Conv2dWeightGrad(w.shape[2:], self.stride, self.padding, self.dilation, col)(gy, x)
        if len(need) == 3 and need[2]:
            gb = gy.sum(axis=(0, 2, 3))
        return (gx, gw) if len(need) == 2 else (gx, gw, gb)


class Conv2dWeightGrad(Function):
    """dL/dw of conv2d(x, w) given x and gy = dL/dy: (O, C, kh, kw)."""

    def __init__(self, kernel_size, stride, padding, dilation, col=None):
        self.kernel_size, self.stride, self.padding, self.dilation = (kernel_size, stride,
                                                                      padding, dilation)
        self.col = col

    def forward(self, x, gy):
        C, (kh, kw) = x.shape[1], self.kernel_size
        O, OH, OW = gy.shape[1:]
        col = self.col
        if col is None:
            col = self.backend.im2col(x, kh, kw, self.stride, self.padding, self.dilation)
        self.col = None  # the conv2d forward's buffer is needed once; free it now
        if col.shape[4:] != (OH, OW):  # gy covers fewer output positions than x allows
            col = col[..., :OH, :OW]
        gy_rows = self.xp.ascontiguousarray(gy.transpose(1, 0, 2, 3)).reshape(O, -1)
        return (gy_rows @ col.reshape(C * kh * kw, -1).T).reshape(O, C, kh, kw)

    def backward(self, ggw):
        # linear in x and in gy: d/dx = conv_transpose2d(gy, ggw), d/dgy = conv2d(x, ggw)
        x, gy = self.inputs
        need_x, need_gy = self.needs_input_grad
        gx = ggy = None
        if need_x:
            gx = _input_gradient(gy, ggw, x.shape[2:], self.stride, self.padding, self.dilation)
        if need_gy:
            ggy = conv2d(x, ggw, None, self.stride, self.padding, self.dilation)
            if ggy.shape != gy.shape:
                ggy = ggy[:, :, :gy.shape[2], :gy.shape[3]]
        return gx, ggy


def _check_4d(name, **tensors):
    for label, t in tensors.items():
        if t is not None and t.ndim != 4:
            raise ValueError(f"{name}: {label} must be 4-D (N, C, H, W) / (out, in, kh, kw), "
                             f"got shape {t.shape}")


def _check_positive_output(name, size, out_size):
    if min(out_size) < 1:
        raise ValueError(f"{name}: the input's spatial size {tuple(size)} is too small for "
                         f"the kernel, stride, padding and dilation (output would be "
                         f"{tuple(out_size)})")


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-D convolution (cross-correlation, as PyTorch): x (N, C, H, W), weight (O, C, kh, kw),
    bias (O,) -> (N, O, OH, OW)."""
    _check_4d("conv2d", input=x, weight=weight)
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"conv2d: the input has {x.shape[1]} channels (shape {x.shape}) but the "
                         f"weight {weight.shape} expects {weight.shape[1]}")
    stride, padding, dilation = _geometry(stride, padding, dilation)
    _check_positive_output("conv2d", x.shape[2:], [
        conv_output_size(n, k, s, p, d) for n, k, s, p, d in zip(
            x.shape[2:], weight.shape[2:], stride, padding, dilation)])
    if padding == (0, 0) and dilation == (1, 1) and x.shape[2:] == weight.shape[2:]:
        return _whole_map_conv2d(x, weight, bias)
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Conv2d(stride, padding, dilation)(*inputs)


def _whole_map_conv2d(x, weight, bias):
    """A kernel as large as its input (a DCGAN discriminator's last layer) has one output
    position: the convolution is a matrix product, x (N, C*H*W) @ W (O, C*H*W)^T. Composed of
    differentiable ops, so its gradients of every order follow."""
    N, O = x.shape[0], weight.shape[0]
    y = x.reshape(N, -1) @ weight.reshape(O, -1).T  # (N, O)
    if bias is not None:
        y = y + bias
    return y.reshape(N, O, 1, 1)


def _from_one_pixel_conv_transpose2d(x, weight, bias):
    """A transposed convolution of a 1x1 input (a DCGAN generator's first layer) paints the
    whole kernel once: x (N, C) @ W (C, O*kh*kw), a matrix product."""
    N = x.shape[0]
    _, O, kh, kw = weight.shape
    y = (x.reshape(N, -1) @ weight.reshape(weight.shape[0], -1)).reshape(N, O, kh, kw)
    return y if bias is None else y + bias.reshape(1, O, 1, 1)


def conv_transpose2d(x, weight, bias=None, stride=1, padding=0, output_padding=0, dilation=1):
    """Transposed convolution, the input gradient of conv2d: x (N, C_in, H, W), weight
    (C_in, C_out, kh, kw), bias (C_out,) -> (N, C_out, OH, OW)."""
    _check_4d("conv_transpose2d", input=x, weight=weight)
    if x.shape[1] != weight.shape[0]:
        raise ValueError(f"conv_transpose2d: the input has {x.shape[1]} channels (shape "
                         f"{x.shape}) but the weight {weight.shape} expects {weight.shape[0]}")
    stride, padding, dilation = _geometry(stride, padding, dilation)
    output_padding = pair(output_padding, "output_padding")
    for op, s, d in zip(output_padding, stride, dilation):
        if op >= s and op >= d:
            raise ValueError(f"conv_transpose2d: output_padding {output_padding} must be smaller "
                             f"than the stride {stride} or the dilation {dilation}")
    _check_positive_output("conv_transpose2d", x.shape[2:], [
        conv_transpose_output_size(n, k, s, p, op, d) for n, k, s, p, op, d in zip(
            x.shape[2:], weight.shape[2:], stride, padding, output_padding, dilation)])
    if (x.shape[2:] == (1, 1) and padding == (0, 0) and output_padding == (0, 0)
            and dilation == (1, 1)):
        return _from_one_pixel_conv_transpose2d(x, weight, bias)
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return ConvTranspose2d(stride, padding, output_padding, dilation)(*inputs)


def conv2d_weight_grad(x, grad_output, kernel_size, stride=1, padding=0, dilation=1):
    """The gradient of conv2d's loss with respect to its weight, from the input `x` (N, C, H, W)
    and the output gradient (N, O, OH, OW): a tensor (O, C, kh, kw). The output gradient may
    cover fewer positions than conv2d(x) has (ConvTranspose2d's output_padding); the rest
    count as zero."""
    stride, padding, dilation = _geometry(stride, padding, dilation)
    return Conv2dWeightGrad(pair(kernel_size, "kernel_size"), stride, padding, dilation)(
        x, grad_output)


# -- im2col as a differentiable op: pooling and unfold are built on it ------------------------
class Im2Col(Function):
    def __init__(self, kernel_size, stride, padding, dilation):
        self.kernel_size, self.stride, self.padding, self.dilation = (kernel_size, stride,
                                                                      padding, dilation)

    def forward(self, x):
        return self.backend.im2col(x, *self.kernel_size, self.stride, self.padding,
                                   self.dilation)

    def backward(self, gcol):
        # im2col copies pixels into patches: its adjoint adds every patch back (col2im)
        return Col2Im(self.inputs[0].shape, self.stride, self.padding, self.dilation)(gcol)


class Col2Im(Function):
    def __init__(self, image_shape, stride, padding, dilation):
        self.image_shape, self.stride, self.padding, self.dilation = (image_shape, stride,
                                                                      padding, dilation)

    def forward(self, col):
        return self.backend.col2im(col, self.image_shape, self.stride, self.padding,
                                   self.dilation)

    def backward(self, gx):
        # the adjoint of a sum over patches is a copy into patches (im2col)
        kernel_size = self.inputs[0].shape[1:3]
        return Im2Col(kernel_size, self.stride, self.padding, self.dilation)(gx)


def im2col(x, kernel_size, stride=1, padding=0, dilation=1):
    """The patches of x (N, C, H, W) as a differentiable (C, kh, kw, N, OH, OW) tensor."""
    _check_4d("im2col", input=x)
    return Im2Col(pair(kernel_size, "kernel_size"), *_geometry(stride, padding, dilation))(x)


def col2im(col, image_shape, stride=1, padding=0, dilation=1):
    """Sum a (C, kh, kw, N, OH, OW) column tensor back into images of `image_shape`."""
    return Col2Im(tuple(image_shape), *_geometry(stride, padding, dilation))(col)


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """PyTorch's F.unfold: x (N, C, H, W) -> patches (N, C*kh*kw, OH*OW)."""
    col = im2col(x, kernel_size, stride, padding, dilation)
    C, kh, kw, N, OH, OW = col.shape
    return col.reshape(C * kh * kw, N, OH * OW).permute(1, 0, 2)


def fold(patches, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """PyTorch's F.fold, the adjoint of unfold: (N, C*kh*kw, L) -> (N, C, H, W)."""
    kh, kw = pair(kernel_size, "kernel_size")
    H, W = pair(output_size, "output_size")
    stride_, padding_, dilation_ = _geometry(stride, padding, dilation)
    N, rows, _ = patches.shape
    C = rows // (kh * kw)
    OH = conv_output_size(H, kh, stride_[0], padding_[0], dilation_[0])
    OW = conv_output_size(W, kw, stride_[1], padding_[1], dilation_[1])
    col = patches.permute(1, 0, 2).reshape(C, kh, kw, N, OH, OW)
    return col2im(col, (N, C, H, W), stride_, padding_, dilation_)
