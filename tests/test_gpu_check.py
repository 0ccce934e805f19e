"""benchmarks.gpu_check, the one command that verifies a GPU machine: end to end on the simulated
GPU (scaled down), and its message where there is no GPU."""

import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).parent.parent


def gpu_check(out, **environment):
    return subprocess.run([sys.executable, "-m", "benchmarks.gpu_check", "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **environment})


def test_gpu_check_runs_end_to_end_on_the_simulated_gpu(tmp_path):
    result = gpu_check(tmp_path, MINIGAN_SIMULATE_GPU="1")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = (tmp_path / "summary.md").read_text()
    assert "simulated GPU" in summary and summary.count("| passed |") == 3, summary
    results = (tmp_path / "results.md").read_text()
    assert "Simulated GPU" in results and "DCGAN-28 step" in results
    assert "minigan-cupy" in results and "Not run: torch-cuda" in results
    assert (tmp_path / "results.png").stat().st_size > 0
    assert (tmp_path / "train" / "log.jsonl").read_text().count("\n") == 2  # two steps
    assert "passed" in (tmp_path / "tests.log").read_text()
    assert (tmp_path / "gpu_check.log").read_text().startswith("device: simulated GPU")


@pytest.mark.skipif(importlib.util.find_spec("cupy") is not None, reason="CuPy is installed")
def test_gpu_check_says_clearly_that_there_is_no_gpu(tmp_path):
    result = gpu_check(tmp_path, MINIGAN_SIMULATE_GPU="0")
    assert result.returncode == 1
    assert result.stdout.startswith("NO GPU HERE:") and "Nothing was checked" in result.stdout
    assert "MINIGAN_SIMULATE_GPU=1" in result.stdout
