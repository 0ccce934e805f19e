"""torchvision.datasets and torchvision.utils on minigan.

Datasets hand out (image, target) with the image as a (H, W, C) uint8 array (torchvision's PIL
image, without PIL) until a transform such as ToTensor converts it. Nothing is ever
downloaded: MNIST reads IDX files under `root`, or else uses the bundled MNIST-5k, and says so.
"""

import math
import sys
from pathlib import Path

import cv2
import numpy as np

import minigan

from ..data import IMAGE_EXTENSIONS, mnist5k, mnist_idx
from ..io.images import save_image as write_picture
from ..tensor import Tensor

_told = set()  # the subjects of the notes already printed: each is told once per process


def _note(subject, message):
    if subject not in _told:
        _told.add(subject)
        print(f"minigan: {message}", file=sys.stderr)


class _VisionDataset:
    def __init__(self, transform=None, target_transform=None):
        self.transform = transform
        self.target_transform = target_transform

    def _item(self, image, target):
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target


def _idx_dataset(root, folder_name, split):
    """The IDX files of `split` under root, root/<folder_name>/raw or root/<folder_name>."""
    for folder in (Path(root), Path(root) / folder_name / "raw", Path(root) / folder_name):
        try:
            return mnist_idx(folder, split)
        except FileNotFoundError:
            continue
    return None


class MNIST(_VisionDataset):
    """MNIST from IDX files under `root` (root, root/MNIST/raw or root/MNIST), else the
    bundled MNIST-5k. `download` is accepted; minigan never downloads."""

    classes = [f"{digit} - {name}" for digit, name in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(transform, target_transform)
        split = "train" if train else "test"
        found = _idx_dataset(root, type(self).__name__, split)
        if found is None:
            found = self._missing(root, split, download)
        self.data = found.images[:, 0]  # (N, 28, 28) uint8
        self.targets = found.labels

    def _missing(self, root, split, download):
        _note("mnist", f"no MNIST {split} IDX files under {str(root)!r}; using minigan's "
              "bundled MNIST-5k (5,000 digits) instead, for the train and the test split alike"
              + (" (download=True is ignored: minigan never downloads)" if download else ""))
        return mnist5k()

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        return self._item(self.data[index][:, :, None], int(self.targets[index]))


class FashionMNIST(MNIST):
    """Fashion-MNIST from its IDX files under `root` (root, root/FashionMNIST/raw or
    root/FashionMNIST); there is no bundled copy and minigan never downloads."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]

    def _missing(self, root, split, download):
        prefix = "train" if split == "train" else "t10k"
        raise FileNotFoundError(f"no Fashion-MNIST {split} IDX files under {str(root)!r} or "
                                f"{str(Path(root) / 'FashionMNIST' / 'raw')!r}: minigan never "
                                f"downloads; put {prefix}-images-idx3-ubyte.gz and "
                                f"{prefix}-labels-idx1-ubyte.gz there")


class ImageFolder(_VisionDataset):
    """Images in class folders, root/<class>/<image>; targets are the class indices in sorted
    order of the folder names. Images are read as RGB."""

    def __init__(self, root, transform=None, target_transform=None, loader=None,
                 is_valid_file=None):
        super().__init__(transform, target_transform)
        root = Path(root).expanduser()
        if not root.is_dir():
            raise FileNotFoundError(f"ImageFolder: {str(root)!r} is not a folder; pass the folder "
                                    "that holds one sub-folder of images per class")
        self.classes = sorted(entry.name for entry in root.iterdir() if entry.is_dir())
        self.class_to_idx = {name: index for index, name in enumerate(self.classes)}
        valid = is_valid_file or (lambda path: Path(path).suffix.lower() in IMAGE_EXTENSIONS)
        self.samples = [(str(path), self.class_to_idx[name]) for name in self.classes
                        for path in sorted((root / name).rglob("*"))
                        if path.is_file() and valid(str(path))]
        if not self.samples:
            raise FileNotFoundError(f"ImageFolder: no images ({' '.join(IMAGE_EXTENSIONS)}) in "
                                    f"class folders under {str(root)!r}; images go in "
                                    "root/<class>/, not in root itself")
        self.imgs = self.samples
        self.targets = [target for _, target in self.samples]
        self.loader = loader or read_rgb

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        path, target = self.samples[index]
        return self._item(self.loader(path), target)


def read_rgb(path):
    """An image file as a (H, W, 3) uint8 RGB array."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise OSError(f"OpenCV cannot read the image {path!r}; is it a valid image file?")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


class FakeData(_VisionDataset):
    """`size` random images of `image_size` (C, H, W) with random targets; item i is the same
    every time it is read."""

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        super().__init__(transform, target_transform)
        self.size, self.image_size = size, tuple(image_size)
        self.num_classes, self.random_offset = num_classes, random_offset

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        if not 0 <= index < self.size:
            raise IndexError(f"FakeData index {index} out of range for {self.size} items")
        rng = np.random.default_rng(index + self.random_offset)
        channels, height, width = self.image_size
        image = rng.integers(0, 256, (height, width, channels), dtype=np.uint8)
        return self._item(image, int(rng.integers(0, self.num_classes)))


# -- torchvision.utils -----------------------------------------------------------------------
def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0, **old_names):
    """Tile a (B, C, H, W) batch (or a list of (C, H, W) images) into one (C, H', W') image
    tensor, `nrow` images per row, as torchvision.utils.make_grid (`range=` is accepted as
    torchvision's old name of `value_range`)."""
    unknown = set(old_names) - {"range"}
    if unknown:
        raise TypeError(f"make_grid got unexpected option(s) {sorted(unknown)}")
    value_range = old_names.get("range") if value_range is None else value_range
    images = _host_batch(tensor)
    if images.shape[1] == 1:
        images = np.repeat(images, 3, axis=1)
    if normalize:
        images = _normalized(images, value_range, scale_each)
    if images.shape[0] == 1:
        return minigan.tensor(images[0])
    count, channels, height, width = images.shape
    columns = min(nrow, count)
    rows = int(math.ceil(count / columns))
    cell_h, cell_w = height + padding, width + padding
    grid = np.full((channels, rows * cell_h + padding, columns * cell_w + padding), pad_value,
                   dtype=images.dtype)
    for index in range(count):
        top, left = (index // columns) * cell_h + padding, (index % columns) * cell_w + padding
        grid[:, top:top + height, left:left + width] = images[index]
    return minigan.tensor(grid)


def _host_batch(tensor):
    if isinstance(tensor, (list, tuple)):
        return np.stack([_host_batch(t)[0] for t in tensor])
    images = tensor.numpy() if isinstance(tensor, Tensor) else np.asarray(tensor)
    if images.ndim == 2:
        images = images[None]
    if images.ndim == 3:  # one image (C, H, W)
        images = images[None]
    if images.ndim != 4:
        raise ValueError(f"make_grid expects images (B, C, H, W), (C, H, W) or (H, W), got "
                         f"shape {images.shape}")
    return images.astype(np.float32) if images.dtype.kind != "f" else images.copy()


def _normalized(images, value_range, scale_each):
    def scale(array):
        low, high = value_range if value_range is not None else (array.min(), array.max())
        array = np.clip(array, low, high) if value_range is not None else array
        return (array - low) / max(high - low, 1e-5)
    if scale_each:
        return np.stack([scale(image) for image in images])
    return scale(images)


def save_image(tensor, fp, format=None, **grid_options):  # noqa: A002 (torchvision's keyword)
    """Write a batch of images in [0, 1] (or any range, with normalize=True) to an image file
    as one grid, as torchvision.utils.save_image."""
    grid = make_grid(tensor, **grid_options).numpy()
    picture = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    write_picture(str(fp), np.ascontiguousarray(picture))
