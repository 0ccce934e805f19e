"""Backends: discovery, moving tensors, and that only backend/ imports the array libraries."""

import os
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import minigan as mg
from minigan import backend


def test_numpy_is_always_available():
    assert "numpy" in backend.available()
    assert backend.get("numpy").xp is np
    assert backend.names() == ["numpy", "cupy"]


def test_to_moves_between_available_backends(backend_name):
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    moved = x.to(backend_name)
    assert moved.backend == backend_name
    (moved * moved).sum().backward()  # the gradient comes back to the original backend
    assert x.grad.backend == "numpy" and np.allclose(x.grad.numpy(), [2.0, 4.0])


def test_to_converts_dtypes():
    x = mg.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("float64")
    assert y.dtype == "float64" and x.double().dtype == "float64" and y.float().dtype == "float32"
    (y * y).sum().backward()
    assert x.grad.dtype == "float32"


def test_ops_run_on_each_backend(backend_name):
    x = mg.randn(3, 4, backend=backend_name, requires_grad=True)
    y = (x @ x.T).tanh().sum()
    y.backward()
    assert x.grad.backend == backend_name and x.grad.shape == (3, 4)


def test_only_the_backend_imports_the_device_libraries():
    """cupy and numba are imported in backend/ alone; the ops (functional/) import no array
    library at all, they compute with their backend's `xp`. NumPy elsewhere is host-side work
    (files, state dicts, finite differences), imported plainly."""
    package = pathlib.Path(mg.__file__).parent
    offenders = []
    for path in package.rglob("*.py"):
        relative = path.relative_to(package)
        if relative.parts[0] == "backend":
            continue
        libraries = "numpy|cupy|numba" if relative.parts[0] == "functional" else "cupy|numba"
        for line in path.read_text().splitlines():
            if re.match(rf"\s*(import|from)\s+({libraries})\b", line):
                offenders.append(f"{relative}: {line.strip()}")
    assert offenders == []


def test_numba_starts_at_the_first_kernel_not_at_import():
    check = ("import sys; import minigan as mg; assert 'numba' not in sys.modules, 'at import'; "
             "mg.F.conv2d(mg.ones(1, 1, 3, 3), mg.ones(1, 1, 2, 2)); "
             "import numba; assert numba.config.THREADING_LAYER_PRIORITY[0] == 'omp', "
             "'threading layer not chosen before the first kernel'")
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("NUMBA_THREADING_LAYER", "MINIGAN_NUMBA_THREADING_LAYER")}
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                          env=environment, timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("given, expected", [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_openmp_workers_sleep_after_a_kernel_unless_the_user_chose(given, expected):
    """Numba's OpenMP workers must not spin on the core OpenBLAS needs next (DESIGN.md); the
    wait policy is chosen before OpenMP loads, and a user's own choice is kept."""
    check = ("import os, minigan as mg; mg.F.conv2d(mg.ones(1, 1, 3, 3), mg.ones(1, 1, 2, 2)); "
             "print(os.environ['OMP_WAIT_POLICY'])")
    environment = {name: value for name, value in os.environ.items()
                   if name not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    if given:
        environment["OMP_WAIT_POLICY"] = given
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True,
                          env=environment, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [expected]


def test_a_tensor_backend_is_the_backend_object_and_equals_its_name():
    x = mg.ones(2)
    assert x.backend is backend.get("numpy") and x.backend == "numpy" and x.backend != "cupy"
    assert x.backend.xp is np and str(x.backend) == "numpy" and repr(x) == "tensor([1., 1.])"
    y = mg.ones(2, requires_grad=True) * 2
    assert y.creator.backend is y.backend


@pytest.mark.parametrize("name", ["numpy"])
def test_backend_moves_arrays_to_the_host(name):
    b = backend.get(name)
    array = b.asarray([1.0, 2.0])
    assert isinstance(b.to_host(array), np.ndarray)
    b.synchronize()


def test_the_gpu_backend_is_given_its_array_module():
    """A simulated GPU (MINIGAN_SIMULATE_GPU) hands the CuPy backend another array module;
    nothing else in its construction needs CuPy."""
    device = backend.CupyBackend(xp=np)
    assert device.xp is np and device.array_type is np.ndarray and device == "cupy"
    assert device.randn((2, 3), np.float32).shape == (2, 3)


KEPT_IN_HEAP = """
import ctypes, sys
import numpy as np
import minigan
class Info(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks",
                "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
mallinfo2 = ctypes.CDLL(None).mallinfo2
mallinfo2.restype = Info
block = np.ones(8 << 20, dtype=np.uint8)  # 8 MiB: above glibc's first mmap threshold
mapped = mallinfo2().hblkhd >= 8 << 20
del block
print(mapped, mallinfo2().fordblks >= 8 << 20)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
@pytest.mark.parametrize("environment, expected", [
    ({}, "False True"),  # from the heap, and kept there once freed
    ({"MALLOC_MMAP_THRESHOLD_": str(1 << 20)}, "True False")])  # the user's setting stands
def test_freed_arrays_stay_in_the_heap_unless_the_user_tuned_malloc(environment, expected):
    result = subprocess.run([sys.executable, "-c", KEPT_IN_HEAP], capture_output=True,
                            text=True, env={**os.environ, **environment}, check=True)
    assert result.stdout.split() == expected.split()
