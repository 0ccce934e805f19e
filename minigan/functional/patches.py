"""im2col and col2im as differentiable ops, each the other's adjoint; pooling, unfold and fold
are built on them. Column buffers have the layout of minigan.backend.reference."""

from ..backend import conv_output_size, pair
from ..tensor import Function


def _geometry(stride, padding, dilation):
    return pair(stride, "stride"), pair(padding, "padding"), pair(dilation, "dilation")


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
    if x.ndim != 4:
        raise ValueError(f"im2col: input must be 4-D (N, C, H, W), got shape {x.shape}")
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
