"""The layers, with PyTorch's names, arguments, defaults, weight layouts and initialisation."""

from .. import functional as F
from ..backend import pair
from ..creation import zeros
from . import init
from .module import Module, Parameter


def _parameter(*shape):
    return Parameter(zeros(*shape))


def _check_input(layer, x, expected_ndim, axis, expected_size, layout):
    """Raise an error that names the layer, the expected and the actual shape."""
    if x.ndim not in expected_ndim or x.shape[axis] != expected_size:
        raise ValueError(f"{layer!r} expected input of shape {layout}, got {x.shape}")


def _check_dtype(layer, x):
    """No silent float64 drift: the input of a Linear or convolution must have its weight's
    dtype (as in PyTorch)."""
    weight = layer.weight
    if x.dtype != weight.dtype:
        raise TypeError(f"{layer!r} got a {x.dtype} input, but its weights are {weight.dtype}: "
                        f"convert one to match, e.g. x.astype('{weight.dtype}') or "
                        f"model.to('{x.dtype}')")


def _check_sizes(layer_name, **sizes):
    """A one-line ValueError unless every size (an int or a pair of ints) is at least its
    minimum; each is given as name=(value, minimum)."""
    for name, (value, least) in sizes.items():
        values = value if isinstance(value, tuple) else (value,)
        if any(isinstance(v, bool) or not isinstance(v, int) or v < least for v in values):
            rule = "a positive integer" if least else "an integer of 0 or more"
            rule = rule if values is not value else rule + " (each of the pair)"
            raise ValueError(f"{layer_name}: {name} must be {rule}, got {value!r}")


class Identity(Module):
    """Returns its input."""

    def forward(self, x):
        return x


class Linear(Module):
    """y = x W^T + b, W of shape (out_features, in_features)."""

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        _check_sizes("Linear", in_features=(in_features, 1), out_features=(out_features, 1))
        self.in_features, self.out_features = in_features, out_features
        self.weight = _parameter(out_features, in_features)
        self.register_parameter("bias", _parameter(out_features) if bias else None)
        init.default_layer_init_(self.weight, self.bias)

    def forward(self, x):
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(f"{self!r} expected input of shape (..., {self.in_features}), "
                             f"got {x.shape}")
        _check_dtype(self, x)
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class _ConvNd(Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                 bias, weight_shape):
        super().__init__()
        if groups != 1:
            raise NotImplementedError(f"{type(self).__name__}: groups={groups} is not supported; "
                                      "minigan implements groups=1")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = pair(kernel_size, "kernel_size")
        self.stride, self.padding = pair(stride, "stride"), pair(padding, "padding")
        self.dilation = pair(dilation, "dilation")
        _check_sizes(type(self).__name__, in_channels=(in_channels, 1),
                     out_channels=(out_channels, 1), kernel_size=(self.kernel_size, 1),
                     stride=(self.stride, 1), padding=(self.padding, 0),
                     dilation=(self.dilation, 1))
        self.weight = _parameter(*weight_shape, *self.kernel_size)
        self.register_parameter("bias", _parameter(out_channels) if bias else None)
        init.default_layer_init_(self.weight, self.bias)

    def _check(self, x):
        _check_input(self, x, (4,), 1, self.in_channels, f"(N, {self.in_channels}, H, W)")
        _check_dtype(self, x)

    def extra_repr(self):
        text = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}")
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if getattr(self, "output_padding", (0, 0)) != (0, 0):
            text += f", output_padding={self.output_padding}"
        if self.bias is None:
            text += ", bias=False"
        return text


class Conv2d(_ConvNd):
    """2-D convolution; weight (out_channels, in_channels, kh, kw)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, (out_channels, in_channels))

    def forward(self, x):
        self._check(x)
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation)


class ConvTranspose2d(_ConvNd):
    """Transposed convolution (the input gradient of a Conv2d); weight (in_channels,
    out_channels, kh, kw)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, (in_channels, out_channels))
        self.output_padding = pair(output_padding, "output_padding")

    def forward(self, x):
        self._check(x)
        return F.conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.dilation)


class _BatchNorm(Module):
    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True):
        super().__init__()
        _check_sizes(type(self).__name__, num_features=(num_features, 1))
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(init.ones_(zeros(num_features)))
            self.bias = _parameter(num_features)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features))
            self.register_buffer("running_var", init.ones_(zeros(num_features)))
            self.register_buffer("num_batches_tracked", zeros((), dtype="int64"))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def forward(self, x):
        self._check(x)
        use_batch_stats = self.training or not self.track_running_stats
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.array += 1
            if momentum is None:  # a cumulative average, as in PyTorch
                momentum = 1.0 / int(self.num_batches_tracked.item())
        return F.batch_norm(x, self.running_mean if self.track_running_stats else None,
                            self.running_var if self.track_running_stats else None,
                            self.weight, self.bias, use_batch_stats, momentum or 0.0, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) input, per channel C."""

    def _check(self, x):
        _check_input(self, x, (2, 3), 1, self.num_features,
                     f"(N, {self.num_features}) or (N, {self.num_features}, L)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) images, per channel C."""

    def _check(self, x):
        _check_input(self, x, (4,), 1, self.num_features, f"(N, {self.num_features}, H, W)")


class ReLU(Module):
    def __init__(self, inplace=False):
        super().__init__()  # inplace=True computes out of place: the same result

    def forward(self, x):
        return F.relu(x)


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class ELU(Module):
    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return F.elu(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class Sigmoid(Module):
    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    def forward(self, x):
        return F.tanh(x)


class Softplus(Module):
    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class MaxPool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad=True):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.count_include_pad = padding, count_include_pad

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding,
                            self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class Dropout(Module):
    """Zeroes elements with probability p in training, scaling the rest by 1/(1-p)."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout probability must be in [0, 1], got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class Flatten(Module):
    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split axis `dim` into `unflattened_size`: Unflatten(1, (128, 7, 7))."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, x):
        dim = self.dim % x.ndim
        size = 1
        for n in self.unflattened_size:
            size *= n
        if x.shape[dim] != size:
            raise ValueError(f"{self!r} expected axis {dim} of size {size}, got input of shape "
                             f"{x.shape}")
        return x.reshape(x.shape[:dim] + self.unflattened_size + x.shape[dim + 1:])

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Upsample(Module):
    """Nearest-neighbour or bilinear upsampling of (N, C, H, W) images."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None):
        super().__init__()
        self.size, self.scale_factor, self.mode = size, scale_factor, mode
        self.align_corners = align_corners

    def forward(self, x):
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self):
        return (f"size={self.size}" if self.size is not None
                else f"scale_factor={self.scale_factor}") + f", mode={self.mode!r}"


class Embedding(Module):
    """A table of num_embeddings vectors of size embedding_dim, looked up by integer index."""

    def __init__(self, num_embeddings, embedding_dim):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = Parameter(init.normal_(zeros(num_embeddings, embedding_dim)))

    def forward(self, indices):
        return F.embedding(indices, self.weight)

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"
