"""python -m minigan.sample: draw samples from a trained run.

    python -m minigan.sample --run runs/latest --n 64 --out grid.png       # a picture
    python -m minigan.sample --run runs/latest --n 1000 --out samples.npz  # uint8 images
    python -m minigan.sample --run runs/latest --interpolate --out walk.png
"""

import argparse
import os
import sys

import numpy as np

from .creation import tensor
from .gan.run_folder import load_run
from .io.images import image_grid, save_image, to_uint8
from .tensor import no_grad


def _noise(count, latent_dim, seed):
    return np.random.default_rng(seed).standard_normal((count, latent_dim)).astype("float32")


def _walk(start, end, steps):
    """Spherical interpolation between two noise batches (N, d): Gaussian noise lives near a
    sphere, and the straight line between two points passes through its less likely inside."""
    a, b = start.astype("float64"), end.astype("float64")
    cosine = (a * b).sum(1, keepdims=True) / (
        np.linalg.norm(a, axis=1, keepdims=True) * np.linalg.norm(b, axis=1, keepdims=True))
    angle = np.arccos(np.clip(cosine, -1.0, 1.0))
    frames = []
    for t in np.linspace(0.0, 1.0, steps):
        frames.append((np.sin((1 - t) * angle) * a + np.sin(t * angle) * b) / np.sin(angle))
    return np.stack(frames, axis=1).reshape(-1, a.shape[1]).astype("float32")  # rows are walks


def generate(run, noise, labels=None):
    """The run's generator on host noise (N, latent_dim) (and labels, for a conditional
    model), as a host array."""
    backend_name = next(run.generator.parameters()).backend
    z = tensor(noise, backend=backend_name)
    with no_grad():
        if run.spec.conditional:
            return run.generator(z, tensor(labels, backend=backend_name)).numpy()
        return run.generator(z).numpy()


def parser():
    p = argparse.ArgumentParser(prog="python -m minigan.sample",
                                description="Draw samples from a trained minigan run.")
    p.add_argument("--run", required=True, help="the run folder (--out of minigan.train)")
    p.add_argument("--n", type=int, default=64, help="how many samples (default: 64)")
    p.add_argument("--out", required=True,
                   help="grid.png (a picture) or samples.npz (uint8 images under 'images', "
                        "(N, H, W) or (N, H, W, C))")
    p.add_argument("--interpolate", action="store_true",
                   help="a latent-space walk: each row goes from one random z to another")
    p.add_argument("--steps", type=int, default=10, help="frames per walk (default: 10)")
    p.add_argument("--label", type=int, help="cdcgan only: draw this class (default: all "
                   "classes in turn)")
    p.add_argument("--no-ema", action="store_true",
                   help="use the raw generator even if the run kept an EMA average")
    p.add_argument("--seed", type=int, default=0)
    return p


def _inputs(run, arguments):
    """(noise, labels or None) on the host, as the arguments ask."""
    latent_dim = run.config.latent_dim
    if arguments.interpolate:
        rows = max(1, arguments.n // arguments.steps)
        noise = _walk(_noise(rows, latent_dim, arguments.seed),
                      _noise(rows, latent_dim, arguments.seed + 1), arguments.steps)
    else:
        noise = _noise(arguments.n, latent_dim, arguments.seed)
    if not run.spec.conditional:
        return noise, None
    if arguments.label is not None:
        return noise, np.full(noise.shape[0], arguments.label)
    return noise, np.arange(noise.shape[0]) % run.num_classes


def main(argv=None):
    arguments = parser().parse_args(argv)
    try:
        run = load_run(arguments.run, use_ema=not arguments.no_ema)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if run.spec.points:
        print("error: this run generates 2-D points, not images; its samples/ folder has the "
              "scatter plots", file=sys.stderr)
        return 2
    images = generate(run, *_inputs(run, arguments))
    if os.path.splitext(arguments.out)[1].lower() == ".npz":
        pixels = to_uint8(images, run.value_range).transpose(0, 2, 3, 1)
        pixels = pixels[..., 0] if pixels.shape[-1] == 1 else pixels
        np.savez_compressed(arguments.out, images=pixels)
    else:
        rows = max(1, arguments.n // arguments.steps) if arguments.interpolate else None
        save_image(arguments.out, image_grid(images, rows=rows, value_range=run.value_range))
    print(f"wrote {images.shape[0]} samples of step {run.step} ({run.weights} weights) "
          f"to {arguments.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
