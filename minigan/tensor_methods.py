"""PyTorch's ways of asking a Tensor what it is: `size()`, `numel()`, `dim()`, `.data`,
`.device`, `float(t)`, `f"{t:.4f}"`, as a mixin of Tensor (tensor.py); and the version
counter's checks, which the autograd core calls. Kept apart so that the core stays short; it
needs no op, only the backend.

The version counter: every storage has one (a one-element list shared by the Tensors on it:
`detach()`, `.data`, views made by ops), and each in-place write adds 1. A recorded op notes
its inputs' versions; before its backward runs, an input it reads (`saves_inputs`) or its
output (read through `Function.output`) must still be at that version, else backward raises,
naming the op, instead of computing a gradient from overwritten values.
"""

from . import backend


class Size(tuple):
    """A shape, as torch.Size: a tuple of ints that also knows its element count."""

    def numel(self):
        count = 1
        for n in self:
            count *= n
        return count

    def __repr__(self):
        return f"minigan.Size({list(self)})"

    def __getitem__(self, index):
        item = tuple.__getitem__(self, index)
        return Size(item) if isinstance(index, slice) else item


class TensorMethods:
    """Size, element count, storage and conversions to Python numbers."""

    __slots__ = ()

    # -- shape --------------------------------------------------------------------------------
    def size(self, dim=None):
        """The shape as a Size (PyTorch's size()); size(dim) is the length of one axis."""
        if dim is None:
            return Size(self.array.shape)
        return self.array.shape[dim]

    def numel(self):
        """The number of elements."""
        return int(self.array.size)

    nelement = numel

    def dim(self):
        """The number of axes."""
        return self.array.ndim

    ndimension = dim

    # -- storage ------------------------------------------------------------------------------
    @property
    def data(self):
        """PyTorch's `.data`: a Tensor on the same storage, outside the graph.

        Writing into it (`p.data.clamp_(-c, c)`) changes this tensor, is never recorded, and
        counts as a write (a gradient that needed the old values raises, never goes wrong);
        `p.data = other` points this tensor at other's storage.
        """
        return self.detach()

    @data.setter
    def data(self, value):
        array = value.array if isinstance(value, TensorMethods) else value
        backend.of(array)  # raises TypeError for anything that is not a backend array
        if array is self.array:
            return  # `p.data -= x` writes in place, then assigns p.data to itself
        self.array = array
        # a new counter, one ahead: a graph that saved the old storage sees a write
        self._version_counter = [self._version_counter[0] + 1]

    @property
    def _version(self):
        """How many in-place writes this tensor's storage has had."""
        return self._version_counter[0]

    # -- Python numbers -----------------------------------------------------------------------
    def _one_value(self, what):
        if self.array.size != 1:
            raise ValueError(f"{what} needs a tensor with one element, got shape "
                             f"{tuple(self.array.shape)}")
        return self.array.item()

    def __float__(self):
        return float(self._one_value("float(tensor)"))

    def __int__(self):
        return int(self._one_value("int(tensor)"))

    def __index__(self):
        if self.array.dtype.kind not in "iub":
            raise TypeError(f"only integer tensors can be used as an index, got {self.dtype}")
        return int(self._one_value("an index"))

    def __format__(self, spec):
        if self.array.size == 1 and spec:
            return format(self.array.item(), spec)
        return format(repr(self), spec)



# -- the version counter's checks (called by tensor.Function) --------------------------------
def storage(array):
    """The array that owns `array`'s memory (itself, or the base of a view)."""
    return array if array.base is None else array.base


def share_view_versions(inputs, output):
    """An output that is a view of an input (reshape, x[0], transpose) shares its counter: a
    write through either is a write to both, as in PyTorch."""
    if output.array.base is not None:
        owner = storage(output.array)
        for x in inputs:
            if storage(x.array) is owner:
                output._version_counter = x._version_counter
                return


def record_versions(function, inputs):
    """Note the inputs' versions when `function` is recorded, and that they were read."""
    versions = []
    for x in inputs:
        versions.append(x._version_counter[0])
        x._uses += 1
    function.input_versions = versions


def check_saved_inputs(function):
    """Raise if an input whose values function's backward reads was written in place since."""
    if function.saves_inputs:
        for i, (x, version) in enumerate(zip(function.inputs, function.input_versions)):
            if x._version_counter[0] != version:
                raise _modified_error(function, f"its input {i}", version, x._version_counter[0])


def check_output_version(function, output):
    """`output`, after checking that it was not written in place since `function` made it."""
    if output is not None and output._version_counter[0] != function.output_version:
        raise _modified_error(function, "its output", function.output_version,
                              output._version_counter[0])
    return output


def _modified_error(function, what, expected, found):
    return RuntimeError(
        f"one of the tensors needed for the gradient of {function!r} ({what}) has been modified "
        f"by an in-place operation: it is at version {found}; expected version {expected}. "
        "Compute with a copy (x.clone()) or write x = x + ... instead of the in-place op")
