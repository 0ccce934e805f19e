"""Training on the simulated GPU: one copy to the host per step, and exact resume (the GPU's
random state is saved in checkpoints)."""

import json

import numpy as np

from minigan.gan import TrainConfig, Trainer
from minigan.io import checkpoint as checkpoints

TINY = dict(batch_size=8, width=4, latent_dim=8, sample_every=100, checkpoint_every=100,
            num_samples=8, backend="cupy")


def tiny(folder, **values):
    return TrainConfig(**{**TINY, "out": str(folder / "run"), **values})


def _weights(trainer):
    return {**{f"G.{k}": v.numpy() for k, v in trainer.generator.state_dict().items()},
            **{f"D.{k}": v.numpy() for k, v in trainer.discriminator.state_dict().items()}}


def test_a_training_step_copies_to_the_host_once(tmp_path, simulated_gpu):
    """The logged numbers are gathered on the device and copied together: a second copy in
    the middle of a step (a float() of a loss, a norm) would stall a real GPU."""
    for number, extra in enumerate((dict(), dict(loss="wasserstein", gp_weight=10.0, n_critic=2),
                                    dict(recipe="sngan"))):  # spectral norm in D
        trainer = Trainer(tiny(tmp_path / str(number), steps=3, **extra))
        trainer.train_step()  # the first step also builds the fixed noise, the batches, ...
        simulated_gpu.reset()
        metrics = trainer.train_step()
        assert simulated_gpu.to_host == 1, f"{simulated_gpu.to_host} copies to the host, {extra}"
        assert all(isinstance(value, float) for key, value in metrics.items()
                   if key not in ("penalty",) or value is not None), metrics


def test_resume_on_the_gpu_continues_exactly(tmp_path, simulated_gpu):
    straight = Trainer(tiny(tmp_path / "a", steps=4))
    straight.run(progress=False)
    first = Trainer(tiny(tmp_path / "b", steps=4))
    first.run(progress=False, until=2)  # the same run, stopped half way
    folder = checkpoints.latest_checkpoint(str(tmp_path / "b" / "run"))
    with open(f"{folder}/state.json") as handle:
        assert json.load(handle)["rng"]["draws"] > 0  # the GPU generator's state was saved
    resumed = Trainer.resume(str(tmp_path / "b" / "run"))
    assert resumed.step == 2
    resumed.run(progress=False)
    expected, actual = _weights(straight), _weights(resumed)
    assert expected.keys() == actual.keys()
    for key in expected:
        np.testing.assert_array_equal(actual[key], expected[key], err_msg=key)
