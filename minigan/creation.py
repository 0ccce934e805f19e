"""Making tensors: from data (`tensor`), filled (`zeros`, `ones`, `full`), random (`randn`,
`rand`, `randint`) and ranges (`arange`), on the default backend unless `backend=` says which.
"""

import numpy as np  # host side: lists and numbers become host arrays, then go to the backend

from .backend import get as get_backend, of as backend_of, seed_all
from .tensor import Tensor

# The `backend=` argument ("numpy", "cupy" or a Backend) plays the part of PyTorch's `device=`;
# it hides the name of the module minigan.backend, whose functions are therefore imported above.


def _dtype(dtype):
    return None if dtype is None else np.dtype(dtype)


def tensor(data, dtype=None, requires_grad=False, backend=None):
    """A new leaf tensor from a list, a number or an array.

    Python floats become float32 (as in PyTorch); an array keeps its dtype unless `dtype` is
    given. `backend` ("numpy" or "cupy") defaults to the array's own or the process default.
    """
    if isinstance(data, Tensor):
        data = data.data
    try:
        source = backend_of(data)
    except TypeError:
        source = None  # a list or a number
    target = source if backend is None and source is not None else get_backend(backend)
    dtype = _dtype(dtype)
    if source is None:
        host = np.asarray(data)
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
    target = get_backend(backend)
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
    target = get_backend(backend)
    array = target.randn(_shape(shape), _dtype(dtype or "float32"))
    return Tensor(array, requires_grad=requires_grad)


def rand(*shape, dtype=None, requires_grad=False, backend=None):
    """Uniform samples in [0, 1) from the backend's seeded generator."""
    target = get_backend(backend)
    array = target.rand(_shape(shape), _dtype(dtype or "float32"))
    return Tensor(array, requires_grad=requires_grad)


def randint(low, high, shape, backend=None):
    """Random int64 integers in [low, high)."""
    return Tensor(get_backend(backend).randint(low, high, _shape((shape,))))


def arange(start, stop=None, step=1, dtype=None, backend=None):
    """Evenly spaced values, as numpy.arange (int64 for ints, float32 for floats)."""
    if stop is None:
        start, stop = 0, start
    target = get_backend(backend)
    array = target.xp.arange(start, stop, step)
    if dtype is None and array.dtype.kind == "f":
        dtype = "float32"
    return Tensor(array if dtype is None else array.astype(_dtype(dtype)))


def manual_seed(seed):
    """Seed the random generator of every backend, for reproducible runs."""
    seed_all(seed)
