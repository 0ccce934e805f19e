"""minigan: a deep-learning framework written by hand on NumPy and CuPy, to learn how
backpropagation trains a GAN, and to train one.

    >>> import minigan as mg
    >>> x = mg.randn(3, requires_grad=True)
    >>> (x.tanh() * x).sum().backward()
    >>> x.grad.shape
    (3,)
"""

from . import backend  # first: it sets OpenBLAS's options before NumPy loads

import numpy as np

from . import functional
from . import functional as F
from . import data, nn, optim
from .creation import (arange, full, manual_seed, ones, ones_like, rand, randint, randn, tensor,
                       zeros, zeros_like)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .tensor import Function, Tensor, enable_grad, grad, is_grad_enabled, no_grad

__version__ = "0.1.0"

float32 = np.dtype("float32")
float64 = np.dtype("float64")
int64 = np.dtype("int64")

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
    "arange", "backend", "cat", "data", "enable_grad", "F", "float32", "float64", "full",
    "Function", "functional", "get_default_backend", "grad", "gradcheck", "GradcheckError",
    "gradgradcheck", "int64", "is_grad_enabled", "manual_seed", "maximum", "minimum", "nn",
    "no_grad", "ones", "ones_like", "optim", "rand", "randint", "randn", "set_default_backend",
    "stack", "Tensor", "tensor", "where", "zeros", "zeros_like",
]
