"""In-place ops, as in PyTorch: `x += 1`, `p -= lr * p.grad`, `w.data.normal_(0.0, 0.02)`,
`p.data.clamp_(-c, c)`, `x[mask] = 0`.

An in-place op computes its result with the ordinary ops, then writes it into the tensor's own
storage, so every Tensor on that storage (`.data`, `detach()`) sees the change, and counts the
write on the storage's version counter. Rules, PyTorch's:

- A leaf that requires a gradient may be written only inside `no_grad()` (an optimizer step).
- A write while the graph is recorded is recorded too: the tensor takes the result's place in
  the graph, and a copy of its old values takes its old place. minigan records this only on a
  tensor that no recorded op has read yet and that is not a view of another tensor (else it
  raises; write `x = x + ...`).
- A backward that needs values overwritten since raises (tensor_methods.check_saved_inputs).
"""

import weakref

from ..tensor import Tensor, is_grad_enabled
from ..tensor_methods import storage
from .arithmetic import add, as_tensor, broadcast_to, div, mul, pow, sub
from .elementwise import astype, clip, where
from .shape import GetItemGrad, _index_arrays
from .tensor_api import Copy, lerp

LEAF_ERROR = "a leaf Variable that requires grad is being used in an in-place operation."


def _check_writable(x, name):
    if x.is_leaf and x.requires_grad and is_grad_enabled():
        raise RuntimeError(f"{name}: {LEAF_ERROR} Do it inside `with minigan.no_grad():` (or "
                           "on p.data) if you mean to change the parameter's values")


def _check_recordable(x, name, uses):
    """An in-place op that enters the graph: x must be unread, and not a view of another
    tensor (whose graph would not learn of the write)."""
    if uses:
        raise RuntimeError(f"{name} on a tensor that {uses} recorded op(s) already read: "
                           "minigan records an in-place op only on a tensor no op has used "
                           "yet; write `x = x + ...` (out of place) instead")
    creator = x.creator
    viewed = x.array.base is not None and (creator is None or not creator.saves_inputs and any(
        storage(t.array) is storage(x.array) for t in creator.inputs))
    if viewed:
        raise RuntimeError(f"{name} on a view of another tensor (a slice, reshape or transpose) "
                           "while the graph is recorded: minigan does not record writes "
                           "through views; write `x = x + ...` (out of place), or write into "
                           "the whole tensor")


def in_place(x, name, compute):
    """Write compute(x), a Tensor, into x's storage and return x (see the module's rules)."""
    _check_writable(x, name)
    uses_before = x._uses
    result = compute(x)
    if tuple(result.shape) != tuple(x.shape):
        raise RuntimeError(f"{name}: the result has shape {tuple(result.shape)}, which does "
                           f"not fit the tensor of shape {tuple(x.shape)} it would overwrite")
    if not x.backend.xp.can_cast(result.dtype, x.dtype, "same_kind"):
        raise RuntimeError(f"{name}: result type {result.dtype} can't be cast to the desired "
                           f"output type {x.dtype}; convert the tensor first (x = x.float())")
    in_graph = result.creator is not None or (x.requires_grad and is_grad_enabled())
    if in_graph:
        _check_recordable(x, name, uses_before)
    old = Tensor(x.array.copy(), requires_grad=x.requires_grad) if in_graph else None
    x.array[...] = result.array
    x._version_counter[0] += 1
    if in_graph:
        _take_place_in_graph(x, result, old)
    return x


def _take_place_in_graph(x, result, old):
    """x becomes `result` in the graph; `old`, a copy of x's old values, takes x's old place."""
    old.creator, old.generation = x.creator, x.generation
    if x.creator is not None:
        x.creator._output = weakref.ref(old)
        x.creator.output_version = 0  # old's own, fresh storage
    function = result.creator
    x.creator, x.generation, x.requires_grad = function, result.generation, result.requires_grad
    if function is None:
        return
    function._output = weakref.ref(x)
    function.output_version = x._version_counter[0]
    pending, stack, seen = x._uses, [function], set()  # x's uses are all compute(x)'s
    while pending and stack:  # the ops of compute(x) that read x now read the old copy
        f = stack.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        for i, t in enumerate(f.inputs):
            if t is x:
                f.inputs = f.inputs[:i] + (old,) + f.inputs[i + 1:]
                f.input_versions[i] = 0
                pending -= 1
            elif t.creator is not None:
                stack.append(t.creator)
    x._uses = 0


def _same_backend(value, x):
    if isinstance(value, Tensor):
        return value if value.backend == x.backend else value.to(x.backend)
    return as_tensor(value, x)


def _copy_of(source, x):
    """`source` broadcast to x's shape, in x's dtype and on x's backend, as a new tensor."""
    return Copy()(astype(broadcast_to(_same_backend(source, x), x.shape), x.dtype))


# -- arithmetic -------------------------------------------------------------------------------
def add_(x, other, *, alpha=1):
    """x += alpha * other, in place."""
    return in_place(x, "add_", lambda x: add(x, other if alpha == 1 else other * alpha))


def sub_(x, other, *, alpha=1):
    """x -= alpha * other, in place."""
    return in_place(x, "sub_", lambda x: sub(x, other if alpha == 1 else other * alpha))


def mul_(x, other):
    """x *= other, in place."""
    return in_place(x, "mul_", lambda x: mul(x, other))


def div_(x, other):
    """x /= other, in place."""
    return in_place(x, "div_", lambda x: div(x, other))


def pow_(x, exponent):
    """x **= exponent, in place."""
    return in_place(x, "pow_", lambda x: pow(x, exponent))


def clamp_(x, min=None, max=None):  # noqa: A002
    """Limit x to [min, max] in place (WGAN's weight clipping: p.data.clamp_(-c, c))."""
    return in_place(x, "clamp_", lambda x: clip(x, min, max))


def lerp_(x, end, weight):
    """x += weight (end - x), in place (moving averages: ema.lerp_(p, 1 - decay))."""
    return in_place(x, "lerp_", lambda x: lerp(x, end, weight))


def addcmul_(x, tensor1, tensor2, *, value=1):
    """x += value * tensor1 * tensor2, in place."""
    return in_place(x, "addcmul_", lambda x: x + value * tensor1 * tensor2)


def addcdiv_(x, tensor1, tensor2, *, value=1):
    """x += value * tensor1 / tensor2, in place."""
    return in_place(x, "addcdiv_", lambda x: x + value * tensor1 / tensor2)


def neg_(x):
    return in_place(x, "neg_", lambda x: -x)


def _elementwise_(name):
    def op_(x):
        return in_place(x, name + "_", lambda x: getattr(x, name)())
    op_.__name__ = name + "_"
    op_.__doc__ = f"x = x.{name}(), in place."
    return op_


# -- filling ----------------------------------------------------------------------------------
def _constant(x, array):
    return Tensor(array.astype(x.dtype, copy=False))


def fill_(x, value):
    """Every element set to `value`, in place."""
    if isinstance(value, Tensor):
        return in_place(x, "fill_", lambda x: _copy_of(value, x))
    xp = x.backend.xp
    return in_place(x, "fill_", lambda x: _constant(x, xp.full(x.shape, value)))


def zero_(x):
    """Every element set to 0, in place."""
    return fill_(x, 0)


def normal_(x, mean=0.0, std=1.0):
    """Samples of N(mean, std^2) from the backend's seeded generator, in place."""
    source = x.backend
    return in_place(x, "normal_", lambda x: _constant(
        x, source.randn(x.shape, x.dtype) * x.dtype.type(std) + x.dtype.type(mean)))


def uniform_(x, a=0.0, b=1.0):
    """Samples of U[a, b) from the backend's seeded generator, in place."""
    source = x.backend
    return in_place(x, "uniform_", lambda x: _constant(
        x, source.rand(x.shape, x.dtype) * x.dtype.type(b - a) + x.dtype.type(a)))


def copy_(x, source):
    """x's elements set to `source`'s (broadcast, cast to x's dtype, moved to x's backend)."""
    return in_place(x, "copy_", lambda x: _copy_of(source, x))


def masked_fill_(x, mask, value):
    """`value` where `mask` is true, in place."""
    return in_place(x, "masked_fill_", lambda x: where(mask, _same_backend(value, x), x))


def resize_(x, *sizes):
    """x given the shape `sizes` (old PyTorch code: label.resize_(n).fill_(1)): the same
    storage reshaped when the element count matches, else new zeros."""
    shape = tuple(sizes[0]) if len(sizes) == 1 and not isinstance(sizes[0], int) else sizes
    if x.requires_grad:
        raise RuntimeError("resize_ on a tensor that requires grad: make a new tensor instead")
    count = 1
    for n in shape:
        count *= n
    same = count == x.numel()
    x.array = x.array.reshape(shape) if same else x.backend.xp.zeros(shape, dtype=x.dtype)
    if not same:
        x._version_counter = [x._version_counter[0] + 1]  # a new storage
    return x


def detach_(x):
    """Cut x from the graph: it becomes a leaf that requires no gradient; returns x."""
    x.creator, x.requires_grad = None, False
    return x


# -- x[index] = value ---------------------------------------------------------------------------
def setitem(x, index, value):
    """x[index] = value, PyTorch's way: writes into x; recorded while the graph is."""
    xp = x.backend.xp
    index = _index_arrays(index, xp)
    value = _same_backend(value, x)
    if not (is_grad_enabled() and (x.requires_grad or value.requires_grad)):
        x.array[index] = value.array
        x._version_counter[0] += 1
        return
    picked_shape = x.array[index].shape
    mask = xp.zeros(x.shape, dtype=bool)
    mask[index] = True

    def compute(x):
        placed = GetItemGrad(index, x.shape)(astype(broadcast_to(value, picked_shape), x.dtype))
        return where(mask, placed, x)
    in_place(x, "x[index] = value", compute)


IN_PLACE_METHODS = {
    "add_": add_, "sub_": sub_, "mul_": mul_, "div_": div_, "pow_": pow_, "clamp_": clamp_,
    "clip_": clamp_, "neg_": neg_, "lerp_": lerp_, "addcmul_": addcmul_, "addcdiv_": addcdiv_,
    "fill_": fill_, "zero_": zero_, "normal_": normal_, "uniform_": uniform_, "copy_": copy_,
    "masked_fill_": masked_fill_, "detach_": detach_, "resize_": resize_,
    "resize_as_": lambda x, other: resize_(x, other.shape),
    "__setitem__": setitem, "__iadd__": add_, "__isub__": sub_, "__imul__": mul_,
    "__itruediv__": div_, "__ipow__": pow_,
    **{name + "_": _elementwise_(name)
       for name in ("exp", "log", "sqrt", "abs", "tanh", "sigmoid", "relu")},
}
