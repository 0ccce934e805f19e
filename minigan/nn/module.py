"""Module and Parameter: the bookkeeping that turns ops into layers.

A Module registers whatever is assigned to it by type: a Parameter becomes a learnable
parameter, a Module a sub-module, and `register_buffer` adds state that is saved but not
learned (BatchNorm's running statistics). Names follow PyTorch, so a state dict has the same
keys and shapes as the same PyTorch model's.
"""

from collections import OrderedDict, namedtuple

import numpy as np  # host side: state dicts

from .. import backend
from ..tensor import Tensor, no_grad


class Parameter(Tensor):
    """A Tensor that a Module learns: it requires a gradient unless told otherwise."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        super().__init__(data.array if isinstance(data, Tensor) else data, requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


def _host_array(value):
    """A state-dict value as a host array: a minigan Tensor, an array, or a PyTorch tensor."""
    if isinstance(value, Tensor):
        return value.numpy()
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch.Tensor
        return value.detach().cpu().numpy()
    try:
        return backend.of(value).to_host(value)
    except TypeError:
        return np.asarray(value)


def _convert_in_place(tensor, target):
    """Give `tensor` (and its gradient) the backend or dtype `target`, keeping its identity."""
    tensor.array = tensor.to(target).array
    if tensor.grad is not None:
        tensor.grad = tensor.grad.to(target)


def _dtype_kind(target):
    """The kind of dtype `target` names ("f" for floating point), or None if it names none."""
    try:
        return np.dtype(target).kind
    except TypeError:
        return None


class Module:
    """Base class of every layer and model. Subclasses set attributes in __init__ and define
    forward(); calling the module calls forward (after any forward pre-hooks)."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", [])
        object.__setattr__(self, "training", True)

    # -- registration -------------------------------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() "
                                 f"before assigning {name!r}")
        for table in (self._parameters, self._buffers, self._modules):
            if name in table and not (table is self._buffers and isinstance(value, Tensor)):
                del table[name]
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        elif name in self._buffers:
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)
            return
        self.__dict__.pop(name, None)

    def __getattr__(self, name):
        # called only when normal lookup fails: look in the registries
        for table in ("_parameters", "_buffers", "_modules"):
            registry = self.__dict__.get(table)
            if registry is not None and name in registry:
                return registry[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        for table in (self._parameters, self._buffers, self._modules):
            if name in table:
                del table[name]
                return
        object.__delattr__(self, name)

    def register_buffer(self, name, tensor, persistent=True):
        """Add state that moves and saves with the module but is not learned."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"buffer {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        self.__dict__.pop(name, None)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def register_parameter(self, name, parameter):
        """Add a Parameter (or None, for an absent one such as bias=False) under `name`."""
        if parameter is None:
            self.__dict__.pop(name, None)
            self._parameters[name] = None
        else:
            setattr(self, name, parameter)

    def add_module(self, name, module):
        """Register `module` (or None) as the sub-module `name`."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module({name!r}, ...) needs a Module, got "
                            f"{type(module).__name__}")
        setattr(self, name, module)

    def register_forward_pre_hook(self, hook):
        """Run hook(module, inputs) before every forward (spectral norm uses one)."""
        self._forward_pre_hooks.append(hook)

    # -- calling ------------------------------------------------------------------------------
    def forward(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *inputs, **kwargs):
        for value in inputs:
            if isinstance(value, np.ndarray) or type(value).__module__.startswith("cupy"):
                raise TypeError(f"{type(self).__name__} expected a minigan Tensor, got "
                                f"{type(value).__module__}.{type(value).__name__}; wrap it with "
                                "minigan.tensor(...)")
        for hook in self._forward_pre_hooks:
            hook(self, inputs)
        return self.forward(*inputs, **kwargs)

    # -- walking the tree ---------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(name, module) for this module and every descendant, depth first; a module that
        appears twice comes once, as in PyTorch, unless remove_duplicate=False."""
        if remove_duplicate:
            memo = set() if memo is None else memo
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                               remove_duplicate)

    def modules(self):
        return (module for _, module in self.named_modules())

    def named_children(self):
        """(name, module) for each direct sub-module, each once."""
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self):
        return (child for _, child in self.named_children())

    def _named_members(self, table, recurse):
        seen = set()
        modules = self.named_modules() if recurse else [("", self)]
        for module_name, module in modules:
            for name, member in getattr(module, table).items():
                if member is None or id(member) in seen:
                    continue
                seen.add(id(member))
                yield (f"{module_name}.{name}" if module_name else name), member

    def named_parameters(self, recurse=True):
        """(dotted name, Parameter) for every parameter, each once."""
        return self._named_members("_parameters", recurse)

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse))

    def named_buffers(self, recurse=True):
        return self._named_members("_buffers", recurse)

    def buffers(self, recurse=True):
        return (b for _, b in self.named_buffers(recurse))

    # -- modes, devices, dtypes ---------------------------------------------------------------
    def train(self, mode=True):
        """Training mode (BatchNorm uses batch statistics, Dropout drops); returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        """Evaluation mode: the same as train(False)."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    def zero_grad(self):
        """Forget the accumulated gradients (sets each .grad to None)."""
        for p in self.parameters():
            p.grad = None

    def apply(self, fn):
        """Call fn(module) on every sub-module, then on this one (for custom init); returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, *targets, device=None, dtype=None, non_blocking=False):
        """Move every parameter and buffer to a backend ("numpy", "cupy", or PyTorch's "cpu",
        "cuda") and/or convert the floating-point ones to a dtype ("float64"), as PyTorch's
        Module.to(device, dtype); in place, so optimizers stay attached."""
        for target in targets:
            if backend.backend_name(target) is not None:
                device = target
            elif _dtype_kind(target) == "f":
                dtype = target
            else:
                raise ValueError(f"Module.to({target!r}): not a backend or a floating-point "
                                 f"dtype; pass a backend ({', '.join(backend.names())}, or "
                                 "PyTorch's cpu, cuda) or a dtype (float32, float64)")
        with no_grad():
            for module in self.modules():
                for table in (module._parameters, module._buffers):
                    for tensor in table.values():
                        if tensor is not None and device is not None:
                            _convert_in_place(tensor, device)
                        if tensor is not None and dtype is not None and tensor.dtype.kind == "f":
                            _convert_in_place(tensor, dtype)
        return self

    def cuda(self, device=None):
        """Move the module to the GPU (the CuPy backend), as PyTorch's Module.cuda()."""
        return self.to("cuda")

    def cpu(self):
        """Move the module to the CPU (the NumPy backend)."""
        return self.to("cpu")

    def double(self):
        return self.to("float64")

    def float(self):
        return self.to("float32")

    # -- saving and loading -------------------------------------------------------------------
    def state_dict(self):
        """An ordered {dotted name: Tensor} of every parameter and persistent buffer."""
        state = OrderedDict()
        for module_name, module in self.named_modules(remove_duplicate=False):
            prefix = f"{module_name}." if module_name else ""
            for name, p in module._parameters.items():
                if p is not None:
                    state[prefix + name] = p.detach()
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent:
                    state[prefix + name] = b.detach()
        return state

    def load_state_dict(self, state_dict, strict=True):
        """Copy values (minigan Tensors, NumPy arrays or PyTorch tensors) into this module's
        parameters and buffers, in place. With strict=True, any missing, unexpected or
        mis-shaped key is an error that lists them all; returns (missing, unexpected) keys."""
        own = {}
        for module_name, module in self.named_modules(remove_duplicate=False):
            prefix = f"{module_name}." if module_name else ""
            for table in (module._parameters, module._buffers):
                for name, tensor in table.items():
                    if tensor is not None and name not in module._non_persistent:
                        own[prefix + name] = (tensor, module)
        missing = [key for key in own if key not in state_dict]
        unexpected = [key for key in state_dict if key not in own]
        mis_shaped = []
        arrays = {}
        for key, value in state_dict.items():
            if key not in own:
                continue
            array = _host_array(value)
            tensor, module = own[key]
            if tuple(array.shape) != tensor.shape:
                mis_shaped.append(f"{key} in {module!r}: the state dict has shape "
                                  f"{tuple(array.shape)}, the model {tensor.shape}")
            else:
                arrays[key] = array
        problems = []
        if mis_shaped:
            problems.append("mis-shaped:\n    " + "\n    ".join(mis_shaped))
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if problems:
            raise RuntimeError(f"cannot load the state dict into {type(self).__name__}:\n  "
                               + "\n  ".join(problems))
        for key, array in arrays.items():
            tensor = own[key][0]
            tensor.array[...] = tensor.backend.asarray(array, dtype=tensor.dtype)
        return IncompatibleKeys(missing, unexpected)

    # -- printing -----------------------------------------------------------------------------
    def extra_repr(self):
        """The arguments shown inside the parentheses of this module's repr."""
        return ""

    def __repr__(self):
        children = [f"({name}): " + repr(child).replace("\n", "\n  ")
                    for name, child in self._modules.items()]
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = ([self.extra_repr()] if self.extra_repr() else []) + children
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Modules called one after another: Sequential(Linear(2, 8), ReLU(), Linear(8, 1))."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, module in modules[0].items():
                setattr(self, name, module)
        else:
            for index, module in enumerate(modules):
                setattr(self, str(index), module)

    def forward(self, x):
        for module in self._modules.values():
            x = module(x)
        return x

    def append(self, module):
        setattr(self, str(len(self._modules)), module)
        return self

    def __getitem__(self, index):
        if isinstance(index, slice):  # keeps the names, so state-dict keys stay PyTorch's
            return Sequential(OrderedDict(list(self._modules.items())[index]))
        return list(self._modules.values())[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class ModuleList(Module):
    """A list of modules whose parameters are registered (for loops over layers)."""

    def __init__(self, modules=()):
        super().__init__()
        self.extend(modules)

    def append(self, module):
        setattr(self, str(len(self._modules)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def __getitem__(self, index):
        modules = list(self._modules.values())
        return ModuleList(modules[index]) if isinstance(index, slice) else modules[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())
