"""The variational autoencoder (Kingma & Welling, 2014), GAN's classic rival, trained by the
same backpropagation: an encoder maps an image x to a Gaussian q(z | x) = N(mu, sigma^2), a
decoder maps z back to an image, and both maximise the evidence lower bound

    ELBO(x) = E_q[log p(x | z)] - KL(q(z | x) || N(0, I)).

The expectation is estimated with one z = mu + sigma * e, e ~ N(0, I) (the reparameterisation
trick: the randomness moves into e, so z is differentiable in mu and sigma), and the KL
divergence of two Gaussians has a closed form. The networks are models.VAEEncoder and, as the
decoder, the DCGAN generator, so a VAE samples (decoder on z ~ N(0, I)), is evaluated and
restores images exactly as a GAN does.
"""

from ..creation import randn
from ..functional import binary_cross_entropy
from ..nn.utils import total_norm
from .step import to_host


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
    (images, labels) batch of the iterator `batches`; returns {name: float} to log: the
    negative ELBO, its two terms and the gradient norm."""
    real, _ = next(batches)  # (N, C, H, W)
    noise = randn(real.shape[0], decoder.latent_dim, dtype=real.dtype, backend=real.backend)
    loss, reconstruction, kl = elbo_loss(encoder, decoder, real, noise, kl_weight)
    optimizer.zero_grad()
    loss.backward()
    grad_norm = total_norm(p.grad for module in (decoder, encoder) for p in module.parameters())
    optimizer.step()
    return to_host({"loss": loss, "reconstruction": reconstruction, "kl": kl,
                    "grad_norm": grad_norm})
