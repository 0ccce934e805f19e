"""What the benchmark measures: the layers of DCGAN-28 and DCGAN-64 at batch 64, with the
floating-point work (FLOPs) of each, counted as 2 per multiply-add."""

import os
from dataclasses import dataclass, field

# 64 unless MINIGAN_BENCHMARK_BATCH says otherwise (gpu_check's simulated run scales it down)
BATCH = int(os.environ.get("MINIGAN_BENCHMARK_BATCH", "64"))


@dataclass
class Layer:
    """One layer at one input shape; `kind` picks the module in each framework."""

    name: str
    kind: str  # linear, conv, conv_transpose, batch_norm, relu, leaky_relu, tanh, sigmoid
    input_shape: tuple
    arguments: tuple = ()
    model: str = "dcgan28"
    flops: float = 0.0  # forward; forward+backward is counted as 3x for layers with weights
    quick: bool = True


def _conv_flops(input_shape, out_channels, kernel, stride, padding):
    N, C, H, W = input_shape
    OH = (H + 2 * padding - kernel) // stride + 1
    OW = (W + 2 * padding - kernel) // stride + 1
    return 2.0 * N * OH * OW * out_channels * C * kernel * kernel


def _conv_transpose_flops(input_shape, out_channels, kernel):
    N, C, H, W = input_shape
    return 2.0 * N * H * W * C * out_channels * kernel * kernel


def layers():
    """The per-layer cases: every distinct layer of DCGAN-28 and the big ones of DCGAN-64."""
    b = BATCH
    return [
        Layer("Linear(100, 6272)", "linear", (b, 100), (100, 6272), flops=2.0 * b * 100 * 6272),
        Layer("Conv2d(1, 64, 4, 2, 1)", "conv", (b, 1, 28, 28), (1, 64, 4, 2, 1),
              flops=_conv_flops((b, 1, 28, 28), 64, 4, 2, 1)),
        Layer("Conv2d(64, 128, 4, 2, 1)", "conv", (b, 64, 14, 14), (64, 128, 4, 2, 1),
              flops=_conv_flops((b, 64, 14, 14), 128, 4, 2, 1)),
        Layer("ConvTranspose2d(128, 64, 4, 2, 1)", "conv_transpose", (b, 128, 7, 7),
              (128, 64, 4, 2, 1), flops=_conv_transpose_flops((b, 128, 7, 7), 64, 4)),
        Layer("ConvTranspose2d(64, 1, 4, 2, 1)", "conv_transpose", (b, 64, 14, 14),
              (64, 1, 4, 2, 1), flops=_conv_transpose_flops((b, 64, 14, 14), 1, 4)),
        Layer("BatchNorm2d(64)", "batch_norm", (b, 64, 14, 14), (64,)),
        Layer("BatchNorm2d(128)", "batch_norm", (b, 128, 7, 7), (128,)),
        Layer("ReLU", "relu", (b, 64, 14, 14)),
        Layer("LeakyReLU(0.2)", "leaky_relu", (b, 64, 14, 14), (0.2,)),
        Layer("Tanh", "tanh", (b, 1, 28, 28)),
        Layer("Sigmoid", "sigmoid", (b, 64, 14, 14)),
        Layer("Conv2d(128, 256, 4, 2, 1)", "conv", (b, 128, 16, 16), (128, 256, 4, 2, 1),
              model="dcgan64", flops=_conv_flops((b, 128, 16, 16), 256, 4, 2, 1), quick=False),
        Layer("ConvTranspose2d(256, 128, 4, 2, 1)", "conv_transpose", (b, 256, 8, 8),
              (256, 128, 4, 2, 1), model="dcgan64",
              flops=_conv_transpose_flops((b, 256, 8, 8), 128, 4), quick=False),
        Layer("BatchNorm2d(128) @64", "batch_norm", (b, 128, 16, 16), (128,), model="dcgan64",
              quick=False),
    ]


@dataclass
class Kernel:
    name: str
    input_shape: tuple  # the image batch (N, C, H, W)
    kernel: int = 4
    stride: int = 2
    padding: int = 1
    quick: bool = True


def kernels():
    return [Kernel("dcgan28 D conv2", (BATCH, 64, 14, 14)),
            Kernel("dcgan64 D conv3", (BATCH, 128, 16, 16), quick=False)]


@dataclass
class Step:
    """One full training step: a discriminator update (real and fake batches) and a
    generator update, both with Adam, as minigan's Trainer does them."""

    name: str
    image_size: int
    channels: int
    quick: bool = True
    extra: dict = field(default_factory=dict)


def steps():
    return [Step("DCGAN-28 step", 28, 1), Step("DCGAN-64 step", 64, 3, quick=False)]


GEMM_SHAPE = (2048, 2048, 2048)  # the float32 matrix product that sets each device's ceiling
