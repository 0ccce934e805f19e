"""Pixel arrays through OpenCV: reading one image file, cropping, resizing, channel conversion.

Arrays here are uint8 (N, C, H, W) on the host, channels in RGB order.
"""

import cv2
import numpy as np


def check_image_size(image_size):
    """Raise a ValueError unless `image_size` is a positive integer."""
    if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)) \
            or image_size < 1:
        raise ValueError(f"image_size must be a positive integer (e.g. 64), got {image_size!r}")


def check_channels(channels):
    """Raise a ValueError unless `channels` is 1 or 3."""
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grey) or 3 (RGB), got {channels!r}")


def _interpolation(height, width, image_size):
    """INTER_AREA averages the pixels it shrinks away; INTER_LINEAR is smoother when enlarging."""
    return cv2.INTER_AREA if image_size * image_size < height * width else cv2.INTER_LINEAR


def resize_images(images, image_size):
    """(N, C, H, W) uint8 -> (N, C, image_size, image_size), each channel plane with OpenCV."""
    check_image_size(image_size)
    count, channels, height, width = images.shape
    if (height, width) == (image_size, image_size):
        return images
    interpolation = _interpolation(height, width, image_size)
    resized = np.empty((count, channels, image_size, image_size), dtype=np.uint8)
    for plane, target in zip(images.reshape(-1, height, width),
                             resized.reshape(-1, image_size, image_size)):
        target[...] = cv2.resize(plane, (image_size, image_size), interpolation=interpolation)
    return resized


def convert_channels(images, channels):
    """(N, C, H, W) uint8 with C in (1, 3) -> the same images with `channels` channels:
    grey is repeated into RGB; RGB becomes grey with OpenCV's luma weights."""
    check_channels(channels)
    count, have, height, width = images.shape
    if have == channels:
        return images
    if have == 1:
        return np.repeat(images, 3, axis=1)
    if have != 3:
        raise ValueError(f"cannot convert images with {have} channels; expected 1 or 3")
    rows_of_pixels = np.ascontiguousarray(images.transpose(0, 2, 3, 1)).reshape(-1, width, 3)
    grey = cv2.cvtColor(rows_of_pixels, cv2.COLOR_RGB2GRAY)
    return grey.reshape(count, 1, height, width)


def crop_to_square(image):
    """The largest centred square of an (H, W[, C]) image."""
    height, width = image.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return image[top:top + side, left:left + side]


def read_image(path, image_size, channels, crop):
    """One image file as uint8 (channels, image_size, image_size) RGB, or None if unreadable."""
    flag = cv2.IMREAD_GRAYSCALE if channels == 1 else cv2.IMREAD_COLOR
    image = cv2.imread(str(path), flag)
    if image is None:
        return None
    if channels == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    if crop:
        image = crop_to_square(image)
    height, width = image.shape[:2]
    image = cv2.resize(image, (image_size, image_size),
                       interpolation=_interpolation(height, width, image_size))
    return image.reshape(image_size, image_size, channels).transpose(2, 0, 1)
