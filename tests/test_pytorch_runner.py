"""`python -m minigan.pytorch SCRIPT`: PyTorch programs run unchanged on minigan.

Each program under tests/pytorch_programs/ runs in its own process through the runner, with
tiny sizes and one epoch (or --dry-run), in a temporary folder; the tests check what it printed
and the files it wrote. MNIST comes from the bundled MNIST-5k (no IDX files are there).
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minigan as mg

REPOSITORY = Path(__file__).resolve().parent.parent
PROGRAMS = REPOSITORY / "tests" / "pytorch_programs"


def run_runner(arguments, cwd, timeout=120):
    """Run `python -m minigan.pytorch ARGUMENTS` in `cwd` with this repository's minigan."""
    environment = dict(os.environ, PYTHONPATH=str(REPOSITORY), MINIGAN_BACKEND="numpy")
    return subprocess.run([sys.executable, "-m", "minigan.pytorch", *map(str, arguments)],
                          cwd=cwd, env=environment, capture_output=True, text=True,
                          timeout=timeout)


def run_program(name, arguments, cwd):
    result = run_runner([PROGRAMS / name, *arguments], cwd)
    assert result.returncode == 0, f"{name} failed:\n{result.stdout[-2000:]}\n{result.stderr}"
    return result


def run_source(source, tmp_path, *arguments):
    script = tmp_path / "program.py"
    script.write_text(source)
    return run_runner([script.name, *arguments], tmp_path)


# -- the programs ------------------------------------------------------------------------------
def test_dcgan_example_dry_run_on_mnist(tmp_path):
    result = run_program("dcgan.py", ["--dataset", "mnist", "--dataroot", "data", "--batchSize",
                                      16, "--ngf", 8, "--ndf", 8, "--nz", 16, "--dry-run",
                                      "--manualSeed", 1, "--outf", "out"], tmp_path)
    assert "[0/1][0/313] Loss_D:" in result.stdout
    assert result.stderr.count("bundled MNIST-5k") == 1
    out = tmp_path / "out"
    assert (out / "real_samples.png").is_file() and (out / "fake_samples_epoch_000.png").is_file()
    generator = mg.load(out / "netG_epoch_0.pth")
    assert generator["main.0.weight"].shape == (16, 32, 4, 4)
    assert generator["main.1.running_var"].shape == (32,)


def test_dcgan_example_resumes_from_its_checkpoint_on_fake_data(tmp_path):
    arguments = ["--dataset", "fake", "--batchSize", 64, "--ngf", 8, "--ndf", 8, "--nz", 16,
                 "--dry-run", "--outf", "out"]
    run_program("dcgan.py", arguments, tmp_path)
    result = run_program("dcgan.py", arguments + ["--netG", "out/netG_epoch_0.pth",
                                                  "--netD", "out/netD_epoch_0.pth"], tmp_path)
    assert "[0/1][0/4] Loss_D:" in result.stdout


def _cuda_environment():
    """The environment in which "cuda" runs: a real GPU, or else the simulated one
    (MINIGAN_SIMULATE_GPU=1); skips, with the reason, where neither is there."""
    environment = dict(os.environ, PYTHONPATH=str(REPOSITORY))
    if mg.backend.unavailable_reason("cupy") is None:
        return environment
    environment["MINIGAN_SIMULATE_GPU"] = "1"
    probe = subprocess.run([sys.executable, "-c", "from minigan import backend; "
                            "print(backend.unavailable_reason('cupy'))"],
                           env=environment, capture_output=True, text=True, timeout=120)
    if probe.stdout.strip() != "None":
        pytest.skip(f"no GPU and no simulated one: {probe.stdout.strip() or probe.stderr}")
    return environment


def test_dcgan_example_on_the_cuda_device(tmp_path):
    environment = _cuda_environment()
    result = subprocess.run(
        [sys.executable, "-m", "minigan.pytorch", str(PROGRAMS / "dcgan.py"), "--dataset",
         "mnist", "--dataroot", "data", "--batchSize", "16", "--ngf", "8", "--ndf", "8",
         "--nz", "16", "--dry-run", "--cuda", "--outf", "out"],
        cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert "[0/1][0/313] Loss_D:" in result.stdout
    assert mg.load(tmp_path / "out" / "netD_epoch_0.pth")["main.0.weight"].shape == (8, 1, 4, 4)
    (tmp_path / "where.py").write_text(
        "import torch\nlayer = torch.nn.Linear(2, 2).cuda()\nx = torch.randn(3, 2, device='cuda')\n"
        "print(torch.cuda.is_available(), layer.weight.is_cuda, layer(x).device, x.cpu().device)\n")
    where = subprocess.run([sys.executable, "-m", "minigan.pytorch", "where.py"], cwd=tmp_path,
                           env=environment, capture_output=True, text=True, timeout=120)
    assert where.stdout.split() == ["True", "True", "cuda", "cpu"], where.stderr


def test_one_file_mlp_gan_one_epoch(tmp_path):
    result = run_program("mlp_gan.py", ["--n_epochs", 1, "--batch_size", 500, "--hidden", 32,
                                        "--latent_dim", 16, "--sample_interval", 5], tmp_path)
    assert result.stdout.count("[Epoch 0/1] [Batch") == 10
    assert (tmp_path / "images" / "0.png").is_file() and (tmp_path / "images" / "5.png").is_file()


def test_wgan_gp_takes_the_gradient_of_a_gradient(tmp_path):
    result = run_program("wgan_gp.py", ["--n_epochs", 1, "--batch_size", 250, "--hidden", 32,
                                        "--latent_dim", 16, "--n_critic", 2, "--max_batches", 6],
                         tmp_path)
    lines = [line for line in result.stdout.splitlines() if "[GP:" in line]
    assert len(lines) == 3
    penalties = [float(line.rsplit("[GP: ", 1)[1].rstrip("]")) for line in lines]
    assert all(np.isfinite(penalties)) and max(penalties) > 0
    assert (tmp_path / "images" / "0.png").is_file()


def test_wgan_with_weight_clipping_keeps_the_critic_clipped(tmp_path):
    result = run_program("wgan_clip.py", ["--n_epochs", 1, "--batch_size", 250, "--width", 4,
                                          "--max_batches", 6, "--n_critic", 2], tmp_path)
    largest = float(result.stdout.split("largest critic weight: ")[1].split()[0])
    assert 0 < largest <= 0.01
    assert result.stdout.count("[Epoch 0/1]") == 3


def test_conditional_gan_one_epoch(tmp_path):
    result = run_program("cgan.py", ["--n_epochs", 1, "--batch_size", 1000, "--hidden", 32,
                                     "--latent_dim", 8, "--sample_interval", 4], tmp_path)
    assert result.stdout.count("[Epoch 0/1] [Batch") == 5
    assert (tmp_path / "images" / "0.png").is_file() and (tmp_path / "images" / "4.png").is_file()


def test_autograd_tutorial_with_a_custom_function(tmp_path):
    result = run_program("autograd_tutorial.py", ["--steps", 300], tmp_path)
    assert "P3' and P3'' match the formulas" in result.stdout
    assert "ScaledSquare gradient: [6.0, -12.0]" in result.stdout


def test_classifier_saves_and_resumes_its_checkpoint(tmp_path):
    first = run_program("classifier_checkpoint.py", ["--epochs", 2], tmp_path)
    assert "batches per epoch: 16 test batches: 4" in first.stdout
    second = run_program("classifier_checkpoint.py", ["--epochs", 1], tmp_path)
    assert "resumed from epoch 1" in second.stdout and "epoch 2: loss" in second.stdout
    state = mg.load(tmp_path / "checkpoint.pt")
    assert state["epoch"] == 2 and set(state["model"]) == {"0.weight", "0.bias", "2.weight",
                                                            "2.bias"}


# -- the runner itself -------------------------------------------------------------------------
def test_the_shim_wins_over_an_installed_pytorch(tmp_path):
    pytest.importorskip("torch")  # what is shadowed must be there for this to mean anything
    result = run_source(
        "import sys, minigan\n"
        "import torch, torch.nn as nn, torch.nn.functional as F, torchvision\n"
        "print(isinstance(torch.zeros(1), torch.Tensor), nn.Linear is minigan.nn.Linear,\n"
        "      F.relu is minigan.functional.relu, torch.optim.Adam is minigan.optim.Adam)\n"
        "print(type(torch.randn(2)).__module__, sys.argv[1:], __name__)\n", tmp_path, "--x", "1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["True True True True",
                                          "minigan.tensor ['--x', '1'] __main__"]


def test_install_replaces_a_pytorch_imported_before_it(tmp_path):
    pytest.importorskip("torch")
    code = ("import torch as real\nimport minigan\nfrom minigan.pytorch import install\n"
            "install()\nimport torch\nprint(torch is not real, torch.zeros(2).__class__ is "
            "minigan.Tensor)\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=dict(os.environ, PYTHONPATH=str(REPOSITORY)), timeout=120)
    assert result.stdout.strip() == "True True", result.stderr


@pytest.mark.parametrize("source, name", [
    ("import torch.nn as nn\nlayer = nn.Transformer(8, 2)\n", "torch.nn.Transformer"),
    ("from torch.nn import Transformer\n", "torch.nn.Transformer"),
    ("import torch.distributed as dist\n", "torch.distributed"),
    ("import torch\ny = torch.zeros(2).to_sparse()\n", "torch.Tensor.to_sparse"),
    ("import torchvision.models as models\n", "torchvision.models"),
    ("import torch\nmodel = torch.compile(None)\n", "torch.compile"),
])
def test_a_missing_pytorch_name_fails_with_one_line(tmp_path, source, name):
    result = run_source(source, tmp_path)
    line = source.count("\n")
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: {name} is not part of minigan (at program.py:{line})"], result.stderr


def test_hasattr_on_a_missing_name_is_false(tmp_path):
    result = run_source("import torch\nprint(hasattr(torch, 'compile'), "
                        "hasattr(torch.backends, 'mps'))\n", tmp_path)
    assert result.stdout.strip() == "False True", result.stderr


def test_other_errors_keep_their_traceback(tmp_path):
    result = run_source("import torch\nraise KeyError('mine')\n", tmp_path)
    assert result.returncode == 1 and "Traceback" in result.stderr and "KeyError" in result.stderr


def test_an_error_raised_inside_minigan_is_one_line_unless_asked(tmp_path):
    source = "import torch\nlayer = torch.nn.Linear(3, 2)\ny = layer(torch.randn(4, 5))\n"
    result = run_source(source, tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: Linear(in_features=3, out_features=2, bias=True) expected input of shape "
        "(..., 3), got (4, 5) (at program.py:3)"]
    environment = dict(os.environ, PYTHONPATH=str(REPOSITORY), MINIGAN_TRACEBACK="1")
    traced = subprocess.run([sys.executable, "-m", "minigan.pytorch", "program.py"],
                            cwd=tmp_path, env=environment, capture_output=True, text=True,
                            timeout=120)
    assert "Traceback" in traced.stderr and "layers.py" in traced.stderr


def test_help_says_what_is_mapped_and_what_is_not(tmp_path):
    result = run_runner(["--help"], tmp_path)
    assert result.returncode == 0
    for text in ("torch.nn.functional", "minigan.functional", "torchvision.datasets",
                 "\"cuda\"", "CuPy", "safetensors", "never pickles", "is not part of minigan",
                 "num_workers"):
        assert text in result.stdout, text
    assert run_runner([], tmp_path).returncode == 2


def test_a_missing_script_is_one_line(tmp_path):
    result = run_runner(["nowhere.py"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: no such script 'nowhere.py'; usage: python -m minigan.pytorch SCRIPT [ARGS...]"]
