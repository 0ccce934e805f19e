"""python -m minigan.sample: draw samples from a trained run.

    python -m minigan.sample --run runs/latest --n 64 --out grid.png       # a picture
    python -m minigan.sample --run runs/latest --n 1000 --out samples.npz  # uint8 images
    python -m minigan.sample --run runs/latest --interpolate --out walk.png
"""

import io
import os
import sys

import numpy as np  # host side: the noise and labels, before they go to the backend

from .creation import tensor
from .gan.run_folder import load_run
from .io import checkpoint as checkpoints
from .io.command_line import ArgumentParser, guarded
from .io.images import IMAGE_TYPES, image_grid, save_image, to_uint8
from .tensor import no_grad

MAX_SAMPLES = 100_000  # beyond this one file of samples no longer fits in memory


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
    p = ArgumentParser(prog="python -m minigan.sample",
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
    p.add_argument("--seed", type=int, default=0, help="(default: 0)")
    p.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
    return p


def check_arguments(arguments):
    """The options that make no sense on their own, before the run is loaded: a ValueError
    naming the option and the fix."""
    if not 1 <= arguments.n <= MAX_SAMPLES:
        raise ValueError(f"--n must be between 1 and {MAX_SAMPLES} samples, got {arguments.n}")
    if arguments.interpolate and arguments.steps < 2:
        raise ValueError(f"--steps must be at least 2 frames per walk, got {arguments.steps}")
    if arguments.seed < 0:
        raise ValueError(f"--seed must be 0 or more, got {arguments.seed}")
    extension = os.path.splitext(arguments.out)[1].lower()
    if os.path.isdir(arguments.out):
        raise ValueError(f"--out {arguments.out} is a folder: name a file in it, e.g. --out "
                         f"{os.path.join(arguments.out, 'grid.png')}")
    if extension not in IMAGE_TYPES + (".npz",):
        raise ValueError(f"--out {arguments.out}: name a picture ({' '.join(IMAGE_TYPES)}) or "
                         "an array file (.npz)")


def check_label(run, label):
    """--label fits the run: a conditional one, and one of its classes."""
    if label is None:
        return
    if not run.spec.conditional:
        raise ValueError(f"--label needs a conditional run (--model cdcgan); {run.path} is a "
                         f"{run.config.model}: leave out --label")
    if not 0 <= label < run.num_classes:
        raise ValueError(f"--label {label} is not a class of this run: pass one of 0 to "
                         f"{run.num_classes - 1}")


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


def write(path, images, run, rows):
    """The samples as a picture, or as uint8 images in an .npz file, written atomically."""
    if os.path.splitext(path)[1].lower() == ".npz":
        pixels = to_uint8(images, run.value_range).transpose(0, 2, 3, 1)
        pixels = pixels[..., 0] if pixels.shape[-1] == 1 else pixels
        buffer = io.BytesIO()
        np.savez_compressed(buffer, images=pixels)
        checkpoints.write_bytes_atomic(path, buffer.getvalue())
    else:
        save_image(path, image_grid(images, rows=rows, value_range=run.value_range))


def draw(arguments):
    check_arguments(arguments)
    run = load_run(arguments.run, use_ema=not arguments.no_ema)
    if run.spec.points:
        raise ValueError("this run generates 2-D points, not images; its samples/ folder has "
                         "the scatter plots")
    check_label(run, arguments.label)
    images = generate(run, *_inputs(run, arguments))
    rows = max(1, arguments.n // arguments.steps) if arguments.interpolate else None
    write(arguments.out, images, run, rows)
    print(f"wrote {images.shape[0]} samples of step {run.step} ({run.weights} weights) "
          f"to {arguments.out}")
    return 0


def main(argv=None):
    arguments = parser().parse_args(argv)
    return guarded(lambda: draw(arguments), arguments.debug)


if __name__ == "__main__":
    sys.exit(main())
