"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

from ..tensor import Tensor
from .optimizer import Optimizer, require_non_negative


class RMSprop(Optimizer):
    """PyTorch's RMSprop (Hinton, 2012), optionally centered and with momentum."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, maximize=False):
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def check_options(self, options):
        require_non_negative(options, "lr", "alpha", "eps", "weight_decay", "momentum")

    def update(self, param, grad, state, group):
        xp = param.backend.xp
        lr, alpha, eps = float(group["lr"]), float(group["alpha"]), float(group["eps"])
        weight_decay, momentum = float(group["weight_decay"]), float(group["momentum"])
        if group["maximize"]:
            grad = -grad
        if not state:
            state["step"] = 0
            state["square_avg"] = Tensor(xp.zeros_like(param.array))
            if momentum > 0:
                state["momentum_buffer"] = Tensor(xp.zeros_like(param.array))
            if group["centered"]:
                state["grad_avg"] = Tensor(xp.zeros_like(param.array))
        state["step"] += 1
        if weight_decay != 0:
            grad = grad + weight_decay * param.array  # g += wd p
        square_avg = state["square_avg"].array
        square_avg *= alpha  # s = a s + (1 - a) g^2
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"].array
            grad_avg *= alpha  # c = a c + (1 - a) g; the scale is sqrt(s - c^2), a variance
            grad_avg += (1 - alpha) * grad
            scale = xp.sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            scale = xp.sqrt(square_avg) + eps
        if momentum > 0:
            buffer = state["momentum_buffer"].array
            buffer *= momentum  # b = mu b + g / (sqrt(s) + eps); p -= lr b
            buffer += grad / scale
            param.array -= lr * buffer
        else:
            param.array -= lr * grad / scale  # p -= lr g / (sqrt(s) + eps)
