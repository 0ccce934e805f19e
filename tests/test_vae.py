"""The VAE: its KL term and ELBO checked like every op (gradcheck, gradgradcheck, PyTorch),
its shapes, and one ELBO update."""

import numpy as np
import pytest
from support import assert_close, host, needs_torch, torch

import minigan as mg
from minigan.gan import models, vae
from minigan.optim import Adam


def _mu_logvar(seed=0, shape=(3, 4)):
    rng = np.random.default_rng(seed)
    return rng.normal(0, 1, shape), rng.uniform(-1.5, 1.5, shape)


def test_kl_gradcheck_and_gradgradcheck():
    mu, logvar = (mg.tensor(a, dtype="float64", requires_grad=True) for a in _mu_logvar())
    assert mg.gradcheck(vae.kl_to_standard_normal, [mu, logvar])
    assert mg.gradgradcheck(vae.kl_to_standard_normal, [mu, logvar])


@needs_torch
def test_kl_matches_torch_distributions_with_gradients_and_second_derivatives():
    mu_np, logvar_np = _mu_logvar(1)
    mu, logvar = (mg.tensor(a, dtype="float64", requires_grad=True) for a in (mu_np, logvar_np))
    t_mu, t_logvar = (torch.tensor(a, requires_grad=True) for a in (mu_np, logvar_np))
    Normal = torch.distributions.Normal
    expected = torch.distributions.kl_divergence(
        Normal(t_mu, (0.5 * t_logvar).exp()), Normal(torch.zeros_like(t_mu), 1.0)).sum(1)
    ours = vae.kl_to_standard_normal(mu, logvar)
    assert_close(ours.numpy(), host(expected), 1e-12, "KL")
    weights = np.linspace(0.5, 1.5, 3)  # a weighted sum, so every row's gradient differs
    g_ours = mg.grad((ours * mg.tensor(weights)).sum(), [mu, logvar], create_graph=True)
    g_torch = torch.autograd.grad((expected * torch.tensor(weights)).sum(), [t_mu, t_logvar],
                                  create_graph=True)
    for a, b in zip(g_ours, g_torch):
        assert_close(a.numpy(), host(b), 1e-12, "KL gradient")
    # second derivatives: the gradient of sum(d KL / d logvar * v)
    v = np.random.default_rng(2).normal(size=mu_np.shape)
    (gg_ours,) = mg.grad((g_ours[1] * mg.tensor(v)).sum(), [logvar])
    (gg_torch,) = torch.autograd.grad((g_torch[1] * torch.tensor(v)).sum(), [t_logvar])
    assert_close(gg_ours.numpy(), host(gg_torch), 1e-12, "KL second derivative")


@needs_torch
def test_reconstruction_loss_matches_torch_bce_summed_over_pixels():
    rng = np.random.default_rng(3)
    output, target = rng.uniform(-0.9, 0.9, (2, 1, 3, 3)), rng.uniform(-1, 1, (2, 1, 3, 3))
    ours = vae.reconstruction_loss(mg.tensor(output, dtype="float64"),
                                   mg.tensor(target, dtype="float64"))
    expected = torch.nn.functional.binary_cross_entropy(
        (torch.tensor(output) + 1) / 2, (torch.tensor(target) + 1) / 2,
        reduction="none").sum((1, 2, 3))
    assert_close(ours.numpy(), host(expected), 1e-12, "reconstruction")


def _tiny_vae():
    """A 28x28 VAE of width 2 and 2 latent dimensions, in float64."""
    mg.manual_seed(0)
    decoder, encoder = models.build("vae", (1, 28, 28), latent_dim=2, width=2)
    return decoder.double(), encoder.double()


def _elbo_inputs(decoder, encoder):
    rng = np.random.default_rng(4)
    x = mg.tensor(rng.uniform(-1, 1, (2, 1, 28, 28)), dtype="float64")
    noise = mg.tensor(rng.normal(size=(2, 2)), dtype="float64", requires_grad=True)
    # a few parameters from the encoder's heads and the decoder's output layer: every one of
    # their gradients runs through the whole ELBO (decoder, reparameterisation, encoder, KL)
    last_conv = decoder.main[-2]
    return x, noise, [encoder.mu.bias, encoder.logvar.bias, last_conv.bias]


def test_elbo_gradcheck_and_gradgradcheck_on_a_tiny_vae():
    decoder, encoder = _tiny_vae()
    x, noise, parameters = _elbo_inputs(decoder, encoder)

    def negative_elbo(noise, *parameters):
        return vae.elbo_loss(encoder, decoder, x, noise, kl_weight=0.5)[0]

    assert mg.gradcheck(negative_elbo, [noise, *parameters])
    assert mg.gradgradcheck(negative_elbo, [noise, *parameters])


def test_shapes_and_that_the_decoder_is_the_dcgan_generator():
    decoder, encoder = models.build("vae", (3, 32, 32), latent_dim=8, width=4)
    assert isinstance(decoder, models.DCGANGenerator)
    mu, logvar = encoder(mg.randn(5, 3, 32, 32))
    assert mu.shape == logvar.shape == (5, 8)
    assert decoder(mu).shape == (5, 3, 32, 32)
    with pytest.raises(ValueError, match="square images"):
        models.build("vae", (1, 28, 20))


def test_vae_steps_lower_the_negative_elbo_on_a_fixed_batch():
    decoder, encoder = models.build("vae", (1, 28, 28), latent_dim=4, width=4)
    digits = mg.data.load("mnist5k").images[:8]  # (8, 1, 28, 28) uint8
    images = mg.tensor(digits.astype(np.float32) / 127.5 - 1)
    batches = iter([(images, None)] * 30)
    optimizer = Adam([*decoder.parameters(), *encoder.parameters()], lr=1e-2)
    rows = [vae.vae_step(decoder, encoder, optimizer, batches) for _ in range(30)]
    assert set(rows[0]) >= {"loss", "reconstruction", "kl", "grad_norm"}
    assert all(np.isfinite(row["loss"]) for row in rows)
    first, last = np.mean([r["loss"] for r in rows[:5]]), np.mean([r["loss"] for r in rows[-5:]])
    assert last < 0.85 * first, (first, last)


# -- trained, sampled, evaluated and used for restoration from the command lines --------------
TINY_VAE = ["--model", "vae", "--batch-size", "8", "--width", "4", "--latent-dim", "8",
            "--sample-every", "2", "--checkpoint-every", "2", "--no-progress"]


def _encoder_and_decoder_weights(trainer):
    return {**{f"D.{k}": v.numpy() for k, v in trainer.generator.state_dict().items()},
            **{f"E.{k}": v.numpy() for k, v in trainer.encoder.state_dict().items()}}


def test_the_trainer_trains_a_vae_and_resumes_it_exactly(tmp_path):
    from minigan.gan import TrainConfig, Trainer
    settings = dict(model="vae", batch_size=8, width=4, latent_dim=8, sample_every=2,
                    checkpoint_every=2, num_samples=8, lr_g=1e-3, lr_schedule="cosine")
    straight = Trainer(TrainConfig(steps=4, out=str(tmp_path / "a"), **settings))
    metrics = straight.run(progress=False)
    assert straight.discriminator is None and straight.opt_d is None
    assert {"loss", "reconstruction", "kl", "grad_norm", "lr_g"} <= set(metrics)
    first = Trainer(TrainConfig(steps=4, out=str(tmp_path / "b"), **settings))
    first.run(progress=False, until=2)
    resumed = Trainer.resume(str(tmp_path / "b"))
    resumed.run(progress=False)
    expected, actual = _encoder_and_decoder_weights(straight), \
        _encoder_and_decoder_weights(resumed)
    assert expected.keys() == actual.keys()
    for key in expected:
        np.testing.assert_array_equal(actual[key], expected[key], err_msg=key)
    assert (tmp_path / "a" / "losses.png").exists()


def test_vae_trains_samples_evaluates_and_restores_from_the_command_line(tmp_path, capsys):
    from minigan import sample, train
    from minigan.evaluate.report import main as evaluate
    from minigan.gan import load_run
    from minigan.restore.cli import main as restore
    run = str(tmp_path / "vae")
    assert train.main(TINY_VAE + ["--steps", "2", "--out", run]) == 0
    assert "the ELBO" in capsys.readouterr().out
    loaded = load_run(run)
    assert loaded.spec.kind == "vae" and loaded.discriminator is None
    assert loaded.generator(mg.randn(3, 8)).shape == (3, 1, 28, 28)
    assert sample.main(["--run", run, "--n", "16", "--out", str(tmp_path / "grid.png")]) == 0
    assert evaluate(["--run", run, "--n", "16"]) == 0
    assert "generated" in capsys.readouterr().out
    import cv2
    cv2.imwrite(str(tmp_path / "digit.png"), np.zeros((14, 14), np.uint8))
    assert restore(["--run", run, "--input", str(tmp_path / "digit.png"), "--degrade",
                    "downsample", "--out", str(tmp_path / "big.png"), "--steps", "2"]) == 0
    assert restore(["--run", run, "--input", str(tmp_path / "digit.png"), "--degrade",
                    "downsample", "--out", str(tmp_path / "big.png"), "--perceptual", "1"]) == 2
    assert "has none (a VAE)" in capsys.readouterr().err


def test_model_spec_of_the_vae():
    spec = models.model_spec("vae")
    assert spec.kind == "vae" and not spec.conditional and spec.output_range == (-1.0, 1.0)
    assert spec.fitting_image_size(25) == 28 and models.model_spec("dcgan").kind == "gan"
