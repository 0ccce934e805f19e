"""minigan: a deep-learning framework written by hand on NumPy and CuPy, to learn how
backpropagation trains a GAN, and to train one.

    >>> import minigan as mg
    >>> x = mg.randn(3, requires_grad=True)
    >>> (x.tanh() * x).sum().backward()
    >>> x.grad.shape
    (3,)
"""

from . import backend  # first: it sets OpenBLAS's options before NumPy loads
from . import functional
from . import functional as F
from . import data, nn, optim
from .creation import (BoolTensor, ByteTensor, DoubleTensor, FloatTensor, IntTensor, LongTensor,
                       arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,
                       linspace, manual_seed, normal, ones, ones_like, rand, rand_like, randint,
                       randn, randn_like, randperm, tensor, zeros, zeros_like)
from .dtypes import bool, double, float, float32, float64, int, int32, int64, long, uint8
from .functional import (abs, add, argmax, argmin, bmm, cat, chunk, clamp, clip, clone, cos, div,
                         eq, erf, exp, expm1, flatten, ge, gt, le, log, log1p, log_softmax,
                         logsumexp, lt, matmul, max, maximum, mean, min, minimum, mm, mul, ne, neg,
                         norm, permute, pow, relu, reshape, sigmoid, sign, sin, softmax, split,
                         sqrt, squeeze, stack, std, sub, sum, tanh, transpose, unsqueeze, var,
                         where)
from .functional.tensor_api import (all, allclose, any, ceil, equal, flip, floor, gather,
                                    index_select, isfinite, isinf, isnan, lerp, masked_fill, outer,
                                    round, square, t)
from .io.save_load import load, save
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .tensor import (Function, Tensor, enable_grad, grad, is_grad_enabled, no_grad,
                     set_grad_enabled)
from .backend import Device as device
from .tensor_methods import Size

__version__ = "0.1.0"

concatenate = cat


def set_default_backend(name):
    """Make `name` ("numpy" or "cupy") the backend of new tensors and modules."""
    backend.set_default(name)


def is_tensor(x):
    """True for a minigan Tensor (Parameters included)."""
    return isinstance(x, Tensor)


def numel(x):
    """The number of elements of x."""
    return x.numel()


def get_default_dtype():
    """float32, the dtype of new float tensors."""
    return float32


def get_default_backend():
    """The name of the backend that new tensors use."""
    return backend.default().name


__all__ = [
    "abs", "add", "all", "allclose", "any", "arange", "argmax", "argmin", "as_tensor", "backend",
    "bmm", "bool", "BoolTensor", "ByteTensor", "cat", "ceil", "chunk", "clamp", "clip", "clone",
    "concatenate", "cos", "data", "device", "div", "double", "DoubleTensor", "empty", "empty_like",
    "enable_grad", "eq", "equal", "erf", "exp", "expm1", "eye", "F", "flatten", "flip", "float",
    "float32", "float64", "FloatTensor", "floor", "from_numpy", "full", "full_like", "Function",
    "functional", "gather", "ge", "get_default_backend", "get_default_dtype", "grad", "gradcheck",
    "GradcheckError", "gradgradcheck", "gt", "index_select", "int", "int32", "int64", "IntTensor",
    "is_grad_enabled", "is_tensor", "isfinite", "isinf", "isnan", "le", "lerp", "linspace", "load", "log",
    "log1p", "log_softmax", "logsumexp", "long", "LongTensor", "lt", "manual_seed", "masked_fill",
    "matmul", "max", "maximum", "mean", "min", "minimum", "mm", "mul", "ne", "neg", "nn",
    "no_grad", "norm", "normal", "numel", "ones", "ones_like", "optim", "outer", "permute", "pow",
    "rand", "rand_like", "randint", "randn", "randn_like", "randperm", "relu", "reshape", "round", "save",
    "set_default_backend", "set_grad_enabled", "sigmoid", "sign", "sin", "Size", "softmax",
    "split", "sqrt", "square", "squeeze", "stack", "std", "sub", "sum", "t", "tanh", "Tensor",
    "tensor", "transpose", "uint8", "unsqueeze", "var", "where", "zeros", "zeros_like",
]
