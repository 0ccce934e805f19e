"""The GAN training loop: gan_step (step.py) once per step, with samples, logs, checkpoints
(checkpoints.py), exact resume, divergence detection and health checks (health.py), written to
the run's folder (run_folder.py).

One *step* is one generator update, preceded by `n_critic` discriminator updates (each on a
fresh real batch). A VAE (model_spec's kind "vae") trains the same way with vae_step (vae.py):
one ELBO update of its encoder and decoder (the "generator") per step, with one optimizer.
Under mpiexec (`world` of several ranks) every rank runs this loop on its share of each batch;
rank 0 alone writes files.
"""

import math
import time

import numpy as np  # host side: the data and its order, the fixed noise and labels

from .. import backend, distributed
from ..creation import manual_seed, randn, tensor
from ..data import is_point_set, load
from ..io.checkpoint import warn
from ..io.images import image_grid, save_image
from ..io.plots import plot_points, plot_training_curves
from ..optim import EMA, Adam
from ..tensor import no_grad
from .checkpoints import Checkpoints, rank_seed
from .config import RECIPE_STEPS, TrainConfig
from .health import HealthMonitor, TrainingDiverged, TrainingFailed, advice, spread
from .models import model_spec
from .run_folder import RunFolder
from .schedules import LR_SCHEDULES, by_name
from .step import LOGISTIC_LOSSES, gan_step
from .vae import vae_step

__all__ = ["LR_SCHEDULES", "TrainConfig", "Trainer", "TrainingDiverged", "TrainingFailed"]

PROGRESS = {  # the progress bar's numbers: (label, metric, decimals)
    "gan": (("D", "d_loss", 3), ("G", "g_loss", 3), ("D(x)", "d_real", 2),
            ("D(G(z))", "d_fake", 2), ("img/s", "images_per_second", 0)),
    "vae": (("-ELBO", "loss", 1), ("KL", "kl", 1), ("img/s", "images_per_second", 0))}


def _dataset(config, spec):
    """The run's data, resized to an image size the model builds for unless --image-size
    chose one; a folder of images keeps its own channels and side (at most 64)."""
    points = is_point_set(config.data)
    if points and (config.image_size or config.channels):
        raise ValueError(f"--data {config.data} is a set of 2-D points: leave out --image-size "
                         "and --channels, which apply to images")
    if points != spec.points:
        raise ValueError(f"--data {config.data} holds 2-D points, which only the toy model "
                         "draws: add --model toy" if points else
                         f"--model toy does not fit --data {config.data}: it draws 2-D points; "
                         "use --data ring8 or grid25 with it, or another --model for images")
    dataset = load(config.data, image_size=config.image_size, channels=config.channels,
                   native=True)
    size = None if config.image_size is not None or points else \
        spec.fitting_image_size(dataset.sample_shape[-1])
    return dataset if size is None else dataset.converted(image_size=size)


def _forever(loader):
    while True:  # one pass over the loader is one epoch; start the next when it ends
        yield from loader


class Trainer(Checkpoints):
    """Trains a generator against a discriminator as `config` says, in the folder config.out.

        trainer = Trainer(TrainConfig(steps=1000))
        trainer.run()                      # or Trainer.resume("runs/latest").run()

    `world`: the ranks that train together (minigan.distributed.init()); one process if None.
    """

    def __init__(self, config, evaluator=None, world=None):
        self.config, self.evaluator, self.step = config.check(), evaluator, 0
        self.world = distributed.world() if world is None else world  # the ranks training
        self.run_dir, self.folder = config.out, RunFolder(config.out)
        backend.get(config.backend)  # fail early, with the install hint, if it cannot run
        manual_seed(config.seed)
        self.spec = model_spec(config)
        self.dataset = _dataset(config, self.spec)
        self.value_range = self.spec.output_range
        if config.batch_size > len(self.dataset):
            raise ValueError(f"--batch-size {config.batch_size} is more than the data holds "
                             f"({len(self.dataset)} samples): pass --batch-size "
                             f"{len(self.dataset)} or less")
        self.loader = distributed.ShardedDataLoader(  # this rank's share of each batch
            self.dataset, config.batch_size, self.world.rank, self.world.size, shuffle=True,
            seed=config.seed, backend=config.backend, output_range=self.spec.output)
        self.total_steps = self._total_steps()
        self._build_models()
        self.ema = EMA(self.generator, config.ema) if config.ema > 0 else None
        self._fixed_noise, self._fixed_labels = self._make_fixed_inputs()
        self._batches = None  # made at the first step, from the loader's (restored) position
        self.history = []
        self.health = HealthMonitor(self._data_spread(), config.loss in LOGISTIC_LOSSES)

    def _build_models(self):
        """The networks on the run's backend, joined to the world, with their optimizers and
        schedules; a VAE's second network is its encoder, trained by the one optimizer."""
        config = self.config
        self.generator, second = self.spec.build(
            self.dataset.sample_shape, config.latent_dim, config.width, self.dataset.num_classes)
        self.generator.to(config.backend)
        second.to(config.backend)
        vae = self.spec.kind == "vae"
        self.discriminator, self.encoder = (None, second) if vae else (second, None)
        self._join_world()
        self.opt_g = Adam([*self.generator.parameters(), *(second.parameters() if vae else ())],
                          lr=config.lr_g, betas=config.betas)
        self.opt_d = None if vae else Adam(second.parameters(), lr=config.lr_d,
                                           betas=config.betas)
        self.sched_g = by_name(config.lr_schedule, self.opt_g, self.total_steps)
        self.sched_d = self.opt_d and by_name(config.lr_schedule, self.opt_d, self.total_steps)

    def _join_world(self):
        """Several ranks: everyone starts from rank 0's weights, draws its own noise, and
        (with sync_batchnorm) normalises with the statistics of the whole batch."""
        if self.world.size == 1:
            return
        for model in (self.generator, self.discriminator or self.encoder):
            if self.config.sync_batchnorm:
                distributed.convert_sync_batchnorm(model, self.world)
            distributed.broadcast_module(model, self.world)
        manual_seed(rank_seed(self.config.seed, self.world.rank))

    def _data_spread(self):
        """The spread of the real samples, scaled as the generator's are (health.py)."""
        rows = np.random.default_rng([self.config.seed, 2]).permutation(len(self.dataset))
        real = self.dataset.images[rows[:self.config.num_samples]]
        if not self.spec.points:
            low, high = self.value_range
            real = low + real.astype(np.float64) / 255.0 * (high - low)
        return spread(real)

    def _total_steps(self):
        config = self.config
        if config.epochs is not None:
            return max(1, math.ceil(config.epochs * len(self.loader) / config.n_critic))
        if config.steps is not None:
            return config.steps
        by_side = RECIPE_STEPS.get(config.recipe, {})
        return by_side.get(self.dataset.sample_shape[-1], self.spec.default_steps)

    def _make_fixed_inputs(self):
        """Noise (and labels) for the sample grids: drawn once from their own generator, so
        sampling never disturbs the training's random stream."""
        rng = np.random.default_rng([self.config.seed, 1])
        count = 1000 if self.spec.points else self.config.num_samples
        noise = tensor(rng.standard_normal((count, self.config.latent_dim)).astype("float32"),
                       backend=self.config.backend)
        return noise, self._labels(count)

    def _labels(self, count):
        """Class labels 0, 1, 2, ... in turn for a conditional model, else None."""
        if not self.spec.conditional:
            return None
        return tensor(np.arange(count) % self.dataset.num_classes, backend=self.config.backend)

    # -- one step -----------------------------------------------------------------------------
    def train_step(self):
        """One gan_step (or vae_step), then the EMA and learning-rate updates; returns the
        step's metrics."""
        config = self.config
        started = time.perf_counter()
        if self._batches is None:
            self._batches = _forever(self.loader)
        opt_g, opt_d = self.opt_g, self.opt_d
        if self.world.size > 1:  # their step() averages the gradients over the ranks first
            opt_g, opt_d = (o and distributed.AveragingOptimizer(o, self.world)
                            for o in (opt_g, opt_d))
        if self.spec.kind == "vae":
            metrics = vae_step(self.generator, self.encoder, opt_g, self._batches)
        else:
            metrics = gan_step(self.generator, self.discriminator, opt_g, opt_d, self._batches,
                               loss=config.loss, n_critic=config.n_critic,
                               gp_weight=config.gp_weight, r1_weight=config.r1_weight,
                               latent_dim=config.latent_dim, conditional=self.spec.conditional)
        if self.ema is not None:
            self.ema.update(self.generator)
        for scheduler in (self.sched_g, self.sched_d):
            if scheduler is not None:
                scheduler.step()
        seconds = time.perf_counter() - started
        rates = {f"lr_{name[0]}": optimizer.param_groups[0]["lr"]
                 for name, optimizer in self._optimizers().items()}  # lr_g, lr_d
        return {**metrics, **rates, "step_time": seconds,
                "images_per_second": config.batch_size * config.n_critic / seconds}

    # -- the loop -----------------------------------------------------------------------------
    def run(self, progress=True, until=None):
        """Train until total_steps (or until step `until`, to stop early and resume later);
        returns the metrics of the last step.

        Ctrl-C saves a checkpoint and re-raises KeyboardInterrupt; a NaN or infinite loss
        raises TrainingDiverged, and a dead run (health.py) TrainingFailed unless
        config.on_failure is "warn", each naming the step and the checkpoints to go back to."""
        until = self.total_steps if until is None else min(until, self.total_steps)
        if self.config.evaluate_every and self.evaluator is None:
            raise ValueError("evaluate_every needs an evaluator: Trainer(config, evaluator="
                             "minigan.evaluate.training_evaluator()), or set trainer.evaluator")
        root = self.world.is_root  # only rank 0 writes files and shows progress
        if root:
            self.folder.start(self.config, fresh=self.step == 0)
            self.history = self.folder.trim_logs(self.step)
        bar, metrics = None, {}
        try:
            while self.step < until:
                metrics = self._one_step()
                bar = self._show(bar, metrics, progress and root)
        except KeyboardInterrupt:
            _close(bar)
            self._save_on_interrupt()
            raise
        _close(bar)
        self.save_checkpoint()
        if root:
            self.save_samples()
            self.plot()
        return metrics

    def _show(self, bar, metrics, progress):
        """The progress bar after a step: made after the first step (compiling is not in its
        ETA), each step's own numbers shown with its tick."""
        postfix = {label: f"{metrics[key]:.{digits}f}"
                   for label, key, digits in PROGRESS[self.spec.kind]}
        if bar is None:
            from tqdm import tqdm

            bar = tqdm(total=self.total_steps, initial=self.step, unit="step",
                       disable=not progress, dynamic_ncols=True)
            bar.set_postfix(postfix)
        else:
            bar.set_postfix(postfix, refresh=False)
            bar.update(1)
        return bar

    def _save_on_interrupt(self):
        if not self.world.is_root:  # no collective here: the other ranks may be anywhere
            return
        folder = self.save_checkpoint(synchronise=False)
        command = (f"mpiexec -n {self.world.size} python -m minigan.train --distributed"
                   if self.world.size > 1 else "python -m minigan.train")
        print(f"\ninterrupted at step {self.step}: saved {folder}\nresume with: "
              f"{command} --resume {self.run_dir}")

    def _one_step(self):
        """A training step and what follows it: the checks, the log, samples, checkpoints."""
        metrics = distributed.average_metrics(self.train_step(), self.world)  # global figures
        self.step += 1
        self._check_finite(metrics)
        root = self.world.is_root
        if self.config.evaluate_every and self.step % self.config.evaluate_every == 0:
            self._average_batch_statistics()
            scores = self.evaluator(self) if root else {}
            if root:
                self.folder.append({"step": self.step, **scores}, "evaluation.jsonl")
            metrics.update(scores)  # logged with the step: resume keeps it
        if root:
            row = {"step": self.step, **{k: v for k, v in metrics.items() if v is not None}}
            self.history.append(row)
            self.folder.append(row)
        self._check_health(self.health.after_step(metrics))
        if self.step % self.config.sample_every == 0:
            samples = self.fixed_samples()  # the same on every rank: the weights are
            if root:
                self.save_samples(samples)
            self._check_health(self.health.after_samples(self.step, samples))
        if self.step % self.config.checkpoint_every == 0:
            self.save_checkpoint()
        return metrics

    def _check_finite(self, metrics):
        bad = {k: v for k, v in metrics.items() if isinstance(v, float) and not math.isfinite(v)}
        if bad:
            raise TrainingDiverged(self._failure(
                f"training diverged at step {self.step}: "
                + ", ".join(f"{k}={v}" for k, v in bad.items())))

    def _check_health(self, problem):
        """Stop (or, with on_failure="warn", warn) when health.py found the run dead."""
        if problem is None:
            return
        if self.config.on_failure == "warn":
            if self.world.is_root:
                warn(f"step {self.step}: {problem}; training on (--on-failure warn)")
            return
        # a dead run's newest checkpoints are dead too: resume from the best one
        best = self.folder.rewind_to_best() if self.world.is_root else None
        where = f"--resume now continues from the best checkpoint, {best}" if best else None
        raise TrainingFailed(self._failure(f"training failed at step {self.step}: {problem}",
                                           where)
                             + " To train on regardless, pass --on-failure warn.")

    def _failure(self, what, where=None):
        """The message of a failed run: `what` happened, `where` to go back to (default: the
        checkpoints worth it), and what to try."""
        return (f"{what}; {where or self.folder.checkpoints_to_go_back_to()}. "
                + advice(self.run_dir, self.config, self.folder.latest_checkpoint() is not None))

    # -- outputs ------------------------------------------------------------------------------
    @property
    def sampler(self):
        """The generator that makes the pictures: the EMA average when there is one."""
        return self.ema.module if self.ema is not None else self.generator

    def sample(self, count=None, noise=None, labels=None):
        """Generated samples as a host array (eval mode, no graph)."""
        generator = self.sampler
        mode = generator.training
        generator.eval()
        try:
            with no_grad():
                if noise is None:
                    noise = randn(count, self.config.latent_dim, backend=self.config.backend)
                if labels is None:
                    labels = self._labels(noise.shape[0])
                return (generator(noise) if labels is None else generator(noise, labels)).numpy()
        finally:
            generator.train(mode)

    def fixed_samples(self):
        """The generator's samples of the fixed noise (and labels), as a host array."""
        return self.sample(noise=self._fixed_noise, labels=self._fixed_labels)

    def save_samples(self, samples=None):
        """The grid (or, for 2-D toys, the scatter plot) of the fixed noise at this step (or
        of `samples`, the fixed_samples() already made); returns its path."""
        path = self.folder.sample_path(self.step)
        samples = self.fixed_samples() if samples is None else samples
        if self.spec.points:
            plot_points(self.dataset.images, samples, path, f"step {self.step}")
        else:
            rows = self.dataset.num_classes if self.spec.conditional else None
            save_image(path, image_grid(samples, rows=rows, value_range=self.value_range))
        return path

    def plot(self):
        path = self.folder.file("losses.png")
        metrics = sorted({k for row in self.history for k in row if k.startswith("eval_")})
        if self.history:
            plot_training_curves(self.history, path, metrics)
        return path


def _close(bar):
    if bar is not None:
        bar.close()
