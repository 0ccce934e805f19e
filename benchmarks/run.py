"""python -m benchmarks: minigan on NumPy+Numba against CuPy and PyTorch.

    python -m benchmarks                                  # numpy and torch (when installed)
    python -m benchmarks --backends numpy,cupy,torch --out benchmarks/results/gpu
    python -m benchmarks --quick                          # DCGAN-28 only, one round

Every framework runs in processes of its own (their thread pools would slow each other in
one process), several rounds in turn, so that a machine that speeds up or slows down during
the run affects them alike. Each case is timed after warm-up calls, the device synchronised
around each call; the table gives the median and, in brackets, the spread (min-max) of the
per-round medians. Writes results.md (the table, as printed), results.json (machine, versions,
every timing) and results.png (the chart) into --out.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict

from . import report

# The environment each worker starts from, taken before anything here imports minigan: minigan
# sets thread-pool variables (OPENBLAS_THREAD_TIMEOUT, OMP_WAIT_POLICY) for its own process,
# which must not reach PyTorch's workers.
WORKER_ENVIRONMENT = dict(os.environ)

FRAMEWORKS_OF = {"numpy": ["minigan-numpy", "dezero-style"], "cupy": ["minigan-cupy"],
                 "torch": ["torch-cpu", "torch-cuda"]}


def _available(framework):
    """Whether a framework can run here; the reason when it cannot."""
    probes = {
        "minigan-cupy": "import minigan; minigan.backend.get('cupy')",
        "torch-cpu": "import torch",
        "torch-cuda": "import torch; assert torch.cuda.is_available(), 'no CUDA device'",
    }
    if framework not in probes:
        return None
    result = subprocess.run([sys.executable, "-c", probes[framework]], capture_output=True,
                            text=True)
    if result.returncode == 0:
        return None
    return (result.stderr.strip().splitlines() or ["failed"])[-1]


def run_worker(framework, what, quick, environment=None):
    """(records, wall seconds) of one worker process."""
    command = [sys.executable, "-m", "benchmarks.worker", framework, "--what", what]
    if quick:
        command.append("--quick")
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True,
                            env={**WORKER_ENVIRONMENT, **(environment or {})},
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{framework} worker failed:\n{result.stderr[-3000:]}")
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return records, seconds


def machine_info():
    import numpy

    info = {"python": platform.python_version(), "platform": platform.platform(),
            "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "numpy": numpy.__version__}
    try:
        with open("/proc/cpuinfo") as handle:
            names = [line.split(":", 1)[1].strip() for line in handle
                     if line.startswith("model name")]
        if names:
            info["cpu"] = names[0]
    except OSError:
        pass
    try:
        blas = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["blas"] = f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # older NumPy: no dict mode
        info["blas"] = "unknown"
    for module in ("numba", "minigan", "torch", "cupy"):
        try:
            info[module] = __import__(module).__version__
        except Exception:
            info[module] = None
    try:
        gpus = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total",
                               "--format=csv,noheader"], capture_output=True, text=True,
                              timeout=20)
        info["gpu"] = gpus.stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        info["gpu"] = None
    return info


def startup(frameworks):
    """Wall time of a fresh process that imports, builds DCGAN-28 and takes one step; for
    minigan with a cold Numba cache (compiling every kernel) and then a warm one."""
    records = []
    for framework in frameworks:
        if framework == "dezero-style":
            continue
        if framework.startswith("minigan"):
            with tempfile.TemporaryDirectory() as cache:
                for label in ("cold Numba cache", "warm Numba cache"):
                    _, seconds = run_worker(framework, "first-step", False,
                                            {"NUMBA_CACHE_DIR": cache})
                    records.append({"case": f"start to first step, {label}", "group": "startup",
                                    "framework": framework, "times": [seconds]})
        else:
            run_worker(framework, "first-step", False)  # loads the library's files into the cache
            _, seconds = run_worker(framework, "first-step", False)
            records.append({"case": "start to first step", "group": "startup",
                            "framework": framework, "times": [seconds]})
    return records


def aggregate(rounds):
    """{(case, framework): {median, spread, samples, ...}} over all rounds."""
    by_key = defaultdict(list)
    extra = {}
    for records in rounds:
        for record in records:
            key = (record["case"], record["framework"])
            by_key[key].append(record)
            extra[key] = {k: v for k, v in record.items() if k != "times"}
    results = {}
    for key, records in by_key.items():
        entry = dict(extra[key])
        timed = [r["times"] for r in records if "times" in r]
        if timed:
            per_round = [statistics.median(times) for times in timed]
            entry.update(median=statistics.median(per_round), low=min(per_round),
                         high=max(per_round), samples=sum(len(t) for t in timed))
        results[key] = entry
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default="numpy,torch",
                        help="comma-separated: numpy (minigan on the CPU, and the DeZero-style "
                             "reference), cupy (minigan on a GPU), torch (PyTorch on the CPU and "
                             "on CUDA if present) (default: %(default)s)")
    parser.add_argument("--quick", action="store_true",
                        help="DCGAN-28 cases only and a single round")
    parser.add_argument("--rounds", type=int, default=3, help="(default: %(default)s)")
    parser.add_argument("--out", default="benchmarks/results/latest",
                        help="where to write results.md/.json/.png (default: %(default)s)")
    arguments = parser.parse_args(argv)
    rounds = 1 if arguments.quick else arguments.rounds
    frameworks, skipped = [], {}
    for backend in arguments.backends.split(","):
        if backend not in FRAMEWORKS_OF:
            parser.error(f"unknown backend {backend!r}: choose from {sorted(FRAMEWORKS_OF)}")
        for framework in FRAMEWORKS_OF[backend]:
            reason = _available(framework)
            if reason is None:
                frameworks.append(framework)
            else:
                skipped[framework] = reason
    for framework, reason in skipped.items():
        print(f"skipping {framework}: {reason}", file=sys.stderr)
    info = machine_info()
    print(f"{info['cpu']} ({info['cores']} cores), {info['blas']}, GPU: {info['gpu']}",
          file=sys.stderr)
    collected = []
    for number in range(rounds):
        records = []
        for framework in frameworks:
            print(f"round {number + 1}/{rounds}: {framework}", file=sys.stderr)
            records += run_worker(framework, "layers,kernels,gemm,steps", arguments.quick)[0]
        collected.append(records)
    extras = []
    for framework in frameworks:
        if framework != "dezero-style":
            print(f"memory: {framework}", file=sys.stderr)
            extras += run_worker(framework, "memory", False)[0]
    print("start-up times", file=sys.stderr)
    extras += startup(frameworks)
    results = aggregate(collected + [extras])
    os.makedirs(arguments.out, exist_ok=True)
    table = report.markdown(results, frameworks, info, skipped, rounds)
    print(table)
    with open(os.path.join(arguments.out, "results.md"), "w") as handle:
        handle.write(table)
    with open(os.path.join(arguments.out, "results.json"), "w") as handle:
        json.dump({"machine": info, "frameworks": frameworks, "skipped": skipped,
                   "rounds": rounds, "quick": arguments.quick,
                   "results": [{"case": c, "framework": f, **v} for (c, f), v in
                               results.items()]}, handle, indent=1)
    report.chart(results, frameworks, os.path.join(arguments.out, "results.png"))
    print(f"wrote {arguments.out}/results.md, results.json, results.png", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
