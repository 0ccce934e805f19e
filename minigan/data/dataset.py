"""Dataset: a whole data set in host memory, as one array of samples and one of labels."""

import numpy as np

from .images import convert_channels, resize_images


class Dataset:
    """Samples and labels held in memory.

    `images` is uint8 (N, C, H, W) for an image set, or float32 (N, 2) for a toy 2-D point set.
    `labels` is int64 (N,), all -1 when the set has none; `num_classes` is 0 then. `modes` holds
    the centres of a toy set's Gaussians (None for image sets).
    """

    def __init__(self, images, labels=None, num_classes=0, name="dataset", modes=None):
        images = np.asarray(images)
        if images.ndim == 4 and images.dtype != np.uint8:
            raise TypeError(f"image set {name!r} must hold uint8 pixels (0..255), got "
                            f"{images.dtype}; convert with .astype(numpy.uint8) first")
        if images.ndim not in (2, 4):
            raise ValueError(f"{name!r}: expected images of shape (N, C, H, W) or points of "
                             f"shape (N, 2), got shape {images.shape}")
        if labels is None:
            labels = np.full(len(images), -1, dtype=np.int64)
        labels = np.asarray(labels, dtype=np.int64)
        if labels.shape != (len(images),):
            raise ValueError(f"{name!r}: {len(images)} samples but labels of shape "
                             f"{labels.shape}; pass one label per sample")
        self.images = images
        self.labels = labels
        self.num_classes = num_classes
        self.name = name
        self.modes = modes

    @property
    def sample_shape(self):
        """The shape of one sample: (C, H, W) for images, (2,) for points."""
        return tuple(self.images.shape[1:])

    @property
    def is_image_set(self):
        return self.images.ndim == 4

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        """(image, label) of sample `index`, as host arrays."""
        return self.images[index], self.labels[index]

    def __repr__(self):
        kind = "images" if self.is_image_set else "points"
        classes = f"{self.num_classes} classes" if self.num_classes else "unlabelled"
        return (f"Dataset({self.name!r}: {len(self)} {kind} of shape {self.sample_shape}, "
                f"{self.images.dtype}, {classes})")

    def converted(self, image_size=None, channels=None):
        """This image set resized to `image_size` squared and/or converted to `channels`
        (1 or 3); None leaves that part as it is."""
        if not self.is_image_set:
            raise ValueError(f"{self.name!r} is a set of 2-D points, not images: image_size and "
                             "channels apply only to image sets; leave them out (None)")
        images = self.images
        if image_size is not None:
            images = resize_images(images, image_size)
        if channels is not None:
            images = convert_channels(images, channels)
        return Dataset(images, self.labels, self.num_classes, self.name)
