"""Toy 2-D sets of Gaussian blobs, for watching a GAN cover (or collapse onto) separate modes."""

import numpy as np

from .dataset import Dataset


def _gaussian_mixture(modes, n, std, seed, name):
    """`n` points, each from a Gaussian of `std` around a mode drawn uniformly from `modes`."""
    if n < 1:
        raise ValueError(f"n must be a positive number of points, got {n!r}")
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(modes), size=n)
    points = modes[labels] + std * rng.standard_normal((n, 2))
    return Dataset(points.astype(np.float32), labels, num_classes=len(modes), name=name,
                   modes=modes.astype(np.float32))


def ring8(n=10000, radius=2.0, std=0.02, seed=0):
    """8 Gaussians evenly spaced on a circle of `radius` around 0; labels are the mode index."""
    angles = 2 * np.pi * np.arange(8) / 8
    modes = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return _gaussian_mixture(modes, n, std, seed, "ring8")


def grid25(n=10000, spacing=2.0, std=0.05, seed=0):
    """25 Gaussians on a 5x5 grid centred on 0, `spacing` apart; labels are the mode index
    (row-major: mode 5 * i + j sits at ((i - 2) * spacing, (j - 2) * spacing))."""
    offsets = spacing * (np.arange(5) - 2.0)
    modes = np.stack(np.meshgrid(offsets, offsets, indexing="ij"), axis=-1).reshape(25, 2)
    return _gaussian_mixture(modes, n, std, seed, "grid25")
