"""dtype names, PyTorch's: `minigan.float32`, `minigan.long`, ... They are NumPy dtypes, so
`x.dtype == minigan.float32` and `x.dtype == "float32"` both hold."""

from . import backend

_dtype = backend.host_module().dtype
float32 = _dtype("float32")
float64 = _dtype("float64")
int64 = _dtype("int64")
int32 = _dtype("int32")
uint8 = _dtype("uint8")
bool_ = _dtype("bool")

# PyTorch's other names for the same dtypes
float = float32  # noqa: A001
double = float64
long = int64
int = int32  # noqa: A001
bool = bool_  # noqa: A001
