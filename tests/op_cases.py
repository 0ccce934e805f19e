"""Every differentiable op of the foundation, as a case that hypothesis can instantiate.

A case draws its inputs (shapes, broadcasting, axes) and returns float64 arrays plus the same
computation written once with minigan and once with PyTorch. Inputs stay away from the points
where an op is not differentiable (kinks, ties, the edges of its domain).
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, mutually_broadcastable_shapes
from support import random_array

import minigan as mg
import minigan.functional as F

SEEDS = st.integers(0, 2**31 - 1)
SHAPES = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3)
BROADCAST_PAIRS = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)


@dataclass
class Case:
    name: str
    draw: Callable  # data -> (list of float64 arrays, minigan fn, torch fn)


CASES = []


def case(name, into=None):
    """Register the decorated draw function as a case (in CASES unless `into` says where)."""
    def register(draw):
        (CASES if into is None else into).append(Case(name, draw))
        return draw
    return register


def unary(name, mg_fn, torch_fn, low=-2.0, high=2.0, away_from=None):
    def draw(data):
        x = random_array(data.draw(SHAPES), data.draw(SEEDS), low, high, away_from)
        return [x], mg_fn, torch_fn
    CASES.append(Case(name, draw))


def binary(name, mg_fn, torch_fn, b_low=-2.0, b_high=2.0, a_low=-2.0, a_high=2.0):
    def draw(data):
        (shape_a, shape_b), _ = data.draw(BROADCAST_PAIRS)
        seed = data.draw(SEEDS)
        a = random_array(shape_a, seed, a_low, a_high)
        b = random_array(shape_b, seed + 1, b_low, b_high)
        return [a, b], mg_fn, torch_fn
    CASES.append(Case(name, draw))


def draw_axis(data, ndim):
    """None, one axis (maybe negative) or a tuple of distinct axes."""
    choice = data.draw(st.sampled_from(["none", "one", "several"]))
    if choice == "none":
        return None
    if choice == "one":
        return data.draw(st.integers(-ndim, ndim - 1))
    return tuple(data.draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                                    unique=True)))


def torch_dims(axis):
    return () if axis is None else axis


# -- arithmetic -------------------------------------------------------------------------------
binary("add", lambda a, b: a + b, lambda a, b: a + b)
binary("sub", lambda a, b: a - b, lambda a, b: a - b)
binary("mul", lambda a, b: a * b, lambda a, b: a * b)
binary("div", lambda a, b: a / b, lambda a, b: a / b, b_low=0.5, b_high=2.0)
binary("pow", lambda a, b: a ** b, lambda a, b: a ** b, a_low=0.5, a_high=2.0)
binary("maximum", F.maximum, lambda a, b: __import__("torch").maximum(a, b))
binary("minimum", F.minimum, lambda a, b: __import__("torch").minimum(a, b))
unary("neg", lambda x: -x, lambda x: -x)
unary("scalar ops", lambda x: (3.0 - x) * 2 + x / 4 - 1, lambda x: (3.0 - x) * 2 + x / 4 - 1)
unary("rdiv", lambda x: 2.0 / x, lambda x: 2.0 / x, low=0.5, high=2.0)
unary("pow scalar", lambda x: x ** 3, lambda x: x ** 3)
unary("pow fractional", lambda x: x ** 2.5, lambda x: x ** 2.5, low=0.5, high=2.0)
unary("rpow", lambda x: 2.0 ** x, lambda x: 2.0 ** x)


@case("matmul")
def _matmul(data):
    seed = data.draw(SEEDS)
    n, k, m = (data.draw(st.integers(1, 3)) for _ in range(3))
    batch_a, batch_b = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=2,
                                                               max_side=2)).input_shapes
    a_vector = data.draw(st.booleans()) and not batch_a
    b_vector = data.draw(st.booleans()) and not batch_b
    a = random_array((k,) if a_vector else batch_a + (n, k), seed)
    b = random_array((k,) if b_vector else batch_b + (k, m), seed + 1)
    return [a, b], lambda a, b: a @ b, lambda a, b: a @ b


# -- reductions -------------------------------------------------------------------------------
def reduction(name, mg_name, torch_fn):
    def draw(data):
        x = random_array(data.draw(SHAPES), data.draw(SEEDS))
        axis = draw_axis(data, x.ndim)
        keep = data.draw(st.booleans())
        return ([x], lambda t: getattr(t, mg_name)(axis=axis, keepdims=keep),
                lambda t: torch_fn(t, axis, keep))
    CASES.append(Case(name, draw))


reduction("sum", "sum", lambda t, axis, keep: t.sum(dim=torch_dims(axis), keepdim=keep))
reduction("mean", "mean", lambda t, axis, keep: t.mean(dim=torch_dims(axis), keepdim=keep))
reduction("max", "max", lambda t, axis, keep: t.amax(dim=torch_dims(axis), keepdim=keep))
reduction("min", "min", lambda t, axis, keep: t.amin(dim=torch_dims(axis), keepdim=keep))
reduction("logsumexp", "logsumexp",
          lambda t, axis, keep: t.logsumexp(dim=tuple(range(t.ndim)) if axis is None else axis,
                                            keepdim=keep))


@case("var")
def _var(data):
    x = random_array(data.draw(SHAPES), data.draw(SEEDS))
    axis = draw_axis(data, x.ndim)
    correction = data.draw(st.sampled_from([0, 1]))
    count = x.size if axis is None else int(np.prod([x.shape[a] for a in np.atleast_1d(axis)]))
    if count <= correction:
        correction = 0
    return ([x], lambda t: t.var(axis=axis, correction=correction),
            lambda t: t.var(dim=axis, correction=correction))


@case("sum with dim/keepdim")
def _sum_dim(data):
    x = random_array((2, 3), data.draw(SEEDS))
    return [x], lambda t: t.sum(dim=1, keepdim=True), lambda t: t.sum(dim=1, keepdim=True)


# -- shapes -----------------------------------------------------------------------------------
@case("reshape")
def _reshape(data):
    x = random_array(data.draw(SHAPES), data.draw(SEEDS))
    return [x], lambda t: t.reshape(-1, 1), lambda t: t.reshape(-1, 1)


@case("permute")
def _permute(data):
    x = random_array(data.draw(SHAPES), data.draw(SEEDS))
    axes = data.draw(st.permutations(range(x.ndim)))
    return [x], lambda t: t.permute(*axes) * t.permute(*axes), \
        lambda t: t.permute(*axes) * t.permute(*axes)


@case("transpose")
def _transpose(data):
    x = random_array((2, 3, 2), data.draw(SEEDS))
    return [x], lambda t: t.transpose(0, 2) ** 2, lambda t: t.transpose(0, 2) ** 2


@case("flatten")
def _flatten(data):
    x = random_array((2, 3, 2), data.draw(SEEDS))
    return [x], lambda t: t.flatten(1) ** 2, lambda t: t.flatten(1) ** 2


@case("expand")
def _expand(data):
    x = random_array((3, 1), data.draw(SEEDS))
    return [x], lambda t: t.expand(2, -1, 4) ** 2, lambda t: t.expand(2, -1, 4) ** 2


SLICES = [  # (minigan index, the same selection in PyTorch, which has no negative steps)
    ((slice(None), 1), lambda t: t[:, 1]),
    ((slice(0, 2), slice(None, None, 2)), lambda t: t[0:2, ::2]),
    ((Ellipsis, 0), lambda t: t[..., 0]),
    ((1, slice(1, 3)), lambda t: t[1, 1:3]),
    ((slice(None, None, -1),), lambda t: t.flip(0)),
    ((None, 0), lambda t: t[None, 0]),
]


@case("getitem slices")
def _getitem_slices(data):
    x = random_array((3, 4, 2), data.draw(SEEDS))
    index, torch_select = SLICES[data.draw(st.integers(0, len(SLICES) - 1))]
    return [x], lambda t: t[index] ** 2, lambda t: torch_select(t) ** 2


@case("getitem integer arrays (repeats)")
def _getitem_arrays(data):
    x = random_array((4, 3), data.draw(SEEDS))
    rows = data.draw(st.lists(st.integers(0, 3), min_size=1, max_size=5))
    return [x], lambda t: t[rows] ** 2, lambda t: t[rows] ** 2


@case("getitem boolean mask")
def _getitem_mask(data):
    x = random_array((3, 4), data.draw(SEEDS))
    mask = x > 0
    return [x], lambda t: t[mg.tensor(mask)] ** 2, lambda t: t[__import__("torch").tensor(mask)] ** 2


@case("concatenate")
def _concatenate(data):
    seed = data.draw(SEEDS)
    axis = data.draw(st.integers(0, 1))
    shapes = [(2, 3), (2, 3)]
    shapes[1] = (1, 3) if axis == 0 else (2, 1)
    a, b = random_array(shapes[0], seed), random_array(shapes[1], seed + 1)
    return [a, b], lambda a, b: F.concatenate([a, b * b], axis=axis), \
        lambda a, b: __import__("torch").cat([a, b * b], dim=axis)


@case("stack")
def _stack(data):
    seed = data.draw(SEEDS)
    axis = data.draw(st.integers(-3, 2))
    a, b = random_array((2, 3), seed), random_array((2, 3), seed + 1)
    return [a, b], lambda a, b: F.stack([a, a * b], axis=axis), \
        lambda a, b: __import__("torch").stack([a, a * b], dim=axis)


@case("pad")
def _pad(data):
    x = random_array((2, 2, 3), data.draw(SEEDS))
    widths = tuple(data.draw(st.lists(st.integers(0, 2), min_size=2, max_size=4)))
    if len(widths) % 2:
        widths = widths[:-1]
    return [x], lambda t: F.pad(t, widths, value=0.5) ** 2, \
        lambda t: __import__("torch").nn.functional.pad(t, widths, value=0.5) ** 2


# -- elementwise ------------------------------------------------------------------------------
unary("exp", lambda x: x.exp(), lambda x: x.exp())
unary("log", lambda x: x.log(), lambda x: x.log(), low=0.2, high=3.0)
unary("sqrt", lambda x: x.sqrt(), lambda x: x.sqrt(), low=0.2, high=3.0)
unary("abs", lambda x: x.abs() * x, lambda x: x.abs() * x, away_from=0.0)
unary("clip", lambda x: x.clip(-1.0, 1.0) * x, lambda x: x.clamp(-1.0, 1.0) * x, away_from=1.0)
unary("clip low only", lambda x: x.clip(min=-0.5) ** 2, lambda x: x.clamp(min=-0.5) ** 2,
      away_from=-0.5)


@case("where")
def _where(data):
    seed = data.draw(SEEDS)
    a, b = random_array((3, 4), seed), random_array((4,), seed + 1)
    condition = random_array((3, 4), seed + 2) > 0
    return [a, b], lambda a, b: F.where(mg.tensor(condition), a * a, b), \
        lambda a, b: __import__("torch").where(__import__("torch").tensor(condition), a * a, b)


# -- activations ------------------------------------------------------------------------------
def torch_functional():
    import torch.nn.functional as TF
    return TF


unary("relu", lambda x: F.relu(x) * x, lambda x: torch_functional().relu(x) * x, away_from=0.0)
unary("leaky_relu", lambda x: F.leaky_relu(x, 0.2) * x,
      lambda x: torch_functional().leaky_relu(x, 0.2) * x, away_from=0.0)
unary("elu", lambda x: F.elu(x, 0.7), lambda x: torch_functional().elu(x, 0.7), away_from=0.0)
unary("sigmoid", F.sigmoid, lambda x: x.sigmoid(), low=-8.0, high=8.0)
unary("tanh", F.tanh, lambda x: x.tanh(), low=-3.0, high=3.0)
unary("softplus", lambda x: F.softplus(x), lambda x: torch_functional().softplus(x),
      low=-8.0, high=8.0)
unary("softplus beta", lambda x: F.softplus(x, beta=2.0, threshold=3.0),
      lambda x: torch_functional().softplus(x, beta=2.0, threshold=3.0), low=-3.0, high=3.0,
      away_from=1.5)
unary("log_sigmoid", F.log_sigmoid, lambda x: torch_functional().logsigmoid(x),
      low=-8.0, high=8.0)


@case("softmax")
def _softmax(data):
    x = random_array(data.draw(SHAPES), data.draw(SEEDS), -3.0, 3.0)
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    return [x], lambda t: F.softmax(t, axis=axis), lambda t: t.softmax(dim=axis)


@case("log_softmax")
def _log_softmax(data):
    x = random_array(data.draw(SHAPES), data.draw(SEEDS), -3.0, 3.0)
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    return [x], lambda t: F.log_softmax(t, dim=axis), lambda t: t.log_softmax(dim=axis)


@case("composite: tanh(x) * x")
def _composite(data):
    x = random_array(data.draw(SHAPES), data.draw(SEEDS))
    return [x], lambda t: (t.tanh() * t).sum(), lambda t: (t.tanh() * t).sum()
