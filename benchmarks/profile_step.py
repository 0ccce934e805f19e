"""python -m benchmarks.profile_step: where a DCGAN training step of minigan spends its time.

Runs a few DCGAN-28 (or --image-size 64) training steps of benchmarks/worker.py under cProfile
and prints the time per step by category, with calls per step: the convolution Functions' own
time (their matrix products: a product written `a @ b` is no call of its own), the im2col and
col2im kernels, the contiguous copies around the products, the fused kernels, Adam, and the
rest. By default it counts CPU time on one thread (OPENBLAS_NUM_THREADS=1 NUMBA_NUM_THREADS=1
are set before NumPy loads): on a shared machine CPU time moves much less than wall time, and
on one thread every share is work, not waiting. --threads keeps the libraries' threads and
counts wall time.
"""

import argparse
import collections
import cProfile
import os
import pstats
import sys
import time

CATEGORIES = [  # (category, test on "file:function"), first match wins
    ("conv Functions' own time (GEMMs)", lambda k: k.startswith("functional/conv.py:forward")),
    ("im2col kernel", lambda k: k.endswith(":_im2col_kernel")),
    ("col2im kernel", lambda k: k.endswith(":_col2im_kernel")),
    ("contiguous copies and transposes", lambda k: "ascontiguousarray" in k
     or k.endswith(":_swap_leading_axes_kernel")),
    ("batch norm kernels", lambda k: "_batch_norm_" in k),
    ("activation kernels", lambda k: "_leaky_relu" in k or "sigmoid" in k),
    ("Adam", lambda k: k.startswith("optim/") or k.endswith(":_adam_kernel")),
    ("other ops' forward (NumPy)", lambda k: k.startswith("functional/")),
    ("autograd graph and Python", lambda k: True),
]


def _key(filename, function):
    if "/minigan/" in filename:
        return filename.split("/minigan/")[-1] + ":" + function
    return filename.split("/")[-1] + ":" + function


def profile(image_size, steps, timer):
    from benchmarks import worker

    step = worker.training_step(worker.framework("minigan-numpy"), image_size,
                                1 if image_size == 28 else 3)
    for _ in range(3):
        step()
    profiler = cProfile.Profile(timer)
    profiler.enable()
    for _ in range(steps):
        step()
    profiler.disable()
    return pstats.Stats(profiler).stats


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_step",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image-size", type=int, default=28, choices=(28, 64))
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--threads", action="store_true",
                        help="keep the libraries' threads and count wall time")
    arguments = parser.parse_args(argv)
    if not arguments.threads:
        if "numpy" in sys.modules:
            raise SystemExit("profile_step: run it as its own process (python -m ...)")
        os.environ["OPENBLAS_NUM_THREADS"] = os.environ["NUMBA_NUM_THREADS"] = "1"
    timer = time.perf_counter if arguments.threads else time.process_time
    stats = profile(arguments.image_size, arguments.steps, timer)
    rows = collections.defaultdict(lambda: [0.0, 0])
    for (filename, _, function), (_, calls, own, _, _) in stats.items():
        key = _key(filename, function)
        category = next(name for name, test in CATEGORIES if test(key))
        rows[category][0] += own / arguments.steps
        rows[category][1] += calls / arguments.steps
    total = sum(seconds for seconds, _ in rows.values())
    clock = "wall" if arguments.threads else "CPU, one thread"
    print(f"| DCGAN-{arguments.image_size} step ({clock}) | ms per step | share | calls per "
          f"step |\n|---|---|---|---|")
    for name, _ in CATEGORIES:
        seconds, calls = rows[name]
        print(f"| {name} | {seconds * 1e3:.1f} | {seconds / total:.0%} | {calls:.0f} |")
    print(f"| total | {total * 1e3:.1f} | | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
