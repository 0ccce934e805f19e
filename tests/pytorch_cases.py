"""The ops and Tensor methods added for PyTorch programs (issue 13), as cases for test_ops.py:
gradcheck, gradgradcheck, and forward, gradient and second derivative against PyTorch."""

import numpy as np
from hypothesis import strategies as st
from op_cases import SEEDS, SHAPES, Case
from op_cases import case as register_case
from support import random_array

import minigan as mg
import minigan.functional as F

PYTORCH_CASES = []


def case(name):
    return register_case(name, into=PYTORCH_CASES)


def torch():
    import torch
    return torch


def TF():
    import torch.nn.functional
    return torch.nn.functional


def _unary(name, mg_fn, torch_fn, low=-2.0, high=2.0, away_from=None):
    def draw(data):
        x = random_array(data.draw(SHAPES), data.draw(SEEDS), low, high, away_from)
        return [x], mg_fn, torch_fn
    PYTORCH_CASES.append(Case(name, draw))


# -- elementwise and activations --------------------------------------------------------------
_unary("sin", lambda x: x.sin(), lambda x: x.sin(), low=-4.0, high=4.0)
_unary("cos", lambda x: mg.cos(x), lambda x: x.cos(), low=-4.0, high=4.0)
_unary("erf", lambda x: x.erf(), lambda x: x.erf(), low=-3.0, high=3.0)
_unary("erf far out", F.erf, lambda x: torch().erf(x), low=-7.0, high=7.0)
_unary("log1p", mg.log1p, lambda x: x.log1p(), low=-0.5, high=3.0)
_unary("expm1", lambda x: x.expm1(), lambda x: x.expm1())
_unary("square", lambda x: x.square() * x, lambda x: x.square() * x)
_unary("normalize", lambda x: F.normalize(x.reshape(1, -1), dim=1),
       lambda x: TF().normalize(x.reshape(1, -1), dim=1))
_unary("gelu", F.gelu, lambda x: TF().gelu(x), low=-4.0, high=4.0)
_unary("gelu tanh", lambda x: F.gelu(x, "tanh"), lambda x: TF().gelu(x, approximate="tanh"))
_unary("silu", F.silu, lambda x: TF().silu(x), low=-5.0, high=5.0)
_unary("hardtanh", lambda x: F.hardtanh(x, -0.5, 1.0) * x,
       lambda x: TF().hardtanh(x, -0.5, 1.0) * x, high=0.9, away_from=-0.5)
_unary("relu6", lambda x: F.relu6(x * 4.0) * x, lambda x: TF().relu6(x * 4.0) * x,
       low=-1.4, high=1.4, away_from=0.0)


@case("prelu")
def _prelu(data):
    seed = data.draw(SEEDS)
    x = random_array((2, 3, 2), seed, away_from=0.0)
    w = random_array((data.draw(st.sampled_from([1, 3])),), seed + 1, 0.1, 0.5)
    return [x, w], F.prelu, lambda x, w: TF().prelu(x, w)


# -- Tensor methods ---------------------------------------------------------------------------
@case("norm")
def _norm(data):
    x = random_array((3, 4), data.draw(SEEDS), away_from=0.0)
    p = data.draw(st.sampled_from([2, 1, 3, float("inf")]))
    dim = data.draw(st.sampled_from([None, 0, 1]))
    keep = data.draw(st.booleans())
    return ([x], lambda t: t.norm(p, dim=dim, keepdim=keep) ** 2,  # ** 2: p = 1 has a 2nd
            lambda t: t.norm(p, dim=dim, keepdim=keep) ** 2)   # derivative only then


@case("std")
def _std(data):
    x = random_array((3, 4), data.draw(SEEDS))
    dim, keep = data.draw(st.sampled_from([None, 0, 1])), data.draw(st.booleans())
    unbiased = data.draw(st.booleans())
    if dim is None:
        return [x], lambda t: t.std(unbiased=unbiased), lambda t: t.std(unbiased=unbiased)
    return ([x], lambda t: t.std(dim, unbiased, keep), lambda t: t.std(dim, unbiased, keep))


@case("clone, t, view_as, expand_as")
def _shape_methods(data):
    seed = data.draw(SEEDS)
    a, b = random_array((2, 3), seed), random_array((3, 2), seed + 1)

    def compute(a, b):
        return a.clone().t() * b + a.view_as(b) ** 2 + b[:1].expand_as(b) * b.flip((0, 1))
    return [a, b], compute, compute


@case("repeat")
def _repeat(data):
    x = random_array((2, 3), data.draw(SEEDS))
    repeats = data.draw(st.sampled_from([(1, 1), (2, 1), (2, 3), (2, 1, 2)]))
    return [x], lambda t: t.repeat(*repeats) ** 2, lambda t: t.repeat(*repeats) ** 2


@case("chunk and split")
def _chunk_split(data):
    x = random_array((5, 3), data.draw(SEEDS))
    chunks, size = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 5))

    def compute(t):
        pieces = list(t.chunk(chunks, 0)) + list(t.split(size, dim=0)) + list(t.split([1, 2], 1))
        return sum((p * p).sum() * (i + 1) for i, p in enumerate(pieces))
    return [x], compute, compute


@case("max and min with dim: (values, indices)")
def _max_dim(data):
    shape = data.draw(st.sampled_from([(4,), (3, 4), (2, 3, 2)]))
    x = np.random.default_rng(data.draw(SEEDS)).permutation(int(np.prod(shape))).reshape(shape)
    x = x * 0.1 - 0.5  # distinct values: no ties
    dim = data.draw(st.integers(-len(shape), len(shape) - 1))
    keep = data.draw(st.booleans())
    name = data.draw(st.sampled_from(["max", "min"]))

    def compute(t):
        values, indices = getattr(t, name)(dim, keep)
        return values * values * (1.0 + indices)
    return [x], compute, compute


@case("lerp and outer")
def _lerp_outer(data):
    seed = data.draw(SEEDS)
    a, b, w = (random_array((3,), seed + i) for i in range(3))
    return ([a, b, w], lambda a, b, w: mg.outer(mg.lerp(a, b, w), b) + mg.lerp(a, b, 0.3)[0],
            lambda a, b, w: torch().outer(torch().lerp(a, b, w), b) + torch().lerp(a, b, 0.3)[0])


@case("gather, index_select and scatter")
def _gather(data):
    seed = data.draw(SEEDS)
    x, src = random_array((3, 4), seed), random_array((2, 4), seed + 1)
    rng = np.random.default_rng(seed)
    dim = data.draw(st.sampled_from([0, 1]))
    index = rng.integers(0, 3 if dim == 0 else 4, size=(2, 3))
    unique = np.stack([rng.permutation(3)[:2] for _ in range(4)], axis=1)  # (2, 4), per column

    def compute(lib):
        def f(x, src):
            index_t, unique_t = lib.tensor(index), lib.tensor(unique)
            columns = x.index_select(1, lib.tensor([3, 0, 3]))
            picked = (x.gather(dim, index_t) ** 2).sum() * columns
            return picked.sum() + (x * 1.0).scatter(0, unique_t, src) * x
        return f
    return [x, src], compute(mg), compute(torch())


@case("mm and bmm")
def _mm_bmm(data):
    seed = data.draw(SEEDS)
    a, b = random_array((2, 3), seed), random_array((3, 2), seed + 1)
    c, d = random_array((2, 2, 3), seed + 2), random_array((2, 3, 1), seed + 3)
    return ([a, b, c, d], lambda a, b, c, d: mg.mm(a, b).sum() + mg.bmm(c, d).sum() * mg.mm(a, b),
            lambda a, b, c, d: torch().mm(a, b).sum() + torch().bmm(c, d).sum() * torch().mm(a, b))


# -- in-place ops recorded in the graph -------------------------------------------------------
@case("in-place ops in the graph")
def _in_place(data):
    seed = data.draw(SEEDS)
    x, w = random_array((3, 4), seed), random_array((4,), seed + 1, 0.5, 2.0)

    def compute(x, w):
        h = x * 1.5
        h += w
        h.mul_(w)
        h.sub_(x, alpha=0.5)
        h.div_(w)
        h.clamp_(-1.0, 1.5)
        return h.tanh_() * x
    return [x, w], compute, compute


@case("setitem in the graph")
def _setitem(data):
    seed = data.draw(SEEDS)
    x, v = random_array((3, 4), seed), random_array((2,), seed + 1)

    def compute(x, v):
        h = x * x
        h[1, 2:] = v * 3.0
        h[0] = v.sum()
        return h * x
    return [x, v], compute, compute


# -- normalisation ----------------------------------------------------------------------------
@case("layer_norm")
def _layer_norm(data):
    seed = data.draw(SEEDS)
    normalized = data.draw(st.sampled_from([(3,), (2, 3)]))
    x = random_array((2,) + (2, 3), seed)
    w, b = random_array(normalized, seed + 1), random_array(normalized, seed + 2)
    return ([x, w, b], lambda x, w, b: F.layer_norm(x, normalized, w, b, eps=1e-3),
            lambda x, w, b: TF().layer_norm(x, normalized, w, b, eps=1e-3))


@case("group_norm")
def _group_norm(data):
    seed = data.draw(SEEDS)
    groups = data.draw(st.sampled_from([1, 2, 4]))
    x = random_array((2, 4, 2, 2), seed)
    w, b = random_array((4,), seed + 1), random_array((4,), seed + 2)
    return ([x, w, b], lambda x, w, b: F.group_norm(x, groups, w, b, eps=1e-3),
            lambda x, w, b: TF().group_norm(x, groups, w, b, eps=1e-3))


@case("instance_norm")
def _instance_norm(data):
    seed = data.draw(SEEDS)
    x = random_array((2, 2, 3, 2), seed)
    w, b = random_array((2,), seed + 1), random_array((2,), seed + 2)
    return ([x, w, b], lambda x, w, b: F.instance_norm(x, weight=w, bias=b, eps=1e-3),
            lambda x, w, b: TF().instance_norm(x, weight=w, bias=b, eps=1e-3))


# -- resampling -------------------------------------------------------------------------------
@case("interpolate bilinear")
def _bilinear(data):
    x = random_array((1, 2, 3, 4), data.draw(SEEDS))
    align = data.draw(st.booleans())
    size = data.draw(st.sampled_from([(5, 7), (2, 3), (3, 8), (1, 1)]))
    return ([x], lambda t: F.interpolate(t, size=size, mode="bilinear", align_corners=align),
            lambda t: TF().interpolate(t, size=size, mode="bilinear", align_corners=align))


@case("interpolate bilinear scale_factor")
def _bilinear_scale(data):
    x = random_array((1, 1, 3, 4), data.draw(SEEDS))
    factor = data.draw(st.sampled_from([2, 1.5, 0.5]))
    return ([x], lambda t: F.interpolate(t, scale_factor=factor, mode="bilinear"),
            lambda t: TF().interpolate(t, scale_factor=factor, mode="bilinear"))


@case("pixel_shuffle")
def _pixel_shuffle(data):
    x = random_array((1, 8, 2, 3), data.draw(SEEDS))
    return [x], lambda t: F.pixel_shuffle(t, 2) ** 2, lambda t: TF().pixel_shuffle(t, 2) ** 2


@case("adaptive_avg_pool2d")
def _adaptive_avg_pool(data):
    x = random_array((1, 2, 5, 4), data.draw(SEEDS))
    size = data.draw(st.sampled_from([1, (2, 2), (3, 3), (5, 4), (4, None)]))
    return ([x], lambda t: F.adaptive_avg_pool2d(t, size) ** 2,
            lambda t: TF().adaptive_avg_pool2d(t, size) ** 2)


@case("pad reflect and replicate")
def _pad_modes(data):
    x = random_array((1, 2, 3, 4), data.draw(SEEDS))
    mode = data.draw(st.sampled_from(["reflect", "replicate"]))
    widths = tuple(data.draw(st.lists(st.integers(0, 2), min_size=4, max_size=4)))
    return ([x], lambda t: F.pad(t, widths, mode=mode) ** 2,
            lambda t: TF().pad(t, widths, mode=mode) ** 2)


# -- losses -----------------------------------------------------------------------------------
@case("smooth_l1_loss")
def _smooth_l1(data):
    seed = data.draw(SEEDS)
    p, t = random_array((3, 4), seed), random_array((3, 4), seed + 1)
    beta = data.draw(st.sampled_from([1.0, 0.5]))
    reduction = data.draw(st.sampled_from(["mean", "sum", "none"]))
    p = np.where(np.abs(np.abs(p - t) - beta) < 0.05, p + 0.2, p)  # away from the seam
    return ([p, t], lambda p, t: F.smooth_l1_loss(p, t, reduction, beta),
            lambda p, t: TF().smooth_l1_loss(p, t, reduction=reduction, beta=beta))


@case("reductions with torch.max / torch.min / argmax")
def _top_level_reductions(data):
    x = random_array((3, 4), data.draw(SEEDS), away_from=0.0)

    def compute(module):
        def f(t):
            return module.max(t) * module.min(t) + module.max(t, t * 0.5) * module.argmax(t)
        return f
    return [x], compute(mg), compute(torch())
