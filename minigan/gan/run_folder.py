"""A training run's folder, and the one loader of a trained run's models (`load_run`).

    config.json                  the configuration (what --resume rebuilds the run from)
    log.jsonl                    one JSON object per step: losses, D(x), D(G(z)), penalties,
                                 gradient norms, learning rates, step time, images per second
    evaluation.jsonl             the sample-quality scores of --evaluate-every
    samples/step_0000200.png     the generator on fixed noise, every --sample-every steps
    checkpoints/step_0000500/    models.safetensors and optimizers.safetensors (weights and
                                 optimizer state), state.json (counters, configuration,
                                 data-loader position, random state, data shape)
    checkpoints/latest.json      which checkpoint folder is the newest complete one
    checkpoints/best.json        which one scored best (lower is better), never pruned
    losses.png                   the curves, drawn at the end

Every file here is read and written through this module; io/checkpoint.py does the atomic
writes underneath. Nothing read is trusted: a damaged checkpoint is reported in one line and
the newest intact one is used; a torn last line of a log (a write cut short) is dropped.
"""

import dataclasses
import json
import os
import shutil

from .. import backend
from ..io import checkpoint as checkpoints
from .config import TrainConfig
from .models import ModelSpec, model_spec

MODELS_FILE, OPTIMIZERS_FILE = "models.safetensors", "optimizers.safetensors"
LOGS = ("log.jsonl", "evaluation.jsonl")
BEST = "best.json"
DamagedCheckpoint = checkpoints.DamagedCheckpoint


class RunFolder:
    """The files of one run, in the folder `path`."""

    def __init__(self, path):
        self.path = path

    def file(self, name):
        return os.path.join(self.path, name)

    # -- configuration and logs -----------------------------------------------------------
    def problem_as_new_run(self):
        """Why a new run cannot start in this folder (a sentence naming --out), or None: the
        folder must be a new one or an earlier run's, which is moved aside, never deleted."""
        path, here = os.path.abspath(self.path), os.path.abspath(os.getcwd())
        if os.path.exists(path) and not os.path.isdir(path):
            return f"--out {self.path} is a file: pass a folder for the run, e.g. --out runs/mine"
        if here == path or here.startswith(path.rstrip(os.sep) + os.sep):
            return (f"--out {self.path} is the current folder or holds it, which cannot be moved "
                    "aside for a new run: pass a new folder, e.g. --out runs/mine")
        if os.path.isdir(path) and os.listdir(path) and not os.path.exists(
                self.file("config.json")):
            return (f"--out {self.path} already holds files that are not a minigan run: pass a "
                    "new folder, e.g. --out runs/mine")
        return None

    def start(self, config, fresh):
        """Make the folder and write config.json; a fresh run first moves an earlier run in
        the same folder aside (to path.1, path.2, ...): runs never mix, nothing is deleted."""
        if fresh and (problem := self.problem_as_new_run()) is not None:
            raise ValueError(problem)
        if fresh and os.path.exists(self.file("config.json")):
            number = 1
            while os.path.exists(f"{self.path}.{number}"):
                number += 1
            os.replace(self.path, f"{self.path}.{number}")
            print(f"moved the earlier run in {self.path} to {self.path}.{number}")
        os.makedirs(self.path, exist_ok=True)
        checkpoints.write_json_atomic(self.file("config.json"), config.to_dict())

    def copy_to(self, path):
        """Copy this run to the new folder `path` (a resume with --out continues the copy
        there and leaves this one as it was); returns the copy's RunFolder."""
        if os.path.exists(path):
            raise ValueError(f"--out {path} already exists: pass a new folder to continue a copy "
                             f"of {self.path} there, or leave out --out to continue in place")
        if os.path.abspath(path).startswith(os.path.abspath(self.path).rstrip(os.sep) + os.sep):
            raise ValueError(f"--out {path} is inside the run {self.path}: pass a folder outside "
                             "it to continue a copy there")
        shutil.copytree(self.path, path, ignore=shutil.ignore_patterns(".tmp-*"))
        print(f"copied {self.path} to {path}; continuing there")
        return RunFolder(path)

    def read_config(self):
        """The run's configuration as a dict, from config.json."""
        path = self.file("config.json")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{self.path!r} is not a minigan run folder: it has no "
                                    "config.json. Pass the --out folder of an earlier run.")
        try:
            values = checkpoints.read_json(path)
        except ValueError as error:
            raise ValueError(f"{path} is not valid JSON ({error}): the run's configuration is "
                             "damaged; restore it or start a new run") from None
        if not isinstance(values, dict):
            raise ValueError(f"{path} does not hold a configuration object")
        return values

    def append(self, row, name="log.jsonl"):
        """Add one JSON row to log.jsonl (or another log)."""
        with open(self.file(name), "a") as handle:
            handle.write(json.dumps(row) + "\n")

    def sync_logs(self):
        """Flush the logs to the disk (before a checkpoint, so that both survive a crash)."""
        for name in LOGS:
            if os.path.exists(self.file(name)):
                with open(self.file(name), "rb") as handle:
                    os.fsync(handle.fileno())

    def read_log(self, name="log.jsonl"):
        """The rows of a log, [] when it does not exist. A torn last line (a write cut short)
        is dropped with a note; a damaged line before it is an error naming the line."""
        if not os.path.exists(self.file(name)):
            return []
        with open(self.file(name)) as handle:
            lines = [line for line in handle.read().split("\n") if line.strip()]
        rows = []
        for number, line in enumerate(lines, 1):
            try:
                row = json.loads(line)
            except ValueError:
                row = None
            if isinstance(row, dict):
                rows.append(row)
            elif number == len(lines):
                checkpoints.warn(f"dropped the torn last line of {self.file(name)} (a write that "
                                 "was cut short)")
            else:
                raise ValueError(f"{self.file(name)} line {number} is not a JSON row: repair or "
                                 "delete that line, then resume")
        return rows

    def trim_logs(self, step):
        """On resume, drop the log rows past `step` (they will be redone) and any row without
        a step; returns the rows of log.jsonl that are kept."""
        for name in LOGS:
            if os.path.exists(self.file(name)):
                kept = [row for row in self.read_log(name) if isinstance(row.get("step"), int)
                        and 0 <= row["step"] <= step]
                checkpoints.write_bytes_atomic(
                    self.file(name), "".join(json.dumps(row) + "\n" for row in kept).encode())
        return self.read_log()

    def sample_path(self, step):
        """Where the sample picture of `step` goes (its folder made)."""
        os.makedirs(self.file("samples"), exist_ok=True)
        return os.path.join(self.path, "samples", f"step_{step:07d}.png")

    # -- checkpoints ------------------------------------------------------------------------
    def latest_checkpoint(self):
        """The newest complete checkpoint folder (not yet checked), or None."""
        return checkpoints.latest_checkpoint(self.path)

    def best(self):
        """{"folder", "step", "metric", "value"} of the best checkpoint so far, or None."""
        try:
            best = checkpoints.read_json(os.path.join(self.path, "checkpoints", BEST))
            sound = checkpoints.STEP_FOLDER.fullmatch(best["folder"]) and isinstance(
                best["step"], int) and isinstance(best["value"], (int, float))
            return best if sound else None
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write_checkpoint(self, step, modules, optimizers, state, score=None):
        """Save {name: Module} and {name: Optimizer} and the JSON `state` as checkpoint
        `step`, atomically; `score` (metric name, value; lower is better) makes it the best
        checkpoint if it beats the best so far. Returns its folder."""
        optimizer_arrays, optimizer_scalars = {}, {}
        for name, optimizer in optimizers.items():
            arrays, optimizer_scalars[name] = _optimizer_to_host(optimizer)
            optimizer_arrays.update({f"{name}.{key}": value for key, value in arrays.items()})
        model_arrays = {f"{name}.{key}": value.numpy() for name, module in modules.items()
                        for key, value in module.state_dict().items()}
        best = self._better_best(step, score)
        folder = checkpoints.write_checkpoint(
            self.path, step, {MODELS_FILE: model_arrays, OPTIMIZERS_FILE: optimizer_arrays},
            {**state, "optimizers": optimizer_scalars},
            protect=(best["folder"],) if best else ())
        if best and best["step"] == step:
            checkpoints.write_json_atomic(os.path.join(self.path, "checkpoints", BEST), best)
        return folder

    def _better_best(self, step, score):
        """The best checkpoint once checkpoint `step` with `score` is written."""
        best = self.best()
        if score is None or score[1] is None:
            return best
        metric, value = score
        if best is None or best["metric"] != metric or value <= best["value"] \
                or best["step"] >= step:
            return {"folder": f"step_{step:07d}", "step": step, "metric": metric,
                    "value": float(value)}
        return best

    def load_newest(self, load):
        """(folder, load(folder)) for the newest checkpoint that `load` accepts: each one it
        rejects with DamagedCheckpoint is reported in one line and skipped."""
        candidates = checkpoints.checkpoint_candidates(self.path)
        if not candidates:
            self.checkpoint_to_load()  # raises, saying what to pass
        for folder in candidates:
            try:
                return folder, load(folder)
            except DamagedCheckpoint as error:
                checkpoints.warn(f"skipping the damaged checkpoint {folder}: {error}")
        raise FileNotFoundError(f"{self.path!r} has no intact checkpoint (each one is damaged, "
                                "see the warnings above): start a new run")

    def intact(self, folder):
        """Whether the checkpoint `folder` reads back whole and finite."""
        try:
            checkpoints.read_checkpoint(folder, [MODELS_FILE, OPTIMIZERS_FILE])
        except (DamagedCheckpoint, OSError):
            return False
        return True

    def newest_intact(self):
        """The newest checkpoint folder whose files all read back whole and finite, or None;
        quietly (the damaged ones were reported when they were skipped)."""
        for folder in checkpoints.checkpoint_candidates(self.path):
            if self.intact(folder):
                return folder
        return None

    def rewind_to_best(self):
        """Point latest.json at the best checkpoint, if it is intact and older than the newest,
        so that --resume continues from it; returns its folder, or None."""
        last, best = self.newest_intact(), self.best()
        if last is None or best is None:
            return None
        folder = os.path.join(os.path.dirname(last), best["folder"])
        if folder == last or not self.intact(folder):
            return None
        checkpoints.point_latest_at(self.path, best["folder"])
        return folder

    def checkpoints_to_go_back_to(self):
        """The newest intact checkpoint and the best one, in words (for a failed run)."""
        last, best = self.newest_intact(), self.best()
        if last is None:
            return "no checkpoint was written before it"
        where = f"the last good checkpoint is {last}"
        best_folder = os.path.join(os.path.dirname(last), best["folder"]) if best else last
        if best_folder != last and self.intact(best_folder):
            where += f", the best ({best['metric']} {best['value']:.4g}) is {best_folder}"
        return where

    def read_checkpoint(self, modules, optimizers, folder=None):
        """Load what write_checkpoint saved into the modules and optimizers (on their own
        backends); returns the state. `folder` defaults to the newest intact checkpoint."""
        if folder is None:
            return self.load_newest(lambda f: self.read_checkpoint(modules, optimizers, f))[1]
        state, arrays = checkpoints.read_checkpoint(folder, [MODELS_FILE, OPTIMIZERS_FILE])
        try:
            for name, module in modules.items():
                module.load_state_dict(_prefixed(arrays[MODELS_FILE], name))
            for name, optimizer in optimizers.items():
                _optimizer_from_host(optimizer, _prefixed(arrays[OPTIMIZERS_FILE], name),
                                     state["optimizers"][name])
        except (RuntimeError, ValueError, KeyError, TypeError, IndexError) as error:
            raise DamagedCheckpoint(_one_line(f"its arrays do not fit the model: {error}")) \
                from None
        return state

    def checkpoint_to_load(self):
        """The newest complete checkpoint folder; FileNotFoundError, saying what to pass, when
        there is none."""
        folder = self.latest_checkpoint()
        if folder is None:
            raise FileNotFoundError(f"{self.path!r} has no complete checkpoint: pass the --out "
                                    "folder of a run that has written one "
                                    "(checkpoints/latest.json)")
        return folder


def _one_line(text):
    return " ".join(part.strip() for part in str(text).splitlines())


def _prefixed(arrays, name):
    """The arrays whose keys start with `name.`, without that prefix."""
    return {key[len(name) + 1:]: value for key, value in arrays.items()
            if key.startswith(name + ".")}


def _optimizer_to_host(optimizer):
    """(host arrays, JSON scalars) of an optimizer's state."""
    arrays, scalars = {}, {}
    state = optimizer.state_dict()
    for index, entries in state["state"].items():
        for name, value in entries.items():
            if hasattr(value, "numpy"):
                arrays[f"{index}.{name}"] = value.numpy()
            else:
                scalars[f"{index}.{name}"] = value
    return arrays, {"param_groups": state["param_groups"], "scalars": scalars}


def _optimizer_from_host(optimizer, arrays, saved):
    """Restore _optimizer_to_host's arrays and scalars (the optimizer moves the arrays to its
    parameters' backend)."""
    state = {}
    for key, value in [*arrays.items(), *saved["scalars"].items()]:
        index, name = key.split(".", 1)
        state.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": saved["param_groups"]})


# -- a trained run's models ------------------------------------------------------------------
@dataclasses.dataclass
class Run:
    """A trained run, as load_run gives it: its models in eval mode and what they need."""

    path: str
    config: TrainConfig
    spec: ModelSpec
    step: int
    generator: object  # the EMA average when the run kept one and use_ema, else G
    discriminator: object  # None when the checkpoint holds none
    sample_shape: tuple  # (C, H, W), or (2,) for the toy points
    num_classes: int
    weights: str  # "ema" or "generator": which weights the generator has

    @property
    def value_range(self):
        return self.spec.output_range


def load_run(path, backend_name=None, use_ema=True):
    """The models of the run in folder `path`, from its newest intact checkpoint, on
    `backend_name` (default: the run's own backend where it runs here, else numpy); the data
    is not loaded."""
    if not os.path.isdir(path):
        raise FileNotFoundError(f"no run folder {path!r}: pass the --out folder of "
                                "python -m minigan.train")
    folder = RunFolder(path)
    _, (state, config, generator, discriminator, source) = folder.load_newest(
        lambda checkpoint: _read_models(checkpoint, use_ema))
    if backend_name is None:
        backend_name = config.backend if config.backend in backend.available() else "numpy"
    if discriminator is not None:
        discriminator = discriminator.to(backend_name).eval()
    return Run(path=path, config=config, spec=model_spec(config), step=state["step"],
               generator=generator.to(backend_name).eval(), discriminator=discriminator,
               sample_shape=tuple(state["sample_shape"]), num_classes=state["num_classes"],
               weights=source)


def _read_models(folder, use_ema):
    """(state, config, G, D or None, "ema" or "generator") of one checkpoint, its weights
    checked to fit its models: the EMA average for G when asked and kept."""
    state, arrays = checkpoints.read_checkpoint(folder, [MODELS_FILE])
    weights = arrays[MODELS_FILE]
    source = "ema" if use_ema and _prefixed(weights, "ema") else "generator"
    try:
        config = TrainConfig.from_dict(state["config"])
        generator, discriminator = model_spec(config).build(
            state["sample_shape"], config.latent_dim, config.width, state["num_classes"])
        generator.load_state_dict(_prefixed(weights, source))
        if _prefixed(weights, "discriminator"):
            discriminator.load_state_dict(_prefixed(weights, "discriminator"))
        else:
            discriminator = None
    except (RuntimeError, ValueError, KeyError, TypeError) as error:
        raise DamagedCheckpoint(_one_line(f"it does not fit its model: {error}")) from None
    return state, config, generator, discriminator, source
