"""Checkpoints that survive a crash: safetensors for arrays, JSON for everything else.

Loading a safetensors or JSON file never runs code (unlike pickle). Every file is written to a
temporary name, flushed to disk, then renamed over its final name, which POSIX makes atomic: a
reader sees the old file or the new one, never half of one. A checkpoint is a folder
`checkpoints/step_0000500/`, first written complete under a temporary name; `latest.json`,
replaced atomically afterwards, names the newest complete one. So a write killed at any point
leaves the previous checkpoint valid and `latest.json` pointing at it.
"""

import json
import os
import shutil
import tempfile

import numpy as np
from safetensors.numpy import load as load_safetensors
from safetensors.numpy import save as save_safetensors

LATEST = "latest.json"


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


def write_checkpoint(run_dir, step, array_files, state, keep=2):
    """Write checkpoint `step` under run_dir/checkpoints: each {file name: {name: array}} of
    `array_files` as a safetensors file and `state` as state.json; then point latest.json at
    it and delete all but the newest `keep` checkpoints. Returns the checkpoint's folder."""
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
    write_json_atomic(os.path.join(root, LATEST), {"step": step, "folder": _step_folder(step)})
    _prune(root, keep)
    return final


def _step_folders(root):
    """The complete checkpoints under root, oldest first (only complete ones get a step_ name)."""
    return sorted(name for name in os.listdir(root) if name.startswith("step_"))


def _prune(root, keep):
    for name in _step_folders(root)[:-keep]:
        shutil.rmtree(os.path.join(root, name), ignore_errors=True)
    for name in os.listdir(root):  # leftovers of writes that were killed
        if name.startswith(".tmp-"):
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)


def latest_checkpoint(run_dir):
    """The folder of the newest complete checkpoint of a run, or None if it has none: the one
    latest.json names, or, if that folder was deleted, the newest step folder left."""
    root = os.path.join(run_dir, "checkpoints")
    pointer = os.path.join(root, LATEST)
    if os.path.exists(pointer):
        folder = os.path.join(root, read_json(pointer)["folder"])
        if os.path.isdir(folder):
            return folder
    if not os.path.isdir(root):
        return None
    steps = _step_folders(root)
    return os.path.join(root, steps[-1]) if steps else None


def read_checkpoint(folder, array_file_names):
    """(state, {file name: {name: array}}) of one checkpoint folder."""
    state = read_json(os.path.join(folder, "state.json"))
    arrays = {name: load_arrays(os.path.join(folder, name)) for name in array_file_names}
    return state, arrays
