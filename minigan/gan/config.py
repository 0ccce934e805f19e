"""TrainConfig: everything that defines a training run, saved as the run's config.json."""

import dataclasses


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
