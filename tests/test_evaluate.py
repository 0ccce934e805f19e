"""Sample-quality metrics: their math against closed forms, the shipped classifier against its
record, the evaluate command line on tiny runs and sample files, and the training evaluator."""

import contextlib
import io
import json
import math
import shutil

import numpy as np
import pytest

from minigan import sample, train
from minigan.data import mnist5k
from minigan.evaluate import classifier_record, load_classifier, metrics, report, table
from minigan.evaluate.train_classifier import accuracy, split
from minigan.evaluate.training import training_evaluator
from minigan.gan import TrainConfig, Trainer
from minigan.io import checkpoint as checkpoints


# -- Frechet distance -------------------------------------------------------------------------
def test_frechet_distance_of_a_set_with_itself_is_zero():
    features = np.random.default_rng(0).standard_normal((500, 32)) * 3 + 1
    assert metrics.frechet_distance(features, features) == pytest.approx(0.0, abs=1e-8)


def test_frechet_distance_of_a_shifted_set_is_the_squared_shift():
    features = np.random.default_rng(1).standard_normal((400, 16))
    shift = np.linspace(-1, 2, 16)  # same covariance: d^2 = |shift|^2
    assert metrics.frechet_distance(features, features + shift) == pytest.approx(shift @ shift)


def test_frechet_distance_of_gaussians_matches_the_closed_form():
    rng = np.random.default_rng(2)
    mean, scale = np.array([1.0, -2.0, 0.5, 0.0]), np.array([1.0, 2.0, 0.5, 3.0])
    a = rng.standard_normal((200_000, 4))
    b = rng.standard_normal((200_000, 4)) * scale + mean
    # N(0, I) vs N(m, diag(s^2)): d^2 = |m|^2 + sum (1 - s)^2
    expected = mean @ mean + ((1 - scale) ** 2).sum()
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=0.01)


def test_frechet_distance_with_different_covariances_matches_the_closed_form():
    rng = np.random.default_rng(3)
    a = rng.standard_normal((300, 2)) @ np.array([[2.0, 0.0], [1.0, 0.5]])
    b = rng.standard_normal((300, 2)) @ np.array([[0.3, 1.2], [-0.7, 0.4]]) + [3.0, -1.0]
    mean_a, mean_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    product = cov_a @ cov_b  # their covariances do not commute
    assert not np.allclose(product, cov_b @ cov_a)
    # 2x2: tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)), as (sqrt l1 + sqrt l2)^2 = tr M + 2 sqrt(l1 l2)
    trace_of_root = math.sqrt(np.trace(product) + 2 * math.sqrt(np.linalg.det(product)))
    expected = ((mean_a - mean_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) \
        - 2 * trace_of_root
    assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=1e-9)
    scaled = 0.25 * a  # C_b = s^2 C_a: d^2 = (1 - s)^2 (|m_a|^2 + tr C_a)
    assert metrics.frechet_distance(a, scaled) == pytest.approx(
        0.75 ** 2 * (mean_a @ mean_a + np.trace(cov_a)), rel=1e-9)


def test_frechet_distance_rejects_mismatched_features():
    with pytest.raises(ValueError, match="different widths"):
        metrics.frechet_distance(np.zeros((5, 3)), np.zeros((5, 4)))
    with pytest.raises(ValueError, match="at least 2 rows"):
        metrics.frechet_distance(np.zeros((1, 3)), np.zeros((5, 3)))


# -- KID --------------------------------------------------------------------------------------
def test_kid_is_unbiased_on_equal_distributions():
    rng = np.random.default_rng(4)
    draws = np.array([metrics.unbiased_mmd2(rng.standard_normal((20, 4)) + 1,
                                            rng.standard_normal((20, 4)) + 1)
                      for _ in range(2000)])
    standard_error = draws.std() / math.sqrt(len(draws))
    assert abs(draws.mean()) < 3 * standard_error
    assert (draws < 0).any()  # an unbiased estimate of 0 must sometimes be negative


def test_kid_is_positive_for_different_distributions():
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((600, 8)), rng.standard_normal((600, 8)) * 1.5 + 0.3
    mean, std = metrics.kernel_distance(a, b, subsets=10, subset_size=300)
    assert mean > 5 * std > 0
    same_mean, _ = metrics.kernel_distance(a, rng.standard_normal((600, 8)), subset_size=300)
    assert abs(same_mean) < mean / 10


# -- precision and recall ---------------------------------------------------------------------
def test_precision_and_recall_of_identical_and_disjoint_sets():
    rng = np.random.default_rng(6)
    real = rng.standard_normal((300, 5))
    assert metrics.precision_recall(real, real) == (1.0, 1.0)
    assert metrics.precision_recall(real, real + 100.0) == (0.0, 0.0)


def test_precision_recall_of_a_set_that_covers_half_the_modes():
    rng = np.random.default_rng(7)
    centres = np.array([[0.0, 0.0], [50.0, 0.0]])
    real = np.concatenate([rng.standard_normal((200, 2)) + c for c in centres])
    fake = rng.standard_normal((200, 2)) + centres[0]  # mode collapse onto one of two
    precision, recall = metrics.precision_recall(real, fake)
    assert precision > 0.9 and 0.4 < recall < 0.55


# -- the classifier's view: coverage and confidence -------------------------------------------
def test_a_one_class_set_covers_one_class():
    probabilities = np.full((100, 10), 0.01)
    probabilities[:, 3] = 0.91
    histogram = metrics.class_histogram(probabilities)
    assert histogram.tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    assert metrics.classes_covered(histogram) == 1
    assert metrics.kl_to_uniform(histogram) == pytest.approx(math.log(10))
    assert metrics.confident_share(probabilities) == 1.0


def test_a_balanced_set_covers_every_class():
    probabilities = np.eye(10)[np.arange(200) % 10] * 0.8 + 0.02
    histogram = metrics.class_histogram(probabilities)
    assert metrics.classes_covered(histogram) == 10
    assert metrics.kl_to_uniform(histogram) == pytest.approx(0.0, abs=1e-12)
    assert metrics.confident_share(probabilities) == 0.0  # 0.82 < 0.9


def test_the_classifier_scores_its_recorded_held_out_accuracy():
    _, held_out = split(mnist5k())
    assert len(held_out) == classifier_record()["held_out"]
    assert accuracy(load_classifier(), held_out) == classifier_record()["held_out_accuracy"]


# -- the command line -------------------------------------------------------------------------
TINY_RUN = ["--steps", "2", "--width", "4", "--latent-dim", "8", "--batch-size", "8",
            "--no-progress"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("evaluate") / "run"
    assert train.main(TINY_RUN + ["--out", str(folder)]) == 0
    return folder


@pytest.fixture(scope="module")
def run_scores(tiny_run):
    """What the command line prints and saves for the tiny run, N = 200."""
    path = tiny_run.parent / "scores.json"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert report.main(["--run", str(tiny_run), "--n", "200", "--json", str(path)]) == 0
    return printed.getvalue(), json.loads(path.read_text())


def test_evaluate_a_run(run_scores):
    printed, result = run_scores
    for word in ("FCD", "KID", "precision", "recall", "confident", "classes", "KL", "D acc",
                 "img/s", "real vs real (500 vs 500)", "noise (200 vs 1000)", "class histogram"):
        assert word in printed
    assert result["features"] == "classifier" and result["step"] == 2
    rows = result["rows"]
    generated, floor, ceiling = rows["generated"], rows["real_vs_real"], rows["noise"]
    assert generated["count"] == 200 and generated["images_per_second"] > 0
    assert len(generated["histogram"]) == 10 and sum(generated["histogram"]) == pytest.approx(1)
    assert 0.0 <= generated["d_accuracy"] <= 1.0
    # noise is the ceiling, real vs real the floor
    assert ceiling["fd"] > 10 * floor["fd"] and ceiling["kid"] > floor["kid"] + 3 * floor["kid_std"]
    assert floor["precision"] > ceiling["precision"] and floor["recall"] > ceiling["recall"]
    assert floor["confident"] > ceiling["confident"] and floor["classes"] == 10
    assert abs(floor["d_accuracy"] - 0.5) < 0.1  # D cannot tell real from real


def test_a_sample_file_scores_as_the_run_it_came_from(tiny_run, run_scores, tmp_path):
    samples = tmp_path / "samples.npz"
    assert sample.main(["--run", str(tiny_run), "--n", "200", "--out", str(samples)]) == 0
    from_file = report.run_evaluation(report.parser().parse_args(["--samples", str(samples)]))
    from_run = run_scores[1]
    for key in ("fd", "kid", "precision", "recall", "confident", "histogram"):
        assert from_file["rows"]["generated"][key] == from_run["rows"]["generated"][key], key
    assert "d_accuracy" not in from_file["rows"]["generated"]  # no discriminator without a run


def test_repeats_report_the_mean_and_spread_of_single_draws(tiny_run, tmp_path, capsys):
    singles = [report.run_evaluation(report.parser().parse_args(
        ["--run", str(tiny_run), "--n", "100", "--seed", str(seed)]))["rows"]["generated"]
        for seed in (3, 4, 5)]
    path = tmp_path / "pooled.json"
    assert report.main(["--run", str(tiny_run), "--n", "100", "--seed", "3", "--repeats", "3",
                        "--json", str(path)]) == 0
    printed, row = capsys.readouterr().out, json.loads(path.read_text())["rows"]["generated"]
    draws = [single["fd"] for single in singles]
    assert row["fd_draws"] == draws
    assert len({single["kid"] for single in singles}) == 3  # each draw with its own seed
    assert row["fd"] == pytest.approx(np.mean(draws))
    assert row["fd_std"] == pytest.approx(np.std(draws))
    for key in ("kid", "precision", "recall", "confident", "kl", "d_accuracy"):
        assert row[key] == pytest.approx(np.mean([single[key] for single in singles])), key
    assert row["classes"] == min(single["classes"] for single in singles)
    assert sum(row["histogram"]) == pytest.approx(1, abs=1e-3)
    assert "generated (3 x 100 vs 1000)" in printed
    assert f"{table._number(row['fd'])} +- {table._number(row['fd_std'])}" in printed


def test_unlabelled_images_are_measured_in_the_discriminator_features(tmp_path, capsys):
    run = tmp_path / "faces"
    assert train.main(TINY_RUN + ["--data", "lfw-subset", "--out", str(run)]) == 0
    assert report.main(["--run", str(run), "--n", "40"]) == 0
    printed = capsys.readouterr().out
    assert "discriminator features" in printed and "FD" in printed and "FCD" not in printed
    assert "confident" not in printed and "same discriminator" in printed


def test_clear_errors(tiny_run, tmp_path, capsys):
    assert report.main(["--run", str(tmp_path / "nowhere")]) == 2
    assert "no run folder" in capsys.readouterr().err
    wrong_key = tmp_path / "wrong.npz"
    np.savez(wrong_key, pictures=np.zeros((10, 28, 28), np.uint8))
    assert report.main(["--samples", str(wrong_key)]) == 2
    assert "no array 'images'" in capsys.readouterr().err
    floats = tmp_path / "floats.npz"
    np.savez(floats, images=np.zeros((10, 28, 28), np.float32))
    assert report.main(["--samples", str(floats)]) == 2
    assert "must be uint8" in capsys.readouterr().err
    assert report.main(["--samples", str(floats), "--repeats", "2"]) == 2
    assert "pass --run DIR, or drop --repeats" in capsys.readouterr().err
    assert report.main(["--run", str(tiny_run), "--repeats", "0"]) == 2
    assert "--repeats must be 1 or more" in capsys.readouterr().err
    large = tmp_path / "large.npz"
    np.savez(large, images=np.zeros((10, 32, 32), np.uint8))
    assert report.main(["--samples", str(large), "--features", "classifier"]) == 2
    assert "takes grey 28x28 digits" in capsys.readouterr().err
    assert report.main(["--samples", str(large)]) == 2
    assert "--discriminator DIR" in capsys.readouterr().err
    assert report.main(["--samples", str(large), "--discriminator", str(tiny_run),
                        "--data", "mnist5k"]) == 2
    assert "takes images of shape (1, 28, 28)" in capsys.readouterr().err


# -- during training --------------------------------------------------------------------------
def tiny_config(tmp_path, name, **values):
    values = {"steps": 2, "checkpoint_every": 100, **values}
    return TrainConfig(batch_size=8, width=4, latent_dim=8, sample_every=100,
                       out=str(tmp_path / name), **values)


def test_the_training_evaluator_logs_and_plots_eval_metrics(tmp_path):
    trainer = Trainer(tiny_config(tmp_path, "evaluated", evaluate_every=1))
    trainer.evaluator = training_evaluator(trainer, count=64)
    trainer.run(progress=False)
    rows = [json.loads(line) for line in open(tmp_path / "evaluated" / "log.jsonl")]
    for row in rows:
        assert {"eval_fcd", "eval_confident_percent", "eval_classes_covered"} <= set(row)
        assert row["eval_fcd"] > 0 and 1 <= row["eval_classes_covered"] <= 10
    assert (tmp_path / "evaluated" / "losses.png").exists()
    plain = Trainer(tiny_config(tmp_path, "plain"))
    plain.run(progress=False)  # evaluating leaves the training's random stream alone
    for a, b in zip(trainer.generator.parameters(), plain.generator.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_resuming_drops_the_evaluations_past_the_checkpoint(tmp_path):
    trainer = Trainer(tiny_config(tmp_path, "resumed", evaluate_every=1, steps=4,
                                  checkpoint_every=2))
    trainer.evaluator = training_evaluator(trainer, count=32)
    trainer.run(progress=False, until=3)  # evaluations at 1, 2, 3; checkpoints at 2, 3
    shutil.rmtree(checkpoints.latest_checkpoint(str(tmp_path / "resumed")))  # killed before 3's
    resumed = Trainer.resume(str(tmp_path / "resumed"))
    resumed.evaluator = training_evaluator(resumed, count=32)
    resumed.run(progress=False)
    for name in ("evaluation.jsonl", "log.jsonl"):
        steps = [json.loads(line)["step"] for line in open(tmp_path / "resumed" / name)]
        assert steps == [1, 2, 3, 4], name


def test_the_training_evaluator_refuses_what_it_cannot_measure(tmp_path):
    with pytest.raises(ValueError, match="python -m minigan.evaluate --run DIR"):
        training_evaluator(Trainer(tiny_config(tmp_path, "faces", data="lfw-subset")))
    with pytest.raises(ValueError, match="needs an evaluator"):
        Trainer(tiny_config(tmp_path, "bare", evaluate_every=1)).run(progress=False)
