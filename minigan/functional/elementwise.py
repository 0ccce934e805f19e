"""Elementwise math, selections, comparisons, and moving a tensor to another dtype or backend."""

from .. import backend
from ..tensor import Function, Tensor
from .arithmetic import _operands, as_tensor, sum_to


class Exp(Function):
    saves_inputs = False

    def forward(self, x):
        return self.xp.exp(x)

    def backward(self, gy):
        # d/dx exp(x) = exp(x)
        return gy * self.output


class Log(Function):
    def forward(self, x):
        return self.xp.log(x)

    def backward(self, gy):
        # d/dx log(x) = 1/x
        return gy / self.inputs[0]


class Sqrt(Function):
    saves_inputs = False

    def forward(self, x):
        return self.xp.sqrt(x)

    def backward(self, gy):
        # d/dx sqrt(x) = 1 / (2 sqrt(x))
        return gy / (2.0 * self.output)


class Log1p(Function):
    def forward(self, x):
        return self.xp.log1p(x)

    def backward(self, gy):
        # d/dx log(1 + x) = 1 / (1 + x)
        return gy / (1.0 + self.inputs[0])


class Expm1(Function):
    def forward(self, x):
        return self.xp.expm1(x)

    def backward(self, gy):
        # d/dx (e^x - 1) = e^x
        return gy * self.inputs[0].exp()


class Sin(Function):
    def forward(self, x):
        return self.xp.sin(x)

    def backward(self, gy):
        # d/dx sin(x) = cos(x)
        return gy * cos(self.inputs[0])


class Cos(Function):
    def forward(self, x):
        return self.xp.cos(x)

    def backward(self, gy):
        # d/dx cos(x) = -sin(x)
        return gy * -sin(self.inputs[0])


class Abs(Function):
    def forward(self, x):
        return self.xp.abs(x)

    def backward(self, gy):
        # d/dx |x| = sign(x)  (0 at x = 0, as in PyTorch)
        return gy * sign(self.inputs[0])


class Clip(Function):
    def __init__(self, low, high):
        self.low, self.high = low, high

    def forward(self, x):
        return self.xp.clip(x, self.low, self.high)

    def backward(self, gy):
        # d/dx clip(x, lo, hi) = 1 inside [lo, hi], else 0
        x = self.inputs[0].array
        inside = self.xp.ones_like(x, dtype=bool)
        if self.low is not None:
            inside &= x >= self.low
        if self.high is not None:
            inside &= x <= self.high
        return gy * Tensor(inside.astype(x.dtype))


class Extremum(Function):
    """maximum / minimum of two tensors; a tie splits the gradient in half, as in PyTorch."""

    def __init__(self, pick_name):
        self.pick_name = pick_name

    def forward(self, a, b):
        wins = (a > b) if self.pick_name == "maximum" else (a < b)
        self.share_a = wins.astype(a.dtype) + 0.5 * (a == b).astype(a.dtype)
        return getattr(self.xp, self.pick_name)(a, b)

    def backward(self, gy):
        # d/da max(a, b) = [a > b], d/db = [b > a]
        a, b = self.inputs
        share_a = Tensor(self.share_a)
        return sum_to(gy * share_a, a.shape), sum_to(gy * (1.0 - share_a), b.shape)


class Where(Function):
    def __init__(self, condition):
        self.condition = condition

    def forward(self, a, b):
        return self.xp.where(self.condition, a, b)

    def backward(self, gy):
        # the gradient goes to whichever input was picked
        a, b = self.inputs
        zero = Tensor(self.xp.zeros((), dtype=gy.dtype))
        return (sum_to(where(self.condition, gy, zero), a.shape),
                sum_to(where(self.condition, zero, gy), b.shape))


def exp(x):
    """e ** x."""
    return Exp()(x)


def log(x):
    """Natural logarithm."""
    return Log()(x)


def sqrt(x):
    """Square root."""
    return Sqrt()(x)


def log1p(x):
    """log(1 + x), accurate for small x."""
    return Log1p()(x)


def expm1(x):
    """e^x - 1, accurate for small x."""
    return Expm1()(x)


def sin(x):
    """Sine."""
    return Sin()(x)


def cos(x):
    """Cosine."""
    return Cos()(x)


def abs(x):  # noqa: A001
    """|x|."""
    return Abs()(x)


def clip(x, min=None, max=None):  # noqa: A002
    """Limit x to [min, max] (either may be None); PyTorch calls it clamp."""
    if min is None and max is None:
        raise ValueError("clip needs min, max or both")
    return Clip(min, max)(x)


clamp = clip


def maximum(a, b):
    """Elementwise larger of a and b, broadcasting."""
    return Extremum("maximum")(*_operands(a, b))


def minimum(a, b):
    """Elementwise smaller of a and b, broadcasting."""
    return Extremum("minimum")(*_operands(a, b))


def where(condition, a, b):
    """a where condition is true, else b; differentiable in a and b, not in the condition."""
    if isinstance(condition, Tensor):
        condition = condition.array
    like = a if isinstance(a, Tensor) else b
    a, b = as_tensor(a, like), as_tensor(b, like)
    return Where(condition)(a, b)


def sign(x):
    """-1, 0 or 1 by the sign of x (not differentiable)."""
    return Tensor(x.backend.xp.sign(x.array))


# -- comparisons: plain tensors of booleans, outside the graph --------------------------------
def _compare(a, b, name):
    a, b = _operands(a, b)
    if a.backend is not b.backend:
        raise ValueError(f"cannot compare tensors on backends {a.backend.name!r} and {b.backend.name!r}")
    return Tensor(getattr(a.array, name)(b.array))


def eq(a, b):
    return _compare(a, b, "__eq__")


def ne(a, b):
    return _compare(a, b, "__ne__")


def lt(a, b):
    return _compare(a, b, "__lt__")


def le(a, b):
    return _compare(a, b, "__le__")


def gt(a, b):
    return _compare(a, b, "__gt__")


def ge(a, b):
    return _compare(a, b, "__ge__")


# -- dtype and backend ------------------------------------------------------------------------
class Cast(Function):
    saves_inputs = False

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, x):
        return x.astype(self.dtype)

    def backward(self, gy):
        return gy.astype(self.inputs[0].dtype)


class Move(Function):
    """Copy to another backend; the only op whose output lives elsewhere than its input."""
    saves_inputs = False


    def __init__(self, target):
        self.target = target

    def forward(self, x):
        if self.target.name == "numpy":
            return self.backend.to_host(x)
        return self.target.asarray(self.backend.to_host(x))

    def backward(self, gy):
        return gy.to(self.backend.name)


def astype(x, dtype):
    """`x` as `dtype` (a NumPy dtype or its name); differentiable between float types."""
    dtype = x.backend.xp.dtype(dtype)
    return x if x.dtype == dtype else Cast(dtype)(x)


def to(x, *targets, device=None, dtype=None, non_blocking=False):
    """`x` moved to a backend ("numpy", "cupy", or PyTorch's "cpu", "cuda") and/or converted to
    a dtype, as PyTorch's Tensor.to: x.to("cuda"), x.to("float64"), x.to(device, dtype),
    x.to(other_tensor). `non_blocking` is accepted and changes nothing."""
    for target in targets:
        if isinstance(target, Tensor):
            device, dtype = target.backend, target.dtype
        elif backend.backend_name(target) is not None:
            device = target
        else:
            dtype = target
    if device is not None:
        destination = backend.get(device)
        if destination is not x.backend:
            x = Move(destination)(x)
    return x if dtype is None else astype(x, dtype)
