"""The variational autoencoder (Kingma & Welling, 2014), GAN's classic rival, trained by the
same backpropagation: an encoder maps an image x to a Gaussian q(z | x) = N(mu, sigma^2), a
decoder maps z back to an image, and both maximise the evidence lower bound

    ELBO(x) = E_q[log p(x | z)] - KL(q(z | x) || N(0, I)).

The expectation is estimated with one z = mu + sigma * e, e ~ N(0, I) (the reparameterisation
trick: the randomness moves into e, so z is differentiable in mu and sigma), and the KL
divergence of two Gaussians has a closed form. The decoder is the DCGAN generator, so a VAE
samples (decoder on z ~ N(0, I)), is evaluated and restores images exactly as a GAN does.
"""

import time

from .. import nn
from ..functional import binary_cross_entropy, stack
from ..nn.utils import get_total_norm
from ..tensor import no_grad, randn
from .models import DCGANGenerator, _upsampling_stages, dcgan_init_


class VAEEncoder(nn.Module):
    """images (N, C, S, S) -> (mu, logvar), each (N, latent_dim): the DCGAN discriminator's
    convolutions, then two linear heads.

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


def build_vae(sample_shape, latent_dim=100, width=64):
    """(decoder, encoder) for images of `sample_shape` (C, S, S), S in 28, 32, 64."""
    if len(sample_shape) != 3 or sample_shape[1] != sample_shape[2]:
        raise ValueError(f"the VAE needs square images, but the data's samples have shape "
                         f"{tuple(sample_shape)}; pass --image-size to resize")
    channels, size, _ = sample_shape
    return (DCGANGenerator(latent_dim, size, channels, width),
            VAEEncoder(latent_dim, size, channels, width))


def kl_to_standard_normal(mu, logvar):
    """KL(N(mu, exp(logvar)) || N(0, I)) of each row (N, d) -> (N,), in closed form."""
    # KL = 1/2 sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2)
    return 0.5 * (mu * mu + logvar.exp() - 1.0 - logvar).sum(axis=1)


def reparameterize(mu, logvar, noise):
    """z = mu + sigma * e: a sample of N(mu, sigma^2) that is differentiable in mu and logvar."""
    return mu + (0.5 * logvar).exp() * noise


def reconstruction_loss(reconstruction, x):
    """-log p(x | z) of each image (N,): the Bernoulli likelihood of the pixels (binary
    cross-entropy summed over them), images in [-1, 1] mapped to probabilities in [0, 1]."""
    per_pixel = binary_cross_entropy((reconstruction + 1.0) * 0.5, (x + 1.0) * 0.5,
                                     reduction="none")
    return per_pixel.reshape(x.shape[0], -1).sum(axis=1)


def elbo_loss(encoder, decoder, x, noise, kl_weight=1.0):
    """(loss, reconstruction, kl): the negative ELBO of a batch x (N, C, H, W) and its two
    terms, each the mean over the batch; `noise` (N, latent_dim) is the e of z = mu + sigma e."""
    mu, logvar = encoder(x)  # (N, d), (N, d)
    reconstruction = reconstruction_loss(decoder(reparameterize(mu, logvar, noise)), x).mean()
    kl = kl_to_standard_normal(mu, logvar).mean()
    return reconstruction + kl_weight * kl, reconstruction, kl


def vae_step(decoder, encoder, optimizer, batches, kl_weight=1.0):
    """One ELBO update of the encoder and decoder (one optimizer over both) on the next
    (images, labels) batch of the iterator `batches`; returns {name: float} to log."""
    started = time.perf_counter()
    real, _ = next(batches)  # (N, C, H, W)
    noise = randn(real.shape[0], decoder.latent_dim, dtype=real.dtype, backend=real.backend)
    loss, reconstruction, kl = elbo_loss(encoder, decoder, real, noise, kl_weight)
    optimizer.zero_grad()
    loss.backward()
    parameters = [*decoder.parameters(), *encoder.parameters()]
    grad_norm = get_total_norm([p.grad for p in parameters])
    optimizer.step()
    with no_grad():  # one transfer to the host for the three numbers
        values = stack([loss.detach(), reconstruction.detach(), kl.detach()]).numpy()
    return {"loss": float(values[0]), "reconstruction": float(values[1]),
            "kl": float(values[2]), "grad_norm": grad_norm,
            "step_time": time.perf_counter() - started}
