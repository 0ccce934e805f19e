"""minigan.functional (imported as F): every differentiable op.

Importing this module also gives Tensor its operators (`+`, `@`, `x[i]`, ...) and methods
(`x.sum()`, `x.reshape(...)`, ...), which are these same functions.
"""

from ..tensor import Tensor
from .activations import (elu, leaky_relu, log_sigmoid, log_softmax, logsigmoid, relu, sigmoid,
                          softmax, softplus, tanh)
from .arithmetic import (add, as_tensor, broadcast_to, div, expand, matmul, mul, neg, pow, sub,
                         sum_to)
from .conv import conv2d, conv2d_weight_grad, conv_transpose2d
from .elementwise import (abs, astype, clamp, clip, eq, exp, ge, gt, le, log, lt, maximum,
                          minimum, ne, sign, sqrt, to, where)
from .layers import avg_pool2d, dropout, embedding, interpolate, linear, max_pool2d
from .losses import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                     l1_loss, mse_loss, nll_loss)
from .normalization import batch_norm
from .patches import col2im, fold, im2col, unfold
from .reductions import argmax, argmin, logsumexp, max, mean, min, sum, var
from .shape import (cat, concatenate, flatten, getitem, pad, permute, reshape, squeeze, stack,
                    transpose, unsqueeze)


def _reflected(op):
    return lambda self, other: op(other, self)


def _install_tensor_methods():
    operators = {
        "__add__": add, "__radd__": _reflected(add),
        "__sub__": sub, "__rsub__": _reflected(sub),
        "__mul__": mul, "__rmul__": _reflected(mul),
        "__truediv__": div, "__rtruediv__": _reflected(div),
        "__pow__": pow, "__rpow__": _reflected(pow),
        "__matmul__": matmul, "__rmatmul__": _reflected(matmul),
        "__neg__": neg, "__abs__": abs, "__getitem__": getitem,
        "__eq__": eq, "__ne__": ne, "__lt__": lt, "__le__": le, "__gt__": gt, "__ge__": ge,
    }
    methods = {
        "sum": sum, "mean": mean, "max": max, "min": min, "var": var, "logsumexp": logsumexp,
        "argmax": argmax, "argmin": argmin,
        "reshape": reshape, "view": reshape, "permute": permute, "transpose": transpose,
        "flatten": flatten, "squeeze": squeeze, "unsqueeze": unsqueeze,
        "expand": expand, "broadcast_to": broadcast_to, "sum_to": sum_to,
        "exp": exp, "log": log, "sqrt": sqrt, "abs": abs, "clip": clip, "clamp": clamp,
        "sign": sign, "pow": pow, "matmul": matmul,
        "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax,
        "log_softmax": log_softmax,
        "astype": astype, "to": to,
        "float": lambda self: astype(self, "float32"),
        "double": lambda self: astype(self, "float64"),
    }
    for name, function in {**operators, **methods}.items():
        setattr(Tensor, name, function)
    Tensor.T = property(transpose)
    Tensor.mT = property(lambda self: transpose(self, -2, -1))


_install_tensor_methods()

__all__ = [
    "abs", "add", "argmax", "argmin", "as_tensor", "astype", "avg_pool2d", "batch_norm",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "broadcast_to", "cat", "clamp",
    "clip", "col2im", "concatenate", "conv2d", "conv2d_weight_grad", "conv_transpose2d",
    "cross_entropy", "div", "dropout", "elu", "embedding", "eq", "exp", "expand", "flatten",
    "fold", "ge", "getitem", "gt", "im2col", "interpolate", "l1_loss", "le", "leaky_relu",
    "linear", "log", "log_sigmoid", "log_softmax", "logsigmoid", "logsumexp", "lt", "matmul",
    "max", "max_pool2d", "maximum", "mean", "min", "minimum", "mse_loss", "mul", "ne", "neg",
    "nll_loss", "pad", "permute", "pow", "relu", "reshape", "sigmoid", "sign", "softmax",
    "softplus", "sqrt", "squeeze", "stack", "sub", "sum", "sum_to", "tanh", "to", "transpose",
    "unfold", "unsqueeze", "var", "where",
]
