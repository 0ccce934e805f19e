"""python -m minigan.sample: draw samples from a trained run.

    python -m minigan.sample --run runs/latest --n 64 --out grid.png       # a picture
    python -m minigan.sample --run runs/latest --n 1000 --out samples.npz  # uint8 images
    python -m minigan.sample --run runs/latest --interpolate --out walk.png
"""

import argparse
import os
import sys

from . import backend as backends
from .creation import tensor
from .gan.trainer import load_generator
from .io.images import image_grid, save_image, to_uint8
from .tensor import no_grad


def _noise(count, latent_dim, seed, backend_name):
    rng = backends.host_module().random.default_rng(seed)
    return tensor(rng.standard_normal((count, latent_dim)).astype("float32"), backend=backend_name)


def _walk(start, end, steps):
    """Spherical interpolation between two noise batches (N, d): Gaussian noise lives near a
    sphere, and the straight line between two points passes through its less likely inside."""
    xp = backends.host_module()
    a, b = start.numpy().astype("float64"), end.numpy().astype("float64")
    cosine = (a * b).sum(1, keepdims=True) / (
        xp.linalg.norm(a, axis=1, keepdims=True) * xp.linalg.norm(b, axis=1, keepdims=True))
    angle = xp.arccos(xp.clip(cosine, -1.0, 1.0))
    frames = []
    for t in xp.linspace(0.0, 1.0, steps):
        frames.append((xp.sin((1 - t) * angle) * a + xp.sin(t * angle) * b) / xp.sin(angle))
    return xp.stack(frames, axis=1).reshape(-1, a.shape[1]).astype("float32")  # rows are walks


def generate(generator, info, noise, labels=None):
    with no_grad():
        if info["num_classes"] and info["config"].model == "cdcgan":
            return generator(noise, labels).numpy()
        return generator(noise).numpy()


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m minigan.sample",
                                     description="Draw samples from a trained minigan run.")
    parser.add_argument("--run", required=True, help="the run folder (--out of minigan.train)")
    parser.add_argument("--n", type=int, default=64, help="how many samples (default: 64)")
    parser.add_argument("--out", required=True,
                        help="grid.png (a picture) or samples.npz (uint8 images under 'images', "
                             "(N, H, W) or (N, H, W, C))")
    parser.add_argument("--interpolate", action="store_true",
                        help="a latent-space walk: each row goes from one random z to another")
    parser.add_argument("--steps", type=int, default=10, help="frames per walk (default: 10)")
    parser.add_argument("--label", type=int, help="cdcgan only: draw this class (default: all "
                        "classes in turn)")
    parser.add_argument("--no-ema", action="store_true",
                        help="use the raw generator even if the run kept an EMA average")
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args(argv)
    try:
        generator, info = load_generator(arguments.run, use_ema=not arguments.no_ema)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    config = info["config"]
    if len(info["sample_shape"]) != 3:
        print("error: this run generates 2-D points, not images; its samples/ folder has the "
              "scatter plots", file=sys.stderr)
        return 2
    backend_name = generator.parameters().__next__().backend
    if arguments.interpolate:
        rows = max(1, arguments.n // arguments.steps)
        start = _noise(rows, config.latent_dim, arguments.seed, backend_name)
        end = _noise(rows, config.latent_dim, arguments.seed + 1, backend_name)
        noise = tensor(_walk(start, end, arguments.steps), backend=backend_name)
    else:
        noise = _noise(arguments.n, config.latent_dim, arguments.seed, backend_name)
    labels = None
    if config.model == "cdcgan":
        host = backends.host_module()
        classes = host.full(noise.shape[0], arguments.label) if arguments.label is not None \
            else host.arange(noise.shape[0]) % info["num_classes"]
        labels = tensor(classes, backend=backend_name)
    images = generate(generator, info, noise, labels)
    extension = os.path.splitext(arguments.out)[1].lower()
    if extension == ".npz":
        pixels = to_uint8(images, info["value_range"]).transpose(0, 2, 3, 1)
        pixels = pixels[..., 0] if pixels.shape[-1] == 1 else pixels
        backends.host_module().savez_compressed(arguments.out, images=pixels)
    else:
        rows = max(1, arguments.n // arguments.steps) if arguments.interpolate else None
        save_image(arguments.out, image_grid(images, rows=rows, value_range=info["value_range"]))
    print(f"wrote {images.shape[0]} samples of step {info['step']} ({info['weights']} weights) "
          f"to {arguments.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
