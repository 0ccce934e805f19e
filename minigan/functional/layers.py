"""The ops behind the layers: linear, pooling, dropout, upsampling, embedding. (Batch
normalisation is in normalization.py.)"""

from ..backend import pair
from ..tensor import Function, Tensor
from .patches import im2col
from .shape import pad


# -- linear -----------------------------------------------------------------------------------
class Linear(Function):
    def forward(self, x, w, b=None):
        y = x @ w.T
        if b is not None:
            y += b
        return y

    def backward(self, gy):
        # y = x W^T + b: dx = gy W, dW = gy^T x, db = sum over rows of gy
        x, w = self.inputs[:2]
        need = self.needs_input_grad
        gx = gy @ w if need[0] else None
        gw = None
        if need[1]:
            gy_rows, x_rows = gy.reshape(-1, gy.shape[-1]), x.reshape(-1, x.shape[-1])
            gw = gy_rows.T @ x_rows
        if len(need) == 2:
            return gx, gw
        gb = gy.reshape(-1, gy.shape[-1]).sum(axis=0) if need[2] else None
        return gx, gw, gb


def linear(x, weight, bias=None):
    """x @ weight.T + bias, with PyTorch's weight layout (out_features, in_features)."""
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: the input's last axis has {x.shape[-1] if x.ndim else 0} "
                         f"features (shape {x.shape}) but the weight {weight.shape} expects "
                         f"{weight.shape[1]}")
    return Linear()(*((x, weight) if bias is None else (x, weight, bias)))


# -- pooling ----------------------------------------------------------------------------------
def _pool_patches(x, kernel_size, stride, padding, dilation, fill):
    """x's pooling windows as (C, kh*kw, N, OH, OW); the padding holds `fill`."""
    kernel_size = pair(kernel_size, "kernel_size")
    stride = kernel_size if stride is None else pair(stride, "stride")
    ph, pw = pair(padding, "padding")
    for p, k in zip((ph, pw), kernel_size):
        if 2 * p > k:
            raise ValueError(f"pooling padding {padding} must be at most half the kernel "
                             f"{kernel_size}")
    if ph or pw:
        x = pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), value=fill)
    col = im2col(x, kernel_size, stride, 0, dilation)
    C, kh, kw, N, OH, OW = col.shape
    return col.reshape(C, kh * kw, N, OH, OW)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1):
    """The maximum of each window (stride defaults to the kernel size)."""
    windows = _pool_patches(x, kernel_size, stride, padding, dilation, float("-inf"))
    return windows.max(axis=1).permute(1, 0, 2, 3)  # (N, C, OH, OW)


def avg_pool2d(x, kernel_size, stride=None, padding=0, count_include_pad=True):
    """The mean of each window; padded zeros count unless count_include_pad=False."""
    windows = _pool_patches(x, kernel_size, stride, padding, 1, 0.0)
    if count_include_pad or pair(padding, "padding") == (0, 0):
        return windows.mean(axis=1).permute(1, 0, 2, 3)
    ones = Tensor(x.backend.xp.ones((1, 1) + x.shape[2:], dtype=x.dtype))
    counts = _pool_patches(ones, kernel_size, stride, padding, 1, 0.0).sum(axis=1)
    return (windows.sum(axis=1) / counts).permute(1, 0, 2, 3)


# -- dropout, upsampling, embedding -----------------------------------------------------------
def dropout(x, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) (in training)."""
    return dropout_with_mask_shape(x, p, training, x.shape)


def dropout_with_mask_shape(x, p, training, mask_shape):
    """Dropout whose random mask has `mask_shape`, broadcast over x (one draw per channel for
    dropout2d); kept entries are scaled by 1/(1-p)."""
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    keep = x.backend.rand(mask_shape, x.dtype) >= x.dtype.type(p)
    return x * Tensor(keep.astype(x.dtype) * x.dtype.type(1 / (1 - p)))


def interpolate(x, size=None, scale_factor=None, mode="nearest"):
    """Nearest-neighbour resizing of (N, C, H, W) images, as PyTorch's mode="nearest"."""
    if mode != "nearest":
        raise ValueError(f"interpolate supports mode='nearest' only, got {mode!r}")
    if x.ndim != 4:
        raise ValueError(f"interpolate needs (N, C, H, W) input, got shape {x.shape}")
    N, C, H, W = x.shape
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate needs exactly one of size and scale_factor")
    if size is None:
        sh, sw = (scale_factor, scale_factor) if not isinstance(scale_factor, (tuple, list)) \
            else scale_factor
        if float(sh).is_integer() and float(sw).is_integer():
            sh, sw = int(sh), int(sw)  # whole factors: repeat each pixel by broadcasting
            return x.reshape(N, C, H, 1, W, 1).expand(N, C, H, sh, W, sw).reshape(
                N, C, H * sh, W * sw)
        size = (int(H * sh), int(W * sw))
    else:
        sh = sw = None
    OH, OW = pair(size, "size")
    xp = x.backend.xp
    rows = _nearest_sources(xp, H, OH, sh)
    cols = _nearest_sources(xp, W, OW, sw)
    return x[:, :, Tensor(rows)[:, None], Tensor(cols)[None, :]]


def _nearest_sources(xp, size, out_size, scale_factor):
    """The input pixel that each output pixel i copies, as PyTorch picks it: i at equal size,
    i // 2 at double size, else floor(i * step) in float32 with step = 1 / scale_factor when
    one is given, size / out_size otherwise."""
    if out_size == size:
        return xp.arange(out_size)
    if out_size == 2 * size:
        return xp.arange(out_size) // 2
    step = xp.float32(1 / scale_factor if scale_factor is not None else size / out_size)
    sources = xp.floor(xp.arange(out_size, dtype=xp.float32) * step).astype("int64")
    return xp.minimum(sources, size - 1)


def embedding(indices, weight):
    """Rows of `weight` (num_embeddings, dim) picked by integer `indices`: shape indices + (dim,)."""
    data = indices.array if isinstance(indices, Tensor) else weight.backend.asarray(
        indices)
    if data.dtype.kind not in "iu":
        raise TypeError(f"embedding needs integer indices, got {data.dtype}")
    if data.size and (data.min() < 0 or data.max() >= weight.shape[0]):
        raise IndexError(f"embedding indices must be in [0, {weight.shape[0]}), got values from "
                         f"{int(data.min())} to {int(data.max())}")
    return weight[Tensor(data)]
