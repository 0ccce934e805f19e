"""python -m minigan.evaluate: how good a run's samples are, in numbers.

    python -m minigan.evaluate --run runs/latest                 # its generator, N = 1000
    python -m minigan.evaluate --samples samples.npz             # images from minigan.sample
    python -m minigan.evaluate --run runs/faces --json faces.json  # discriminator features
    python -m minigan.evaluate --run runs/b --discriminator runs/a    # b in a's D features
    python -m minigan.evaluate --run runs/latest --repeats 5     # mean and spread of 5 draws

Every metric compares a candidate set of images with real images, in the features of a network:
the MNIST classifier for digits, a run's discriminator otherwise. Two reference rows frame the
numbers: real vs real (two halves of the real images: the best score at this sample size) and
noise (uniform random pixels: the worst).
"""

import argparse
import os
import time

import numpy as np

from .. import backend
from ..creation import tensor
from ..data import load, mnist5k
from ..gan.run_folder import RunFolder, load_run
from ..io.checkpoint import write_json_atomic
from ..io.command_line import ArgumentParser, guarded
from ..io.images import to_uint8
from ..tensor import no_grad
from . import metrics
from .features import CLASSIFIER_SHAPE, ClassifierFeatures, load_discriminator
from .table import format_table

MAX_IMAGES = 100_000  # more no longer fit in memory with their features


# -- the image sets ---------------------------------------------------------------------------
def read_samples(path):
    """uint8 images (N, C, H, W) from an npz file with `images` (N, H, W) or (N, H, W, C)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no sample file {path!r}: write one with python -m "
                                "minigan.sample --run DIR --n 1000 --out samples.npz")
    try:
        archive = np.load(path, allow_pickle=False)
    except Exception as error:  # NumPy and zipfile raise their own types for a damaged file
        raise ValueError(f"{path!r} is not a readable .npz file ({type(error).__name__}): write "
                         "one with python -m minigan.sample --out FILE.npz") from None
    if not hasattr(archive, "files"):
        raise ValueError(f"{path!r} holds one array, not an .npz archive: save the images with "
                         "numpy.savez(path, images=...)")
    with archive:
        if "images" not in archive.files:
            raise ValueError(f"{path!r} has no array 'images' (it has {sorted(archive.files)}); "
                             "store uint8 images (N, H, W) or (N, H, W, C) under that name, as "
                             "python -m minigan.sample --out FILE.npz does")
        images = archive["images"]
    if images.dtype != np.uint8 or images.ndim not in (3, 4):
        raise ValueError(f"{path!r}: 'images' must be uint8 (N, H, W) or (N, H, W, C), got "
                         f"{images.dtype} {images.shape}; scale float images to 0..255 and "
                         "convert with .astype(numpy.uint8)")
    return images[:, None] if images.ndim == 3 else images.transpose(0, 3, 1, 2)


def generate(run, count, seed=0, batch_size=250):
    """(uint8 images (N, C, H, W), labels or None, images per second) from a run's generator;
    the speed counts the generator only, on its own backend, synchronised."""
    generator = run.generator
    backend_name = next(generator.parameters()).backend
    device = backend.get(backend_name)
    # the noise and labels of python -m minigan.sample --seed: the same images for the same seed
    noise = np.random.default_rng(seed).standard_normal(
        (count, run.config.latent_dim)).astype(np.float32)
    conditional = run.spec.conditional
    labels = np.arange(count) % run.num_classes if conditional else None

    def forward(start, stop):
        z = tensor(noise[start:stop], backend=backend_name)
        with no_grad():
            if conditional:
                return generator(z, tensor(labels[start:stop], backend=backend_name))
            return generator(z)

    forward(0, min(2, count))  # compile the kernels outside the timing
    batches, seconds = [], 0.0
    for start in range(0, count, batch_size):
        device.synchronize()
        started = time.perf_counter()
        images = forward(start, min(start + batch_size, count))
        device.synchronize()
        seconds += time.perf_counter() - started
        batches.append(to_uint8(images.numpy(), run.value_range))
    return np.concatenate(batches), labels, count / seconds


def mnist_reference():
    """The 1000 MNIST-5k digits the classifier never trained on, with their labels."""
    # imported here: python -m minigan.evaluate.train_classifier must not find itself imported
    from .train_classifier import split

    _, held_out = split(mnist5k())
    return held_out.images, held_out.labels


def data_reference(spec, sample_shape, count, seed=0):
    """Up to `count` random images of data set `spec`, at `sample_shape`, with their labels."""
    channels, size, _ = sample_shape
    dataset = load(spec, image_size=size, channels=channels)
    chosen = np.sort(np.random.default_rng(seed).permutation(len(dataset))[:count])
    return dataset.images[chosen], dataset.labels[chosen]


def noise_images(count, sample_shape, seed=0):
    """Uniform random uint8 images: the worst case."""
    return np.random.default_rng([seed, 2]).integers(0, 256, (count, *sample_shape),
                                                     dtype=np.uint8)


# -- the numbers ------------------------------------------------------------------------------
def compare(features, probabilities, real_features, seed=0):
    """The metrics of one candidate set against the real one, from their features."""
    size = min(1000, max(2, min(len(features), len(real_features)) // 2))  # subsets differ
    kid, kid_std = metrics.kernel_distance(real_features, features, subset_size=size, seed=seed)
    precision, recall = metrics.precision_recall(real_features, features)
    row = {"fd": metrics.frechet_distance(real_features, features), "kid": kid,
           "kid_std": kid_std, "precision": precision, "recall": recall, "count": len(features)}
    if probabilities is not None:
        histogram = metrics.class_histogram(probabilities)
        row.update(confident=metrics.confident_share(probabilities),
                   classes=metrics.classes_covered(histogram),
                   kl=metrics.kl_to_uniform(histogram),
                   histogram=[round(float(share), 4) for share in histogram])
    return row


def evaluate(images, real_images, network, labels=None, real_labels=None, discriminator=None,
             images_per_second=None, seed=0):
    """The generated row and the two reference rows, as {row: {metric: value}}.

    images, real_images: uint8 (N, C, H, W); network: ClassifierFeatures or a RunDiscriminator
    (called for features); discriminator: a RunDiscriminator for D's accuracy, or None."""
    if len(real_images) < 8:
        raise ValueError(f"only {len(real_images)} real images: the reference rows need at "
                         "least 8")
    noise = noise_images(len(images), images.shape[1:], seed)
    shuffled = np.random.default_rng([seed, 4]).permutation(len(real_images))  # data sets come
    real_images = real_images[shuffled]  # sorted by class: halves must be alike
    real_labels = None if real_labels is None else real_labels[shuffled]
    half = len(real_images) // 2
    real_features, real_probabilities = network(real_images)
    noise_labels = None if labels is None else np.random.default_rng(seed).permutation(labels)
    candidates = {  # row: (features, probabilities, images, labels)
        "generated": (*network(images), images, labels),
        "real_vs_real": (real_features[half:],
                         None if real_probabilities is None else real_probabilities[half:],
                         real_images[half:], None if real_labels is None else real_labels[half:]),
        "noise": (*network(noise), noise, noise_labels),
    }
    rows = {}
    for name, (features, probabilities, _, _) in candidates.items():
        reference = real_features[:half] if name == "real_vs_real" else real_features
        rows[name] = compare(features, probabilities, reference, seed)
        rows[name]["reference_count"] = len(reference)
    if discriminator is not None:
        judged = discriminator_accuracies(discriminator, candidates, real_images, real_labels,
                                          half)
        for name, accuracy in judged.items():
            rows[name]["d_accuracy"] = accuracy
    rows["generated"]["images_per_second"] = images_per_second
    return rows


def pooled(rows):
    """The generated rows of several draws of images as one row: each number's mean, the
    fewest classes a draw covered, and the Frechet distance of every draw with its spread."""
    row = dict(rows[0])
    for key, value in rows[0].items():
        if isinstance(value, float):
            row[key] = float(np.mean([draw[key] for draw in rows]))
    if "classes" in row:
        row["classes"] = min(draw["classes"] for draw in rows)
        row["histogram"] = [round(float(share), 4)
                            for share in np.mean([draw["histogram"] for draw in rows], axis=0)]
    row["fd_draws"] = [draw["fd"] for draw in rows]
    row["fd_std"] = float(np.std(row["fd_draws"]))
    return row


def discriminator_accuracies(discriminator, candidates, real_images, real_labels, half):
    """D's balanced accuracy on the real images against each candidate set; a conditional D
    needs labels, so it leaves out the sets without them."""
    if discriminator.conditional and real_labels is None:
        return {}
    real_scores = discriminator.scores(real_images, real_labels)
    judged = {}
    for name, (_, _, images, labels) in candidates.items():
        if name == "real_vs_real":  # half of the real images posing as the fakes
            judged[name] = discriminator.accuracy(real_scores[:half], real_scores[half:])
        elif labels is not None or not discriminator.conditional:
            judged[name] = discriminator.accuracy(real_scores,
                                                  discriminator.scores(images, labels))
    return judged


# -- the command line -------------------------------------------------------------------------
def parser():
    p = ArgumentParser(
        prog="python -m minigan.evaluate", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", metavar="DIR", help="a run folder (--out of minigan.train): "
                        "its latest checkpoint's generator makes the samples")
    source.add_argument("--samples", metavar="FILE.npz",
                        help="uint8 images (N, H, W) or (N, H, W, C) under 'images', as "
                             "python -m minigan.sample --out FILE.npz writes them")
    p.add_argument("--n", type=int, default=1000,
                   help="how many images to generate, or to take from --samples "
                        "(default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    p.add_argument("--repeats", type=int, default=1, metavar="R",
                   help="draw R sets of --n images from the run's generator (seeds --seed, "
                        "--seed + 1, ...) and report each number's mean, with the FD's spread "
                        "across the draws: a single draw of 1000 digits moves FCD by several "
                        "points (default: %(default)s)")
    p.add_argument("--features", choices=("classifier", "discriminator"),
                   help="the network whose features the distances use: classifier (minigan's "
                        "MNIST classifier) or discriminator (a run's) (default: classifier "
                        "for 28x28 grey images of MNIST, discriminator otherwise)")
    p.add_argument("--discriminator", metavar="DIR",
                   help="the run whose discriminator gives the features and D's accuracy "
                        "(default: --run); fix one to compare several runs in its features")
    p.add_argument("--data", help="the real images for discriminator features, as minigan.train "
                   "--data takes them (default: the run's own data)")
    p.add_argument("--no-ema", action="store_true",
                   help="use the raw generator even if the run kept an EMA average")
    p.add_argument("--json", metavar="FILE", help="also save the numbers to this JSON file")
    p.add_argument("--debug", action="store_true", help="show the Python traceback of an error")
    return p


def _run_config(run_dir):
    return RunFolder(run_dir).read_config()


def _candidates(arguments):
    """(draw, step or None): draw(seed) gives (uint8 images, labels or None, images per second
    or None), the run's generated images for that seed or the sample file's."""
    if arguments.run:
        _run_config(arguments.run)
        run = load_run(arguments.run, use_ema=not arguments.no_ema)
        if run.spec.points:
            raise ValueError(f"{arguments.run!r} generates 2-D points, not images: its samples/ "
                             "folder has the scatter plots")
        return (lambda seed: generate(run, arguments.n, seed)), run.step
    if arguments.repeats > 1:
        raise ValueError(f"--repeats {arguments.repeats} draws new images from a run's "
                         "generator: pass --run DIR, or drop --repeats for a sample file")
    images = read_samples(arguments.samples)[:arguments.n]
    if len(images) < 8:
        raise ValueError(f"{arguments.samples!r} holds {len(images)} images: the metrics "
                         "need at least 8 (write 1000 with minigan.sample --n 1000)")
    return (lambda seed: (images, None, None)), None


def _features(feature_name, discriminator, data_spec, images, arguments, notes):
    """(the feature network, real images, their labels) for the chosen features."""
    if feature_name == "classifier":
        real_images, real_labels = mnist_reference()
        notes.append(f"the real images: the {len(real_images)} MNIST-5k digits held out from "
                     "the classifier's training")
        return ClassifierFeatures(), real_images, real_labels
    if discriminator is None:
        raise ValueError(
            f"images of shape {tuple(images.shape[1:])} (C, H, W) are not 28x28 grey "
            "digits, so they are measured in a discriminator's features: pass --run DIR "
            "or --discriminator DIR, a run whose checkpoint has a discriminator")
    if data_spec is None:
        raise ValueError("discriminator features need real images: pass --data")
    real_images, real_labels = data_reference(data_spec, images.shape[1:], arguments.n,
                                              arguments.seed)
    notes.append(f"the real images: {len(real_images)} from {data_spec}")
    return discriminator, real_images, real_labels


def run_evaluation(arguments):
    """Everything the command line does except printing: returns the result dict."""
    if not 8 <= arguments.n <= MAX_IMAGES:
        raise ValueError(f"--n {arguments.n}: the metrics need between 8 and {MAX_IMAGES} "
                         "images")
    if arguments.repeats < 1:
        raise ValueError(f"--repeats must be 1 or more, got {arguments.repeats}")
    for folder in (arguments.run, arguments.discriminator):
        if folder is not None and not os.path.isdir(folder):
            raise FileNotFoundError(f"no run folder {folder!r}: pass the --out folder of "
                                    "python -m minigan.train")
    draw, step = _candidates(arguments)
    images, labels, speed = draw(arguments.seed)
    judge_dir = arguments.discriminator or arguments.run
    discriminator = load_discriminator(judge_dir) if judge_dir else None
    data_spec = arguments.data or (_run_config(judge_dir)["data"] if judge_dir else None)
    digits = tuple(images.shape[1:]) == CLASSIFIER_SHAPE and (
        data_spec is None or data_spec.startswith("mnist"))
    feature_name = arguments.features or ("classifier" if digits else "discriminator")
    notes = []
    network, real_images, real_labels = _features(feature_name, discriminator, data_spec,
                                                  images, arguments, notes)
    if discriminator is not None and discriminator.conditional and labels is None:
        notes.append("D acc left out: the conditional discriminator needs the samples' labels")
    rows = evaluate(images, real_images, network, labels, real_labels, discriminator, speed,
                    arguments.seed)
    if arguments.repeats > 1:
        draws = [rows["generated"]]
        for seed in range(arguments.seed + 1, arguments.seed + arguments.repeats):
            more, more_labels, more_speed = draw(seed)
            draws.append(evaluate(more, real_images, network, more_labels, real_labels,
                                  discriminator, more_speed, seed)["generated"])
        rows["generated"] = pooled(draws)
    return {"source": arguments.run or arguments.samples, "step": step,
            "features": feature_name, "n": len(images), "seed": arguments.seed,
            "repeats": arguments.repeats,
            "note": network.note, "notes": notes, "rows": rows}


def report(arguments):
    """Evaluate, print the table and write the JSON file the arguments ask for."""
    if arguments.seed < 0:
        raise ValueError(f"--seed must be 0 or more, got {arguments.seed}")
    if arguments.json and os.path.isdir(arguments.json):
        raise ValueError(f"--json {arguments.json} is a folder: name a file, e.g. scores.json")
    result = run_evaluation(arguments)
    where = f" at step {result['step']}" if result["step"] is not None else ""
    print(f"{result['source']}{where}: {result['n']} images, {result['features']} features\n")
    print(format_table(result))
    if arguments.json:
        write_json_atomic(arguments.json, result)
        print(f"\nwrote {arguments.json}")
    return 0


def main(argv=None):
    arguments = parser().parse_args(argv)
    return guarded(lambda: report(arguments), arguments.debug)
