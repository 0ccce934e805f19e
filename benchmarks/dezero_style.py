"""A reference point: a convolution in the design of DeZero and Chainer, plain NumPy only.

im2col copies one kernel tap at a time with strided slices, the product is np.tensordot, and
col2im adds the taps back one slice at a time. This is the design minigan's kernels improve
on; the benchmark times it on the same layer. Written for this benchmark, in that design.
"""

import numpy as np


def _out_size(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


def im2col(x, kernel, stride, padding):
    N, C, H, W = x.shape
    OH, OW = _out_size(H, kernel, stride, padding), _out_size(W, kernel, stride, padding)
    padded = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    col = np.empty((N, C, kernel, kernel, OH, OW), dtype=x.dtype)
    for i in range(kernel):
        for j in range(kernel):
            col[:, :, i, j] = padded[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride]
    return col


def col2im(col, x_shape, stride, padding):
    N, C, H, W = x_shape
    _, _, kernel, _, OH, OW = col.shape
    padded = np.zeros((N, C, H + 2 * padding + stride - 1, W + 2 * padding + stride - 1),
                      dtype=col.dtype)
    for i in range(kernel):
        for j in range(kernel):
            padded[:, :, i:i + stride * OH:stride, j:j + stride * OW:stride] += col[:, :, i, j]
    return padded[:, :, padding:padding + H, padding:padding + W]


class Conv2d:
    """Forward and backward of a convolution layer in the DeZero design."""

    def __init__(self, weight, bias, stride, padding):
        self.weight, self.bias, self.stride, self.padding = weight, bias, stride, padding

    def forward(self, x):
        kernel = self.weight.shape[2]
        self.x, self.col = x, im2col(x, kernel, self.stride, self.padding)
        y = np.tensordot(self.col, self.weight, ((1, 2, 3), (1, 2, 3)))  # (N, OH, OW, O)
        return np.ascontiguousarray((y + self.bias).transpose(0, 3, 1, 2))

    def backward(self, gy):
        grad_weight = np.tensordot(gy, self.col, ((0, 2, 3), (0, 4, 5)))  # (O, C, k, k)
        grad_bias = gy.sum(axis=(0, 2, 3))
        grad_col = np.tensordot(self.weight, gy, (0, 1))  # (C, k, k, N, OH, OW)
        grad_x = col2im(np.ascontiguousarray(grad_col.transpose(3, 0, 1, 2, 4, 5)),
                        self.x.shape, self.stride, self.padding)
        return grad_x, grad_weight, grad_bias
