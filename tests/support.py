"""Helpers for the tests: random inputs, and PyTorch as an optional oracle."""

import numpy as np
import pytest

import minigan as mg

try:
    import torch
except ImportError:  # the oracle is optional: `pip install "minigan[oracle]"`
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the test oracle) is not installed")


def random_array(shape, seed, low=-2.0, high=2.0, away_from=None, gap=0.05):
    """float64 values in [low, high), kept at least `gap` from the point `away_from` (a kink)."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(low, high, size=shape)
    if away_from is not None:
        close = np.abs(values - away_from) < gap
        values[close] = away_from + np.where(values[close] >= away_from, gap, -gap) * 2
    return values


def leaf(array, backend_name="numpy", dtype="float64"):
    return mg.tensor(array, dtype=dtype, requires_grad=True, backend=backend_name)


def relative_error(actual, expected):
    """max |actual - expected| / max |expected|: one number for a whole array."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, np.float64)
    assert actual.shape == expected.shape, f"shape {actual.shape} != expected {expected.shape}"
    scale = max(np.abs(expected).max(initial=0.0), 1e-300)
    return np.abs(actual - expected).max(initial=0.0) / scale


def assert_close(actual, expected, tolerance, what=""):
    error = relative_error(actual, expected)
    assert error < tolerance, f"{what}: relative error {error:.3g} >= {tolerance:g}"


def host(x):
    """A minigan Tensor or torch tensor as a NumPy array."""
    if isinstance(x, mg.Tensor):
        return x.numpy()
    return x.detach().cpu().numpy()


def one_line_error(capsys, *names):
    """The one stderr line of a failed command, checked to name each of `names`."""
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for name in names:
        assert name in lines[0], (name, lines[0])
    return lines[0]
