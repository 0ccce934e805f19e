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
    losses.png                   the curves, drawn at the end

Every file here is read and written through this module; io/checkpoint.py does the atomic
writes underneath.
"""

import dataclasses
import json
import os

from .. import backend
from ..io import checkpoint as checkpoints
from .config import TrainConfig
from .models import ModelSpec, model_spec

MODELS_FILE, OPTIMIZERS_FILE = "models.safetensors", "optimizers.safetensors"
LOGS = ("log.jsonl", "evaluation.jsonl")


class RunFolder:
    """The files of one run, in the folder `path`."""

    def __init__(self, path):
        self.path = path

    def file(self, name):
        return os.path.join(self.path, name)

    # -- configuration and logs -----------------------------------------------------------
    def start(self, config, fresh):
        """Make the folder and write config.json; a fresh run first moves an earlier run in
        the same folder aside (to path.1, path.2, ...): runs never mix, nothing is deleted."""
        if fresh and os.path.exists(self.file("config.json")):
            number = 1
            while os.path.exists(f"{self.path}.{number}"):
                number += 1
            os.replace(self.path, f"{self.path}.{number}")
            print(f"moved the earlier run in {self.path} to {self.path}.{number}")
        os.makedirs(self.path, exist_ok=True)
        checkpoints.write_json_atomic(self.file("config.json"), config.to_dict())

    def read_config(self):
        """The run's configuration as a dict, from config.json."""
        path = self.file("config.json")
        if not os.path.isfile(path):
            raise FileNotFoundError(f"{self.path!r} is not a minigan run folder: it has no "
                                    "config.json. Pass the --out folder of an earlier run.")
        return checkpoints.read_json(path)

    def append(self, row, name="log.jsonl"):
        """Add one JSON row to log.jsonl (or another log)."""
        with open(self.file(name), "a") as handle:
            handle.write(json.dumps(row) + "\n")

    def read_log(self, name="log.jsonl"):
        """The rows of a log, [] when it does not exist."""
        if not os.path.exists(self.file(name)):
            return []
        with open(self.file(name)) as handle:
            return [json.loads(line) for line in handle if line.strip()]

    def trim_logs(self, step):
        """On resume, drop the log rows past `step` (they will be redone); returns the rows of
        log.jsonl that are kept."""
        for name in LOGS:
            if os.path.exists(self.file(name)):
                kept = [row for row in self.read_log(name) if row["step"] <= step]
                checkpoints.write_bytes_atomic(
                    self.file(name), "".join(json.dumps(row) + "\n" for row in kept).encode())
        return self.read_log()

    def sample_path(self, step):
        """Where the sample picture of `step` goes (its folder made)."""
        os.makedirs(self.file("samples"), exist_ok=True)
        return os.path.join(self.path, "samples", f"step_{step:07d}.png")

    # -- checkpoints ------------------------------------------------------------------------
    def latest_checkpoint(self):
        """The newest complete checkpoint folder, or None."""
        return checkpoints.latest_checkpoint(self.path)

    def write_checkpoint(self, step, modules, optimizers, state):
        """Save {name: Module} and {name: Optimizer} and the JSON `state` as checkpoint
        `step`, atomically; returns its folder."""
        optimizer_arrays, optimizer_scalars = {}, {}
        for name, optimizer in optimizers.items():
            arrays, optimizer_scalars[name] = _optimizer_to_host(optimizer)
            optimizer_arrays.update({f"{name}.{key}": value for key, value in arrays.items()})
        model_arrays = {f"{name}.{key}": value.numpy() for name, module in modules.items()
                        for key, value in module.state_dict().items()}
        return checkpoints.write_checkpoint(
            self.path, step, {MODELS_FILE: model_arrays, OPTIMIZERS_FILE: optimizer_arrays},
            {**state, "optimizers": optimizer_scalars})

    def read_checkpoint(self, modules, optimizers, folder=None):
        """Load what write_checkpoint saved into the modules and optimizers (on their own
        backends); returns the state. `folder` defaults to the newest checkpoint."""
        folder = folder or self.checkpoint_to_load()
        state, arrays = checkpoints.read_checkpoint(folder, [MODELS_FILE, OPTIMIZERS_FILE])
        for name, module in modules.items():
            module.load_state_dict(_prefixed(arrays[MODELS_FILE], name))
        for name, optimizer in optimizers.items():
            _optimizer_from_host(optimizer, _prefixed(arrays[OPTIMIZERS_FILE], name),
                                 state["optimizers"][name])
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
    """The models of the run in folder `path`, from its newest complete checkpoint, on
    `backend_name` (default: the run's own backend where it runs here, else numpy); the data
    is not loaded."""
    if not os.path.isdir(path):
        raise FileNotFoundError(f"no run folder {path!r}: pass the --out folder of "
                                "python -m minigan.train")
    folder = RunFolder(path).checkpoint_to_load()
    state, arrays = checkpoints.read_checkpoint(folder, [MODELS_FILE])
    config = TrainConfig.from_dict(state["config"])
    spec = model_spec(config)
    if backend_name is None:
        backend_name = config.backend if config.backend in backend.available() else "numpy"
    generator, discriminator = spec.build(state["sample_shape"], config.latent_dim,
                                          config.width, state["num_classes"])
    weights = arrays[MODELS_FILE]
    source = "ema" if use_ema and _prefixed(weights, "ema") else "generator"
    generator.load_state_dict(_prefixed(weights, source))
    if _prefixed(weights, "discriminator"):
        discriminator.load_state_dict(_prefixed(weights, "discriminator"))
        discriminator = discriminator.to(backend_name).eval()
    else:
        discriminator = None
    return Run(path=path, config=config, spec=spec, step=state["step"],
               generator=generator.to(backend_name).eval(), discriminator=discriminator,
               sample_shape=tuple(state["sample_shape"]), num_classes=state["num_classes"],
               weights=source)
