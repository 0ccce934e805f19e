"""Restoration by GAN inversion: inpainting, denoising, deblurring and super-resolution with a
trained generator (or a VAE's decoder). The command line is `python -m minigan.restore`."""

from .degrade import MODES, Degradation, gaussian_kernel
from .inversion import Restoration, discriminator_features, restore

__all__ = ["MODES", "Degradation", "Restoration", "discriminator_features", "gaussian_kernel",
           "restore"]
