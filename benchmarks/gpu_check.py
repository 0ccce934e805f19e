"""python -m benchmarks.gpu_check --out DIR: everything a GPU machine must show, in one command.

1. the device: its name, memory, driver and library versions (or, where there is no GPU, a
   clear message and exit status 1);
2. the CuPy tests: every test parametrised over backends, on the 'cupy' backend;
3. a 2-minute training run, `python -m minigan.train --backend cupy` (stopped with Ctrl-C, which
   saves a checkpoint, if it has not finished by then);
4. the benchmark: minigan on the CPU (NumPy) against minigan on the GPU (CuPy) and PyTorch CUDA:
   DCGAN-28 and DCGAN-64 training steps, each layer, the im2col/col2im kernels, a GEMM.

Writes into DIR: gpu_check.log (everything printed), tests.log, train.log and train/ (the run),
results.md, results.json and results.png (the benchmark's table and chart), summary.md.
Finishes in under 8 minutes on one GPU. With MINIGAN_SIMULATE_GPU=1 it runs end to end on the
simulated GPU, scaled down (a few tests, two training steps, the DCGAN-28 step at batch 8): that
proves the script, it measures nothing. Exit status: 0 if every part passed, 1 without a GPU, 2 if a
part failed.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time

from . import report, run

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIMULATED = os.environ.get("MINIGAN_SIMULATE_GPU") == "1"
FRAMEWORKS = ["minigan-numpy", "minigan-cupy", "torch-cuda"]
# On a GPU: the tests are stopped at 150 s, the training at 120 s; the benchmark's three
# frameworks take about a minute each, so the whole check stays under 8 minutes.
TESTS = dict(paths=["tests"], timeout=150)
TRAINING = dict(arguments=["--steps", "1500", "--sample-every", "250", "--checkpoint-every",
                           "500"], seconds=120)
BENCHMARK = dict(what="gemm,layers,kernels,steps", quick=False, batch="64", memory=True)
if SIMULATED:
    TESTS = dict(paths=["tests/test_backend.py", "tests/test_tensor.py"], timeout=120)
    TRAINING = dict(arguments=["--steps", "2", "--batch-size", "8", "--width", "8",
                               "--sample-every", "1", "--checkpoint-every", "1"], seconds=60)
    BENCHMARK = dict(what="steps", quick=True, batch="8", memory=False)


class Log:
    """Prints and appends to DIR/gpu_check.log."""

    def __init__(self, path):
        self.path = path
        open(path, "w").close()

    def __call__(self, message=""):
        print(message, flush=True)
        with open(self.path, "a") as handle:
            handle.write(message + "\n")


def describe_device():
    """(lines describing the GPU, None) or (None, why there is none)."""
    from minigan import backend

    reason = backend.unavailable_reason("cupy")
    if reason is not None:
        return None, reason
    xp = backend.get("cupy").xp
    runtime = xp.cuda.runtime
    properties = runtime.getDeviceProperties(0)
    from numba import cuda

    lines = [f"device: {properties['name'].decode()}",
             f"memory: {properties['totalGlobalMem'] / 2**30:.1f} GiB, devices: "
             f"{runtime.getDeviceCount()}, CUDA driver {runtime.driverGetVersion()}, "
             f"runtime {runtime.runtimeGetVersion()}",
             f"CuPy {getattr(xp, '__version__', 'simulated')}, numba.cuda: "
             f"{getattr(cuda, 'implementation', 'unknown')} implementation"]
    return lines, None


def run_part(command, log_path, timeout, interrupt_after=None):
    """(exit status, seconds, output) of a command, its output saved to log_path. The command
    gets Ctrl-C after `interrupt_after` seconds, and is killed at `timeout`."""
    started = time.perf_counter()
    with open(log_path, "w") as output:
        process = subprocess.Popen(command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)
        try:
            process.wait(timeout=interrupt_after or timeout)
        except subprocess.TimeoutExpired:
            if interrupt_after is not None:
                process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=timeout - (interrupt_after or 0))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    with open(log_path) as handle:
        text = handle.read()
    return process.returncode, time.perf_counter() - started, text


def check_tests(out, log):
    command = [sys.executable, "-m", "pytest", "-q", "-k", "cupy", *TESTS["paths"]]
    log(f"\n== CuPy tests: {' '.join(command[2:])}")
    status, seconds, text = run_part(command, os.path.join(out, "tests.log"), TESTS["timeout"])
    last = (text.strip().splitlines() or ["no output"])[-1]
    log(f"{last} ({seconds:.0f} s; full output in tests.log)")
    return status == 0, last


def check_training(out, log):
    run_dir = os.path.join(out, "train")
    command = [sys.executable, "-m", "minigan.train", "--backend", "cupy", "--out", run_dir,
               "--no-progress", *TRAINING["arguments"]]
    log(f"\n== training for at most {TRAINING['seconds']} s: {' '.join(command[2:])}")
    status, seconds, text = run_part(command, os.path.join(out, "train.log"),
                                     TRAINING["seconds"] + 30, TRAINING["seconds"])
    steps = _logged_steps(run_dir)
    finished = status in (0, 130)  # done, or stopped by the Ctrl-C at the time limit
    if steps:
        last = steps[-1]
        log(f"{len(steps)} steps in {seconds:.0f} s; last step: d_loss {last.get('d_loss'):.3f}, "
            f"g_loss {last.get('g_loss'):.3f}; samples in train/samples, output in train.log")
    else:
        log(f"no training step was logged (exit status {status}); see train.log:\n"
            + "\n".join(text.splitlines()[-15:]))
    return finished and bool(steps), f"{len(steps)} steps in {seconds:.0f} s (exit {status})"


def _logged_steps(run_dir):
    path = os.path.join(run_dir, "log.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def check_benchmark(out, log):
    frameworks, skipped = [], {}
    for framework in FRAMEWORKS:
        reason = run._available(framework)
        if reason is None:
            frameworks.append(framework)
        else:
            skipped[framework] = reason
            log(f"not benchmarked: {framework} ({reason})")
    log(f"\n== benchmark ({BENCHMARK['what']}, batch {BENCHMARK['batch']}): "
        + ", ".join(frameworks))
    records, environment = [], {"MINIGAN_BENCHMARK_BATCH": BENCHMARK["batch"]}
    for framework in frameworks:
        started = time.perf_counter()
        try:
            records += run.run_worker(framework, BENCHMARK["what"], BENCHMARK["quick"],
                                      environment)[0]
            if BENCHMARK["memory"]:  # in a process of its own, as benchmarks.run measures it
                records += run.run_worker(framework, "memory", False, environment)[0]
        except RuntimeError as error:
            log(str(error))
            return False, f"{framework} failed"
        log(f"{framework}: {time.perf_counter() - started:.0f} s")
    results = run.aggregate([records])
    table = report.markdown(results, frameworks, run.machine_info(), skipped, 1)
    if SIMULATED:
        table = ("**Simulated GPU (MINIGAN_SIMULATE_GPU=1): these numbers time the CPU, scaled "
                 f"down to batch {BENCHMARK['batch']}; they say nothing about a GPU.**\n\n" + table)
    with open(os.path.join(out, "results.md"), "w") as handle:
        handle.write(table)
    with open(os.path.join(out, "results.json"), "w") as handle:
        json.dump({"simulated": SIMULATED, "frameworks": frameworks, "skipped": skipped,
                   "results": [{"case": c, "framework": f, **v}
                               for (c, f), v in results.items()]}, handle, indent=1)
    report.chart(results, frameworks, os.path.join(out, "results.png"))
    log(table)
    return True, "results.md, results.json, results.png"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gpu_check", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="the folder for the logs and results")
    arguments = parser.parse_args(argv)
    out = os.path.abspath(arguments.out)
    os.makedirs(out, exist_ok=True)
    log = Log(os.path.join(out, "gpu_check.log"))
    device, reason = describe_device()
    if device is None:
        log(f"NO GPU HERE: {reason}\nNothing was checked. Run this on a machine with an NVIDIA "
            "GPU, or set MINIGAN_SIMULATE_GPU=1 to try the script on a simulated one.")
        return 1
    for line in device:
        log(line)
    started = time.perf_counter()
    parts = [("CuPy tests", check_tests), ("training", check_training),
             ("benchmark", check_benchmark)]
    rows = []
    for name, check in parts:
        passed, detail = check(out, log)
        rows.append(f"| {name} | {'passed' if passed else 'FAILED'} | {detail} |")
    summary = "\n".join([f"# GPU check: {device[0]}", "", "| part | result | detail |",
                         "|---|---|---|", *rows, "",
                         f"{time.perf_counter() - started:.0f} s in all.", ""])
    with open(os.path.join(out, "summary.md"), "w") as handle:
        handle.write(summary)
    log("\n" + summary + f"\nwrote {out}: summary.md, gpu_check.log, results.md/.json/.png")
    return 0 if all("| passed |" in row for row in rows) else 2


if __name__ == "__main__":
    sys.exit(main())
