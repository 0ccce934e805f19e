"""Activations, each in its numerically stable form, with the derivative beside it."""

from ..tensor import Function, Tensor
from . import fused
from .elementwise import minimum, where
from .reductions import _axis_args


class LeakyReLU(Function):
    """x for x > 0, else slope * x; slope 0 is ReLU."""

    def __init__(self, slope):
        self.slope = slope

    @staticmethod
    def formula(xp, x, slope):
        return xp.where(x > 0, x, x * x.dtype.type(slope))

    def forward(self, x):
        kernel = fused.kernel(self.backend, "leaky_relu")
        return kernel(x, self.slope) if kernel else self.formula(self.xp, x, self.slope)

    def backward(self, gy):
        # d/dx leaky_relu(x) = 1 for x > 0, else slope
        return LeakyReLUGrad(self.slope)(self.inputs[0], gy)


class LeakyReLUGrad(Function):
    """gy * leaky_relu'(x): linear in gy, piecewise constant in x."""

    def __init__(self, slope):
        self.slope = slope

    @staticmethod
    def formula(xp, x, gy, slope):
        return xp.where(x > 0, gy, gy * gy.dtype.type(slope))

    def forward(self, x, gy):
        kernel = fused.kernel(self.backend, "leaky_relu_grad")
        return kernel(x, gy, self.slope) if kernel else self.formula(self.xp, x, gy, self.slope)

    def backward(self, ggx):
        # d/dgy = leaky_relu'(x), the same mask again; d/dx = 0 almost everywhere
        return None, LeakyReLUGrad(self.slope)(self.inputs[0], ggx)


class ELU(Function):
    def __init__(self, alpha):
        self.alpha = alpha

    def forward(self, x):
        xp = self.xp
        return xp.maximum(x, 0) + x.dtype.type(self.alpha) * xp.expm1(xp.minimum(x, 0))

    def backward(self, gy):
        # d/dx elu(x) = 1 for x > 0, else alpha e^x (computed directly: elu(x) + alpha would
        # cancel to nothing in float32 for very negative x)
        x = self.inputs[0]
        positive = (x.array > 0).astype(gy.dtype)
        slope = minimum(x, 0.0).exp() * self.alpha
        return gy * (Tensor(positive) + Tensor(1 - positive) * slope)


class Sigmoid(Function):
    @staticmethod
    def formula(xp, x):
        # 1 / (1 + e^-x) as e^min(x,0) / (1 + e^-|x|): exp never overflows, no branch
        return xp.exp(xp.minimum(x, 0)) / (1 + xp.exp(-xp.abs(x)))

    def forward(self, x):
        kernel = fused.kernel(self.backend, "sigmoid")
        return kernel(x) if kernel else self.formula(self.xp, x)

    def backward(self, gy):
        # d/dx sigmoid(x) = sigmoid(x) (1 - sigmoid(x))
        y = self.output
        return gy * y * (1.0 - y)


class Tanh(Function):
    def forward(self, x):
        return self.xp.tanh(x)

    def backward(self, gy):
        # d/dx tanh(x) = 1 - tanh(x)^2
        y = self.output
        return gy * (1.0 - y * y)


class Softplus(Function):
    def __init__(self, beta, threshold):
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        # log(1 + e^(bx)) / b = (max(bx, 0) + log(1 + e^-|bx|)) / b; linear above the threshold
        xp, bx = self.xp, x * x.dtype.type(self.beta)
        smooth = (xp.maximum(bx, 0) + xp.log1p(xp.exp(-xp.abs(bx)))) / x.dtype.type(self.beta)
        return xp.where(bx > self.threshold, x, smooth)

    def backward(self, gy):
        # d/dx softplus(x) = sigmoid(bx), or 1 where the linear branch was taken
        x = self.inputs[0]
        linear = (x.array * self.beta) > self.threshold
        return where(linear, gy, gy * sigmoid(x * self.beta))


class LogSigmoid(Function):
    def forward(self, x):
        # log(1/(1+e^-x)) = min(x, 0) - log(1 + e^-|x|)
        xp = self.xp
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        # d/dx log(sigmoid(x)) = 1 - sigmoid(x) = sigmoid(-x)
        return gy * sigmoid(-self.inputs[0])


class Softmax(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        e = self.xp.exp(x - x.max(axis=self.axis, keepdims=True))
        return e / e.sum(axis=self.axis, keepdims=True)

    def backward(self, gy):
        # dy_i/dx_j = y_i (delta_ij - y_j)  =>  gx = y * (gy - sum(gy * y))
        y = self.output
        return y * (gy - (gy * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        shifted = x - x.max(axis=self.axis, keepdims=True)
        return shifted - self.xp.log(self.xp.exp(shifted).sum(axis=self.axis, keepdims=True))

    def backward(self, gy):
        # d(log_softmax x)_i/dx_j = delta_ij - softmax(x)_j  =>  gx = gy - softmax * sum(gy)
        return gy - self.output.exp() * gy.sum(axis=self.axis, keepdims=True)


def relu(x, inplace=False):
    """max(x, 0) (inplace=True, accepted as in PyTorch, computes out of place)."""
    return LeakyReLU(0.0)(x)


def leaky_relu(x, negative_slope=0.01, inplace=False):
    """x for x > 0, else negative_slope * x."""
    return LeakyReLU(negative_slope)(x)


def elu(x, alpha=1.0, inplace=False):
    """x for x > 0, else alpha (e^x - 1)."""
    return ELU(alpha)(x)


def sigmoid(x):
    """1 / (1 + e^-x), stable for large |x|."""
    return Sigmoid()(x)


def tanh(x):
    """Hyperbolic tangent."""
    return Tanh()(x)


def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + e^(beta x)) / beta, linear where beta x > threshold (PyTorch's definition)."""
    return Softplus(beta, threshold)(x)


def log_sigmoid(x):
    """log(sigmoid(x)), stable for large |x|."""
    return LogSigmoid()(x)


logsigmoid = log_sigmoid  # PyTorch's name


def softmax(x, axis=-1, *, dim=None):
    """exp(x) / sum(exp(x)) along `axis` (or `dim`)."""
    axis, _ = _axis_args(axis if dim is None else None, False, dim, None)
    return Softmax(axis)(x)


def log_softmax(x, axis=-1, *, dim=None):
    """log(softmax(x)) along `axis`, computed stably."""
    axis, _ = _axis_args(axis if dim is None else None, False, dim, None)
    return LogSoftmax(axis)(x)
