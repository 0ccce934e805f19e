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

    def swap_leading_axes(self, a):
        """a.swapaxes(0, 1) as a new contiguous array: (O, N, H, W) <-> (N, O, H, W)."""
        return self.xp.ascontiguousarray(a.swapaxes(0, 1))

    def im2col_reference(self, x, kh, kw, stride, padding, dilation):
        return reference.im2col_reference(self.xp, x, kh, kw, stride, padding, dilation)

    def col2im_reference(self, col, x_shape, stride, padding, dilation):
        return reference.col2im_reference(self.xp, self.scatter_add, col, x_shape, stride,
                                          padding, dilation)
