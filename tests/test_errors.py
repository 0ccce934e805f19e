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


def test_cupy_unavailable_says_why_and_how_to_install(without_cupy):
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


@pytest.mark.parametrize("layer, shape", [
    (lambda: mg.nn.Linear(3, 2), (4, 3)),
    (lambda: mg.nn.Conv2d(1, 2, 3), (2, 1, 5, 5)),
    (lambda: mg.nn.ConvTranspose2d(1, 2, 3), (2, 1, 5, 5)),
], ids=["Linear", "Conv2d", "ConvTranspose2d"])
def test_a_float64_input_to_a_float32_layer_names_the_layer_and_both_dtypes(layer, shape):
    """No silent drift to float64 (DESIGN.md): as PyTorch, a dtype mismatch is an error."""
    module = layer()
    x = mg.tensor(np.ones(shape), dtype="float64", requires_grad=True)
    with pytest.raises(TypeError, match=r"float64 input, but its weights are float32"):
        module(x)
    assert module(x.detach().astype("float32")).dtype == "float32"
    assert module.double()(x).dtype == "float64"  # float64 weights take float64 input


def test_a_numpy_array_given_to_a_layer_says_how_to_wrap_it():
    with pytest.raises(TypeError, match=r"Linear expected a minigan Tensor, got "
                                        r"numpy.ndarray; wrap it with minigan.tensor"):
        mg.nn.Linear(3, 2)(np.ones((4, 3), np.float32))
    with pytest.raises(TypeError, match="got numpy.ndarray"):
        mg.nn.Sequential(mg.nn.ReLU())(np.ones(3, np.float32))


def test_module_to_an_unknown_target_says_what_it_takes():
    with pytest.raises(ValueError, match=r"Module.to\('nonsense'\): not a backend or a "
                                         r"floating-point dtype.*numpy, cupy"):
        mg.nn.Linear(3, 2).to("nonsense")
    with pytest.raises(ValueError, match="not a backend or a floating-point dtype"):
        mg.nn.Linear(3, 2).to("int64")


@pytest.mark.parametrize("make, words", [
    (lambda: mg.nn.Conv2d(1, 1, 3, stride=0), "Conv2d: stride must be a positive integer"),
    (lambda: mg.nn.Conv2d(1, 1, 0), "Conv2d: kernel_size must be a positive integer"),
    (lambda: mg.nn.Conv2d(0, 1, 3), "Conv2d: in_channels must be a positive integer"),
    (lambda: mg.nn.ConvTranspose2d(1, 1, 3, dilation=0), "ConvTranspose2d: dilation"),
    (lambda: mg.nn.ConvTranspose2d(1, 1, 3, padding=-1), "padding must be an integer of 0"),
    (lambda: mg.nn.Linear(0, 2), "Linear: in_features must be a positive integer, got 0"),
    (lambda: mg.nn.Linear(2, 0), "Linear: out_features"),
    (lambda: mg.nn.BatchNorm2d(0), "BatchNorm2d: num_features"),
], ids=["stride-0", "kernel-0", "in-0", "dilation-0", "padding-neg", "linear-in-0",
        "linear-out-0", "batchnorm-0"])
def test_zero_sized_or_zero_stride_layers_fail_at_construction(make, words):
    with pytest.raises(ValueError, match=words):
        make()
