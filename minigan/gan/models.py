"""The GANs of the literature this project serves, built from minigan.nn.

- `MLPGenerator` / `MLPDiscriminator`: the fully connected GAN (Goodfellow et al., 2014), with a
  sigmoid or tanh output layer.
- `DCGANGenerator` / `DCGANDiscriminator`: Radford et al. (2016) for 28, 32 or 64 pixel images
  with any number of channels: transposed convolutions, batch norm, ReLU in G, LeakyReLU in D,
  tanh output, N(0, 0.02) initialisation. `norm="none"` gives the WGAN-GP critic (a gradient
  penalty per sample is meaningless through batch statistics), `norm="spectral"` the
  spectrally normalised discriminator used with the hinge loss.
- `ConditionalGenerator` / `ConditionalDiscriminator`: the DCGAN pair conditioned on a class
  label through an embedding (cDCGAN).
- `ToyGenerator` / `ToyDiscriminator`: small MLPs for the 2-D toy sets (mode collapse).
- `VAEEncoder`: with DCGANGenerator as its decoder, the variational autoencoder (vae.py).

Every generator takes z of shape (N, latent_dim) (and labels for the conditional ones) and
every discriminator returns logits of shape (N,).

`model_spec(config)` is the one place that knows what a model needs from a run: labels or not,
the output range of its data, its discriminator's normalisation, the image sizes it builds.
"""

import dataclasses

from .. import nn
from ..functional import concatenate
from ..nn import init

DCGAN_START = {28: 7, 32: 4, 64: 4}  # the generator's first feature map: 7x7 -> 28, 4x4 -> 32 or 64


def dcgan_init_(module):
    """Radford et al.'s initialisation: conv weights N(0, 0.02); batch norm scales N(1, 0.02),
    shifts 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        weight = module._parameters.get("weight")
        init.normal_(module.weight_orig if weight is None else weight, 0.0, 0.02)  # spectral
        if module.bias is not None:
            init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)) and module.affine:
        init.normal_(module.weight, 1.0, 0.02)
        init.zeros_(module.bias)


def _upsampling_stages(image_size):
    if image_size not in DCGAN_START:
        raise ValueError(f"DCGAN supports image sizes {sorted(DCGAN_START)}, got {image_size}; "
                         "pass --image-size 28, 32 or 64 (the data is resized to it)")
    start = DCGAN_START[image_size]
    stages = 0
    while start * 2 ** stages < image_size:
        stages += 1
    return start, stages


class DCGANGenerator(nn.Module):
    """z (N, latent_dim) -> images (N, channels, image_size, image_size) in [-1, 1].

    For 28x28 with width 64: (N, 100) -> (N, 128, 7, 7) -> (N, 64, 14, 14) -> (N, 1, 28, 28).
    """

    def __init__(self, latent_dim=100, image_size=28, channels=1, width=64, in_extra=0):
        super().__init__()
        self.latent_dim, self.image_size, self.channels = latent_dim, image_size, channels
        start, stages = _upsampling_stages(image_size)
        width_now = width * 2 ** (stages - 1)
        layers = [  # (N, latent, 1, 1) -> (N, width_now, start, start)
            nn.ConvTranspose2d(latent_dim + in_extra, width_now, start, 1, 0, bias=False),
            nn.BatchNorm2d(width_now), nn.ReLU()]
        for _ in range(stages - 1):  # each doubles the size and halves the channels
            layers += [nn.ConvTranspose2d(width_now, width_now // 2, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(width_now // 2), nn.ReLU()]
            width_now //= 2
        layers += [nn.ConvTranspose2d(width_now, channels, 4, 2, 1), nn.Tanh()]  # (N, C, S, S)
        self.main = nn.Sequential(*layers)
        self.apply(dcgan_init_)

    def forward(self, z):
        return self.main(z.reshape(z.shape[0], -1, 1, 1))


class DCGANDiscriminator(nn.Module):
    """images (N, channels, S, S) -> logits (N,).

    For 28x28 with width 64: (N, 1, 28, 28) -> (N, 64, 14, 14) -> (N, 128, 7, 7) -> (N,).
    norm: "batch" (DCGAN), "none" (the WGAN-GP critic) or "spectral" (SN-GAN).
    """

    def __init__(self, image_size=28, channels=1, width=64, norm="batch"):
        super().__init__()
        if norm not in ("batch", "none", "spectral"):
            raise ValueError(f"norm must be 'batch', 'none' or 'spectral', got {norm!r}")
        start, stages = _upsampling_stages(image_size)
        wrap = nn.utils.spectral_norm if norm == "spectral" else (lambda layer: layer)
        layers = [wrap(nn.Conv2d(channels, width, 4, 2, 1)), nn.LeakyReLU(0.2)]  # (N, w, S/2, S/2)
        width_now = width
        for _ in range(stages - 1):  # each halves the size and doubles the channels
            layers.append(wrap(nn.Conv2d(width_now, width_now * 2, 4, 2, 1, bias=norm != "batch")))
            if norm == "batch":
                layers.append(nn.BatchNorm2d(width_now * 2))
            layers.append(nn.LeakyReLU(0.2))
            width_now *= 2
        layers += [wrap(nn.Conv2d(width_now, 1, start, 1, 0)),  # (N, 1, 1, 1)
                   nn.Flatten(0)]  # (N,)
        self.main = nn.Sequential(*layers)
        self.apply(dcgan_init_)

    def forward(self, x):
        return self.main(x)


class ConditionalGenerator(nn.Module):
    """(z (N, latent_dim), labels (N,)) -> images: the label's embedding joins z."""

    def __init__(self, num_classes=10, latent_dim=100, image_size=28, channels=1, width=64,
                 embedding_dim=50):
        super().__init__()
        self.latent_dim, self.num_classes = latent_dim, num_classes
        self.label_embedding = nn.Embedding(num_classes, embedding_dim)
        self.body = DCGANGenerator(latent_dim, image_size, channels, width, in_extra=embedding_dim)

    def forward(self, z, labels):
        return self.body(concatenate([z, self.label_embedding(labels)], axis=1))  # (N, z + e)


class ConditionalDiscriminator(nn.Module):
    """(images (N, C, S, S), labels (N,)) -> logits (N,): the label's embedding, shaped as one
    more image channel, joins the image."""

    def __init__(self, num_classes=10, image_size=28, channels=1, width=64, norm="batch"):
        super().__init__()
        self.image_size = image_size
        self.label_embedding = nn.Embedding(num_classes, image_size * image_size)
        self.body = DCGANDiscriminator(image_size, channels + 1, width, norm)

    def forward(self, x, labels):
        label_plane = self.label_embedding(labels).reshape(  # (N, 1, S, S)
            x.shape[0], 1, self.image_size, self.image_size)
        return self.body(concatenate([x, label_plane], axis=1))  # (N, C + 1, S, S)


class MLPGenerator(nn.Module):
    """z (N, latent_dim) -> images (N, C, H, W), through fully connected layers; the output
    activation is "tanh" (data in [-1, 1]) or "sigmoid" (data in [0, 1])."""

    def __init__(self, latent_dim=100, image_shape=(1, 28, 28), hidden=(256, 512, 1024),
                 output="tanh"):
        super().__init__()
        if output not in ("tanh", "sigmoid"):
            raise ValueError(f"output must be 'tanh' or 'sigmoid', got {output!r}")
        self.latent_dim, self.output = latent_dim, output
        pixels = 1
        for n in image_shape:
            pixels *= n
        layers, width = [], latent_dim
        for size in hidden:  # (N, width) -> (N, size)
            layers += [nn.Linear(width, size), nn.LeakyReLU(0.2)]
            width = size
        layers += [nn.Linear(width, pixels),  # (N, C*H*W)
                   nn.Tanh() if output == "tanh" else nn.Sigmoid(),
                   nn.Unflatten(1, image_shape)]  # (N, C, H, W)
        self.main = nn.Sequential(*layers)

    def forward(self, z):
        return self.main(z)


class MLPDiscriminator(nn.Module):
    """images (N, C, H, W) -> logits (N,) through fully connected layers."""

    def __init__(self, image_shape=(1, 28, 28), hidden=(512, 256)):
        super().__init__()
        pixels = 1
        for n in image_shape:
            pixels *= n
        layers, width = [nn.Flatten()], pixels  # (N, C*H*W)
        for size in hidden:
            layers += [nn.Linear(width, size), nn.LeakyReLU(0.2)]
            width = size
        layers += [nn.Linear(width, 1), nn.Flatten(0)]  # (N,)
        self.main = nn.Sequential(*layers)

    def forward(self, x):
        return self.main(x)


class ToyGenerator(nn.Module):
    """z (N, latent_dim) -> points (N, 2)."""

    def __init__(self, latent_dim=2, hidden=128, depth=3):
        super().__init__()
        self.latent_dim = latent_dim
        layers, width = [], latent_dim
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        layers.append(nn.Linear(width, 2))
        self.main = nn.Sequential(*layers)

    def forward(self, z):
        return self.main(z)


class ToyDiscriminator(nn.Module):
    """points (N, 2) -> logits (N,)."""

    def __init__(self, hidden=128, depth=3):
        super().__init__()
        layers, width = [], 2
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.LeakyReLU(0.2)]
            width = hidden
        layers += [nn.Linear(width, 1), nn.Flatten(0)]
        self.main = nn.Sequential(*layers)

    def forward(self, x):
        return self.main(x)


class VAEEncoder(nn.Module):
    """images (N, C, S, S) -> (mu, logvar), each (N, latent_dim): a VAE's encoder, the DCGAN
    discriminator's convolutions and two linear heads (its decoder is DCGANGenerator).

    For 28x28 with width 64: (N, 1, 28, 28) -> (N, 64, 14, 14) -> (N, 128, 7, 7) -> 2 x (N, 100).
    """

    def __init__(self, latent_dim=100, image_size=28, channels=1, width=64):
        super().__init__()
        start, stages = _upsampling_stages(image_size)
        layers = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2)]  # (N, w, S/2, S/2)
        width_now = width
        for _ in range(stages - 1):  # each halves the size and doubles the channels
            layers += [nn.Conv2d(width_now, width_now * 2, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(width_now * 2), nn.LeakyReLU(0.2)]
            width_now *= 2
        layers.append(nn.Flatten())  # (N, width_now * start * start)
        self.main = nn.Sequential(*layers)
        self.mu = nn.Linear(width_now * start * start, latent_dim)
        self.logvar = nn.Linear(width_now * start * start, latent_dim)
        self.apply(dcgan_init_)

    def forward(self, x):
        features = self.main(x)
        return self.mu(features), self.logvar(features)


MODELS = ("dcgan", "cdcgan", "mlp", "toy", "vae")
DEFAULT_STEPS = 1500  # generator updates of a run given neither --steps nor --epochs


def build(model, sample_shape, latent_dim=100, width=64, norm="batch", output="tanh",
          num_classes=0):
    """(generator, discriminator) for the model name and the data's sample shape; for the VAE
    (decoder, encoder)."""
    if model == "toy":
        if tuple(sample_shape) != (2,):
            raise ValueError(f"the toy model is for 2-D points (ring8, grid25), but the data's "
                             f"samples have shape {tuple(sample_shape)}")
        return ToyGenerator(latent_dim), ToyDiscriminator()
    if len(sample_shape) != 3:
        raise ValueError(f"model {model!r} needs images, but the data's samples have shape "
                         f"{tuple(sample_shape)}; use --model toy for 2-D points")
    channels, height, width_px = sample_shape
    if model == "mlp":
        return (MLPGenerator(latent_dim, tuple(sample_shape), output=output),
                MLPDiscriminator(tuple(sample_shape)))
    if height != width_px:
        raise ValueError(f"{model} needs square images, got {height}x{width_px}; pass "
                         "--image-size to resize")
    if model == "dcgan":
        return (DCGANGenerator(latent_dim, height, channels, width),
                DCGANDiscriminator(height, channels, width, norm))
    if model == "vae":
        return (DCGANGenerator(latent_dim, height, channels, width),
                VAEEncoder(latent_dim, height, channels, width))
    if model == "cdcgan":
        if num_classes < 2:
            raise ValueError("cdcgan needs labelled data (mnist5k or mnist:DIR); this data set "
                             "has no classes")
        return (ConditionalGenerator(num_classes, latent_dim, height, channels, width),
                ConditionalDiscriminator(num_classes, height, channels, width, norm))
    raise ValueError(f"unknown model {model!r}: choose one of {MODELS}")


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """What a model needs from a run, resolved from its configuration (see model_spec)."""

    name: str
    conditional: bool  # G and D also take class labels
    points: bool  # it makes 2-D points (the toy sets), not images
    output: str  # the generator's last activation: "tanh" (data in [-1, 1]) or "sigmoid"
    discriminator_norm: str  # "batch", "none" or "spectral"
    image_sizes: tuple = ()  # the image sides it builds for; () = any
    default_steps: int = DEFAULT_STEPS
    kind: str = "gan"  # how it trains: "gan" (gan_step, G against D) or "vae" (vae_step)

    @property
    def output_range(self):
        """The value range of generated (and of the scaled real) samples."""
        return (0.0, 1.0) if self.output == "sigmoid" else (-1.0, 1.0)

    def fitting_image_size(self, side):
        """The image size to resize data of this side to: None when it fits as it is,
        else the smallest size the model builds for that holds it."""
        if not self.image_sizes or side in self.image_sizes:
            return None
        return min((size for size in self.image_sizes if size >= side),
                   default=max(self.image_sizes))

    def build(self, sample_shape, latent_dim=100, width=64, num_classes=0):
        """(generator, discriminator) for the data's sample shape; a VAE's (decoder, encoder)."""
        return build(self.name, sample_shape, latent_dim, width, self.discriminator_norm,
                     self.output, num_classes)


def discriminator_norm(norm="auto", loss="non_saturating", gp_weight=0.0):
    """The discriminator's normalisation; "auto" picks spectral norm for the hinge loss, none
    for a critic (a per-sample gradient penalty means nothing through batch statistics) and
    batch norm otherwise."""
    if norm != "auto":
        return norm
    if loss == "hinge":
        return "spectral"
    if gp_weight > 0 or loss == "wasserstein":
        return "none"
    return "batch"


def model_spec(config_or_name):
    """The ModelSpec of a TrainConfig (or of a model name, with the default settings)."""
    if isinstance(config_or_name, str):
        name, output, norm = config_or_name, "tanh", discriminator_norm()
    else:
        config = config_or_name
        name, output = config.model, config.output
        norm = discriminator_norm(config.norm, config.loss, config.gp_weight)
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}: choose one of {MODELS}")
    return ModelSpec(name=name, conditional=name == "cdcgan", points=name == "toy",
                     output=output if name == "mlp" else "tanh", discriminator_norm=norm,
                     image_sizes=tuple(DCGAN_START) if name in ("dcgan", "cdcgan", "vae")
                     else (), kind="vae" if name == "vae" else "gan")
