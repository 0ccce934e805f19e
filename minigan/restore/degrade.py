"""Differentiable forward models of image damage, for restoration by GAN inversion.

A `Degradation` maps a clean batch x (N, C, H, W) to what the camera would have recorded. Its
`forward` is written with minigan ops, so the restoration can push the error on the recorded
image back through the damage to the generator's input z. `apply` damages host images with the
same operator (plus the noise itself), to make test images.

    noise       y = x + sigma * e            forward: the identity (the noise is not modelled)
    blur        y = gaussian(k, sigma) * x   forward: conv2d with a fixed kernel, renormalised at
                                             the borders so that the edges do not darken
    downsample  y = mean of factor x factor  forward: avg_pool2d; y is factor times smaller
"""

import numpy as np

from .. import functional as F
from ..creation import tensor
from ..tensor import no_grad

MODES = ("noise", "blur", "downsample")


def gaussian_kernel(size, sigma):
    """A (size, size) float64 Gaussian kernel that sums to 1."""
    offsets = np.arange(size, dtype=np.float64) - (size - 1) / 2
    line = np.exp(-offsets ** 2 / (2.0 * sigma ** 2))
    kernel = np.outer(line, line)
    return kernel / kernel.sum()


class Degradation:
    """The damage `mode` with its parameters: sigma (noise: its standard deviation in the
    image's value range; blur: the kernel's), kernel_size (blur, odd) and factor (downsample)."""

    def __init__(self, mode, sigma=None, kernel_size=5, factor=2):
        if mode not in MODES:
            raise ValueError(f"unknown degradation {mode!r}: choose one of {MODES}")
        if mode == "blur" and (kernel_size < 1 or kernel_size % 2 == 0):
            raise ValueError(f"--kernel-size must be a positive odd number, got {kernel_size}")
        if mode == "downsample" and factor < 2:
            raise ValueError(f"--factor must be 2 or more, got {factor}")
        if sigma is not None and sigma <= 0:
            raise ValueError(f"--sigma must be positive, got {sigma}")
        self.mode, self.kernel_size, self.factor = mode, kernel_size, factor
        self.sigma = sigma if sigma is not None else {"noise": 0.2, "blur": 1.5}.get(mode)

    def __repr__(self):
        detail = {"noise": f"sigma={self.sigma}", "downsample": f"factor={self.factor}",
                  "blur": f"kernel_size={self.kernel_size}, sigma={self.sigma}"}[self.mode]
        return f"Degradation({self.mode!r}, {detail})"

    def observed_shape(self, shape):
        """The (C, H, W) of a damaged image whose clean image has `shape` (C, H, W)."""
        channels, height, width = shape
        if self.mode != "downsample":
            return tuple(shape)
        return channels, height // self.factor, width // self.factor

    def check_clean_shape(self, shape):
        channels, height, width = shape
        if self.mode == "downsample" and (height % self.factor or width % self.factor):
            raise ValueError(f"--factor {self.factor} does not divide the run's image size "
                             f"{height}x{width}; pick a divisor of {height}")

    def _blur_weights(self, x):
        """(C, C, k, k) weights that blur each channel on its own, and the (1, 1, H, W) sum of
        the kernel's taps that fall inside the image (to renormalise the borders)."""
        channels = x.shape[1]
        kernel = gaussian_kernel(self.kernel_size, self.sigma)
        weights = np.zeros((channels, channels) + kernel.shape)
        for channel in range(channels):
            weights[channel, channel] = kernel
        inside = np.ones((1, 1) + x.shape[2:])
        padding = self.kernel_size // 2
        with no_grad():
            coverage = F.conv2d(tensor(inside, dtype="float64"),
                                tensor(kernel[None, None], dtype="float64"), padding=padding)
        as_x = dict(dtype=x.dtype, backend=x.backend)
        return tensor(weights, **as_x), tensor(coverage.numpy(), **as_x)

    def forward(self, x):
        """The damage's differentiable model: (N, C, H, W) Tensor -> the observed Tensor."""
        if self.mode == "noise":
            return x
        if self.mode == "blur":
            weights, coverage = self._blur_weights(x)
            return F.conv2d(x, weights, padding=self.kernel_size // 2) / coverage
        return F.avg_pool2d(x, self.factor)

    def apply(self, images, seed=0):
        """Damage host float images (N, C, H, W) (or one (C, H, W)): the model, plus the noise
        itself for "noise". Returns a float32 host array."""
        single = np.ndim(images) == 3
        batch = np.asarray(images, dtype=np.float32)[None] if single else \
            np.asarray(images, dtype=np.float32)
        with no_grad():
            damaged = self.forward(tensor(batch)).numpy()
        if self.mode == "noise":
            damaged = damaged + self.sigma * np.random.default_rng(seed).standard_normal(
                damaged.shape).astype(np.float32)
        return damaged[0] if single else damaged
