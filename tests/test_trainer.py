"""The Trainer and the command lines: smoke runs of every sensible combination, exact resume,
atomic checkpoints, Ctrl-C, divergence, and sampling."""

import json
import os

import cv2
import numpy as np
import pytest

import minigan as mg
from minigan import sample, train
from minigan.gan import TrainConfig, Trainer, TrainingDiverged, load_run
from minigan.io import checkpoint as checkpoints

TINY = dict(batch_size=8, width=4, latent_dim=8, sample_every=2, checkpoint_every=2,
            num_samples=8)


def tiny(tmp_path, **values):
    return TrainConfig(**{**TINY, "out": str(tmp_path / "run"), **values})


COMBINATIONS = [
    dict(model="dcgan", loss="non_saturating", data="mnist5k"),
    dict(model="dcgan", loss="minimax", data="lfw-subset"),
    dict(model="dcgan", loss="least_squares", data="mnist5k", image_size=32, lr_schedule="cosine"),
    dict(model="dcgan", loss="hinge", data="mnist5k", lr_schedule="warmup-cosine"),
    dict(model="dcgan", loss="hinge", data="mnist5k", lr_schedule="linear-decay"),
    dict(model="dcgan", loss="wasserstein", data="mnist5k", gp_weight=10.0, n_critic=2,
         betas=(0.0, 0.9)),
    dict(model="dcgan", loss="non_saturating", data="lfw-subset", r1_weight=1.0, channels=3),
    dict(model="cdcgan", loss="non_saturating", data="mnist5k", ema=0.9, lr_schedule="step"),
    dict(model="mlp", loss="non_saturating", data="lfw-subset", output="sigmoid"),
    dict(model="mlp", loss="minimax", data="mnist5k", output="tanh", lr_schedule="multistep"),
    dict(model="toy", loss="non_saturating", data="ring8", latent_dim=2),
    dict(model="toy", loss="wasserstein", data="grid25", gp_weight=1.0, latent_dim=2),
]


@pytest.mark.parametrize("combination", COMBINATIONS,
                         ids=[f"{c['model']}-{c['loss']}-{c['data']}" for c in COMBINATIONS])
def test_smoke_run_of_each_combination(tmp_path, combination):
    trainer = Trainer(tiny(tmp_path, steps=3, **combination))
    first = [p.numpy().copy() for p in trainer.generator.parameters()]
    metrics = trainer.run(progress=False)
    for key in ("d_loss", "g_loss", "d_real", "d_fake", "grad_norm_d", "grad_norm_g"):
        assert np.isfinite(metrics[key]), key
    assert any(not np.array_equal(a, p.numpy()) for a, p in zip(first, trainer.generator.parameters()))
    run = tmp_path / "run"
    rows = [json.loads(line) for line in open(run / "log.jsonl")]
    assert [row["step"] for row in rows] == [1, 2, 3]
    assert rows[-1]["images_per_second"] > 0 and rows[-1]["step_time"] > 0
    assert (run / "samples" / "step_0000002.png").exists()
    assert (run / "losses.png").exists() and (run / "config.json").exists()
    assert checkpoints.latest_checkpoint(str(run)).endswith("step_0000003")


def test_both_penalties_are_logged_each_as_itself(tmp_path):
    """With --gp-weight and --r1-weight both, each penalty is logged under its own name, with
    the value it has when it is the only one (it used to log R1 alone as "penalty")."""
    def first_row(name, **penalties):
        Trainer(tiny(tmp_path / name, steps=1, loss="wasserstein", **penalties)).run(
            progress=False)
        return json.loads(open(tmp_path / name / "run" / "log.jsonl").readline())

    both = first_row("both", gp_weight=10.0, r1_weight=1.0)
    gp_only, r1_only = first_row("gp", gp_weight=10.0), first_row("r1", r1_weight=1.0)
    assert both["gradient_penalty"] == gp_only["gradient_penalty"]
    assert both["r1_penalty"] == r1_only["r1_penalty"]
    assert both["gradient_penalty"] != both["r1_penalty"]
    assert "r1_penalty" not in gp_only and "gradient_penalty" not in r1_only


def test_sample_grid_is_a_real_picture(tmp_path):
    trainer = Trainer(tiny(tmp_path, steps=1))
    path = trainer.save_samples()
    picture = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    # 8 samples of 28x28 in a 3x3 grid with 2-pixel borders
    assert picture.shape == (3 * 30 + 2, 3 * 30 + 2) and picture.dtype == np.uint8
    assert picture.std() > 0


def _weights(trainer):
    return {**{f"G.{k}": v.numpy() for k, v in trainer.generator.state_dict().items()},
            **{f"D.{k}": v.numpy() for k, v in trainer.discriminator.state_dict().items()}}


@pytest.mark.parametrize("extra", [dict(), dict(loss="wasserstein", gp_weight=10.0, n_critic=2,
                                                 ema=0.9, lr_schedule="cosine")])
def test_resume_continues_exactly(tmp_path, extra):
    straight = Trainer(tiny(tmp_path / "a", steps=6, **extra))
    straight.run(progress=False)
    first = Trainer(tiny(tmp_path / "b", steps=6, **extra))
    first.run(progress=False, until=3)  # the same run, stopped half way
    resumed = Trainer.resume(str(tmp_path / "b" / "run"))
    assert resumed.step == 3
    resumed.run(progress=False)
    expected, actual = _weights(straight), _weights(resumed)
    assert expected.keys() == actual.keys()
    for key in expected:
        np.testing.assert_array_equal(actual[key], expected[key], err_msg=key)
    rows_a = [json.loads(line) for line in open(tmp_path / "a" / "run" / "log.jsonl")]
    rows_b = [json.loads(line) for line in open(tmp_path / "b" / "run" / "log.jsonl")]
    assert [r["d_loss"] for r in rows_a] == [r["d_loss"] for r in rows_b]


def test_load_run_gives_the_trained_models(tmp_path):
    trainer = Trainer(tiny(tmp_path, steps=2, model="cdcgan", loss="hinge", ema=0.9))
    trainer.run(progress=False)
    run = load_run(str(tmp_path / "run"))
    assert run.step == 2 and run.config == trainer.config and run.weights == "ema"
    assert run.spec.conditional and run.spec.discriminator_norm == "spectral"
    assert run.sample_shape == (1, 28, 28) and run.num_classes == 10
    assert run.value_range == (-1.0, 1.0) and not run.generator.training
    for ours, theirs in ((run.generator, trainer.ema.module),
                         (run.discriminator, trainer.discriminator)):
        for key, value in theirs.state_dict().items():
            np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy(), key)
    raw = load_run(str(tmp_path / "run"), backend_name="numpy", use_ema=False)
    assert raw.weights == "generator"
    np.testing.assert_array_equal(next(raw.generator.parameters()).numpy(),
                                  next(trainer.generator.parameters()).numpy())
    with pytest.raises(FileNotFoundError, match="no run folder"):
        load_run(str(tmp_path / "nowhere"))


def test_a_killed_checkpoint_write_leaves_the_last_good_one(tmp_path, monkeypatch):
    trainer = Trainer(tiny(tmp_path, steps=2, checkpoint_every=100))
    trainer.run(progress=False)  # writes step 2 at the end
    run = str(tmp_path / "run")
    good = checkpoints.latest_checkpoint(run)
    trainer.step = 3
    calls = []

    def dying_save(path, arrays):
        calls.append(path)
        if len(calls) == 2:  # the second file of the new checkpoint: the process "dies"
            raise KeyboardInterrupt
        return original(path, arrays)

    original = checkpoints.save_arrays
    monkeypatch.setattr(checkpoints, "save_arrays", dying_save)
    with pytest.raises(KeyboardInterrupt):
        trainer.save_checkpoint()
    monkeypatch.undo()
    assert checkpoints.latest_checkpoint(run) == good
    assert not [n for n in os.listdir(os.path.join(run, "checkpoints")) if n.startswith(".tmp")]
    assert Trainer.resume(run).step == 2


def test_ctrl_c_saves_a_checkpoint_to_resume_from(tmp_path, monkeypatch):
    trainer = Trainer(tiny(tmp_path, steps=10, checkpoint_every=100))
    step = trainer.train_step

    def interrupted():
        if trainer.step == 4:
            raise KeyboardInterrupt
        return step()

    monkeypatch.setattr(trainer, "train_step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        trainer.run(progress=False)
    run = str(tmp_path / "run")
    assert checkpoints.latest_checkpoint(run).endswith("step_0000004")
    assert Trainer.resume(run).step == 4


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy reports the overflow itself
def test_divergence_stops_with_a_message(tmp_path):
    trainer = Trainer(tiny(tmp_path, steps=10, checkpoint_every=100))
    trainer.run(progress=False, until=3)  # a checkpoint at step 3
    weight = next(trainer.discriminator.parameters())
    weight.data[...] = float("nan")  # diverge on purpose
    with pytest.raises(TrainingDiverged) as stopped:
        trainer.run(progress=False)
    message = str(stopped.value)
    assert message.startswith("training diverged at step 4: d_loss=nan")
    assert "the last good checkpoint is" in message and "step_0000003" in message
    assert checkpoints.latest_checkpoint(str(tmp_path / "run")).endswith("step_0000003")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_cli_exits_with_a_message_when_training_diverges(tmp_path, capsys):
    code = train.main(["--steps", "20", "--lr-g", "1e12", "--lr-d", "1e12", "--betas", "0", "0",
                       "--loss", "wasserstein", "--width", "4", "--batch-size", "8",
                       "--out", str(tmp_path / "run"), "--no-progress"])
    assert code == 3
    assert "training diverged at step" in capsys.readouterr().err


def test_a_new_run_moves_the_old_one_aside(tmp_path):
    Trainer(tiny(tmp_path, steps=1)).run(progress=False)
    Trainer(tiny(tmp_path, steps=1, seed=5)).run(progress=False)
    assert json.load(open(tmp_path / "run.1" / "config.json"))["seed"] == 0
    assert json.load(open(tmp_path / "run" / "config.json"))["seed"] == 5


def test_epochs_set_the_number_of_steps(tmp_path):
    trainer = Trainer(tiny(tmp_path, epochs=0.5, data="lfw-subset"))
    assert trainer.total_steps == 6  # 100 faces, batch 8: 12 batches per epoch
    with pytest.raises(ValueError, match="not both"):
        Trainer(tiny(tmp_path, epochs=1, steps=5))


def test_cli_trains_samples_and_resumes(tmp_path, capsys):
    out = str(tmp_path / "cli")
    arguments = ["--steps", "2", "--batch-size", "8", "--width", "4", "--latent-dim", "8",
                 "--out", out, "--no-progress", "--sample-every", "1"]
    assert train.main(arguments) == 0
    assert ("training dcgan (sngan recipe, hinge loss) on mnist5k (1, 28, 28)"
            in capsys.readouterr().out)
    assert train.main(["--resume", out, "--steps", "3", "--no-progress"]) == 0
    assert checkpoints.latest_checkpoint(out).endswith("step_0000003")
    grid = str(tmp_path / "grid.png")
    assert sample.main(["--run", out, "--n", "16", "--out", grid]) == 0
    assert cv2.imread(grid, cv2.IMREAD_UNCHANGED).shape == (4 * 30 + 2, 4 * 30 + 2)
    npz = str(tmp_path / "samples.npz")
    assert sample.main(["--run", out, "--n", "10", "--out", npz]) == 0
    images = np.load(npz)["images"]
    assert images.shape == (10, 28, 28) and images.dtype == np.uint8
    walk = str(tmp_path / "walk.png")
    assert sample.main(["--run", out, "--n", "20", "--interpolate", "--steps", "5",
                        "--out", walk]) == 0
    assert cv2.imread(walk, cv2.IMREAD_UNCHANGED).shape == (4 * 30 + 2, 5 * 30 + 2)


def test_cli_colour_npz_and_conditional_labels(tmp_path):
    out = str(tmp_path / "faces")
    assert train.main(["--data", "lfw-subset", "--channels", "3", "--steps", "1", "--width", "4",
                       "--batch-size", "8", "--out", out, "--no-progress"]) == 0
    npz = str(tmp_path / "faces.npz")
    assert sample.main(["--run", out, "--n", "3", "--out", npz]) == 0
    assert np.load(npz)["images"].shape == (3, 28, 28, 3)
    out = str(tmp_path / "cond")
    assert train.main(["--model", "cdcgan", "--steps", "1", "--width", "4", "--batch-size", "8",
                       "--out", out, "--no-progress"]) == 0
    assert sample.main(["--run", out, "--n", "4", "--label", "7", "--out",
                        str(tmp_path / "sevens.png")]) == 0


def test_cli_errors_are_clear(tmp_path, capsys):
    assert train.main(["--model", "toy", "--data", "mnist5k", "--out", str(tmp_path / "x"),
                       "--no-progress"]) == 2
    assert "does not fit --data mnist5k" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert train.main(["--data", f"folder:{empty}", "--out", str(tmp_path / "y"),
                       "--no-progress"]) == 2
    assert str(empty) in capsys.readouterr().err
    assert train.main(["--resume", str(tmp_path / "nothing"), "--no-progress"]) == 2
    assert "not a minigan run folder" in capsys.readouterr().err
    assert sample.main(["--run", str(tmp_path / "nothing"), "--out", "x.png"]) == 2


def test_cli_trains_on_a_folder_with_a_corrupt_file(tmp_path):
    folder = tmp_path / "faces"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        cv2.imwrite(str(folder / f"{i}.png"), rng.integers(0, 255, (40, 30, 3), dtype=np.uint8))
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    with pytest.warns(UserWarning, match="1"):
        code = train.main(["--data", f"folder:{folder}", "--image-size", "32", "--steps", "1",
                           "--width", "4", "--batch-size", "4", "--out", str(tmp_path / "run"),
                           "--no-progress"])
    assert code == 0


def test_help_teaches():
    text = train.parser().format_help()
    for phrase in ("discriminator", "D(G(z))", "--gp-weight", "--resume", "examples"):
        assert phrase in text


def test_trainer_runs_on_each_backend(tmp_path, backend_name):
    trainer = Trainer(tiny(tmp_path, steps=1, backend=backend_name))
    trainer.run(progress=False)
    assert next(trainer.generator.parameters()).backend == backend_name
    mg.set_default_backend("numpy")


@pytest.mark.parametrize("steps", [1, 3, 10, 1000])
def test_linear_decay_holds_the_rate_then_falls_to_zero_over_the_last_30_percent(steps):
    from minigan.gan.schedules import by_name

    optimizer = mg.optim.Adam(mg.nn.Linear(1, 1).parameters(), lr=2e-4)
    schedule = by_name("linear-decay", optimizer, steps)
    rates = []
    for _ in range(steps + 1):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    decay = max(1, round(0.3 * steps))
    start = steps - decay if decay < steps else 0
    expected = [2e-4 * min(1.0, 1 - (step - start) / decay) for step in range(steps + 1)]
    np.testing.assert_allclose(rates, expected, rtol=1e-12, atol=1e-20)
    assert rates[-1] == 0.0
