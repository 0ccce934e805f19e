"""Convolution geometries for the kernel tests, drawn by hypothesis: every combination of
kernel size, stride, padding and dilation that yields at least one output pixel."""

from hypothesis import assume
from hypothesis import strategies as st

from minigan.backend import conv_output_size


@st.composite
def geometries(draw, max_batch=3, max_channels=3, max_side=9):
    """(x shape, kh, kw, stride, padding, dilation) with a non-empty output."""
    N = draw(st.integers(1, max_batch))
    C = draw(st.integers(1, max_channels))
    H, W = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    assume(conv_output_size(H, kh, stride[0], padding[0], dilation[0]) >= 1)
    assume(conv_output_size(W, kw, stride[1], padding[1], dilation[1]) >= 1)
    return (N, C, H, W), kh, kw, stride, padding, dilation
