"""The simulated GPU (MINIGAN_SIMULATE_GPU=1): that it refuses what CuPy refuses, that every op
runs on it without meeting NumPy, and that it counts copies to the host."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from layer_cases import LAYER_CASES
from op_cases import CASES as OP_CASES
from support import assert_close, leaf

import minigan as mg
from minigan import backend
from minigan.backend import simulated_cupy as cupy
from minigan.tensor import Function

CASES = OP_CASES + LAYER_CASES


def test_numpy_refuses_device_arrays_as_it_refuses_cupys(simulated_gpu):
    device_array = backend.get("cupy").asarray(np.arange(6.0).reshape(2, 3))
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(device_array)
    with pytest.raises(TypeError):
        np.exp(device_array)  # a NumPy ufunc
    with pytest.raises(TypeError, match=r"numpy.sum\(\) met a device array"):
        np.sum(device_array)  # a NumPy function
    with pytest.raises(TypeError, match="Unsupported type"):
        device_array + np.ones(3)  # an operator mixing host and device arrays
    with pytest.raises(TypeError, match="Unsupported type"):
        np.ones(3) * device_array
    assert simulated_gpu.to_host == 0


def test_device_arrays_behave_like_cupys(simulated_gpu):
    a = cupy.arange(6, dtype=cupy.float32).reshape(2, 3)
    total = a.sum()
    assert isinstance(total, cupy.ndarray) and total.shape == ()  # 0-d, not a scalar
    assert isinstance(a[0, 1], cupy.ndarray) and isinstance(cupy.exp(a).max(axis=1), cupy.ndarray)
    assert (a * np.float32(2) + 1).dtype == np.float32  # NumPy and Python scalars are welcome
    assert cupy.get_array_module(a) is cupy and cupy.get_array_module(np.ones(1)) is np
    target = cupy.zeros(3)
    cupy.add.at(target, cupy.asarray(np.array([0, 2, 0])), cupy.ones(3))
    generator = cupy.random.default_rng(0)
    assert generator.standard_normal((2, 2), dtype=cupy.float32).dtype == np.float32
    assert generator.integers(0, 5, size=4).dtype == np.int64
    assert simulated_gpu.to_host == 0
    assert cupy.asnumpy(target).tolist() == [2.0, 0.0, 1.0]  # one copy to the host
    assert float(total) == 15.0 and a.get().shape == (2, 3)  # two more
    assert simulated_gpu.to_host == 3
    with pytest.raises(AttributeError):
        cupy.fft  # only what minigan uses exists


def test_mixing_the_device_and_the_host_in_one_op_raises(simulated_gpu):
    with pytest.raises(ValueError, match="two backends"):
        mg.ones(3) + mg.ones(3, backend="cupy")


def test_an_op_that_calls_numpy_fails_on_the_device(simulated_gpu):
    class HostTanh(Function):
        def forward(self, x):
            return np.tanh(x)  # the bug: NumPy, where the op should use self.xp

    assert HostTanh()(mg.ones(2)).shape == (2,)  # on the host the bug goes unnoticed
    with pytest.raises(TypeError):
        HostTanh()(mg.ones(2, backend="cupy"))


def test_the_device_generator_state_round_trips(simulated_gpu):
    device = backend.get("cupy")
    device.seed(3)
    device.randn((2,), "float32")
    state = json.loads(json.dumps(device.rng_state()))  # as a checkpoint stores it
    following = [device.to_host(device.randn((4,), "float32")),
                 device.to_host(device.permutation(5))]
    device.set_rng_state(state)
    assert (device.to_host(device.randn((4,), "float32")) == following[0]).all()
    assert sorted(device.to_host(device.permutation(5))) == [0, 1, 2, 3, 4]
    device.set_rng_state(state)
    device.randn((4,), "float32")
    assert (device.to_host(device.permutation(5)) == following[1]).all()
    with pytest.raises(ValueError, match="saved by another backend"):
        device.set_rng_state(backend.get("numpy").rng_state())


def test_numpy_copies_count_as_transfers(simulated_gpu):
    x = mg.randn(4, 3, backend="cupy", requires_grad=True)
    (x * x).sum().backward()
    assert simulated_gpu.to_host == 0
    assert x.grad.numpy().shape == (4, 3) and simulated_gpu.to_host == 1


def _derivatives(fn, xs, device):
    """y, dy/dx . ones and the second derivative d(sum(g^2))/dx, on the hosts."""
    y = fn(*xs)
    ones = mg.ones(*y.shape, dtype=y.dtype, backend=device)
    gradients = mg.grad(y, xs, ones, create_graph=True, allow_unused=True)
    live = [g for g in gradients if g is not None and g.requires_grad]
    second = (mg.grad(sum((g * g).sum() for g in live), xs, allow_unused=True) if live
              else [None] * len(xs))
    return [t.numpy() if t is not None else None for t in [y, *gradients, *second]]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
@settings(max_examples=2)
@given(data=st.data())
def test_every_op_runs_on_the_device_without_numpy(case, data, simulated_gpu):
    """Forward, gradient and second derivative of every op on the simulated device equal the
    NumPy backend's: an op that hands a device array to a NumPy function fails here."""
    arrays, fn, _ = case.draw(data)
    on_default = mg.tensor
    on_host = _derivatives(fn, [leaf(a) for a in arrays], "numpy")
    with pytest.MonkeyPatch.context() as patch:  # the constants a case makes go to the device
        patch.setattr(backend, "_default_name", "cupy")
        patch.setattr(mg, "tensor", lambda data, *args, backend="cupy", **options: on_default(
            data, *args, backend=backend, **options))
        on_device = _derivatives(fn, [leaf(a, "cupy") for a in arrays], "cupy")
    for index, (expected, actual) in enumerate(zip(on_host, on_device)):
        assert (expected is None) == (actual is None), f"output {index}"
        if expected is not None:
            assert_close(actual, expected, 1e-9, f"{case.name}, output {index}")


def test_numpy_refuses_a_gpu_tensor_instead_of_copying_it(simulated_gpu):
    on_gpu = mg.ones(2, 3, backend="cupy")
    with pytest.raises(TypeError, match=r"call \.cpu\(\)"):
        np.asarray(on_gpu)
    assert simulated_gpu.to_host == 0
    assert np.asarray(on_gpu.cpu()).shape == (2, 3)
