"""Utilities on modules and their gradients: spectral normalisation and gradient clipping."""

import math

from ..backend import of
from ..creation import zeros
from ..tensor import Tensor, no_grad
from . import init
from .layers import ConvTranspose2d
from .module import Parameter


def unit_vector(array, eps, xp):
    """array / max(||array||, eps), on the device: no transfer to the host."""
    return array / xp.maximum(xp.linalg.norm(array), eps)


class SpectralNorm:
    """Keeps `module.<name>` = W / sigma(W), sigma estimated by power iteration (Miyato et al.,
    2018). The learned tensor is `<name>_orig`; the singular vectors `<name>_u`, `<name>_v`
    are buffers, refined by one step per forward in training mode."""

    def __init__(self, name, n_power_iterations, dim, eps):
        self.name, self.n_power_iterations, self.dim, self.eps = (name, n_power_iterations, dim,
                                                                  eps)

    def matrix(self, weight):
        """The weight as a matrix with axis `dim` as its rows."""
        if self.dim != 0:
            order = [self.dim] + [d for d in range(weight.ndim) if d != self.dim]
            weight = weight.permute(*order)
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        matrix = self.matrix(weight)
        if do_power_iteration:  # on the arrays: the singular vectors are no part of the graph
            fixed, xp = matrix.array, matrix.backend.xp
            for _ in range(self.n_power_iterations):
                v.array[...] = unit_vector(fixed.T @ u.array, self.eps, xp)
                u.array[...] = unit_vector(fixed @ v.array, self.eps, xp)
        sigma = (u * (matrix @ v)).sum()  # u^T W v, differentiable in W only
        return weight / sigma

    def __call__(self, module, inputs):
        object.__setattr__(module, self.name, self.compute_weight(module, module.training))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Constrain the spectral norm of `module.<name>` to 1; returns the module.

    Parameters and buffers are PyTorch's (`weight_orig`, `weight_u`, `weight_v`), so state
    dicts move between the two."""
    if dim is None:
        dim = 1 if isinstance(module, ConvTranspose2d) else 0
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"spectral_norm: {module!r} has no parameter {name!r}")
    norm = SpectralNorm(name, n_power_iterations, dim, eps)
    rows, columns = norm.matrix(weight).shape
    xp = weight.backend.xp
    u, v = (Tensor(unit_vector(init.normal_(zeros(size, dtype=weight.dtype,
                                                  backend=weight.backend)).array, eps, xp))
            for size in (rows, columns))
    del module._parameters[name]
    module.register_parameter(name + "_orig", Parameter(weight.array))
    module.register_buffer(name + "_u", u.detach())
    module.register_buffer(name + "_v", v.detach())
    object.__setattr__(module, name, Tensor(weight.array))
    module.register_forward_pre_hook(norm)
    return module


def total_norm(tensors, norm_type=2.0):
    """The norm of all `tensors` together, as if flattened into one vector (None entries are
    skipped), as a 0-d float64 Tensor where the tensors live: no transfer to the host."""
    arrays = [t.array for t in tensors if t is not None]  # a norm is no part of any graph
    xp = of(arrays[0]).xp
    if norm_type == math.inf:
        return Tensor(xp.asarray(xp.stack([xp.abs(a).max() for a in arrays]).max(), xp.float64))
    # per-array sums of |a|^p, joined in float64 as a Python sum of floats would be
    if norm_type == 2:
        sums = [xp.vdot(a.ravel(), a.ravel()).astype(xp.float64) for a in arrays]
    else:
        sums = [(xp.abs(a) ** norm_type).sum().astype(xp.float64) for a in arrays]
    return Tensor(xp.asarray(xp.stack(sums).sum() ** (1.0 / norm_type)))


def get_total_norm(tensors, norm_type=2.0):
    """total_norm as a Python float: one transfer of the result to the host."""
    tensors = [t for t in tensors if t is not None]
    return float(total_norm(tensors, norm_type).item()) if tensors else 0.0


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale the gradients so that their joint norm is at most max_norm; returns the norm
    before clipping. The gradients are replaced, never changed in place."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = [p for p in parameters if p.grad is not None]
    total = get_total_norm([p.grad for p in parameters], norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"the total norm of the gradients is {total}; "
                           "clip_grad_norm_ cannot clip a non-finite norm")
    coefficient = max_norm / (total + 1e-6)
    if coefficient < 1:
        with no_grad():
            for p in parameters:
                p.grad = p.grad * coefficient
    return total
