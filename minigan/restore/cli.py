"""python -m minigan.restore: repair an image with a trained run's generator.

    python -m minigan.restore --run runs/latest --input damaged.png --mask mask.png --out a.png
    python -m minigan.restore --run runs/latest --input noisy.png --degrade noise --out b.png
    python -m minigan.restore --run runs/latest --input small.png --degrade downsample --out c.png
"""

import argparse
import os
import sys

import cv2
import numpy as np

from ..gan.run_folder import load_run
from ..io.images import save_image, to_uint8
from .degrade import MODES, Degradation
from .inversion import restore

EXAMPLES = """\
The image must have the run's channels and size (the low-resolution size for --degrade
downsample); white pixels of --mask (> 50% grey) are the missing ones.
examples:
  python -m minigan.restore --run runs/latest --input damaged.png --mask mask.png --out fixed.png
  python -m minigan.restore --run runs/latest --input blurred.png --degrade blur --sigma 1.5 \\
      --kernel-size 5 --out sharp.png
  python -m minigan.restore --run runs/vae --input small.png --degrade downsample --factor 2 \\
      --out large.png                                    # a VAE's decoder works the same way
"""


def parser():
    p = argparse.ArgumentParser(
        prog="python -m minigan.restore", epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Restore a damaged image by searching the latent space of a trained "
                    "generator (GAN inversion): inpainting, denoising, deblurring, "
                    "super-resolution.")
    p.add_argument("--run", required=True, help="the run folder (--out of minigan.train)")
    p.add_argument("--input", required=True, help="the damaged image (PNG, JPEG, ...)")
    p.add_argument("--out", required=True, help="where to write the restored image")
    p.add_argument("--mask", help="an image of the same size, white where pixels are missing")
    p.add_argument("--degrade", choices=MODES,
                   help="what else damaged the image: noise (Gaussian, --sigma), blur "
                        "(Gaussian, --kernel-size, --sigma) or downsample (--factor)")
    p.add_argument("--sigma", type=float, help="blur: the Gaussian kernel's standard "
                   "deviation in pixels (default: 1.5); noise needs no setting: the search "
                   "fits the image, and the generator cannot make the noise")
    p.add_argument("--kernel-size", type=int, default=5, help="blur (default: %(default)s)")
    p.add_argument("--factor", type=int, default=2, help="downsample (default: %(default)s)")
    p.add_argument("--steps", type=int, default=200, help="Adam steps on z (default: "
                   "%(default)s)")
    p.add_argument("--restarts", type=int, default=8,
                   help="random starting points, searched as one batch (default: %(default)s)")
    p.add_argument("--average", type=int, default=4,
                   help="average the G(z) of this many best starts: blurrier, but a lower "
                        "expected squared error; 1 gives the single best, sharpest guess "
                        "(default: %(default)s)")
    p.add_argument("--lr", type=float, default=0.1, help="Adam's step size (default: "
                   "%(default)s)")
    p.add_argument("--prior", type=float, default=0.01,
                   help="weight of the Gaussian prior mean(z^2) (default: %(default)s)")
    p.add_argument("--perceptual", type=float, default=0.0, metavar="W",
                   help="weight of a term on the discriminator's features (default: off)")
    p.add_argument("--no-ema", action="store_true", help="use the raw generator even if the "
                   "run kept an EMA average")
    p.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    return p


def read_picture(path, channels, what):
    """uint8 (C, H, W) RGB from an image file with the run's channel count."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no {what} file {path!r}")
    picture = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if picture is None or picture.dtype != np.uint8:
        raise ValueError(f"OpenCV cannot read {path!r} as an 8-bit image: give a PNG or JPEG")
    if picture.ndim == 2:
        picture = picture[:, :, None]
    elif picture.shape[2] in (3, 4):
        picture = cv2.cvtColor(picture, cv2.COLOR_BGRA2RGB if picture.shape[2] == 4
                               else cv2.COLOR_BGR2RGB)
    if picture.shape[2] == 3 and channels == 1 and (picture == picture[:, :, :1]).all():
        picture = picture[:, :, :1]  # grey stored as colour
    if picture.shape[2] != channels:
        raise ValueError(f"{what} {path!r} has {picture.shape[2]} channels but the run makes "
                         f"images with {channels}; convert it (grey: 1, colour: 3)")
    return picture.transpose(2, 0, 1)


def read_mask(path, size):
    """(H, W) bool, true where the mask file is brighter than half."""
    mask = read_picture(path, 1, "--mask") if path else None
    if mask is not None and mask.shape[1:] != size:
        raise ValueError(f"--mask {path!r} is {mask.shape[2]}x{mask.shape[1]} but --input is "
                         f"{size[1]}x{size[0]}; they must be the same size")
    return None if mask is None else mask[0] > 127


def run(arguments):
    """Everything main does but printing; returns the restored uint8 picture (H, W, C)."""
    if arguments.mask is None and arguments.degrade is None:
        raise ValueError("nothing to restore: give --mask (inpainting), --degrade or both")
    if arguments.sigma is not None and arguments.degrade != "blur":
        raise ValueError("--sigma sets the blur kernel: it goes with --degrade blur only")
    for name in ("steps", "restarts", "average"):
        if getattr(arguments, name) < 1:
            raise ValueError(f"--{name} must be at least 1, got {getattr(arguments, name)}")
    models = load_run(arguments.run, use_ema=not arguments.no_ema)
    if models.spec.conditional or models.spec.points:
        raise ValueError(f"the run {arguments.run!r} is a {models.spec.name} model; restoration "
                         "needs an unconditional image generator (dcgan, mlp or vae)")
    if arguments.perceptual and models.discriminator is None:
        raise ValueError(f"--perceptual needs a discriminator, and the run {arguments.run!r} "
                         "has none (a VAE); leave --perceptual out")
    channels = models.sample_shape[0]
    degradation = None
    if arguments.degrade:
        degradation = Degradation(arguments.degrade, arguments.sigma, arguments.kernel_size,
                                  arguments.factor)
        degradation.check_clean_shape(models.sample_shape)
    expected = degradation.observed_shape(models.sample_shape) if degradation else \
        tuple(models.sample_shape)
    picture = read_picture(arguments.input, channels, "--input")
    if picture.shape[1:] != expected[1:]:
        smaller = " (its size / --factor)" if arguments.degrade == "downsample" else ""
        raise ValueError(f"--input {arguments.input!r} is {picture.shape[2]}x{picture.shape[1]} "
                         f"but the run {arguments.run!r} needs {expected[2]}x{expected[1]} "
                         f"images{smaller}; resize it first")
    hole = read_mask(arguments.mask, picture.shape[1:])
    if hole is not None and hole.all():
        raise ValueError(f"--mask {arguments.mask!r} is white everywhere: no pixel is known")
    low, high = models.value_range
    image = picture.astype(np.float32) / 255 * (high - low) + low
    result = restore(models.generator, image, hole, degradation, steps=arguments.steps,
                     restarts=arguments.restarts, lr=arguments.lr, prior_weight=arguments.prior,
                     perceptual_weight=arguments.perceptual,
                     discriminator=models.discriminator, average=arguments.average,
                     seed=arguments.seed)
    return to_uint8(result.images[0], models.value_range).transpose(1, 2, 0)


def main(argv=None):
    arguments = parser().parse_args(argv)
    try:
        picture = run(arguments)
        save_image(arguments.out, picture)
    except (ValueError, FileNotFoundError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {arguments.out}")
    return 0
