"""Measuring a restoration: square holes, OpenCV's classical inpainting as the baseline, and the
mean squared error inside the holes."""

import cv2
import numpy as np

from ..io.images import to_uint8


def square_holes(count, image_size, hole_size, seed=0, margin=0):
    """(count, S, S) bool masks, each with one hole_size x hole_size square at a random place
    whose corner lies at least `margin` pixels inside the image."""
    rng = np.random.default_rng(seed)
    last = image_size - hole_size - margin
    if last < margin:
        raise ValueError(f"a {hole_size}-pixel hole {margin} pixels from the edges does not fit "
                         f"in a {image_size}-pixel image")
    holes = np.zeros((count, image_size, image_size), dtype=bool)
    for hole, (top, left) in zip(holes, rng.integers(margin, last + 1, size=(count, 2))):
        hole[top:top + hole_size, left:left + hole_size] = True
    return holes


def telea_inpaint(images, holes, value_range=(-1.0, 1.0), radius=3):
    """OpenCV's inpainting (Telea, 2004) of float images (N, C, H, W) in `value_range` where
    `holes` (N, H, W) are true; returns float32 images in the same range."""
    low, high = value_range
    pixels = to_uint8(images, value_range).transpose(0, 2, 3, 1)  # (N, H, W, C)
    filled = np.empty_like(pixels)
    for index, (picture, hole) in enumerate(zip(pixels, holes)):
        result = cv2.inpaint(np.ascontiguousarray(picture), hole.astype(np.uint8) * 255, radius,
                             cv2.INPAINT_TELEA)
        filled[index] = result.reshape(picture.shape)
    return (filled.transpose(0, 3, 1, 2).astype(np.float32) / 255) * (high - low) + low


def hole_mse(restored, clean, holes, value_range=(-1.0, 1.0)):
    """(N,) mean squared error inside each image's hole, in pixel values scaled to [0, 1]."""
    low, high = value_range
    difference = (np.asarray(restored, np.float64) - np.asarray(clean, np.float64)) / (high - low)
    squared = (difference ** 2).mean(axis=1)  # (N, H, W): the mean over channels
    return (squared * holes).sum(axis=(1, 2)) / holes.sum(axis=(1, 2))
