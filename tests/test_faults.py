"""Runs you can trust: resume honours or refuses each flag, damaged files are reported and
survived, nothing is lost, and a dead GAN never ends as "done"."""

import json
import os
import shutil

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from minigan import sample, train
from minigan.gan import TrainConfig, Trainer, TrainingDiverged, load_run
from minigan.io import checkpoint as checkpoints

TINY = ["--width", "4", "--latent-dim", "8", "--batch-size", "8", "--no-progress"]


def tiny(path, **values):
    return TrainConfig(**{**dict(batch_size=8, width=4, latent_dim=8, sample_every=2,
                                 checkpoint_every=2, num_samples=8, out=str(path)), **values})


def log_steps(run):
    return [json.loads(line)["step"] for line in open(os.path.join(run, "log.jsonl"))]


def stderr_lines(capsys):
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.out, [line for line in captured.err.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A tiny run of 4 steps with checkpoints at 2 and 4, to copy."""
    run = tmp_path_factory.mktemp("finished") / "run"
    Trainer(tiny(run, steps=4)).run(progress=False)
    return run


@pytest.fixture
def run(finished, tmp_path):
    """A fresh copy of the finished run."""
    copy = tmp_path / "run"
    shutil.copytree(finished, copy)
    return str(copy)


# -- resume: what it honours and what it refuses ----------------------------------------------
def test_resume_honours_learning_rates_betas_and_cadence(run, capsys):
    assert train.main(["--resume", run, "--steps", "6", "--lr-g", "1e-5", "--lr-d", "3e-5",
                       "--betas", "0.0", "0.9", "--sample-every", "1", "--width", "4",
                       "--no-progress"]) == 0
    rows = [json.loads(line) for line in open(os.path.join(run, "log.jsonl"))]
    assert [row["step"] for row in rows] == [1, 2, 3, 4, 5, 6]
    assert rows[-1]["lr_g"] == 1e-5 and rows[-1]["lr_d"] == 3e-5 and rows[0]["lr_g"] == 2e-4
    assert os.path.exists(os.path.join(run, "samples", "step_0000005.png"))
    config = json.load(open(os.path.join(run, "config.json")))
    assert config["lr_g"] == 1e-5 and config["betas"] == [0.0, 0.9] and config["steps"] == 6


def test_a_new_learning_rate_scales_the_schedule_where_it_stands(tmp_path):
    straight = Trainer(tiny(tmp_path / "a", steps=6, lr_schedule="cosine"))
    straight.run(progress=False, until=3)
    Trainer(tiny(tmp_path / "b", steps=6, lr_schedule="cosine")).run(progress=False, until=3)
    resumed = Trainer.resume(str(tmp_path / "b"), lr_g=4e-4)
    assert resumed.opt_g.param_groups[0]["lr"] == pytest.approx(
        2 * straight.opt_g.param_groups[0]["lr"])
    assert resumed.opt_d.param_groups[0]["lr"] == straight.opt_d.param_groups[0]["lr"]


@pytest.mark.parametrize("option, value", [
    ("--model", "mlp"), ("--width", "8"), ("--latent-dim", "4"), ("--data", "lfw-subset"),
    ("--image-size", "32"), ("--channels", "3"), ("--batch-size", "4"), ("--loss", "hinge"),
    ("--n-critic", "2"), ("--gp-weight", "1"), ("--seed", "3"), ("--ema", "0.9"),
])
def test_resume_refuses_what_would_change_the_model_or_data(finished, capsys, option, value):
    before = sorted(os.listdir(finished))
    assert train.main(["--resume", str(finished), option, value, "--no-progress"]) == 2
    _, err = stderr_lines(capsys)
    assert len(err) == 1 and option in err[0] and "--resume" in err[0], err
    assert sorted(os.listdir(finished)) == before


def test_resuming_beyond_steps_names_steps(run, capsys):
    assert train.main(["--resume", run, "--steps", "2", "--no-progress"]) == 2
    _, err = stderr_lines(capsys)
    assert len(err) == 1 and "--steps" in err[0] and "step 4" in err[0]


def test_a_cupy_run_resumes_on_numpy(run, capsys):
    for path in (os.path.join(run, "config.json"),
                 os.path.join(run, "checkpoints", "step_0000004", "state.json")):
        values = json.load(open(path))
        config = values.get("config", values)
        config["backend"] = "cupy"
        if "rng" in values:
            values["rng"] = None  # CuPy cannot export its generator's state
        json.dump(values, open(path, "w"))
    assert train.main(["--resume", run, "--backend", "numpy", "--steps", "5",
                       "--no-progress"]) == 0
    assert json.load(open(os.path.join(run, "config.json")))["backend"] == "numpy"
    assert log_steps(run) == [1, 2, 3, 4, 5]


def test_resume_with_out_continues_a_copy(run, tmp_path, capsys):
    copy = str(tmp_path / "copy")
    assert train.main(["--resume", run, "--out", copy, "--steps", "5", "--no-progress"]) == 0
    assert log_steps(copy) == [1, 2, 3, 4, 5] and log_steps(run) == [1, 2, 3, 4]
    assert checkpoints.latest_checkpoint(run).endswith("step_0000004")
    assert checkpoints.latest_checkpoint(copy).endswith("step_0000005")
    capsys.readouterr()
    assert train.main(["--resume", run, "--out", copy, "--steps", "6", "--no-progress"]) == 2
    _, err = stderr_lines(capsys)
    assert len(err) == 1 and f"--out {copy} already exists" in err[0]


# -- damaged files ---------------------------------------------------------------------------
def _garbage(folder):
    open(os.path.join(folder, "models.safetensors"), "wb").write(b"\x00garbage")


def _truncated(folder):
    path = os.path.join(folder, "optimizers.safetensors")
    payload = open(path, "rb").read()
    open(path, "wb").write(payload[:len(payload) // 2])


def _nan_weights(folder):
    path = os.path.join(folder, "models.safetensors")
    arrays = load_file(path)
    key = next(k for k in arrays if arrays[k].dtype.kind == "f")
    arrays[key] = np.full_like(arrays[key], np.nan)
    save_file(arrays, path)


def _mis_shaped(folder):
    path = os.path.join(folder, "models.safetensors")
    arrays = load_file(path)
    key = next(k for k in arrays if k.startswith("generator.") and arrays[k].ndim == 4)
    arrays[key] = np.zeros((1, 1, 1, 1), arrays[key].dtype)
    save_file(arrays, path)


def _state(change):
    def damage(folder):
        path = os.path.join(folder, "state.json")
        open(path, "w").write(change(open(path).read()))
    return damage


DAMAGES = {"garbage": _garbage, "truncated": _truncated, "nan": _nan_weights,
           "mis-shaped": _mis_shaped, "state-not-json": _state(lambda text: text[:40]),
           "step-minus-7": _state(lambda text: text.replace('"step": 4', '"step": -7'))}


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_newest_checkpoint_is_skipped_for_the_newest_intact_one(run, capsys, damage):
    DAMAGES[damage](os.path.join(run, "checkpoints", "step_0000004"))
    assert train.main(["--resume", run, "--steps", "5", "--no-progress"]) == 0
    out, err = stderr_lines(capsys)
    assert "at step 2 of 5" in out
    assert len(err) == 1 and "step_0000004" in err[0] and "damaged" in err[0], err
    assert log_steps(run) == [1, 2, 3, 4, 5]  # the log kept its rows and redid 3 and 4


@pytest.mark.parametrize("damage", ["garbage", "nan", "step-minus-7"])
def test_sampling_uses_the_newest_intact_checkpoint(run, tmp_path, capsys, damage):
    DAMAGES[damage](os.path.join(run, "checkpoints", "step_0000004"))
    assert sample.main(["--run", run, "--n", "4", "--out", str(tmp_path / "g.png")]) == 0
    out, err = stderr_lines(capsys)
    assert "of step 2" in out and len(err) == 1 and "step_0000004" in err[0]


def test_latest_json_never_leads_outside_its_run(run, finished, tmp_path, capsys):
    other = tmp_path / "other"
    Trainer(tiny(other, steps=6, checkpoint_every=6)).run(progress=False)
    pointer = os.path.join(run, "checkpoints", "latest.json")
    json.dump({"step": 6, "folder": os.path.relpath(other / "checkpoints" / "step_0000006",
                                                    os.path.dirname(pointer))}, open(pointer, "w"))
    assert load_run(run).step == 4
    _, err = stderr_lines(capsys)
    assert len(err) == 1 and "ignoring" in err[0] and "latest.json" in err[0]
    open(pointer, "w").write("{garbage")
    assert train.main(["--resume", run, "--steps", "5", "--no-progress"]) == 0
    _, err = stderr_lines(capsys)
    assert len(err) == 1 and "latest.json" in err[0]


def test_a_torn_last_log_line_is_dropped_with_a_note(run, capsys):
    with open(os.path.join(run, "log.jsonl"), "a") as log:
        log.write('{"step": 5, "d_lo')  # the write of step 5 was cut short
    assert train.main(["--resume", run, "--steps", "5", "--no-progress"]) == 0
    _, err = stderr_lines(capsys)
    assert len(err) == 1 and "torn last line" in err[0] and "log.jsonl" in err[0]
    assert log_steps(run) == [1, 2, 3, 4, 5]


def test_a_damaged_line_inside_the_log_is_one_line_naming_it(run, capsys):
    path = os.path.join(run, "log.jsonl")
    lines = open(path).read().splitlines()
    lines[1] = "Expecting value"
    open(path, "w").write("\n".join(lines) + "\n")
    assert train.main(["--resume", run, "--steps", "5", "--no-progress"]) == 2
    _, err = stderr_lines(capsys)
    assert len(err) == 1 and "log.jsonl line 2" in err[0]


def test_the_log_reaches_the_disk_with_each_checkpoint(tmp_path, monkeypatch):
    trainer = Trainer(tiny(tmp_path / "run", steps=1))
    trainer.run(progress=False)
    synced = []
    real_fsync = os.fsync

    def recording_fsync(descriptor):
        synced.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        return real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    trainer.save_checkpoint()
    log = os.path.realpath(tmp_path / "run" / "log.jsonl")
    assert log in synced
    assert synced.index(log) < next(i for i, p in enumerate(synced) if "step_" in p)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_nan_checkpoint_is_never_written_nor_called_good(run, capsys):
    trainer = Trainer.resume(run, steps=8)
    for parameter in trainer.generator.parameters():
        parameter.data[...] = np.nan
    with pytest.raises(TrainingDiverged, match="the last good checkpoint is .*step_0000004"):
        trainer.save_checkpoint()
    assert checkpoints.latest_checkpoint(run).endswith("step_0000004")
    # a NaN checkpoint left by an older minigan is skipped, never named as good
    _nan_weights(os.path.join(run, "checkpoints", "step_0000004"))
    trainer = Trainer.resume(run, steps=8)
    assert trainer.step == 2
    trainer.discriminator.parameters().__next__().data[...] = np.nan
    with pytest.raises(TrainingDiverged) as stopped:
        trainer.run(progress=False)
    assert "step_0000002" in str(stopped.value) and "step_0000004" not in str(stopped.value)


def test_a_damaged_configuration_is_one_line_naming_it(run, capsys):
    path = os.path.join(run, "config.json")
    saved = open(path).read()
    open(path, "w").write(saved[:30])
    assert train.main(["--resume", run, "--no-progress"]) == 2
    _, err = stderr_lines(capsys)
    assert len(err) == 1 and "config.json" in err[0] and "not valid JSON" in err[0]
    open(path, "w").write(saved.replace('"width": 4', '"width": "four"'))
    assert train.main(["--resume", run, "--no-progress"]) == 2
    _, err = stderr_lines(capsys)
    assert len(err) == 1 and "config.json is damaged" in err[0] and "--width" in err[0]


def test_when_every_checkpoint_is_damaged_resume_says_so(run, capsys):
    for step in ("step_0000002", "step_0000004"):
        _garbage(os.path.join(run, "checkpoints", step))
    assert train.main(["--resume", run, "--steps", "5", "--no-progress"]) == 2
    _, err = stderr_lines(capsys)
    assert len(err) == 3 and "no intact checkpoint" in err[-1], err
