"""A stand-in for CuPy, for TESTING ONLY: with MINIGAN_SIMULATE_GPU=1 the 'cupy' backend runs
on this module instead of CuPy, so that the GPU path is exercised on a machine with no GPU.

Arrays live in host memory, wrapped in this module's own `ndarray`, which behaves like CuPy's
at the boundary with NumPy:

- NumPy refuses it. `np.asarray(a)` raises CuPy's TypeError; so do a NumPy ufunc or function
  called on it (`np.exp(a)`, `np.sum(a)`) and an operator mixing it with a NumPy array. Real
  CuPy forwards some NumPy calls to itself, but in minigan such a call is always a bug (array
  math goes through the backend's `xp`), so the stand-in refuses them all.
- Reductions and integer indexing give 0-d arrays, never Python or NumPy scalars.
- Every copy to the host (`.get()`, `asnumpy`, `.item()`, `.tolist()`, `float()`, `int()`,
  `bool()`, printing) is counted in `transfers.to_host`: the tests read it.
- Only the functions minigan uses exist, with CuPy's signatures; a new one must be added here,
  after checking that CuPy has it.
- The numba.cuda kernels of gpu_kernels.py run in Numba's CUDA simulator (see
  simulated_kernels.py).
"""

import sys
import types
import weakref

import numpy

SIMULATED_GPU = True  # what the backend looks for to pick the simulated kernels
_IMPLICIT = ("Implicit conversion to a NumPy array is not allowed. "
             "Please use `.get()` to construct a NumPy array explicitly.")


class TransferCount:
    """How many copies went between the host and the simulated device."""

    def __init__(self):
        self.to_host = 0
        self.to_device = 0

    def reset(self):
        self.to_host = self.to_device = 0


transfers = TransferCount()
_device_arrays = weakref.WeakValueDictionary()  # id of host storage -> its device array


def _refuse_host_array(value):
    if isinstance(value, numpy.ndarray):
        raise TypeError(f"Unsupported type {type(value)}: a NumPy array met a device array; "
                        "move it with the backend's asarray first")


def _unwrap(value, accept_host=False):
    """The host storage behind device arrays, inside lists and tuples too."""
    if isinstance(value, ndarray):
        return value._host
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(item, accept_host) for item in value)
    if not accept_host:
        _refuse_host_array(value)
    return value


def _wrap(value):
    """NumPy results as device arrays; a NumPy scalar becomes a 0-d array, as in CuPy."""
    if isinstance(value, numpy.ndarray):
        return ndarray(value)
    if isinstance(value, numpy.generic):
        return ndarray(numpy.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(item) for item in value)
    return value


def _to_host(array):
    transfers.to_host += 1
    return array._host.copy()


def _operator(name):
    def method(self, other):
        return _wrap(getattr(self._host, name)(_unwrap(other)))
    method.__name__ = name
    return method


def _in_place(name):
    def method(self, other):
        getattr(self._host, name)(_unwrap(other))
        return self
    method.__name__ = name
    return method


def _method(name):
    def method(self, *args, **kwargs):
        return _wrap(getattr(self._host, name)(*_unwrap(args), **_unwrap_kwargs(kwargs)))
    method.__name__ = name
    return method


def _unwrap_kwargs(kwargs, accept_host=False):
    return {key: _unwrap(value, accept_host) for key, value in kwargs.items()}


class ndarray:  # noqa: N801 (CuPy's name)
    """A device array of the simulated GPU: NumPy storage that NumPy may not touch."""

    __slots__ = ("_host", "__weakref__")
    __array_ufunc__ = None  # NumPy ufuncs and NumPy's operators refuse it
    __hash__ = None

    def __init__(self, host):
        self._host = host
        _device_arrays[id(host)] = self

    @property
    def base(self):
        """The device array whose memory this view shares (None if it owns its memory), the
        same object each time while it lives, as CuPy's `base`."""
        owner = self._host.base
        if not isinstance(owner, numpy.ndarray):
            return None
        found = _device_arrays.get(id(owner))
        return found if found is not None and found._host is owner else ndarray(owner)

    def __array__(self, dtype=None, copy=None):
        raise TypeError(_IMPLICIT)

    def __array_function__(self, func, types, args, kwargs):
        raise TypeError(f"numpy.{func.__name__}() met a device array: use the backend's array "
                        "module (xp), or move the array with to_host() first")

    # -- attributes ---------------------------------------------------------------------------
    shape = property(lambda self: self._host.shape)
    dtype = property(lambda self: self._host.dtype)
    ndim = property(lambda self: self._host.ndim)
    size = property(lambda self: self._host.size)
    itemsize = property(lambda self: self._host.itemsize)
    nbytes = property(lambda self: self._host.nbytes)
    strides = property(lambda self: self._host.strides)
    flags = property(lambda self: self._host.flags)
    T = property(lambda self: ndarray(self._host.T))

    # -- to the host: counted -----------------------------------------------------------------
    def get(self, stream=None, order="C", out=None):
        """A NumPy copy on the host (the one explicit transfer)."""
        host = _to_host(self)
        if out is not None:
            out[...] = host
            return out
        return numpy.asarray(host, order=order)

    def item(self):
        return _to_host(self).item()

    def tolist(self):
        return _to_host(self).tolist()

    def __float__(self):
        return float(_to_host(self))

    def __int__(self):
        return int(_to_host(self))

    def __bool__(self):
        return bool(_to_host(self))

    def __repr__(self):
        return repr(_to_host(self))

    def __format__(self, spec):
        return format(_to_host(self), spec)

    # -- indexing and iteration ---------------------------------------------------------------
    def __len__(self):
        return len(self._host)

    def __iter__(self):
        return (_wrap(row) for row in self._host)

    def __getitem__(self, index):
        return _wrap(self._host[_unwrap(index, accept_host=True)])

    def __setitem__(self, index, value):
        self._host[_unwrap(index, accept_host=True)] = _unwrap(value, accept_host=True)

    def __neg__(self):
        return ndarray(-self._host)

    def __pos__(self):
        return ndarray(+self._host)

    def __abs__(self):
        return ndarray(abs(self._host))

    def __invert__(self):
        return ndarray(~self._host)


_OPERATORS = ("add sub mul truediv floordiv mod pow matmul and or xor lshift rshift").split()
for _name in _OPERATORS:
    setattr(ndarray, f"__{_name}__", _operator(f"__{_name}__"))
    setattr(ndarray, f"__r{_name}__", _operator(f"__r{_name}__"))
    setattr(ndarray, f"__i{_name}__", _in_place(f"__i{_name}__"))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(ndarray, f"__{_name}__", _operator(f"__{_name}__"))
_METHODS = ("all any argmax argmin argsort astype clip copy cumsum dot fill flatten max mean min "
            "nonzero prod ravel repeat reshape squeeze std sum swapaxes take transpose var "
            "view").split()
for _name in _METHODS:
    setattr(ndarray, _name, _method(_name))


# -- the module's functions -----------------------------------------------------------------------
class ufunc:  # noqa: N801 (CuPy's name)
    """A NumPy ufunc on device arrays, with `out=` and `at` (cupy.add.at)."""

    def __init__(self, numpy_ufunc):
        self._ufunc = numpy_ufunc
        self.__name__ = numpy_ufunc.__name__

    def __call__(self, *args, **kwargs):
        return _wrap(self._ufunc(*_unwrap(args), **_unwrap_kwargs(kwargs)))

    def at(self, a, indices, b=None):
        operands = () if b is None else (_unwrap(b),)
        self._ufunc.at(_unwrap(a), _unwrap(indices, accept_host=True), *operands)


def _function(name, accept_host=False):
    numpy_function = getattr(numpy, name)
    if isinstance(numpy_function, numpy.ufunc):
        return ufunc(numpy_function)

    def function(*args, **kwargs):
        host_inputs = any(isinstance(a, (numpy.ndarray, list)) for a in args)
        if accept_host and host_inputs:
            transfers.to_device += 1
        result = numpy_function(*_unwrap(args, accept_host), **_unwrap_kwargs(kwargs, accept_host))
        return _wrap(result)
    function.__name__ = name
    return function


def can_cast(from_, to, casting="safe"):
    """Whether a cast keeps to `casting`'s rule (cupy.can_cast), for an array or a dtype."""
    return numpy.can_cast(from_.dtype if isinstance(from_, ndarray) else from_, to, casting)


def result_type(*arrays_and_dtypes):
    """The dtype NumPy's promotion rules give (cupy.result_type)."""
    return numpy.result_type(*_unwrap(arrays_and_dtypes))


def asnumpy(a, stream=None, order="C", out=None):
    """A NumPy copy of a device array on the host (counted)."""
    if not isinstance(a, ndarray):
        return numpy.asarray(a, order=order)
    return a.get(stream=stream, order=order, out=out)


def get_array_module(*args):
    """This module if any argument is a device array, else NumPy (cupy.get_array_module)."""
    return sys.modules[__name__] if any(isinstance(a, ndarray) for a in args) else numpy


_CREATION = ["array"]
_FUNCTIONS = ("abs add arange arccos ascontiguousarray broadcast_to clip concatenate empty exp "
              "expm1 floor full linspace log log1p maximum mean minimum ones ones_like pad sign "
              "sin sqrt stack tanh vdot where zeros zeros_like").split()
for _name in _CREATION:
    globals()[_name] = _function(_name, accept_host=True)
for _name in _FUNCTIONS:
    globals()[_name] = _function(_name)
del _name


def asarray(a, dtype=None, order=None):
    """`a` itself if it is a device array of that dtype; else a copy on the device."""
    if isinstance(a, ndarray):
        return a if dtype is None or numpy.dtype(dtype) == a.dtype else a.astype(dtype)
    return array(a, dtype=dtype, order=order)  # noqa: F821 (made by the loop above)

# NumPy's dtypes and constants, which CuPy re-exports as they are.
from numpy import (  # noqa: E402
    bool_, dtype, e, finfo, float16, float32, float64, iinfo, inf, int8, int16, int32, int64,
    nan, newaxis, pi, uint8)

def _norm(x, ord=None, axis=None, keepdims=False):
    return _wrap(numpy.linalg.norm(_unwrap(x), ord=ord, axis=axis, keepdims=keepdims))


linalg = types.SimpleNamespace(norm=_norm)


# -- random numbers: CuPy's Generator API over NumPy's bit generators -----------------------------
class _BitGenerator:
    """A cuRAND bit generator's stand-in: the API is CuPy's, the stream NumPy's."""

    numpy_class = numpy.random.PCG64

    def __init__(self, seed=None, *, size=-1):
        seed_sequence = seed if isinstance(seed, numpy.random.SeedSequence) else (
            numpy.random.SeedSequence(seed))
        self._numpy = self.numpy_class(seed_sequence)


class XORWOW(_BitGenerator):
    """cupy.random.XORWOW (CuPy's default); here NumPy's PCG64 draws the numbers."""


class Philox4x3210(_BitGenerator):
    """cupy.random.Philox4x3210; here NumPy's Philox draws the numbers."""

    numpy_class = numpy.random.Philox


class Generator:
    """cupy.random.Generator: the methods minigan calls, with CuPy's signatures (CuPy's
    Generator has no permutation)."""

    def __init__(self, bit_generator):
        self.bit_generator = bit_generator
        self._numpy = numpy.random.Generator(bit_generator._numpy)

    def random(self, size=None, dtype=numpy.float64, out=None):
        return self._fill(self._numpy.random(size, dtype=dtype), out)

    def standard_normal(self, size=None, dtype=numpy.float64, out=None):
        return self._fill(self._numpy.standard_normal(size, dtype=dtype), out)

    def integers(self, low, high=None, size=None, dtype=numpy.int64, endpoint=False):
        return ndarray(numpy.asarray(
            self._numpy.integers(low, high, size, dtype=dtype, endpoint=endpoint)))

    @staticmethod
    def _fill(values, out):
        if out is None:
            return ndarray(numpy.asarray(values))
        out[...] = ndarray(numpy.asarray(values))
        return out


def default_rng(seed=None):
    """cupy.random.default_rng: a Generator on an XORWOW bit generator."""
    return Generator(XORWOW(seed))


random = types.SimpleNamespace(default_rng=default_rng, Generator=Generator, XORWOW=XORWOW,
                               Philox4x3210=Philox4x3210)


# -- the device: one simulated GPU, whose queued work has always finished ------------------------
class Stream:
    def synchronize(self):
        """Nothing is ever queued on the simulated device."""


class Device:
    def __init__(self, device=None):
        self.id = 0 if device is None else int(device)

    def synchronize(self):
        """Nothing is ever queued on the simulated device."""


class MemoryPool:
    """cupy.get_default_memory_pool(): the simulated device keeps its arrays in host memory and
    has no pool, so it holds nothing."""

    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0


def get_default_memory_pool():
    return MemoryPool()


DEVICE_NAME = "simulated GPU (MINIGAN_SIMULATE_GPU=1: host memory, Numba's CUDA simulator)"


def _device_properties(device):
    return {"name": DEVICE_NAME.encode(), "totalGlobalMem": 0, "multiProcessorCount": 1}


cuda = types.SimpleNamespace(
    Device=Device, Stream=Stream, get_current_stream=Stream, get_device_id=lambda: 0,
    runtime=types.SimpleNamespace(getDeviceCount=lambda: 1,
                                  getDeviceProperties=_device_properties,
                                  runtimeGetVersion=lambda: 0, driverGetVersion=lambda: 0))
