"""Resizing and rearranging images, PyTorch's way: bilinear `interpolate` (align_corners either
way), `pixel_shuffle`, `adaptive_avg_pool2d`, reflection and replication `pad`, `dropout2d`.

All are gathers, weighted sums or matrix products with constant tensors, so their gradients
(and second derivatives) come from indexing, multiplication and matmul.
"""

import math

from ..backend import pair
from ..tensor import Tensor
from . import layers, shape


# -- interpolation ----------------------------------------------------------------------------
def _source_positions(xp, size, out_size, align_corners, scale_factor):
    """For each output pixel, the two input pixels it blends and the second one's weight."""
    if align_corners:
        step = (size - 1) / (out_size - 1) if out_size > 1 else 0.0
        position = xp.arange(out_size, dtype="float64") * step
    else:
        step = 1 / scale_factor if scale_factor is not None else size / out_size
        position = xp.maximum((xp.arange(out_size, dtype="float64") + 0.5) * step - 0.5, 0.0)
    low = xp.minimum(xp.floor(position).astype("int64"), size - 1)
    high = xp.minimum(low + 1, size - 1)
    return low, high, position - low


def _blend(x, axis, low, high, weight):
    """Linear interpolation of x along `axis` between the pixels `low` and `high`."""
    index = (slice(None),) * axis
    view = (-1,) + (1,) * (x.ndim - 1 - axis)
    w = Tensor(weight.astype(x.dtype).reshape(view))
    return x[index + (Tensor(low),)] * (1.0 - w) + x[index + (Tensor(high),)] * w


def interpolate(x, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Resize (N, C, H, W) images: mode "nearest" (PyTorch's pixel choice) or "bilinear"."""
    if mode == "nearest":
        if align_corners is not None:
            raise ValueError("align_corners applies to mode='bilinear' only")
        return layers.interpolate(x, size, scale_factor, mode)
    if mode != "bilinear":
        raise ValueError(f"interpolate supports mode='nearest' and 'bilinear', got {mode!r}")
    if x.ndim != 4:
        raise ValueError(f"interpolate needs (N, C, H, W) input, got shape {x.shape}")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate needs exactly one of size and scale_factor")
    H, W = x.shape[2:]
    scales = (None, None) if scale_factor is None else tuple(scale_factor) if isinstance(
        scale_factor, (tuple, list)) else (scale_factor, scale_factor)
    OH, OW = pair(size, "size") if size is not None else (
        math.floor(H * scales[0]), math.floor(W * scales[1]))
    xp = x.backend.xp
    for axis, n, out, scale in ((2, H, OH, scales[0]), (3, W, OW, scales[1])):
        x = _blend(x, axis, *_source_positions(xp, n, out, bool(align_corners), scale))
    return x


# -- rearranging and pooling ------------------------------------------------------------------
def pixel_shuffle(x, upscale_factor):
    """(N, C r^2, H, W) -> (N, C, H r, W r): each group of r^2 channels becomes an r x r block."""
    N, channels, H, W = x.shape
    r = upscale_factor
    if channels % (r * r):
        raise ValueError(f"pixel_shuffle by {r} needs channels divisible by {r * r}, got "
                         f"shape {x.shape}")
    C = channels // (r * r)
    return x.reshape(N, C, r, r, H, W).permute(0, 1, 4, 2, 5, 3).reshape(N, C, H * r, W * r)


def _bin_matrix(xp, size, out_size, dtype):
    """(out_size, size): row i averages PyTorch's bin [floor(i n / m), ceil((i + 1) n / m))."""
    matrix = xp.zeros((out_size, size), dtype=dtype)
    for i in range(out_size):
        start, end = (i * size) // out_size, -(-((i + 1) * size) // out_size)
        matrix[i, start:end] = 1.0 / (end - start)
    return matrix


def adaptive_avg_pool2d(x, output_size):
    """Average (N, C, H, W) over PyTorch's adaptive bins to (N, C, OH, OW)."""
    H, W = x.shape[-2:]
    OH, OW = (output_size, output_size) if isinstance(output_size, int) else output_size
    OH, OW = H if OH is None else OH, W if OW is None else OW
    xp = x.backend.xp
    rows = Tensor(_bin_matrix(xp, H, OH, x.dtype))
    columns = Tensor(_bin_matrix(xp, W, OW, x.dtype).T.copy())
    return (rows @ x) @ columns


# -- padding ----------------------------------------------------------------------------------
def _source_index(xp, size, before, after, mode):
    position = xp.arange(-before, size + after)
    if mode == "replicate":
        return xp.clip(position, 0, size - 1)
    if before >= size or after >= size:
        raise ValueError(f"reflect padding ({before}, {after}) must be smaller than the "
                         f"axis it pads ({size})")
    position = xp.abs(position)  # reflect: -1 -> 1, size -> size - 2
    return xp.where(position >= size, 2 * (size - 1) - position, position)


def pad(x, pad, mode="constant", value=0.0):
    """PyTorch's pad: `pad` lists (left, right, top, bottom, ...) from the last axis; mode
    "constant" (with `value`), "reflect" or "replicate"."""
    if mode == "constant":
        return shape.pad(x, pad, value)
    if mode not in ("reflect", "replicate"):
        raise ValueError(f"pad mode must be 'constant', 'reflect' or 'replicate', got {mode!r}")
    pad = tuple(pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad needs an even number of sizes, at most 2 per axis, got {pad}")
    xp = x.backend.xp
    for k in range(len(pad) // 2):
        axis = x.ndim - 1 - k
        index = _source_index(xp, x.shape[axis], pad[2 * k], pad[2 * k + 1], mode)
        x = x[(slice(None),) * axis + (Tensor(index),)]
    return x


def dropout2d(x, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, ...) with probability p, scaling the rest by 1/(1-p)."""
    return layers.dropout_with_mask_shape(x, p, training, x.shape[:2] + (1,) * (x.ndim - 2))
