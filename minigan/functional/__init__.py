"""minigan.functional (imported as F): every differentiable op.

Importing this module also gives Tensor its operators (`+`, `@`, `x[i]`, ...) and methods
(`x.sum()`, `x.reshape(...)`, ...), which are these same functions.
"""

from .. import backend
from ..tensor import Tensor
from .activations import (elu, leaky_relu, log_sigmoid, log_softmax, logsigmoid, relu, sigmoid,
                          softmax, softplus, tanh)
from .arithmetic import (add, as_tensor, broadcast_to, div, expand, matmul, mul, neg, pow, sub,
                         sum_to)
from .conv import conv2d, conv2d_weight_grad, conv_transpose2d
from .elementwise import (abs, astype, clamp, clip, cos, eq, exp, expm1, ge, gt, le, log, log1p,
                          lt, maximum, minimum, ne, sign, sin, sqrt, to, where)
from .inplace import IN_PLACE_METHODS
from .layers import avg_pool2d, dropout, embedding, linear, max_pool2d
from .losses import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                     l1_loss, mse_loss, nll_loss, smooth_l1_loss)
from .more_activations import erf, gelu, hardtanh, prelu, relu6, silu
from .normalization import batch_norm, group_norm, instance_norm, layer_norm
from .patches import col2im, fold, im2col, unfold
from .reductions import argmax, argmin, logsumexp, max, mean, min, sum, var
from .resampling import adaptive_avg_pool2d, dropout2d, interpolate, pad, pixel_shuffle
from .shape import (cat, concatenate, flatten, getitem, permute, reshape, squeeze, stack,
                    transpose, unsqueeze)
from .tensor_api import METHODS as TENSOR_API_METHODS
from .tensor_api import bmm, chunk, clone, mm, norm, normalize, one_hot, split, std


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
        "astype": astype, "to": to, "sin": sin, "cos": cos, "erf": erf, "log1p": log1p,
        "expm1": expm1,
    }
    for name, function in {**operators, **methods, **TENSOR_API_METHODS,
                           **IN_PLACE_METHODS}.items():
        setattr(Tensor, name, function)
    Tensor.T = property(transpose)
    Tensor.mT = property(lambda self: transpose(self, -2, -1))
    _install_device_methods()


def _install_device_methods():
    """PyTorch's device names on Tensor (.device, .is_cuda, .cuda(), .cpu()), and the NumPy
    array a tensor is to NumPy functions and plotting (np.transpose(t, ...), plt.imshow(t))."""
    Tensor.device = property(lambda self: backend.Device(str(self.backend)))
    Tensor.is_cuda = property(lambda self: self.backend == "cupy")
    Tensor.cuda = lambda self, device=None, non_blocking=False: to(self, "cuda")
    Tensor.cpu = lambda self: to(self, "cpu")
    Tensor.__array__ = _host_array


def _host_array(tensor, dtype=None, copy=None):
    """A CPU tensor's values for NumPy; a GPU tensor is refused, as in PyTorch, so that no
    NumPy call copies it to the host behind the user's back."""
    if tensor.backend != "numpy":
        raise TypeError(f"a tensor on {tensor.device} cannot become a NumPy array implicitly: "
                        "call .cpu() (or .numpy()) first")
    return tensor.numpy() if dtype is None else tensor.numpy().astype(dtype)


_install_tensor_methods()

__all__ = [
    "abs", "adaptive_avg_pool2d", "add", "argmax", "argmin", "as_tensor", "astype", "avg_pool2d",
    "batch_norm", "binary_cross_entropy", "binary_cross_entropy_with_logits", "bmm",
    "broadcast_to", "cat", "chunk", "clamp", "clip", "clone", "col2im", "concatenate", "conv2d",
    "conv2d_weight_grad", "conv_transpose2d", "cos", "cross_entropy", "div", "dropout",
    "dropout2d", "elu", "embedding", "eq", "erf", "exp", "expand", "expm1", "flatten", "fold",
    "ge", "gelu", "getitem", "group_norm", "gt", "hardtanh", "im2col", "instance_norm",
    "interpolate", "l1_loss", "layer_norm", "le", "leaky_relu", "linear", "log", "log1p",
    "log_sigmoid", "log_softmax", "logsigmoid", "logsumexp", "lt", "matmul", "max", "max_pool2d",
    "maximum", "mean", "min", "minimum", "mm", "mse_loss", "mul", "ne", "neg", "nll_loss", "norm",
    "normalize", "one_hot", "pad", "permute", "pixel_shuffle", "pow", "prelu", "relu", "relu6",
    "reshape", "sigmoid", "sign", "silu", "sin", "smooth_l1_loss", "softmax", "softplus", "split",
    "sqrt", "squeeze", "stack", "std", "sub", "sum", "sum_to", "tanh", "to", "transpose", "unfold",
    "unsqueeze", "var", "where",
]
