"""Recipes: the settings a run leaves out. The command line's default for the DCGAN models is
sngan, --recipe dcgan is the plain DCGAN, and every flag the user gives wins over both."""

import json

import pytest
from support import one_line_error

from minigan import train
from minigan.gan import TrainConfig, Trainer
from minigan.gan.config import RECIPES

SMALL = ["--latent-dim", "8", "--no-progress"]


def new_run(tmp_path, *flags):
    """The Trainer that `python -m minigan.train FLAGS` would start, without training."""
    arguments = train.parser().parse_args([*flags, *SMALL, "--out", str(tmp_path / "run")])
    train.check_arguments(arguments)
    return train.start(arguments)


def settings(config, names=("width", "batch_size", "loss", "lr_g", "lr_d", "betas",
                             "lr_schedule")):
    return {name: getattr(config, name) for name in names}


def test_the_command_line_trains_the_sngan_recipe_by_default(tmp_path):
    trainer = new_run(tmp_path)
    assert trainer.config.recipe == "sngan"
    assert settings(trainer.config) == dict(width=32, batch_size=64, loss="hinge", lr_g=8e-4,
                                            lr_d=1.6e-3, betas=(0.0, 0.9),
                                            lr_schedule="linear-decay")
    assert trainer.spec.discriminator_norm == "spectral"
    assert trainer.total_steps == 10000
    assert trainer.opt_d.param_groups[0]["lr"] == 1.6e-3
    assert trainer.opt_g.param_groups[0]["betas"] == (0.0, 0.9)


def test_recipe_dcgan_is_the_plain_dcgan(tmp_path):
    trainer = new_run(tmp_path, "--recipe", "dcgan")
    assert settings(trainer.config) == dict(width=64, batch_size=64, loss="non_saturating",
                                            lr_g=2e-4, lr_d=2e-4, betas=(0.5, 0.999),
                                            lr_schedule="constant")
    assert trainer.spec.discriminator_norm == "batch"
    assert trainer.total_steps == 1500


def test_the_flags_a_user_gives_win_over_the_recipe(tmp_path):
    trainer = new_run(tmp_path, "--width", "16", "--betas", "0.5", "0.99", "--lr-schedule",
                      "constant", "--steps", "7")
    assert settings(trainer.config) == dict(width=16, batch_size=64, loss="hinge", lr_g=8e-4,
                                            lr_d=1.6e-3, betas=(0.5, 0.99),
                                            lr_schedule="constant")
    assert trainer.total_steps == 7
    assert trainer.config.to_dict()["recipe"] == "sngan"  # what config.json records


def test_models_other_than_dcgan_train_with_the_plain_settings(tmp_path, capsys):
    trainer = new_run(tmp_path, "--model", "toy", "--data", "ring8")
    assert trainer.config.recipe == "dcgan" and trainer.config.loss == "non_saturating"
    assert train.main(["--model", "mlp", "--recipe", "sngan", "--out", str(tmp_path / "m"),
                       "--no-progress"]) == 2
    one_line_error(capsys, "--recipe sngan", "--model dcgan or cdcgan", "--model mlp")


def test_the_library_config_is_the_plain_dcgan_unless_it_names_a_recipe():
    assert settings(TrainConfig()) == RECIPES["dcgan"]
    assert settings(TrainConfig(recipe="sngan")) == RECIPES["sngan"]
    assert TrainConfig(recipe="sngan", loss="wasserstein").loss == "wasserstein"
    with pytest.raises(ValueError, match="--recipe must be one of"):
        TrainConfig(recipe="stylegan").check()


def test_a_resumed_run_keeps_its_recipe(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert train.main(["--steps", "1", "--width", "4", "--batch-size", "8", *SMALL, "--out",
                       out]) == 0
    trainer = Trainer.resume(out)
    assert trainer.config.recipe == "sngan" and trainer.config.lr_d == 1.6e-3
    assert train.main(["--resume", out, "--recipe", "dcgan", "--no-progress"]) == 2
    one_line_error(capsys, "--recipe dcgan cannot be honoured on --resume")


def test_a_config_saved_before_recipes_existed_resumes_as_it_was_trained(tmp_path):
    out = str(tmp_path / "run")
    Trainer(TrainConfig(steps=1, width=4, batch_size=8, latent_dim=8, out=out)).run()
    with open(tmp_path / "run" / "config.json") as file:
        saved = json.load(file)
    del saved["recipe"]
    with open(tmp_path / "run" / "config.json", "w") as file:
        json.dump(saved, file)
    trainer = Trainer.resume(out, steps=2)
    assert trainer.config.loss == "non_saturating" and trainer.config.width == 4


def test_a_finished_run_resumed_for_more_steps_stretches_its_decay(tmp_path):
    """linear-decay ends at 0: a resumed run for more steps decays over its new length."""
    out = str(tmp_path / "run")
    assert train.main(["--steps", "10", "--width", "4", "--batch-size", "8", *SMALL, "--out",
                       out]) == 0
    assert train.main(["--resume", out, "--steps", "20", "--no-progress"]) == 0
    with open(tmp_path / "run" / "log.jsonl") as file:
        rates = [json.loads(line)["lr_g"] for line in file]
    # the log gives the rate after each step's schedule update: over 10 steps the last 3 decay,
    # and resumed for 20 the decay starts again, at step 14
    lr = RECIPES["sngan"]["lr_g"]
    first = [lr] * 7 + [lr * 2 / 3, lr / 3, 0.0]
    stretched = [lr] * 4 + [lr * (1 - k / 6) for k in range(1, 7)]
    assert rates == pytest.approx(first + stretched, abs=1e-12)
