"""dtype names, PyTorch's: `minigan.float32`, `minigan.long`, ... They are NumPy dtypes, so
`x.dtype == minigan.float32` and `x.dtype == "float32"` both hold."""

import numpy as np

float32 = np.dtype("float32")
float64 = np.dtype("float64")
int64 = np.dtype("int64")
int32 = np.dtype("int32")
uint8 = np.dtype("uint8")
bool_ = np.dtype("bool")

# PyTorch's other names for the same dtypes
float = float32  # noqa: A001
double = float64
long = int64
int = int32  # noqa: A001
bool = bool_  # noqa: A001
