"""The shim modules that stand in for `torch`, `torch.nn`, ..., and what a missing name says.

A shim module holds its own names (what PyTorch has that minigan spells differently) and falls
back, through a module-level `__getattr__` (PEP 562), on the minigan modules it maps. A name
found in neither fails with one line, "torch.nn.Transformer is not part of minigan", as a
`NotInMinigan` error: an AttributeError, so `hasattr(torch.backends, "mps")` still works, and
the runner prints that line instead of a traceback when a script dies of it.
"""

import importlib.abc
import inspect
import sys
import types

from .. import backend


class NotInMinigan(AttributeError):
    """A PyTorch name that minigan does not have."""

    def __init__(self, name):
        super().__init__(f"{name} is not part of minigan")
        self.torch_name = name


class ModuleNotInMinigan(ModuleNotFoundError):
    """A PyTorch module (`import torch.distributed`) that minigan does not have."""

    def __init__(self, name):
        super().__init__(f"{name} is not part of minigan", name=name)
        self.torch_name = name


def accepting_device(function):
    """`function`, which takes `backend=`, taking PyTorch's `device=` too ("cpu", "cuda", a
    torch.device); classes, and functions without a `backend` parameter, come back
    unchanged."""
    if isinstance(function, type):
        return function
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return function
    if "backend" not in parameters or "device" in parameters:
        return function

    def with_device(*args, device=None, **kwargs):
        if device is not None:
            kwargs["backend"] = device
        return function(*args, **kwargs)

    with_device.__name__ = getattr(function, "__name__", "function")
    with_device.__doc__ = function.__doc__
    with_device.__wrapped__ = function
    return with_device


def shim_module(name, own=None, fallbacks=(), doc=None):
    """A module called `name` with the names in `own` (a dict or a module), falling back on
    the modules in `fallbacks`, in order, for everything else."""
    module = types.ModuleType(name, doc)
    if isinstance(own, types.ModuleType):
        own = {key: getattr(own, key) for key in own.__all__}
    module.__dict__.update(own or {})
    module.__path__ = []  # a package, so `import torch.distributed` reaches MissingModules
    module.__minigan_fallbacks__ = tuple(fallbacks)

    def __getattr__(attribute):
        if attribute.startswith("__"):
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}")
        for fallback in fallbacks:
            value = getattr(fallback, attribute, None)
            if value is not None and not isinstance(value, types.ModuleType):
                value = accepting_device(value) if callable(value) else value
                setattr(module, attribute, value)
                return value
        raise NotInMinigan(f"{name}.{attribute}")

    def __dir__():
        names = set(module.__dict__)
        for fallback in fallbacks:
            names.update(key for key in dir(fallback) if not key.startswith("_"))
        return sorted(names)

    module.__getattr__ = __getattr__
    module.__dir__ = __dir__
    return module


class MissingModules(importlib.abc.MetaPathFinder):
    """Answers every import under the shimmed top-level names that no shim module covers:
    `import torch.distributed` fails with one line, and never reaches the real PyTorch."""

    def __init__(self, top_level_names):
        self.top_level_names = set(top_level_names)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] in self.top_level_names and fullname not in sys.modules:
            raise ModuleNotInMinigan(fullname)
        return None


def cuda_is_available():
    """True where the CuPy backend runs (a CUDA GPU with CuPy installed)."""
    return backend.unavailable_reason("cupy") is None
