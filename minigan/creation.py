"""More ways to make tensors, with PyTorch's names and defaults: `full_like`, `randn_like`,
`linspace`, `eye`, `from_numpy`, `randperm`, `normal`, `empty`, and the typed constructors
`FloatTensor`, `LongTensor`, ... (float32 unless a dtype is given, as in PyTorch)."""

from . import backend
from .tensor import Tensor, _dtype, _shape, full, tensor, zeros
from .tensor_methods import device as Device


def _target(backend_name=None, device=None):
    """The backend named by `backend` ("numpy"/"cupy") or `device` ("cpu"/"cuda")."""
    if device is not None:
        return backend.get(Device(device).backend_name)
    return backend.get(backend_name)


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
    host = backend.get("numpy")
    if not isinstance(array, host.array_type):
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
        shape = backend.host_module().broadcast_shapes(
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
    FloatTensor([1, 2]) (from data); `x.type(FloatTensor)` converts."""

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
