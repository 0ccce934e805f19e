"""GELU, SiLU, PReLU, Hardtanh and ReLU6, composed of minigan ops (so they differentiate to any
order), and erf, the one new op GELU needs."""

import math

from ..tensor import Function
from .elementwise import clip, where
from .activations import sigmoid, tanh


def _erf_series(xp, x):
    """erf(x) = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1 3 5 ... (2n+1)), in float64.

    The series has only positive terms (no cancellation) and converges for every x; beyond
    |x| = 6, erf is 1 to float64's precision, so x is clipped there.
    """
    v = xp.clip(x.astype("float64"), -6.0, 6.0)
    v2 = v * v
    term, total, n = v.copy(), v.copy(), 0
    while True:
        n += 1
        term *= 2.0 * v2 / (2 * n + 1)
        total += term
        if not bool((xp.abs(term) > 1e-17 * xp.abs(total)).any()):
            break
    return (2.0 / math.sqrt(math.pi) * xp.exp(-v2) * total).astype(x.dtype)


class Erf(Function):
    def forward(self, x):
        return _erf_series(self.xp, x)

    def backward(self, gy):
        # d/dx erf(x) = 2/sqrt(pi) e^(-x^2)
        x = self.inputs[0]
        return gy * (2.0 / math.sqrt(math.pi)) * (-(x * x)).exp()


def erf(x):
    """The error function, 2/sqrt(pi) times the integral of e^(-t^2) from 0 to x."""
    return Erf()(x)


def gelu(x, approximate="none"):
    """x Phi(x), Phi the standard normal CDF = (1 + erf(x / sqrt 2)) / 2; approximate="tanh"
    is PyTorch's tanh form."""
    if approximate == "none":
        return 0.5 * x * (1.0 + erf(x * (1 / math.sqrt(2.0))))
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1.0 + tanh(inner))
    raise ValueError(f"gelu approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(x):
    """x sigmoid(x) (also called swish)."""
    return x * sigmoid(x)


def prelu(x, weight):
    """x for x > 0, else weight * x, with one learned slope per channel (axis 1) or one in all."""
    if weight.numel() not in (1, x.shape[1] if x.ndim > 1 else 1):
        raise ValueError(f"prelu: {weight.numel()} slopes for input of shape {x.shape}; give "
                         "1 or one per channel (axis 1)")
    if weight.numel() > 1:
        weight = weight.reshape((1, -1) + (1,) * (x.ndim - 2))
    return where(x.array > 0, x, weight * x)


def hardtanh(x, min_val=-1.0, max_val=1.0):
    """x limited to [min_val, max_val]."""
    return clip(x, min_val, max_val)


def relu6(x):
    """min(max(x, 0), 6)."""
    return clip(x, 0.0, 6.0)
