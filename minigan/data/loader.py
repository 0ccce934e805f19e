"""DataLoader: batches of a Dataset as minigan Tensors, in a reproducible and resumable order."""

import numpy as np

from ..backend import get as get_backend
from ..tensor import Tensor

# uint8 pixel p -> p / divisor - offset; both constants are exact in float32, so 0 and 255 map
# exactly onto the ends of the range
_OUTPUT_RANGES = {"tanh": (127.5, 1.0), "sigmoid": (255.0, 0.0)}


class DataLoader:
    """Iterate over `dataset` in batches of (images, labels) Tensors on `backend`.

    Images become float32 (B, C, H, W) in [-1, 1] for `output_range="tanh"` (a generator with
    a tanh output) or [0, 1] for "sigmoid"; toy 2-D points are returned as they are. Labels are
    int64 (B,). Each pass over the loader is one epoch; with `shuffle`, epoch e visits the
    examples in the order `numpy.random.default_rng([seed, e]).permutation(len(dataset))`, so
    `state_dict()` / `load_state_dict()` resume a run mid-epoch with exactly the same batches.
    """

    def __init__(self, dataset, batch_size=64, shuffle=True, seed=0, drop_last=True,
                 backend=None, output_range="tanh"):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if drop_last and batch_size > len(dataset):
            raise ValueError(f"batch_size {batch_size} is larger than the {len(dataset)} examples "
                             f"of {dataset.name!r}, so drop_last=True leaves no batch at all: "
                             "pass a smaller batch_size, or drop_last=False")
        if output_range not in _OUTPUT_RANGES:
            raise ValueError(f"output_range must be one of {list(_OUTPUT_RANGES)}, got "
                             f"{output_range!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.backend = get_backend(backend)
        self.output_range = output_range
        self.epoch = 0
        self._batches_done = 0  # batches of `epoch` already handed out

    def __len__(self):
        """Batches per epoch."""
        full, remainder = divmod(len(self.dataset), self.batch_size)
        return full + (1 if remainder and not self.drop_last else 0)

    def __repr__(self):
        return (f"DataLoader({self.dataset.name!r}, batch_size={self.batch_size}, "
                f"{len(self)} batches per epoch, backend={self.backend.name!r}, "
                f"epoch={self.epoch})")

    def order(self, epoch):
        """The order in which epoch `epoch` visits the examples."""
        if not self.shuffle:
            return np.arange(len(self.dataset))
        return np.random.default_rng([self.seed, epoch]).permutation(len(self.dataset))

    def __iter__(self):
        """The rest of the current epoch, or the next epoch if the current one is done."""
        if self._batches_done >= len(self):
            self.epoch += 1
            self._batches_done = 0
        epoch, order = self.epoch, self.order(self.epoch)
        # progress lives on the loader, so a loader restored mid-epoch, or iterated again
        # after a `break`, carries on where it stopped
        while self.epoch == epoch and self._batches_done < len(self):
            start = self._batches_done * self.batch_size
            self._batches_done += 1
            yield self._batch(order[start:start + self.batch_size])

    def _batch(self, indices):
        images = self.backend.asarray(self.dataset.images[indices])
        labels = self.backend.asarray(self.dataset.labels[indices])
        if self.dataset.is_image_set:
            divisor, offset = _OUTPUT_RANGES[self.output_range]
            images = images.astype(self.backend.xp.float32) / divisor - offset
        return Tensor(images), Tensor(labels)

    def state_dict(self):
        """Where the loader stands, as JSON-friendly data: the epoch, how many of its batches
        were handed out, and the shuffling seed."""
        return {"epoch": self.epoch, "batch": self._batches_done, "seed": self.seed}

    def load_state_dict(self, state):
        """Continue from `state` (from state_dict()), with the batches an uninterrupted loader
        would have produced next."""
        missing = {"epoch", "batch", "seed"} - set(state)
        if missing:
            raise KeyError(f"loader state lacks {sorted(missing)}; pass what state_dict() "
                           "returned")
        if not 0 <= state["batch"] <= len(self):
            raise ValueError(f"loader state is at batch {state['batch']}, but an epoch here has "
                             f"{len(self)} batches; was it saved with another data set or "
                             "batch_size?")
        self.epoch = int(state["epoch"])
        self._batches_done = int(state["batch"])
        self.seed = state["seed"]
