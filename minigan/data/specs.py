"""The `--data` values of the command line, turned into data sets."""

from .bundled import lfw_subset, mnist5k
from .folder import image_folder, native_shape
from .idx import mnist_idx
from .toy import grid25, ring8

SPEC_FORMS = {
    "mnist5k": "the bundled 5,000 MNIST digits",
    "lfw-subset": "the bundled 100 LFW face crops",
    "mnist:DIR": "MNIST IDX files in folder DIR",
    "folder:DIR": "every image under folder DIR",
    "ring8": "8 Gaussians on a ring (2-D points)",
    "grid25": "a 5x5 grid of Gaussians (2-D points)",
}
_NAMED_SETS = {"mnist5k": mnist5k, "lfw-subset": lfw_subset, "ring8": ring8, "grid25": grid25}
POINT_SETS = ("ring8", "grid25")  # 2-D points, not images


def is_point_set(spec):
    """Whether the data spec names a set of 2-D points (which takes no image size)."""
    return spec in POINT_SETS


def _spec_error(spec, problem):
    forms = "\n".join(f"  {form:<12} {meaning}" for form, meaning in SPEC_FORMS.items())
    return ValueError(f"data spec {spec!r}: {problem}; the valid forms are:\n{forms}")


def load(spec, image_size=None, channels=None, native=False):
    """The data set that `spec` names (see SPEC_FORMS), e.g. load("mnist5k", image_size=32).

    `image_size` and `channels` (1 or 3) resize and convert an image set; None keeps it as
    stored. For folder:DIR, None means 64 pixels and RGB, or with `native` the images' own
    channels and side (at most 64), as the training command line promises.
    """
    kind, colon, directory = spec.partition(":")
    if not colon:
        if spec not in _NAMED_SETS:
            raise _spec_error(spec, "unknown data set")
        dataset = _NAMED_SETS[spec]()
    elif not directory:
        raise _spec_error(spec, "no folder after the colon")
    elif kind == "mnist":
        dataset = mnist_idx(directory)
    elif kind == "folder":
        own_channels, own_side = native_shape(directory) if native else (3, 64)
        return image_folder(directory, image_size=own_side if image_size is None else image_size,
                            channels=own_channels if channels is None else channels)
    else:
        raise _spec_error(spec, f"unknown kind {kind!r}")
    if image_size is None and channels is None:
        return dataset
    return dataset.converted(image_size, channels)
