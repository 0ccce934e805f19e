"""Run PyTorch programs on minigan: `python -m minigan.pytorch SCRIPT [ARGS...]`.

`install()` puts shim modules into `sys.modules` under PyTorch's names (`torch`, `torch.nn`,
`torchvision.utils`, ...), ahead of any real PyTorch, and a finder that answers every other
`torch.*` / `torchvision.*` import with one line: "torch.distributed is not part of minigan".
Each shim module falls back on the minigan module it maps (see MAPPED).
"""

import sys

import minigan

from .. import functional, nn, optim
from . import autograd, data, transforms, vision
from .shim import MissingModules, ModuleNotInMinigan, NotInMinigan, shim_module
from .torch_api import _Accelerator, _Cuda, _Cudnn, _Mps, public_names
from . import torch_api

# torch module -> what it maps to, for --help and for the modules below
MAPPED = {
    "torch": "minigan (Tensor, tensor, zeros, randn, no_grad, manual_seed, ...), torch.device, "
             "torch.save/load as safetensors",
    "torch.nn": "minigan.nn (Module, layers, Sequential, Parameter)",
    "torch.nn.functional": "minigan.functional",
    "torch.nn.init": "minigan.nn.init",
    "torch.nn.utils": "minigan.nn.utils (clip_grad_norm_, spectral_norm)",
    "torch.nn.parallel": "nothing (data_parallel and DataParallel are not part of minigan)",
    "torch.nn.parameter": "minigan.nn.Parameter",
    "torch.optim": "minigan.optim (SGD, Adam, AdamW, RMSprop)",
    "torch.optim.lr_scheduler": "minigan.optim.lr_scheduler",
    "torch.autograd": "minigan.grad, PyTorch-style Function (ctx), Variable",
    "torch.utils": "torch.utils.data only",
    "torch.utils.data": "DataLoader for map-style and iterable datasets, Dataset, "
                        "IterableDataset, TensorDataset, Subset, ConcatDataset, random_split, "
                        "samplers, default_collate",
    "torch.cuda": "the CuPy backend ('cuda' device); is_available() is True where CuPy runs",
    "torch.accelerator": "the CuPy backend where it runs, else none",
    "torch.backends": "cudnn (flags accepted, ignored), mps (never available)",
    "torch.backends.cudnn": "flags accepted and ignored",
    "torch.backends.mps": "is_available() is False",
    "torchvision": "datasets, transforms, utils",
    "torchvision.datasets": "MNIST (IDX files or the bundled MNIST-5k), FashionMNIST (IDX "
                            "files), ImageFolder, FakeData",
    "torchvision.transforms": "Compose, Resize, CenterCrop, Grayscale, ToTensor, Normalize, "
                              "Lambda, Pad, RandomCrop, RandomHorizontalFlip",
    "torchvision.utils": "make_grid, save_image",
}
SHIMMED_TOP_LEVEL = ("torch", "torchvision", "torchaudio", "torchtext")


def _torch_names():
    """The names the `torch` shim holds itself; the rest it finds in minigan."""
    names = {"__version__": torch_api.__version__, **torch_api.OVERRIDES}
    names.update((name, value) for name, value in torch_api.STAND_INS.items()
                 if not hasattr(minigan, name))
    return names


def _build_modules():
    """{name: shim module} for every module in MAPPED, each also an attribute of its parent."""
    modules = {
        "torch": shim_module("torch", _torch_names(), [minigan]),
        "torch.nn": shim_module("torch.nn", None, [nn]),
        "torch.nn.functional": shim_module("torch.nn.functional", None, [functional]),
        "torch.nn.init": shim_module("torch.nn.init", None, [nn.init]),
        "torch.nn.utils": shim_module("torch.nn.utils", None, [nn.utils]),
        "torch.nn.parallel": shim_module("torch.nn.parallel"),
        "torch.nn.parameter": shim_module("torch.nn.parameter", {"Parameter": nn.Parameter}),
        "torch.optim": shim_module("torch.optim", None, [optim]),
        "torch.optim.lr_scheduler": shim_module("torch.optim.lr_scheduler", None,
                                                [optim.lr_scheduler]),
        "torch.autograd": shim_module("torch.autograd", {
            "Function": autograd.Function, "Variable": autograd.Variable,
            "grad": autograd.grad, "backward": autograd.backward}),
        "torch.utils": shim_module("torch.utils"),
        "torch.utils.data": shim_module("torch.utils.data", data),
        "torch.cuda": shim_module("torch.cuda", public_names(_Cuda)),
        "torch.accelerator": shim_module("torch.accelerator", public_names(_Accelerator)),
        "torch.backends": shim_module("torch.backends"),
        "torch.backends.cudnn": shim_module("torch.backends.cudnn", public_names(_Cudnn)),
        "torch.backends.mps": shim_module("torch.backends.mps", public_names(_Mps)),
        "torchvision": shim_module("torchvision"),
        "torchvision.datasets": shim_module("torchvision.datasets", {
            "MNIST": vision.MNIST, "FashionMNIST": vision.FashionMNIST,
            "ImageFolder": vision.ImageFolder, "FakeData": vision.FakeData}),
        "torchvision.transforms": shim_module("torchvision.transforms", transforms),
        "torchvision.utils": shim_module("torchvision.utils", {
            "make_grid": vision.make_grid, "save_image": vision.save_image}),
    }
    for name, module in modules.items():
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(modules[parent], child, module)
    return modules


def install():
    """Make `import torch` (and torchvision) import minigan's shims from now on, in this
    process, even where PyTorch is installed. Returns the shim modules by name."""
    for name in list(sys.modules):
        if name.partition(".")[0] in SHIMMED_TOP_LEVEL:
            del sys.modules[name]  # a real PyTorch imported earlier is forgotten
    modules = _build_modules()
    sys.modules.update(modules)
    if not any(isinstance(finder, MissingModules) for finder in sys.meta_path):
        sys.meta_path.insert(0, MissingModules(SHIMMED_TOP_LEVEL))
    _name_missing_tensor_attributes()
    return modules


def _name_missing_tensor_attributes():
    """`x.to_sparse()` on a minigan Tensor says "torch.Tensor.to_sparse is not part of
    minigan" instead of a bare AttributeError."""
    if "__getattr__" in vars(minigan.Tensor):
        return

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(f"'Tensor' object has no attribute {name!r}")
        raise NotInMinigan(f"torch.Tensor.{name}")

    minigan.Tensor.__getattr__ = __getattr__


__all__ = ["MAPPED", "ModuleNotInMinigan", "NotInMinigan", "install"]
