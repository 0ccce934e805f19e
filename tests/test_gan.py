"""GAN losses and penalties against PyTorch, the model zoo's shapes, what model_spec knows
about each model, and the training step (gan_step)."""

import numpy as np
import pytest
from support import assert_close, host, needs_torch, torch

import minigan as mg
from minigan import nn
from minigan import backend
from minigan.data import DataLoader, mnist5k
from minigan.gan import TrainConfig, gan_step, losses, model_spec, models
from minigan.gan.step import _real_and_fake_logits
from minigan.optim import Adam
from minigan.tensor import Tensor

LOSS_NAMES = sorted(losses.LOSSES)


def torch_losses(name, real, fake):
    """The same objectives written independently with torch's BCE-with-logits etc."""
    TF = torch.nn.functional
    ones, zeros = torch.ones_like(real), torch.zeros_like(fake)
    if name in ("minimax", "non_saturating"):
        d = TF.binary_cross_entropy_with_logits(real, ones) + \
            TF.binary_cross_entropy_with_logits(fake, zeros)
        if name == "minimax":
            g = -TF.binary_cross_entropy_with_logits(fake, zeros)  # = mean log(1 - D(G(z)))
        else:
            g = TF.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))
    elif name == "wasserstein":
        d, g = fake.mean() - real.mean(), -fake.mean()
    elif name == "hinge":
        d, g = TF.relu(1 - real).mean() + TF.relu(1 + fake).mean(), -fake.mean()
    else:
        d = 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake ** 2).mean()
        g = 0.5 * ((fake - 1) ** 2).mean()
    return d, g


@needs_torch
@pytest.mark.parametrize("name", LOSS_NAMES)
def test_losses_and_their_gradients_match_torch(name):
    rng = np.random.default_rng(0)
    real_np, fake_np = rng.normal(0, 3, 16), rng.normal(0, 3, 16)
    real, fake = mg.tensor(real_np, requires_grad=True), mg.tensor(fake_np, requires_grad=True)
    t_real = torch.tensor(real_np, requires_grad=True)
    t_fake = torch.tensor(fake_np, requires_grad=True)
    d, g = losses.d_loss(name, real, fake), losses.g_loss(name, fake)
    t_d, t_g = torch_losses(name, t_real, t_fake)
    assert_close(d.numpy(), host(t_d), 1e-12, "d_loss")
    assert_close(g.numpy(), host(t_g), 1e-12, "g_loss")
    ours = mg.grad(d + g, [real, fake])
    theirs = torch.autograd.grad(t_d + t_g, [t_real, t_fake])
    for a, b in zip(ours, theirs):
        assert_close(a.numpy(), host(b), 1e-12, "gradient")


def test_saturating_loss_vanishes_where_non_saturating_does_not():
    """When D rejects the fakes (logit -8), log(1 - D) has almost no gradient; -log D has."""
    fake = mg.tensor([-8.0], dtype="float64", requires_grad=True)
    (saturating,) = mg.grad(losses.g_loss("minimax", fake), [fake])
    (non_saturating,) = mg.grad(losses.g_loss("non_saturating", fake), [fake])
    assert abs(saturating.item()) < 1e-3 < 0.99 < abs(non_saturating.item())


def test_unknown_loss():
    with pytest.raises(ValueError, match="unknown GAN loss 'kl'"):
        losses.d_loss("kl", mg.zeros(2), mg.zeros(2))


def _critic_pair():
    """A small conv critic in minigan and the same one in torch (no batch norm)."""
    ours = nn.Sequential(nn.Conv2d(1, 4, 3, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(4, 4, 3, 2, 1),
                         nn.ELU(), nn.Flatten(), nn.Linear(4 * 2 * 2, 1), nn.Flatten(0)).double()
    theirs = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, 2, 1), torch.nn.LeakyReLU(0.2), torch.nn.Conv2d(4, 4, 3, 2, 1),
        torch.nn.ELU(), torch.nn.Flatten(), torch.nn.Linear(4 * 2 * 2, 1),
        torch.nn.Flatten(0)).double()
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    return ours, theirs


@needs_torch
def test_gradient_penalty_and_its_gradient_match_torch():
    ours, theirs = _critic_pair()
    rng = np.random.default_rng(1)
    real_np, fake_np = rng.normal(size=(5, 1, 7, 7)), rng.normal(size=(5, 1, 7, 7))
    mg.manual_seed(3)
    penalty = losses.gradient_penalty(ours, mg.tensor(real_np), mg.tensor(fake_np))
    mg.manual_seed(3)  # the same alpha, drawn as gradient_penalty draws it
    alpha = torch.tensor(mg.rand(5, 1, 1, 1, dtype="float64").numpy())
    x_hat = (alpha * torch.tensor(real_np) + (1 - alpha) * torch.tensor(fake_np)).requires_grad_()
    (g,) = torch.autograd.grad(theirs(x_hat).sum(), x_hat, create_graph=True)
    expected = ((g.flatten(1).norm(dim=1) - 1) ** 2).mean()
    assert_close(penalty.numpy(), host(expected), 1e-9, "penalty")
    penalty.backward()
    expected.backward()
    _assert_same_gradients(ours, theirs, "penalty")


def _assert_same_gradients(ours, theirs, what):
    """Equal gradients; a parameter the penalty does not depend on (the last bias: it does not
    change d critic / d x) has none on either side."""
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        if q.grad is None:
            assert p.grad is None, f"d {what} / d {name} should not exist"
        else:
            assert_close(p.grad.numpy(), host(q.grad), 1e-8, f"d {what} / d {name}")


@needs_torch
def test_r1_penalty_matches_torch():
    ours, theirs = _critic_pair()
    real_np = np.random.default_rng(2).normal(size=(4, 1, 7, 7))
    penalty = losses.r1_penalty(ours, mg.tensor(real_np))
    x = torch.tensor(real_np, requires_grad=True)
    (g,) = torch.autograd.grad(theirs(x).sum(), x, create_graph=True)
    expected = (g.flatten(1) ** 2).sum(1).mean()
    assert_close(penalty.numpy(), host(expected), 1e-9, "r1")
    penalty.backward()
    expected.backward()
    _assert_same_gradients(ours, theirs, "r1")


@pytest.mark.parametrize("size", [28, 32, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_dcgan_shapes(size, channels):
    G = models.DCGANGenerator(16, size, channels, width=4)
    D = models.DCGANDiscriminator(size, channels, width=4)
    images = G(mg.randn(3, 16))
    assert images.shape == (3, channels, size, size)
    assert -1 <= images.numpy().min() and images.numpy().max() <= 1
    assert D(images).shape == (3,)


def test_dcgan_initialisation_follows_radford():
    G = models.DCGANGenerator(100, 28, 1, width=64)
    weights = np.concatenate([m.weight.numpy().ravel() for m in G.modules()
                              if isinstance(m, nn.ConvTranspose2d)])
    assert abs(weights.std() - 0.02) < 0.001 and abs(weights.mean()) < 0.001
    scales = np.concatenate([m.weight.numpy() for m in G.modules()
                             if isinstance(m, nn.BatchNorm2d)])
    assert abs(scales.mean() - 1) < 0.01


def test_critic_variants():
    plain = models.DCGANDiscriminator(28, 1, 4, norm="none")
    assert not any(isinstance(m, nn.BatchNorm2d) for m in plain.modules())
    spectral = models.DCGANDiscriminator(28, 1, 4, norm="spectral")
    names = [name for name, _ in spectral.named_parameters()]
    assert any(name.endswith("weight_orig") for name in names)
    assert spectral(mg.randn(2, 1, 28, 28)).shape == (2,)
    with pytest.raises(ValueError, match="norm must be"):
        models.DCGANDiscriminator(28, 1, 4, norm="layer")


def test_conditional_models_use_the_label():
    G = models.ConditionalGenerator(10, 8, 28, 1, width=4)
    D = models.ConditionalDiscriminator(10, 28, 1, width=4)
    z = mg.randn(4, 8)
    a = G(z, mg.tensor([0, 1, 2, 3])).numpy()
    b = G(z, mg.tensor([5, 6, 7, 8])).numpy()
    assert a.shape == (4, 1, 28, 28) and not np.allclose(a, b)
    assert D(mg.tensor(a), mg.tensor([0, 1, 2, 3])).shape == (4,)


@pytest.mark.parametrize("output", ["tanh", "sigmoid"])
def test_mlp_models(output):
    G = models.MLPGenerator(8, (1, 5, 5), hidden=(16,), output=output)
    images = G(mg.randn(3, 8)).numpy()
    assert images.shape == (3, 1, 5, 5)
    assert images.min() >= (-1 if output == "tanh" else 0) and images.max() <= 1
    assert models.MLPDiscriminator((1, 5, 5), hidden=(16,))(mg.tensor(images)).shape == (3,)


def test_build_rejects_mismatches():
    with pytest.raises(ValueError, match="DCGAN supports image sizes"):
        models.build("dcgan", (1, 25, 25))
    with pytest.raises(ValueError, match="toy model is for 2-D points"):
        models.build("toy", (1, 28, 28))
    with pytest.raises(ValueError, match="needs labelled data"):
        models.build("cdcgan", (1, 28, 28), num_classes=0)
    with pytest.raises(ValueError, match="unknown model"):
        models.build("diffusion", (1, 28, 28))  # "vae" became a model (issue 18)


# -- model_spec: one place that knows a model's needs -----------------------------------------
@pytest.mark.parametrize("settings, norm", [
    (dict(), "batch"), (dict(loss="hinge"), "spectral"), (dict(loss="wasserstein"), "none"),
    (dict(gp_weight=10.0), "none"), (dict(loss="hinge", norm="batch"), "batch")])
def test_model_spec_picks_the_discriminator_norm(settings, norm):
    assert model_spec(TrainConfig(**settings)).discriminator_norm == norm


def test_model_spec_knows_labels_ranges_and_sizes():
    assert model_spec("cdcgan").conditional and not model_spec("dcgan").conditional
    assert model_spec("toy").points and not model_spec("mlp").points
    assert model_spec(TrainConfig(model="mlp", output="sigmoid")).output_range == (0.0, 1.0)
    assert model_spec(TrainConfig(model="dcgan", output="sigmoid")).output_range == (-1.0, 1.0)
    dcgan = model_spec("dcgan")
    assert [dcgan.fitting_image_size(side) for side in (28, 30, 32, 50, 100)] == \
        [None, 32, None, 64, 64]
    assert model_spec("mlp").fitting_image_size(37) is None
    assert dcgan.default_steps == models.DEFAULT_STEPS == 1500
    with pytest.raises(ValueError, match="unknown model"):
        model_spec("diffusion")  # "vae" became a model (issue 18)


def test_model_spec_builds_what_it_describes():
    G, D = model_spec(TrainConfig(loss="hinge")).build((1, 28, 28), latent_dim=8, width=4)
    assert any(name.endswith("weight_orig") for name, _ in D.named_parameters())
    assert G(mg.randn(2, 8)).shape == (2, 1, 28, 28)


# -- gan_step: the algorithm on one screen ----------------------------------------------------
def _step_setup(model="dcgan", loss="non_saturating", gp_weight=0.0):
    mg.manual_seed(0)
    spec = model_spec(TrainConfig(model=model, loss=loss, gp_weight=gp_weight))
    G, D = spec.build((1, 28, 28), latent_dim=8, width=4, num_classes=10)
    batches = iter(DataLoader(mnist5k(), batch_size=8, seed=0))
    return G, D, Adam(G.parameters()), Adam(D.parameters()), batches, spec.conditional


@pytest.mark.parametrize("settings", [
    dict(), dict(loss="hinge"), dict(model="cdcgan", loss="wasserstein", gp_weight=10.0,
                                     r1_weight=1.0, n_critic=2)],
    ids=["dcgan", "dcgan-spectral-hinge", "cdcgan-gp-r1-ncritic2"])
def test_gan_step_moves_its_numbers_to_the_host_once(settings, monkeypatch):
    model, loss = settings.pop("model", "dcgan"), settings.get("loss", "non_saturating")
    G, D, opt_g, opt_d, batches, conditional = _step_setup(model, loss,
                                                           settings.get("gp_weight", 0.0))
    transfers = []
    device = backend.get("numpy")
    to_host, item = device.to_host, Tensor.item
    monkeypatch.setattr(device, "to_host", lambda a: transfers.append(1) or to_host(a))
    monkeypatch.setattr(Tensor, "item", lambda t: transfers.append(1) or item(t))
    first = {net: [p.numpy().copy() for p in net.parameters()] for net in (G, D)}
    transfers.clear()
    logged = gan_step(G, D, opt_g, opt_d, batches, latent_dim=8, conditional=conditional,
                      **settings)
    assert len(transfers) == 1
    assert all(type(value) is float and np.isfinite(value) for value in logged.values())
    assert {"d_loss", "g_loss", "d_real", "d_fake", "grad_norm_d", "grad_norm_g"} <= set(logged)
    assert ("gradient_penalty" in logged) == ("r1_penalty" in logged) == ("gp_weight" in settings)
    for net, before in first.items():  # both networks learn
        assert any(not np.array_equal(a, p.numpy()) for a, p in zip(before, net.parameters()))


@pytest.mark.parametrize("model, loss, d_calls", [
    ("dcgan", "non_saturating", 3), ("dcgan", "hinge", 2), ("cdcgan", "hinge", 2)])
def test_gan_step_scores_real_and_fake_in_one_call_when_d_keeps_no_batch_statistics(
        model, loss, d_calls, monkeypatch):
    """DCGAN's batch-norm D scores the real and the fake batch one call each (each normalised
    by its own statistics); a D without batch norm (here spectral) scores both in one call,
    with the logits of separate calls."""
    G, D, opt_g, opt_d, batches, conditional = _step_setup(model, loss)
    calls, forward = [], type(D).forward
    monkeypatch.setattr(type(D), "forward", lambda self, *a: calls.append(1) or forward(self, *a))
    gan_step(G, D, opt_g, opt_d, batches, loss=loss, latent_dim=8, conditional=conditional)
    assert len(calls) == d_calls  # the D update's calls, then the G update's one
    if d_calls == 2:
        D.eval()  # no power iteration between the calls compared
        real, labels = next(batches)
        labels = labels if conditional else None
        fake = G(mg.randn(8, 8), labels) if conditional else G(mg.randn(8, 8))
        together = _real_and_fake_logits(D, real, fake, labels)
        apart = [D(x, labels) if conditional else D(x) for x in (real, fake)]
        for one, other in zip(together, apart):
            np.testing.assert_allclose(one.numpy(), other.numpy(), rtol=1e-5, atol=1e-6)
