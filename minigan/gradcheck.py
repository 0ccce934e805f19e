"""Finite-difference checks of backward passes, with PyTorch's semantics.

gradcheck builds two Jacobians of `fn` at `inputs` and compares them element by element:
- numerical, column by column: d out / d x_k ~ (fn(x + eps e_k) - fn(x - eps e_k)) / (2 eps),
  whose error is O(eps^2) from the Taylor series plus O(u / eps) from rounding (u = 1e-16 in
  float64, but 6e-8 in float32, which is why the check needs float64);
- analytical, row by row: one backward pass per output element with a one-hot gradient.
They agree when |numerical - analytical| <= atol + rtol * |numerical| everywhere.
"""

import warnings

import numpy as np  # host side: the Jacobians, in float64

from .tensor import Tensor, grad


class GradcheckError(AssertionError):
    """A backward pass disagrees with finite differences."""


def _as_outputs(value):
    outputs = (value,) if isinstance(value, Tensor) else tuple(value)
    for out in outputs:
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: fn must return Tensors, got {type(out).__name__}")
    return outputs


def _differentiable(inputs):
    return [(i, x) for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]


def _evaluate(fn, inputs):
    """fn's outputs as flat float64 host arrays. Not under no_grad: fn may itself call grad()."""
    return [out.numpy().reshape(-1).astype("float64") for out in _as_outputs(fn(*inputs))]


def _numerical_jacobians(fn, inputs, eps):
    """For each input that requires a gradient: host arrays J[out_index][in_flat, out_flat]."""
    sizes = [out.numel() for out in _as_outputs(fn(*inputs))]
    jacobians = []
    for _, x in _differentiable(inputs):
        original, device = x.array, x.backend
        flat = x.numpy().reshape(-1).copy()  # perturbed on the host, then sent to the device
        columns = [np.zeros((x.numel(), size)) for size in sizes]
        try:
            for k in range(x.numel()):
                value = flat[k].item()
                plus_minus = []
                for shifted in (value + eps, value - eps):
                    flat[k] = shifted
                    x.array = device.asarray(flat.reshape(original.shape))
                    plus_minus.append(_evaluate(fn, inputs))
                flat[k] = value
                for j, column in enumerate(columns):
                    column[k] = (plus_minus[0][j] - plus_minus[1][j]) / (2 * eps)
        finally:
            x.array = original
        jacobians.append(columns)
    return jacobians


def _analytical_jacobians(fn, inputs):
    xs = [x for _, x in _differentiable(inputs)]
    outputs = _as_outputs(fn(*inputs))
    jacobians = [[np.zeros((x.numel(), out.numel())) for out in outputs] for x in xs]
    for j, out in enumerate(outputs):
        if not out.requires_grad:
            continue  # an output that depends on no input: its analytical Jacobian is 0
        xp = out.backend.xp
        for m in range(out.numel()):
            one_hot = xp.zeros(out.numel(), dtype=out.dtype)
            one_hot[m] = 1
            grads = grad([out], xs, [Tensor(one_hot.reshape(out.shape))], retain_graph=True,
                         allow_unused=True)
            for i, g in enumerate(grads):
                if g is not None:
                    jacobians[i][j][:, m] = g.numpy().reshape(-1)
    return jacobians


def _unravel(index, shape):
    position = []
    for n in reversed(shape):
        position.append(index % n)
        index //= n
    return tuple(reversed(position))


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Compare the backward pass of `fn` at `inputs` with central differences.

    `fn` takes the `inputs` (Tensors, and other arguments passed as they are) and returns a
    Tensor or a tuple of Tensors. Inputs with requires_grad=True are checked; use float64.
    Returns True, or raises GradcheckError naming the input, the worst element, both values
    and the error (returns False instead when raise_exception=False).
    """
    inputs = tuple(inputs) if isinstance(inputs, (list, tuple)) else (inputs,)
    checked = _differentiable(inputs)
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    for i, x in checked:
        if x.dtype != "float64":
            warnings.warn(f"gradcheck: input {i} is {x.dtype}, not float64; finite differences "
                          f"with eps={eps} are swamped by rounding in low precision, so expect "
                          "false failures (convert with .double())", stacklevel=2)
    numerical = _numerical_jacobians(fn, inputs, eps)
    analytical = _analytical_jacobians(fn, inputs)
    for (i, x), num_by_out, ana_by_out in zip(checked, numerical, analytical):
        for j, (num, ana) in enumerate(zip(num_by_out, ana_by_out)):
            excess = np.abs(num - ana) - (atol + rtol * np.abs(num))
            if excess.size and excess.max() > 0:
                k, m = np.unravel_index(np.argmax(excess), excess.shape)
                message = (
                    f"gradcheck failed for input {i} (shape {x.shape}), output {j}: the worst "
                    f"element is d output{list(_unravel(int(m), _output_shape(fn, inputs, j)))} / "
                    f"d input{list(_unravel(int(k), x.shape))}: numerical {num[k, m]:.10g}, "
                    f"analytical {ana[k, m]:.10g}, error {abs(num[k, m] - ana[k, m]):.3g} > "
                    f"atol + rtol * |numerical| = {atol + rtol * abs(num[k, m]):.3g}")
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def _output_shape(fn, inputs, j):
    return _as_outputs(fn(*inputs))[j].shape


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True):
    """Check second derivatives: gradcheck of v -> grad(fn(x), x, v, create_graph=True).

    The gradient is checked both as a function of the inputs and of the weights `v` given to
    the outputs (random float64 tensors unless `grad_outputs` is given).
    """
    inputs = tuple(inputs) if isinstance(inputs, (list, tuple)) else (inputs,)
    positions = [i for i, _ in _differentiable(inputs)]
    outputs = _as_outputs(fn(*inputs))
    if grad_outputs is None:
        grad_outputs = []
        for out in outputs:
            noise = np.random.default_rng(0).standard_normal(out.shape)
            grad_outputs.append(Tensor(out.backend.asarray(noise, dtype=out.dtype),
                                       requires_grad=True))
    else:
        grad_outputs = [g.detach().requires_grad_() for g in _as_outputs(grad_outputs)]
    count = len(inputs)

    def first_derivative(*args):
        xs, vs = args[:count], args[count:]
        ys = _as_outputs(fn(*xs))
        wanted = [xs[i] for i in positions]
        grads = grad(list(ys), wanted, list(vs), create_graph=True, allow_unused=True)
        return tuple(g for g in grads if g is not None)

    return gradcheck(first_derivative, tuple(inputs) + tuple(grad_outputs), eps=eps, atol=atol,
                     rtol=rtol, raise_exception=raise_exception)
