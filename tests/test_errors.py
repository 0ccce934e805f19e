"""Bad input gets an error that says what was wrong and what to do."""

import numpy as np
import pytest

import minigan as mg
from minigan import backend
from minigan.backend import BackendUnavailable


def test_mismatched_shapes():
    with pytest.raises(ValueError, match=r"\(2,3\).*\(4,\)|\(2, 3\).*\(4,\)"):
        mg.ones(2, 3) + mg.ones(4)
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(2, 3\) do not align"):
        mg.ones(2, 3) @ mg.ones(2, 3)
    with pytest.raises(ValueError, match=r"cannot reshape a tensor of shape \(2, 3\)"):
        mg.ones(2, 3).reshape(4, 2)
    with pytest.raises(ValueError, match="tensor 1 has shape"):
        mg.cat([mg.ones(2, 3), mg.ones(2, 4)], axis=0)


def test_backward_on_a_non_scalar_needs_a_gradient():
    y = mg.ones(3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"shape \(3,\); pass grad="):
        y.backward()
    with pytest.raises(ValueError, match=r"gradient of shape \(2,\) given for a tensor of shape"):
        y.backward(mg.ones(2))


def test_backward_on_a_constant():
    with pytest.raises(RuntimeError, match="does not require a gradient"):
        (mg.ones(3) * 2).sum().backward()


def test_unknown_backend_name():
    with pytest.raises(ValueError, match=r"unknown backend 'tpu': choose one of \['numpy', 'cupy'\]"):
        mg.zeros(2, backend="tpu")
    with pytest.raises(ValueError, match="unknown backend"):
        mg.set_default_backend("jax")


@pytest.mark.skipif("cupy" in backend.available(), reason="CuPy works here")
def test_cupy_unavailable_says_why_and_how_to_install():
    with pytest.raises(BackendUnavailable, match=r'pip install "minigan\[gpu\]"|no CUDA GPU|cannot reach'):
        mg.zeros(2, backend="cupy")
    with pytest.raises(BackendUnavailable):
        mg.ones(2).to("cupy")
    assert backend.available() == ["numpy"]
    assert "cupy" in backend.unavailable_reason("cupy") or "CuPy" in backend.unavailable_reason("cupy")


class StandInDeviceArray(np.ndarray):
    """An array type that the tests register as a second backend's."""


def test_mixing_backends_in_one_op_raises(monkeypatch):
    numpy_backend = backend.get("numpy")
    stand_in = type("StandInBackend", (type(numpy_backend),), {"name": "stand-in"})()
    monkeypatch.setitem(backend._by_array_type, StandInDeviceArray, stand_in)
    on_device = mg.Tensor(np.ones(3).view(StandInDeviceArray))
    on_host = mg.ones(3, dtype="float64")
    with pytest.raises(ValueError, match=r"two backends, 'numpy' and 'stand-in'; move one"):
        on_host + on_device
    with pytest.raises(ValueError, match="two backends"):
        mg.cat([on_device, on_host])


def test_default_backend_from_the_environment(monkeypatch):
    monkeypatch.setattr(backend, "_default_name", None)
    monkeypatch.setenv("MINIGAN_BACKEND", "numpy")
    assert mg.get_default_backend() == "numpy"
    monkeypatch.setattr(backend, "_default_name", None)
    monkeypatch.setenv("MINIGAN_BACKEND", "nonsense")
    with pytest.raises(ValueError, match="unknown backend 'nonsense'"):
        mg.zeros(1)
    monkeypatch.setattr(backend, "_default_name", None)


def test_set_default_backend_round_trip():
    mg.set_default_backend("numpy")
    assert mg.get_default_backend() == "numpy" and mg.zeros(1).backend == "numpy"


def test_not_an_array():
    with pytest.raises(TypeError, match="expected a NumPy or CuPy array, got list"):
        mg.Tensor([1, 2])


def test_grad_input_that_needs_no_gradient():
    x = mg.ones(2)
    with pytest.raises(RuntimeError, match="requires_grad_"):
        mg.grad((x * 2).sum(), [x])
