"""What every backend shares. A backend knows its array module (`xp`), its kernels, its random
generator, how to move arrays to and from the host (`asarray`, `to_host`: the only two ways
across), and how to wait for the device. numpy_backend.py and cupy_backend.py are the two."""

from . import reference


class BackendUnavailable(RuntimeError):
    """A backend was asked for that cannot run on this machine."""


class Backend:
    """What every backend shares. Subclasses set `name`, `xp`, `array_type` and `_kernels`, and
    define `to_host(array)`, `synchronize()`, `rng_state()`, `set_rng_state(state)`, `im2col`
    and `col2im`."""

    name = ""

    def __repr__(self):
        return f"<minigan backend {self.name!r}>"

    def __str__(self):
        return self.name

    def __eq__(self, other):
        """A backend equals itself and its name, as a dtype does: `x.backend == "numpy"`."""
        return other == self.name if isinstance(other, str) else other is self

    def __hash__(self):
        return hash(self.name)

    # -- moving arrays ------------------------------------------------------------------------
    def asarray(self, data, dtype=None):
        """`data` (a host array, a list, a number) as an array of this backend."""
        return self.xp.asarray(data, dtype=dtype)

    # -- random numbers -----------------------------------------------------------------------
    def seed(self, seed):
        self.rng = self.xp.random.default_rng(seed)

    def randn(self, shape, dtype):
        return self.rng.standard_normal(shape, dtype=dtype)

    def rand(self, shape, dtype):
        return self.rng.random(shape, dtype=dtype)

    def randint(self, low, high, shape):
        return self.rng.integers(low, high, size=shape)

    def permutation(self, n):
        return self.rng.permutation(n)

    # -- kernels ------------------------------------------------------------------------------
    def scatter_add(self, target, index, values):
        """target[index] += values, summing repeated indices (np.add.at)."""
        self.xp.add.at(target, index, values)

    # -- fused elementwise ops: plain array math here (CuPy, and the tests' reference); the
    # NumPy backend overrides them with one-pass Numba kernels --------------------------------
    def leaky_relu(self, x, slope):
        """x for x > 0, else slope * x."""
        return self.xp.where(x > 0, x, x * x.dtype.type(slope))

    def leaky_relu_grad(self, x, gy, slope):
        """gy where x > 0, else slope * gy."""
        return self.xp.where(x > 0, gy, gy * gy.dtype.type(slope))

    def sigmoid(self, x):
        """1 / (1 + e^-x) as e^min(x,0) / (1 + e^-|x|): exp never overflows, no branch."""
        xp = self.xp
        return xp.exp(xp.minimum(x, 0)) / (1 + xp.exp(-xp.abs(x)))

    def batch_norm_forward(self, x, weight, bias, eps):
        """Batch norm with the batch's statistics over every axis but 1: (y, mean, biased
        variance)."""
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        mean, var = x.mean(axis=axes, dtype="float64"), x.var(axis=axes, dtype="float64")
        scale = weight / self.xp.sqrt(var + eps)  # float64 statistics, as the CPU kernel's
        shift = bias - mean * scale
        return (x * scale.astype(x.dtype).reshape(shape) + shift.astype(x.dtype).reshape(shape),
                mean, var)

    def batch_norm_backward(self, gy, x, mean, var, weight, eps):
        """(gx, gw, gb): gx = w invstd (gy - mean(gy) - xhat mean(gy xhat))."""
        axes = (0,) + tuple(range(2, x.ndim))
        shape = (1, -1) + (1,) * (x.ndim - 2)
        invstd = (1 / self.xp.sqrt(var + eps)).astype(x.dtype)
        xhat = (x - mean.astype(x.dtype).reshape(shape)) * invstd.reshape(shape)
        gb, gw = gy.sum(axis=axes), (gy * xhat).sum(axis=axes)
        count = x.size // x.shape[1]
        gx = (weight * invstd).reshape(shape) * (
            gy - (gb / count).reshape(shape) - xhat * (gw / count).reshape(shape))
        return gx, gw, gb

    def im2col_reference(self, x, kh, kw, stride, padding, dilation):
        return reference.im2col_reference(self.xp, x, kh, kw, stride, padding, dilation)

    def col2im_reference(self, col, x_shape, stride, padding, dilation):
        return reference.col2im_reference(self.xp, self.scatter_add, col, x_shape, stride,
                                          padding, dilation)
