"""The GAN training loop: gan_step (step.py) once per step, with samples, logs, checkpoints,
exact resume and divergence detection written to the run's folder (run_folder.py).

One *step* is one generator update, preceded by `n_critic` discriminator updates (each on a
fresh real batch). A VAE (model_spec's kind "vae") trains the same way with vae_step (vae.py):
one ELBO update of its encoder and decoder (the "generator") per step, with one optimizer.
"""

import math
import time

import numpy as np

from .. import backend, distributed
from ..data import load
from ..io.images import image_grid, save_image
from ..io.plots import plot_points, plot_training_curves
from ..optim import EMA, Adam, lr_scheduler
from ..creation import manual_seed, randn, tensor
from ..tensor import no_grad
from .config import TrainConfig
from .models import model_spec
from .run_folder import RunFolder
from .step import gan_step
from .vae import vae_step

LR_SCHEDULES = ("constant", "step", "multistep", "cosine", "warmup-cosine")
PROGRESS = {  # the progress bar's numbers: (label, metric, decimals)
    "gan": (("D", "d_loss", 3), ("G", "g_loss", 3), ("D(x)", "d_real", 2),
            ("D(G(z))", "d_fake", 2), ("img/s", "images_per_second", 0)),
    "vae": (("-ELBO", "loss", 1), ("KL", "kl", 1), ("img/s", "images_per_second", 0))}

__all__ = ["LR_SCHEDULES", "TrainConfig", "Trainer", "TrainingDiverged"]


class TrainingDiverged(RuntimeError):
    """A loss or gradient became NaN or infinite; the run stopped without saving it."""


def _scheduler(name, optimizer, steps):
    if name == "constant":
        return None
    if name == "step":  # halve every third of the run
        return lr_scheduler.StepLR(optimizer, step_size=max(1, steps // 3), gamma=0.5)
    if name == "multistep":  # x0.1 at half and at three quarters: multi-stage rates
        return lr_scheduler.MultiStepLR(optimizer, [steps // 2, (3 * steps) // 4], gamma=0.1)
    if name == "cosine":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, steps))
    if name == "warmup-cosine":
        warmup = max(1, steps // 20)
        return lr_scheduler.SequentialLR(optimizer, [
            lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=warmup),
            lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(1, steps - warmup))],
            milestones=[warmup])
    raise ValueError(f"unknown --lr-schedule {name!r}: choose one of {LR_SCHEDULES}")


def _dataset(config, spec):
    """The run's data, resized to an image size the model builds for unless --image-size
    chose one."""
    dataset = load(config.data, image_size=config.image_size, channels=config.channels)
    points = tuple(dataset.sample_shape) == (2,)
    if points != spec.points:
        raise ValueError(f"--model {config.model} does not fit --data {config.data}: the toy "
                         "sets (ring8, grid25) go with --model toy, images with the others")
    size = None if config.image_size is not None or points else \
        spec.fitting_image_size(dataset.sample_shape[-1])
    return dataset if size is None else dataset.converted(image_size=size)


def _rank_seed(seed, rank):
    """Each rank's own random stream; rank 0's is the one a single process would draw."""
    return seed + 1_000_003 * rank


def _forever(loader):
    while True:  # one pass over the loader is one epoch; start the next when it ends
        yield from loader


class Trainer:
    """Trains a generator against a discriminator as `config` says, in the folder config.out.

        trainer = Trainer(TrainConfig(steps=1000))
        trainer.run()                      # or Trainer.resume("runs/latest").run()
    """

    def __init__(self, config, evaluator=None, world=None):
        self.config, self.evaluator, self.step = config, evaluator, 0
        self.world = distributed.world() if world is None else world  # the ranks training
        self.run_dir, self.folder = config.out, RunFolder(config.out)
        backend.get(config.backend)  # fail early, with the install hint, if it cannot run
        manual_seed(config.seed)
        self.spec = model_spec(config)
        self.dataset = _dataset(config, self.spec)
        self.value_range = self.spec.output_range
        self.loader = distributed.ShardedDataLoader(  # this rank's share of each batch
            self.dataset, config.batch_size, self.world.rank, self.world.size, shuffle=True,
            seed=config.seed, backend=config.backend, output_range=self.spec.output)
        self.total_steps = self._total_steps()
        self.generator, second = self.spec.build(
            self.dataset.sample_shape, config.latent_dim, config.width, self.dataset.num_classes)
        self.generator.to(config.backend)
        second.to(config.backend)
        vae = self.spec.kind == "vae"  # the second network is the encoder, not a critic
        self.discriminator, self.encoder = (None, second) if vae else (second, None)
        self._join_world()
        self.opt_g = Adam([*self.generator.parameters(), *(second.parameters() if vae else ())],
                          lr=config.lr_g, betas=config.betas)
        self.opt_d = None if vae else Adam(second.parameters(), lr=config.lr_d,
                                           betas=config.betas)
        self.sched_g = _scheduler(config.lr_schedule, self.opt_g, self.total_steps)
        self.sched_d = None if vae else _scheduler(config.lr_schedule, self.opt_d,
                                                   self.total_steps)
        self.ema = EMA(self.generator, config.ema) if config.ema > 0 else None
        self._fixed_noise, self._fixed_labels = self._make_fixed_inputs()
        self._batches = None  # made at the first step, from the loader's (restored) position
        self.history = []

    def _join_world(self):
        """Several ranks: everyone starts from rank 0's weights, draws its own noise, and
        (with sync_batchnorm) normalises with the statistics of the whole batch."""
        if self.world.size == 1:
            return
        for model in (self.generator, self.discriminator or self.encoder):
            if self.config.sync_batchnorm:
                distributed.convert_sync_batchnorm(model, self.world)
            distributed.broadcast_module(model, self.world)
        manual_seed(_rank_seed(self.config.seed, self.world.rank))

    def _total_steps(self):
        config = self.config
        if config.steps is not None and config.epochs is not None:
            raise ValueError("give --steps or --epochs, not both")
        if config.epochs is not None:
            return max(1, math.ceil(config.epochs * len(self.loader) / config.n_critic))
        return config.steps if config.steps is not None else self.spec.default_steps

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
        """One gan_step, then the EMA and learning-rate updates; returns the step's metrics."""
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
        raises TrainingDiverged, naming the step and the last good checkpoint."""
        until = self.total_steps if until is None else min(until, self.total_steps)
        if self.config.evaluate_every and self.evaluator is None:
            raise ValueError("evaluate_every needs an evaluator: Trainer(config, evaluator="
                             "minigan.evaluate.training_evaluator()), or set trainer.evaluator")
        from tqdm import tqdm

        root = self.world.is_root  # only rank 0 writes files and shows progress
        if root:
            self.folder.start(self.config, fresh=self.step == 0)
            self.history = self.folder.trim_logs(self.step)
        bar = tqdm(total=self.total_steps, initial=self.step, unit="step",
                   disable=not (progress and root), dynamic_ncols=True)
        metrics = {}
        try:
            while self.step < until:
                metrics = self._one_step()
                bar.update(1)
                bar.set_postfix({label: f"{metrics[key]:.{digits}f}" for label, key, digits in
                                 PROGRESS[self.spec.kind]}, refresh=False)
        except KeyboardInterrupt:
            bar.close()
            if root:  # no collective here: the other ranks may be anywhere in their step
                folder = self.save_checkpoint(synchronise=False)
                command = (f"mpiexec -n {self.world.size} python -m minigan.train --distributed"
                           if self.world.size > 1 else "python -m minigan.train")
                print(f"\ninterrupted at step {self.step}: saved {folder}\nresume with: "
                      f"{command} --resume {self.run_dir}")
            raise
        bar.close()
        self.save_checkpoint()
        if root:
            self.save_samples()
            self.plot()
        return metrics

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
        if self.step % self.config.sample_every == 0 and root:
            self.save_samples()
        if self.step % self.config.checkpoint_every == 0:
            self.save_checkpoint()
        return metrics

    def _check_finite(self, metrics):
        bad = {k: v for k, v in metrics.items() if isinstance(v, float) and not math.isfinite(v)}
        if bad:
            last = self.folder.latest_checkpoint()
            where = (f"the last good checkpoint is {last}" if last else
                     "no checkpoint was written before it")
            raise TrainingDiverged(
                f"training diverged at step {self.step}: "
                + ", ".join(f"{k}={v}" for k, v in bad.items())
                + f"; {where}. Try lower learning rates (--lr-g, --lr-d), another --loss, or a "
                "gradient penalty (--gp-weight 10 with --loss wasserstein).")

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

    def save_samples(self):
        """The grid (or, for 2-D toys, the scatter plot) of the fixed noise at this step."""
        path = self.folder.sample_path(self.step)
        samples = self.sample(noise=self._fixed_noise, labels=self._fixed_labels)
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

    # -- checkpoints --------------------------------------------------------------------------
    def _modules(self):
        named = {"generator": self.generator, "discriminator": self.discriminator,
                 "encoder": self.encoder}
        if self.ema is not None:
            named["ema"] = self.ema.module
        return {name: module for name, module in named.items() if module is not None}

    def _optimizers(self):
        return {name: optimizer for name, optimizer in
                (("generator", self.opt_g), ("discriminator", self.opt_d)) if optimizer}

    def _schedulers(self):
        return {name: scheduler for name, scheduler in
                (("generator", self.sched_g), ("discriminator", self.sched_d)) if scheduler}

    def _average_batch_statistics(self):
        """Make batch norm's running statistics the mean of every rank's estimate."""
        for module in self._modules().values():
            distributed.average_buffers(module, self.world)

    def save_checkpoint(self, synchronise=True):
        """Write the current state as a new checkpoint folder (atomically); returns it. With
        several ranks, all of them call it (synchronise: average the running statistics and
        gather every rank's random state) and rank 0 writes."""
        device, rng_ranks = backend.get(self.config.backend), None
        if synchronise and self.world.size > 1:
            self._average_batch_statistics()
            rng_ranks = self.world.allgather_object(device.rng_state())
        if not self.world.is_root:
            return None
        state = {
            "step": self.step, "total_steps": self.total_steps, "config": self.config.to_dict(),
            "loader": self.loader.state_dict(),
            "schedulers": {name: s.state_dict() for name, s in self._schedulers().items()},
            "rng": device.rng_state(), "rng_ranks": rng_ranks,
            "last_metrics": self.history[-1] if self.history else None,
            "sample_shape": list(self.dataset.sample_shape),
            "num_classes": self.dataset.num_classes, "value_range": list(self.value_range),
        }
        return self.folder.write_checkpoint(
            self.step, self._modules(), self._optimizers(), state)

    def load_checkpoint(self, folder):
        """Restore everything save_checkpoint wrote, so training continues exactly."""
        state = self.folder.read_checkpoint(self._modules(), self._optimizers(), folder)
        for name, scheduler in self._schedulers().items():
            scheduler.load_state_dict(state["schedulers"][name])
        self.loader.load_state_dict(state["loader"])
        self._batches = None
        device, ranks = backend.get(self.config.backend), state.get("rng_ranks") or []
        rng = ranks[self.world.rank] if len(ranks) == self.world.size else (
            state["rng"] if self.world.rank == 0 else None)
        if rng is not None:
            device.set_rng_state(rng)
        else:  # no state saved for this rank: continue on a new, seeded stream
            device.seed(_rank_seed(self.config.seed + state["step"], self.world.rank))
        self.step = state["step"]

    @classmethod
    def resume(cls, run_dir, world=None, **overrides):
        """The run in `run_dir`, rebuilt from its config.json and latest checkpoint; keyword
        arguments override configuration values (e.g. steps=5000 to train longer); `world`:
        the ranks that continue it (see Trainer)."""
        folder = RunFolder(run_dir)
        values = folder.read_config()
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["out"] = run_dir
        trainer = cls(TrainConfig.from_dict(values), world=world)
        trainer.load_checkpoint(folder.checkpoint_to_load())
        return trainer
