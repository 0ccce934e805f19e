"""Restoration by GAN inversion: the damage's forward models against PyTorch and OpenCV, the
command line's errors, and the done-when check: a short DCGAN run restores masked digits with
a lower error inside the hole than OpenCV's inpainting."""

import cv2
import numpy as np
import pytest
from support import assert_close, host, needs_torch, torch

import minigan as mg
from minigan.gan import TrainConfig, Trainer, load_run
from minigan.restore import Degradation, gaussian_kernel, restore
from minigan.restore.cli import main
from minigan.restore.compare import hole_mse, square_holes, telea_inpaint


# -- the forward models of the damage ---------------------------------------------------------
def test_gaussian_kernel_is_opencvs():
    line = cv2.getGaussianKernel(5, 1.5, cv2.CV_64F)
    assert_close(gaussian_kernel(5, 1.5), line @ line.T, 1e-12, "kernel")


@needs_torch
@pytest.mark.parametrize("channels", [1, 3])
def test_blur_is_a_border_renormalised_gaussian_convolution(channels):
    x = np.random.default_rng(0).uniform(-1, 1, (2, channels, 9, 9))
    ours = Degradation("blur", sigma=1.2, kernel_size=5).forward(mg.tensor(x)).numpy()
    kernel = torch.tensor(gaussian_kernel(5, 1.2))[None, None]
    planes = torch.tensor(x).reshape(-1, 1, 9, 9)
    blurred = torch.nn.functional.conv2d(planes, kernel, padding=2)
    coverage = torch.nn.functional.conv2d(torch.ones(1, 1, 9, 9, dtype=torch.float64), kernel,
                                          padding=2)
    assert_close(ours, host(blurred / coverage).reshape(x.shape), 1e-12, "blur")
    flat = np.full((1, channels, 9, 9), 0.3)  # a flat image stays flat, borders included
    assert_close(Degradation("blur").forward(mg.tensor(flat)).numpy(), flat, 1e-12, "flat")


@needs_torch
def test_downsample_is_average_pooling():
    x = np.random.default_rng(1).uniform(-1, 1, (2, 3, 8, 8))
    ours = Degradation("downsample", factor=4).forward(mg.tensor(x)).numpy()
    assert ours.shape == (2, 3, 2, 2)
    assert_close(ours, host(torch.nn.functional.avg_pool2d(torch.tensor(x), 4)), 1e-12, "pool")


def test_noise_model_is_the_identity_and_apply_adds_noise_of_its_sigma():
    x = np.zeros((4, 1, 28, 28), np.float32)
    damage = Degradation("noise", sigma=0.3)
    assert np.array_equal(damage.forward(mg.tensor(x)).numpy(), x)
    noisy = damage.apply(x, seed=0)
    assert abs(noisy.std() - 0.3) < 0.01 and abs(noisy.mean()) < 0.01
    assert np.array_equal(noisy, damage.apply(x, seed=0))


@pytest.mark.parametrize("mode", ["blur", "downsample"])
def test_forward_models_gradcheck_and_gradgradcheck(mode):
    x = mg.tensor(np.random.default_rng(2).uniform(-1, 1, (1, 2, 4, 4)), dtype="float64",
                  requires_grad=True)
    damage = Degradation(mode, kernel_size=3, factor=2)
    assert mg.gradcheck(damage.forward, [x])
    assert mg.gradgradcheck(damage.forward, [x])


def test_bad_degradation_parameters_are_clear_errors():
    with pytest.raises(ValueError, match="odd"):
        Degradation("blur", kernel_size=4)
    with pytest.raises(ValueError, match="factor"):
        Degradation("downsample", factor=1)
    with pytest.raises(ValueError, match="choose one of"):
        Degradation("rain")
    with pytest.raises(ValueError, match="does not divide"):
        Degradation("downsample", factor=3).check_clean_shape((1, 28, 28))


# -- the command line -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A DCGAN trained for one step: enough for the command line's plumbing."""
    folder = tmp_path_factory.mktemp("tiny") / "run"
    Trainer(TrainConfig(steps=1, batch_size=8, width=4, latent_dim=8, sample_every=1,
                        checkpoint_every=1, num_samples=4, out=str(folder))).run(progress=False)
    return folder


def _write(path, picture):
    cv2.imwrite(str(path), picture)
    return str(path)


def _digit_and_mask(folder, size=28, hole=(slice(8, 20), slice(8, 20)), mask_value=255):
    image = np.zeros((size, size), np.uint8)
    image[6:22, 12:16] = 255
    mask = np.zeros((size, size), np.uint8)
    mask[hole] = mask_value
    return _write(folder / "digit.png", image), _write(folder / "mask.png", mask)


def test_cli_inpaints_and_keeps_the_known_pixels(tiny_run, tmp_path):
    image, mask = _digit_and_mask(tmp_path, mask_value=200)  # grey > 50% counts as missing
    out = tmp_path / "out.png"
    assert main(["--run", str(tiny_run), "--input", image, "--mask", mask, "--out", str(out),
                 "--steps", "2", "--restarts", "2"]) == 0
    restored, original = cv2.imread(str(out), 0), cv2.imread(image, 0)
    known = cv2.imread(mask, 0) < 128
    assert restored.shape == (28, 28)
    assert np.array_equal(restored[known], original[known])


def test_cli_restores_colour_faces_of_a_colour_run(tmp_path):
    run = tmp_path / "faces"
    Trainer(TrainConfig(data="lfw-subset", channels=3, image_size=32, steps=1, batch_size=8,
                        width=4, latent_dim=8, sample_every=1, checkpoint_every=1,
                        num_samples=4, out=str(run))).run(progress=False)
    face = np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    mask = np.zeros((32, 32), np.uint8)
    mask[10:20, 10:20] = 255
    image, out = _write(tmp_path / "face.png", face), tmp_path / "out.png"
    assert main(["--run", str(run), "--input", image, "--mask", _write(tmp_path / "m.png", mask),
                 "--out", str(out), "--steps", "2", "--restarts", "2"]) == 0
    restored = cv2.imread(str(out), cv2.IMREAD_COLOR)
    assert restored.shape == (32, 32, 3)
    assert np.array_equal(restored[mask == 0], cv2.imread(image, cv2.IMREAD_COLOR)[mask == 0])


@pytest.mark.parametrize("mode, size", [("noise", 28), ("blur", 28), ("downsample", 14)])
def test_cli_degrade_modes_write_a_full_size_image(tiny_run, tmp_path, mode, size):
    image = _write(tmp_path / "small.png", np.full((size, size), 90, np.uint8))
    out = tmp_path / "out.png"
    assert main(["--run", str(tiny_run), "--input", image, "--degrade", mode, "--out",
                 str(out), "--steps", "2", "--restarts", "2"]) == 0
    assert cv2.imread(str(out), 0).shape == (28, 28)


@pytest.mark.parametrize("extra", [[], ["--degrade", "blur"], ["--degrade", "downsample"]])
def test_cli_perceptual_term_on_the_discriminators_features(tiny_run, tmp_path, extra):
    small = "downsample" in extra  # the image and mask are 14x14, upsampled for the features
    image, mask = _digit_and_mask(tmp_path, size=14 if small else 28,
                                  hole=(slice(2, 6), slice(2, 6)) if small else (slice(8, 20),) * 2)
    out = tmp_path / "out.png"
    assert main(["--run", str(tiny_run), "--input", image, "--mask", mask, "--out", str(out),
                 "--steps", "2", "--restarts", "2", "--perceptual", "0.5", *extra]) == 0
    assert cv2.imread(str(out), 0).shape == (28, 28)


def _error(capsys, arguments):
    assert main(arguments) == 2
    message = capsys.readouterr().err.strip()
    assert message.startswith("error: ") and "\n" not in message and "Traceback" not in message
    return message


def test_cli_user_mistakes_are_one_line_errors(tiny_run, tmp_path, capsys):
    image, mask = _digit_and_mask(tmp_path)
    run, out = str(tiny_run), str(tmp_path / "out.png")
    base = ["--run", run, "--out", out, "--steps", "1", "--restarts", "1"]
    assert "no --input file" in _error(capsys, base + ["--input", "nope.png", "--mask", mask])
    assert "no --mask file" in _error(capsys, base + ["--input", image, "--mask", "nope.png"])
    message = _error(capsys, ["--run", str(tmp_path / "none"), "--input", image, "--mask", mask,
                              "--out", out])
    assert "none'" in message and "--out folder" in message
    message = _error(capsys, base + ["--input", _write(tmp_path / "big.png",
                                                       np.zeros((32, 32), np.uint8)),
                                     "--mask", mask])
    assert "32x32" in message and "28x28" in message
    message = _error(capsys, base + ["--input", image, "--mask", _write(
        tmp_path / "small_mask.png", np.zeros((14, 14), np.uint8))])
    assert "14x14" in message and "28x28" in message
    colour = np.random.default_rng(0).integers(0, 255, (28, 28, 3), dtype=np.uint8)
    message = _error(capsys, base + ["--input", _write(tmp_path / "colour.png", colour),
                                     "--mask", mask])
    assert "3 channels" in message and "with 1" in message
    assert "nothing to restore" in _error(capsys, base + ["--input", image])
    assert "--degrade blur only" in _error(capsys, base + ["--input", image, "--degrade",
                                                           "noise", "--sigma", "0.2"])
    assert "white everywhere" in _error(capsys, base + ["--input", image, "--mask", _write(
        tmp_path / "white.png", np.full((28, 28), 255, np.uint8))])
    message = _error(capsys, base + ["--input", image, "--degrade", "downsample"])
    assert "28x28" in message and "14x14" in message and "--factor" in message
    assert "--restarts must be at least 1" in _error(
        capsys, base + ["--input", image, "--mask", mask, "--restarts", "0"])
    assert "OpenCV cannot read" in _error(capsys, base + ["--input", _write_text(tmp_path),
                                                          "--mask", mask])


def _write_text(folder):
    path = folder / "notes.png"
    path.write_text("not an image")
    return str(path)


# -- done when: a short DCGAN run beats OpenCV's inpainting inside the hole ----------------------
@pytest.fixture(scope="module")
def dcgan_600(tmp_path_factory):
    """The done-when run: a DCGAN trained 600 steps on MNIST-5k with seed 0 (once per session)."""
    folder = tmp_path_factory.mktemp("dcgan") / "run"
    Trainer(TrainConfig(steps=600, seed=0, sample_every=600, checkpoint_every=600,
                        num_samples=16, out=str(folder))).run(progress=False)
    return load_run(str(folder)).generator


def _masked_digits(count, seed):
    digits = mg.data.load("mnist5k").images
    picked = np.random.default_rng(seed).choice(len(digits), count, replace=False)
    clean = digits[picked].astype(np.float32) / 127.5 - 1  # (N, 1, 28, 28) in [-1, 1]
    holes = square_holes(count, 28, 12, seed=seed, margin=4)  # over the digit, at random
    return clean, holes, np.where(holes[:, None], 0.0, clean)


def test_a_600_step_dcgan_inpaints_12x12_holes_better_than_telea(dcgan_600):
    clean, holes, damaged = _masked_digits(16, seed=1)
    restored = restore(dcgan_600, damaged, holes, steps=200, restarts=8, average=4, seed=0)
    gan = hole_mse(restored.images, clean, holes)
    telea = hole_mse(telea_inpaint(damaged, holes), clean, holes)
    assert gan.mean() < telea.mean(), (gan.mean(), telea.mean())
    assert np.array_equal(restored.images[~np.broadcast_to(holes[:, None], clean.shape)],
                          damaged[~np.broadcast_to(holes[:, None], clean.shape)])


@pytest.mark.parametrize("mode", ["blur", "downsample"])
def test_the_dcgan_undoes_blur_and_downsampling_better_than_leaving_them(dcgan_600, mode):
    clean, _, _ = _masked_digits(4, seed=2)
    damage = Degradation(mode, sigma=1.5, kernel_size=5, factor=2)
    observed = damage.apply(clean)
    restored = restore(dcgan_600, observed, None, damage, steps=150, restarts=4, seed=0).images
    naive = observed if mode == "blur" else np.repeat(np.repeat(observed, 2, 2), 2, 3)
    assert ((restored - clean) ** 2).mean() < ((naive - clean) ** 2).mean()
