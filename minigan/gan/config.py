"""TrainConfig: everything that defines a training run, saved as the run's config.json, and the
checks that every value makes sense before any work starts."""

import dataclasses
import math

MAX_IMAGE_SIZE = 512  # beyond this a model's first layers no longer fit in memory
COUNTS = {  # (least, most) of each whole-number setting; most None: no limit
    "batch_size": (1, 65536), "n_critic": (1, 100), "latent_dim": (1, 4096), "width": (1, 1024),
    "seed": (0, 2 ** 32 - 1), "sample_every": (1, None), "checkpoint_every": (1, None),
    "num_samples": (1, 10000), "evaluate_every": (0, None)}
ON_FAILURE = ("stop", "warn")
# what --resume may change (how long, how fast, where, how often to look) and what it may not
# (the model, its data and its objective: the checkpoint's weights and state belong to them)
RESUMABLE = ("steps", "epochs", "lr_g", "lr_d", "betas", "backend", "sample_every",
             "checkpoint_every", "evaluate_every", "out", "on_failure", "sync_batchnorm")
FIXED_ON_RESUME = ("recipe", "model", "loss", "data", "image_size", "channels", "batch_size",
                   "n_critic", "gp_weight", "r1_weight", "lr_schedule", "ema", "latent_dim",
                   "width", "norm", "output", "seed", "num_samples")
# A recipe gives a run the settings it does not set itself (None). "dcgan" is Radford et al.'s
# plain DCGAN; "sngan", the command line's default for the DCGAN models, is measured in the
# README ("The default run"): half the widths (more steps in the same time), a spectrally
# normalised D (norm "auto" with the hinge loss), Adam with beta1 = 0 at rates four times the
# plain recipe's for G and eight times for D, decaying to 0 over the last 30% of the run.
RECIPES = {
    "dcgan": dict(width=64, batch_size=64, loss="non_saturating", lr_g=2e-4, lr_d=2e-4,
                  betas=(0.5, 0.999), lr_schedule="constant"),
    "sngan": dict(width=32, batch_size=64, loss="hinge", lr_g=8e-4, lr_d=1.6e-3,
                  betas=(0.0, 0.9), lr_schedule="linear-decay"),
}
RECIPE_MODELS = {"dcgan": None, "sngan": ("dcgan", "cdcgan")}  # None: every model
# generator updates of a run given neither steps nor epochs, by recipe and image side: sngan
# fills about 7 minutes of this project's 2-core CPU at 28 and 32 pixels, an hour at 64
RECIPE_STEPS = {"sngan": {28: 10000, 32: 6000, 64: 10000}}


def recipe_for(model):
    """The command line's recipe for a model: sngan for the DCGAN models, else dcgan."""
    return "sngan" if model in RECIPE_MODELS["sngan"] else "dcgan"


def flag(name):
    """The command-line flag of a configuration field: "lr_g" -> "--lr-g"."""
    return "--" + name.replace("_", "-")


def recipe_flags(recipe):
    """A recipe's settings as the flags that give them: "--width 32 --batch-size 32 ..."."""
    def shown(value):
        values = value if isinstance(value, tuple) else (value,)
        return " ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)

    return " ".join(f"{flag(name)} {shown(value)}" for name, value in RECIPES[recipe].items())


@dataclasses.dataclass
class TrainConfig:
    """Everything that defines a run; saved as config.json. See `python -m minigan.train -h`."""

    recipe: str = "dcgan"  # fills the settings below that are None
    model: str = "dcgan"
    loss: str | None = None
    data: str = "mnist5k"
    image_size: int | None = None
    channels: int | None = None
    batch_size: int | None = None
    steps: int | None = None
    epochs: float | None = None
    lr_g: float | None = None
    lr_d: float | None = None
    betas: tuple | None = None
    n_critic: int = 1
    gp_weight: float = 0.0
    r1_weight: float = 0.0
    lr_schedule: str | None = None
    ema: float = 0.0
    latent_dim: int = 100
    width: int | None = None
    norm: str = "auto"
    output: str = "tanh"
    seed: int = 0
    backend: str = "numpy"
    sample_every: int = 200
    checkpoint_every: int = 500
    num_samples: int = 64
    evaluate_every: int = 0
    sync_batchnorm: bool = False
    out: str = "runs/latest"
    on_failure: str = "stop"

    def __post_init__(self):
        for name, value in RECIPES.get(self.recipe, RECIPES["dcgan"]).items():
            if getattr(self, name) is None:
                setattr(self, name, value)
        self.betas = tuple(self.betas)

    @classmethod
    def from_dict(cls, values):
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown configuration keys {unknown}; known: {sorted(known)}")
        return cls(**values)

    def to_dict(self):
        values = dataclasses.asdict(self)
        values["betas"] = list(self.betas)
        return values

    def check(self):
        """Raise a one-line ValueError naming the flag and the fix for the first value that
        makes no sense; returns the config."""
        problem = next(_problems(self), None)
        if problem is not None:
            raise ValueError(problem)
        return self


def _whole(value, least):
    return isinstance(value, int) and not isinstance(value, bool) and value >= least


def _real(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _problems(config):
    """Every problem of `config`, as sentences that name the flag."""
    if config.recipe not in RECIPES:
        yield f"--recipe must be one of {tuple(RECIPES)}, got {config.recipe!r}"
    elif RECIPE_MODELS[config.recipe] and config.model not in RECIPE_MODELS[config.recipe]:
        models = " or ".join(RECIPE_MODELS[config.recipe])
        yield (f"--recipe {config.recipe} is for --model {models}; --model {config.model} "
               "trains with --recipe dcgan's settings")
    for name, (least, most) in COUNTS.items():
        value = getattr(config, name)
        if not (_whole(value, least) and (most is None or value <= most)):
            limits = f"between {least} and {most}" if most else f"of at least {least}"
            yield (f"{flag(name)} must be a whole number {limits}, got {value!r}"
                   + ("; leave it out to turn evaluation off" if name == "evaluate_every" else ""))
    if config.steps is not None and not _whole(config.steps, 1):
        yield f"--steps must be a whole number of at least 1, got {config.steps!r}"
    if config.epochs is not None and not (_real(config.epochs) and config.epochs > 0):
        yield f"--epochs must be a finite number above 0 (e.g. 5 or 0.5), got {config.epochs!r}"
    if config.steps is not None and config.epochs is not None:
        yield "give --steps or --epochs, not both"
    for name in ("lr_g", "lr_d"):
        value = getattr(config, name)
        if not (_real(value) and value > 0):
            yield f"{flag(name)} must be a finite learning rate above 0 (e.g. 2e-4), got {value!r}"
    if len(config.betas) != 2 or not all(_real(b) and 0 <= b < 1 for b in config.betas):
        yield f"--betas must be two numbers in [0, 1) (e.g. 0.5 0.999), got {tuple(config.betas)}"
    for name in ("gp_weight", "r1_weight"):
        value = getattr(config, name)
        if not (_real(value) and value >= 0):
            yield f"{flag(name)} must be a finite weight of 0 or more (e.g. 10), got {value!r}"
    if not (_real(config.ema) and 0 <= config.ema < 1):
        yield f"--ema must be a decay in [0, 1) (e.g. 0.999; 0 = off), got {config.ema!r}"
    if config.image_size is not None and not (
            _whole(config.image_size, 1) and config.image_size <= MAX_IMAGE_SIZE):
        yield (f"--image-size must be a side between 1 and {MAX_IMAGE_SIZE} pixels (DCGAN: 28, 32 "
               f"or 64), got {config.image_size!r}")
    if config.channels not in (None, 1, 3):
        yield f"--channels must be 1 (grey) or 3 (colour), got {config.channels!r}"
    if config.on_failure not in ON_FAILURE:
        yield f"--on-failure must be one of {ON_FAILURE}, got {config.on_failure!r}"


def resume_values(saved, overrides):
    """The configuration of a resumed run: `saved` (config.json's dict) with the `overrides`
    that are not None applied. A value of FIXED_ON_RESUME that differs from the saved one is
    a ValueError naming its flag; --steps replaces a saved --epochs and the other way round."""
    try:
        TrainConfig.from_dict(saved).check()
    except (TypeError, ValueError) as error:
        raise ValueError(f"the run's config.json is damaged: {error}") from None
    given = {name: value for name, value in overrides.items() if value is not None}
    for name, value in given.items():
        old = saved.get(name)
        if name in FIXED_ON_RESUME and value != (tuple(old) if name == "betas" else old):
            raise ValueError(
                f"{flag(name)} {value} cannot be honoured on --resume: this run was trained "
                f"with {flag(name) + ' ' + str(old) if old is not None else f'no {flag(name)}'}"
                f", and its checkpoints belong to that; leave {flag(name)} out to continue "
                "it, or start a new run without --resume")
        if name not in FIXED_ON_RESUME and name not in RESUMABLE:
            raise ValueError(f"unknown setting {name!r} for a resumed run")
    values = dict(saved)
    if "steps" in given or "epochs" in given:
        values["steps"] = values["epochs"] = None
    values.update(given)
    return values
