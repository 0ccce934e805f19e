"""Every op, those behind the layers included: gradcheck and gradgradcheck in float64, and
forward, gradient and second derivative against PyTorch on the same inputs (relative error
< 1e-10)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from layer_cases import LAYER_CASES
from op_cases import CASES as OP_CASES
from pytorch_cases import PYTORCH_CASES
from support import assert_close, host, leaf, needs_torch, torch

import minigan as mg

CASES = OP_CASES + LAYER_CASES + PYTORCH_CASES
CASE_IDS = [case.name for case in CASES]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@given(data=st.data())
def test_gradcheck(case, data):
    arrays, mg_fn, _ = case.draw(data)
    assert mg.gradcheck(mg_fn, [leaf(a) for a in arrays])


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@given(data=st.data())
def test_gradgradcheck(case, data):
    arrays, mg_fn, _ = case.draw(data)
    assert mg.gradgradcheck(mg_fn, [leaf(a) for a in arrays])


def _first_and_second_derivatives(fn, xs, grad_fn, v1, v2):
    """y = fn(xs); g = d<y, v1>/dxs; gg = d<g, v2>/dxs, with None where nothing depends."""
    y = fn(*xs)
    g = grad_fn(y, xs, v1, create_graph=True)
    live = [(gi, w) for gi, w in zip(g, v2) if gi is not None and gi.requires_grad]
    if not live:
        return y, g, [None] * len(xs)
    total = sum((gi * w).sum() for gi, w in live)
    return y, g, grad_fn(total, xs, None, create_graph=False)


def _mg_grad(y, xs, v, create_graph):
    return mg.grad(y, xs, None if v is None else mg.tensor(v, dtype="float64"),
                   create_graph=create_graph, allow_unused=True)


def _torch_grad(y, xs, v, create_graph):
    return torch.autograd.grad(y, xs, None if v is None else torch.tensor(v),
                               create_graph=create_graph, allow_unused=True)


@needs_torch
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
@given(data=st.data())
def test_matches_torch(case, data):
    arrays, mg_fn, torch_fn = case.draw(data)
    mg_xs = [leaf(a) for a in arrays]
    torch_xs = [torch.tensor(a, requires_grad=True) for a in arrays]
    expected_y = torch_fn(*torch_xs)
    rng = np.random.default_rng(0)
    v1 = rng.standard_normal(tuple(expected_y.shape))
    v2 = [rng.standard_normal(a.shape) for a in arrays]
    mg_y, mg_g, mg_gg = _first_and_second_derivatives(mg_fn, mg_xs, _mg_grad, v1,
                                                      [mg.tensor(w, dtype="float64") for w in v2])
    t_y, t_g, t_gg = _first_and_second_derivatives(torch_fn, torch_xs, _torch_grad, v1,
                                                   [torch.tensor(w) for w in v2])
    assert mg_y.dtype == "float64"
    assert_close(host(mg_y), host(t_y), 1e-10, "forward")
    for order, ours, theirs in (("gradient", mg_g, t_g), ("second derivative", mg_gg, t_gg)):
        for i, (a, b) in enumerate(zip(ours, theirs)):
            expected = np.zeros(arrays[i].shape) if b is None else host(b)
            actual = np.zeros(arrays[i].shape) if a is None else host(a)
            assert_close(actual, expected, 1e-10, f"{order} of input {i}")


@needs_torch
def test_elu_gradient_keeps_float32_precision_far_below_zero():
    """e^x computed directly, not as elu(x) + alpha, which cancels in float32."""
    values = np.array([-20.0, -16.0, -10.0, -1.0, 0.5], dtype=np.float32)
    x = mg.tensor(values, requires_grad=True)
    mg.F.elu(x, 1.3).sum().backward()
    t = torch.tensor(values, requires_grad=True)
    torch.nn.functional.elu(t, 1.3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), host(t.grad), rtol=1e-5)


@needs_torch
def test_binary_cross_entropy_at_zero_and_one_is_finite_like_torch():
    values = np.array([0.0, 1.0, 0.3, 1.0], dtype=np.float32)
    targets = np.array([1.0, 0.0, 0.5, 1.0], dtype=np.float32)
    p = mg.tensor(values, requires_grad=True)
    loss = mg.F.binary_cross_entropy(p, mg.tensor(targets), reduction="sum")
    loss.backward()
    q = torch.tensor(values, requires_grad=True)
    expected = torch.nn.functional.binary_cross_entropy(q, torch.tensor(targets), reduction="sum")
    expected.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(p.grad.numpy()))
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-6)
    np.testing.assert_allclose(p.grad.numpy(), host(q.grad), rtol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, fn, slope_at", [
    ("sigmoid", mg.F.sigmoid, lambda y: y * (1 - y)),
    ("relu", mg.F.relu, lambda y: 1.0),
    ("leaky_relu", lambda x: mg.F.leaky_relu(x, 0.2), lambda y: 1.0)])
def test_activations_of_a_0d_tensor_stay_0d_and_differentiate(name, fn, slope_at, dtype):
    """Issue 21: on 0-d tensors sigmoid raised a TypeError and leaky_relu returned shape (1,)."""
    x = mg.tensor(0.3, dtype=dtype, requires_grad=True)
    y = fn(x)
    assert y.shape == () and y.dtype == dtype
    y.backward()
    assert x.grad.shape == ()
    np.testing.assert_allclose(x.grad.item(), slope_at(y.item()), rtol=1e-6)


@pytest.mark.parametrize("create_graph", [False, True])
def test_ops_give_the_same_numbers_with_and_without_their_fused_kernels(monkeypatch,
                                                                        create_graph):
    """The formula each op states (what the CuPy backend runs) against the fused CPU kernels,
    through the whole op: forward, and backward plain or recorded."""
    from minigan.functional import fused

    rng = np.random.default_rng(7)
    x = rng.standard_normal((6, 3, 4, 4)) * 2 + 0.5
    w, b = rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)
    gy = rng.standard_normal(x.shape)

    def run():
        leaves = [mg.tensor(a, requires_grad=True) for a in (x, w, b)]
        y = mg.F.batch_norm(leaves[0], None, None, leaves[1], leaves[2], training=True)
        y = mg.F.leaky_relu(y, 0.2) + mg.F.sigmoid(y) + mg.F.relu(y)
        grads = mg.grad(y, leaves, mg.tensor(gy), create_graph=create_graph)
        return [y.numpy()] + [g.numpy() for g in grads]

    fused_results = run()
    monkeypatch.setattr(fused, "kernel", lambda device, name: None)
    for with_kernels, by_formula in zip(fused_results, run()):
        np.testing.assert_allclose(with_kernels, by_formula, rtol=1e-12, atol=1e-12)
