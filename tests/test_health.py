"""A dead GAN never ends as "done": a vanished gradient, a perfect discriminator or collapsed
samples stop the run (or warn); the best checkpoint is kept; the first step says it compiles
and the progress bar shows the step it counts."""

import json
import os

import numpy as np
import pytest

from minigan import train
from minigan.gan import TrainConfig, Trainer
from minigan.gan.health import HealthMonitor, TrainingFailed, spread, spread_score
from minigan.io import checkpoint as checkpoints

TINY = ["--width", "4", "--latent-dim", "8", "--batch-size", "8", "--no-progress"]


def tiny(path, **values):
    return TrainConfig(**{**dict(batch_size=8, width=4, latent_dim=8, sample_every=2,
                                 checkpoint_every=2, num_samples=8, out=str(path)), **values})


def test_huge_learning_rates_do_not_end_as_done(tmp_path, capsys):
    out = str(tmp_path / "run")
    code = train.main(["--lr-g", "10", "--lr-d", "10", "--steps", "40", *TINY, "--out", out])
    captured = capsys.readouterr()
    assert code == 3 and "done" not in captured.out
    assert "generator's gradient has been 0" in captured.err and "--on-failure" in captured.err
    assert "Traceback" not in captured.err


def test_on_failure_warn_trains_on_with_a_warning(tmp_path, capsys):
    out = str(tmp_path / "run")
    code = train.main(["--lr-g", "10", "--lr-d", "10", "--steps", "40", *TINY, "--out", out,
                       "--on-failure", "warn"])
    captured = capsys.readouterr()
    assert code == 0 and "done" in captured.out
    assert captured.err.count("warning: step") == 1 and "gradient has been 0" in captured.err


def _scripted(trainer, monkeypatch, **metrics):
    """Make every step of `trainer` report `metrics` without training."""
    row = {"d_loss": 0.1, "g_loss": 5.0, "d_real": 0.5, "d_fake": 0.5, "grad_norm_d": 1.0,
           "grad_norm_g": 1.0, "lr_g": 2e-4, "lr_d": 2e-4, "step_time": 0.01,
           "images_per_second": 800.0, **metrics}
    monkeypatch.setattr(trainer, "train_step", lambda: dict(row))


def test_a_perfect_discriminator_for_many_steps_stops_the_run(tmp_path, monkeypatch):
    trainer = Trainer(tiny(tmp_path / "run", steps=20, checkpoint_every=100))
    trainer.health.perfect_patience = 5
    _scripted(trainer, monkeypatch, d_real=1.0, d_fake=0.0)
    with pytest.raises(TrainingFailed, match=r"at step 5: the discriminator has been perfect"):
        trainer.run(progress=False)


def test_collapsed_samples_stop_the_run(tmp_path, monkeypatch):
    trainer = Trainer(tiny(tmp_path / "run", steps=20, sample_every=1, checkpoint_every=100))
    trainer.health.warmup = 3
    _scripted(trainer, monkeypatch)
    same = np.zeros((8, 1, 28, 28), np.float32)  # every sample the same picture
    monkeypatch.setattr(trainer, "sample", lambda **inputs: same)
    with pytest.raises(TrainingFailed, match=r"at step 4: mode collapse"):
        trainer.run(progress=False)


def test_the_health_checks_in_numbers():
    monitor = HealthMonitor(data_spread=2.0, logistic=True, patience=3)
    assert [monitor.after_step({"grad_norm_g": 0.0}) is None for _ in range(3)] == \
        [True, True, False]
    assert monitor.after_step({"grad_norm_g": 1e-3}) is None  # a gradient again: healthy
    points = np.random.default_rng(0).standard_normal((100, 2))
    assert spread(points) == pytest.approx(np.sqrt(np.pi), rel=0.15)  # E|x - y| in 2-D
    assert spread(np.ones((10, 3))) == 0.0
    assert spread_score(1.0) == 0.0 and spread_score(0.1) == pytest.approx(spread_score(10.0))


def test_pruning_keeps_the_best_checkpoint_by_the_evaluators_fcd(tmp_path):
    scores = iter([5.0, 1.0, 3.0, 4.0, 6.0, 7.0])
    trainer = Trainer(tiny(tmp_path / "run", steps=6, checkpoint_every=1, evaluate_every=1),
                      evaluator=lambda trainer: {"eval_fcd": next(scores)})
    trainer.run(progress=False)
    root = tmp_path / "run" / "checkpoints"
    assert sorted(n for n in os.listdir(root) if n.startswith("step_")) == [
        "step_0000002", "step_0000005", "step_0000006"]
    best = json.load(open(root / "best.json"))
    assert best["folder"] == "step_0000002" and best["metric"] == "eval_fcd"
    assert best["value"] == 1.0


def test_without_an_evaluator_the_best_is_the_healthiest_spread(tmp_path, monkeypatch):
    trainer = Trainer(tiny(tmp_path / "run", steps=5, checkpoint_every=1, sample_every=100))
    ratios = iter([0.2, 0.9, 0.5, 0.3, 0.1, 0.1])
    monkeypatch.setattr(trainer.health, "ratio", lambda samples: next(ratios))
    trainer.run(progress=False)
    root = tmp_path / "run" / "checkpoints"
    assert (root / "step_0000002").is_dir()
    assert json.load(open(root / "best.json"))["metric"] == "sample_spread"
    assert checkpoints.latest_checkpoint(str(tmp_path / "run")).endswith("step_0000005")


# -- first impressions ------------------------------------------------------------------------
def test_a_line_says_the_kernels_compile_before_the_first_step(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(train, "kernels_cached", lambda: False)
    assert train.main(["--steps", "1", *TINY, "--out", str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "compiling kernels, first run only" in out
    assert out.index("compiling kernels") < out.index("done")
    monkeypatch.setattr(train, "kernels_cached", lambda: True)
    assert train.main(["--steps", "1", *TINY, "--out", str(tmp_path / "b")]) == 0
    assert "compiling" not in capsys.readouterr().out


class RecordingBar:
    """A stand-in for tqdm that records what each displayed tick shows."""

    made = []

    def __init__(self, **options):
        self.options, self.shown, self.postfix = options, [], None
        RecordingBar.made.append(self)

    def set_postfix(self, postfix, refresh=True):
        self.postfix = dict(postfix)
        if refresh:
            self.shown.append(("refresh", self.postfix))

    def update(self, count):
        self.shown.append(("tick", self.postfix))

    def close(self):
        pass


def test_the_bar_shows_each_steps_own_losses_and_starts_after_the_first(tmp_path, monkeypatch):
    import tqdm

    monkeypatch.setattr(tqdm, "tqdm", RecordingBar)
    RecordingBar.made.clear()
    trainer = Trainer(tiny(tmp_path / "run", steps=4, checkpoint_every=100))
    trainer.run(progress=True)
    bar, = RecordingBar.made
    assert bar.options["initial"] == 1  # made after step 1: compiling is not in its rate
    rows = [json.loads(line) for line in open(tmp_path / "run" / "log.jsonl")]
    shown = [postfix["D"] for _, postfix in bar.shown]
    assert shown == [f"{row['d_loss']:.3f}" for row in rows]


def test_a_dead_run_rewinds_to_its_best_checkpoint(tmp_path, monkeypatch):
    run = tmp_path / "run"
    trainer = Trainer(tiny(run, steps=20, checkpoint_every=1, sample_every=100))
    trainer.health.patience = 6
    _scripted(trainer, monkeypatch, grad_norm_g=0.0)
    ratios = iter([0.3, 1.0, 0.5, 0.4, 0.2])
    monkeypatch.setattr(trainer.health, "ratio", lambda samples: next(ratios))
    with pytest.raises(TrainingFailed, match=r"at step 6: .*--resume now continues from the "
                                             r"best checkpoint, .*step_0000002"):
        trainer.run(progress=False)
    assert checkpoints.latest_checkpoint(str(run)).endswith("step_0000002")
    resumed = Trainer.resume(str(run))
    assert resumed.step == 2
    resumed.run(progress=False, until=3)  # the newer, dead checkpoints are a replaced future
    assert sorted(n for n in os.listdir(run / "checkpoints") if n.startswith("step_")) == [
        "step_0000002", "step_0000003"]
    assert checkpoints.latest_checkpoint(str(run)).endswith("step_0000003")
