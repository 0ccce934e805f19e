"""Checkpoints that survive a crash: safetensors for arrays, JSON for everything else.

Loading a safetensors or JSON file never runs code (unlike pickle). Every file is written to a
temporary name, flushed to disk, then renamed over its final name, which POSIX makes atomic: a
reader sees the old file or the new one, never half of one. A checkpoint is a folder
`checkpoints/step_0000500/`, first written complete under a temporary name; `latest.json`,
replaced atomically afterwards, names the newest complete one. So a write killed at any point
leaves the previous checkpoint valid and `latest.json` pointing at it.

Reading trusts nothing: `read_checkpoint` checks every file (readable safetensors, finite
arrays, a state.json whose step matches its folder) and raises DamagedCheckpoint, in one
line, for the first problem; `checkpoint_candidates` lists the folders to try, newest first,
and ignores a `latest.json` that is garbage or names anything but a step folder of its run.
No array that is NaN or infinite is ever written (`NonFiniteState`), and pruning keeps the
folders it is told to protect (the run's best checkpoint).
"""

import json
import os
import re
import shutil
import sys
import tempfile

import numpy as np
from safetensors.numpy import load as load_safetensors
from safetensors.numpy import save as save_safetensors

LATEST = "latest.json"
STEP_FOLDER = re.compile(r"step_(\d{7,})")


class DamagedCheckpoint(ValueError):
    """A checkpoint folder that cannot be trusted: unreadable, non-finite or inconsistent."""


class NonFiniteState(ValueError):
    """Arrays to save hold NaN or infinite values: the checkpoint is not written."""


def _fsync_directory(path):
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:  # some platforms cannot open directories; the rename is still atomic
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_bytes_atomic(path, payload):
    """Write `payload` to `path` so that readers see either the old file or all of the new."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    _fsync_directory(folder)


def write_json_atomic(path, value):
    write_bytes_atomic(path, (json.dumps(value, indent=2, sort_keys=True) + "\n").encode())


def read_json(path):
    with open(path) as handle:
        return json.load(handle)


def save_arrays(path, arrays):
    """A {name: host array} dict as one safetensors file, atomically."""
    # np.asarray keeps 0-d arrays 0-d (np.ascontiguousarray would make them 1-d)
    contiguous = {name: np.asarray(array, order="C") for name, array in arrays.items()}
    write_bytes_atomic(path, save_safetensors(contiguous))


def load_arrays(path):
    with open(path, "rb") as handle:
        return load_safetensors(handle.read())


def _step_folder(step):
    return f"step_{step:07d}"


def non_finite(arrays):
    """The name of the first floating-point array of {name: array} with a NaN or an infinite
    value, or None."""
    for name, array in arrays.items():
        array = np.asarray(array)
        if array.dtype.kind == "f" and not np.isfinite(array).all():
            return name
    return None


def write_checkpoint(run_dir, step, array_files, state, keep=2, protect=()):
    """Write checkpoint `step` under run_dir/checkpoints: each {file name: {name: array}} of
    `array_files` as a safetensors file and `state` as state.json; then point latest.json at
    it and delete all but the newest `keep` checkpoints and the folder names in `protect`.
    Returns the checkpoint's folder; NonFiniteState, writing nothing, if an array is not
    finite."""
    for file_name, arrays in array_files.items():
        if (bad := non_finite(arrays)) is not None:
            raise NonFiniteState(f"{bad} holds NaN or infinite values: checkpoint {step} is not "
                                 "written")
    root = os.path.join(run_dir, "checkpoints")
    os.makedirs(root, exist_ok=True)
    final = os.path.join(root, _step_folder(step))
    temporary = tempfile.mkdtemp(prefix=f".tmp-{_step_folder(step)}-", dir=root)
    try:
        for file_name, arrays in array_files.items():
            save_arrays(os.path.join(temporary, file_name), arrays)
        write_json_atomic(os.path.join(temporary, "state.json"), state)
        if os.path.exists(final):  # the same step written again (a repeated save)
            shutil.rmtree(final)
        os.replace(temporary, final)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    _fsync_directory(root)
    point_latest_at(run_dir, _step_folder(step))
    _prune(root, keep, protect, newest=_step_folder(step))
    return final


def _step_folders(root):
    """The complete checkpoints under root, oldest first (only complete ones get a step_ name)."""
    return sorted(name for name in os.listdir(root) if name.startswith("step_"))


def _prune(root, keep, protect=(), newest=None):
    """Delete all but the `keep` newest checkpoints up to `newest` and those in `protect`;
    any newer than `newest` belong to a future that a resume from an older checkpoint has
    replaced, and go too."""
    names = _step_folders(root)
    stale = [name for name in names if newest is not None and name > newest]
    current = [name for name in names if name not in stale]
    for name in current[:-keep] + stale:
        if name not in protect:
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)
    for name in os.listdir(root):  # leftovers of writes that were killed
        if name.startswith(".tmp-"):
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)


def warn(message):
    """A one-line warning on stderr (the run goes on)."""
    print(f"warning: {message}", file=sys.stderr)


def _named_by_latest(root):
    """The step folder name latest.json gives, or None (with a warning) when latest.json is
    garbage or names anything else: it never leads outside its run's checkpoints folder."""
    pointer = os.path.join(root, LATEST)
    if not os.path.exists(pointer):
        return None
    try:
        name = read_json(pointer)["folder"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        warn(f"ignoring {pointer}: it is not a checkpoint pointer ({type(error).__name__}); "
             "using the newest step folder instead")
        return None
    if not isinstance(name, str) or not STEP_FOLDER.fullmatch(name):
        warn(f"ignoring {pointer}: it names {name!r}, not a step folder of this run; using the "
             "newest step folder instead")
        return None
    return name


def checkpoint_candidates(run_dir):
    """The checkpoint folders of a run to try, newest first: the one latest.json names, then
    every other complete step folder."""
    root = os.path.join(run_dir, "checkpoints")
    if not os.path.isdir(root):
        return []
    steps = [name for name in _step_folders(root) if STEP_FOLDER.fullmatch(name)
             and os.path.isdir(os.path.join(root, name))]
    named = _named_by_latest(root)
    order = ([named] if named in steps else []) + [n for n in reversed(steps) if n != named]
    return [os.path.join(root, name) for name in order]


def point_latest_at(run_dir, folder_name):
    """Make latest.json name the step folder `folder_name` (the one a resume continues from)."""
    step = int(STEP_FOLDER.fullmatch(folder_name).group(1))
    write_json_atomic(os.path.join(run_dir, "checkpoints", LATEST),
                      {"step": step, "folder": folder_name})


def latest_checkpoint(run_dir):
    """The folder of the newest complete checkpoint of a run, or None if it has none: the one
    latest.json names, or, if that folder was deleted, the newest step folder left."""
    candidates = checkpoint_candidates(run_dir)
    return candidates[0] if candidates else None


def _read_state(folder):
    try:
        state = read_json(os.path.join(folder, "state.json"))
    except (OSError, ValueError) as error:
        raise DamagedCheckpoint(f"state.json is unreadable ({error})") from None
    if not isinstance(state, dict):
        raise DamagedCheckpoint("state.json does not hold an object")
    step = state.get("step")
    number = STEP_FOLDER.fullmatch(os.path.basename(os.path.normpath(folder)))
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise DamagedCheckpoint(f"state.json has the step counter {step!r}, not a count")
    if number and int(number.group(1)) != step:
        raise DamagedCheckpoint(f"state.json says step {step}, its folder another")
    return state


def read_checkpoint(folder, array_file_names):
    """(state, {file name: {name: array}}) of one checkpoint folder; DamagedCheckpoint, in one
    line, if any file is unreadable, any array is not finite or the step counter is wrong."""
    state = _read_state(folder)
    arrays = {}
    for name in array_file_names:
        try:
            arrays[name] = load_arrays(os.path.join(folder, name))
        except Exception as error:  # safetensors raises its own error types
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise DamagedCheckpoint(f"{name} is unreadable ({reason})") from None
        if (bad := non_finite(arrays[name])) is not None:
            raise DamagedCheckpoint(f"{name} holds NaN or infinite values ({bad})")
    return state, arrays
