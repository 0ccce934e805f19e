"""minigan.nn: every layer against PyTorch (forward, input and parameter gradients, running
statistics) in float64 and float32, gradcheck and gradgradcheck through the layers with
parameters, state dicts in both directions, load errors, shape errors, spectral norm, init,
module mechanics, and a DCGAN that trains."""

import ast
import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from support import assert_close, host, needs_torch, random_array, relative_error, torch

import minigan as mg
import minigan.functional as F
from minigan import nn

TOLERANCE = {"float64": 1e-8, "float32": 1e-4}
DTYPES = list(TOLERANCE)
# backend_name is a plain string, so sharing it between hypothesis examples is safe
FIXTURE_OK = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def torch_dtype(dtype):
    return getattr(torch, dtype)


def to_mg(array, backend_name, dtype="float64", requires_grad=False):
    return mg.tensor(array, dtype=dtype, requires_grad=requires_grad, backend=backend_name)


def to_torch(array, dtype="float64", requires_grad=False):
    return torch.tensor(array, dtype=torch_dtype(dtype), requires_grad=requires_grad)


def twins(build, dtype="float64", backend_name="numpy"):
    """The same layer built with minigan.nn and torch.nn, with torch's weights copied over."""
    theirs = build(torch.nn).to(torch_dtype(dtype))
    ours = build(nn).to(dtype).to(backend_name)
    ours.load_state_dict(theirs.state_dict())
    return ours, theirs


def assert_same_state(ours, theirs, tolerance, what=""):
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    for key, value in theirs_state.items():
        if value.dtype == torch.int64:  # num_batches_tracked
            assert ours_state[key].dtype == "int64" and ours_state[key].item() == value.item()
        else:
            assert_close(host(ours_state[key]), host(value), tolerance, f"{what} {key}")


def compare_steps(ours, theirs, shape, dtype, backend_name, steps=1, seed=0, kink=None):
    """Forward, input gradient and every parameter gradient, for `steps` fresh batches, then
    the parameters and buffers (running statistics) they leave behind."""
    tolerance = TOLERANCE[dtype]
    for step in range(steps):
        x = random_array(shape, seed + step, away_from=kink)
        x_ours, x_theirs = to_mg(x, backend_name, dtype, True), to_torch(x, dtype, True)
        y_ours, y_theirs = ours(x_ours), theirs(x_theirs)
        assert y_ours.dtype == dtype and y_ours.shape == tuple(y_theirs.shape)
        assert_close(host(y_ours), host(y_theirs), tolerance, f"step {step} forward")
        upstream = np.random.default_rng(seed + 100 + step).standard_normal(y_ours.shape)
        y_ours.backward(to_mg(upstream, backend_name, dtype))
        y_theirs.backward(to_torch(upstream, dtype))
        assert_close(host(x_ours.grad), host(x_theirs.grad), tolerance, f"step {step} input grad")
        ours_params, theirs_params = dict(ours.named_parameters()), dict(theirs.named_parameters())
        assert list(ours_params) == list(theirs_params)
        for name, p in theirs_params.items():
            assert_close(host(ours_params[name].grad), host(p.grad), tolerance,
                         f"step {step} grad of {name}")
        ours.zero_grad()
        theirs.zero_grad()
    assert_same_state(ours, theirs, tolerance, "after training steps:")


# -- every layer against PyTorch -------------------------------------------------------------
def looped(framework):
    """A module that calls the layers of a ModuleList in a loop (in either framework)."""
    class Looped(framework.Module):
        def __init__(self):
            super().__init__()
            self.layers = framework.ModuleList([framework.Linear(4, 6), framework.Tanh()])
            self.layers.append(framework.Linear(6, 3))

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x
    return Looped()


@dataclass
class Layer:
    name: str
    build: Callable  # build(nn) -> the layer, for nn = minigan.nn or torch.nn
    shape: tuple  # the input's shape
    steps: int = 1  # training-mode batches before the buffers are compared
    then_eval: bool = False  # then one more batch in eval mode
    kink: float = None  # keep inputs away from this point


IMAGES = (2, 3, 7, 6)
LAYERS = [
    Layer("Linear", lambda n: n.Linear(5, 3), (4, 5)),
    Layer("Linear 3-D input, no bias", lambda n: n.Linear(5, 3, bias=False), (2, 3, 5)),
    Layer("Conv2d 4/2/1", lambda n: n.Conv2d(1, 4, 4, 2, 1), (2, 1, 8, 8)),
    Layer("Conv2d rectangular, dilated", lambda n: n.Conv2d(
        3, 4, (3, 2), stride=(2, 1), padding=(1, 0), dilation=(1, 2)), IMAGES),
    Layer("Conv2d 1x1 no bias", lambda n: n.Conv2d(3, 2, 1, bias=False), IMAGES),
    Layer("ConvTranspose2d 4/2/1", lambda n: n.ConvTranspose2d(4, 2, 4, 2, 1), (2, 4, 3, 3)),
    Layer("ConvTranspose2d output_padding", lambda n: n.ConvTranspose2d(
        3, 2, 3, stride=2, padding=1, output_padding=1), (2, 3, 4, 5)),
    Layer("ConvTranspose2d rectangular, dilated", lambda n: n.ConvTranspose2d(
        3, 2, (3, 2), stride=(2, 3), padding=(1, 0), output_padding=(1, 2), dilation=2),
        (2, 3, 3, 4)),
    Layer("BatchNorm1d (N, C)", lambda n: n.BatchNorm1d(4), (8, 4), steps=3, then_eval=True),
    Layer("BatchNorm1d (N, C, L)", lambda n: n.BatchNorm1d(4), (5, 4, 3), steps=3,
          then_eval=True),
    Layer("BatchNorm2d", lambda n: n.BatchNorm2d(3), IMAGES, steps=3, then_eval=True),
    Layer("BatchNorm2d momentum=None", lambda n: n.BatchNorm2d(3, momentum=None), IMAGES,
          steps=3, then_eval=True),
    Layer("BatchNorm2d eps, momentum", lambda n: n.BatchNorm2d(3, eps=1e-2, momentum=0.5),
          IMAGES, steps=2, then_eval=True),
    Layer("BatchNorm2d no affine, no running stats", lambda n: n.BatchNorm2d(
        3, affine=False, track_running_stats=False), IMAGES, steps=2, then_eval=True),
    Layer("ReLU", lambda n: n.ReLU(), (2, 3, 4), kink=0.0),
    Layer("LeakyReLU", lambda n: n.LeakyReLU(), (2, 3, 4), kink=0.0),
    Layer("LeakyReLU 0.2", lambda n: n.LeakyReLU(0.2), (2, 3, 4), kink=0.0),
    Layer("ELU", lambda n: n.ELU(), (2, 3, 4), kink=0.0),
    Layer("ELU 0.5", lambda n: n.ELU(0.5), (2, 3, 4), kink=0.0),
    Layer("Sigmoid", lambda n: n.Sigmoid(), (2, 3, 4)),
    Layer("Tanh", lambda n: n.Tanh(), (2, 3, 4)),
    Layer("Softplus", lambda n: n.Softplus(), (2, 3, 4)),
    Layer("Softplus beta threshold", lambda n: n.Softplus(beta=2.0, threshold=3.0), (2, 3, 4),
          kink=1.5),
    Layer("MaxPool2d 2", lambda n: n.MaxPool2d(2), IMAGES),
    Layer("MaxPool2d 3/2/1", lambda n: n.MaxPool2d(3, 2, 1), IMAGES),
    Layer("MaxPool2d rectangular", lambda n: n.MaxPool2d((3, 2), stride=(1, 2), padding=(1, 0)),
          IMAGES),
    Layer("MaxPool2d dilated", lambda n: n.MaxPool2d(3, 1, 1, dilation=2), IMAGES),
    Layer("AvgPool2d 2", lambda n: n.AvgPool2d(2), IMAGES),
    Layer("AvgPool2d padded, count_include_pad", lambda n: n.AvgPool2d(3, 2, 1), IMAGES),
    Layer("AvgPool2d padded, not count_include_pad",
          lambda n: n.AvgPool2d(3, 2, 1, count_include_pad=False), IMAGES),
    Layer("AvgPool2d rectangular, not count_include_pad", lambda n: n.AvgPool2d(
        (3, 2), stride=1, padding=1, count_include_pad=False), IMAGES),
    Layer("Dropout p=0", lambda n: n.Dropout(0.0), (2, 3, 4)),
    Layer("Flatten", lambda n: n.Flatten(), IMAGES),
    Layer("Flatten 0..2", lambda n: n.Flatten(0, 2), IMAGES),
    Layer("Unflatten", lambda n: n.Unflatten(1, (3, 4)), (2, 12, 3)),
    Layer("Unflatten last axis", lambda n: n.Unflatten(-1, (2, 3)), (2, 3, 6)),
    Layer("Upsample scale 2", lambda n: n.Upsample(scale_factor=2), IMAGES),
    Layer("Upsample scale (2, 3)", lambda n: n.Upsample(scale_factor=(2, 3)), IMAGES),
    Layer("Upsample scale 1.5", lambda n: n.Upsample(scale_factor=1.5), IMAGES),
    Layer("Upsample scale 1.7", lambda n: n.Upsample(scale_factor=1.7), IMAGES),
    Layer("Upsample scale 0.5", lambda n: n.Upsample(scale_factor=0.5), IMAGES),
    Layer("Upsample scale 1.1 (same size)", lambda n: n.Upsample(scale_factor=1.1), IMAGES),
    Layer("Upsample scale 2.1 (twice the size)", lambda n: n.Upsample(scale_factor=2.1), IMAGES),
    Layer("Upsample size", lambda n: n.Upsample(size=(10, 9)), IMAGES),
    Layer("Upsample size down", lambda n: n.Upsample(size=3), IMAGES),
    Layer("Identity", lambda n: n.Identity(), (2, 3)),
    Layer("Sequential", lambda n: n.Sequential(
        n.Conv2d(3, 4, 3, 2, 1, bias=False), n.BatchNorm2d(4), n.LeakyReLU(0.2), n.Flatten(),
        n.Linear(4 * 4 * 3, 2)), IMAGES, steps=2, then_eval=True),
    Layer("ModuleList", looped, (5, 4)),
]


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layer", LAYERS, ids=[layer.name for layer in LAYERS])
def test_layer_matches_torch(layer, dtype, backend_name):
    ours, theirs = twins(layer.build, dtype, backend_name)
    assert repr(ours).split("(")[0] == repr(theirs).split("(")[0]
    compare_steps(ours, theirs, layer.shape, dtype, backend_name, layer.steps, kink=layer.kink)
    if layer.then_eval:
        ours.eval()
        theirs.eval()
        compare_steps(ours, theirs, layer.shape, dtype, backend_name, seed=50, kink=layer.kink)


def both_ways(value):
    return value if isinstance(value, tuple) else (value, value)


@st.composite
def conv_geometry(draw, transposed):
    """Constructor arguments and an input shape that gives an output of at least 1x1."""
    def pair_of(low, high):
        first = draw(st.integers(low, high))
        return first if draw(st.booleans()) else (first, draw(st.integers(low, high)))

    kernel, stride, padding, dilation = (pair_of(1, 3), pair_of(1, 3), pair_of(0, 2),
                                         pair_of(1, 2))
    kwargs = dict(kernel_size=kernel, stride=stride, padding=padding, dilation=dilation,
                  bias=draw(st.booleans()))
    sizes = []
    for k, s, p, d in zip(*map(both_ways, (kernel, stride, padding, dilation))):
        if transposed:  # (H - 1) s - 2p + d (k - 1) + output_padding + 1 >= 1
            smallest = 1 + max(0, math.ceil((2 * p - d * (k - 1)) / s))
        else:  # H + 2p - d (k - 1) - 1 >= 0
            smallest = max(1, d * (k - 1) + 1 - 2 * p)
        sizes.append(draw(st.integers(smallest, smallest + 3)))
    if transposed:
        kwargs["output_padding"] = tuple(draw(st.integers(0, max(s, d) - 1))
                                         for s, d in zip(both_ways(stride), both_ways(dilation)))
    channels = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return channels, kwargs, (draw(st.integers(1, 2)), channels[0], *sizes)


@needs_torch
@pytest.mark.parametrize("kind", ["Conv2d", "ConvTranspose2d"])
@FIXTURE_OK
@given(data=st.data())
def test_convolution_geometries_match_torch(kind, backend_name, data):
    """In float64 only: with one or two channels and pixels, a float32 gradient can be a sum
    that cancels to almost nothing, and its relative error says nothing about the layer (the
    float32 cases of test_layer_matches_torch are well conditioned)."""
    (c_in, c_out), kwargs, shape = data.draw(conv_geometry(kind == "ConvTranspose2d"))
    ours, theirs = twins(lambda n: getattr(n, kind)(c_in, c_out, **kwargs), "float64",
                         backend_name)
    compare_steps(ours, theirs, shape, "float64", backend_name)


def _windows_touch_input(kernel, stride, padding, dilation, size):
    """Does every pooling window along this axis hold at least one input pixel?"""
    outputs = (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    return all(any(padding <= o * stride + i * dilation < padding + size for i in range(kernel))
               for o in range(outputs))


@needs_torch
@pytest.mark.parametrize("kind", ["MaxPool2d", "AvgPool2d"])
@FIXTURE_OK
@given(data=st.data())
def test_pooling_geometries_match_torch(kind, backend_name, data):
    kernel = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    stride = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    padding = tuple(data.draw(st.integers(0, k // 2)) for k in kernel)
    kwargs = dict(kernel_size=kernel, stride=stride, padding=padding)
    if kind == "MaxPool2d":
        kwargs["dilation"] = data.draw(st.integers(1, 2))
        reach = [kwargs["dilation"] * (k - 1) + 1 for k in kernel]
    else:
        kwargs["count_include_pad"] = data.draw(st.booleans())
        reach = list(kernel)
    shape = (2, 2) + tuple(data.draw(st.integers(max(1, r - 2 * p), r + 3))
                           for r, p in zip(reach, padding))
    # a dilated window can fall wholly in the padding: -inf, and a meaningless gradient in torch
    assume(all(_windows_touch_input(*geometry) for geometry in zip(
        kernel, stride, padding, both_ways(kwargs.get("dilation", 1)), shape[2:])))
    ours, theirs = twins(lambda n: getattr(n, kind)(**kwargs), "float64", backend_name)
    compare_steps(ours, theirs, shape, "float64", backend_name)


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_embedding_matches_torch(dtype, backend_name):
    ours, theirs = twins(lambda n: n.Embedding(10, 3), dtype, backend_name)
    indices = np.array([[1, 2, 2, 9], [0, 9, 1, 1]])  # repeats: their gradients add up
    y_ours = ours(mg.tensor(indices, backend=backend_name))
    y_theirs = theirs(torch.tensor(indices))
    assert_close(host(y_ours), host(y_theirs), TOLERANCE[dtype], "forward")
    upstream = np.random.default_rng(0).standard_normal(y_ours.shape)
    y_ours.backward(to_mg(upstream, backend_name, dtype))
    y_theirs.backward(to_torch(upstream, dtype))
    assert_close(host(ours.weight.grad), host(theirs.weight.grad), TOLERANCE[dtype], "grad")


# -- dropout ----------------------------------------------------------------------------------
def test_dropout_is_exact_with_p_zero_and_in_eval(backend_name):
    x = to_mg(random_array((4, 5), 0), backend_name, "float32", requires_grad=True)
    assert np.array_equal(host(nn.Dropout(0.0)(x)), host(x))
    dropout = nn.Dropout(0.5).eval()
    y = dropout(x)
    assert np.array_equal(host(y), host(x))
    y.sum().backward()
    assert np.array_equal(host(x.grad), np.ones(x.shape))


@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_in_training_drops_p_and_scales_by_one_over_keep(p, backend_name):
    mg.manual_seed(0)
    n = 200_000
    x = to_mg(random_array((n,), 1, low=0.5, high=1.5), backend_name, "float32",
              requires_grad=True)
    y = nn.Dropout(p)(x)
    values, inputs = host(y), host(x)
    dropped = values == 0
    # a binomial count: 6 standard deviations is a false alarm once in ~10^9 runs
    assert abs(dropped.mean() - p) < 6 * math.sqrt(p * (1 - p) / n)
    assert_close(values[~dropped], inputs[~dropped] / (1 - p), 1e-6, "kept values")
    # the mean is kept: Var(y / E x) ~ p / (1 - p) * E[x^2] / E[x]^2 / n, E[x^2] / E[x]^2 < 1.1
    assert abs(values.mean() / inputs.mean() - 1) < 6 * math.sqrt(p / (1 - p) * 1.1 / n)
    y.sum().backward()
    gradient = host(x.grad)
    assert np.array_equal(gradient == 0, dropped)
    assert_close(gradient[~dropped], np.full((~dropped).sum(), 1 / (1 - p)), 1e-6, "grad")
    assert not np.array_equal(host(nn.Dropout(p)(x)) == 0, dropped)  # a new mask per call


# -- gradcheck and gradgradcheck through the layers with parameters ---------------------------
def _trained_batch_norm(layer):
    """A float64 BatchNorm2d in eval mode whose running statistics have moved."""
    layer.double()(mg.tensor(random_array((6, layer.num_features, 2, 2), 9)))
    return layer.eval()


GRADCHECK_LAYERS = [
    ("Linear", lambda: nn.Linear(3, 2), (2, 3)),
    ("Conv2d", lambda: nn.Conv2d(2, 2, 3, stride=2, padding=1), (1, 2, 4, 4)),
    ("Conv2d dilated, no bias", lambda: nn.Conv2d(1, 2, 2, dilation=2, bias=False),
     (2, 1, 4, 3)),
    ("ConvTranspose2d output_padding", lambda: nn.ConvTranspose2d(
        2, 1, 3, stride=2, padding=1, output_padding=1), (1, 2, 2, 2)),
    ("BatchNorm1d", lambda: nn.BatchNorm1d(2), (4, 2)),
    ("BatchNorm1d (N, C, L)", lambda: nn.BatchNorm1d(2), (3, 2, 2)),
    ("BatchNorm2d", lambda: nn.BatchNorm2d(2), (2, 2, 2, 2)),
    ("BatchNorm2d eval", lambda: _trained_batch_norm(nn.BatchNorm2d(2)),
     (2, 2, 2, 2)),
    ("spectral_norm(Linear) eval", lambda: nn.utils.spectral_norm(nn.Linear(3, 2)).eval(),
     (2, 3)),
    ("Sequential", lambda: nn.Sequential(nn.Linear(3, 3), nn.ELU(), nn.Linear(3, 2),
                                         nn.Softplus()), (2, 3)),
]


@pytest.mark.parametrize("check", [mg.gradcheck, mg.gradgradcheck], ids=["grad", "gradgrad"])
@pytest.mark.parametrize("build, shape", [case[1:] for case in GRADCHECK_LAYERS],
                         ids=[case[0] for case in GRADCHECK_LAYERS])
def test_gradcheck_through_layer(build, shape, check, backend_name):
    mg.manual_seed(0)
    layer = build().double().to(backend_name)
    x = to_mg(random_array(shape, 3), backend_name, requires_grad=True)
    parameters = list(layer.parameters())
    assert parameters and all(p.dtype == "float64" for p in parameters)
    assert check(lambda x, *parameters: layer(x), [x] + parameters)


@pytest.mark.parametrize("check", [mg.gradcheck, mg.gradgradcheck], ids=["grad", "gradgrad"])
def test_gradcheck_through_embedding(check, backend_name):
    layer = nn.Embedding(4, 2).double().to(backend_name)
    indices = mg.tensor(np.array([[0, 3], [3, 1]]), backend=backend_name)
    assert check(lambda weight: layer(indices) ** 2, [layer.weight])


# -- state dicts ------------------------------------------------------------------------------
def dcgan_generator(n):
    return n.Sequential(
        n.Linear(100, 128 * 7 * 7),               # (N, 6272)
        n.Unflatten(1, (128, 7, 7)),              # (N, 128, 7, 7)
        n.BatchNorm2d(128), n.ReLU(),
        n.ConvTranspose2d(128, 64, 4, 2, 1),      # (N, 64, 14, 14)
        n.BatchNorm2d(64), n.ReLU(),
        n.ConvTranspose2d(64, 1, 4, 2, 1),        # (N, 1, 28, 28)
        n.Tanh())


def dcgan_discriminator(n):
    return n.Sequential(
        n.Conv2d(1, 64, 4, 2, 1), n.LeakyReLU(0.2),                          # (N, 64, 14, 14)
        n.Conv2d(64, 128, 4, 2, 1), n.BatchNorm2d(128), n.LeakyReLU(0.2),    # (N, 128, 7, 7)
        n.Flatten(),                                                         # (N, 6272)
        n.Linear(128 * 7 * 7, 1))                                            # (N, 1)


def spectral_critic(n):
    sn = n.utils.spectral_norm
    return n.Sequential(sn(n.Conv2d(2, 4, 3, 2, 1)), n.LeakyReLU(0.2),
                        sn(n.ConvTranspose2d(4, 3, 3, 2, 1, output_padding=1)), n.BatchNorm2d(3),
                        n.Flatten(), sn(n.Linear(3 * 6 * 6, 2)))


STATE_MODELS = [("generator", dcgan_generator, (4, 100)),
                ("discriminator", dcgan_discriminator, (4, 1, 28, 28)),
                ("spectral norm", spectral_critic, (4, 2, 6, 6))]


def _train_batches(model, shape, framework):
    """Two training-mode forwards, so running statistics and spectral-norm vectors move."""
    for seed in (11, 12):
        x = random_array(shape, seed)
        model(mg.tensor(x, dtype="float32") if framework is nn else torch.tensor(x).float())


def _outputs_agree(ours, theirs, shape):
    ours.eval()
    theirs.eval()
    x = random_array(shape, 13)
    with torch.no_grad():
        expected = theirs(torch.tensor(x).float())
    assert_close(host(ours(mg.tensor(x, dtype="float32"))), host(expected), 1e-4, "output")


@needs_torch
@pytest.mark.parametrize("name, build, shape", STATE_MODELS, ids=[m[0] for m in STATE_MODELS])
def test_minigan_state_dict_loads_into_torch(name, build, shape):
    mg.manual_seed(0)
    ours, theirs = build(nn), build(torch.nn)
    _train_batches(ours, shape, nn)
    state = ours.state_dict()
    expected = theirs.state_dict()
    assert list(state) == list(expected)
    assert [v.shape for v in state.values()] == [tuple(v.shape) for v in expected.values()]
    assert [str(v.dtype) for v in state.values()] == [
        str(v.dtype).replace("torch.", "") for v in expected.values()]
    result = theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in state.items()})
    assert not result.missing_keys and not result.unexpected_keys
    _outputs_agree(ours, theirs, shape)
    # and back: a fresh minigan model loaded from torch's state dict has every value exactly
    again = build(nn)
    again.load_state_dict(theirs.state_dict())
    for key, value in again.state_dict().items():
        assert np.array_equal(value.numpy(), state[key].numpy()), key


@needs_torch
@pytest.mark.parametrize("as_numpy", [True, False], ids=["numpy arrays", "torch tensors"])
@pytest.mark.parametrize("name, build, shape", STATE_MODELS, ids=[m[0] for m in STATE_MODELS])
def test_torch_state_dict_loads_into_minigan(name, build, shape, as_numpy):
    torch.manual_seed(0)
    ours, theirs = build(nn), build(torch.nn)
    _train_batches(theirs, shape, torch.nn)
    state = theirs.state_dict()
    missing, unexpected = ours.load_state_dict(
        {k: v.numpy() for k, v in state.items()} if as_numpy else state)
    assert missing == [] and unexpected == []
    for key, value in ours.state_dict().items():
        assert np.array_equal(host(value), host(state[key])), key
    assert ours.state_dict()[next(k for k in state if "num_batches_tracked" in k)].item() == 2
    _outputs_agree(ours, theirs, shape)


def test_state_dict_keys_of_batch_norm_and_spectral_norm():
    model = nn.Sequential(nn.BatchNorm2d(3), nn.utils.spectral_norm(nn.Linear(4, 2)))
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "0.running_mean", "0.running_var",
                           "0.num_batches_tracked", "1.bias", "1.weight_orig", "1.weight_u",
                           "1.weight_v"]
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.bias",
                                                        "1.weight_orig"]
    assert state["0.num_batches_tracked"].dtype == "int64"
    assert state["1.weight_u"].shape == (2,) and state["1.weight_v"].shape == (4,)
    # the state dict holds detached values: changing the model changes what it sees
    model[0].running_mean.data += 1
    assert np.array_equal(host(state["0.running_mean"]), np.ones(3))
    assert not state["0.weight"].requires_grad


def test_state_dict_of_a_shared_layer_has_every_name():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    weight = np.full((2, 2), 3.0)
    model.load_state_dict({"0.weight": weight, "0.bias": np.zeros(2), "2.weight": weight,
                           "2.bias": np.zeros(2)})
    assert np.array_equal(host(shared.weight), weight)


def _small_model():
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))


def test_load_state_dict_strict_reports_every_problem_at_once():
    model = _small_model()
    state = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    del state["1.running_var"]
    state["2.weight"] = np.zeros(3)
    state["0.weight"] = np.zeros((4, 2))
    with pytest.raises(RuntimeError) as error:
        model.load_state_dict(state)
    message = str(error.value)
    for part in ("1.running_var", "2.weight", "0.weight", repr(model[0]), "(4, 2)", "(4, 3)",
                 "missing", "unexpected"):
        assert part in message, f"{part!r} not in {message!r}"


def test_load_state_dict_reports_a_mis_shaped_buffer():
    model = _small_model()
    state = {k: v.numpy() for k, v in model.state_dict().items()}
    state["1.running_mean"] = np.zeros(5)
    with pytest.raises(RuntimeError, match=r"1\.running_mean in BatchNorm1d\(4.*\(5,\).*\(4,\)"):
        model.load_state_dict(state)


def test_load_state_dict_not_strict_returns_missing_and_unexpected_keys():
    model = _small_model()
    state = {k: np.full(v.shape, 0.5, dtype=v.numpy().dtype)
             for k, v in model.state_dict().items()}
    del state["0.bias"]
    state["head.weight"] = np.zeros(2)
    bias = model[0].bias.numpy().copy()
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert missing == ["0.bias"] and unexpected == ["head.weight"]
    assert np.array_equal(model[0].weight.numpy(), np.full((4, 3), 0.5))
    assert np.array_equal(model[0].bias.numpy(), bias)
    assert np.array_equal(model[1].running_var.numpy(), np.full(4, 0.5))
    with pytest.raises(RuntimeError, match="missing keys: 0.bias"):
        model.load_state_dict(state, strict=True)


def test_load_state_dict_keeps_the_tensors_in_place():
    model = _small_model().double()
    weight = model[0].weight
    source = _small_model()
    model.load_state_dict(source.state_dict())
    assert model[0].weight is weight and weight.dtype == "float64"
    assert_close(weight.numpy(), source[0].weight.numpy(), 1e-7, "weight")


# -- errors that name the layer and both shapes -----------------------------------------------
def test_conv2d_with_the_wrong_number_of_channels():
    layer = nn.Conv2d(3, 8, 3)
    with pytest.raises(ValueError) as error:
        layer(mg.zeros(2, 5, 8, 8))
    message = str(error.value)
    assert "Conv2d(3, 8, kernel_size=(3, 3)" in message
    assert "(N, 3, H, W)" in message and "(2, 5, 8, 8)" in message
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8.*\(N, 3, H, W\).*\(3, 8, 8\)"):
        layer(mg.zeros(3, 8, 8))
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(4, 2.*\(N, 4, H, W\).*\(1, 2, 3, 3\)"):
        nn.ConvTranspose2d(4, 2, 3)(mg.zeros(1, 2, 3, 3))


def test_linear_with_the_wrong_width():
    with pytest.raises(ValueError) as error:
        nn.Linear(5, 3)(mg.zeros(4, 6))
    message = str(error.value)
    assert "Linear(in_features=5, out_features=3" in message
    assert "(..., 5)" in message and "(4, 6)" in message


def test_batch_norm2d_given_2d_input():
    with pytest.raises(ValueError) as error:
        nn.BatchNorm2d(3)(mg.zeros(4, 3))
    message = str(error.value)
    assert "BatchNorm2d(3" in message and "(N, 3, H, W)" in message and "(4, 3)" in message
    with pytest.raises(ValueError, match=r"BatchNorm1d\(3.*\(N, 3\).*\(4, 2\)"):
        nn.BatchNorm1d(3)(mg.zeros(4, 2))


def test_unflatten_with_the_wrong_size():
    with pytest.raises(ValueError, match=r"Unflatten\(dim=1.*size 12.*\(2, 10\)"):
        nn.Unflatten(1, (3, 4))(mg.zeros(2, 10))


# -- spectral norm ----------------------------------------------------------------------------
SPECTRAL_LAYERS = [
    ("Linear", lambda n: n.Linear(5, 4), (3, 5), 0),
    ("Conv2d", lambda n: n.Conv2d(3, 4, 3, padding=1), (2, 3, 5, 5), 0),
    ("ConvTranspose2d", lambda n: n.ConvTranspose2d(3, 4, 3, 2), (2, 3, 3, 3), 1),
]


@needs_torch
@pytest.mark.parametrize("power_iterations", [1, 3])
@pytest.mark.parametrize("name, build, shape, dim", SPECTRAL_LAYERS,
                         ids=[s[0] for s in SPECTRAL_LAYERS])
def test_spectral_norm_matches_torch(name, build, shape, dim, power_iterations, backend_name):
    def spectral(n):
        return n.utils.spectral_norm(build(n), n_power_iterations=power_iterations)

    ours, theirs = twins(spectral, "float64", backend_name)
    weight = ours.weight_orig.numpy()
    rows = weight.shape[dim]
    assert ours.weight_u.shape == (rows,) and ours.weight_v.shape == (weight.size // rows,)
    compare_steps(ours, theirs, shape, "float64", backend_name, steps=3)  # u, v compared too
    # the weight used is W / sigma, sigma = u^T W v from the refined vectors
    u, v = ours.weight_u.numpy(), ours.weight_v.numpy()
    matrix = np.moveaxis(weight, dim, 0).reshape(rows, -1)
    assert_close(host(ours.weight), weight / (u @ matrix @ v), 1e-12, "weight / sigma")
    ours.eval()
    theirs.eval()
    u_before, v_before = u.copy(), v.copy()
    compare_steps(ours, theirs, shape, "float64", backend_name, steps=2, seed=7)
    assert np.array_equal(ours.weight_u.numpy(), u_before)
    assert np.array_equal(ours.weight_v.numpy(), v_before)


def test_spectral_norm_bounds_the_largest_singular_value():
    mg.manual_seed(0)
    layer = nn.utils.spectral_norm(nn.Linear(6, 5))
    for _ in range(30):
        layer(mg.zeros(1, 6))
    assert layer.weight.numpy().shape == (5, 6)
    assert abs(np.linalg.norm(layer.weight.numpy(), 2) - 1) < 1e-4
    assert isinstance(layer.weight_orig, nn.Parameter) and "weight" not in dict(
        layer.named_parameters())


# -- init ---------------------------------------------------------------------------------------
LARGE = (400, 250)  # 100,000 samples
CONV_WEIGHT = (64, 32, 5, 5)  # fan_in = 800, fan_out = 1600; 51,200 samples


def _sample_std_tolerance(std, n):
    return 6 * std / math.sqrt(n)  # 6 standard errors of the sample mean


def assert_uniform(values, low, high):
    n = values.size
    assert values.min() >= low and values.max() <= high
    assert values.min() < low + (high - low) * 1e-3 and values.max() > high - (high - low) * 1e-3
    std = (high - low) / math.sqrt(12)
    assert abs(values.mean() - (low + high) / 2) < _sample_std_tolerance(std, n)
    assert abs(values.std() / std - 1) < 0.02


def assert_normal(values, mean, std):
    assert abs(values.mean() - mean) < _sample_std_tolerance(std, values.size)
    assert abs(values.std() / std - 1) < 0.02
    assert values.min() < mean - 3 * std and values.max() > mean + 3 * std  # not bounded


def test_uniform_and_normal(backend_name):
    mg.manual_seed(0)
    for dtype in DTYPES:
        t = mg.zeros(*LARGE, dtype=dtype, backend=backend_name)
        assert nn.init.uniform_(t, -0.5, 2.0) is t and t.dtype == dtype
        assert_uniform(host(t), -0.5, 2.0)
        assert_uniform(host(nn.init.uniform_(t)), 0.0, 1.0)
        assert_normal(host(nn.init.normal_(t, 1.5, 0.3)), 1.5, 0.3)
        assert_normal(host(nn.init.normal_(t)), 0.0, 1.0)
    assert np.array_equal(host(nn.init.constant_(t, 0.25)), np.full(LARGE, 0.25))
    assert np.array_equal(host(nn.init.zeros_(t)), np.zeros(LARGE))
    assert np.array_equal(host(nn.init.ones_(t)), np.ones(LARGE))


@pytest.mark.parametrize("shape, fan_in, fan_out", [(LARGE, 250, 400),
                                                    (CONV_WEIGHT, 800, 1600)])
def test_xavier(shape, fan_in, fan_out):
    mg.manual_seed(1)
    t = mg.zeros(*shape)
    bound = 0.7 * math.sqrt(6 / (fan_in + fan_out))
    assert_uniform(host(nn.init.xavier_uniform_(t, gain=0.7)), -bound, bound)
    assert_normal(host(nn.init.xavier_normal_(t)), 0.0, math.sqrt(2 / (fan_in + fan_out)))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity, a", [("relu", 0), ("leaky_relu", 0.2),
                                             ("leaky_relu", math.sqrt(5)), ("tanh", 0)])
def test_kaiming(nonlinearity, a, mode):
    mg.manual_seed(2)
    t = mg.zeros(*CONV_WEIGHT)
    fan = 800 if mode == "fan_in" else 1600
    gain = {"relu": math.sqrt(2), "tanh": 5 / 3,
            "leaky_relu": math.sqrt(2 / (1 + a * a))}[nonlinearity]
    std = gain / math.sqrt(fan)
    nn.init.kaiming_uniform_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    assert_uniform(host(t), -math.sqrt(3) * std, math.sqrt(3) * std)
    nn.init.kaiming_normal_(t, a=a, mode=mode, nonlinearity=nonlinearity)
    assert_normal(host(t), 0.0, std)


def test_init_errors():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        nn.init.xavier_uniform_(mg.zeros(5))
    with pytest.raises(ValueError, match="mode"):
        nn.init.kaiming_normal_(mg.zeros(3, 3), mode="fan_avg")
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.init.calculate_gain("swish")


@needs_torch
@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("conv2d", None), ("conv_transpose2d", None), ("sigmoid", None),
    ("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None)])
def test_calculate_gain_matches_torch(nonlinearity, param):
    expected = torch.nn.init.calculate_gain(nonlinearity, param)
    assert nn.init.calculate_gain(nonlinearity, param) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("build, fan_in", [
    (lambda: nn.Linear(300, 400), 300),
    (lambda: nn.Conv2d(16, 256, 3), 16 * 9),
    (lambda: nn.Conv2d(8, 128, (3, 5), bias=False), 8 * 15),
    (lambda: nn.ConvTranspose2d(256, 8, 4), 8 * 16),  # weight (in, out, kh, kw): fan_in = out * 16
], ids=["Linear", "Conv2d", "Conv2d rectangular", "ConvTranspose2d"])
def test_default_layer_initialisation_bounds(build, fan_in):
    mg.manual_seed(3)
    layer = build()
    bound = 1 / math.sqrt(fan_in)
    assert layer.weight.dtype == "float32"
    assert_uniform(layer.weight.numpy().astype("float64"), -bound, bound)
    if layer.bias is not None:
        bias = layer.bias.numpy()
        assert np.abs(bias).max() <= bound and np.abs(bias).max() > bound / 2
        assert len(np.unique(bias)) == bias.size


def test_default_initialisation_of_batch_norm_and_embedding():
    norm = nn.BatchNorm2d(5)
    for tensor, value in ((norm.weight, 1), (norm.bias, 0), (norm.running_mean, 0),
                          (norm.running_var, 1), (norm.num_batches_tracked, 0)):
        assert np.array_equal(tensor.numpy(), np.full(tensor.shape, value))
    assert norm.num_batches_tracked.dtype == "int64" and norm.num_batches_tracked.shape == ()
    assert_normal(nn.Embedding(1000, 100).weight.numpy().astype("float64"), 0.0, 1.0)


def test_manual_seed_makes_initial_weights_reproducible():
    def weights(seed):
        mg.manual_seed(seed)
        model = nn.Sequential(dcgan_discriminator(nn), nn.utils.spectral_norm(nn.Linear(1, 3)),
                              nn.Embedding(4, 2))
        return {k: v.numpy().copy() for k, v in model.state_dict().items()}

    first, again, other = weights(5), weights(5), weights(6)
    assert all(np.array_equal(first[k], again[k]) for k in first)
    assert not np.array_equal(first["0.0.weight"], other["0.0.weight"])
    assert not np.array_equal(first["1.weight_u"], other["1.weight_u"])


# -- module mechanics -------------------------------------------------------------------------
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.norm = nn.BatchNorm2d(2)
        self.heads = nn.ModuleList([nn.Linear(2, 1), nn.Linear(2, 1, bias=False)])
        self.register_buffer("scale", mg.ones(1))
        self.register_buffer("scratch", mg.zeros(1), persistent=False)


def _torch_block():
    class TorchBlock(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 2, 3)
            self.norm = torch.nn.BatchNorm2d(2)
            self.heads = torch.nn.ModuleList([torch.nn.Linear(2, 1),
                                              torch.nn.Linear(2, 1, bias=False)])
            self.register_buffer("scale", torch.ones(1))
            self.register_buffer("scratch", torch.zeros(1), persistent=False)
    return TorchBlock()


def _names(pairs):
    return [name for name, _ in pairs]


def _kinds(modules):
    return [type(m).__name__.replace("TorchBlock", "Block") for m in modules]


@needs_torch
def test_walking_the_tree_matches_torch():
    ours, theirs = Block(), _torch_block()
    assert _names(ours.named_parameters()) == _names(theirs.named_parameters())
    assert [p.shape for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]
    assert _names(ours.named_buffers()) == _names(theirs.named_buffers())
    assert len(list(ours.buffers())) == 5
    assert _names(ours.named_children()) == _names(theirs.named_children())
    assert _kinds(ours.children()) == _kinds(theirs.children())
    assert _names(ours.named_modules()) == _names(theirs.named_modules())
    assert _kinds(ours.modules()) == _kinds(theirs.modules())
    assert list(ours.state_dict()) == list(theirs.state_dict())  # without "scratch"
    assert _names(ours.named_parameters(recurse=False)) == []
    assert _names(ours.heads.named_parameters()) == ["0.weight", "0.bias", "1.weight"]
    visited, visited_torch = [], []
    assert ours.apply(visited.append) is ours
    theirs.apply(visited_torch.append)
    assert _kinds(visited) == _kinds(visited_torch) and visited[-1] is ours


@needs_torch
def test_a_shared_layer_is_walked_once_as_in_torch():
    shared, shared_torch = nn.Linear(2, 2), torch.nn.Linear(2, 2)
    act, act_torch = nn.ReLU(), torch.nn.ReLU()
    ours = nn.Sequential(shared, act, shared, act)
    theirs = torch.nn.Sequential(shared_torch, act_torch, shared_torch, act_torch)
    assert _names(ours.named_modules()) == _names(theirs.named_modules())
    assert _names(ours.named_children()) == _names(theirs.named_children())
    assert _names(ours.named_parameters()) == _names(theirs.named_parameters())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    counted = []
    ours.apply(counted.append)
    torch_counted = []
    theirs.apply(torch_counted.append)
    assert len(counted) == len(torch_counted)


@needs_torch
def test_sequential_and_module_list_behave_as_torch():
    def build(n):
        return n.Sequential(n.Linear(2, 3), n.ReLU(), n.Linear(3, 1))

    ours, theirs = build(nn), build(torch.nn)
    assert len(ours) == len(theirs) == 3 and _kinds(ours) == _kinds(theirs)
    assert ours[-1] is ours[2] and isinstance(ours[0], nn.Linear)
    tail, torch_tail = ours[1:], theirs[1:]
    assert isinstance(tail, nn.Sequential) and tail[-1] is ours[2]
    assert list(tail.state_dict()) == list(torch_tail.state_dict())  # the names are kept
    ours.append(nn.Sigmoid())
    theirs.append(torch.nn.Sigmoid())
    assert _names(ours.named_children()) == _names(theirs.named_children())
    x = random_array((4, 2), 0)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    assert_close(ours(mg.tensor(x, dtype="float32")).numpy(),
                 host(theirs(torch.tensor(x).float())), 1e-6, "Sequential")

    def named(n):
        return n.Sequential(OrderedDict([("encode", n.Linear(2, 2)), ("act", n.Tanh())]))

    assert list(named(nn).state_dict()) == list(named(torch.nn).state_dict())
    assert isinstance(named(nn).encode, nn.Linear)

    def listed(n):
        layers = n.ModuleList([n.Linear(2, 2), n.Tanh()])
        layers.extend([n.Linear(2, 3)])
        return layers.append(n.ReLU())

    ours, theirs = listed(nn), listed(torch.nn)
    assert len(ours) == len(theirs) == 4 and _kinds(ours) == _kinds(theirs)
    assert ours[-2] is ours[2] and _kinds(ours[1:3]) == _kinds(theirs[1:3])
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(ours[2:].state_dict()) == list(theirs[2:].state_dict())
    assert _names(ours.named_parameters()) == _names(theirs.named_parameters())


def test_train_and_eval_propagate():
    model = Block()
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    model.heads.train(False)
    assert [m.training for m in model.modules()] == [True, True, True, False, False, False]
    # the mode changes what the layers do
    mg.manual_seed(0)
    net = nn.Sequential(nn.BatchNorm1d(3), nn.Dropout(0.5))
    x = mg.tensor(random_array((8, 3), 4) + 3.0)
    trained = net(x).numpy()
    assert (trained == 0).any() and net[0].num_batches_tracked.item() == 1
    net.eval()
    evaluated, again = net(x).numpy(), net(x).numpy()
    assert not (evaluated == 0).any() and np.array_equal(evaluated, again)
    assert net[0].num_batches_tracked.item() == 1


def test_zero_grad_forgets_every_gradient():
    model = Block()
    x = mg.tensor(random_array((2, 1, 4, 4), 0), dtype="float32")
    features = model.norm(model.conv(x)).mean(axis=(2, 3))
    (model.heads[0](features).sum() + model.heads[1](features).sum()).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_apply_initialises_every_layer():
    model = nn.Sequential(nn.Linear(3, 4), nn.Sequential(nn.Conv2d(1, 2, 3), nn.Tanh()))

    def initialise(module):
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            nn.init.constant_(module.weight, 0.5)
            nn.init.zeros_(module.bias)

    assert model.apply(initialise) is model
    assert all((p.numpy() == 0.5).all() for n, p in model.named_parameters() if "weight" in n)
    assert all((p.numpy() == 0).all() for n, p in model.named_parameters() if "bias" in n)


def test_dtype_conversion_keeps_parameter_identity():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    params = list(model.parameters())  # what an optimizer holds
    buffers = list(model.buffers())
    x = mg.tensor(random_array((5, 3), 0))
    model(x.float()).sum().backward()
    assert model.double() is model
    assert all(a is b for a, b in zip(params, model.parameters()))
    assert all(a is b for a, b in zip(buffers, model.buffers()))
    assert all(p.dtype == "float64" and p.requires_grad for p in params)
    assert model[1].running_mean.dtype == "float64"
    assert model[1].num_batches_tracked.dtype == "int64"
    assert model(x).dtype == "float64"
    # an update through the held references is what the model uses
    before = model.eval()(x).numpy()
    with mg.no_grad():
        params[-1].data += 1.0  # the last bias
    assert_close(model(x).numpy(), before + 1.0, 1e-12, "after the update")
    assert model.float() is model and model.to("float64") is model
    assert all(a is b for a, b in zip(params, model.parameters()))
    model.float()
    assert all(p.dtype == "float32" for p in params) and model(x.float()).dtype == "float32"


def test_requires_grad_false_freezes_the_parameters():
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh())
    assert model.requires_grad_(False) is model
    assert not any(p.requires_grad for p in model.parameters())
    x = mg.tensor(random_array((2, 3), 0), dtype="float32", requires_grad=True)
    y = model(x).sum()
    y.backward()
    assert x.grad is not None and all(p.grad is None for p in model.parameters())
    assert not model(mg.zeros(2, 3)).requires_grad
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())


def _call_arguments(text):
    """The (positional, keyword) arguments of 'Name(a, b=c)' as Python values."""
    call = ast.parse(text, mode="eval").body
    return ([ast.literal_eval(a) for a in call.args],
            {k.arg: ast.literal_eval(k.value) for k in call.keywords})


@needs_torch
@pytest.mark.parametrize("layer", LAYERS, ids=[layer.name for layer in LAYERS])
def test_repr_is_close_to_torch(layer):
    """Each layer's repr has torch's name and positional arguments, and every keyword it shows
    has the value torch shows (torch may show a few more)."""
    ours, theirs = layer.build(nn), layer.build(torch.nn)
    for mine, its in zip(ours.modules(), theirs.modules()):
        if list(mine.children()):
            continue
        args, kwargs = _call_arguments(repr(mine))
        torch_args, torch_kwargs = _call_arguments(repr(its))
        assert type(mine).__name__ == type(its).__name__
        assert args == torch_args, (repr(mine), repr(its))
        assert set(kwargs) <= set(torch_kwargs), (repr(mine), repr(its))
        assert all(torch_kwargs[k] == v for k, v in kwargs.items()), (repr(mine), repr(its))


@needs_torch
def test_repr_of_a_model_equals_torch():
    def model(n):
        return n.Sequential(
            n.Conv2d(1, 8, 4, 2, 1, bias=False), n.LeakyReLU(0.2),
            n.Sequential(n.ConvTranspose2d(8, 4, 3, 2, 1, output_padding=1), n.ELU()),
            n.Flatten(), n.Unflatten(1, (4, 2, 2)), n.Flatten(), n.Linear(16, 1), n.Sigmoid(),
            n.Identity(), n.Softplus(), n.Embedding(3, 2))

    assert repr(model(nn)) == repr(model(torch.nn))
    assert repr(looped(nn)).replace("Looped", "") == repr(looped(torch.nn)).replace("Looped", "")


def test_repr_of_a_parameter_says_so():
    assert repr(nn.Linear(2, 1).bias).startswith("Parameter containing:\ntensor([")


# -- clip_grad_norm_ --------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0], ids=["clips", "leaves"])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(shape) for shape in ((3, 4), (5,), (2, 1, 3))]
    ours = [nn.Parameter(mg.tensor(np.zeros(g.shape))) for g in grads]
    theirs = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = mg.tensor(g), torch.tensor(g)
    unused = nn.Parameter(mg.zeros(2))  # no gradient: ignored, as in torch
    total = nn.utils.clip_grad_norm_(ours + [unused], max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert float(total) == pytest.approx(float(expected), rel=1e-12)
    for p, q in zip(ours, theirs):
        assert_close(host(p.grad), host(q.grad), 1e-12, "clipped gradient")
    clipped = host(ours[0].grad)
    assert (relative_error(clipped, grads[0]) > 0.1) == (max_norm < float(expected))


def test_clip_grad_norm_of_a_non_finite_gradient():
    p = nn.Parameter(mg.zeros(2))
    p.grad = mg.tensor([1.0, float("inf")])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)


# -- a DCGAN built from these layers trains --------------------------------------------------
def _sgd_step(parameters, lr):
    with mg.no_grad():
        for p in parameters:
            p.data -= lr * p.grad.data


def test_dcgan_trains_one_step():
    mg.manual_seed(0)
    generator, discriminator = dcgan_generator(nn), dcgan_discriminator(nn)
    z = mg.randn(64, 100)
    real = mg.rand(64, 1, 28, 28) * 2 - 1
    fake = generator(z)
    assert fake.shape == (64, 1, 28, 28) and fake.dtype == "float32"
    assert np.abs(fake.numpy()).max() <= 1

    # one generator step (non-saturating loss) changes every generator parameter but the
    # biases just before a BatchNorm: it subtracts each channel's mean, bias included, so their
    # gradient is zero
    before = {n: p.numpy().copy() for n, p in generator.named_parameters()}
    F.binary_cross_entropy_with_logits(discriminator(fake), mg.ones(64, 1)).backward()
    before_batch_norm = {"4.bias"}  # a per-channel bias (ConvTranspose2d) just before BN
    for name in before_batch_norm:
        assert np.abs(dict(generator.named_parameters())[name].grad.numpy()).max() < 1e-6
    _sgd_step(generator.parameters(), 0.01)
    for name, p in generator.named_parameters():
        if name not in before_batch_norm:
            assert not np.array_equal(p.numpy(), before[name]), f"{name} did not change"

    # discriminator steps on a fixed batch: every parameter changes and the loss goes down
    discriminator.zero_grad()
    images = mg.cat([real, generator(z).detach()], axis=0)  # (128, 1, 28, 28)
    labels = mg.cat([mg.ones(64, 1), mg.zeros(64, 1)], axis=0)
    before = {n: p.numpy().copy() for n, p in discriminator.named_parameters()}
    losses = []
    for _ in range(3):
        discriminator.zero_grad()
        loss = F.binary_cross_entropy_with_logits(discriminator(images), labels)
        loss.backward()
        _sgd_step(discriminator.parameters(), 0.003)
        losses.append(loss.item())
    losses.append(F.binary_cross_entropy_with_logits(discriminator(images), labels).item())
    for name, p in discriminator.named_parameters():
        assert not np.array_equal(p.numpy(), before[name]), f"{name} did not change"
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < losses[0] * 0.9, losses
    assert discriminator[3].num_batches_tracked.item() == 5  # the generator step's call too


@needs_torch
def test_dcgan_step_matches_torch():
    """The same DCGAN, weights and batch in torch float64 (the exact answer): minigan's float32
    loss and running statistics agree to 1e-4, and each float32 gradient to 1e-4 or at least
    about as well as torch's own float32 gradient (some are ill-conditioned through
    BatchNorm's backward)."""
    mg.manual_seed(1)
    ours_g, ours_d = dcgan_generator(nn), dcgan_discriminator(nn)
    weights_g = {k: torch.tensor(v.numpy()) for k, v in ours_g.state_dict().items()}
    weights_d = {k: torch.tensor(v.numpy()) for k, v in ours_d.state_dict().items()}
    z = random_array((64, 100), 0).astype(np.float32)  # the same input values on every side

    def torch_step(dtype):
        g, d = dcgan_generator(torch.nn).to(dtype), dcgan_discriminator(torch.nn).to(dtype)
        g.load_state_dict(weights_g)
        d.load_state_dict(weights_d)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            d(g(torch.tensor(z, dtype=dtype))), torch.ones(64, 1, dtype=dtype))
        loss.backward()
        return loss, g, d

    expected, theirs_g, theirs_d = torch_step(torch.float64)
    _, torch32_g, torch32_d = torch_step(torch.float32)
    loss = F.binary_cross_entropy_with_logits(ours_d(ours_g(mg.tensor(z, dtype="float32"))),
                                              mg.ones(64, 1))
    loss.backward()
    assert_close(loss.numpy(), host(expected), 1e-6, "loss")
    for ours, theirs, theirs32 in ((ours_g, theirs_g, torch32_g), (ours_d, theirs_d, torch32_d)):
        expected_grads = {name: host(p.grad) for name, p in theirs.named_parameters()}
        torch32_grads = {name: host(p.grad) for name, p in theirs32.named_parameters()}
        for name, p in ours.named_parameters():
            # a bias just before a BatchNorm has a true gradient of 0 (the batch mean removes
            # it), so measure each bias on the scale of its layer's weight gradient as well
            scale = max(np.abs(expected_grads[name]).max(),
                        np.abs(expected_grads[name.replace("bias", "weight")]).max())
            error = np.abs(host(p.grad) - expected_grads[name]).max() / scale
            torch_error = np.abs(torch32_grads[name] - expected_grads[name]).max() / scale
            assert error < max(1e-4, 2 * torch_error), \
                f"{name}: error {error:.3g}, torch float32's {torch_error:.3g}"
        assert_same_state(ours, theirs, 1e-4, "running statistics")
