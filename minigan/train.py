"""python -m minigan.train: train a GAN from the command line.

With no arguments it trains a DCGAN on the bundled MNIST-5k digits with the NumPy backend and
writes sample grids, a log, loss curves and checkpoints to runs/latest.
"""

import argparse
import sys
import traceback

from . import distributed
from .backend import BackendUnavailable
from .gan.config import TrainConfig
from .gan.losses import LOSSES
from .gan.models import DEFAULT_STEPS, MODELS
from .gan.trainer import LR_SCHEDULES, Trainer, TrainingDiverged

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
  python -m minigan.train                                  # DCGAN on MNIST-5k, a few minutes
  python -m minigan.train --data lfw-subset --model mlp --output sigmoid --steps 2000
  python -m minigan.train --loss wasserstein --gp-weight 10 --n-critic 5 --lr-g 1e-4 \\
      --lr-d 1e-4 --betas 0 0.9                           # WGAN-GP
  python -m minigan.train --data folder:~/lfw --channels 3 --image-size 64   # your photos
  python -m minigan.train --data ring8 --model toy --steps 3000   # watch mode collapse
  python -m minigan.train --model vae --lr-g 1e-3 --betas 0.9 0.999   # a VAE, not a GAN
  python -m minigan.train --backend cupy                   # on an NVIDIA GPU
  python -m minigan.train --resume runs/latest --steps 3000   # continue, exactly
  mpiexec -n 4 python -m minigan.train --distributed       # 4 processes, one batch of 64

outputs (in --out): samples/step_*.png, log.jsonl, losses.png, checkpoints/, config.json
then: python -m minigan.sample --run runs/latest --n 64 --out grid.png
"""


def parser():
    p = argparse.ArgumentParser(
        prog="python -m minigan.train", description=DESCRIPTION, epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    defaults = TrainConfig()
    what = p.add_argument_group("what to train")
    what.add_argument("--model", choices=MODELS, default=defaults.model,
                      help="dcgan: convolutional (Radford et al. 2016); cdcgan: DCGAN conditioned "
                           "on the digit's class; mlp: fully connected (Goodfellow et al. 2014); "
                           "toy: small MLPs for the 2-D sets; vae: a variational autoencoder "
                           "with the DCGAN generator as its decoder, trained on the ELBO with "
                           "one Adam (--lr-g, --betas) (default: %(default)s)")
    what.add_argument("--loss", choices=sorted(LOSSES), default=defaults.loss,
                      help="the adversarial objective: minimax is the original, whose generator "
                           "gradient vanishes when D wins; non_saturating fixes that; "
                           "wasserstein needs --gp-weight; hinge pairs with spectral norm; "
                           "least_squares penalises distance to the targets (default: "
                           "%(default)s)")
    what.add_argument("--data", default=defaults.data,
                      help="mnist5k (bundled digits), lfw-subset (100 bundled faces), "
                           "mnist:DIR (MNIST IDX files), folder:DIR (any folder of images, e.g. "
                           "LFW), ring8 or grid25 (2-D toys) (default: %(default)s)")
    what.add_argument("--image-size", type=int, help="resize images to this side (DCGAN: 28, "
                      "32 or 64; default: the data's own, or the nearest DCGAN size)")
    what.add_argument("--channels", type=int, choices=(1, 3),
                      help="1 for grey, 3 for colour (default: the data's own)")
    what.add_argument("--latent-dim", type=int, default=defaults.latent_dim,
                      help="size of the noise vector z (default: %(default)s)")
    what.add_argument("--width", type=int, default=defaults.width,
                      help="DCGAN base channel count; G's and D's widest layers have 2-8x this "
                           "(default: %(default)s)")
    what.add_argument("--norm", choices=("auto", "batch", "none", "spectral"),
                      default=defaults.norm,
                      help="the discriminator's normalisation; auto picks batch norm, none for "
                           "a gradient penalty, spectral for hinge (default: %(default)s)")
    what.add_argument("--output", choices=("tanh", "sigmoid"), default=defaults.output,
                      help="the MLP generator's output layer: tanh for data in [-1, 1], "
                           "sigmoid for [0, 1] (default: %(default)s)")
    how = p.add_argument_group("how long and how fast")
    how.add_argument("--steps", type=int, help=f"generator updates (default: {DEFAULT_STEPS})")
    how.add_argument("--epochs", type=float, help="passes over the data instead of --steps")
    how.add_argument("--batch-size", type=int, default=defaults.batch_size,
                     help="(default: %(default)s)")
    how.add_argument("--lr-g", type=float, default=defaults.lr_g,
                     help="the generator's Adam learning rate (default: %(default)s)")
    how.add_argument("--lr-d", type=float, default=defaults.lr_d,
                     help="the discriminator's Adam learning rate (default: %(default)s)")
    how.add_argument("--betas", type=float, nargs=2, default=defaults.betas,
                     metavar=("BETA1", "BETA2"),
                     help="Adam's betas; DCGAN uses 0.5 0.999, WGAN-GP 0 0.9 "
                          "(default: %(default)s)")
    how.add_argument("--n-critic", type=int, default=defaults.n_critic,
                     help="discriminator updates per generator update; 5 for WGAN-GP "
                          "(default: %(default)s)")
    how.add_argument("--gp-weight", type=float, default=defaults.gp_weight,
                     help="WGAN-GP gradient penalty weight, usually 10; the penalty is a "
                          "gradient of a gradient (default: %(default)s)")
    how.add_argument("--r1-weight", type=float, default=defaults.r1_weight,
                     help="R1 penalty gamma on real data (default: %(default)s)")
    how.add_argument("--lr-schedule", choices=LR_SCHEDULES, default=defaults.lr_schedule,
                     help="step halves the rates every third of the run, multistep divides "
                          "them by 10 at 1/2 and 3/4, cosine anneals to 0, warmup-cosine warms "
                          "up for 5%% first (default: %(default)s)")
    how.add_argument("--ema", type=float, default=defaults.ema, metavar="DECAY",
                     help="keep an exponential moving average of G's weights with this decay "
                          "(e.g. 0.999) and sample from it (default: off)")
    how.add_argument("--backend", choices=("numpy", "cupy"), default=defaults.backend,
                     help="numpy: the CPU, with Numba kernels; cupy: an NVIDIA GPU "
                          '(pip install "minigan[gpu]") (default: %(default)s)')
    how.add_argument("--distributed", action="store_true",
                     help="train on the N processes that mpiexec -n N started, each on "
                          "batch-size/N examples of every batch, gradients averaged "
                          '(pip install "minigan[mpi]"; on GPUs, one GPU per process)')
    how.add_argument("--sync-batchnorm", action="store_true",
                     help="with --distributed: batch norm uses the statistics of the whole "
                          "batch, not of each process's share")
    how.add_argument("--seed", type=int, default=defaults.seed, help="(default: %(default)s)")
    out = p.add_argument_group("outputs")
    out.add_argument("--out", default=defaults.out,
                     help="the run's folder (default: %(default)s)")
    out.add_argument("--resume", metavar="DIR",
                     help="continue the run in DIR from its latest checkpoint, exactly as if "
                          "it had not stopped; --steps may extend it")
    out.add_argument("--sample-every", type=int, default=defaults.sample_every,
                     help="write a sample grid every N steps (default: %(default)s)")
    out.add_argument("--checkpoint-every", type=int, default=defaults.checkpoint_every,
                     help="write a checkpoint every N steps (default: %(default)s)")
    out.add_argument("--evaluate-every", type=int, default=defaults.evaluate_every,
                     help="measure sample quality every N steps (MNIST only; see "
                          "python -m minigan.evaluate) (default: off)")
    out.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def config_from_arguments(arguments):
    values = {key: value for key, value in vars(arguments).items()
              if key not in ("resume", "no_progress", "distributed")}
    values["betas"] = tuple(values["betas"])
    return TrainConfig.from_dict(values)


def main(argv=None):
    arguments = parser().parse_args(argv)
    world = None
    try:
        if arguments.sync_batchnorm and not arguments.distributed:
            raise ValueError("--sync-batchnorm shares batch statistics between the processes "
                             "of --distributed training: add --distributed, under mpiexec")
        world = distributed.init(arguments.backend) if arguments.distributed else None
        trainer = _trainer(arguments, world)
        trainer.run(progress=not arguments.no_progress)
    except KeyboardInterrupt:  # the trainer said where it saved
        return _stop(world, "interrupted", 130, grace_seconds=30)
    except TrainingDiverged as error:
        return _stop(world, f"\n{error}", 3)
    except (ValueError, FileNotFoundError, BackendUnavailable) as error:
        return _stop(world, f"error: {error}", 2)
    except Exception:
        if world is None:
            raise
        return _stop(world, traceback.format_exc().rstrip(), 1)  # a bug: its traceback
    if trainer.world.is_root:
        print(f"done: samples in {trainer.run_dir}/samples, curves in "
              f"{trainer.run_dir}/losses.png")
    return 0


def _trainer(arguments, world):
    """A new or resumed Trainer, with its evaluator, announced on rank 0."""
    if arguments.resume:
        trainer = Trainer.resume(arguments.resume, world, steps=arguments.steps,
                                 evaluate_every=arguments.evaluate_every or None)
    else:
        trainer = Trainer(config_from_arguments(arguments), world=world)
    trainer.evaluator = _evaluator(trainer)
    config, world = trainer.config, trainer.world
    if world.is_root and arguments.resume:
        print(f"resuming {arguments.resume} at step {trainer.step} of {trainer.total_steps}")
    if world.is_root:
        ranks = f" on {world.size} processes" if world.size > 1 else ""
        objective = "the ELBO" if trainer.spec.kind == "vae" else f"{config.loss} loss"
        print(f"training {config.model} ({objective}) on {config.data} "
              f"{tuple(trainer.dataset.sample_shape)} with the {config.backend} backend"
              f"{ranks} for {trainer.total_steps} steps; writing to {trainer.run_dir}")
    return trainer


def _stop(world, message, code, grace_seconds=3.0):
    """Report a failure: printed here in one process; with several, printed once and every
    rank ended (distributed.fail)."""
    if world is None:
        if code != 130:  # Ctrl-C: the trainer has said what it saved
            print(message, file=sys.stderr)
        return code
    return distributed.fail(world, message, code, grace_seconds)


def _evaluator(trainer):
    """The sample-quality evaluator for --evaluate-every (also on resume), checked against
    the run's data before any training."""
    if not trainer.config.evaluate_every:
        return None
    from .evaluate import training_evaluator

    return training_evaluator(trainer)


if __name__ == "__main__":
    sys.exit(main())
