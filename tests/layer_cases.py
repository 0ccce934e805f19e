"""The ops behind the layers, as cases for test_ops.py: convolutions over drawn geometries,
pooling, batch normalisation, linear, upsampling, embedding and the losses."""

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from op_cases import SEEDS
from op_cases import case as register_case
from support import random_array

import minigan as mg
import minigan.functional as F
from minigan.backend import conv_output_size, conv_transpose_output_size

LAYER_CASES = []


def case(name):
    return register_case(name, into=LAYER_CASES)


def TF():
    import torch.nn.functional
    return torch.nn.functional


def torch():
    import torch
    return torch


def draw_conv_geometry(data, transposed=False):
    """Small shapes (gradgradcheck is O(size^2)) with every kind of stride, padding, dilation."""
    N, C, O = data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2))
    H, W = data.draw(st.integers(2, 5)), data.draw(st.integers(2, 5))
    k = (data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3)))
    stride = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 3)))
    padding = (data.draw(st.integers(0, 1)), data.draw(st.integers(0, 2)))
    dilation = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    output_padding = (0, 0)
    if transposed:
        output_padding = tuple(data.draw(st.integers(0, max(s, d) - 1))
                               for s, d in zip(stride, dilation))
        sizes = [conv_transpose_output_size(n, kk, s, p, op, d) for n, kk, s, p, op, d in
                 zip((H, W), k, stride, padding, output_padding, dilation)]
    else:
        sizes = [conv_output_size(n, kk, s, p, d)
                 for n, kk, s, p, d in zip((H, W), k, stride, padding, dilation)]
    assume(min(sizes) >= 1)
    return (N, C, H, W), O, k, stride, padding, output_padding, dilation


@case("conv2d")
def _conv2d(data):
    shape, O, k, stride, padding, _, dilation = draw_conv_geometry(data)
    seed = data.draw(SEEDS)
    x, w = random_array(shape, seed), random_array((O, shape[1]) + k, seed + 1)
    b = random_array((O,), seed + 2)
    return ([x, w, b], lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation),
            lambda x, w, b: TF().conv2d(x, w, b, stride, padding, dilation))


@case("conv_transpose2d")
def _conv_transpose2d(data):
    shape, O, k, stride, padding, output_padding, dilation = draw_conv_geometry(data, True)
    seed = data.draw(SEEDS)
    x, w = random_array(shape, seed), random_array((shape[1], O) + k, seed + 1)
    b = random_array((O,), seed + 2)
    return ([x, w, b],
            lambda x, w, b: F.conv_transpose2d(x, w, b, stride, padding, output_padding,
                                               dilation),
            lambda x, w, b: TF().conv_transpose2d(x, w, b, stride, padding, output_padding, 1,
                                                  dilation))


@case("conv2d_whole_map")
def _conv2d_whole_map(data):
    """A kernel as large as the input (a discriminator's last layer) takes a matmul path."""
    N, C, O = (data.draw(st.integers(1, 3)) for _ in range(3))
    k = (data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4)))
    stride = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    seed = data.draw(SEEDS)
    x, w = random_array((N, C) + k, seed), random_array((O, C) + k, seed + 1)
    b = random_array((O,), seed + 2)
    return ([x, w, b], lambda x, w, b: F.conv2d(x, w, b, stride),
            lambda x, w, b: TF().conv2d(x, w, b, stride))


@case("conv_transpose2d_from_one_pixel")
def _conv_transpose2d_from_one_pixel(data):
    """A 1x1 input (a generator's first layer) takes a matmul path unless dilated."""
    N, C, O = (data.draw(st.integers(1, 3)) for _ in range(3))
    k = (data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4)))
    stride = (data.draw(st.integers(1, 2)), data.draw(st.integers(1, 2)))
    dilation = (data.draw(st.integers(1, 2)), 1)
    seed = data.draw(SEEDS)
    x, w = random_array((N, C, 1, 1), seed), random_array((C, O) + k, seed + 1)
    b = random_array((O,), seed + 2)
    return ([x, w, b],
            lambda x, w, b: F.conv_transpose2d(x, w, b, stride, dilation=dilation),
            lambda x, w, b: TF().conv_transpose2d(x, w, b, stride, dilation=dilation))


@case("conv2d_weight_grad")
def _conv2d_weight_grad(data):
    """The weight gradient as an op of its own: compare with torch's convolution_backward."""
    shape, O, k, stride, padding, _, dilation = draw_conv_geometry(data)
    out = tuple(conv_output_size(n, kk, s, p, d)
                for n, kk, s, p, d in zip(shape[2:], k, stride, padding, dilation))
    seed = data.draw(SEEDS)
    x, gy = random_array(shape, seed), random_array((shape[0], O) + out, seed + 1)

    def torch_weight_grad(x, gy):
        w = torch().zeros((O, shape[1]) + k, dtype=x.dtype, requires_grad=True)
        y = TF().conv2d(x, w, None, stride, padding, dilation)
        return torch().autograd.grad(y, w, gy, create_graph=True)[0]

    return ([x, gy], lambda x, gy: F.conv2d_weight_grad(x, gy, k, stride, padding, dilation),
            torch_weight_grad)


@case("unfold and fold")
def _unfold_fold(data):
    shape, _, k, stride, padding, _, dilation = draw_conv_geometry(data)
    x = random_array(shape, data.draw(SEEDS))
    size = shape[2:]

    def ours(x):
        patches = F.unfold(x, k, dilation, padding, stride)
        return F.fold(patches * patches, size, k, dilation, padding, stride)

    def theirs(x):
        patches = TF().unfold(x, k, dilation, padding, stride)
        return TF().fold(patches * patches, size, k, dilation, padding, stride)

    return [x], ours, theirs


@case("linear")
def _linear(data):
    seed = data.draw(SEEDS)
    batch = data.draw(st.sampled_from([(3,), (2, 2)]))
    x, w, b = random_array(batch + (4,), seed), random_array((3, 4), seed + 1), random_array(
        (3,), seed + 2)
    return [x, w, b], F.linear, lambda x, w, b: TF().linear(x, w, b)


@case("max_pool2d")
def _max_pool(data):
    seed = data.draw(SEEDS)
    kernel, stride = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2))
    padding = data.draw(st.integers(0, kernel // 2))
    # distinct values, far apart, so that no window has a tie or a near-tie
    x = np.random.default_rng(seed).permutation(2 * 3 * 5 * 5).reshape(2, 3, 5, 5) * 0.1
    return ([x], lambda x: F.max_pool2d(x, kernel, stride, padding),
            lambda x: TF().max_pool2d(x, kernel, stride, padding))


@case("avg_pool2d")
def _avg_pool(data):
    seed = data.draw(SEEDS)
    kernel, stride = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 2))
    padding = data.draw(st.integers(0, kernel // 2))
    include = data.draw(st.booleans())
    x = random_array((2, 2, 5, 4), seed)
    return ([x], lambda x: F.avg_pool2d(x, kernel, stride, padding, include),
            lambda x: TF().avg_pool2d(x, kernel, stride, padding, count_include_pad=include))


@case("batch_norm training")
def _batch_norm_train(data):
    seed = data.draw(SEEDS)
    shape = data.draw(st.sampled_from([(4, 3), (3, 2, 4), (2, 3, 2, 3)]))
    x = random_array(shape, seed)
    w, b = random_array((shape[1],), seed + 1, 0.5, 1.5), random_array((shape[1],), seed + 2)

    def ours(x, w, b):
        return F.batch_norm(x, None, None, w, b, training=True)

    def theirs(x, w, b):
        return TF().batch_norm(x, None, None, w, b, training=True)

    return [x, w, b], ours, theirs


@case("batch_norm evaluation")
def _batch_norm_eval(data):
    seed = data.draw(SEEDS)
    x = random_array((3, 2, 2, 2), seed)
    w, b = random_array((2,), seed + 1, 0.5, 1.5), random_array((2,), seed + 2)
    mean, var = random_array((2,), seed + 3), random_array((2,), seed + 4, 0.5, 2.0)

    def ours(x, w, b):
        return F.batch_norm(x, mg.tensor(mean), mg.tensor(var), w, b, training=False)

    def theirs(x, w, b):
        return TF().batch_norm(x, torch().tensor(mean), torch().tensor(var), w, b,
                               training=False)

    return [x, w, b], ours, theirs


@case("interpolate nearest")
def _interpolate(data):
    x = random_array((1, 2, 3, 4), data.draw(SEEDS))
    kwargs = data.draw(st.sampled_from([{"scale_factor": 2}, {"size": (5, 7)},
                                        {"size": (2, 3)}, {"scale_factor": 1.5}]))
    return ([x], lambda x: F.interpolate(x, **kwargs) ** 2,
            lambda x: TF().interpolate(x, mode="nearest", **kwargs) ** 2)


@case("embedding")
def _embedding(data):
    weight = random_array((5, 3), data.draw(SEEDS))
    index = np.array([[0, 4, 4], [2, 0, 1]])
    return ([weight], lambda w: F.embedding(mg.tensor(index), w) ** 2,
            lambda w: TF().embedding(torch().tensor(index), w) ** 2)


REDUCTION = st.sampled_from(["mean", "sum", "none"])


@case("binary_cross_entropy")
def _bce(data):
    seed, reduction = data.draw(SEEDS), data.draw(REDUCTION)
    p = random_array((4, 3), seed, 0.05, 0.95)
    t = np.random.default_rng(seed).uniform(0, 1, (4, 3))
    return ([p], lambda p: F.binary_cross_entropy(p, mg.tensor(t, dtype="float64"),
                                                  reduction=reduction),
            lambda p: TF().binary_cross_entropy(p, torch().tensor(t), reduction=reduction))


@case("binary_cross_entropy_with_logits")
def _bce_logits(data):
    seed, reduction = data.draw(SEEDS), data.draw(REDUCTION)
    x = random_array((4, 3), seed, -30.0, 30.0)
    t = np.random.default_rng(seed).uniform(0, 1, (4, 3))
    pos_weight = data.draw(st.sampled_from([None, 2.5]))

    def ours(x):
        return F.binary_cross_entropy_with_logits(x, mg.tensor(t, dtype="float64"),
                                                  pos_weight=pos_weight, reduction=reduction)

    def theirs(x):
        weight = None if pos_weight is None else torch().tensor(pos_weight, dtype=x.dtype)
        return TF().binary_cross_entropy_with_logits(x, torch().tensor(t), pos_weight=weight,
                                                     reduction=reduction)

    return [x], ours, theirs


@case("mse_loss and l1_loss")
def _regression_losses(data):
    seed, reduction = data.draw(SEEDS), data.draw(REDUCTION)
    a = random_array((3, 4), seed)
    b = random_array((3, 4), seed + 1)
    return ([a, b],
            lambda a, b: F.mse_loss(a, b, reduction=reduction) + F.l1_loss(a, b, reduction=reduction),
            lambda a, b: TF().mse_loss(a, b, reduction=reduction) + TF().l1_loss(a, b, reduction=reduction))


@case("cross_entropy and nll_loss")
def _classification_losses(data):
    seed, reduction = data.draw(SEEDS), data.draw(REDUCTION)
    logits = random_array((5, 4), seed, -3.0, 3.0)
    labels = np.random.default_rng(seed).integers(0, 4, 5)
    weight = data.draw(st.sampled_from([None, np.array([1.0, 2.0, 0.5, 1.5])]))

    def ours(x):
        w = None if weight is None else mg.tensor(weight, dtype="float64")
        return F.cross_entropy(x, mg.tensor(labels), weight=w, reduction=reduction)

    def theirs(x):
        w = None if weight is None else torch().tensor(weight)
        return TF().cross_entropy(x, torch().tensor(labels), weight=w, reduction=reduction)

    return [logits], ours, theirs
