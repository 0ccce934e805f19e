"""Shared fixtures: every backend-aware test runs on each backend. Where CuPy is not installed
the 'cupy' backend runs on the simulated GPU (minigan/backend/simulated_cupy.py; set
MINIGAN_SIMULATE_GPU=0 to skip those tests instead); hypothesis gets a profile that fits CI's
2-core budget."""

import importlib.util
import os

import pytest
from hypothesis import HealthCheck, settings

if importlib.util.find_spec("cupy") is None:  # no CuPy here: test the GPU path on the simulator
    os.environ.setdefault("MINIGAN_SIMULATE_GPU", "1")

from minigan import backend  # noqa: E402 (after the choice of device above)

settings.register_profile(
    "ci", max_examples=12, deadline=None, derandomize=True,
    # backend_name is a plain string fixture: reusing it across examples is safe
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture])
settings.register_profile("thorough", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_generate_tests(metafunc):
    if "backend_name" in metafunc.fixturenames:
        metafunc.parametrize("backend_name", backend.names(), indirect=True)


@pytest.fixture
def backend_name(request):
    reason = backend.unavailable_reason(request.param)
    if reason is not None:
        hint = (" (MINIGAN_SIMULATE_GPU=1 runs these tests on a simulated GPU)"
                if request.param == "cupy" else "")
        pytest.skip(f"backend {request.param!r} unavailable: {reason}{hint}")
    return request.param


@pytest.fixture
def simulated_gpu(monkeypatch):
    """The 'cupy' backend runs on the simulated GPU for this test (whether MINIGAN_SIMULATE_GPU
    is set or not); the fixture's value is the simulated GPU's host-transfer counter, reset."""
    from minigan.backend import simulated_cupy

    if backend.unavailable_reason("cupy") is None and backend.get("cupy").xp is not simulated_cupy:
        pytest.skip("a real GPU is present: these tests are about the simulated one")
    if backend.unavailable_reason("cupy") is not None:
        device = backend.CupyBackend(xp=simulated_cupy)
        monkeypatch.delitem(backend._failures, "cupy", raising=False)
        monkeypatch.setitem(backend._instances, "cupy", device)
        monkeypatch.setitem(backend._by_array_type, device.array_type, device)
    simulated_cupy.transfers.reset()
    return simulated_cupy.transfers


@pytest.fixture
def without_cupy(monkeypatch):
    """This test sees a machine without CuPy: no simulated GPU, `import cupy` fails, and the
    backends are made anew."""
    import sys

    monkeypatch.delenv("MINIGAN_SIMULATE_GPU", raising=False)
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy raises ImportError
    monkeypatch.setattr(backend, "_failures", {})
    monkeypatch.setattr(backend, "_instances", {"numpy": backend.get("numpy")})
