"""Making tensors: from data (`tensor`, `from_numpy`, `as_tensor`), filled (`zeros`, `ones`,
`full`, `*_like`, `eye`), random (`randn`, `rand`, `randint`, `randperm`, `normal`) and ranges
(`arange`, `linspace`), on the default backend unless `backend=` (or PyTorch's `device=`) says
which; and PyTorch's typed constructors `FloatTensor`, `LongTensor`, ... (float32 unless a
dtype is given, as in PyTorch).
"""

import numpy as np  # host side: lists and numbers become host arrays, then go to the backend

from .backend import get as get_backend, of as backend_of, seed_all
from .tensor import Tensor
from .backend import Device

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
        data = data.array
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


def randint(low, high=None, size=None, dtype="int64", backend=None):
    """Random integers in [low, high) of shape `size`, as PyTorch's: randint(high, size) or
    randint(low, high, size)."""
    if size is None:
        low, high, size = 0, low, high
    array = get_backend(backend).randint(low, high, _shape((size,)))
    return Tensor(array.astype(_dtype(dtype), copy=False))


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


def _target(backend_name=None, device=None):
    """The backend named by `backend` ("numpy"/"cupy") or `device` ("cpu"/"cuda")."""
    if device is not None:
        return get_backend(Device(device).backend_name)
    return get_backend(backend_name)


def _like(x, dtype, device):
    return _target(x.backend, device), _dtype(dtype) or x.dtype


def full_like(x, fill_value, dtype=None, requires_grad=False, device=None):
    """A tensor of x's shape, dtype and backend filled with `fill_value`."""
    target, dtype = _like(x, dtype, device)
    return Tensor(target.xp.full(x.shape, fill_value, dtype=dtype), requires_grad=requires_grad)


def randn_like(x, dtype=None, requires_grad=False, device=None):
    """Standard normal samples of x's shape, dtype and backend."""
    target, dtype = _like(x, dtype, device)
    return Tensor(target.randn(x.shape, dtype), requires_grad=requires_grad)


def rand_like(x, dtype=None, requires_grad=False, device=None):
    """Uniform samples in [0, 1) of x's shape, dtype and backend."""
    target, dtype = _like(x, dtype, device)
    return Tensor(target.rand(x.shape, dtype), requires_grad=requires_grad)


def empty(*size, dtype=None, requires_grad=False, device=None):
    """A new tensor of `size` (minigan fills it with zeros, where PyTorch leaves it as it is)."""
    return zeros(_shape(size), dtype=dtype, requires_grad=requires_grad,
                 backend=_target(device=device).name)


def empty_like(x, dtype=None, requires_grad=False, device=None):
    """A new tensor of x's shape, dtype and backend (zeros)."""
    return full_like(x, 0, dtype, requires_grad, device)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    """`steps` evenly spaced values from start to end, both included (float32 by default)."""
    target = _target(device=device)
    values = target.xp.linspace(start, end, steps, dtype=_dtype(dtype or "float32"))
    return Tensor(values, requires_grad=requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    """The n x m identity matrix (n x n by default)."""
    target = _target(device=device)
    return Tensor(target.xp.eye(n, m, dtype=_dtype(dtype or "float32")),
                  requires_grad=requires_grad)


def from_numpy(array):
    """A tensor that shares memory with the NumPy `array` (no copy, the array's dtype)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array)


def as_tensor(data, dtype=None, device=None):
    """`data` as a tensor: the same tensor when it already has that dtype and device."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == _dtype(dtype)) and (
            device is None or Device(device).backend_name == data.backend):
        return data
    backend_name = None if device is None else _target(device=device).name
    return tensor(data, dtype=dtype, backend=backend_name)


def randperm(n, dtype="int64", device=None):
    """A random permutation of 0 .. n-1 from the backend's seeded generator."""
    return Tensor(_target(device=device).permutation(n).astype(_dtype(dtype)))


def normal(mean=0.0, std=1.0, size=None, dtype=None, device=None):
    """Samples of N(mean, std^2): of `size` for number arguments, else of the tensors'
    broadcast shape."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        like = mean if isinstance(mean, Tensor) else std
        shape = np.broadcast_shapes(
            *(t.shape for t in (mean, std) if isinstance(t, Tensor)))
        noise = Tensor(_target(like.backend).randn(shape, like.dtype))
        return noise * std + mean
    if size is None:
        raise TypeError("normal(mean, std) with numbers needs size=, e.g. normal(0, 1, (2, 3))")
    target = _target(device=device)
    samples = target.randn(_shape((size,)), _dtype(dtype or "float32"))
    return Tensor(samples * samples.dtype.type(std) + samples.dtype.type(mean))


class TensorType:
    """PyTorch's typed constructors: FloatTensor(2, 3) (zeros of that shape),
    FloatTensor([1, 2]) (from data); `x.type(FloatTensor)` converts (and moves to the CPU)."""

    device = "cpu"

    def __init__(self, name, dtype):
        self.name, self.dtype = name, _dtype(dtype)

    def __call__(self, *args, device=None):
        target = _target(device=device).name
        if args and all(isinstance(a, int) for a in args):
            return full(args, 0, dtype=self.dtype, backend=target)
        if len(args) != 1:
            raise TypeError(f"{self.name}(*sizes) or {self.name}(data), got {args!r}")
        return tensor(args[0], dtype=self.dtype, backend=target)

    def __repr__(self):
        return f"<class 'minigan.{self.name}'>"


FloatTensor = TensorType("FloatTensor", "float32")
DoubleTensor = TensorType("DoubleTensor", "float64")
LongTensor = TensorType("LongTensor", "int64")
IntTensor = TensorType("IntTensor", "int32")
BoolTensor = TensorType("BoolTensor", "bool")
ByteTensor = TensorType("ByteTensor", "uint8")
