"""python -m minigan.train: train a GAN from the command line.

With no arguments it trains a DCGAN on the bundled MNIST-5k digits with the NumPy backend and
writes sample grids, a log, loss curves and checkpoints to runs/latest.
"""

import argparse
import glob
import importlib.util
import os
import sys

from . import backend, distributed
from .gan.config import (ON_FAILURE, RECIPE_STEPS, RECIPES, TrainConfig, flag, recipe_flags,
                          recipe_for)
from .gan.losses import LOSSES
from .gan.models import DEFAULT_STEPS, MODELS
from .gan.run_folder import RunFolder
from .gan.trainer import LR_SCHEDULES, Trainer, TrainingFailed
from .io.command_line import ArgumentParser, guarded

_DEFAULT = TrainConfig()
CONFIG_FIELDS = set(_DEFAULT.to_dict())  # the options that are settings of the run

DESCRIPTION = """\
Train a generative adversarial network (GAN) with minigan.

A GAN is two networks trained against each other. The discriminator D learns to tell real
images from generated ones; the generator G learns to turn random noise z into images that D
takes for real. Each step updates D (--n-critic times) on a real and a generated batch, then
updates G through D's gradient. Watch D(x) and D(G(z)) in the progress bar: D(x) is D's
belief that real images are real, D(G(z)) the same for fakes. Training is healthy while
neither D wins outright (D(G(z)) stuck at 0) nor collapses.
"""

EXAMPLES = """\
examples:
  python -m minigan.train                                  # MNIST-5k, about 7 CPU minutes
  python -m minigan.train --recipe dcgan                   # the tutorials' plain DCGAN
  python -m minigan.train --data lfw-subset --model mlp --output sigmoid --steps 2000
  python -m minigan.train --loss wasserstein --gp-weight 10 --n-critic 5 --lr-g 1e-4 \\
      --lr-d 1e-4 --betas 0 0.9                           # WGAN-GP
  python -m minigan.train --data folder:~/lfw --image-size 64 --out runs/lfw   # your photos
  python -m minigan.train --data ring8 --model toy --steps 3000   # watch mode collapse
  python -m minigan.train --model vae --lr-g 1e-3 --betas 0.9 0.999   # a VAE, not a GAN
  python -m minigan.train --backend cupy                   # on an NVIDIA GPU
  python -m minigan.train --resume runs/latest --steps 3000   # continue, exactly
  mpiexec -n 4 python -m minigan.train --distributed       # 4 processes, one batch of 64

outputs (in --out): samples/step_*.png, log.jsonl, losses.png, checkpoints/, config.json
then: python -m minigan.sample --run runs/latest --n 64 --out grid.png
"""


def parser():
    p = ArgumentParser(
        prog="python -m minigan.train", description=DESCRIPTION, epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    what = p.add_argument_group("what to train")
    what.add_argument("--recipe", choices=tuple(RECIPES), default=None,
                      help=f"the settings you leave out: sngan ({recipe_flags('sngan')}, "
                           f"{RECIPE_STEPS['sngan'][28]} steps at 28 pixels; the hinge loss "
                           "gives D spectral norm) trains the cleaner digits in 10 CPU minutes; "
                           f"dcgan is Radford et al.'s plain DCGAN ({recipe_flags('dcgan')}, "
                           f"batch norm in D, {DEFAULT_STEPS} steps) (default: sngan for the "
                           "DCGAN models, dcgan for the others)")
    what.add_argument("--model", choices=MODELS, default=None,
                      help="dcgan: convolutional (Radford et al. 2016); cdcgan: DCGAN conditioned "
                           "on the digit's class; mlp: fully connected (Goodfellow et al. 2014); "
                           "toy: small MLPs for the 2-D sets; vae: a variational autoencoder "
                           "with the DCGAN generator as its decoder, trained on the ELBO with "
                           f"one Adam (--lr-g, --betas) (default: {_DEFAULT.model})")
    what.add_argument("--loss", choices=sorted(LOSSES), default=None,
                      help="the adversarial objective: minimax is the original, whose generator "
                           "gradient vanishes when D wins; non_saturating fixes that; "
                           "wasserstein needs --gp-weight; hinge pairs with spectral norm; "
                           "least_squares penalises distance to the targets (default: "
                           "the --recipe's)")
    what.add_argument("--data", default=None,
                      help="mnist5k (bundled digits), lfw-subset (100 bundled faces), "
                           "mnist:DIR (MNIST IDX files), folder:DIR (any folder of images, e.g. "
                           f"LFW), ring8 or grid25 (2-D toys) (default: {_DEFAULT.data})")
    what.add_argument("--image-size", type=int, help="resize images to this side (DCGAN: 28, "
                      "32 or 64; default: the data's own, for a folder its images' own side up "
                      "to 64; for a DCGAN the nearest size it builds)")
    what.add_argument("--channels", type=int, choices=(1, 3),
                      help="1 for grey, 3 for colour (default: the data's own)")
    what.add_argument("--latent-dim", type=int, default=None,
                      help=f"size of the noise vector z (default: {_DEFAULT.latent_dim})")
    what.add_argument("--width", type=int, default=None,
                      help="DCGAN base channel count; G's and D's widest layers have 2-8x this "
                           "(default: the --recipe's)")
    what.add_argument("--norm", choices=("auto", "batch", "none", "spectral"),
                      default=None,
                      help="the discriminator's normalisation; auto picks batch norm, none for "
                           f"a gradient penalty, spectral for hinge (default: {_DEFAULT.norm})")
    what.add_argument("--output", choices=("tanh", "sigmoid"), default=None,
                      help="the MLP generator's output layer: tanh for data in [-1, 1], "
                           f"sigmoid for [0, 1] (default: {_DEFAULT.output})")
    how = p.add_argument_group("how long and how fast")
    how.add_argument("--steps", type=int, help="generator updates (default: the --recipe's)")
    how.add_argument("--epochs", type=float, help="passes over the data instead of --steps")
    how.add_argument("--batch-size", type=int, default=None,
                     help="(default: the --recipe's)")
    how.add_argument("--lr-g", type=float, default=None,
                     help="the generator's Adam learning rate (default: the --recipe's)")
    how.add_argument("--lr-d", type=float, default=None,
                     help="the discriminator's Adam learning rate (default: the --recipe's)")
    how.add_argument("--betas", type=float, nargs=2, default=None,
                     metavar=("BETA1", "BETA2"),
                     help="Adam's betas; DCGAN uses 0.5 0.999, WGAN-GP 0 0.9 "
                          "(default: the --recipe's)")
    how.add_argument("--n-critic", type=int, default=None,
                     help="discriminator updates per generator update; 5 for WGAN-GP "
                          f"(default: {_DEFAULT.n_critic})")
    how.add_argument("--gp-weight", type=float, default=None,
                     help="WGAN-GP gradient penalty weight, usually 10; the penalty is a "
                          f"gradient of a gradient (default: {_DEFAULT.gp_weight})")
    how.add_argument("--r1-weight", type=float, default=None,
                     help=f"R1 penalty gamma on real data (default: {_DEFAULT.r1_weight})")
    how.add_argument("--lr-schedule", choices=LR_SCHEDULES, default=None,
                     help="step halves the rates every third of the run, multistep divides "
                          "them by 10 at 1/2 and 3/4, cosine anneals to 0, warmup-cosine warms "
                          "up for 5%% first, linear-decay holds them and falls linearly to 0 "
                          "over the last 30%% (default: the --recipe's)")
    how.add_argument("--ema", type=float, default=None, metavar="DECAY",
                     help="keep an exponential moving average of G's weights with this decay "
                          "(e.g. 0.999) and sample from it (default: off)")
    how.add_argument("--backend", choices=("numpy", "cupy"), default=None,
                     help="numpy: the CPU, with Numba kernels; cupy: an NVIDIA GPU "
                          f'(pip install "minigan[gpu]") (default: {_DEFAULT.backend})')
    how.add_argument("--distributed", action="store_true",
                     help="train on the N processes that mpiexec -n N started, each on "
                          "batch-size/N examples of every batch, gradients averaged "
                          '(pip install "minigan[mpi]"; on GPUs, one GPU per process)')
    how.add_argument("--sync-batchnorm", action="store_true", default=None,
                     help="with --distributed: batch norm uses the statistics of the whole "
                          "batch, not of each process's share")
    how.add_argument("--seed", type=int, default=None, help=f"(default: {_DEFAULT.seed})")
    out = p.add_argument_group("outputs")
    out.add_argument("--out", default=None,
                     help=f"the run's folder (default: {_DEFAULT.out})")
    out.add_argument("--resume", metavar="DIR",
                     help="continue the run in DIR from its newest intact checkpoint, exactly "
                          "as if it had not stopped; --steps/--epochs, --lr-g, --lr-d, --betas, "
                          "--backend and the --*-every cadences may change; --out NEW continues "
                          "a copy in NEW; flags that change the model or data are refused")
    out.add_argument("--sample-every", type=int, default=None,
                     help=f"write a sample grid every N steps (default: {_DEFAULT.sample_every})")
    out.add_argument("--checkpoint-every", type=int, default=None,
                     help="write a checkpoint every N steps (default: "
                          f"{_DEFAULT.checkpoint_every})")
    out.add_argument("--evaluate-every", type=int, default=None,
                     help="measure sample quality every N steps (MNIST only; see "
                          "python -m minigan.evaluate) (default: off)")
    out.add_argument("--on-failure", choices=ON_FAILURE, default=None,
                     help="when the run dies (G's gradient vanishes, D stays perfect, the "
                          "samples collapse): stop with an error, or warn and train on "
                          f"(default: {_DEFAULT.on_failure})")
    out.add_argument("--no-progress", action="store_true", help="no progress bar")
    out.add_argument("--debug", action="store_true",
                     help="show the Python traceback of an error")
    return p


def given(arguments):
    """The configuration values the user gave (options left out are None, and those that
    are not settings of the run, like --resume, are left out)."""
    values = {key: value for key, value in vars(arguments).items()
              if key in CONFIG_FIELDS and value is not None}
    if "betas" in values:
        values["betas"] = tuple(values["betas"])
    return values


def config_from_arguments(arguments):
    """The TrainConfig of a new run: what the user gave, the rest from the recipe (by default
    the model's: recipe_for) and the defaults."""
    values = given(arguments)
    values.setdefault("recipe", recipe_for(values.get("model", _DEFAULT.model)))
    return TrainConfig.from_dict(values)


def check_arguments(arguments):
    """Every option's value, checked before any work starts: a ValueError naming the option
    and the fix for the first that makes no sense."""
    values = given(arguments)
    if arguments.sync_batchnorm and not arguments.distributed:
        raise ValueError("--sync-batchnorm shares batch statistics between the processes "
                         "of --distributed training: add --distributed, under mpiexec")
    for name in ("sample_every", "checkpoint_every", "evaluate_every"):
        if name in values and (values[name] < 1):
            raise ValueError(f"{flag(name)} must be a whole number of steps of at least 1, got "
                             f"{values[name]}" + ("; leave it out to turn evaluation off"
                                                  if name == "evaluate_every" else ""))
    if arguments.resume:
        TrainConfig.from_dict(values).check()
        return
    config = config_from_arguments(arguments).check()
    backend.get(config.backend)  # can it run here? BackendUnavailable says what to install
    problem = RunFolder(config.out).problem_as_new_run()
    if problem is not None:
        raise ValueError(problem)


def backend_of(arguments):
    """The backend the run will train on: --backend, else a resumed run's own, else the
    default."""
    chosen = given(arguments).get("backend")
    if chosen or not arguments.resume:
        return chosen or _DEFAULT.backend
    return RunFolder(arguments.resume).read_config().get("backend", _DEFAULT.backend)


def start(arguments, world=None):
    """The Trainer that the arguments ask for: a new run, or a resumed one, on the ranks of
    `world`. Its backend is made the default (MINIGAN_BACKEND does not override --backend)."""
    backend.set_default(backend_of(arguments))
    if not arguments.resume:
        return Trainer(config_from_arguments(arguments), world=world)
    trainer = Trainer.resume(arguments.resume, world, **given(arguments))
    if trainer.world.is_root:
        print(f"resuming {arguments.resume} at step {trainer.step} of {trainer.total_steps}")
    return trainer


def train(arguments, ranks, report):
    """Check, start, train; `ranks` receives the world of --distributed, and `report`
    prints a failure (once, ending every rank)."""
    check_arguments(arguments)
    if arguments.distributed:
        ranks["world"] = distributed.init(backend_of(arguments))
    trainer = start(arguments, ranks.get("world"))
    trainer.evaluator = _evaluator(trainer)
    config, world = trainer.config, trainer.world
    if world.is_root:
        objective = "the ELBO" if trainer.spec.kind == "vae" else f"{config.loss} loss"
        processes = f" on {world.size} processes" if world.size > 1 else ""
        print(f"training {config.model} ({config.recipe} recipe, {objective}) on {config.data} "
              f"{tuple(trainer.dataset.sample_shape)} with the {config.backend} backend"
              f"{processes} for {trainer.total_steps} steps; writing to {trainer.run_dir}")
        if config.backend == "numpy" and not kernels_cached():
            print("compiling kernels, first run only: the first step takes a while", flush=True)
    try:
        trainer.run(progress=not arguments.no_progress)
    except TrainingFailed as error:
        return report(f"\n{error}", 3)
    if world.is_root:
        print(f"done: samples in {trainer.run_dir}/samples, curves in "
              f"{trainer.run_dir}/losses.png")
    return 0


def main(argv=None):
    arguments = parser().parse_args(argv)
    ranks = {}  # {"world": ...} once --distributed has started its ranks

    def report(message, code):
        """One process: print. Several: print once and end every rank (MPI_Abort), so no
        rank waits forever; Ctrl-C gives the ranks time to save."""
        world = ranks.get("world")
        if world is None:
            if message:
                print(message, file=sys.stderr)
            return code
        return distributed.fail(world, message or "interrupted", code,
                                grace_seconds=30 if code == 130 else 3.0)

    return guarded(lambda: train(arguments, ranks, report), arguments.debug, report)


def kernels_cached():
    """Whether Numba's on-disk cache holds the CPU kernels, compiled from their current
    source (else the first step compiles them)."""
    source = importlib.util.find_spec("minigan.backend.cpu_kernels").origin
    folders = [os.path.join(os.path.dirname(source), "__pycache__")]
    if os.environ.get("NUMBA_CACHE_DIR"):
        folders.append(os.path.join(os.environ["NUMBA_CACHE_DIR"], "**"))
    indexes = [path for folder in folders
               for path in glob.glob(os.path.join(folder, "cpu_kernels.*.nbi"), recursive=True)]
    return any(os.path.getmtime(path) >= os.path.getmtime(source) for path in indexes)


def _evaluator(trainer):
    """The sample-quality evaluator for --evaluate-every (also on resume), checked against
    the run's data before any training."""
    if not trainer.config.evaluate_every:
        return None
    from .evaluate import training_evaluator

    return training_evaluator(trainer)


if __name__ == "__main__":
    sys.exit(main())
