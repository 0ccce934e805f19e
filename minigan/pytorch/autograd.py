"""torch.autograd on minigan: PyTorch-style Functions (ctx, save_for_backward, apply),
Variable, grad and backward.

A PyTorch-style Function becomes one minigan Function: its `forward(ctx, ...)` runs on
Tensors under no_grad(), and its `backward(ctx, ...)` runs inside minigan's backward pass, on
the graph's own Tensors (`ctx.saved_tensors` hands back the inputs and outputs themselves, not
stand-ins). So when the user's backward is made of differentiable ops, double backward works.
"""

import minigan

from ..tensor import Function as GraphFunction
from ..tensor import Tensor, no_grad
from .shim import NotInMinigan


def raw_array(tensor):
    """The backend array inside a Tensor."""
    return tensor.array


class FunctionCtx:
    """The `ctx` that a PyTorch-style Function's forward and backward share."""

    def __init__(self, node, needs_input_grad):
        self._node = node
        self._saved = ()
        self.needs_input_grad = needs_input_grad

    def save_for_backward(self, *tensors):
        self._saved = tensors

    @property
    def saved_tensors(self):
        return tuple(self._node.graph_tensor(t) for t in self._saved)

    def mark_non_differentiable(self, *tensors):
        """Accepted; minigan still sends (zero) gradients through those outputs."""

    def mark_dirty(self, *tensors):
        """Accepted; in-place forwards are not tracked separately."""

    def set_materialize_grads(self, value):
        """Accepted; missing output gradients always arrive as zeros in minigan."""


class _Node(GraphFunction):
    """The minigan Function that runs one call of a PyTorch-style Function."""

    def __init__(self, user_class, args):
        self.user_class = user_class
        self.args = args
        self.tensor_positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        self.ctx = FunctionCtx(self, needs)
        self.stand_ins, self.output_stand_in = [], None

    def forward(self, *arrays):
        self.stand_ins = [Tensor(array) for array in arrays]
        call_args = list(self.args)
        for position, stand_in in zip(self.tensor_positions, self.stand_ins):
            call_args[position] = stand_in
        with no_grad():
            if _overrides(self.user_class, "setup_context"):
                outputs = self.user_class.forward(*call_args)
                self.user_class.setup_context(self.ctx, tuple(call_args), outputs)
            else:
                outputs = self.user_class.forward(self.ctx, *call_args)
        if isinstance(outputs, (tuple, list)):
            raise NotInMinigan(f"torch.autograd.Function with several outputs "
                               f"({self.user_class.__name__})")
        self.output_stand_in = outputs
        return raw_array(_as_tensor(outputs, self.backend.name))

    def graph_tensor(self, saved):
        """The graph's own tensor for a tensor that forward saved."""
        for stand_in, position in zip(self.stand_ins, self.tensor_positions):
            if saved is stand_in:
                return self.args[position]
        if saved is self.output_stand_in and self.output is not None:
            return self.output
        return saved

    def backward(self, grad_output):
        needs = [False] * len(self.args)
        for position, needed in zip(self.tensor_positions, self.needs_input_grad):
            needs[position] = needed
        self.ctx.needs_input_grad = tuple(needs)
        grads = self.user_class.backward(self.ctx, grad_output)
        grads = grads if isinstance(grads, tuple) else (grads,)
        if len(grads) < len(self.args):
            raise RuntimeError(f"{self.user_class.__name__}.backward returned {len(grads)} "
                               f"gradient(s) for {len(self.args)} forward argument(s); return "
                               "one per argument (None for those that need none)")
        return tuple(grads[position] for position in self.tensor_positions)

    def __repr__(self):
        return f"<{self.user_class.__name__}Backward>"


def _overrides(user_class, name):
    return getattr(user_class, name, None) is not getattr(Function, name, None)


def _as_tensor(value, backend_name):
    if isinstance(value, Tensor):
        return value
    return minigan.tensor(value, backend=backend_name)


class Function:
    """Base class of PyTorch-style custom ops: write `forward(ctx, *args)` and
    `backward(ctx, *grad_outputs)` as static methods, then call `YourFunction.apply(...)`."""

    @staticmethod
    def forward(ctx, *args):
        raise NotImplementedError("a torch.autograd.Function must define forward(ctx, ...)")

    @staticmethod
    def setup_context(ctx, inputs, output):
        """Override to use PyTorch's forward-without-ctx style."""

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a torch.autograd.Function must define backward(ctx, ...) "
                                  "to be differentiated")

    @classmethod
    def apply(cls, *args):
        if not any(isinstance(a, Tensor) for a in args):
            raise TypeError(f"{cls.__name__}.apply needs at least one Tensor argument")
        node = _Node(cls, args)
        return node(*[args[i] for i in node.tensor_positions])


def Variable(data, requires_grad=False, volatile=False):  # noqa: N802 (PyTorch's name)
    """PyTorch's old Variable: today a tensor, detached, that requires a gradient if asked."""
    tensor = data if isinstance(data, Tensor) else minigan.tensor(data)
    return tensor.detach().requires_grad_(requires_grad)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """torch.autograd.grad, as minigan.grad (`only_inputs` is accepted: it is always so)."""
    return minigan.grad(outputs, inputs, grad_outputs=grad_outputs, retain_graph=retain_graph,
                        create_graph=create_graph, allow_unused=bool(allow_unused))


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """torch.autograd.backward: backward() from each tensor with its gradient."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    if grad_tensors is None or isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors] * len(tensors)
    for tensor, gradient in zip(tensors, grad_tensors):
        tensor.backward(gradient, retain_graph=True if retain_graph is None else retain_graph,
                        create_graph=create_graph)
