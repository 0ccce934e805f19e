"""Adam and AdamW (Adam with decoupled weight decay), with optional AMSGrad."""

import math

from ..functional import fused
from ..tensor import Tensor
from .optimizer import Optimizer, require_non_negative


class Adam(Optimizer):
    """PyTorch's Adam (Kingma & Ba, 2015); weight_decay adds an L2 term to the gradient."""

    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, maximize=False):
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def check_options(self, options):
        require_non_negative(options, "lr", "eps", "weight_decay")
        betas = options["betas"]
        if len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas}")
        for index, beta in enumerate(betas):
            if not 0 <= beta < 1:
                raise ValueError(f"betas[{index}] must be in [0, 1), got {beta}")

    def update(self, param, grad, state, group):
        xp = param.backend.xp
        lr, eps = float(group["lr"]), float(group["eps"])
        weight_decay = float(group["weight_decay"])
        beta1, beta2 = (float(beta) for beta in group["betas"])
        if group["maximize"]:
            grad = -grad
        if weight_decay != 0:
            if self.decoupled_weight_decay:
                param.array *= 1 - lr * weight_decay  # p *= 1 - lr wd
            else:
                grad = grad + weight_decay * param.array  # g += wd p
        if not state:
            state["step"] = 0
            state["exp_avg"] = Tensor(xp.zeros_like(param.array))
            state["exp_avg_sq"] = Tensor(xp.zeros_like(param.array))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = Tensor(xp.zeros_like(param.array))
        state["step"] += 1
        step = state["step"]
        exp_avg, exp_avg_sq = state["exp_avg"].array, state["exp_avg_sq"].array
        bias_correction1, bias_correction2 = 1 - beta1 ** step, 1 - beta2 ** step
        fused_update = fused.kernel(param.backend, "adam_update")
        if fused_update and not group["amsgrad"] and all(  # it updates flat views in place
                a.flags.c_contiguous for a in (param.array, exp_avg, exp_avg_sq)):
            fused_update(param.array, grad, exp_avg, exp_avg_sq, beta1, beta2,
                         lr / bias_correction1, math.sqrt(bias_correction2), eps)
            return
        exp_avg *= beta1  # m = b1 m + (1 - b1) g
        exp_avg += (1 - beta1) * grad
        exp_avg_sq *= beta2  # v = b2 v + (1 - b2) g^2
        exp_avg_sq += (1 - beta2) * grad * grad
        if group["amsgrad"]:
            max_exp_avg_sq = state["max_exp_avg_sq"].array
            xp.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)  # v_max = max(v_max, v)
            exp_avg_sq = max_exp_avg_sq
        # p -= lr m_hat / (sqrt(v_hat) + eps), m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t)
        denominator = xp.sqrt(exp_avg_sq) / math.sqrt(bias_correction2) + eps
        param.array -= (lr / bias_correction1) * exp_avg / denominator


class AdamW(Adam):
    """PyTorch's AdamW (Loshchilov & Hutter, 2019): the weights decay by lr * weight_decay at
    each step, apart from the gradient, so the decay is not rescaled by Adam's denominator."""

    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize)
