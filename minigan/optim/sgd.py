"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from ..tensor import Tensor
from .optimizer import Optimizer, require_non_negative


class SGD(Optimizer):
    """PyTorch's SGD: p -= lr g, where g may carry weight decay and (Nesterov) momentum."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 maximize=False):
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def check_options(self, options):
        require_non_negative(options, "lr", "momentum", "weight_decay")
        if options["nesterov"] and (options["momentum"] <= 0 or options["dampening"] != 0):
            raise ValueError("Nesterov momentum needs momentum > 0 and dampening = 0, got "
                             f"momentum={options['momentum']}, dampening={options['dampening']}")

    def update(self, param, grad, state, group):
        lr, momentum = float(group["lr"]), float(group["momentum"])
        dampening, weight_decay = float(group["dampening"]), float(group["weight_decay"])
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            grad = grad + weight_decay * param.array  # g += wd p
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:  # b = g, the first time
                buffer = state["momentum_buffer"] = Tensor(grad.astype(param.dtype))
            else:  # b = mu b + (1 - dampening) g
                buffer.array *= momentum
                buffer.array += (1 - dampening) * grad
            # Nesterov: g = g + mu b; plain momentum: g = b
            grad = grad + momentum * buffer.array if group["nesterov"] else buffer.array
        param.array -= lr * grad  # p -= lr g
