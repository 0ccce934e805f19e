"""The GAN training loop: gan_step (step.py) once per step, with samples, logs, checkpoints,
exact resume, divergence detection and health checks (health.py) written to the run's folder
(run_folder.py).

One *step* is one generator update, preceded by `n_critic` discriminator updates (each on a
fresh real batch).
"""

import math
import os
import time

import numpy as np

from .. import backend
from ..data import DataLoader, is_point_set, load
from ..io.checkpoint import NonFiniteState, warn
from ..io.images import image_grid, save_image
from ..io.plots import plot_points, plot_training_curves
from ..optim import EMA, Adam
from ..creation import manual_seed, randn, tensor
from ..tensor import no_grad
from .config import TrainConfig, resume_values
from .health import HealthMonitor, TrainingFailed, advice, spread, spread_score
from .models import model_spec
from .run_folder import DamagedCheckpoint, RunFolder
from .schedules import LR_SCHEDULES, by_name, rebase_rate
from .step import LOGISTIC_LOSSES, gan_step

__all__ = ["LR_SCHEDULES", "TrainConfig", "Trainer", "TrainingDiverged", "TrainingFailed"]
class TrainingDiverged(TrainingFailed):
    """A loss, gradient or weight became NaN or infinite; the run stopped without saving it."""


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


class Trainer:
    """Trains a generator against a discriminator as `config` says, in the folder config.out.

        trainer = Trainer(TrainConfig(steps=1000))
        trainer.run()                      # or Trainer.resume("runs/latest").run()
    """

    def __init__(self, config, evaluator=None):
        self.config, self.evaluator, self.step = config.check(), evaluator, 0
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
        self.loader = DataLoader(self.dataset, config.batch_size, shuffle=True, seed=config.seed,
                                 drop_last=True, backend=config.backend,
                                 output_range=self.spec.output)
        self.total_steps = self._total_steps()
        self.generator, self.discriminator = self.spec.build(
            self.dataset.sample_shape, config.latent_dim, config.width, self.dataset.num_classes)
        self.generator.to(config.backend)
        self.discriminator.to(config.backend)
        self.opt_g = Adam(self.generator.parameters(), lr=config.lr_g, betas=config.betas)
        self.opt_d = Adam(self.discriminator.parameters(), lr=config.lr_d, betas=config.betas)
        self.sched_g = by_name(config.lr_schedule, self.opt_g, self.total_steps)
        self.sched_d = by_name(config.lr_schedule, self.opt_d, self.total_steps)
        self.ema = EMA(self.generator, config.ema) if config.ema > 0 else None
        self._fixed_noise, self._fixed_labels = self._make_fixed_inputs()
        self._batches = None  # made at the first step, from the loader's (restored) position
        self.history = []
        self.health = HealthMonitor(self._data_spread(), config.loss in LOGISTIC_LOSSES)

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
        metrics = gan_step(self.generator, self.discriminator, self.opt_g, self.opt_d,
                           self._batches, loss=config.loss, n_critic=config.n_critic,
                           gp_weight=config.gp_weight, r1_weight=config.r1_weight,
                           latent_dim=config.latent_dim, conditional=self.spec.conditional)
        if self.ema is not None:
            self.ema.update(self.generator)
        for scheduler in (self.sched_g, self.sched_d):
            if scheduler is not None:
                scheduler.step()
        seconds = time.perf_counter() - started
        return {**metrics,
                "lr_g": self.opt_g.param_groups[0]["lr"], "lr_d": self.opt_d.param_groups[0]["lr"],
                "step_time": seconds,
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
        from tqdm import tqdm

        self.folder.start(self.config, fresh=self.step == 0)
        self.history = self.folder.trim_logs(self.step)
        bar, metrics = None, {}
        try:
            while self.step < until:
                metrics = self._one_step()
                if bar is None:  # started after the first step: compiling is not in its ETA
                    bar = tqdm(total=self.total_steps, initial=self.step, unit="step",
                               disable=not progress, dynamic_ncols=True)
                    bar.set_postfix(_postfix(metrics))
                else:  # this step's numbers, shown with this step's tick
                    bar.set_postfix(_postfix(metrics), refresh=False)
                    bar.update(1)
        except KeyboardInterrupt:
            _close(bar)
            folder = self.save_checkpoint()
            print(f"\ninterrupted at step {self.step}: saved {folder}\nresume with: "
                  f"python -m minigan.train --resume {self.run_dir}")
            raise
        _close(bar)
        self.save_checkpoint()
        self.save_samples()
        self.plot()
        return metrics

    def _one_step(self):
        """A training step and what follows it: the checks, the log, samples, checkpoints."""
        metrics = self.train_step()
        self.step += 1
        self._check_finite(metrics)
        if self.config.evaluate_every and self.step % self.config.evaluate_every == 0:
            scores = self.evaluator(self)
            self.folder.append({"step": self.step, **scores}, "evaluation.jsonl")
            metrics.update(scores)  # logged with the step: resume keeps it
        row = {"step": self.step, **{k: v for k, v in metrics.items() if v is not None}}
        self.history.append(row)
        self.folder.append(row)
        self._check_health(self.health.after_step(metrics))
        if self.step % self.config.sample_every == 0:
            samples = self.fixed_samples()
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
            warn(f"step {self.step}: {problem}; training on (--on-failure warn)")
            return
        best = self.folder.rewind_to_best()  # a dead run's newest checkpoints are dead too
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

    # -- checkpoints --------------------------------------------------------------------------
    def _modules(self):
        named = {"generator": self.generator, "discriminator": self.discriminator}
        return {**named, "ema": self.ema.module} if self.ema is not None else named

    def _schedulers(self):
        return {name: scheduler for name, scheduler in
                (("generator", self.sched_g), ("discriminator", self.sched_d)) if scheduler}

    def _optimizers(self):
        return {"generator": self.opt_g, "discriminator": self.opt_d}

    def save_checkpoint(self):
        """Write the current state as a new checkpoint folder (atomically), after the logs
        reach the disk; returns it. Weights that are not finite are never saved."""
        state = {
            "step": self.step, "total_steps": self.total_steps, "config": self.config.to_dict(),
            "loader": self.loader.state_dict(),
            "schedulers": {name: s.state_dict() for name, s in self._schedulers().items()},
            "rng": backend.get(self.config.backend).rng_state(),
            "last_metrics": self.history[-1] if self.history else None,
            "sample_shape": list(self.dataset.sample_shape),
            "num_classes": self.dataset.num_classes, "value_range": list(self.value_range),
        }
        self.folder.sync_logs()
        try:
            return self.folder.write_checkpoint(self.step, self._modules(), self._optimizers(),
                                                state, score=self._checkpoint_score())
        except NonFiniteState as error:
            raise TrainingDiverged(self._failure(
                f"training diverged by step {self.step}: {error}")) from None

    def _checkpoint_score(self):
        """(metric, value), lower is better, that picks the best checkpoint: the evaluator's
        latest FCD when it runs, else how far the samples' spread is from the data's."""
        for row in reversed(self.history):
            if "eval_fcd" in row:
                return "eval_fcd", row["eval_fcd"]
        score = spread_score(self.health.ratio(self.fixed_samples()))
        return ("sample_spread", score) if math.isfinite(score) else None

    def load_checkpoint(self, folder=None):
        """Restore everything save_checkpoint wrote, so training continues exactly: from
        `folder`, or from the newest intact checkpoint (damaged ones are reported and
        skipped). Returns the checkpoint's state."""
        if folder is not None:
            return self._restore(folder)
        return self.folder.load_newest(self._restore)[1]

    def _restore(self, folder):
        state = self.folder.read_checkpoint(self._modules(), self._optimizers(), folder)
        try:
            for name, scheduler in self._schedulers().items():
                scheduler.load_state_dict(state["schedulers"][name])
            self.loader.load_state_dict(state["loader"])
            saved_backend = state["config"]["backend"]
        except (KeyError, TypeError, ValueError) as error:
            raise DamagedCheckpoint(f"its state.json does not fit this run "
                                    f"({type(error).__name__}: {error})") from None
        self._batches = None
        device = backend.get(self.config.backend)
        if state.get("rng") is not None and saved_backend == self.config.backend:
            device.set_rng_state(state["rng"])
        else:  # no state, or another backend's: continue on a new, seeded stream
            device.seed(self.config.seed + state["step"])
        self.step = state["step"]
        return state

    @classmethod
    def resume(cls, run_dir, **overrides):
        """The run in `run_dir`, rebuilt from its config.json and newest intact checkpoint.
        Keyword arguments change what a resume can honour (config.RESUMABLE: steps, learning
        rates, backend, cadence; `out`, a new folder, continues a copy of the run there); one
        that would change the model or its data is a ValueError that names its flag."""
        folder = RunFolder(run_dir)
        values = resume_values(folder.read_config(), {**overrides, "out": overrides.get("out")
                                                      or run_dir})
        if os.path.abspath(values["out"]) != os.path.abspath(run_dir):
            folder.copy_to(values["out"])
        trainer = cls(TrainConfig.from_dict(values))
        trainer.load_checkpoint()
        for name, optimizer, scheduler in (("lr_g", trainer.opt_g, trainer.sched_g),
                                           ("lr_d", trainer.opt_d, trainer.sched_d)):
            rebase_rate(optimizer, scheduler, values[name], values["betas"])
        if trainer.step > trainer.total_steps:
            steps = "--epochs" if values["epochs"] is not None else "--steps"
            raise ValueError(f"the run is at step {trainer.step} already, but {steps} asks for "
                             f"{trainer.total_steps} steps in all: pass {steps} for at least "
                             f"{trainer.step} steps (more to train longer)")
        return trainer


def _postfix(metrics):
    """The progress bar's numbers of one step."""
    return {"D": f"{metrics['d_loss']:.3f}", "G": f"{metrics['g_loss']:.3f}",
            "D(x)": f"{metrics['d_real']:.2f}", "D(G(z))": f"{metrics['d_fake']:.2f}",
            "img/s": f"{metrics['images_per_second']:.0f}"}


def _close(bar):
    if bar is not None:
        bar.close()
