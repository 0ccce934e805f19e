"""Tensor, Function and the graph: minigan's autograd engine.

A `Tensor` wraps one backend array. A `Function` computes new arrays from its inputs' arrays
(`forward`) and, when any input requires a gradient, records itself as the `creator` of its
outputs. `backward` walks those records from the outputs back to the leaves, highest
`generation` first, so a function runs only after every function that used its outputs.

Every `Function.backward` is written with minigan's own differentiable ops on Tensors, never on
raw arrays. So with `create_graph=True` the backward pass records a graph of its own, and the
gradient of a gradient (the WGAN-GP penalty) is one more `backward()`.

Arithmetic operators and methods such as `x.sum()` are attached to Tensor by
`minigan.functional`, the layer above this one, which defines the ops.
"""

import contextlib
import weakref

from . import backend as backends
from .tensor_methods import (TensorMethods, check_output_version, check_saved_inputs,
                             record_versions, share_view_versions)

_grad_enabled = True
_HOST_SCALAR = backends.host_module().generic  # NumPy reductions return scalars, not 0-d arrays


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
        backends.of(data)  # raises TypeError for anything that is not a backend array
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
        """The name of the backend that holds the data: "numpy" or "cupy"."""
        return backends.of(self.array).name

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
        body = backends.host_module().array2string(host, separator=", ", prefix="tensor(")
        extras = [] if host.dtype in ("float32", "int64", "bool") else [f"dtype={host.dtype}"]
        if self.backend != "numpy":
            extras.append(f"backend={self.backend!r}")
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
        return backends.of(self.array).to_host(self.array)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.numel() != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.array.item()

    def tolist(self):
        return self.array.tolist()

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

        `gradient` (or `grad`) is d(loss)/d(self), needed when self is not a scalar. The graph
        is freed afterwards unless `retain_graph` (or `create_graph`, which also records the
        backward pass itself, for higher derivatives).
        """
        if not self.requires_grad:
            raise RuntimeError("backward() on a tensor that does not require a gradient: no input "
                               "of the ops that made it had requires_grad=True")
        gradient = grad if gradient is None else gradient
        if gradient is None:
            if self.numel() != 1:
                raise RuntimeError(f"backward() without a gradient needs a scalar output, but this "
                                   f"tensor has shape {self.shape}; pass grad= (or gradient=), a "
                                   "tensor of that shape, or reduce it first (e.g. .sum())")
            gradient = Tensor(self.array.dtype.type(1) * backends.of(self.array).xp.ones_like(
                self.array))
        retain_graph = create_graph if retain_graph is None else retain_graph
        _backpropagate([self], [_as_grad(gradient, self)], None, create_graph, retain_graph)


def _as_grad(grad, like):
    """Check a user-given gradient for `like` and return it as a Tensor."""
    if not isinstance(grad, Tensor):
        grad = Tensor(backends.of(like.array).asarray(grad, dtype=like.dtype))
    if grad.shape != like.shape:
        raise ValueError(f"gradient of shape {grad.shape} given for a tensor of shape {like.shape}")
    if backends.of(grad.array) is not backends.of(like.array):
        raise ValueError(f"gradient on backend {grad.backend!r} given for a tensor on "
                         f"{like.backend!r}")
    return grad


def _common_backend(tensors):
    """The one backend of all inputs of an op; mixing backends is an error, never a copy."""
    first = backends.of(tensors[0].array)
    for tensor in tensors[1:]:
        other = backends.of(tensor.array)
        if other is not first:
            raise ValueError(f"an op got tensors on two backends, {first.name!r} and "
                             f"{other.name!r}; move one with .to({first.name!r}) or "
                             f".to({other.name!r}) first")
    return first


class Function:
    """One differentiable op. Subclasses write `forward` on arrays and `backward` on Tensors.

    In `forward`, `self.xp` is the array module of the inputs (numpy or cupy) and
    `self.backend` their backend. In `backward`, `self.inputs` are the input Tensors,
    `self.output` (or `self.output_tensors`) the outputs, and `self.needs_input_grad[i]` says
    whether input i needs a gradient at all, so a backward can skip work no one will use.
    """

    inputs = None
    generation = 0
    saves_inputs = True  # False where backward reads only the inputs' shapes, not their values
    output_version = 0  # the output's version when made (an in-place op's output: later)

    def __call__(self, *inputs):
        backend = _common_backend(inputs)
        self.backend, self.xp = backend, backend.xp
        outputs = self.forward(*[x.array for x in inputs])
        single = not isinstance(outputs, tuple)
        if single:
            outputs = (outputs,)
        results = tuple(Tensor(backend.xp.asarray(y) if isinstance(y, _HOST_SCALAR) else y)
                        for y in outputs)
        share_view_versions(inputs, results)
        if _grad_enabled and any(x.requires_grad for x in inputs):
            record_versions(self, inputs)
            self.generation = max(x.generation for x in inputs)
            for result in results:
                result.requires_grad = True
                result.creator = self
                result.generation = self.generation + 1
            self.inputs = inputs
            self.outputs = [weakref.ref(result) for result in results]
        return results[0] if single else results

    @property
    def output(self):
        """The output, for a backward that reads its values (checked for in-place writes)."""
        return check_output_version(self, self.outputs[0]())

    @property
    def output_tensors(self):
        return [ref() for ref in self.outputs]

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, *grad_outputs):
        raise NotImplementedError

    def __repr__(self):
        return f"<{type(self).__name__}>"


def _reachable_functions(outputs):
    """Every recorded function that an output depends on, highest generation first."""
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


def _leading_to(functions, targets):
    """A predicate: does a tensor's gradient flow into one of `targets`?"""
    target_ids = {id(t) for t in targets}
    relevant = set()
    for function in reversed(functions):  # lowest generation first: creators before consumers
        if any(id(x) in target_ids or (x.creator is not None and id(x.creator) in relevant)
               for x in function.inputs):
            relevant.add(id(function))
    return lambda x: id(x) in target_ids or (x.creator is not None and id(x.creator) in relevant)


def _backpropagate(outputs, grad_outputs, targets, create_graph, retain_graph):
    """The backward pass. Returns {id(t): gradient} for `targets`; with targets=None it
    accumulates into `.grad` of the leaves instead (Tensor.backward)."""
    functions = _reachable_functions(outputs)
    if targets is None:
        needs_grad = lambda x: x.requires_grad  # noqa: E731
        collect = set()
    else:
        needs_grad = _leading_to(functions, targets)
        collect = {id(t) for t in targets}
    grads, tensors = {}, {}

    def add_grad(x, g):
        key = id(x)
        grads[key] = g if key not in grads else grads[key] + g
        tensors[key] = x

    with _grad_mode(create_graph):
        for y, g in zip(outputs, grad_outputs):
            add_grad(y, g)
        collected = {}
        for function in functions:
            ys = function.output_tensors
            gys = [None if y is None else grads.pop(id(y), None) for y in ys]
            if all(g is None for g in gys):
                continue
            for y, g in zip(ys, gys):
                if y is not None and g is not None:
                    if id(y) in collect:
                        collected[id(y)] = g
                    if y._retains_grad:
                        y.grad = g if y.grad is None else y.grad + g
            gys = [Tensor(function.xp.zeros_like(y.array)) if g is None else g
                   for y, g in zip(ys, gys)]
            function.needs_input_grad = tuple(needs_grad(x) for x in function.inputs)
            gxs = ()  # grad() may ask for inputs that this function does not lead to
            if any(function.needs_input_grad):
                check_saved_inputs(function)
                gxs = function.backward(*gys)
                if not isinstance(gxs, tuple):
                    gxs = (gxs,)
            for x, gx, needed in zip(function.inputs, gxs, function.needs_input_grad):
                if needed and gx is not None:
                    if gx.shape != x.shape:
                        raise RuntimeError(f"{function!r}.backward returned a gradient of shape "
                                           f"{gx.shape} for an input of shape {x.shape}")
                    add_grad(x, gx)
            if not retain_graph:
                function.inputs = None
                function.outputs = []
        for key, g in grads.items():
            x = tensors[key]
            if key in collect:
                collected[key] = g
            elif targets is None and x.is_leaf:
                x.grad = g if x.grad is None else x.grad + g
    return collected


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """The gradients of `outputs` with respect to `inputs`, returned, not stored in `.grad`.

    As torch.autograd.grad: `grad_outputs` weights each output (ones for scalars); with
    `create_graph=True` the result is itself differentiable (gradient penalties). An input the
    outputs do not depend on is an error unless `allow_unused=True`, which returns None for it.
    """
    single_output = isinstance(outputs, Tensor)
    outputs = [outputs] if single_output else list(outputs)
    single_input = isinstance(inputs, Tensor)
    inputs = [inputs] if single_input else list(inputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    for i, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(f"input {i} of grad() does not require a gradient; call "
                               ".requires_grad_() on it before computing the outputs")
    checked = []
    for y, g in zip(outputs, grad_outputs):
        if not y.requires_grad:
            raise RuntimeError("an output of grad() does not depend on any tensor that requires "
                               "a gradient")
        if g is None:
            if y.numel() != 1:
                raise RuntimeError(f"grad() of an output of shape {y.shape} needs grad_outputs")
            g = Tensor(backends.of(y.array).xp.ones_like(y.array))
        checked.append(_as_grad(g, y))
    retain_graph = create_graph if retain_graph is None else retain_graph
    found = _backpropagate(outputs, checked, inputs, create_graph, retain_graph)
    result = []
    for i, x in enumerate(inputs):
        g = found.get(id(x))
        if g is None and not allow_unused:
            raise RuntimeError(f"input {i} of grad() was not used to compute the outputs; "
                               "pass allow_unused=True to get None for it")
        result.append(g)
    return tuple(result)


# -- making tensors ---------------------------------------------------------------------------
def _dtype(dtype):
    return None if dtype is None else backends.host_module().dtype(dtype)


def tensor(data, dtype=None, requires_grad=False, backend=None):
    """A new leaf tensor from a list, a number or an array.

    Python floats become float32 (as in PyTorch); an array keeps its dtype unless `dtype` is
    given. `backend` ("numpy" or "cupy") defaults to the array's own or the process default.
    """
    if isinstance(data, Tensor):
        data = data.array
    try:
        source = backends.of(data)
    except TypeError:
        source = None
    target = backends.get(backend) if backend is not None else (source or backends.default())
    dtype = _dtype(dtype)
    if source is None:
        host = backends.host_module().asarray(data)
        if dtype is None and host.dtype.kind == "f":
            dtype = _dtype("float32")
        array = target.asarray(host, dtype=dtype)
    elif source is target:
        array = target.xp.array(data, dtype=dtype, copy=True)
    else:
        array = target.asarray(source.to_host(data), dtype=dtype)
    return Tensor(array, requires_grad=requires_grad)


def _shape(shape):
    if len(shape) == 1 and not isinstance(shape[0], int):
        return tuple(shape[0])
    return tuple(shape)


def _filled(fill, shape, dtype, requires_grad, backend):
    target = backends.get(backend)
    array = target.xp.full(_shape(shape), fill, dtype=_dtype(dtype or "float32"))
    return Tensor(array, requires_grad=requires_grad)


def zeros(*shape, dtype=None, requires_grad=False, backend=None):
    """A tensor of zeros: zeros(2, 3) or zeros((2, 3))."""
    return _filled(0, shape, dtype, requires_grad, backend)


def ones(*shape, dtype=None, requires_grad=False, backend=None):
    """A tensor of ones: ones(2, 3) or ones((2, 3))."""
    return _filled(1, shape, dtype, requires_grad, backend)


def full(shape, fill_value, dtype=None, requires_grad=False, backend=None):
    """A tensor of `shape` filled with `fill_value`."""
    return _filled(fill_value, (shape,) if isinstance(shape, int) else (tuple(shape),), dtype,
                   requires_grad, backend)


def zeros_like(x, dtype=None, requires_grad=False):
    """Zeros with the shape, dtype and backend of `x`."""
    return zeros(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad, backend=x.backend)


def ones_like(x, dtype=None, requires_grad=False):
    """Ones with the shape, dtype and backend of `x`."""
    return ones(x.shape, dtype=dtype or x.dtype, requires_grad=requires_grad, backend=x.backend)


def randn(*shape, dtype=None, requires_grad=False, backend=None):
    """Standard normal samples from the backend's seeded generator (see manual_seed)."""
    target = backends.get(backend)
    array = target.randn(_shape(shape), _dtype(dtype or "float32"))
    return Tensor(array, requires_grad=requires_grad)


def rand(*shape, dtype=None, requires_grad=False, backend=None):
    """Uniform samples in [0, 1) from the backend's seeded generator."""
    target = backends.get(backend)
    array = target.rand(_shape(shape), _dtype(dtype or "float32"))
    return Tensor(array, requires_grad=requires_grad)


def randint(low, high=None, size=None, dtype="int64", backend=None):
    """Random integers in [low, high) of shape `size`, as PyTorch's: randint(high, size) or
    randint(low, high, size)."""
    if size is None:
        low, high, size = 0, low, high
    array = backends.get(backend).randint(low, high, _shape((size,)))
    return Tensor(array.astype(_dtype(dtype), copy=False))


def arange(start, stop=None, step=1, dtype=None, backend=None):
    """Evenly spaced values, as numpy.arange (int64 for ints, float32 for floats)."""
    if stop is None:
        start, stop = 0, start
    target = backends.get(backend)
    array = target.xp.arange(start, stop, step)
    if dtype is None and array.dtype.kind == "f":
        dtype = "float32"
    return Tensor(array if dtype is None else array.astype(_dtype(dtype)))


def manual_seed(seed):
    """Seed the random generator of every backend, for reproducible runs."""
    backends.seed_all(seed)
