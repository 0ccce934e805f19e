"""The models of a trained run that a restoration needs."""

import dataclasses

from ..evaluate.features import load_discriminator
from ..gan.trainer import load_generator


@dataclasses.dataclass
class RunModels:
    generator: object
    discriminator: object  # None where the run has none (a VAE)
    sample_shape: tuple  # (C, H, W)
    value_range: tuple


def load_models(run_dir, use_ema=True):
    """The generator (a VAE's decoder) and discriminator of the run in `run_dir`."""
    generator, info = load_generator(run_dir, use_ema=use_ema)
    model = info["config"].model
    if model in ("cdcgan", "toy"):
        raise ValueError(f"the run {run_dir!r} is a {model} model; restoration needs an "
                         "unconditional image generator (dcgan, mlp or vae)")
    judge = load_discriminator(run_dir)
    return RunModels(generator, None if judge is None else judge.discriminator,
                     tuple(info["sample_shape"]), tuple(info["value_range"]))
