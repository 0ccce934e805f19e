"""PyTorch's Tensor methods that are compositions of ops: clone, repeat, chunk, split, norm, std,
the dtype conversions (`.float()`, `.long()`, `.type(...)`), `view_as`, `expand_as`, `t()`.

Each is written with differentiable ops, so its gradient and second derivative come from theirs.
"""

import builtins

from ..creation import full, tensor
from ..tensor import Function, Tensor
from .arithmetic import add, div, expand, matmul, mul, neg, sub
from .elementwise import astype, eq, ge, gt, le, lt, maximum, minimum, ne, where
from .reductions import _axis_args, _normalize_axes, var
from .shape import reshape, transpose


class Copy(Function):
    """A new tensor with x's values and its own storage."""

    saves_inputs = False

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        # d/dx x = 1
        return gy


def clone(x):
    """A copy of x with its own storage; the gradient flows back to x."""
    return Copy()(x)


def contiguous(x):
    """x itself: minigan's ops accept any memory layout."""
    return x


def t(x):
    """The transpose of a matrix (a 0-d or 1-d tensor is returned as it is)."""
    if x.ndim > 2:
        raise ValueError(f"t() expects a tensor of at most 2 dimensions, got shape {x.shape}; "
                         "use transpose(dim0, dim1) or permute")
    return transpose(x) if x.ndim == 2 else x


def flip(x, dims):
    """x with the order of its elements reversed along `dims` (an int or a tuple)."""
    dims = {d % x.ndim for d in ((dims,) if isinstance(dims, int) else dims)}
    return x[tuple(slice(None, None, -1) if axis in dims else slice(None)
                   for axis in range(x.ndim))]


def view_as(x, other):
    """x reshaped to other's shape."""
    return reshape(x, other.shape)


def expand_as(x, other):
    """x broadcast to other's shape."""
    return expand(x, other.shape)


def _sizes(sizes):
    return tuple(sizes[0]) if len(sizes) == 1 and not isinstance(sizes[0], int) else sizes


def repeat(x, *repeats):
    """PyTorch's repeat (NumPy's tile): x copied repeats[i] times along axis i."""
    repeats = _sizes(repeats)
    if len(repeats) < x.ndim:
        raise ValueError(f"repeat needs at least one count per axis: {x.ndim} for shape "
                         f"{x.shape}, got {repeats}")
    shape = (1,) * (len(repeats) - x.ndim) + tuple(x.shape)
    interleaved = tuple(n for size in shape for n in (1, size))
    target = tuple(n for r, size in zip(repeats, shape) for n in (r, size))
    tiled = expand(reshape(x, interleaved), target)
    return reshape(tiled, tuple(r * size for r, size in zip(repeats, shape)))


def split(x, split_size_or_sections, dim=0):
    """Pieces of x along `dim`: of split_size each (the last may be smaller), or of the listed
    sizes."""
    dim = dim % x.ndim
    length = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise ValueError(f"split size must be positive, got {step}")
        sizes = [builtins.min(step, length - start) for start in range(0, length, step)]
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != length:
            raise ValueError(f"split sizes {sizes} must add up to {length}, the size of axis "
                             f"{dim} of shape {x.shape}")
    pieces, start = [], 0
    for size in sizes:
        pieces.append(x[(slice(None),) * dim + (slice(start, start + size),)])
        start += size
    return tuple(pieces)


def chunk(x, chunks, dim=0):
    """x split into `chunks` pieces along `dim` (as PyTorch: each of ceil(n / chunks))."""
    length = x.shape[dim % x.ndim]
    return split(x, builtins.max(-(-length // chunks), 1), dim)


def norm(x, p="fro", dim=None, keepdim=False):
    """The p-norm over `dim` (all elements by default): 2 ("fro"), 1, inf or any p > 0."""
    axes = _normalize_axes(dim, x.ndim)
    if p in ("fro", 2, 2.0):
        return (x * x).sum(axis=axes, keepdims=keepdim).sqrt()
    if p == float("inf"):
        return x.abs().max(axis=axes, keepdims=keepdim)
    if p == 1:
        return x.abs().sum(axis=axes, keepdims=keepdim)
    return (x.abs() ** p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p)


def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None, axis=None,
        keepdims=None):
    """The standard deviation over `dim`, dividing by n - 1 unless unbiased=False (PyTorch)."""
    axis, keepdim = _axis_args(axis, keepdim if keepdims is None else keepdims, dim, None)
    if correction is None:
        correction = 0 if unbiased is False else 1
    return var(x, axis=axis, keepdims=keepdim, correction=correction).sqrt()


def mm(a, b):
    """The product of two matrices (2-d only, as PyTorch's mm)."""
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm expects two matrices, got shapes {a.shape} and {b.shape}; use "
                         "matmul for batches or vectors")
    return matmul(a, b)


def bmm(a, b):
    """Batched matrix product of (B, n, k) and (B, k, m) tensors."""
    if a.ndim != 3 or b.ndim != 3 or a.shape[0] != b.shape[0]:
        raise ValueError(f"bmm expects (B, n, k) and (B, k, m) tensors, got shapes {a.shape} "
                         f"and {b.shape}")
    return matmul(a, b)


def _test(name):
    def test(x, *args, **kwargs):
        xp = x.backend.xp
        return Tensor(xp.asarray(getattr(xp, name)(x.array, *args, **kwargs)))
    test.__name__ = name
    test.__doc__ = f"numpy.{name} of the values, a boolean tensor outside the graph."
    return test


isnan, isinf, isfinite = _test("isnan"), _test("isinf"), _test("isfinite")


def any(x, dim=None, keepdim=False):  # noqa: A001
    """Whether any element (along `dim`) is nonzero: a boolean tensor outside the graph."""
    return Tensor(x.backend.xp.asarray(x.array.any(axis=dim, keepdims=keepdim)))


def all(x, dim=None, keepdim=False):  # noqa: A001
    """Whether every element (along `dim`) is nonzero: a boolean tensor outside the graph."""
    return Tensor(x.backend.xp.asarray(x.array.all(axis=dim, keepdims=keepdim)))


def _along(x, dim, index):
    """The index tuple that reads index[i, j, ...] along `dim` and position (i, j, ...) on the
    other axes: PyTorch's gather/scatter addressing."""
    xp = x.backend.xp
    positions = index.array if isinstance(index, Tensor) else xp.asarray(index)
    if positions.ndim != x.ndim:
        raise ValueError(f"gather/scatter: index of shape {positions.shape} needs as many axes "
                         f"as the tensor of shape {x.shape}")
    dim %= x.ndim
    return tuple(positions if axis == dim else
                 xp.arange(n).reshape((-1,) + (1,) * (positions.ndim - 1 - axis))
                 for axis, n in enumerate(positions.shape))


def gather(x, dim, index):
    """out[i][j] = x[index[i][j]][j] (dim 0) or x[i][index[i][j]] (dim 1), and so on."""
    return x[_along(x, dim, index)]


def scatter_(x, dim, index, src=None, value=None):
    """x[index[i][j]][j] = src[i][j] (dim 0), in place; `value` (or a number src) for all."""
    src = value if src is None else src
    positions = _along(x, dim, index)
    if isinstance(src, Tensor):
        src = src[tuple(slice(0, n) for n in positions[dim % x.ndim].shape)]
    x[positions] = src
    return x


def index_select(x, dim, index):
    """The slices of x at `index` (1-d integers) along `dim`."""
    return x[(slice(None),) * (dim % x.ndim) + (index,)]


def square(x):
    """x * x."""
    return x * x


def lerp(start, end, weight):
    """start + weight (end - start)."""
    return start + weight * (end - start)


def outer(a, b):
    """The outer product of two vectors: (n,) and (m,) -> (n, m)."""
    return a.reshape(-1, 1) * b.reshape(1, -1)


def normalize(x, p=2.0, dim=1, eps=1e-12):
    """x divided by its p-norm along `dim` (at least eps), as PyTorch's F.normalize."""
    return x / maximum(norm(x, p, dim, keepdim=True), eps)


def _rounding(name):
    def rounded(x):
        return Tensor(getattr(x.backend.xp, name)(x.array))
    rounded.__name__ = name
    rounded.__doc__ = f"{name} of each element, outside the graph (its gradient is 0)."
    return rounded


floor, ceil, round = _rounding("floor"), _rounding("ceil"), _rounding("round")  # noqa: A001


def allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    """True when |a - b| <= atol + rtol |b| everywhere (a Python bool)."""
    xp = a.backend.xp
    return bool(xp.allclose(a.array, b.array, rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(a, b):
    """True when a and b have the same shape and elements (a Python bool)."""
    return tuple(a.shape) == tuple(b.shape) and bool((a.array == b.array).all())


def masked_fill(x, mask, value):
    """x with `value` where `mask` is true."""
    return where(mask, value, x)


def one_hot(labels, num_classes=-1):
    """(..., num_classes) int64 rows with a 1 at each label (num_classes=-1: max label + 1)."""
    xp = labels.backend.xp
    if labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot needs integer class labels, got {labels.dtype}")
    count = int(labels.array.max()) + 1 if num_classes == -1 else num_classes
    if labels.numel() and (int(labels.array.min()) < 0 or int(labels.array.max()) >= count):
        raise ValueError(f"one_hot: labels must be in [0, {count}), got values from "
                         f"{int(labels.array.min())} to {int(labels.array.max())}")
    return Tensor((labels.array[..., None] == xp.arange(count)).astype("int64"))


# -- new tensors like x -----------------------------------------------------------------------
def new_full(x, size, fill_value, dtype=None, requires_grad=False):
    """A tensor of `size` filled with `fill_value`, with x's dtype and backend."""
    return full(tuple(size) if not isinstance(size, int) else (size,), fill_value,
                dtype=dtype or x.dtype, requires_grad=requires_grad, backend=x.backend)


def new_zeros(x, *size, dtype=None, requires_grad=False):
    """Zeros of `size` with x's dtype and backend."""
    return new_full(x, _sizes(size), 0, dtype, requires_grad)


def new_ones(x, *size, dtype=None, requires_grad=False):
    """Ones of `size` with x's dtype and backend."""
    return new_full(x, _sizes(size), 1, dtype, requires_grad)


def new_tensor(x, data, dtype=None, requires_grad=False):
    """A new tensor of `data` with x's dtype (unless `dtype`) and backend."""
    return tensor(data, dtype=dtype or x.dtype, requires_grad=requires_grad, backend=x.backend)


# -- dtypes -----------------------------------------------------------------------------------
TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "int64": "LongTensor",
              "int32": "IntTensor", "bool": "BoolTensor", "uint8": "ByteTensor"}


def convert(x, dtype):
    """x as `dtype`: differentiable between float types; an integer or boolean result is a
    new tensor outside the graph (as in PyTorch, where it cannot require a gradient)."""
    dtype = x.backend.xp.dtype(getattr(dtype, "dtype", dtype))
    if dtype.kind in "fc" or x.dtype == dtype:
        return astype(x, dtype)
    return Tensor(x.array.astype(dtype))


def half(x):
    raise TypeError("half precision (float16) is not supported by minigan: keep the tensor in "
                    "float32 (.float()), the training dtype")


def tensor_type(x, dtype=None):
    """PyTorch's .type(): with no argument the type's name ("torch.FloatTensor"), else x
    converted to the dtype, a FloatTensor-like constructor or a name such as
    "torch.LongTensor"."""
    if dtype is None:
        name = TYPE_NAMES.get(x.dtype.name, x.dtype.name)
        return f"torch.{'cuda.' if x.backend == 'cupy' else ''}{name}"
    device = getattr(dtype, "device", None)  # torch.FloatTensor is on the CPU, torch.cuda.*'s not
    if isinstance(dtype, str) and dtype.endswith("Tensor"):
        device = "cuda" if ".cuda." in dtype else "cpu"
        by_name = {name: key for key, name in TYPE_NAMES.items()}
        kind = dtype.rsplit(".", 1)[-1]
        if kind not in by_name:
            raise ValueError(f"unknown tensor type {dtype!r}; minigan knows "
                             f"{sorted(by_name)}")
        dtype = by_name[kind]
    converted = convert(x, dtype)
    return converted if device is None else converted.to(device)


METHODS = {
    "add": lambda x, other, alpha=1: add(x, other if alpha == 1 else other * alpha),
    "sub": lambda x, other, alpha=1: sub(x, other if alpha == 1 else other * alpha),
    "mul": mul, "div": div, "neg": neg, "maximum": maximum, "minimum": minimum, "eq": eq,
    "ne": ne, "gt": gt, "lt": lt, "ge": ge, "le": le,
    "clone": clone, "contiguous": contiguous, "t": t, "flip": flip, "view_as": view_as,
    "expand_as": expand_as, "repeat": repeat, "split": split, "chunk": chunk, "norm": norm,
    "std": std, "masked_fill": masked_fill, "mm": mm, "bmm": bmm, "square": square,
    "lerp": lerp, "outer": outer, "gather": gather, "scatter_": scatter_,
    "scatter": lambda x, *args, **kwargs: scatter_(clone(x), *args, **kwargs),
    "index_select": index_select, "isnan": isnan, "isinf": isinf, "isfinite": isfinite,
    "any": any, "all": all, "floor": floor, "ceil": ceil, "round": round,
    "allclose": allclose, "equal": equal,
    "new_full": new_full, "new_zeros": new_zeros, "new_ones": new_ones, "new_empty": new_zeros,
    "new_tensor": new_tensor,
    "type": tensor_type, "half": half, "type_as": lambda x, other: convert(x, other.dtype),
    "float": lambda x: convert(x, "float32"), "double": lambda x: convert(x, "float64"),
    "long": lambda x: convert(x, "int64"), "int": lambda x: convert(x, "int32"),
    "bool": lambda x: convert(x, "bool"), "byte": lambda x: convert(x, "uint8"),
}
