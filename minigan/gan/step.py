"""One GAN training step on one screen: n_critic discriminator updates, then one generator
update. The Trainer calls it once per step; tutorial 10 writes the same loop by hand.

The numbers it logs are computed where the networks live and gathered into one array, which
crosses to the host once per step: on a GPU every transfer waits for the queued work.
"""

from ..functional import concatenate, stack
from ..nn.layers import _BatchNorm
from ..nn.utils import total_norm
from ..creation import randn
from ..tensor import no_grad
from . import losses

LOGISTIC_LOSSES = ("minimax", "non_saturating")


def gan_step(generator, discriminator, opt_g, opt_d, batches, *, loss="non_saturating",
             n_critic=1, gp_weight=0.0, r1_weight=0.0, latent_dim=100, conditional=False):
    """Train D `n_critic` times, each on a fresh (real, labels) batch drawn from the iterator
    `batches`, then G once; returns {name: float} of the step: the losses, D(x), D(G(z)), the
    penalties used, the gradient norms. A conditional G and D also take the labels."""
    G, D = generator, discriminator
    for _ in range(n_critic):
        real, labels = next(batches)  # (N, C, H, W), (N,)
        labels = labels if conditional else None
        z = randn(real.shape[0], latent_dim, backend=real.backend)  # (N, latent_dim)
        if n_critic == 1:
            fake = _call(G, z, labels)  # kept, with its graph, for the generator's update
            fake_input = fake.detach()  # D's loss stops at the image
        else:
            with no_grad():
                fake_input = _call(G, z, labels)
        real_logits, fake_logits = _real_and_fake_logits(D, real, fake_input, labels)  # (N,)
        d_loss = losses.d_loss(loss, real_logits, fake_logits)
        critic = lambda x: _call(D, x, labels)  # noqa: E731  (D at these labels)
        penalties = {}
        if gp_weight > 0:  # WGAN-GP: (||grad critic(x_hat)|| - 1)^2
            penalties["gradient_penalty"] = losses.gradient_penalty(critic, real, fake_input)
            d_loss = d_loss + gp_weight * penalties["gradient_penalty"]
        if r1_weight > 0:  # R1: gamma / 2 ||grad D(x)||^2 on real data
            penalties["r1_penalty"] = losses.r1_penalty(critic, real)
            d_loss = d_loss + 0.5 * r1_weight * penalties["r1_penalty"]
        opt_d.zero_grad()
        d_loss.backward()
        grad_norm_d = total_norm(p.grad for p in D.parameters())
        opt_d.step()
    if n_critic > 1:  # the critic's fakes were made without a graph: make G's own
        fake = _call(G, randn(real.shape[0], latent_dim, backend=real.backend), labels)
    D.requires_grad_(False)  # G's update needs D's input gradient only, not its weights'
    try:
        g_loss = losses.g_loss(loss, _call(D, fake, labels))
        opt_g.zero_grad()
        g_loss.backward()
    finally:
        D.requires_grad_(True)
    grad_norm_g = total_norm(p.grad for p in G.parameters())
    opt_g.step()
    return to_host({"d_loss": d_loss, "g_loss": g_loss,
                    "d_real": _score(loss, real_logits), "d_fake": _score(loss, fake_logits),
                    **penalties, "grad_norm_d": grad_norm_d, "grad_norm_g": grad_norm_g})


def _call(network, x, labels):
    return network(x) if labels is None else network(x, labels)


def _real_and_fake_logits(D, real, fake, labels):
    """D's logits of the real and of the fake images: one call on both together when D keeps
    no batch statistics (the same logits, half the calls), else one call each, as DCGAN's
    batch norm needs (each batch normalised by its own statistics)."""
    if any(isinstance(module, _BatchNorm) for module in D.modules()):
        return _call(D, real, labels), _call(D, fake, labels)
    both = concatenate([real, fake])  # (2N, C, H, W)
    logits = _call(D, both, None if labels is None else concatenate([labels, labels]))  # (2N,)
    return logits[:real.shape[0]], logits[real.shape[0]:]


def _score(loss, logits):
    """D(x) as the literature plots it: a probability for the logistic losses, the raw critic
    score otherwise."""
    return (logits.sigmoid() if loss in LOGISTIC_LOSSES else logits).mean()


def to_host(scalars):
    """{name: 0-d Tensor} -> {name: float}, with one transfer to the host for all of them."""
    with no_grad():
        values = stack([value.detach().astype("float64") for value in scalars.values()])
    return dict(zip(scalars, (float(value) for value in values.numpy())))
