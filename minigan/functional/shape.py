"""Ops that move elements without changing them: reshape, permute, indexing, concatenate, pad.

Their backwards move the gradient back the same way: a reshape's gradient is reshaped back, an
index's gradient is scattered back (added, since an element can be picked more than once).
"""

from ..tensor import Function, Tensor


class Reshape(Function):
    saves_inputs = False

    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        return x.reshape(self.shape)

    def backward(self, gy):
        return gy.reshape(self.inputs[0].shape)


class Permute(Function):
    saves_inputs = False

    def __init__(self, axes):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        inverse = [0] * len(self.axes)
        for position, axis in enumerate(self.axes):
            inverse[axis] = position
        return gy.permute(*inverse)


def _sizes(sizes):
    if len(sizes) == 1 and not isinstance(sizes[0], int):
        return tuple(sizes[0])
    return tuple(sizes)


def reshape(x, *shape):
    """The same elements in a new shape; one size may be -1."""
    shape = _sizes(shape)
    if x.shape == shape:
        return x
    known = 1
    for n in shape:
        known *= n if n != -1 else 1
    total = x.numel()
    if shape.count(-1) > 1 or (-1 not in shape and known != total) or (
            -1 in shape and (known == 0 or total % known)):
        raise ValueError(f"cannot reshape a tensor of shape {x.shape} ({total} elements) "
                         f"to {shape}")
    return Reshape(shape)(x)


def permute(x, *axes):
    """Reorder the axes: permute(x, 2, 0, 1) takes axis 2 first."""
    axes = tuple(a % x.ndim for a in _sizes(axes))
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(f"permute needs each of the {x.ndim} axes once, got {axes}")
    return Permute(axes)(x)


def transpose(x, dim0=None, dim1=None):
    """PyTorch's transpose: swap two axes; with no arguments reverse all axes (NumPy's .T)."""
    if dim0 is None and dim1 is None:
        return permute(x, *reversed(range(x.ndim)))
    axes = list(range(x.ndim))
    axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
    return permute(x, *axes)


def flatten(x, start_dim=0, end_dim=-1):
    """Merge the axes start_dim..end_dim into one (PyTorch's flatten)."""
    if x.ndim == 0:
        return x.reshape(1)
    start, end = start_dim % x.ndim, end_dim % x.ndim
    merged = 1
    for n in x.shape[start:end + 1]:
        merged *= n
    return reshape(x, x.shape[:start] + (merged,) + x.shape[end + 1:])


def unsqueeze(x, dim):
    """Insert an axis of size 1 at `dim`."""
    dim = dim % (x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


def squeeze(x, dim=None):
    """Drop axes of size 1 (only `dim`, if given)."""
    if dim is None:
        return reshape(x, tuple(n for n in x.shape if n != 1))
    dim = dim % x.ndim
    if x.shape[dim] != 1:
        return x
    return reshape(x, x.shape[:dim] + x.shape[dim + 1:])


# -- indexing ---------------------------------------------------------------------------------
def _index_arrays(index, xp):
    """Tensors in an index become arrays; boolean masks become integer arrays."""
    items = index if isinstance(index, tuple) else (index,)
    converted = []
    for item in items:
        if isinstance(item, Tensor):
            item = item.array
        elif isinstance(item, list):
            item = xp.asarray(item)
        if hasattr(item, "dtype") and item.dtype == bool:
            converted.extend(item.nonzero())
        else:
            converted.append(item)
    return tuple(converted)


def _is_basic(index):
    return all(item is None or item is Ellipsis or isinstance(item, (int, slice))
               for item in index)


class GetItem(Function):
    saves_inputs = False

    def __init__(self, index):
        self.index = index

    def forward(self, x):
        if _is_basic(self.index) and Ellipsis not in self.index:
            return x[self.index + (Ellipsis,)]  # a view even of one element, as in PyTorch
        return x[self.index]

    def backward(self, gy):
        # picking is linear: its gradient puts gy back where the elements came from
        return GetItemGrad(self.index, self.inputs[0].shape)(gy)


class GetItemGrad(Function):
    """Scatter-add `gy` into zeros of `shape` at `index`: the adjoint of x[index]."""
    saves_inputs = False


    def __init__(self, index, shape):
        self.index, self.shape = index, shape

    def forward(self, gy):
        gx = self.xp.zeros(self.shape, dtype=gy.dtype)
        if _is_basic(self.index):
            gx[self.index] = gy  # a basic index picks each element at most once
        else:
            self.backend.scatter_add(gx, self.index, gy)
        return gx

    def backward(self, ggx):
        return ggx[self.index]


def getitem(x, index):
    """x[index]: ints, slices, None, Ellipsis, integer arrays and boolean masks."""
    return GetItem(_index_arrays(index, x.backend.xp))(x)


class Concatenate(Function):
    saves_inputs = False

    def __init__(self, axis):
        self.axis = axis

    def forward(self, *xs):
        return self.xp.concatenate(xs, axis=self.axis)

    def backward(self, gy):
        # each input gets back its own slice of the gradient
        grads, start = [], 0
        for x in self.inputs:
            stop = start + x.shape[self.axis]
            index = (slice(None),) * self.axis + (slice(start, stop),)
            grads.append(gy[index])
            start = stop
        return tuple(grads)


def concatenate(tensors, axis=0, *, dim=None):
    """Join tensors along an existing axis (torch.cat)."""
    axis = dim if dim is not None else axis
    tensors = list(tensors)
    ndim = tensors[0].ndim
    axis = axis % ndim
    for i, t in enumerate(tensors):
        if t.ndim != ndim or t.shape[:axis] + t.shape[axis + 1:] != \
                tensors[0].shape[:axis] + tensors[0].shape[axis + 1:]:
            raise ValueError(f"concatenate along axis {axis}: tensor {i} has shape {t.shape}, "
                             f"which does not match tensor 0's {tensors[0].shape} off that axis")
    return Concatenate(axis)(*tensors)


cat = concatenate


def stack(tensors, axis=0, *, dim=None):
    """Join tensors of one shape along a new axis."""
    axis = dim if dim is not None else axis
    tensors = list(tensors)
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack needs tensors of one shape: tensor {i} has {t.shape}, "
                             f"tensor 0 has {tensors[0].shape}")
    return concatenate([unsqueeze(t, axis) for t in tensors], axis=axis % (tensors[0].ndim + 1))


class Pad(Function):
    saves_inputs = False

    def __init__(self, widths, value):
        self.widths, self.value = widths, value

    def forward(self, x):
        return self.xp.pad(x, self.widths, constant_values=self.value)

    def backward(self, gy):
        # the padding is constant: only the original region has a gradient
        return gy[tuple(slice(before, before + n)
                        for (before, _), n in zip(self.widths, self.inputs[0].shape))]


def pad(x, pad, value=0.0):
    """Constant padding. `pad` is PyTorch's flat form (last axis first: (left, right, top,
    bottom, ...)) or NumPy's pairs, one (before, after) per axis."""
    pad = list(pad)
    if pad and isinstance(pad[0], int):
        if len(pad) % 2 or len(pad) // 2 > x.ndim:
            raise ValueError(f"pad needs an even number of sizes, at most 2 per axis of the "
                             f"{x.ndim}-d input, got {tuple(pad)}")
        pairs = [(pad[i], pad[i + 1]) for i in range(0, len(pad), 2)]
        widths = [(0, 0)] * (x.ndim - len(pairs)) + pairs[::-1]
    else:
        widths = [tuple(p) for p in pad]
        if len(widths) != x.ndim:
            raise ValueError(f"pad needs one (before, after) pair per axis: {x.ndim}, "
                             f"got {len(widths)}")
    if any(n < 0 for pair in widths for n in pair):
        raise ValueError(f"pad sizes must be >= 0, got {widths}")
    return Pad(tuple(widths), value)(x)
