"""The names of the `torch` module that minigan spells differently, or that only PyTorch has.

Everything else under `torch.` is minigan's own top-level name (torch.randn is minigan.randn,
taking `device=` for minigan's `backend=`).
"""

import numpy as np

import minigan

from .. import backend
from ..tensor import Tensor, _grad_mode
from .shim import NotInMinigan, cuda_is_available

__version__ = f"{minigan.__version__}+minigan"



class _TensorClass(type):
    """torch.Tensor is minigan's Tensor to isinstance() and issubclass(), and PyTorch's float32
    constructor when called: torch.Tensor(2, 3) (zeros), torch.Tensor(numpy_array)."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor)

    def __subclasscheck__(cls, subclass):
        return issubclass(subclass, Tensor)

    def __getattr__(cls, name):
        return getattr(Tensor, name)

    def __call__(cls, *args, device=None):
        if all(isinstance(a, int) for a in args):
            return minigan.zeros(*args, dtype="float32", backend=device)
        if len(args) != 1:
            raise TypeError(f"torch.Tensor(*sizes) or torch.Tensor(data), got {args!r}")
        data = args[0].numpy() if isinstance(args[0], Tensor) else args[0]
        return minigan.tensor(data, dtype="float32", backend=device)


class TorchTensor(metaclass=_TensorClass):
    """torch.Tensor (see _TensorClass)."""



def randint(*args, size=None, dtype=None, device=None, requires_grad=False):
    """randint(high, size) or randint(low, high, size): int64 values in [low, high)."""
    if size is not None:
        args = args + (size,)
    low, high, shape = (0, *args) if len(args) == 2 else args
    values = minigan.randint(low, high, tuple(shape), backend=device)
    return values if dtype is None else values.to(dtype)


class Generator:
    """torch.Generator, for what takes `generator=` in torch.utils.data (random_split,
    RandomSampler, a shuffling DataLoader): a seeded NumPy generator of permutations."""

    def __init__(self, device="cpu"):
        self.manual_seed(0)

    def manual_seed(self, seed):
        self._seed = int(seed)
        self._rng = np.random.default_rng(self._seed)
        return self

    def initial_seed(self):
        return self._seed

    def permutation(self, count):
        return self._rng.permutation(count)


def inference_mode(mode=True):
    """As torch.inference_mode: no graph is recorded inside it (minigan's no_grad)."""
    return _grad_mode(not mode)


def use_deterministic_algorithms(mode, warn_only=False):
    """Accepted: minigan's kernels give the same result for the same inputs on the CPU and,
    without atomics, on the GPU."""


def manual_seed(seed):
    """Seed minigan's random generators (torch.manual_seed); returns nothing useful."""
    minigan.manual_seed(int(seed))


def initial_seed():
    return 0


def save(obj, f, **ignored):
    """torch.save, as minigan.save: safetensors, never pickle."""
    minigan.save(obj, f)


def load(f, map_location=None, weights_only=None, **ignored):
    """torch.load, as minigan.load: reads what torch.save (minigan.save) wrote; a device given
    as `map_location` places the tensors there."""
    target = map_location if backend.backend_name(map_location) else None
    return minigan.load(f, backend=target)


# -- torch.cuda and torch.backends -------------------------------------------------------------
class _CudaTensorType:
    """torch.cuda.FloatTensor and its kin: minigan's typed constructor on the "cuda" device."""

    device = "cuda"

    def __init__(self, name):
        self.name = name

    def _constructor(self):
        constructor = getattr(minigan, self.name, None)
        if constructor is None:
            raise NotInMinigan(f"torch.cuda.{self.name}")
        return constructor

    @property
    def dtype(self):
        return self._constructor().dtype

    def __call__(self, *args):
        return self._constructor()(*args, device="cuda")

    def __repr__(self):
        return f"<class 'torch.cuda.{self.name}'>"


class _Cuda:
    """torch.cuda: minigan's "cuda" device is its CuPy backend."""

    is_available = staticmethod(cuda_is_available)

    @staticmethod
    def device_count():
        return 1 if cuda_is_available() else 0

    @staticmethod
    def manual_seed(seed):
        minigan.manual_seed(int(seed))

    manual_seed_all = manual_seed

    @staticmethod
    def synchronize(device=None):
        if cuda_is_available():
            backend.get("cupy").synchronize()

    @staticmethod
    def current_device():
        return 0

    @staticmethod
    def empty_cache():
        """Nothing to do: CuPy's memory pool keeps its blocks."""

    @staticmethod
    def get_device_name(device=None):
        return "CuPy device (minigan's cuda backend)"

    FloatTensor = _CudaTensorType("FloatTensor")
    DoubleTensor = _CudaTensorType("DoubleTensor")
    LongTensor = _CudaTensorType("LongTensor")
    IntTensor = _CudaTensorType("IntTensor")
    BoolTensor = _CudaTensorType("BoolTensor")
    ByteTensor = _CudaTensorType("ByteTensor")


class _Accelerator:
    """torch.accelerator: the CUDA device (minigan's CuPy backend) where it runs."""

    is_available = staticmethod(cuda_is_available)

    @staticmethod
    def current_accelerator(check_available=False):
        return backend.Device("cuda") if cuda_is_available() else None

    @staticmethod
    def device_count():
        return 1 if cuda_is_available() else 0


class _Cudnn:
    """torch.backends.cudnn: flags minigan accepts and ignores (it has no cuDNN)."""

    benchmark = False
    deterministic = False
    enabled = True
    allow_tf32 = False

    @staticmethod
    def is_available():
        return False

    @staticmethod
    def version():
        return None


class _Mps:
    """torch.backends.mps: Apple's GPU, which minigan does not drive."""

    @staticmethod
    def is_available():
        return False

    @staticmethod
    def is_built():
        return False


def public_names(namespace):
    """The public attributes of a class or module, as a dict."""
    return {key: getattr(namespace, key) for key in dir(namespace) if not key.startswith("_")}


# PyTorch's versions of names minigan has with other signatures: always these
OVERRIDES = {"Tensor": TorchTensor, "load": load, "manual_seed": manual_seed, "randint": randint,
             "save": save}
# stand-ins for names minigan may lack: used only where it does
STAND_INS = {name: globals()[name] for name in [
    "Generator", "inference_mode", "initial_seed", "use_deterministic_algorithms"]}
