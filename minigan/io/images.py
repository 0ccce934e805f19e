"""Image files: sample grids written with OpenCV."""

import math
import os

import cv2
import numpy as np


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


def save_image(path, picture):
    """Write a uint8 picture (H, W), (H, W, 1) or RGB (H, W, 3) to a PNG/JPEG file."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    if picture.ndim == 3 and picture.shape[2] == 3:
        picture = cv2.cvtColor(picture, cv2.COLOR_RGB2BGR)
    elif picture.ndim == 3:
        picture = picture[:, :, 0]
    if not cv2.imwrite(path, picture):
        raise OSError(f"OpenCV could not write {path!r}; use a .png or .jpg name in a writable "
                      "folder")
