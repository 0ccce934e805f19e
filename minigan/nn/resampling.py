"""Layers that resize, rearrange or pad images, with PyTorch's names and arguments."""

from .. import functional as F
from .module import Module


class AdaptiveAvgPool2d(Module):
    """Average over PyTorch's adaptive bins to a fixed output size (None keeps that axis)."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        return F.adaptive_avg_pool2d(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class PixelShuffle(Module):
    """(N, C r^2, H, W) -> (N, C, H r, W r)."""

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        return F.pixel_shuffle(x, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class _Pad2d(Module):
    mode = "constant"

    def __init__(self, padding, value=0.0):
        super().__init__()
        self.padding = (padding,) * 4 if isinstance(padding, int) else tuple(padding)
        if len(self.padding) != 4:
            raise ValueError(f"{type(self).__name__} needs one size or (left, right, top, "
                             f"bottom), got {padding!r}")
        self.value = value

    def forward(self, x):
        return F.pad(x, self.padding, self.mode, self.value)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(_Pad2d):
    """Pad with zeros: ZeroPad2d(1) or ZeroPad2d((left, right, top, bottom))."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)


class ConstantPad2d(_Pad2d):
    """Pad with `value`."""


class ReflectionPad2d(_Pad2d):
    """Pad with the reflection of the image about its edge (the edge pixel not repeated)."""

    mode = "reflect"

    def __init__(self, padding):
        super().__init__(padding)


class ReplicationPad2d(_Pad2d):
    """Pad by repeating the edge pixels."""

    mode = "replicate"

    def __init__(self, padding):
        super().__init__(padding)


class Dropout2d(Module):
    """Zeroes whole channels with probability p in training, scaling the rest by 1/(1-p)."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout2d probability must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
