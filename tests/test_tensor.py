"""Tensor creation, properties and the autograd engine's contract."""

import numpy as np
import pytest

import minigan as mg


def test_creation_and_dtypes(backend_name):
    assert mg.tensor([1.0, 2.0], backend=backend_name).dtype == "float32"
    assert mg.tensor([1, 2], backend=backend_name).dtype == "int64"
    assert mg.tensor(np.zeros(2, dtype=np.float64), backend=backend_name).dtype == "float64"
    assert mg.tensor([1, 2], dtype="float64", backend=backend_name).dtype == "float64"
    assert mg.tensor([1.0], dtype=np.float16, backend=backend_name).dtype == "float16"
    assert mg.zeros(2, 3, backend=backend_name).shape == (2, 3)
    assert mg.ones((2, 3), dtype="float64", backend=backend_name).dtype == "float64"
    assert float(mg.full((2,), 7.0, backend=backend_name).numpy()[1]) == 7.0
    x = mg.randn(4, 5, backend=backend_name)
    assert (x.shape, x.ndim, x.numel(), x.dtype, x.backend) == ((4, 5), 2, 20, "float32",
                                                            backend_name)
    assert mg.zeros_like(x).shape == (4, 5) and mg.ones_like(x, dtype="float64").dtype == "float64"
    r = mg.rand(1000, backend=backend_name).numpy()
    assert 0 <= r.min() and r.max() < 1
    assert mg.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert mg.arange(0.0, 1.0, 0.5).dtype == "float32"


def test_tensor_copies_its_data():
    source = np.ones(3, dtype=np.float32)
    x = mg.tensor(source)
    source[0] = 5
    assert x.numpy()[0] == 1


def test_scalar_operands_keep_the_dtype():
    x = mg.ones(3)  # float32
    for y in (x * 2.5, 2.5 * x, x + 1, x / 3.0, 1.0 - x, x ** 2, 2.0 ** x, x.exp() * 0.1):
        assert y.dtype == "float32"
    assert (x.double() * 2.5).dtype == "float64"
    assert (mg.tensor([1, 2]) * 0.5).dtype == "float64"  # ints promote as in NumPy


def test_manual_seed_reproduces_samples(backend_name):
    mg.manual_seed(7)
    a = mg.randn(5, backend=backend_name).numpy()
    mg.manual_seed(7)
    b = mg.randn(5, backend=backend_name).numpy()
    mg.manual_seed(8)
    c = mg.randn(5, backend=backend_name).numpy()
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_leaf_status_detach_item_and_numpy():
    x = mg.tensor([2.0, 3.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.requires_grad
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and np.array_equal(d.numpy(), [4.0, 6.0])
    assert y.sum().item() == 10.0
    z = mg.zeros(2)
    assert not z.requires_grad and z.requires_grad_() is z and z.requires_grad
    with pytest.raises(ValueError, match="one element"):
        y.item()


def test_gradients_accumulate_until_cleared():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert np.allclose(x.grad.numpy(), [2 + 3, 4 + 3])
    x.grad = None
    (x * 3).sum().backward()
    assert np.allclose(x.grad.numpy(), [3, 3])


def test_a_reused_tensor_sums_its_gradients():
    x = mg.tensor(3.0, requires_grad=True)
    y = x * x
    z = y * y + y  # dz/dx = (2y + 1) * 2x = 19 * 6
    z.backward()
    assert x.grad.item() == 19 * 6


def test_deep_graph_runs_in_generation_order():
    x = mg.tensor(0.5, dtype="float64", requires_grad=True)
    y = x
    for _ in range(200):
        y = y * 1.01 + x * 0.001
    y.backward()
    h = 1e-6
    f = lambda v: _chain(v)  # noqa: E731
    assert abs(x.grad.item() - (f(0.5 + h) - f(0.5 - h)) / (2 * h)) < 1e-6


def _chain(v):
    y = v
    for _ in range(200):
        y = y * 1.01 + v * 0.001
    return y


def test_graph_is_freed_after_backward_unless_retained():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    assert np.allclose(x.grad.numpy(), [2 * 3, 4 * 3])  # three backward passes


def test_no_grad_records_nothing():
    x = mg.tensor([1.0], requires_grad=True)
    with mg.no_grad():
        y = x * 2
        assert not mg.is_grad_enabled()
        with mg.enable_grad():
            z = x * 2
    assert mg.is_grad_enabled()
    assert not y.requires_grad and y.creator is None
    assert z.requires_grad


def test_ordinary_backward_builds_no_graph():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    (x.tanh() * x).sum().backward()
    assert x.grad.creator is None and not x.grad.requires_grad


def test_create_graph_gives_second_derivatives():
    x = mg.tensor([0.3, -1.2], dtype="float64", requires_grad=True)
    (g,) = mg.grad((x ** 3).sum(), [x], create_graph=True)
    assert g.requires_grad
    (gg,) = mg.grad(g.sum(), [x])
    assert np.allclose(gg.numpy(), 6 * x.numpy())


def test_grad_returns_without_touching_dot_grad():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    w = mg.tensor([3.0, 4.0], requires_grad=True)
    (gx,) = mg.grad((x * w).sum(), [x])
    assert np.allclose(gx.numpy(), [3, 4]) and x.grad is None and w.grad is None


def test_grad_with_grad_outputs_and_non_leaf_inputs():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    h = x * 2
    y = h * h
    gh, gx = mg.grad(y, [h, x], grad_outputs=mg.tensor([1.0, 0.0, 2.0]))
    assert np.allclose(gh.numpy(), [4, 0, 24]) and np.allclose(gx.numpy(), [8, 0, 48])


def test_grad_at_an_intermediate_leaves_the_graph_below_it_for_a_later_backward():
    # a GAN's generator step in two halves: grad(g_loss, [fake]), then fake.backward(that)
    x = mg.tensor([0.5, -1.0], dtype="float64", requires_grad=True)
    h = (x * 3).tanh()
    loss = (h * h).sum()
    (gh,) = mg.grad(loss, [h])
    h.backward(gh)
    t = np.tanh(3 * x.numpy())
    assert np.allclose(x.grad.numpy(), 2 * t * (1 - t * t) * 3)


def test_grad_skips_branches_that_do_not_lead_to_the_inputs():
    calls = []

    class Spy(mg.Function):
        def forward(self, a):
            return a * 1

        def backward(self, gy):
            calls.append(1)
            return gy

    a = mg.tensor([1.0], requires_grad=True)
    b = mg.tensor([2.0], requires_grad=True)
    y = Spy()(a) * b
    (gb,) = mg.grad(y.sum(), [b])
    assert calls == [] and np.allclose(gb.numpy(), [1.0])


def test_unused_input_needs_allow_unused():
    x = mg.tensor([1.0], requires_grad=True)
    unused = mg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        mg.grad((x * 2).sum(), [x, unused])
    gx, gu = mg.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gu is None and gx.item() == 2


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    h = (x * 3).retain_grad()
    (h * h).sum().backward()
    assert np.allclose(h.grad.numpy(), [6, 12]) and np.allclose(x.grad.numpy(), [18, 36])


def test_broadcast_operand_gets_gradient_of_its_own_shape():
    a = mg.ones(3, 1, requires_grad=True)
    b = mg.ones(4, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.shape == (3, 1) and np.allclose(a.grad.numpy(), 4)
    assert b.grad.shape == (4,) and np.allclose(b.grad.numpy(), 3)


def test_repr_reads_like_pytorch():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=<Mul>)"
    assert "dtype=float64" in repr(x.double())


def test_comparisons_are_plain_boolean_tensors():
    x = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = x > 1.5
    assert mask.dtype == bool and not mask.requires_grad
    assert mask.tolist() == [False, True, True]
    assert (x == 2.0).tolist() == [False, True, False]
    assert bool((x >= 3).numpy()[2])
