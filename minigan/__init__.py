"""minigan: a deep-learning framework written by hand on NumPy and CuPy, to learn how
backpropagation trains a GAN, and to train one.

    >>> import minigan as mg
    >>> x = mg.randn(3, requires_grad=True)
    >>> (x.tanh() * x).sum().backward()
    >>> x.grad.shape
    (3,)
"""

from . import backend
from . import functional
from . import functional as F
from . import data, nn, optim
from .io.save_load import load, save
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .tensor import (Function, Tensor, arange, enable_grad, full, grad, is_grad_enabled,
                     manual_seed, no_grad, ones, ones_like, rand, randint, randn, tensor, zeros,
                     zeros_like)

__version__ = "0.1.0"

float32 = backend.host_module().dtype("float32")
float64 = backend.host_module().dtype("float64")
int64 = backend.host_module().dtype("int64")

cat = functional.concatenate
stack = functional.stack
where = functional.where
maximum = functional.maximum
minimum = functional.minimum


def set_default_backend(name):
    """Make `name` ("numpy" or "cupy") the backend of new tensors and modules."""
    backend.set_default(name)


def get_default_backend():
    """The name of the backend that new tensors use."""
    return backend.default().name


__all__ = [
    "F", "Function", "data", "nn", "optim", "GradcheckError", "Tensor", "arange", "backend", "cat", "enable_grad",
    "float32", "float64", "full", "functional", "get_default_backend", "grad", "gradcheck",
    "gradgradcheck", "int64", "is_grad_enabled", "load", "manual_seed", "maximum", "minimum", "no_grad",
    "ones", "ones_like", "rand", "randint", "randn", "save", "set_default_backend", "stack", "tensor",
    "where", "zeros", "zeros_like",
]
