"""Array backends: the only part of minigan that imports cupy and numba, and the one way to the
array library of a tensor's device (`x.backend.xp`, `self.xp` in an op). Host-side code (data,
files, checkpoints, finite differences) uses NumPy plainly; arrays cross between host and
device only through a backend's `asarray` and `to_host`.

    >>> from minigan import backend
    >>> backend.available()          # what runs on this machine
    ['numpy']
    >>> backend.get("numpy").xp      # the array module
    <module 'numpy' ...>

The default backend is "numpy", or the MINIGAN_BACKEND environment variable, or whatever
`minigan.set_default_backend(name)` chose last.
"""

import os
import sys

from .threads import share_cores_among_local_ranks

# OpenBLAS reads this once, when NumPy first loads it: its idle worker threads stop spinning
# after 2^4 cycles instead of about 2^28, so they stop stealing cores from Numba's kernels
# between matrix products. It has no effect if NumPy was imported before minigan.
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
# Under mpiexec, each rank takes its share of the cores (threads.py), also before NumPy loads.
share_cores_among_local_ranks()

from .base import Backend, BackendUnavailable
from .cupy_backend import CupyBackend
from .numpy_backend import NumpyBackend
from .devices import Device, backend_name
from .geometry import conv_output_size, conv_transpose_output_size, pair

__all__ = ["Backend", "BackendUnavailable", "Device", "available", "backend_name",
           "conv_output_size", "conv_transpose_output_size", "default", "get", "names", "of",
           "pair", "seed_all", "set_default", "unavailable_reason"]

_CLASSES = {"numpy": NumpyBackend, "cupy": CupyBackend}
_instances = {}
_by_array_type = {}  # the array class of each backend created so far -> that backend
_failures = {}
_default_name = None
_seed = None


def names():
    """Every backend minigan knows, available here or not."""
    return list(_CLASSES)


def get(name=None):
    """The backend called `name` ("numpy" or "cupy", or PyTorch's "cpu" and "cuda"), or the
    default one.

    Raises ValueError for an unknown name and BackendUnavailable, saying why and what to
    install, for a backend that cannot run here.
    """
    if name is None:
        return default()
    if isinstance(name, Backend):
        return name
    name = backend_name(name) or name
    if name not in _CLASSES:
        raise ValueError(f"unknown backend {name!r}: choose one of {names()}")
    if name not in _instances:
        if name in _failures:
            raise BackendUnavailable(_failures[name])
        try:
            instance = _CLASSES[name]()
        except BackendUnavailable as error:
            _failures[name] = str(error)
            raise
        if _seed is not None:
            instance.seed(_seed)
        _instances[name] = instance
        _by_array_type[instance.array_type] = instance
    return _instances[name]


def unavailable_reason(name):
    """None if backend `name` works here, else the sentence that explains why not."""
    try:
        get(name)
    except BackendUnavailable as error:
        return str(error)
    return None


def available():
    """The names of the backends that work on this machine."""
    return [name for name in _CLASSES if unavailable_reason(name) is None]


def seed_all(seed):
    """Seed the generator of every backend, those created later included."""
    global _seed
    _seed = seed
    for instance in _instances.values():
        instance.seed(seed)


def of(array):
    """The backend that owns `array`; a TypeError for anything that is not a backend array."""
    found = _by_array_type.get(type(array))
    if found is not None:
        return found
    host = get("numpy")
    if isinstance(array, (host.xp.ndarray, host.xp.generic)):
        return host
    cupy = sys.modules.get("cupy")
    if cupy is not None and isinstance(array, cupy.ndarray):
        return get("cupy")
    raise TypeError(f"expected a NumPy or CuPy array, got {type(array).__name__}")


def default():
    """The process-wide default backend."""
    global _default_name
    if _default_name is None:
        _default_name = os.environ.get("MINIGAN_BACKEND", "numpy")
    return get(_default_name)


def set_default(name):
    """Make `name` the default backend for new tensors; fails at once if it cannot run here."""
    global _default_name
    get(name)
    _default_name = name

