"""A folder of image files (LFW, CelebA, your own photographs) as a Dataset."""

import warnings
from pathlib import Path

import cv2
import numpy as np

from .dataset import Dataset
from .images import check_channels, check_image_size, read_image

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm", ".tif", ".tiff", ".webp")
_NAMED_IN_WARNING = 5  # how many skipped files the warning names


def image_files(directory):
    """Every image file under `directory`, recursively, in sorted order."""
    return sorted(path for path in Path(directory).rglob("*")
                  if path.suffix.lower() in IMAGE_EXTENSIONS and path.is_file())


def native_shape(directory, looked_at=16, largest=64):
    """(channels, side) of a folder's images as they are: 3 if any of the first `looked_at`
    readable images has colour, else 1; the smallest side of the first one, at most
    `largest`. (1, 64) when none is readable (image_folder then says why)."""
    channels, side = 1, None
    for path in image_files(Path(directory).expanduser())[:looked_at]:
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None:
            continue
        if image.ndim == 3 and image.shape[2] >= 3:
            channels = 3
        side = side or min(image.shape[:2])
    return channels, min(side or largest, largest)


def image_folder(directory, image_size=64, channels=3, center_crop=True):
    """Every image under `directory` (recursively), as an unlabelled Dataset.

    Images are read with OpenCV as grey (`channels=1`) or RGB (`channels=3`), cropped to their
    centred square when `center_crop` (else squeezed into a square), and resized to
    `image_size` x `image_size`. Files OpenCV cannot read are skipped, with one warning.
    """
    check_image_size(image_size)
    check_channels(channels)
    directory = Path(directory).expanduser()
    if not directory.is_dir():
        problem = "is a file, not a folder" if directory.exists() else "does not exist"
        raise FileNotFoundError(f"image folder {str(directory)!r} {problem}: pass a folder that "
                                "holds image files (e.g. folder:path/to/lfw)")
    paths = image_files(directory)
    if not paths:
        raise ValueError(f"no image files ({' '.join(IMAGE_EXTENSIONS)}) under "
                         f"{str(directory)!r}: pass a folder that holds images, or use a bundled "
                         "set such as mnist5k or lfw-subset")
    images = np.empty((len(paths), channels, image_size, image_size), dtype=np.uint8)
    count, skipped = 0, []
    for path in paths:
        image = read_image(path, image_size, channels, center_crop)
        if image is None:
            skipped.append(path)
        else:
            images[count] = image
            count += 1
    if count == 0:
        raise ValueError(f"OpenCV could read none of the {len(paths)} image files under "
                         f"{str(directory)!r} (the first is {paths[0].name!r}): check that they "
                         "are valid images, or pass another folder")
    if skipped:
        _warn_skipped(skipped, len(paths), directory)
    return Dataset(images[:count], name=f"folder:{directory}")


def _warn_skipped(skipped, total, directory):
    named = ", ".join(str(path.relative_to(directory)) for path in skipped[:_NAMED_IN_WARNING])
    if len(skipped) > _NAMED_IN_WARNING:
        named += f" and {len(skipped) - _NAMED_IN_WARNING} more"
    warnings.warn(f"skipped {len(skipped)} of {total} image files under {str(directory)!r} that "
                  f"OpenCV could not read: {named}", stacklevel=3)
