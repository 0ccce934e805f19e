"""Image files: sample grids written with OpenCV."""

import math
import os

import cv2
import numpy as np

from . import checkpoint


def to_uint8(images, value_range=(-1.0, 1.0)):
    """Float images in `value_range` -> uint8 0..255 (values outside are clipped)."""
    low, high = value_range
    scaled = (np.asarray(images, dtype=np.float32) - low) / (high - low)
    return np.clip(np.rint(scaled * 255), 0, 255).astype(np.uint8)


def image_grid(images, rows=None, padding=2, value_range=(-1.0, 1.0)):
    """Tile float images (N, C, H, W) into one uint8 picture (H', W', C), row by row."""
    images = to_uint8(images, value_range)
    count, channels, height, width = images.shape
    columns = math.ceil(count / rows) if rows else math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    grid = np.zeros((rows * (height + padding) + padding, columns * (width + padding) + padding,
                     channels), dtype=np.uint8)
    for index in range(count):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        grid[top:top + height, left:left + width] = images[index].transpose(1, 2, 0)
    return grid


IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


def save_image(path, picture):
    """Write a uint8 picture (H, W), (H, W, 1) or RGB (H, W, 3) to an image file (.png, .jpg,
    ...), atomically: a reader sees the old file or the whole new one."""
    extension = os.path.splitext(path)[1].lower()
    if extension not in IMAGE_TYPES:
        raise ValueError(f"cannot write a picture to {path!r}: name it with one of "
                         f"{' '.join(IMAGE_TYPES)}")
    if picture.ndim == 3 and picture.shape[2] == 3:
        picture = cv2.cvtColor(picture, cv2.COLOR_RGB2BGR)
    elif picture.ndim == 3:
        picture = picture[:, :, 0]
    written, encoded = cv2.imencode(extension, picture)
    if not written:
        raise ValueError(f"OpenCV could not encode a {extension} picture for {path!r}; use a "
                         ".png or .jpg name")
    checkpoint.write_bytes_atomic(path, encoded.tobytes())
