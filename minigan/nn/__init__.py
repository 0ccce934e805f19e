"""minigan.nn: Module, Parameter and the layers, with PyTorch's names and weight layouts."""

from . import init, utils
from .layers import (ELU, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, ConvTranspose2d, Dropout,
                     Embedding, Flatten, Identity, LeakyReLU, Linear, MaxPool2d, ReLU, Sigmoid,
                     Softplus, Tanh, Unflatten, Upsample)
from .module import Module, ModuleList, Parameter, Sequential

__all__ = [
    "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Conv2d", "ConvTranspose2d", "Dropout", "ELU",
    "Embedding", "Flatten", "Identity", "LeakyReLU", "Linear", "MaxPool2d", "Module",
    "ModuleList", "Parameter", "ReLU", "Sequential", "Sigmoid", "Softplus", "Tanh", "Unflatten",
    "Upsample", "init", "utils",
]
