"""MNIST in its original IDX files, plain or gzipped.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions),
one big-endian uint32 size per dimension, then the values. MNIST uses unsigned bytes:
magic 2051 (0x00000803) for images (N, 28, 28) and 2049 (0x00000801) for labels (N,).
"""

import gzip
import zlib
from pathlib import Path

import numpy as np

from .dataset import Dataset

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
_GZIP_SIGNATURE = b"\x1f\x8b"
_SPLIT_PREFIXES = {"train": "train", "test": "t10k"}


class CorruptIdxFile(ValueError):
    """An IDX file whose header or length is wrong."""


def read_idx(path, expected_magic):
    """The uint8 array stored in the IDX file at `path` (gzipped or not)."""
    path = Path(path)
    raw = path.read_bytes()
    if raw[:2] == _GZIP_SIGNATURE:
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as error:
            raise CorruptIdxFile(f"{path}: the gzip stream is damaged ({error}); download the "
                                 "file again") from None
    if len(raw) < 4:
        raise CorruptIdxFile(f"{path}: {len(raw)} bytes is too short for an IDX header")
    magic = int.from_bytes(raw[:4], "big")
    if magic != expected_magic:
        kind = "images" if expected_magic == IMAGES_MAGIC else "labels"
        raise CorruptIdxFile(f"{path}: magic number {magic} is not {expected_magic}, the IDX "
                             f"header of MNIST {kind}; is this the right file, and not corrupt?")
    ndim = raw[3]
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise CorruptIdxFile(f"{path}: truncated inside the header ({len(raw)} bytes)")
    shape = tuple(int(size) for size in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected_bytes = header_size + int(np.prod(shape))
    if len(raw) != expected_bytes:
        problem = "truncated" if len(raw) < expected_bytes else "longer than its header says"
        raise CorruptIdxFile(f"{path}: {problem}: the header promises shape {shape}, "
                             f"{expected_bytes} bytes in all, but the file holds {len(raw)}; "
                             "download it again")
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape).copy()


def _find(directory, split, kind, ndim):
    """The path of the `kind` ("images"/"labels") file of `split`, by any of MNIST's names."""
    stem = f"{_SPLIT_PREFIXES[split]}-{kind}"
    names = [f"{stem}{dot}idx{ndim}-ubyte{gz}" for dot in ("-", ".") for gz in ("", ".gz")]
    for name in names:
        if (directory / name).is_file():
            return directory / name
    raise FileNotFoundError(f"no MNIST {split} {kind} in {str(directory)!r}: looked for "
                            f"{', '.join(names)}. Put the IDX files of MNIST there, or use the "
                            "bundled set (mnist5k)")


def mnist_idx(directory, split="train"):
    """MNIST (or any set in its IDX format, e.g. Fashion-MNIST) from the IDX files in
    `directory`: `split` "train" (train-*) or "test" (t10k-*)."""
    if split not in _SPLIT_PREFIXES:
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    directory = Path(directory).expanduser()
    if not directory.is_dir():
        raise FileNotFoundError(f"MNIST folder {str(directory)!r} does not exist: pass the "
                                "folder that holds train-images-idx3-ubyte[.gz] and the others")
    images_path = _find(directory, split, "images", 3)
    labels_path = _find(directory, split, "labels", 1)
    images = read_idx(images_path, IMAGES_MAGIC)
    labels = read_idx(labels_path, LABELS_MAGIC)
    if len(images) != len(labels):
        raise CorruptIdxFile(f"{images_path.name} holds {len(images)} images but "
                             f"{labels_path.name} {len(labels)} labels; are they from the same "
                             "split and set?")
    num_classes = max(10, int(labels.max(initial=0)) + 1)
    return Dataset(images[:, None], labels, num_classes, name=f"mnist:{directory}/{split}")
