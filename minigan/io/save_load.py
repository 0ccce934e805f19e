"""minigan.save and minigan.load: tensors, state dicts and nests of them in one safetensors file.

Never pickle: loading a file reads arrays and JSON, and runs no code. The arrays go into the
safetensors file under readable names (a flat state dict keeps its own keys, so other
safetensors readers see `main.0.weight`); the nesting around them (dicts, lists, numbers,
strings, as in {"generator": sd, "optimizer": opt.state_dict(), "epoch": 3}) goes into the
file's metadata as JSON, where each array is a {"tensor": name} or {"array": name} leaf.
"""

import json
import os

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load as load_safetensors
from safetensors.numpy import save as save_safetensors

from .. import backend
from ..tensor import Tensor
from .checkpoint import write_bytes_atomic

STRUCTURE_KEY = "minigan.structure"
_PLAIN = (bool, int, float, str, type(None))


class _Packer:
    """Walks a nest of containers, collecting its arrays under unique names."""

    def __init__(self):
        self.arrays = {}

    def pack(self, value, path):
        if isinstance(value, Tensor):
            return {"tensor": self._add(value.numpy(), path)}
        if isinstance(value, np.ndarray):
            return {"array": self._add(value, path)}
        if isinstance(value, np.generic):
            return {"value": value.item()}
        if isinstance(value, _PLAIN):
            return {"value": value}
        if isinstance(value, dict):
            for key in value:
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    raise TypeError(f"minigan.save: dict key {key!r} at {_where(path)} is a "
                                    f"{type(key).__name__}; only str and int keys can be stored")
            return {"dict": [[key, self.pack(item, path + [str(key)])]
                             for key, item in value.items()]}
        if isinstance(value, (list, tuple)):
            kind = "list" if isinstance(value, list) else "tuple"
            return {kind: [self.pack(item, path + [str(i)]) for i, item in enumerate(value)]}
        hint = (" Save its state_dict() instead: a whole model is pickled code, which minigan "
                "never stores." if hasattr(value, "state_dict") else "")
        raise TypeError(f"minigan.save cannot store a {type(value).__name__} (at {_where(path)}): "
                        "only tensors, arrays, numbers, strings, None, and dicts, lists and "
                        f"tuples of them.{hint}")

    def _add(self, array, path):
        name = "/".join(path) or "tensor"
        unique, count = name, 1
        while unique in self.arrays:
            unique, count = f"{name}#{count}", count + 1
        self.arrays[unique] = np.asarray(array, order="C")
        return unique


def _where(path):
    return "the top level" if not path else "[" + "][".join(repr(part) for part in path) + "]"


def _unpack(node, arrays, backend_name):
    (kind, content), = node.items()
    if kind == "tensor":
        return Tensor(backend.get(backend_name).asarray(arrays[content]))
    if kind == "array":
        return arrays[content]
    if kind == "value":
        return content
    if kind == "dict":
        return {key: _unpack(item, arrays, backend_name) for key, item in content}
    items = [_unpack(item, arrays, backend_name) for item in content]
    return items if kind == "list" else tuple(items)


def save(obj, path):
    """Write `obj` (a tensor, a state dict, or dicts/lists of them with numbers and strings)
    to the safetensors file `path` (atomically), or to an open binary file."""
    packer = _Packer()
    structure = packer.pack(obj, [])
    payload = save_safetensors(packer.arrays, metadata={STRUCTURE_KEY: json.dumps(structure)})
    if hasattr(path, "write"):
        path.write(payload)
    else:
        write_bytes_atomic(os.fspath(path), payload)


def load(path, backend=None):
    """What `save` wrote to `path`, with its tensors on `backend` (default: the default
    backend). A plain safetensors file written by another program loads as {name: Tensor}.
    `path` may also be an open binary file."""
    if hasattr(path, "read"):
        payload, path = path.read(), getattr(path, "name", "the file")
    else:
        with open(path, "rb") as handle:
            payload = handle.read()
    try:
        arrays = load_safetensors(payload)
        metadata = _metadata(payload)
    except (SafetensorError, ValueError) as error:
        raise ValueError(f"{path} is not a safetensors file ({error}); minigan.load reads only "
                         "files written by minigan.save (or other safetensors files), never "
                         "pickles such as PyTorch's .pt files") from None
    if STRUCTURE_KEY not in metadata:
        return {name: _unpack({"tensor": name}, arrays, backend) for name in arrays}
    return _unpack(json.loads(metadata[STRUCTURE_KEY]), arrays, backend)


def _metadata(payload):
    """The `__metadata__` of a safetensors payload: its header is 8 bytes of length, then JSON."""
    header_size = int.from_bytes(payload[:8], "little")
    return json.loads(payload[8:8 + header_size]).get("__metadata__") or {}
