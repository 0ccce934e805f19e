"""minigan.nn: Module, Parameter and the layers, with PyTorch's names and weight layouts."""

from . import init, utils
from .activation import GELU, Hardtanh, LogSoftmax, PReLU, ReLU6, SiLU, Softmax
from .containers import ModuleDict
from .layers import (ELU, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, ConvTranspose2d, Dropout,
                     Embedding, Flatten, Identity, LeakyReLU, Linear, MaxPool2d, ReLU, Sigmoid,
                     Softplus, Tanh, Unflatten, Upsample)
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss,
                   SmoothL1Loss)
from .module import Module, ModuleList, Parameter, Sequential
from .normalization import GroupNorm, InstanceNorm2d, LayerNorm
from .resampling import (AdaptiveAvgPool2d, ConstantPad2d, Dropout2d, PixelShuffle,
                         ReflectionPad2d, ReplicationPad2d, ZeroPad2d)

__all__ = [
    "AdaptiveAvgPool2d", "AvgPool2d", "BCELoss", "BCEWithLogitsLoss", "BatchNorm1d",
    "BatchNorm2d", "ConstantPad2d", "Conv2d", "ConvTranspose2d", "CrossEntropyLoss", "Dropout",
    "Dropout2d", "ELU", "Embedding", "Flatten", "GELU", "GroupNorm", "Hardtanh", "Identity",
    "InstanceNorm2d", "L1Loss", "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "MSELoss",
    "MaxPool2d", "Module", "ModuleDict", "ModuleList", "NLLLoss", "PReLU", "Parameter",
    "PixelShuffle", "ReLU", "ReLU6", "ReflectionPad2d", "ReplicationPad2d", "Sequential",
    "SiLU", "Sigmoid", "SmoothL1Loss", "Softmax", "Softplus", "Tanh", "Unflatten", "Upsample",
    "ZeroPad2d", "init", "utils",
]
