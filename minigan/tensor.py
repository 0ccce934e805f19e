"""Tensor, Function and the graph: minigan's autograd engine.

A `Tensor` wraps one backend array. A `Function` computes a new array from its inputs' arrays
(`forward`) and, when any input requires a gradient, records itself as the `creator` of its
output. The backward pass (`_backpropagate`, one loop) walks those records from the outputs
back to the leaves, highest `generation` first, so a function runs only after every function
that used its output has added its share of the gradient. `Tensor.backward()` accumulates the
result into the leaves' `.grad`; `grad()` returns it.

Every `Function.backward` is written with minigan's own differentiable ops on Tensors, never on
raw arrays. So with `create_graph=True` the backward pass records a graph of its own, and the
gradient of a gradient (the WGAN-GP penalty) is one more `backward()`.

Arithmetic operators and methods such as `x.sum()` are attached to Tensor by
`minigan.functional`, the layer above this one, which defines the ops. Functions that make
tensors (`tensor`, `zeros`, `randn`, ...) are in creation.py.
"""

import contextlib
import weakref

import numpy as np  # host side only: NumPy's scalars, and printing

from . import backend
from .tensor_methods import (TensorMethods, check_output_version, check_saved_inputs,
                             record_versions, share_view_versions)

_grad_enabled = True


@contextlib.contextmanager
def _grad_mode(enabled):
    global _grad_enabled
    previous, _grad_enabled = _grad_enabled, enabled
    try:
        yield
    finally:
        _grad_enabled = previous


def no_grad():
    """Context manager: ops inside it record no graph (evaluation, optimizer steps)."""
    return _grad_mode(False)


def enable_grad():
    """Context manager: record the graph again inside a `no_grad()` block."""
    return _grad_mode(True)


class set_grad_enabled:  # noqa: N801  (PyTorch's name)
    """Turn graph recording on or off: as a call, set_grad_enabled(False), or for a with block."""

    def __init__(self, mode):
        global _grad_enabled
        self.previous, _grad_enabled = _grad_enabled, bool(mode)

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        global _grad_enabled
        _grad_enabled = self.previous


def is_grad_enabled():
    """True when new ops record the graph."""
    return _grad_enabled


class Tensor(TensorMethods):
    """An array on a backend, with an optional gradient and the op that created it.

    `array` is the raw backend array; `data` (from TensorMethods) is PyTorch's detached view.
    `_version_counter` counts in-place writes to the storage, shared by every Tensor on it.
    """

    __slots__ = ("array", "grad", "requires_grad", "creator", "generation", "name",
                 "_retains_grad", "_version_counter", "_uses", "__weakref__")
    __array_ufunc__ = None  # numpy_array * tensor calls Tensor.__rmul__, not NumPy's loop
    __hash__ = object.__hash__  # == is elementwise, as in PyTorch; hashing stays by identity

    def __init__(self, data, requires_grad=False, name=None):
        backend.of(data)  # raises TypeError for anything that is not a backend array
        self.array = data
        self.grad = None
        self.requires_grad = requires_grad
        self.creator = None
        self.generation = 0
        self.name = name
        self._retains_grad = False
        self._version_counter = [0]
        self._uses = 0  # how many recorded ops read this tensor (in-place ops check it)

    # -- what it is ---------------------------------------------------------------------------
    @property
    def shape(self):
        return tuple(self.array.shape)

    @property
    def ndim(self):
        return self.array.ndim

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def backend(self):
        """The Backend that holds the data; equal to its name ("numpy" or "cupy"), and
        `.xp` is its array module."""
        return backend.of(self.array)

    @property
    def is_leaf(self):
        """True for tensors that no recorded op created: inputs and parameters."""
        return self.creator is None

    @property
    def grad_fn(self):
        return self.creator

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __repr__(self):
        host = self.numpy()
        body = np.array2string(host, separator=", ", prefix="tensor(")
        extras = [] if host.dtype in ("float32", "int64", "bool") else [f"dtype={host.dtype}"]
        if self.backend != "numpy":
            extras.append(f"backend={self.backend.name!r}")
        if self.creator is not None:
            extras.append(f"grad_fn=<{type(self.creator).__name__}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    def __bool__(self):
        if self.numel() != 1:
            raise ValueError(f"the truth value of a tensor with {self.numel()} elements is "
                             "ambiguous; use .any() or .all()")
        return bool(self.item())

    # -- leaving the graph --------------------------------------------------------------------
    def numpy(self):
        """A NumPy copy of the data on the host (a view for NumPy tensors); no gradient."""
        return self.backend.to_host(self.array)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.numel() != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.numpy().item()

    def tolist(self):
        return self.numpy().tolist()

    def detach(self):
        """The same storage as a new leaf that requires no gradient."""
        detached = Tensor(self.array)
        detached._version_counter = self._version_counter
        return detached

    def requires_grad_(self, requires_grad=True):
        """Mark this leaf as one whose gradient backward() should compute; returns self."""
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("only a leaf tensor can stop requiring a gradient; use detach()")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self):
        """Also keep `.grad` of this non-leaf tensor at the next backward()."""
        self._retains_grad = True
        return self

    # -- gradients ----------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, grad=None):
        """Accumulate d(self)/d(leaf) into `.grad` of every leaf that requires a gradient.

        `gradient` (PyTorch's name; `grad` too) is d(loss)/d(self), needed when self is not a
        scalar. The graph is freed
        afterwards unless `retain_graph` (or `create_graph`, which also records the backward
        pass itself, for higher derivatives).
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require a gradient: no input "
                               "of the ops that made it had requires_grad=True")
        seed = _seed_gradient(self, grad if gradient is None else gradient,
                              "backward() without a gradient", "grad= (or gradient=)")
        leaf_grads = _backpropagate([self], [seed], None, retain_graph, create_graph)
        with _grad_mode(create_graph):
            for leaf, g in leaf_grads.items():
                _accumulate(leaf, g)


def _seed_gradient(output, given, caller, argument):
    """The gradient that starts the backward pass at `output`: `given`, checked, or 1 for a
    one-element output."""
    if given is None:
        if output.numel() != 1:
            raise RuntimeError(f"{caller} needs a scalar output, but this tensor has shape "
                               f"{output.shape}; pass {argument} a tensor of that shape, or "
                               "reduce it first (e.g. .sum())")
        return Tensor(output.backend.xp.ones_like(output.array))
    if not isinstance(given, Tensor):
        given = Tensor(output.backend.asarray(given, dtype=output.dtype))
    if given.shape != output.shape:
        raise ValueError(f"gradient of shape {given.shape} given for a tensor of shape "
                         f"{output.shape}")
    if given.backend is not output.backend:
        raise ValueError(f"gradient on backend {given.backend.name!r} given for a tensor on "
                         f"{output.backend.name!r}")
    return given


def _accumulate(tensor, g):
    """tensor.grad += g, as PyTorch does: gradients add up until someone clears them."""
    tensor.grad = g if tensor.grad is None else tensor.grad + g


def _common_backend(tensors):
    """The one backend of all inputs of an op; mixing backends is an error, never a copy."""
    first = tensors[0].backend
    for tensor in tensors[1:]:
        other = tensor.backend
        if other is not first:
            raise ValueError(f"an op got tensors on two backends, {first.name!r} and "
                             f"{other.name!r}; move one with .to({first.name!r}) or "
                             f".to({other.name!r}) first")
    return first


class Function:
    """One differentiable op. Subclasses write `forward` on arrays and `backward` on Tensors.

    In `forward`, `self.xp` is the array module of the inputs (numpy or cupy) and
    `self.backend` their Backend. In `backward`, `self.inputs` are the input Tensors,
    `self.output` the output, and `self.needs_input_grad[i]` says whether input i needs a
    gradient at all, so a backward can skip work no one will use.
    """

    inputs = None
    generation = 0
    saves_inputs = True  # False where backward reads only the inputs' shapes, not their values
    output_version = 0  # the output's version when made (an in-place op's output: later)

    def __call__(self, *inputs):
        self.backend = _common_backend(inputs)
        self.xp = self.backend.xp
        y = self.forward(*[x.array for x in inputs])
        if isinstance(y, np.generic):  # NumPy's reductions return scalars, not 0-d arrays
            y = self.xp.asarray(y)
        output = Tensor(y)
        share_view_versions(inputs, output)
        if _grad_enabled and any(x.requires_grad for x in inputs):
            record_versions(self, inputs)
            self.generation = max(x.generation for x in inputs)
            output.requires_grad = True
            output.creator = self
            output.generation = self.generation + 1
            self.inputs = inputs
            self._output = weakref.ref(output)  # the output holds its creator, not the reverse
        return output

    @property
    def output(self):
        """The output Tensor (None once no one holds it any more), for a backward that reads
        its values: checked for in-place writes since."""
        return check_output_version(self, self._output())

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, grad_output):
        raise NotImplementedError

    def __repr__(self):
        return f"<{type(self).__name__}>"


def _recorded_functions(outputs):
    """Every recorded function that an output depends on, highest generation first: a
    function comes after every function that used its output."""
    found = {}
    stack = [y.creator for y in outputs if y.creator is not None]
    while stack:
        function = stack.pop()
        if id(function) in found:
            continue
        if function.inputs is None:
            raise RuntimeError(
                f"backward through {function!r} a second time, but its graph was freed by the first "
                "backward(); pass retain_graph=True to the first call if you need both")
        found[id(function)] = function
        stack.extend(x.creator for x in function.inputs if x.creator is not None)
    return sorted(found.values(), key=lambda f: f.generation, reverse=True)


def _leads_to(functions, targets):
    """A predicate on tensors: must a gradient flow into it? With targets=None, into every
    tensor that requires a gradient; otherwise only into targets and what leads to them."""
    if targets is None:
        return lambda x: x.requires_grad
    targets = set(targets)
    relevant = set()
    for function in reversed(functions):  # lowest generation first: creators before consumers
        if any(x in targets or x.creator in relevant for x in function.inputs):
            relevant.add(function)
    return lambda x: x in targets or x.creator in relevant


def _backpropagate(outputs, grad_outputs, targets, retain_graph, create_graph):
    """The backward pass: the gradients of `outputs`, weighted by `grad_outputs`, with respect
    to `targets`, as {tensor: gradient}; with targets=None, to every leaf that requires one.

    Each recorded function runs once, when the gradient of its output is complete (all of its
    consumers, of higher generation, have run), and lets go of its inputs unless
    `retain_graph` (by default `create_graph`). Tensors hash by identity, so they key dicts.
    """
    retain_graph = create_graph if retain_graph is None else retain_graph
    functions = _recorded_functions(outputs)
    needs_grad = _leads_to(functions, targets)
    wanted = set(targets or ())
    pending, found = {}, {}  # gradients being summed; finished gradients of targets
    with _grad_mode(create_graph):
        for y, gy in zip(outputs, grad_outputs):
            pending[y] = pending[y] + gy if y in pending else gy
        for function in functions:
            y = function._output()
            gy = pending.pop(y, None)
            if gy is None:
                continue  # no gradient reaches this function (a branch grad() does not need)
            if y._retains_grad:
                _accumulate(y, gy)
            if y in wanted:
                found[y] = gy
            pairs = _input_gradients(function, gy, needs_grad)
            if pairs is None:
                continue  # the gradient stops at this output (a target of grad()): keep its graph
            for x, gx in pairs:
                pending[x] = pending[x] + gx if x in pending else gx
            if not retain_graph:
                function.inputs = None
    found.update(pending)  # what is left are the leaves' gradients
    return found


def _input_gradients(function, gy, needs_grad):
    """(input, gradient) for each input of `function` that needs one, from its backward;
    None when none does (grad() asked for this function's output, not for what made it)."""
    function.needs_input_grad = tuple(needs_grad(x) for x in function.inputs)
    if not any(function.needs_input_grad):
        return None
    check_saved_inputs(function)
    gxs = function.backward(gy)
    gxs = gxs if isinstance(gxs, tuple) else (gxs,)
    pairs = []
    for x, gx, needed in zip(function.inputs, gxs, function.needs_input_grad):
        if needed and gx is not None:
            if gx.shape != x.shape:
                raise RuntimeError(f"{function!r}.backward returned a gradient of shape "
                                   f"{gx.shape} for an input of shape {x.shape}")
            pairs.append((x, gx))
    return pairs


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """The gradients of `outputs` with respect to `inputs`, returned, not stored in `.grad`.

    As torch.autograd.grad: `grad_outputs` weights each output (ones for scalars); with
    `create_graph=True` the result is itself differentiable (gradient penalties). An input the
    outputs do not depend on is an error unless `allow_unused=True`, which returns None for it.
    """
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(f"input {i} of grad() does not require a gradient; call "
                               ".requires_grad_() on it before computing the outputs")
    for y in outputs:
        if not y.requires_grad:
            raise RuntimeError("an output of grad() does not depend on any tensor that requires "
                               "a gradient")
    seeds = [_seed_gradient(y, g, "grad()", "grad_outputs=")
             for y, g in zip(outputs, grad_outputs)]
    found = _backpropagate(outputs, seeds, inputs, retain_graph, create_graph)
    for i, x in enumerate(inputs):
        if x not in found and not allow_unused:
            raise RuntimeError(f"input {i} of grad() was not used to compute the outputs; "
                               "pass allow_unused=True to get None for it")
    return tuple(found.get(x) for x in inputs)
