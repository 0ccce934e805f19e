"""GAN losses on the discriminator's logits, and the gradient penalties.

Each loss has a discriminator side, `d_loss(real_logits, fake_logits)`, which the
discriminator minimises, and a generator side, `g_loss(fake_logits)`, which the generator
minimises. With D(x) = sigmoid(logit):

    minimax         d: -log D(x) - log(1 - D(G(z)))        g: log(1 - D(G(z)))     (saturates)
    non_saturating  d: as minimax                          g: -log D(G(z))
    wasserstein     d: mean f(G(z)) - mean f(x)            g: -mean f(G(z))        (f: critic)
    hinge           d: relu(1 - f(x)) + relu(1 + f(G(z)))  g: -mean f(G(z))
    least_squares   d: (f(x) - 1)^2/2 + f(G(z))^2/2       g: (f(G(z)) - 1)^2/2

On logits, log D(x) = log_sigmoid(logit) and log(1 - D(x)) = log_sigmoid(-logit), both
stable for any logit; nothing here ever takes the log of a probability.
"""

from .. import functional as F
from ..creation import rand
from ..tensor import grad


def _minimax_d(real, fake):
    # -[log D(x) + log(1 - D(G(z)))]
    return -(F.log_sigmoid(real).mean() + F.log_sigmoid(-fake).mean())


def _minimax_g(fake):
    # log(1 - D(G(z))): its gradient vanishes when D confidently rejects the fakes
    return F.log_sigmoid(-fake).mean()


def _non_saturating_g(fake):
    # -log D(G(z)): the same fixed point, strong gradients early in training
    return -F.log_sigmoid(fake).mean()


def _wasserstein_d(real, fake):
    return fake.mean() - real.mean()


def _wasserstein_g(fake):
    return -fake.mean()


def _hinge_d(real, fake):
    return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()


def _least_squares_d(real, fake):
    return 0.5 * ((real - 1.0) ** 2).mean() + 0.5 * (fake ** 2).mean()


def _least_squares_g(fake):
    return 0.5 * ((fake - 1.0) ** 2).mean()


LOSSES = {
    "minimax": (_minimax_d, _minimax_g),
    "non_saturating": (_minimax_d, _non_saturating_g),
    "wasserstein": (_wasserstein_d, _wasserstein_g),
    "hinge": (_hinge_d, _wasserstein_g),
    "least_squares": (_least_squares_d, _least_squares_g),
}


def d_loss(name, real_logits, fake_logits):
    """The discriminator's loss `name` (see LOSSES) on its logits for real and fake batches."""
    return _lookup(name)[0](real_logits, fake_logits)


def g_loss(name, fake_logits):
    """The generator's loss `name` on the discriminator's logits for its fakes."""
    return _lookup(name)[1](fake_logits)


def _lookup(name):
    try:
        return LOSSES[name.replace("-", "_")]
    except KeyError:
        raise ValueError(f"unknown GAN loss {name!r}: choose one of {sorted(LOSSES)}") from None


def _per_sample_sq_norm(gradient):
    return (gradient * gradient).reshape(gradient.shape[0], -1).sum(axis=1)


def gradient_penalty(critic, real, fake):
    """WGAN-GP's penalty (Gulrajani et al., 2017): mean over the batch of
    (||d critic(x_hat) / d x_hat|| - 1)^2 at x_hat = a real + (1 - a) fake, a ~ U(0, 1) per sample.

    The gradient is taken with create_graph=True, so the penalty's own backward differentiates
    through that gradient: a second derivative through every layer of the critic.
    """
    alpha = rand(real.shape[0], *([1] * (real.ndim - 1)), dtype=real.dtype, backend=real.backend)
    x_hat = (alpha * real.detach() + (1.0 - alpha) * fake.detach()).requires_grad_()
    (gradient,) = grad(critic(x_hat).sum(), [x_hat], create_graph=True)
    norm = (_per_sample_sq_norm(gradient) + 1e-12).sqrt()
    return ((norm - 1.0) ** 2).mean()


def r1_penalty(discriminator, real):
    """R1 (Mescheder et al., 2018): mean over real samples of ||d D(x) / d x||^2. The usual
    loss term is gamma / 2 times this."""
    x = real.detach().requires_grad_()
    (gradient,) = grad(discriminator(x).sum(), [x], create_graph=True)
    return _per_sample_sq_norm(gradient).mean()
