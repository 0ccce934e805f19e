"""The GAN training loop: alternating discriminator and generator updates, with samples,
logs, checkpoints, exact resume and divergence detection.

One *step* is one generator update, preceded by `n_critic` discriminator updates (each on a
fresh real batch). A run lives in one folder:

    config.json                  the configuration (what --resume rebuilds the run from)
    log.jsonl                    one JSON object per step: losses, D(x), D(G(z)), gradient
                                 norms, learning rates, step time, images per second
    samples/step_0000200.png     the generator on fixed noise, every --sample-every steps
    checkpoints/step_0000500/    weights and optimizer state (safetensors), counters,
                                 data-loader position and random state (state.json)
    checkpoints/latest.json      which checkpoint folder is the newest complete one
    losses.png                   the curves, drawn at the end
"""

import dataclasses
import json
import math
import os
import time

from .. import backend as backends
from .. import functional as F
from ..data import DataLoader, load
from ..io import checkpoint as checkpoints
from ..io.images import image_grid, save_image
from ..io.plots import plot_points, plot_training_curves
from ..optim import EMA, Adam, lr_scheduler
from ..tensor import manual_seed, no_grad, randn, tensor
from . import losses, models

LR_SCHEDULES = ("constant", "step", "multistep", "cosine", "warmup-cosine")
LOGISTIC_LOSSES = ("minimax", "non_saturating")


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a run; saved as config.json. See `python -m minigan.train -h`."""

    model: str = "dcgan"
    loss: str = "non_saturating"
    data: str = "mnist5k"
    image_size: int | None = None
    channels: int | None = None
    batch_size: int = 64
    steps: int | None = None
    epochs: float | None = None
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    betas: tuple = (0.5, 0.999)
    n_critic: int = 1
    gp_weight: float = 0.0
    r1_weight: float = 0.0
    lr_schedule: str = "constant"
    ema: float = 0.0
    latent_dim: int = 100
    width: int = 64
    norm: str = "auto"
    output: str = "tanh"
    seed: int = 0
    backend: str = "numpy"
    sample_every: int = 200
    checkpoint_every: int = 500
    num_samples: int = 64
    evaluate_every: int = 0
    out: str = "runs/latest"

    @classmethod
    def from_dict(cls, values):
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown configuration keys {unknown}; known: {sorted(known)}")
        values = dict(values)
        if "betas" in values:
            values["betas"] = tuple(values["betas"])
        return cls(**values)

    def to_dict(self):
        values = dataclasses.asdict(self)
        values["betas"] = list(self.betas)
        return values


class TrainingDiverged(RuntimeError):
    """A loss or gradient became NaN or infinite; the run stopped without saving it."""


def _finite(value):
    return value is None or math.isfinite(value)


def _discriminator_score(loss_name, logits):
    """D(x) as the literature plots it: a probability for the logistic losses, the raw
    critic score otherwise."""
    scores = logits.sigmoid() if loss_name in LOGISTIC_LOSSES else logits
    return scores.mean()


def _squared_norm(gradients):
    """The squared norm of all gradients together, as a tensor on their device."""
    with no_grad():
        return F.stack([(g * g).sum().astype("float64") for g in gradients if g is not None]).sum()


def _to_host_together(scalars):
    """One-element tensors (or None) as Python floats, with one copy to the host for all."""
    names = [name for name, value in scalars.items() if value is not None]
    with no_grad():
        values = F.stack([scalars[name].reshape(()).astype("float64") for name in names]).numpy()
    return {**scalars, **{name: float(value) for name, value in zip(names, values)}}


def _resolve_image_size(config, dataset):
    """DCGAN needs 28, 32 or 64 pixels: without --image-size, the smallest that fits the data
    (None: the data is fine as it is)."""
    if config.image_size is not None or config.model not in ("dcgan", "cdcgan"):
        return None
    side = dataset.sample_shape[-1]
    if side in models.DCGAN_START:
        return None
    return min((size for size in models.DCGAN_START if size >= side), default=64)


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


class Trainer:
    """Trains a generator against a discriminator as `config` says, in the folder config.out.

        trainer = Trainer(TrainConfig(steps=1000))
        trainer.run()                      # or Trainer.resume("runs/latest").run()
    """

    def __init__(self, config, evaluator=None):
        self.config = config
        self.run_dir = config.out
        self.evaluator = evaluator
        self.step = 0
        backends.get(config.backend)  # fail early, with the install hint, if it cannot run
        manual_seed(config.seed)
        dataset = load(config.data, image_size=config.image_size, channels=config.channels)
        size = _resolve_image_size(config, dataset)
        if size is not None:
            dataset = dataset.converted(image_size=size)
        self.dataset = dataset
        self.toy = tuple(dataset.sample_shape) == (2,)
        if config.model == "toy" and not self.toy or self.toy and config.model != "toy":
            raise ValueError(f"--model {config.model} does not fit --data {config.data}: the toy "
                             "sets (ring8, grid25) go with --model toy, images with the others")
        output_range = "sigmoid" if config.model == "mlp" and config.output == "sigmoid" else "tanh"
        self.value_range = (0.0, 1.0) if output_range == "sigmoid" else (-1.0, 1.0)
        self.loader = DataLoader(dataset, config.batch_size, shuffle=True, seed=config.seed,
                                 drop_last=True, backend=config.backend,
                                 output_range=output_range)
        self.total_steps = self._total_steps()
        self.conditional = config.model == "cdcgan"
        self.generator, self.discriminator = models.build(
            config.model, dataset.sample_shape, config.latent_dim, config.width,
            self._norm(), config.output, dataset.num_classes)
        self.generator.to(config.backend)
        self.discriminator.to(config.backend)
        self.opt_g = Adam(self.generator.parameters(), lr=config.lr_g, betas=config.betas)
        self.opt_d = Adam(self.discriminator.parameters(), lr=config.lr_d, betas=config.betas)
        self.sched_g = _scheduler(config.lr_schedule, self.opt_g, self.total_steps)
        self.sched_d = _scheduler(config.lr_schedule, self.opt_d, self.total_steps)
        self.ema = EMA(self.generator, config.ema) if config.ema > 0 else None
        self._fixed_noise, self._fixed_labels = self._make_fixed_inputs()
        self._batches = None
        self.history = []

    # -- setup --------------------------------------------------------------------------------
    def _norm(self):
        if self.config.norm != "auto":
            return self.config.norm
        if self.config.loss == "hinge":
            return "spectral"
        if self.config.gp_weight > 0 or self.config.loss == "wasserstein":
            return "none"  # the WGAN-GP critic: no batch statistics in a per-sample penalty
        return "batch"

    def _total_steps(self):
        config = self.config
        if config.steps is not None and config.epochs is not None:
            raise ValueError("give --steps or --epochs, not both")
        if config.epochs is not None:
            return max(1, math.ceil(config.epochs * len(self.loader) / config.n_critic))
        return config.steps if config.steps is not None else 1500

    def _make_fixed_inputs(self):
        """Noise (and labels) for the sample grids: drawn once from their own generator, so
        sampling never disturbs the training's random stream."""
        host = backends.host_module()
        rng = host.random.default_rng([self.config.seed, 1])
        count = self.config.num_samples if not self.toy else 1000
        noise = tensor(rng.standard_normal((count, self.config.latent_dim)).astype("float32"),
                       backend=self.config.backend)
        labels = None
        if self.conditional:
            labels = tensor(host.arange(count) % self.dataset.num_classes,
                            backend=self.config.backend)
        return noise, labels

    # -- one step -----------------------------------------------------------------------------
    def _next_batch(self):
        if self._batches is None:
            self._batches = iter(self.loader)
        try:
            return next(self._batches)
        except StopIteration:
            self._batches = iter(self.loader)
            return next(self._batches)

    def _generate(self, generator, z, labels):
        return generator(z, labels) if self.conditional else generator(z)

    def _discriminate(self, x, labels):
        return self.discriminator(x, labels) if self.conditional else self.discriminator(x)

    def _noise(self, count):
        return randn(count, self.config.latent_dim, backend=self.config.backend)

    def train_step(self):
        """n_critic discriminator updates, then one generator update; returns the metrics."""
        config, loss = self.config, self.config.loss
        started = time.perf_counter()
        G, D = self.generator, self.discriminator
        fake = penalty = None
        for critic_step in range(config.n_critic):
            real, labels = self._next_batch()
            labels = labels if self.conditional else None
            z = self._noise(real.shape[0])
            if config.n_critic == 1:
                fake = self._generate(G, z, labels)  # reused, with its graph, by the G update
                fake_input = fake.detach()
            else:
                with no_grad():
                    fake_input = self._generate(G, z, labels)
            real_logits = self._discriminate(real, labels)
            fake_logits = self._discriminate(fake_input, labels)
            d_loss = losses.d_loss(loss, real_logits, fake_logits)
            if config.gp_weight > 0:
                penalty = losses.gradient_penalty(lambda x: self._discriminate(x, labels), real,
                                                  fake_input)
                d_loss = d_loss + config.gp_weight * penalty
            if config.r1_weight > 0:
                penalty = losses.r1_penalty(lambda x: self._discriminate(x, labels), real)
                d_loss = d_loss + 0.5 * config.r1_weight * penalty
            self.opt_d.zero_grad()
            d_loss.backward()
            grad_norm_d = _squared_norm([p.grad for p in D.parameters()])
            self.opt_d.step()
        if fake is None:
            fake = self._generate(G, self._noise(config.batch_size), labels)
        D.requires_grad_(False)  # the G update needs D's input gradient only, not its weights'
        try:
            g_loss = losses.g_loss(loss, self._discriminate(fake, labels))
            self.opt_g.zero_grad()
            g_loss.backward()
        finally:
            D.requires_grad_(True)
        grad_norm_g = _squared_norm([p.grad for p in G.parameters()])
        self.opt_g.step()
        if self.ema is not None:
            self.ema.update(G)
        for scheduler in (self.sched_g, self.sched_d):
            if scheduler is not None:
                scheduler.step()
        logged = _to_host_together({
            "d_loss": d_loss, "g_loss": g_loss, "d_real": _discriminator_score(loss, real_logits),
            "d_fake": _discriminator_score(loss, fake_logits), "penalty": penalty,
            "grad_norm_d": grad_norm_d, "grad_norm_g": grad_norm_g})
        logged["grad_norm_d"] **= 0.5
        logged["grad_norm_g"] **= 0.5
        seconds = time.perf_counter() - started
        return {
            **logged,
            "lr_g": self.opt_g.param_groups[0]["lr"], "lr_d": self.opt_d.param_groups[0]["lr"],
            "step_time": seconds,
            "images_per_second": config.batch_size * config.n_critic / seconds,
        }

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

        if self.step == 0:
            _move_previous_run_aside(self.run_dir)
        os.makedirs(self.run_dir, exist_ok=True)
        checkpoints.write_json_atomic(os.path.join(self.run_dir, "config.json"),
                                      self.config.to_dict())
        self._trim_log()
        bar = tqdm(total=self.total_steps, initial=self.step, unit="step", disable=not progress,
                   dynamic_ncols=True)
        metrics = {}
        try:
            while self.step < until:
                metrics = self.train_step()
                self.step += 1
                self._check_finite(metrics)
                if self.config.evaluate_every and self.step % self.config.evaluate_every == 0:
                    metrics.update(self._evaluate())  # logged with the step: resume keeps it
                self._log(metrics)
                bar.update(1)
                bar.set_postfix({"D": f"{metrics['d_loss']:.3f}", "G": f"{metrics['g_loss']:.3f}",
                                 "D(x)": f"{metrics['d_real']:.2f}",
                                 "D(G(z))": f"{metrics['d_fake']:.2f}",
                                 "img/s": f"{metrics['images_per_second']:.0f}"}, refresh=False)
                if self.step % self.config.sample_every == 0:
                    self.save_samples()
                if self.step % self.config.checkpoint_every == 0:
                    self.save_checkpoint()
        except KeyboardInterrupt:
            bar.close()
            folder = self.save_checkpoint()
            print(f"\ninterrupted at step {self.step}: saved {folder}\nresume with: "
                  f"python -m minigan.train --resume {self.run_dir}")
            raise
        bar.close()
        self.save_checkpoint()
        self.save_samples()
        self.plot()
        return metrics

    def _check_finite(self, metrics):
        bad = {k: v for k, v in metrics.items()
               if isinstance(v, float) and not _finite(v)}
        if bad:
            last = checkpoints.latest_checkpoint(self.run_dir)
            where = (f"the last good checkpoint is {last}" if last else
                     "no checkpoint was written before it")
            raise TrainingDiverged(
                f"training diverged at step {self.step}: "
                + ", ".join(f"{k}={v}" for k, v in bad.items())
                + f"; {where}. Try lower learning rates (--lr-g, --lr-d), another --loss, or a "
                "gradient penalty (--gp-weight 10 with --loss wasserstein).")

    def _log(self, metrics):
        row = {"step": self.step, **{k: v for k, v in metrics.items() if v is not None}}
        self.history.append(row)
        with open(os.path.join(self.run_dir, "log.jsonl"), "a") as handle:
            handle.write(json.dumps(row) + "\n")

    def _trim_log(self):
        """On resume, drop log rows past the checkpoint's step (they will be redone)."""
        for name in ("log.jsonl", "evaluation.jsonl"):
            path = os.path.join(self.run_dir, name)
            if not os.path.exists(path):
                continue
            with open(path) as handle:
                rows = [json.loads(line) for line in handle if line.strip()]
            kept = [row for row in rows if row["step"] <= self.step]
            checkpoints.write_bytes_atomic(
                path, "".join(json.dumps(row) + "\n" for row in kept).encode())
            if name == "log.jsonl":
                self.history = kept

    def _evaluate(self):
        scores = self.evaluator(self)
        with open(os.path.join(self.run_dir, "evaluation.jsonl"), "a") as handle:
            handle.write(json.dumps({"step": self.step, **scores}) + "\n")
        return scores

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
                    noise = self._noise(count)
                if self.conditional and labels is None:
                    labels = tensor(backends.host_module().arange(noise.shape[0])
                                    % self.dataset.num_classes, backend=self.config.backend)
                return self._generate(generator, noise, labels).numpy()
        finally:
            generator.train(mode)

    def save_samples(self):
        """The grid (or, for 2-D toys, the scatter plot) of the fixed noise at this step."""
        folder = os.path.join(self.run_dir, "samples")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"step_{self.step:07d}.png")
        samples = self.sample(noise=self._fixed_noise, labels=self._fixed_labels)
        if self.toy:
            plot_points(self.dataset.images, samples, path, f"step {self.step}")
        else:
            rows = self.dataset.num_classes if self.conditional else None
            save_image(path, image_grid(samples, rows=rows, value_range=self.value_range))
        return path

    def plot(self):
        path = os.path.join(self.run_dir, "losses.png")
        metrics = sorted({k for row in self.history for k in row if k.startswith("eval_")})
        if self.history:
            plot_training_curves(self.history, path, metrics)
        return path

    # -- checkpoints --------------------------------------------------------------------------
    def _optimizer_arrays_and_scalars(self, optimizer):
        arrays, scalars = {}, {}
        state = optimizer.state_dict()
        for index, entries in state["state"].items():
            for name, value in entries.items():
                if hasattr(value, "numpy"):
                    arrays[f"{index}.{name}"] = value.numpy()
                else:
                    scalars[f"{index}.{name}"] = value
        return arrays, {"param_groups": state["param_groups"], "scalars": scalars}

    def _load_optimizer(self, optimizer, arrays, saved):
        state = {}
        for key, array in arrays.items():
            index, name = key.split(".", 1)
            state.setdefault(int(index), {})[name] = tensor(array, backend=self.config.backend)
        for key, value in saved["scalars"].items():
            index, name = key.split(".", 1)
            state.setdefault(int(index), {})[name] = value
        optimizer.load_state_dict({"state": state, "param_groups": saved["param_groups"]})

    def save_checkpoint(self):
        """Write the current state as a new checkpoint folder (atomically); returns it."""
        models_arrays = {}
        named = [("generator", self.generator), ("discriminator", self.discriminator)]
        if self.ema is not None:
            named.append(("ema", self.ema.module))
        for prefix, module in named:
            for key, value in module.state_dict().items():
                models_arrays[f"{prefix}.{key}"] = value.numpy()
        optimizer_arrays, optimizer_state = {}, {}
        for prefix, optimizer in (("generator", self.opt_g), ("discriminator", self.opt_d)):
            arrays, scalars = self._optimizer_arrays_and_scalars(optimizer)
            optimizer_arrays.update({f"{prefix}.{k}": v for k, v in arrays.items()})
            optimizer_state[prefix] = scalars
        source = backends.get(self.config.backend)
        state = {
            "step": self.step, "total_steps": self.total_steps, "config": self.config.to_dict(),
            "loader": self.loader.state_dict(), "optimizers": optimizer_state,
            "schedulers": {name: s.state_dict() for name, s in
                           (("generator", self.sched_g), ("discriminator", self.sched_d)) if s},
            "rng": source.rng_state(), "last_metrics": self.history[-1] if self.history else None,
            "sample_shape": list(self.dataset.sample_shape),
            "num_classes": self.dataset.num_classes, "value_range": list(self.value_range),
        }
        return checkpoints.write_checkpoint(self.run_dir, self.step, {
            "models.safetensors": models_arrays, "optimizers.safetensors": optimizer_arrays},
            state)

    def load_checkpoint(self, folder):
        """Restore everything save_checkpoint wrote, so training continues exactly."""
        state, arrays = checkpoints.read_checkpoint(
            folder, ["models.safetensors", "optimizers.safetensors"])
        models_arrays = arrays["models.safetensors"]
        named = [("generator", self.generator), ("discriminator", self.discriminator)]
        if self.ema is not None:
            named.append(("ema", self.ema.module))
        for prefix, module in named:
            module.load_state_dict({key[len(prefix) + 1:]: value for key, value in
                                    models_arrays.items() if key.startswith(prefix + ".")})
        for prefix, optimizer in (("generator", self.opt_g), ("discriminator", self.opt_d)):
            own = {key[len(prefix) + 1:]: value for key, value in
                   arrays["optimizers.safetensors"].items() if key.startswith(prefix + ".")}
            self._load_optimizer(optimizer, own, state["optimizers"][prefix])
        for name, scheduler in (("generator", self.sched_g), ("discriminator", self.sched_d)):
            if scheduler is not None:
                scheduler.load_state_dict(state["schedulers"][name])
        self.loader.load_state_dict(state["loader"])
        self._batches = None
        source = backends.get(self.config.backend)
        if state["rng"] is not None:
            source.set_rng_state(state["rng"])
        else:  # a generator that cannot export its state: continue on a new, seeded stream
            source.seed(self.config.seed + state["step"])
        self.step = state["step"]

    @classmethod
    def resume(cls, run_dir, **overrides):
        """The run in `run_dir`, rebuilt from its config.json and latest checkpoint; keyword
        arguments override configuration values (e.g. steps=5000 to train longer)."""
        config_path = os.path.join(run_dir, "config.json")
        if not os.path.exists(config_path):
            raise FileNotFoundError(f"{run_dir!r} is not a minigan run folder: it has no "
                                    "config.json. Pass the --out folder of an earlier run.")
        values = checkpoints.read_json(config_path)
        values.update({k: v for k, v in overrides.items() if v is not None})
        values["out"] = run_dir
        trainer = cls(TrainConfig.from_dict(values))
        folder = checkpoints.latest_checkpoint(run_dir)
        if folder is None:
            raise FileNotFoundError(f"{run_dir!r} has no complete checkpoint to resume from")
        trainer.load_checkpoint(folder)
        return trainer



def _move_previous_run_aside(run_dir):
    """A new run never mixes with, or deletes, an old one in the same folder: the old one
    becomes run_dir.1 (or .2, ...)."""
    if not os.path.exists(os.path.join(run_dir, "config.json")):
        return
    number = 1
    while os.path.exists(f"{run_dir}.{number}"):
        number += 1
    os.replace(run_dir, f"{run_dir}.{number}")
    print(f"moved the earlier run in {run_dir} to {run_dir}.{number}")


def load_generator(run_dir, use_ema=True):
    """The trained generator of a run's latest checkpoint, in eval mode, without loading the
    data; returns (generator, info) where info has the config, sample shape, number of classes
    and value range."""
    folder = checkpoints.latest_checkpoint(run_dir)
    if folder is None:
        raise FileNotFoundError(f"{run_dir!r} has no checkpoint: pass the --out folder of a run "
                                "that has written one (checkpoints/latest.json)")
    state, arrays = checkpoints.read_checkpoint(folder, ["models.safetensors"])
    config = TrainConfig.from_dict(state["config"])
    norm = "batch" if config.norm == "auto" else config.norm
    generator, _ = models.build(config.model, state["sample_shape"], config.latent_dim,
                                config.width, norm, config.output, state["num_classes"])
    weights = arrays["models.safetensors"]
    prefix = "ema." if use_ema and any(key.startswith("ema.") for key in weights) else "generator."
    generator.load_state_dict({key[len(prefix):]: value for key, value in weights.items()
                               if key.startswith(prefix)})
    generator.to(config.backend if config.backend in backends.available() else "numpy")
    info = {"config": config, "step": state["step"], "sample_shape": state["sample_shape"],
            "num_classes": state["num_classes"], "value_range": tuple(state["value_range"]),
            "weights": prefix[:-1]}
    return generator.eval(), info
