"""python -m benchmarks.distributed: the all-reduce's share of a data-parallel DCGAN step.

Runs DCGAN-28 training steps (global batch 64, as the Trainer does them: a discriminator
update on a real and a fake batch, then a generator update, with Adam) under
`mpiexec -n N` for each N asked for, each rank on its share of the batch and of the cores,
and prints per N: the step time, the time in the two gradient all-reduces (one packed buffer
per model; it includes waiting for the slowest rank), their share of the step, and the
images per second of the whole job. A last row runs one rank on one thread: on a machine
shared with other work, a pool of threads can lose more to waiting for each other than it
gains, and that row tells the two effects apart.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def timed_step(generator, discriminator, opt_g, opt_d, real, world):
    """One Trainer-like step; returns (its seconds, seconds in the gradient all-reduces)."""
    import minigan as mg
    from minigan import distributed
    from minigan.gan import losses

    started = time.perf_counter()
    fake = generator(mg.randn(real.shape[0], 100))
    d_loss = losses.d_loss("non_saturating", discriminator(real), discriminator(fake.detach()))
    opt_d.zero_grad()
    d_loss.backward()
    reducing = time.perf_counter()
    distributed.average_gradients(discriminator.parameters(), world)
    reduced = time.perf_counter() - reducing
    opt_d.step()
    g_loss = losses.g_loss("non_saturating", discriminator(fake))
    opt_g.zero_grad()
    g_loss.backward()
    reducing = time.perf_counter()
    distributed.average_gradients(generator.parameters(), world)
    reduced += time.perf_counter() - reducing
    opt_g.step()
    return time.perf_counter() - started, reduced


def worker(batch, width, steps, warmup):
    """One rank's measurement; rank 0 prints the job's figures as one JSON line."""
    import minigan as mg
    from minigan import distributed
    from minigan.backend import threads
    from minigan.gan import models
    from minigan.optim import Adam

    world = distributed.init()
    mg.manual_seed(world.rank)
    generator, discriminator = models.build("dcgan", (1, 28, 28), 100, width)
    for model in (generator, discriminator):
        distributed.broadcast_module(model, world)
    opt_g = Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = mg.randn(batch // world.size, 1, 28, 28).tanh()
    times = [timed_step(generator, discriminator, opt_g, opt_d, real, world)
             for _ in range(warmup + steps)][warmup:]
    everyone = world.allgather_object((statistics.median(s for s, _ in times),
                                       statistics.median(r for _, r in times)))
    if world.is_root:
        step = max(s for s, _ in everyone)
        reduce = statistics.mean(r for _, r in everyone)
        print(json.dumps({"ranks": world.size, "threads": threads.numba_threads(),
                          "step_ms": 1e3 * step, "allreduce_ms": 1e3 * reduce,
                          "share": reduce / step, "images_per_second": batch / step}))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.distributed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch", type=int, default=64, help="the global batch")
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.worker:
        return worker(arguments.batch, arguments.width, arguments.steps, arguments.warmup)
    mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    print(f"DCGAN-28, global batch {arguments.batch}, {os.cpu_count()} cores; threads per rank "
          "= cores / ranks")
    print(f"{'ranks':>5} {'threads':>7} {'step ms':>9} {'all-reduce ms':>14} {'share':>6} "
          f"{'images/s':>9}")
    single_thread = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                            "NUMBA_NUM_THREADS")}
    for ranks, environ in [(n, {}) for n in arguments.ranks] + [(1, single_thread)]:
        command = [mpiexec, "-n", str(ranks), sys.executable, "-m", "benchmarks.distributed",
                   "--worker", "--batch", str(arguments.batch), "--width", str(arguments.width),
                   "--steps", str(arguments.steps), "--warmup", str(arguments.warmup)]
        finished = subprocess.run(command, capture_output=True, text=True, check=True,
                                  env={**os.environ, **environ})
        row = json.loads(finished.stdout.strip().splitlines()[-1])
        print(f"{row['ranks']:>5} {row['threads']:>7} {row['step_ms']:>9.1f} "
              f"{row['allreduce_ms']:>14.2f} {row['share']:>6.1%} "
              f"{row['images_per_second']:>9.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
