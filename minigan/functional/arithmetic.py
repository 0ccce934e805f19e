"""Arithmetic: + - * / ** @, and the pair broadcast_to / sum_to that makes broadcasting work.

When an op broadcasts an operand of shape (3, 1) against (3, 4), the operand was used four
times, so its gradient is the sum of four gradients: `sum_to(g, (3, 1))`. The two ops are each
other's backward.
"""

from .. import backend
from ..tensor import Function, Tensor


def as_tensor(value, like):
    """`value` as a Tensor on the backend of `like`.

    Python numbers take `like`'s dtype where they fit (float32 * 2.0 stays float32: no silent
    float64). Arrays and tensors of another backend are not copied: the op raises.
    """
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (bool, int, float)):
        xp = like.backend.xp
        return Tensor(xp.asarray(value, dtype=xp.result_type(like.dtype, value)))
    try:
        backend.of(value)
        return Tensor(value)
    except TypeError:
        return Tensor(like.backend.asarray(value, dtype=like.dtype))


def _operands(a, b):
    a, b = (a, as_tensor(b, a)) if isinstance(a, Tensor) else (as_tensor(a, b), b)
    a_type, b_type = a.array.dtype, b.array.dtype
    if a_type == b_type:
        return a, b
    if a_type.kind == "f" and b_type.kind in "iub":  # a float tensor with an integer one
        return a, Tensor(b.array.astype(a_type))     # keeps the float's dtype (PyTorch's rule)
    if b_type.kind == "f" and a_type.kind in "iub":
        return Tensor(a.array.astype(b_type)), b
    return a, b


# -- broadcasting -----------------------------------------------------------------------------
class BroadcastTo(Function):
    saves_inputs = False

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return self.xp.broadcast_to(x, self.shape)

    def backward(self, gy):
        # x was read once per copy: d/dx = sum of the copies' gradients
        return sum_to(gy, self.inputs[0].shape)


class SumTo(Function):
    saves_inputs = False

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        lead = x.ndim - len(self.shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(self.shape) if n == 1 and x.shape[lead + i] != 1)
        y = x.sum(axis=axes, keepdims=True) if axes else x
        return y.reshape(self.shape)

    def backward(self, gy):
        # each input element went into one sum: d/dx = the sum's gradient, copied back
        return broadcast_to(gy, self.inputs[0].shape)


def broadcast_to(x, shape):
    """`x` repeated along new or size-1 axes to `shape`, as numpy.broadcast_to."""
    shape = tuple(shape)
    return x if x.shape == shape else BroadcastTo(shape)(x)


def sum_to(x, shape):
    """Sum `x` down to `shape`: the inverse of broadcasting, used by every broadcasting op's
    backward."""
    shape = tuple(shape)
    return x if x.shape == shape else SumTo(shape)(x)


def expand(x, *sizes):
    """PyTorch's expand: broadcast to `sizes`, where -1 keeps that axis's size."""
    if len(sizes) == 1 and not isinstance(sizes[0], int):
        sizes = tuple(sizes[0])
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
    return broadcast_to(x, shape)


# -- the four operations ----------------------------------------------------------------------
class Add(Function):
    saves_inputs = False

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        # d(a + b)/da = d(a + b)/db = 1
        a, b = self.inputs
        return sum_to(gy, a.shape), sum_to(gy, b.shape)


class Sub(Function):
    saves_inputs = False

    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        # d(a - b)/da = 1, d(a - b)/db = -1
        a, b = self.inputs
        return sum_to(gy, a.shape), sum_to(-gy, b.shape)


class Mul(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        # d(ab)/da = b, d(ab)/db = a
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        return (sum_to(gy * b, a.shape) if need_a else None,
                sum_to(gy * a, b.shape) if need_b else None)


class Div(Function):
    def forward(self, a, b):
        return a / b

    def backward(self, gy):
        # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2 = -(a/b)/b
        a, b = self.inputs
        ga = gy / b
        gb = sum_to(-ga * self.output, b.shape) if self.needs_input_grad[1] else None
        return sum_to(ga, a.shape), gb


class Neg(Function):
    saves_inputs = False

    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


class PowScalar(Function):
    def __init__(self, exponent):
        self.exponent = exponent

    def forward(self, x):
        return x ** self.xp.asarray(self.exponent, dtype=x.dtype)

    def backward(self, gy):
        # d(x^c)/dx = c x^(c-1)
        x, c = self.inputs[0], self.exponent
        return gy * (c * x ** (c - 1)) if c != 1 else gy


class Pow(Function):
    def forward(self, a, b):
        return a ** b

    def backward(self, gy):
        # d(a^b)/da = b a^(b-1), d(a^b)/db = a^b log(a)
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        ga = sum_to(gy * b * a ** (b - 1), a.shape) if need_a else None
        gb = sum_to(gy * self.output * a.log(), b.shape) if need_b else None
        return ga, gb


def add(a, b):
    """a + b, broadcasting."""
    return Add()(*_operands(a, b))


def sub(a, b):
    """a - b, broadcasting."""
    return Sub()(*_operands(a, b))


def mul(a, b):
    """a * b, broadcasting."""
    return Mul()(*_operands(a, b))


def div(a, b):
    """a / b, broadcasting."""
    return Div()(*_operands(a, b))


def neg(x):
    """-x."""
    return Neg()(x)


def pow(x, exponent):
    """x ** exponent; a Python-number exponent is a constant, a Tensor one is differentiable."""
    if isinstance(exponent, (int, float)) and isinstance(x, Tensor):
        return PowScalar(exponent)(x)
    return Pow()(*_operands(x, exponent))


# -- matrix product ---------------------------------------------------------------------------
def _swap_last(x):
    axes = list(range(x.ndim))
    axes[-1], axes[-2] = axes[-2], axes[-1]
    return x.permute(*axes)


class MatMul(Function):
    def forward(self, a, b):
        return a @ b

    def backward(self, gy):
        # Y = A B: dA = dY B^T, dB = A^T dY (summed over broadcast batch axes)
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        return (sum_to(matmul(gy, _swap_last(b)), a.shape) if need_a else None,
                sum_to(matmul(_swap_last(a), gy), b.shape) if need_b else None)


def matmul(a, b):
    """Matrix product with NumPy's rules: batched over leading axes, 1-D operands promoted."""
    a, b = _operands(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul needs operands of at least 1 dimension, got shapes "
                         f"{a.shape} and {b.shape}")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align: "
                         f"{a.shape[-1]} (last axis of the first) != "
                         f"{b.shape[-2 if b.ndim > 1 else 0]} (the second's "
                         f"{'second-to-last' if b.ndim > 1 else 'only'} axis)")
    vector_a, vector_b = a.ndim == 1, b.ndim == 1
    if vector_a:
        a = a.reshape(1, -1)
    if vector_b:
        b = b.reshape(-1, 1)
    y = MatMul()(a, b)
    if vector_a or vector_b:
        shape = y.shape[:-2] + ((y.shape[-2],) if not vector_a else ()) + (
            (y.shape[-1],) if not vector_b else ())
        y = y.reshape(shape)
    return y
