"""python -m benchmarks.threading_layers: which Numba threading layer to use next to OpenBLAS.

A convolution alternates Numba kernels (im2col, col2im) with OpenBLAS matrix products, and
each thread pool keeps its idle threads spinning for a while after a call, taking the cores the
other needs. This runs Conv2d(64, 128, 4, 2, 1) forward+backward (the largest layer of
DCGAN-28), or with --step a whole DCGAN-28 training step, in a fresh process per
configuration, the configurations in turn for several rounds, and prints each one's median
time per call.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

SPIN = {"OPENBLAS_THREAD_TIMEOUT": "28", "GOMP_SPINCOUNT": "300000"}  # each library's default
SHORT_SPIN = {"OPENBLAS_THREAD_TIMEOUT": "4", "GOMP_SPINCOUNT": "300000"}
CONFIGURATIONS = {
    "workqueue": {"MINIGAN_NUMBA_THREADING_LAYER": "workqueue", **SPIN},
    "omp": {"MINIGAN_NUMBA_THREADING_LAYER": "omp", **SPIN},
    "workqueue + OpenBLAS short spin": {"MINIGAN_NUMBA_THREADING_LAYER": "workqueue",
                                        **SHORT_SPIN},
    "omp + OpenBLAS short spin": {"MINIGAN_NUMBA_THREADING_LAYER": "omp", **SHORT_SPIN},
    "omp + OpenBLAS short spin + OpenMP no spin (minigan's default)": {
        "MINIGAN_NUMBA_THREADING_LAYER": "omp", "OPENBLAS_THREAD_TIMEOUT": "4",
        "OMP_WAIT_POLICY": "PASSIVE"},
    "Numba on one thread + OpenBLAS short spin": {"NUMBA_NUM_THREADS": "1",
                                                  "OPENBLAS_THREAD_TIMEOUT": "4"},
}

LAYER = """
import time, statistics, minigan as mg
mg.manual_seed(0)
x = mg.randn(64, 64, 14, 14, requires_grad=True)
conv = mg.nn.Conv2d(64, 128, 4, 2, 1)
g = mg.ones(64, 128, 7, 7)
times = []
for i in range({calls}):
    t = time.perf_counter()
    conv(x).backward(g)
    times.append(time.perf_counter() - t)
    x.grad = None
    conv.zero_grad()
print(statistics.median(times[3:]))
"""

STEP = """
import time, statistics, minigan as mg
from benchmarks import worker
mg.manual_seed(0)
step = worker.training_step(worker.framework("minigan-numpy"), 28, 1)
times = []
for i in range({calls}):
    t = time.perf_counter()
    step()
    times.append(time.perf_counter() - t)
print(statistics.median(times[3:]))
"""


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.threading_layers",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--step", action="store_true",
                        help="time DCGAN-28 training steps instead of the layer")
    arguments = parser.parse_args(argv)
    code, case = ((STEP, "DCGAN-28 training step") if arguments.step else
                  (LAYER, "Conv2d(64, 128, 4, 2, 1) forward+backward"))
    medians = {name: [] for name in CONFIGURATIONS}
    for number in range(arguments.rounds):
        for name, environment in CONFIGURATIONS.items():
            result = subprocess.run(
                [sys.executable, "-c", code.format(calls=arguments.calls)],
                env={**os.environ, **environment}, capture_output=True, text=True, check=True)
            medians[name].append(float(result.stdout.strip()))
        print(f"round {number + 1}/{arguments.rounds} done", file=sys.stderr)
        time.sleep(1)
    print(f"| configuration | {case}, median ms (min-max over rounds) |\n|---|---|")
    for name, values in medians.items():
        print(f"| {name} | {statistics.median(values) * 1e3:.1f} "
              f"({min(values) * 1e3:.1f}-{max(values) * 1e3:.1f}) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
