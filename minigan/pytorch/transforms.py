"""torchvision.transforms on minigan, without PIL: an image is a (H, W, C) uint8 NumPy array
until ToTensor makes it a (C, H, W) float32 tensor in [0, 1]. Resize, CenterCrop and Grayscale
take either form, as torchvision's do."""

import cv2
import numpy as np

import minigan

from .. import backend
from ..tensor import Tensor

__all__ = ["CenterCrop", "Compose", "Grayscale", "Lambda", "Normalize", "Pad",
           "RandomCrop", "RandomHorizontalFlip", "Resize", "ToTensor"]

# the weights of ITU-R 601-2 luma, as torchvision uses for grey images
_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


class Compose:
    """Apply `transforms` in order."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, image):
        for transform in self.transforms:
            image = transform(image)
        return image

    def __repr__(self):
        return "Compose(\n" + "".join(f"    {t!r}\n" for t in self.transforms) + ")"


class Lambda:
    """Apply a user function."""

    def __init__(self, function):
        self.function = function

    def __call__(self, image):
        return self.function(image)


def _as_hwc(image):
    """(array in HWC layout, a function that puts a result back in the input's form)."""
    if isinstance(image, Tensor):
        chw = image.numpy()
        return np.ascontiguousarray(chw.transpose(1, 2, 0)), \
            lambda hwc: minigan.tensor(np.ascontiguousarray(hwc.transpose(2, 0, 1)))
    array = np.asarray(image)
    if array.ndim == 2:
        return array[:, :, None], lambda hwc: hwc[:, :, 0] if hwc.shape[2] == 1 else hwc
    return array, lambda hwc: hwc


def _resized(hwc, height, width):
    shrinking = height < hwc.shape[0] or width < hwc.shape[1]
    method = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    out = cv2.resize(hwc, (width, height), interpolation=method)
    return out[:, :, None] if out.ndim == 2 else out


class Resize:
    """Resize to `size`: an int matches the shorter side (keeping the aspect ratio), a pair
    (h, w) is exact. Bilinear (area-averaging when shrinking, like PIL's antialiasing)."""

    def __init__(self, size, interpolation=None, max_size=None, antialias=True):
        self.size = size

    def __call__(self, image):
        hwc, back = _as_hwc(image)
        height, width = hwc.shape[:2]
        if isinstance(self.size, int) or len(self.size) == 1:
            short = self.size if isinstance(self.size, int) else self.size[0]
            if height <= width:
                new = (short, int(short * width / height))
            else:
                new = (int(short * height / width), short)
        else:
            new = tuple(self.size)
        if new == (height, width):
            return image
        return back(_resized(hwc, *new))

    def __repr__(self):
        return f"Resize(size={self.size})"


class CenterCrop:
    """The centred `size` (int or (h, w)) crop, padded with zeros where the image is smaller."""

    def __init__(self, size):
        self.size = (size, size) if isinstance(size, int) else tuple(size)

    def __call__(self, image):
        hwc, back = _as_hwc(image)
        crop_h, crop_w = self.size
        pad_h, pad_w = max(crop_h - hwc.shape[0], 0), max(crop_w - hwc.shape[1], 0)
        if pad_h or pad_w:
            hwc = np.pad(hwc, ((pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2),
                               (0, 0)))
        top = int(round((hwc.shape[0] - crop_h) / 2.0))
        left = int(round((hwc.shape[1] - crop_w) / 2.0))
        return back(hwc[top:top + crop_h, left:left + crop_w])

    def __repr__(self):
        return f"CenterCrop(size={self.size})"


def _random_below(limit):
    """A random int in [0, limit) from minigan's seeded generator (torch.manual_seed)."""
    return int(backend.get("numpy").randint(0, limit, ()))


class RandomHorizontalFlip:
    """Mirror the image left to right with probability `p`."""

    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, image):
        if backend.get("numpy").rand((), np.float64) >= self.p:
            return image
        hwc, back = _as_hwc(image)
        return back(np.ascontiguousarray(hwc[:, ::-1]))

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


class Pad:
    """Pad the borders with `fill`: an int for all four, (left/right, top/bottom), or
    (left, top, right, bottom), as torchvision."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        if padding_mode != "constant":
            raise ValueError(f"Pad: minigan pads with a constant only, not {padding_mode!r}")
        padding = (padding,) * 4 if isinstance(padding, int) else tuple(padding)
        self.padding = padding * 2 if len(padding) == 2 else padding
        self.fill = fill

    def __call__(self, image):
        hwc, back = _as_hwc(image)
        left, top, right, bottom = self.padding
        return back(np.pad(hwc, ((top, bottom), (left, right), (0, 0)),
                           constant_values=self.fill))

    def __repr__(self):
        return f"Pad(padding={self.padding}, fill={self.fill})"


class RandomCrop:
    """A crop of `size` at a random place, after an optional `padding` (see Pad)."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.pad = None if padding is None else Pad(padding, fill)

    def __call__(self, image):
        if self.pad is not None:
            image = self.pad(image)
        hwc, back = _as_hwc(image)
        crop_h, crop_w = self.size
        if crop_h > hwc.shape[0] or crop_w > hwc.shape[1]:
            raise ValueError(f"RandomCrop of {self.size} from an image of {hwc.shape[:2]}; "
                             "pass padding= or a smaller size")
        top = _random_below(hwc.shape[0] - crop_h + 1)
        left = _random_below(hwc.shape[1] - crop_w + 1)
        return back(hwc[top:top + crop_h, left:left + crop_w])

    def __repr__(self):
        return f"RandomCrop(size={self.size})"


class Grayscale:
    """Grey image with 1 or 3 identical channels (luma of an RGB image)."""

    def __init__(self, num_output_channels=1):
        self.num_output_channels = num_output_channels

    def __call__(self, image):
        hwc, back = _as_hwc(image)
        if hwc.shape[2] == 3:
            grey = hwc.astype(np.float32) @ _LUMA
            grey = np.clip(np.rint(grey), 0, 255).astype(np.uint8) if hwc.dtype == np.uint8 \
                else grey.astype(hwc.dtype)
            hwc = grey[:, :, None]
        return back(np.repeat(hwc[:, :, :1], self.num_output_channels, axis=2))

    def __repr__(self):
        return f"Grayscale(num_output_channels={self.num_output_channels})"


class ToTensor:
    """(H, W, C) uint8 image -> (C, H, W) float32 tensor in [0, 1]; other arrays are only
    transposed, as in torchvision."""

    def __call__(self, image):
        if isinstance(image, Tensor):
            raise TypeError("ToTensor got a tensor; it converts (H, W, C) images (arrays)")
        hwc, _ = _as_hwc(image)
        chw = np.ascontiguousarray(hwc.transpose(2, 0, 1))
        if chw.dtype == np.uint8:
            chw = chw.astype(np.float32) / np.float32(255)
        return minigan.tensor(chw)

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """(x - mean) / std per channel of a (C, H, W) or (N, C, H, W) tensor."""

    def __init__(self, mean, std, inplace=False):
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)
        if np.any(self.std == 0):
            raise ValueError(f"Normalize: std {list(std)} holds a zero, which divides by zero")

    def __call__(self, tensor):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"Normalize expects a tensor (put ToTensor() first), got "
                            f"{type(tensor).__name__}")
        array = tensor.numpy()
        shape = (-1, 1, 1)
        normalized = (array - self.mean.reshape(shape)) / self.std.reshape(shape)
        return minigan.tensor(normalized.astype(array.dtype), backend=tensor.backend)

    def __repr__(self):
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"
