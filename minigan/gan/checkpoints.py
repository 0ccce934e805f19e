"""The Trainer's checkpoints: what a checkpoint holds, how a run is rebuilt from one, and how
a new learning rate or another backend is applied on resume. The files themselves are
RunFolder's (run_folder.py); the Trainer (trainer.py) inherits these methods."""

import math
import os

from .. import backend, distributed
from ..io.checkpoint import NonFiniteState
from .config import TrainConfig, resume_values
from .health import TrainingDiverged, spread_score
from .run_folder import DamagedCheckpoint, RunFolder
from .schedules import continue_at, rebase_rate


def rank_seed(seed, rank):
    """Each rank's own random stream; rank 0's is the one a single process would draw."""
    return seed + 1_000_003 * rank


class Checkpoints:
    """save_checkpoint, load_checkpoint and resume, for the Trainer."""

    def _modules(self):
        named = {"generator": self.generator, "discriminator": self.discriminator,
                 "encoder": self.encoder}
        if self.ema is not None:
            named["ema"] = self.ema.module
        return {name: module for name, module in named.items() if module is not None}

    def _optimizers(self):
        return {name: optimizer for name, optimizer in
                (("generator", self.opt_g), ("discriminator", self.opt_d)) if optimizer}

    def _schedulers(self):
        return {name: scheduler for name, scheduler in
                (("generator", self.sched_g), ("discriminator", self.sched_d)) if scheduler}

    def _average_batch_statistics(self):
        """Make batch norm's running statistics the mean of every rank's estimate."""
        for module in self._modules().values():
            distributed.average_buffers(module, self.world)

    def save_checkpoint(self, synchronise=True):
        """Write the current state as a new checkpoint folder (atomically), after the logs
        reach the disk; returns it. Weights that are not finite are never saved. With several
        ranks, all of them call it (synchronise: average the running statistics and gather
        every rank's random state) and rank 0 writes."""
        device, rng_ranks = backend.get(self.config.backend), None
        if synchronise and self.world.size > 1:
            self._average_batch_statistics()
            rng_ranks = self.world.allgather_object(device.rng_state())
        if not self.world.is_root:
            return None
        state = {
            "step": self.step, "total_steps": self.total_steps, "config": self.config.to_dict(),
            "loader": self.loader.state_dict(),
            "schedulers": {name: s.state_dict() for name, s in self._schedulers().items()},
            "rng": device.rng_state(), "rng_ranks": rng_ranks,
            "last_metrics": self.history[-1] if self.history else None,
            "sample_shape": list(self.dataset.sample_shape),
            "num_classes": self.dataset.num_classes, "value_range": list(self.value_range),
        }
        self.folder.sync_logs()
        try:
            return self.folder.write_checkpoint(self.step, self._modules(), self._optimizers(),
                                                state, score=self._checkpoint_score())
        except NonFiniteState as error:
            raise TrainingDiverged(self._failure(
                f"training diverged by step {self.step}: {error}")) from None

    def _checkpoint_score(self):
        """(metric, value), lower is better, that picks the best checkpoint: the evaluator's
        latest FCD when it runs, else how far the samples' spread is from the data's."""
        for row in reversed(self.history):
            if "eval_fcd" in row:
                return "eval_fcd", row["eval_fcd"]
        score = spread_score(self.health.ratio(self.fixed_samples()))
        return ("sample_spread", score) if math.isfinite(score) else None

    def load_checkpoint(self, folder=None):
        """Restore everything save_checkpoint wrote, so training continues exactly: from
        `folder`, or from the newest intact checkpoint (damaged ones are reported and
        skipped). Returns the checkpoint's state."""
        if folder is not None:
            return self._restore(folder)
        return self.folder.load_newest(self._restore)[1]

    def _restore(self, folder):
        state = self.folder.read_checkpoint(self._modules(), self._optimizers(), folder)
        try:
            for name, scheduler in self._schedulers().items():
                continue_at(scheduler, state["schedulers"][name])
            self.loader.load_state_dict(state["loader"])
            same_backend = state["config"]["backend"] == self.config.backend
        except (KeyError, TypeError, ValueError) as error:
            raise DamagedCheckpoint(f"its state.json does not fit this run "
                                    f"({type(error).__name__}: {error})") from None
        self._batches = None
        self._restore_random_state(state, same_backend)
        self.step = state["step"]
        return state

    def _restore_random_state(self, state, same_backend):
        """This rank's saved random stream; with none (or another backend's), a new seeded
        one."""
        device, ranks = backend.get(self.config.backend), state.get("rng_ranks") or []
        rng = ranks[self.world.rank] if len(ranks) == self.world.size else (
            state.get("rng") if self.world.rank == 0 else None)
        if rng is not None and same_backend:
            device.set_rng_state(rng)
        else:
            device.seed(rank_seed(self.config.seed + state["step"], self.world.rank))

    @classmethod
    def resume(cls, run_dir, world=None, **overrides):
        """The run in `run_dir`, rebuilt from its config.json and newest intact checkpoint.
        Keyword arguments change what a resume can honour (config.RESUMABLE: steps, learning
        rates, backend, cadence; `out`, a new folder, continues a copy of the run there); one
        that would change the model or its data is a ValueError that names its flag. `world`:
        the ranks that continue it."""
        folder = RunFolder(run_dir)
        values = resume_values(folder.read_config(), {**overrides, "out": overrides.get("out")
                                                      or run_dir})
        root = world is None or world.is_root
        if os.path.abspath(values["out"]) != os.path.abspath(run_dir):
            if root:
                folder.copy_to(values["out"])
            if world is not None and world.size > 1:
                world.allgather_object(None)  # the others wait until the copy is there
        trainer = cls(TrainConfig.from_dict(values), world=world)
        trainer.load_checkpoint()
        for name, optimizer, scheduler in (("lr_g", trainer.opt_g, trainer.sched_g),
                                           ("lr_d", trainer.opt_d, trainer.sched_d)):
            if optimizer is not None:
                rebase_rate(optimizer, scheduler, values[name], values["betas"])
        if trainer.step > trainer.total_steps:
            steps = "--epochs" if values["epochs"] is not None else "--steps"
            raise ValueError(f"the run is at step {trainer.step} already, but {steps} asks for "
                             f"{trainer.total_steps} steps in all: pass {steps} for at least "
                             f"{trainer.step} steps (more to train longer)")
        return trainer
