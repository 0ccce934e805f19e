"""Every command line checks its options before any work starts and answers a user's mistake
with one line that names the option and the fix, never a traceback (--debug shows one)."""

import errno
import os
import pathlib
import re
import sys
import types

import cv2
import numpy as np
import pytest
from support import one_line_error

from minigan import backend, sample, train
from minigan.evaluate import report, train_classifier
from minigan.gan import TrainConfig, Trainer
from minigan.io import checkpoint as checkpoints

ROOT = pathlib.Path(__file__).parent.parent
TINY = ["--width", "4", "--latent-dim", "8", "--batch-size", "8", "--no-progress"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A tiny finished DCGAN run and a tiny conditional one (1 step each)."""
    root = tmp_path_factory.mktemp("runs")
    for name, model in (("plain", "dcgan"), ("conditional", "cdcgan")):
        Trainer(TrainConfig(model=model, steps=1, batch_size=8, width=4, latent_dim=8,
                            num_samples=8, out=str(root / name))).run(progress=False)
    return root


BAD_TRAINING_OPTIONS = [
    ("--steps", "0"), ("--steps", "-5"), ("--sample-every", "0"), ("--sample-every", "-2"),
    ("--checkpoint-every", "0"), ("--evaluate-every", "0"), ("--evaluate-every", "-3"),
    ("--width", "0"), ("--n-critic", "0"), ("--gp-weight", "-1"), ("--gp-weight", "nan"),
    ("--r1-weight", "-0.5"), ("--r1-weight", "nan"), ("--lr-g", "0"), ("--lr-d", "inf"),
    ("--batch-size", "0"), ("--latent-dim", "0"), ("--ema", "1.5"), ("--seed", "-1"),
    ("--image-size", "0"),
]


@pytest.mark.parametrize("option, value", BAD_TRAINING_OPTIONS,
                         ids=[f"{o}={v}" for o, v in BAD_TRAINING_OPTIONS])
def test_train_checks_each_number_before_any_work(tmp_path, capsys, option, value):
    out = tmp_path / "run"
    code = train.main(["--steps", "1", *TINY, "--out", str(out), option, value])
    assert code == 2
    one_line_error(capsys, option)
    assert not out.exists()  # no work started


@pytest.mark.parametrize("value", ["0", "-1", "inf", "nan"])
def test_train_checks_epochs(tmp_path, capsys, value):
    out = tmp_path / "run"
    assert train.main([*TINY, "--out", str(out), "--epochs", value]) == 2
    one_line_error(capsys, "--epochs")
    assert not out.exists()


def test_absurd_image_size_is_refused_not_allocated(tmp_path, capsys):
    code = train.main(["--model", "mlp", "--steps", "1", *TINY, "--image-size", "100000",
                       "--out", str(tmp_path / "run")])
    assert code == 2
    one_line_error(capsys, "--image-size", "512")


def test_a_batch_larger_than_the_data_is_refused(tmp_path, capsys):
    code = train.main(["--data", "lfw-subset", "--steps", "1", "--width", "4", "--no-progress",
                       "--batch-size", "500", "--out", str(tmp_path / "run")])
    assert code == 2
    one_line_error(capsys, "--batch-size 500", "100")


def test_cupy_without_cupy_installed_is_one_line_with_the_install_hint(tmp_path, capsys,
                                                                        without_cupy):
    assert train.main(["--backend", "cupy", "--steps", "1", *TINY,
                       "--out", str(tmp_path / "run")]) == 2
    one_line_error(capsys, 'pip install "minigan[gpu]"')
    assert not (tmp_path / "run").exists()


def test_cupy_without_a_gpu_is_one_line(tmp_path, capsys, monkeypatch):
    def no_device():
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    fake = types.SimpleNamespace(cuda=types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=no_device)))
    monkeypatch.delenv("MINIGAN_SIMULATE_GPU", raising=False)
    monkeypatch.setitem(sys.modules, "cupy", fake)
    monkeypatch.setattr(backend, "_failures", {})
    monkeypatch.setattr(backend, "_instances", {"numpy": backend.get("numpy")})
    assert train.main(["--backend", "cupy", "--steps", "1", *TINY,
                       "--out", str(tmp_path / "run")]) == 2
    one_line_error(capsys, "GPU", "numpy")


def test_the_environment_does_not_override_an_explicit_backend(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINIGAN_BACKEND", "cupy")
    monkeypatch.setattr(backend, "_default_name", None)
    try:
        assert train.main(["--backend", "numpy", "--steps", "1", *TINY,
                           "--out", str(tmp_path / "run")]) == 0
    finally:
        backend.set_default("numpy")
    assert "with the numpy backend" in capsys.readouterr().out


def test_out_dot_twice_never_moves_the_current_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    for _ in range(2):
        assert train.main(["--steps", "1", *TINY, "--out", "."]) == 2
        one_line_error(capsys, "--out .")
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]
    assert not os.path.exists(str(tmp_path) + ".1")


def test_out_that_is_a_file_or_a_foreign_folder_is_refused(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert train.main(["--steps", "1", *TINY, "--out", str(tmp_path / "file")]) == 2
    one_line_error(capsys, "--out", "is a file")
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.jpg").write_bytes(b"x")
    assert train.main(["--steps", "1", *TINY, "--out", str(tmp_path / "photos")]) == 2
    one_line_error(capsys, "--out", "not a minigan run")
    assert os.listdir(tmp_path / "photos") == ["a.jpg"]


def test_ring8_without_model_toy_says_to_add_it(tmp_path, capsys):
    assert train.main(["--data", "ring8", "--steps", "1", "--no-progress",
                       "--out", str(tmp_path / "run")]) == 2
    line = one_line_error(capsys, "--data ring8", "add --model toy")
    assert "--model dcgan" not in line  # the user never gave it


def test_image_options_on_points_name_the_options(tmp_path, capsys):
    assert train.main(["--data", "ring8", "--model", "toy", "--channels", "1", "--steps", "1",
                       "--no-progress", "--out", str(tmp_path / "run")]) == 2
    one_line_error(capsys, "--channels")


def test_a_folder_of_grey_digits_keeps_its_channels_and_size(tmp_path, capsys):
    folder = tmp_path / "digits"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(16):
        cv2.imwrite(str(folder / f"{i}.png"), rng.integers(0, 255, (28, 28), dtype=np.uint8))
    for model in ("mlp", "dcgan"):
        assert train.main(["--data", f"folder:{folder}", "--model", model, "--steps", "1",
                           *TINY, "--out", str(tmp_path / model)]) == 0
        assert "(1, 28, 28)" in capsys.readouterr().out
    colour = tmp_path / "colour"
    colour.mkdir()
    for i in range(8):
        cv2.imwrite(str(colour / f"{i}.png"), rng.integers(0, 255, (40, 50, 3), dtype=np.uint8))
    assert train.main(["--data", f"folder:{colour}", "--model", "mlp", "--steps", "1", *TINY,
                       "--out", str(tmp_path / "c")]) == 0
    assert "(3, 40, 40)" in capsys.readouterr().out


def test_full_disk_while_training_is_one_line_and_loses_nothing(tmp_path, capsys, monkeypatch):
    out = str(tmp_path / "run")
    writes, original = [], checkpoints.write_bytes_atomic

    def filling_disk(path, payload):
        writes.append(path)
        if "step_0000004" in path:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(path, payload)

    monkeypatch.setattr(checkpoints, "write_bytes_atomic", filling_disk)
    assert train.main(["--steps", "4", "--checkpoint-every", "2", *TINY, "--out", out]) == 2
    one_line_error(capsys, "no space left", "--resume")
    monkeypatch.undo()
    assert checkpoints.latest_checkpoint(out).endswith("step_0000002")
    assert not [n for n in os.listdir(os.path.join(out, "checkpoints")) if n.startswith(".tmp")]
    assert train.main(["--resume", out, "--no-progress"]) == 0
    assert checkpoints.latest_checkpoint(out).endswith("step_0000004")


def test_full_disk_while_sampling_is_one_line(runs, tmp_path, capsys, monkeypatch):
    def full(path, payload):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoints, "write_bytes_atomic", full)
    for name in ("grid.png", "samples.npz"):
        assert sample.main(["--run", str(runs / "plain"), "--out", str(tmp_path / name)]) == 2
        one_line_error(capsys, "no space left")
        assert not (tmp_path / name).exists()


@pytest.mark.parametrize("arguments, names", [
    (["--n", "0"], ["--n"]),
    (["--n", "-3"], ["--n"]),
    (["--out", "x.txt"], ["--out x.txt", ".png"]),
    (["--out", "."], ["--out .", "folder"]),
    (["--interpolate", "--steps", "0"], ["--steps"]),
    (["--label", "3"], ["--label", "cdcgan"]),
])
def test_sample_checks_its_options(runs, tmp_path, capsys, arguments, names):
    full = ["--run", str(runs / "plain"), "--out", str(tmp_path / "grid.png"), *arguments]
    assert sample.main(full) == 2
    one_line_error(capsys, *names)


def test_sample_label_beyond_the_classes(runs, tmp_path, capsys):
    assert sample.main(["--run", str(runs / "conditional"), "--label", "12",
                        "--out", str(tmp_path / "x.png")]) == 2
    one_line_error(capsys, "--label 12", "0 to 9")
    assert sample.main(["--run", str(runs / "conditional"), "--label", "9",
                        "--out", str(tmp_path / "nines.png")]) == 0


def test_debug_shows_the_traceback(runs, tmp_path):
    with pytest.raises(ValueError, match="--n"):
        sample.main(["--run", str(runs / "plain"), "--n", "0", "--out", "x.png", "--debug"])
    with pytest.raises(ValueError, match="--steps"):
        train.main(["--steps", "0", "--out", str(tmp_path / "r"), "--debug"])


def test_evaluate_and_train_classifier_check_their_options(tmp_path, capsys):
    assert report.main(["--samples", "x.npz", "--seed", "-1"]) == 2
    one_line_error(capsys, "--seed")
    for arguments, name in ((["--epochs", "0"], "--epochs"), (["--lr", "nan"], "--lr")):
        assert train_classifier.main([*arguments, "--out", str(tmp_path / "c")]) == 2
        one_line_error(capsys, name)


def test_readme_own_data_examples_pass_out():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Your own data", 1)[1].split("\n## ", 1)[0]
    commands = [line for line in section.splitlines()
                if line.startswith("python -m minigan.train") and "--help" not in line]
    assert commands and all(re.search(r"--out \S+", line) for line in commands), commands


def test_the_test_run_prints_no_skip_reasons_by_default():
    options = re.search(r'addopts\s*=\s*"([^"]*)"', (ROOT / "pyproject.toml").read_text())
    report_flags = re.findall(r"-r(\w+)", options.group(1) if options else "")
    assert not any(flag in chars for chars in report_flags for flag in "asA"), report_flags


def test_usage_mistakes_and_long_messages_are_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        train.main(["--steps", "abc"])
    assert stopped.value.code == 2
    one_line_error(capsys, "--steps", "abc", "--help")
    assert train.main(["--data", "cifar10", "--steps", "1", "--no-progress",
                       "--out", str(tmp_path / "r")]) == 2
    one_line_error(capsys, "cifar10", "mnist5k", "folder:DIR")
    (tmp_path / "bad.npz").write_bytes(b"not an archive")
    assert report.main(["--samples", str(tmp_path / "bad.npz")]) == 2
    one_line_error(capsys, "bad.npz")
