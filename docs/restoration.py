"""The README's restoration measurement and figure (docs/restoration.png):

    python docs/restoration.py --gan runs/dcgan600 --vae runs/vae600 --count 64

MNIST-5k digits with a 12x12 hole at a random place over the digit; the error inside the hole
(pixels in [0, 1]) of OpenCV's inpainting (Telea), of the GAN's restoration and of the VAE's.
"""

import argparse

import numpy as np

from minigan.data import load
from minigan.io.images import image_grid, save_image
from minigan.restore import restore
from minigan.restore.compare import hole_mse, square_holes, telea_inpaint
from minigan.gan import load_run


def masked_digits(count, seed):
    digits = load("mnist5k").images
    picked = np.random.default_rng(seed).choice(len(digits), count, replace=False)
    clean = digits[picked].astype(np.float32) / 127.5 - 1  # (N, 1, 28, 28) in [-1, 1]
    holes = square_holes(count, 28, 12, seed=seed, margin=4)
    return clean, holes, np.where(holes[:, None], 0.0, clean)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gan", required=True)
    p.add_argument("--vae")
    p.add_argument("--count", type=int, default=64)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--columns", type=int, default=10, help="digits shown in the figure")
    p.add_argument("--out", default="docs/restoration.png")
    arguments = p.parse_args()
    clean, holes, damaged = masked_digits(arguments.count, arguments.seed)
    rows = {"Telea (cv2.inpaint)": telea_inpaint(damaged, holes)}
    runs = {"GAN": arguments.gan, "VAE": arguments.vae}
    for name, run in runs.items():
        if run:
            generator = load_run(run).generator
            for average in (1, 4):
                rows[f"{name}, average of {average}"] = restore(
                    generator, damaged, holes, average=average, seed=0).images
    print(f"{arguments.count} digits, 12x12 holes, MSE inside the hole (pixels in [0, 1]):")
    for name, images in rows.items():
        errors = hole_mse(images, clean, holes)
        print(f"  {name:24s} {errors.mean():.4f} +- {errors.std() / len(errors) ** 0.5:.4f}")
    shown = slice(0, arguments.columns)
    mask_images = holes[shown, None].astype(np.float32) * 2 - 1
    picture = [clean[shown], damaged[shown], mask_images] + [
        images[shown] for name, images in rows.items() if "average of 1" not in name]
    save_image(arguments.out, image_grid(np.concatenate(picture), rows=len(picture)))
    print(f"wrote {arguments.out}: rows are the digit, the input, the mask, "
          + ", ".join(name for name in rows if "average of 1" not in name))


if __name__ == "__main__":
    main()
