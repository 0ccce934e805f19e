"""PyTorch's device names for minigan's backends: "cpu" is NumPy, "cuda" is CuPy.

    >>> Device("cuda:0")
    device(type='cuda', index=0)
    >>> backend_name("cpu"), backend_name(Device("cuda"))
    ('numpy', 'cupy')
"""

from .base import Backend

BACKEND_OF_DEVICE = {"cpu": "numpy", "cuda": "cupy"}
DEVICE_OF_BACKEND = {backend: device for device, backend in BACKEND_OF_DEVICE.items()}


class Device:
    """A place for tensors, named as in PyTorch: Device("cpu"), Device("cuda"), Device("cuda", 0).

    Equal to its own name as a string, so `x.device == "cpu"` reads as in PyTorch.
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002 (PyTorch's keyword)
        if isinstance(type, Device):
            type, index = type.type, type.index if index is None else index
        elif isinstance(type, str) and ":" in type:
            type, _, number = type.partition(":")
            index = int(number)
        if type in BACKEND_OF_DEVICE.values():  # a backend name: "numpy", "cupy"
            type = DEVICE_OF_BACKEND[type]
        if type not in BACKEND_OF_DEVICE:
            raise ValueError(f"unknown device: {type!r} is not one minigan has; use 'cpu' "
                             "(NumPy) or 'cuda' (CuPy)")
        if type == "cuda" and index not in (None, 0):
            raise ValueError(f"device 'cuda:{index}': minigan uses one GPU, 'cuda' or 'cuda:0'")
        self.type = type
        self.index = index

    @property
    def backend_name(self):
        return BACKEND_OF_DEVICE[self.type]

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{index})"

    def __eq__(self, other):
        try:
            other = Device(other)
        except (TypeError, ValueError):
            return NotImplemented
        return self.type == other.type

    def __hash__(self):
        return hash(self.type)


def backend_name(target):
    """The backend that `target` names, or None if it names none: a Backend, a backend name
    ("numpy", "cupy"), a device name ("cpu", "cuda", "cuda:0"), or a device object with a
    `.type`."""
    if isinstance(target, Device):
        return target.backend_name
    if isinstance(target, Backend):
        return target.name
    if not isinstance(target, str):  # another device class (PyTorch's, say): ask its .type
        return BACKEND_OF_DEVICE.get(getattr(target, "type", None))
    if target in DEVICE_OF_BACKEND:
        return target
    try:
        return Device(target).backend_name
    except ValueError:
        return None
