"""Fit y = sin(x) with a + b * P3(c + d * x), where P3 is the Legendre polynomial of degree 3
written as a custom torch.autograd.Function, and the parameters are updated by hand. Written
for minigan's tests in the manner of PyTorch's autograd tutorials; it ends by checking the
Function's first and second derivatives against the formulas."""
import argparse
import math

import torch


class LegendreP3(torch.autograd.Function):
    """P3(x) = (5x^3 - 3x) / 2, with its derivative given by hand."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * (5 * x ** 3 - 3 * x)

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        # P3'(x) = (15x^2 - 3) / 2, made of differentiable ops, so it has a derivative too
        return grad_output * 1.5 * (5 * x ** 2 - 1)


class ScaledSquare(torch.autograd.Function):
    """scale * x^2 with a non-tensor argument, as PyTorch's apply allows."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return scale * x * x

    @staticmethod
    def backward(ctx, grad_output):
        x, = ctx.saved_tensors
        grad_x = grad_output * 2 * ctx.scale * x if ctx.needs_input_grad[0] else None
        return grad_x, None


parser = argparse.ArgumentParser()
parser.add_argument("--steps", type=int, default=2000)
parser.add_argument("--lr", type=float, default=5e-6)
parser.add_argument("--points", type=int, default=2000)
opt = parser.parse_args()

dtype = torch.float
device = torch.device("cpu")
torch.manual_seed(0)

x = torch.linspace(-math.pi, math.pi, opt.points, device=device, dtype=dtype)
y = torch.sin(x)

a = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
b = torch.full((), -1.0, device=device, dtype=dtype, requires_grad=True)
c = torch.full((), 0.0, device=device, dtype=dtype, requires_grad=True)
d = torch.full((), 0.3, device=device, dtype=dtype, requires_grad=True)

P3 = LegendreP3.apply
first_loss = None
for t in range(opt.steps):
    y_pred = a + b * P3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    if first_loss is None:
        first_loss = loss.item()
    if t % 100 == 99:
        print(t, loss.item())
    loss.backward()
    with torch.no_grad():
        a -= opt.lr * a.grad
        b -= opt.lr * b.grad
        c -= opt.lr * c.grad
        d -= opt.lr * d.grad
        a.grad.zero_()
        b.grad.zero_()
        c.grad.zero_()
        d.grad.zero_()

print(f"Result: y = {a.item()} + {b.item()} * P3({c.item()} + {d.item()} x)")
print(f"loss went from {first_loss:.1f} to {loss.item():.1f}")
assert loss.item() < first_loss, "the manual SGD loop did not lower the loss"

# first and second derivatives of the custom Function, in float64
u = torch.tensor([-0.7, 0.2, 1.3], dtype=torch.float64, requires_grad=True)
first, = torch.autograd.grad(P3(u).sum(), u, create_graph=True)
second, = torch.autograd.grad(first.sum(), u)
assert torch.allclose(first, 1.5 * (5 * u.detach() ** 2 - 1)), first
assert torch.allclose(second, 15 * u.detach()), second
print("P3' and P3'' match the formulas:", first.tolist(), second.tolist())

v = torch.tensor([1.0, -2.0], requires_grad=True)
ScaledSquare.apply(v, 3.0).sum().backward()
assert v.grad.tolist() == [6.0, -12.0], v.grad
print("ScaledSquare gradient:", v.grad.tolist())
