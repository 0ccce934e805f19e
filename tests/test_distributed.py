"""minigan.distributed: synchronised batch norm against PyTorch in a world of one process,
gradcheck and gradgradcheck through it, the sharded loader, the thread rule, and, with
`mpiexec -n 2` in subprocesses (skipped where mpi4py or mpiexec is missing), data-parallel
gradients and steps against one process's full batch, the NCCL id hand-out with a fake NCCL,
and an error on one rank ending both."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from support import needs_torch, random_array, torch
from test_nn import compare_steps

import minigan as mg
from minigan import distributed, nn
from minigan.backend import threads
from minigan.data import Dataset

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ONE = distributed.SingleProcess()


# -- synchronised batch norm in a world of one: it is batch norm ------------------------------
@needs_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("shape", [(6, 3, 4, 5), (5, 3)], ids=["(N, C, H, W)", "(N, C)"])
def test_sync_batchnorm_of_one_rank_matches_torch(shape, dtype, backend_name):
    theirs = (torch.nn.BatchNorm2d(3) if len(shape) == 4 else torch.nn.BatchNorm1d(3))
    theirs = theirs.to(getattr(torch, dtype))
    with torch.no_grad():
        theirs.weight.uniform_(0.5, 1.5)
        theirs.bias.uniform_(-0.5, 0.5)
    ours = distributed.SyncBatchNorm(3, comm=ONE).to(dtype).to(backend_name)
    ours.load_state_dict(theirs.state_dict())
    compare_steps(ours, theirs, shape, dtype, backend_name, steps=3)
    ours.eval()
    theirs.eval()
    compare_steps(ours, theirs, shape, dtype, backend_name, seed=50)


def test_sync_batch_norm_gradcheck_and_gradgradcheck():
    x = mg.tensor(random_array((3, 2, 3, 2), 1), requires_grad=True)
    w = mg.tensor(random_array((2,), 2, 0.5, 1.5), requires_grad=True)
    b = mg.tensor(random_array((2,), 3), requires_grad=True)

    def normalised(x, w, b):
        return distributed.sync_batch_norm(x, None, None, w, b, 0.1, 1e-5, ONE)
    assert mg.gradcheck(normalised, (x, w, b))
    assert mg.gradgradcheck(normalised, (x, w, b))


def test_convert_sync_batchnorm_keeps_order_parameters_and_state_keys():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    parameters, keys = [id(p) for p in model.parameters()], list(model.state_dict())
    distributed.convert_sync_batchnorm(model)
    assert [type(m).__name__ for m in model] == ["Linear", "SyncBatchNorm", "ReLU", "Linear"]
    assert [id(p) for p in model.parameters()] == parameters  # optimizers stay attached
    assert list(model.state_dict()) == keys  # checkpoints load into plain BatchNorm models


def test_sync_batchnorm_needs_two_values_per_channel():
    with pytest.raises(ValueError, match="more than one value per channel"):
        distributed.SyncBatchNorm(3, comm=ONE)(mg.randn(1, 3))


# -- the sharded loader -----------------------------------------------------------------------
def points(count):
    return Dataset(np.arange(2 * count, dtype="float32").reshape(count, 2), np.arange(count))


def test_sharded_loader_splits_each_batch_of_one_order_into_equal_disjoint_shares():
    whole = mg.data.DataLoader(points(20), 6, seed=3)
    shards = [distributed.ShardedDataLoader(points(20), 6, rank, 3, seed=3) for rank in range(3)]
    for _ in range(2):  # two epochs
        batches = [[labels.numpy() for _, labels in loader] for loader in [whole] + shards]
        assert len(batches[0]) == 3 and all(len(b) == 3 for b in batches[1:])
        for step, full in enumerate(batches[0]):
            parts = [b[step] for b in batches[1:]]
            assert all(len(part) == 2 for part in parts)
            assert np.array_equal(np.concatenate(parts), full)  # one process's batch, in order


def test_sharded_loader_resumes_from_its_state():
    loader = distributed.ShardedDataLoader(points(20), 4, 1, 2, seed=0)
    first = iter(loader)
    next(first)
    restored = distributed.ShardedDataLoader(points(20), 4, 1, 2, seed=0)
    restored.load_state_dict(loader.state_dict())
    assert np.array_equal(next(iter(restored))[1].numpy(), next(first)[1].numpy())


def test_sharded_loader_refuses_a_batch_that_does_not_split():
    with pytest.raises(ValueError, match="batch size 10 does not split evenly over 4 ranks"):
        distributed.ShardedDataLoader(points(20), 10, 0, 4)


# -- threads and failure in a world of one ----------------------------------------------------
def test_ranks_times_threads_is_the_core_count():
    assert threads.local_rank_count({}) == 1
    assert threads.local_rank_count({"MPI_LOCALNRANKS": "4"}) == 4
    assert threads.local_rank_count({"OMPI_COMM_WORLD_LOCAL_SIZE": "2"}) == 2
    assert threads.threads_per_rank(4, cores=16) == 4
    assert threads.threads_per_rank(4, cores=2) == 1
    environ = {"MPI_LOCALNRANKS": str(threads.available_cores()), "OMP_NUM_THREADS": "3"}
    threads.share_cores_among_local_ranks(environ)
    assert environ["OPENBLAS_NUM_THREADS"] == environ["NUMBA_NUM_THREADS"] == "1"
    assert environ["OMP_NUM_THREADS"] == "3"  # the user's choice wins
    outside_mpi = {}
    threads.share_cores_among_local_ranks(outside_mpi)
    assert outside_mpi == {}


def test_fail_in_a_world_of_one_prints_and_returns_the_code(capsys):
    assert distributed.fail(ONE, "error: no such folder", 2) == 2
    assert capsys.readouterr().err == "error: no such folder\n"


def test_nccl_communicator_types_and_host_arrays():
    class FakeNccl:
        NCCL_FLOAT32 = 7

        def get_unique_id(self):
            return (1, 2)

        def NcclCommunicator(self, size, unique_id, rank):  # noqa: N802 (CuPy's name)
            return (size, unique_id, rank)

    nccl = distributed.NcclCommunicator(ONE, nccl=FakeNccl())
    assert nccl.comm == (1, (1, 2), 0)
    assert nccl._nccl_type(np.zeros(1, "float32")) == 7
    with pytest.raises(TypeError, match="NCCL collectives take"):
        nccl._nccl_type(np.zeros(1, "complex64"))
    host = np.arange(3.0)  # host arrays (the logged metrics) go through MPI, never NCCL
    assert np.array_equal(nccl.allreduce_sum(host), host)
    assert nccl.bcast(host) is host


def test_sync_batchnorm_without_distributed_is_a_one_line_error(capsys):
    from minigan import train

    assert train.main(["--sync-batchnorm", "--steps", "1"]) == 2
    assert "add --distributed" in capsys.readouterr().err


# -- two ranks under mpiexec ------------------------------------------------------------------
def _mpiexec():
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        return None
    beside_python = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return beside_python if os.path.exists(beside_python) else shutil.which("mpiexec")


MPIEXEC = _mpiexec()
needs_mpi = pytest.mark.skipif(MPIEXEC is None, reason="no MPI here: pip install "
                               "\"minigan[mpi]\" brings mpi4py and mpiexec")


def mpiexec(*arguments, ranks=2, timeout=120):
    """Run `python ARGUMENTS` on `ranks` ranks from the repository root; returns the
    completed process."""
    environ = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1",
                   OPENBLAS_NUM_THREADS="1")
    return subprocess.run([MPIEXEC, "-n", str(ranks), sys.executable, *arguments], cwd=ROOT,
                          env=environ, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def two_rank_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("mpi") / "gradients.json"
    finished = mpiexec(os.path.join(HERE, "mpi_worker.py"), "gradients", str(out))
    assert finished.returncode == 0, finished.stderr
    return json.loads(out.read_text())


@needs_mpi
@pytest.mark.parametrize("model", ["plain", "sync_batch_norm"])
def test_averaged_half_batch_gradients_are_the_full_batch_gradients(two_rank_results, model):
    result = two_rank_results[model]
    assert result["gradient_error"] < 1e-12  # float64: equal to rounding
    assert result["buffer_error"] < 1e-12  # sync batch norm's running statistics too


@needs_mpi
@pytest.mark.parametrize("model", ["plain", "sync_batch_norm"])
def test_two_ranks_step_as_one_process_and_stay_identical(two_rank_results, model):
    result = two_rank_results[model]
    assert result["ranks_identical"]  # bit for bit, after three Adam steps
    assert result["step_error"] < 1e-8


@needs_mpi
def test_unsynced_batch_norm_is_not_the_full_batch(two_rank_results):
    """What sync batch norm fixes: each rank's own batch statistics change the gradient."""
    result = two_rank_results["unsynced_batch_norm"]
    assert result["gradient_error"] > 1e-3 and result["ranks_identical"]


@needs_mpi
def test_each_rank_takes_its_share_of_the_cores(two_rank_results):
    share = threads.threads_per_rank(2)
    assert two_rank_results["threads_per_rank"] == share
    assert two_rank_results["numba_threads"] <= share


@needs_mpi
def test_every_rank_gets_rank_0s_nccl_id(tmp_path):
    out = tmp_path / "nccl.json"
    finished = mpiexec(os.path.join(HERE, "mpi_worker.py"), "nccl-id", str(out))
    assert finished.returncode == 0, finished.stderr
    made = json.loads(out.read_text())
    assert [(m["size"], m["rank"]) for m in made] == [(2, 0), (2, 1)]
    assert made[0]["id"] == made[1]["id"]


@needs_mpi
@pytest.mark.skipif("cupy" not in mg.backend.available() or os.environ.get("MINIGAN_SIMULATE_GPU") == "1",
                    reason="no real GPU here (CuPy missing, no device, or the simulated GPU): "
                    "NCCL needs one; two ranks cannot share one GPU with NCCL")
def test_one_rank_on_a_gpu_all_reduces_through_nccl(tmp_path):
    out = tmp_path / "nccl.json"
    finished = mpiexec(os.path.join(HERE, "mpi_worker.py"), "nccl-one-rank", str(out), ranks=1)
    assert finished.returncode == 0, finished.stderr
    result = json.loads(out.read_text())
    assert result["communicator"] == "NcclCommunicator"
    assert result["sum"] == [0.0, 1.0, 2.0, 3.0]
    assert result["gradient_error"] < 1e-10


@needs_mpi
def test_an_error_on_one_rank_ends_both_with_one_message():
    started = time.monotonic()
    finished = mpiexec(os.path.join(HERE, "mpi_worker.py"), "fail-on-rank-1", timeout=60)
    assert time.monotonic() - started < 30
    assert finished.returncode == 2
    assert finished.stderr.count("the data folder is empty") == 1
    assert "rank 1: error: the data folder is empty" in finished.stderr


# -- python -m minigan.train --distributed ----------------------------------------------------
TINY_RUN = ["--recipe", "dcgan", "--data", "mnist5k", "--batch-size", "8", "--width", "4",
            "--latent-dim", "8", "--sample-every", "2", "--checkpoint-every", "2", "--no-progress"]


def train_on_two_ranks(*arguments):
    finished = mpiexec("-m", "minigan.train", "--distributed", *arguments)
    assert finished.returncode == 0, finished.stderr
    return finished


def final_weights(run):
    from safetensors.numpy import load_file

    return load_file(str(run / "checkpoints" / "step_0000004" / "models.safetensors"))


@needs_mpi
def test_two_rank_run_logs_every_step_once_and_resumes_exactly(tmp_path):
    """Plain batch norm: resuming exactly needs the running statistics averaged, and every
    rank's random state, in the checkpoint."""
    straight, split = tmp_path / "straight", tmp_path / "split"
    shown = train_on_two_ranks(*TINY_RUN, "--steps", "4", "--out", str(straight))
    assert shown.stdout.count("training dcgan") == 1  # rank 0 alone speaks
    train_on_two_ranks(*TINY_RUN, "--steps", "2", "--out", str(split))
    train_on_two_ranks("--resume", str(split), "--steps", "4", "--no-progress")
    for run in (straight, split):
        rows = [json.loads(line) for line in open(run / "log.jsonl")]
        assert [row["step"] for row in rows] == [1, 2, 3, 4]
        assert sorted(os.listdir(run / "samples")) == ["step_0000002.png", "step_0000004.png"]
    expected, resumed = final_weights(straight), final_weights(split)
    assert expected.keys() == resumed.keys()
    for key in expected:
        np.testing.assert_array_equal(resumed[key], expected[key], err_msg=key)


@needs_mpi
def test_two_rank_run_with_sync_batchnorm(tmp_path):
    run = tmp_path / "run"
    train_on_two_ranks(*TINY_RUN, "--sync-batchnorm", "--steps", "2", "--out", str(run))
    assert [json.loads(line)["step"] for line in open(run / "log.jsonl")] == [1, 2]
    assert json.loads((run / "config.json").read_text())["sync_batchnorm"] is True


FAILING_RUNS = {
    "missing folder": (["--data", "folder:{tmp}/missing"], 2, "error: image folder"),
    "divergence": (["--data", "ring8", "--model", "toy", "--latent-dim", "2", "--lr-d", "1e30",
                    "--lr-g", "1e30"], 3, "training diverged at step"),
}


@needs_mpi
@pytest.mark.parametrize("case", FAILING_RUNS)
def test_an_error_of_every_rank_is_printed_once(tmp_path, case):
    arguments, code, message = FAILING_RUNS[case]
    arguments = [a.format(tmp=tmp_path) for a in arguments]
    started = time.monotonic()
    finished = mpiexec("-m", "minigan.train", "--distributed", *arguments, "--batch-size", "8",
                       "--steps", "5", "--out", str(tmp_path / "run"), timeout=60)
    assert time.monotonic() - started < 30
    assert finished.returncode == code
    assert finished.stderr.count(message) == 1 and "rank 1" not in finished.stderr
    assert "Traceback" not in finished.stderr


@needs_mpi
def test_ctrl_c_saves_a_checkpoint_and_ends_every_rank(tmp_path):
    run = tmp_path / "run"
    environ = dict(os.environ, PYTHONPATH=ROOT, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1",
                   OPENBLAS_NUM_THREADS="1")
    job = subprocess.Popen([MPIEXEC, "-n", "2", sys.executable, "-m", "minigan.train",
                            "--distributed", *TINY_RUN, "--steps", "100000", "--out", str(run)],
                           cwd=ROOT, env=environ, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (run / "log.jsonl").exists() and time.monotonic() < deadline:
            time.sleep(0.2)  # training has started once rank 0 logs a step
        job.send_signal(signal.SIGINT)  # what Ctrl-C in mpiexec's terminal sends
        started = time.monotonic()
        stdout, stderr = job.communicate(timeout=60)
    finally:
        job.kill()
    assert time.monotonic() - started < 30
    assert job.returncode == 130, stderr
    assert stdout.count("interrupted at step") == 1  # rank 0 saved and said so
    saved = stdout.split("saved ")[1].split()[0]
    assert json.loads((run / "checkpoints" / "latest.json").read_text())  # complete
    assert os.path.isdir(saved) and os.path.basename(saved).startswith("step_")
