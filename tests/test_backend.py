"""Backends: discovery, moving tensors, and that only backend/ imports the array libraries."""

import pathlib
import re

import numpy as np
import pytest

import minigan as mg
from minigan import backend


def test_numpy_is_always_available():
    assert "numpy" in backend.available()
    assert backend.get("numpy").xp is np
    assert backend.names() == ["numpy", "cupy"]


def test_to_moves_between_available_backends(backend_name):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    moved = x.to(backend_name)
    assert moved.backend == backend_name
    (moved * moved).sum().backward()  # the gradient comes back to the original backend
    assert x.grad.backend == "numpy" and np.allclose(x.grad.numpy(), [2.0, 4.0])


def test_to_converts_dtypes():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("float64")
    assert y.dtype == "float64" and x.double().dtype == "float64" and y.float().dtype == "float32"
    (y * y).sum().backward()
    assert x.grad.dtype == "float32"


def test_ops_run_on_each_backend(backend_name):
    x = mg.randn(3, 4, backend=backend_name, requires_grad=True)
    y = (x @ x.T).tanh().sum()
    y.backward()
    assert x.grad.backend == backend_name and x.grad.shape == (3, 4)


def test_only_the_backend_imports_array_libraries():
    package = pathlib.Path(mg.__file__).parent
    # backend/, and the host-side edges that use NumPy plainly: data, image files, checkpoints, the
    # evaluation, the fixed noise of the sample grids, the sampling command line
    allowed = ("backend", "data", "io", "evaluate", "gan", "sample")
    offenders = []
    for path in package.rglob("*.py"):
        relative = path.relative_to(package)
        if relative.parts[0] in allowed or relative.stem in allowed:
            continue
        for line in path.read_text().splitlines():
            if re.match(r"\s*(import|from)\s+(numpy|cupy|numba)\b", line):
                offenders.append(f"{relative}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize("name", ["numpy"])
def test_backend_moves_arrays_to_the_host(name):
    b = backend.get(name)
    array = b.asarray([1.0, 2.0])
    assert isinstance(b.to_host(array), np.ndarray)
    b.synchronize()
