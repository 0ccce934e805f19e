"""Sizes shared by every convolution kernel: pure integer arithmetic, no arrays."""


def pair(value, name="argument"):
    """Return `value` as a pair of ints: 3 -> (3, 3), (2, 1) -> (2, 1)."""
    if isinstance(value, int):
        return (value, value)
    try:
        first, second = value
        return (int(first), int(second))
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an int or a pair of ints, got {value!r}") from None


def conv_output_size(size, kernel, stride, padding, dilation):
    """Output length of a convolution along one axis (PyTorch's formula)."""
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


def conv_transpose_output_size(size, kernel, stride, padding, output_padding, dilation):
    """Output length of a transposed convolution along one axis (PyTorch's formula)."""
    return (size - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1


def check_columns(col_shape, x_shape, stride, padding, dilation):
    """Raise a one-line ValueError unless a (C, kh, kw, N, OH, OW) column buffer can be summed
    into images of `x_shape` (N, C, H, W). OH and OW may fall short of the full output: the
    positions it lacks count as zero (a transposed convolution's output_padding)."""
    if len(col_shape) == 6 and len(x_shape) == 4:
        C, kh, kw, N, OH, OW = col_shape
        full = tuple(conv_output_size(n, k, s, p, d) for n, k, s, p, d in zip(
            x_shape[2:], (kh, kw), stride, padding, dilation))
        if (N, C) == tuple(x_shape[:2]) and OH <= full[0] and OW <= full[1]:
            return
        expected = f"({x_shape[1]}, {kh}, {kw}, {x_shape[0]}, OH <= {full[0]}, OW <= {full[1]})"
    else:
        expected = "6-D (C, kh, kw, N, OH, OW) for 4-D images (N, C, H, W)"
    raise ValueError(f"col2im: a column buffer of shape {tuple(col_shape)} does not fit images "
                     f"of shape {tuple(x_shape)} with stride {tuple(stride)}, padding "
                     f"{tuple(padding)}, dilation {tuple(dilation)}: expected {expected}")
