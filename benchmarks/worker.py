"""One framework's measurements, in a process of its own: python -m benchmarks.worker.

Prints one JSON object per line: {"case", "framework", "times" (seconds per call), ...}.
Frameworks: minigan-numpy, minigan-cupy, torch-cpu, torch-cuda, dezero-style.
"""

import argparse
import json
import resource
import sys
import time

from . import cases

STARTED = time.perf_counter()


# -- the frameworks ---------------------------------------------------------------------------
class Minigan:
    """minigan on one backend."""

    def __init__(self, backend_name):
        import minigan as mg

        self.mg, self.backend_name = mg, backend_name
        mg.set_default_backend(backend_name)
        self.device = mg.backend.get(backend_name)

    def sync(self):
        self.device.synchronize()

    def randn(self, *shape, requires_grad=False):
        return self.mg.randn(*shape, requires_grad=requires_grad)

    def ones_like(self, x):
        return self.mg.ones_like(x)

    def no_grad(self):
        return self.mg.no_grad()

    def layer(self, spec):
        nn = self.mg.nn
        return _make_layer(nn, spec).to(self.backend_name)

    def clear_grads(self, module, x):
        module.zero_grad()
        x.grad = None

    def gemm(self, shape):
        m, k, n = shape
        xp = self.device.xp
        a = xp.asarray(self.device.randn((m, k), "float32"))
        b = xp.asarray(self.device.randn((k, n), "float32"))
        return lambda: a @ b

    def models(self, image_size, channels):
        from minigan.gan import models

        G = models.DCGANGenerator(100, image_size, channels, 64).to(self.backend_name)
        D = models.DCGANDiscriminator(image_size, channels, 64).to(self.backend_name)
        return G, D

    def optimizer(self, module):
        return self.mg.optim.Adam(module.parameters(), lr=2e-4, betas=(0.5, 0.999))

    def log_sigmoid(self, x):
        return self.mg.F.log_sigmoid(x)

    def detach(self, x):
        return x.detach()

    def requires_grad(self, module, flag):
        module.requires_grad_(flag)

    def uniform_images(self, shape):
        return self.mg.rand(*shape) * 2 - 1


class Torch:
    """PyTorch on the CPU or on CUDA."""

    def __init__(self, device):
        import torch

        self.torch, self.device = torch, device
        if device == "cuda" and not torch.cuda.is_available():
            raise SystemExit("torch-cuda: PyTorch sees no CUDA device")

    def sync(self):
        if self.device == "cuda":
            self.torch.cuda.synchronize()

    def randn(self, *shape, requires_grad=False):
        return self.torch.randn(*shape, device=self.device, requires_grad=requires_grad)

    def ones_like(self, x):
        return self.torch.ones_like(x)

    def no_grad(self):
        return self.torch.no_grad()

    def layer(self, spec):
        return _make_layer(self.torch.nn, spec).to(self.device)

    def clear_grads(self, module, x):
        module.zero_grad(set_to_none=True)
        x.grad = None

    def gemm(self, shape):
        m, k, n = shape
        a, b = self.randn(m, k), self.randn(k, n)
        return lambda: a @ b

    def models(self, image_size, channels):
        """The same architectures as minigan's, converted layer by layer."""
        from minigan.gan import models

        nn = self.torch.nn
        G = models.DCGANGenerator(100, image_size, channels, 64)
        D = models.DCGANDiscriminator(image_size, channels, 64)
        generator = nn.Sequential(nn.Unflatten(1, (100, 1, 1)), _to_torch(nn, G.main))
        return generator.to(self.device), _to_torch(nn, D.main).to(self.device)

    def optimizer(self, module):
        return self.torch.optim.Adam(module.parameters(), lr=2e-4, betas=(0.5, 0.999))

    def log_sigmoid(self, x):
        return self.torch.nn.functional.logsigmoid(x)

    def detach(self, x):
        return x.detach()

    def requires_grad(self, module, flag):
        module.requires_grad_(flag)

    def uniform_images(self, shape):
        return self.torch.rand(*shape, device=self.device) * 2 - 1


def _make_layer(nn, spec):
    kind, arguments = spec.kind, spec.arguments
    if kind == "linear":
        return nn.Linear(*arguments)
    if kind == "conv":
        return nn.Conv2d(*arguments)
    if kind == "conv_transpose":
        return nn.ConvTranspose2d(*arguments)
    if kind == "batch_norm":
        return nn.BatchNorm2d(*arguments)
    if kind == "leaky_relu":
        return nn.LeakyReLU(*arguments)
    return {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[kind]()


def _to_torch(nn, module):
    """A torch copy of a minigan Sequential of standard layers (same arguments)."""
    converted = []
    for layer in module:
        name = type(layer).__name__
        if name == "Conv2d":
            converted.append(nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                                       layer.stride, layer.padding, bias=layer.bias is not None))
        elif name == "ConvTranspose2d":
            converted.append(nn.ConvTranspose2d(layer.in_channels, layer.out_channels,
                                                layer.kernel_size, layer.stride, layer.padding,
                                                bias=layer.bias is not None))
        elif name == "BatchNorm2d":
            converted.append(nn.BatchNorm2d(layer.num_features))
        elif name == "LeakyReLU":
            converted.append(nn.LeakyReLU(layer.negative_slope))
        elif name == "Flatten":
            converted.append(nn.Flatten(layer.start_dim, layer.end_dim))
        else:
            converted.append(getattr(nn, name)())
    return nn.Sequential(*converted)


# -- measuring --------------------------------------------------------------------------------
def measure(function, sync, min_repeats=5, min_seconds=0.3, max_repeats=200, warmup=2):
    """Seconds per call: `warmup` calls first, then repeats until both minimums are met;
    the device is synchronised around every call."""
    for _ in range(warmup):
        function()
    sync()
    times = []
    started = time.perf_counter()
    while len(times) < min_repeats or (time.perf_counter() - started < min_seconds
                                       and len(times) < max_repeats):
        sync()
        t = time.perf_counter()
        function()
        sync()
        times.append(time.perf_counter() - t)
    return times


def emit(record):
    print(json.dumps(record), flush=True)


def layer_cases(fw, name, quick):
    for spec in cases.layers():
        if quick and not spec.quick:
            continue
        layer = fw.layer(spec)
        x = fw.randn(*spec.input_shape, requires_grad=True)
        with fw.no_grad():
            gradient = fw.ones_like(layer(x))

        def forward():
            with fw.no_grad():
                layer(x)

        def forward_backward():
            fw.clear_grads(layer, x)
            layer(x).backward(gradient)

        for kind, function, flops in (("forward", forward, spec.flops),
                                      ("forward+backward", forward_backward, 3 * spec.flops)):
            emit({"case": f"{spec.name} {kind}", "group": "layer", "model": spec.model,
                  "framework": name, "times": measure(function, fw.sync), "flops": flops})


def dezero_cases(quick):
    """The DeZero-design convolution on the conv layers (forward+backward)."""
    import numpy as np

    from .dezero_style import Conv2d

    rng = np.random.default_rng(0)
    for spec in cases.layers():
        if spec.kind != "conv" or (quick and not spec.quick):
            continue
        c_in, c_out, kernel, stride, padding = spec.arguments
        layer = Conv2d(rng.standard_normal((c_out, c_in, kernel, kernel), dtype=np.float32),
                       np.zeros(c_out, np.float32), stride, padding)
        x = rng.standard_normal(spec.input_shape, dtype=np.float32)
        gradient = np.ones_like(layer.forward(x))
        emit({"case": f"{spec.name} forward", "group": "layer", "model": spec.model,
              "framework": "dezero-style", "times": measure(lambda: layer.forward(x), _nothing),
              "flops": spec.flops})
        def forward_backward(layer=layer, x=x, gradient=gradient):
            layer.forward(x)
            layer.backward(gradient)

        emit({"case": f"{spec.name} forward+backward", "group": "layer", "model": spec.model,
              "framework": "dezero-style", "times": measure(forward_backward, _nothing),
              "flops": 3 * spec.flops})


def _nothing():
    pass


def kernel_cases(fw, name, quick):
    """im2col and col2im: the reference (array indexing) and the fast kernel of the backend."""
    device = fw.device
    for spec in cases.kernels():
        if quick and not spec.quick:
            continue
        x = device.randn(spec.input_shape, "float32")
        geometry = ((spec.stride,) * 2, (spec.padding,) * 2, (1, 1))
        col = device.im2col(x, spec.kernel, spec.kernel, *geometry)
        fast = "numba" if name == "minigan-numpy" else "cuda"
        for label, function in (
                (f"im2col reference {spec.name}",
                 lambda: device.im2col_reference(x, spec.kernel, spec.kernel, *geometry)),
                (f"im2col {fast} {spec.name}",
                 lambda: device.im2col(x, spec.kernel, spec.kernel, *geometry)),
                (f"col2im reference {spec.name}",
                 lambda: device.col2im_reference(col, x.shape, *geometry)),
                (f"col2im {fast} {spec.name}", lambda: device.col2im(col, x.shape, *geometry))):
            emit({"case": label, "group": "kernel", "framework": name,
                  "times": measure(function, fw.sync, min_repeats=3)})


def gemm_case(fw, name):
    m, k, n = cases.GEMM_SHAPE
    emit({"case": f"GEMM {m}x{k}x{n} float32", "group": "gemm", "framework": name,
          "times": measure(fw.gemm(cases.GEMM_SHAPE), fw.sync, min_repeats=5),
          "flops": 2.0 * m * k * n})


def training_step(fw, image_size, channels):
    """One D update on a real and a fake batch, then one G update: the Trainer's step."""
    G, D = fw.models(image_size, channels)
    opt_g, opt_d = fw.optimizer(G), fw.optimizer(D)
    real = fw.uniform_images((cases.BATCH, channels, image_size, image_size))

    def step():
        fake = G(fw.randn(cases.BATCH, 100))
        d_loss = -(fw.log_sigmoid(D(real)).mean() + fw.log_sigmoid(-D(fw.detach(fake))).mean())
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        fw.requires_grad(D, False)
        g_loss = -fw.log_sigmoid(D(fake)).mean()
        opt_g.zero_grad()
        g_loss.backward()
        fw.requires_grad(D, True)
        opt_g.step()

    return step


def count_step_flops(step):
    """The FLOPs of one minigan training step: every matrix product it runs, counted from
    the shapes its convolution, linear and matmul ops see."""
    from minigan.functional import arithmetic, conv, layers

    counted = [0.0]
    patches = []

    def patch(cls, flops_of):
        original = cls.forward

        def counting(self, *arrays):
            result = original(self, *arrays)
            counted[0] += flops_of(arrays, result)
            return result

        cls.forward = counting
        patches.append((cls, original))

    def size(shape):
        total = 1
        for n in shape:
            total *= n
        return total

    patch(conv.Conv2d, lambda a, y: 2.0 * size(y.shape) * size(a[1].shape[1:]))
    patch(conv.ConvTranspose2d, lambda a, y: 2.0 * size(a[0].shape) * size(a[1].shape[1:]))
    patch(conv.Conv2dWeightGrad, lambda a, y: 2.0 * size(a[1].shape) * size(y.shape[1:]))
    patch(layers.Linear, lambda a, y: 2.0 * size(y.shape) * a[1].shape[1])
    patch(arithmetic.MatMul, lambda a, y: 2.0 * size(y.shape) * a[0].shape[-1])
    try:
        step()
    finally:
        for cls, original in patches:
            cls.forward = original
    return counted[0]


def step_cases(fw, name, quick):
    for spec in cases.steps():
        if quick and not spec.quick:
            continue
        step = training_step(fw, spec.image_size, spec.channels)
        flops = count_step_flops(step) if name.startswith("minigan") else None
        emit({"case": spec.name, "group": "step", "framework": name, "flops": flops,
              "times": measure(step, fw.sync, min_repeats=5 if not quick else 3,
                               min_seconds=2.0, max_repeats=30)})


def memory_case(fw, name):
    """Peak resident memory of a process that runs DCGAN-28 training steps."""
    step = training_step(fw, 28, 1)
    for _ in range(5):
        step()
    fw.sync()
    record = {"case": "DCGAN-28 peak memory", "group": "memory", "framework": name,
              "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    if name == "torch-cuda":
        record["peak_device_mib"] = fw.torch.cuda.max_memory_allocated() / 2**20
    if name == "minigan-cupy":
        record["peak_device_mib"] = fw.device.xp.get_default_memory_pool().total_bytes() / 2**20
    emit(record)


def first_step_case(fw, name):
    """Import, build DCGAN-28 and take one training step, as a user's first run does."""
    training_step(fw, 28, 1)()
    fw.sync()
    emit({"case": "import to first DCGAN-28 step", "group": "startup", "framework": name,
          "seconds_in_process": time.perf_counter() - STARTED})


def framework(name):
    if name == "minigan-numpy":
        return Minigan("numpy")
    if name == "minigan-cupy":
        return Minigan("cupy")
    if name == "torch-cpu":
        return Torch("cpu")
    if name == "torch-cuda":
        return Torch("cuda")
    raise SystemExit(f"unknown framework {name!r}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker")
    parser.add_argument("framework")
    parser.add_argument("--what", default="layers,kernels,gemm,steps",
                        help="comma-separated: layers, kernels, gemm, steps, memory, first-step")
    parser.add_argument("--quick", action="store_true")
    arguments = parser.parse_args(argv)
    what = set(arguments.what.split(","))
    if arguments.framework == "dezero-style":
        dezero_cases(arguments.quick)
        return 0
    fw = framework(arguments.framework)
    if "first-step" in what:
        first_step_case(fw, arguments.framework)
    if "memory" in what:
        memory_case(fw, arguments.framework)
    if "gemm" in what:
        gemm_case(fw, arguments.framework)
    if "layers" in what:
        layer_cases(fw, arguments.framework, arguments.quick)
    if "kernels" in what and arguments.framework.startswith("minigan"):
        kernel_cases(fw, arguments.framework, arguments.quick)
    if "steps" in what:
        step_cases(fw, arguments.framework, arguments.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
