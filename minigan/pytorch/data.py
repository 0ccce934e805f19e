"""torch.utils.data on minigan: a DataLoader for any map-style dataset, with PyTorch's defaults.

A map-style dataset has `__len__` and `__getitem__(index)`, returning tensors, arrays, numbers,
strings, or tuples, lists and dicts of them. The loader takes a batch of indices (in order, or
shuffled by minigan's seeded generator, so torch.manual_seed makes it reproducible), fetches the
items and collates them as PyTorch does: tensors and arrays stacked along a new first axis,
ints into int64 and floats into float64 tensors, containers field by field. Batches are CPU
(NumPy) tensors; move them with `.to(device)`.

Loading runs in the calling process: `num_workers`, `pin_memory`, `prefetch_factor`,
`persistent_workers`, `worker_init_fn`, `timeout` and `multiprocessing_context` are accepted and
change nothing.
"""

import collections.abc
import math

import numpy as np

import minigan

from .. import backend
from ..tensor import Tensor

__all__ = ["BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
           "RandomSampler", "Sampler", "SequentialSampler", "Subset", "TensorDataset",
           "default_collate", "random_split"]

_IGNORED_OPTIONS = ("num_workers", "pin_memory", "timeout", "worker_init_fn",
                    "multiprocessing_context", "prefetch_factor",
                    "persistent_workers", "pin_memory_device", "in_order")


def _permutation(count, generator=None):
    """A random order of range(count): from `generator` (a torch.Generator) if given, else
    from minigan's seeded generator, so torch.manual_seed makes it reproducible."""
    return (generator or backend.get("numpy")).permutation(count).tolist()


class Dataset:
    """Base class of map-style datasets: define `__len__` and `__getitem__`."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")


class IterableDataset:
    """Base class of datasets read as a stream: define `__iter__`."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class ConcatDataset(Dataset):
    """The items of several datasets, one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1] if self.cumulative_sizes else 0

    def __getitem__(self, index):
        if index < 0:
            index += len(self)
        which = int(np.searchsorted(self.cumulative_sizes, index, side="right"))
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


class TensorDataset(Dataset):
    """Item i is (t[i] for t in tensors); every tensor has the same first dimension."""

    def __init__(self, *tensors):
        sizes = {tensor.shape[0] for tensor in tensors}
        if len(sizes) != 1:
            raise ValueError(f"TensorDataset: the tensors' first dimensions differ "
                             f"({[tensor.shape[0] for tensor in tensors]}); they must be equal")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The items of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = list(indices)

    def __getitem__(self, index):
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)


class Sampler:
    """Base class of the orders in which a DataLoader visits a dataset's indices."""

    def __init__(self, data_source=None):
        self.data_source = data_source


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A new random order each pass, from minigan's seeded generator (torch.manual_seed)."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        super().__init__(data_source)
        self.replacement = replacement
        self.num_samples = len(data_source) if num_samples is None else num_samples
        self.generator = generator

    def __iter__(self):
        count = len(self.data_source)
        if self.replacement:
            draws = backend.get("numpy").randint(0, count, (self.num_samples,))
            return iter(draws.tolist())
        passes = -(-self.num_samples // count)  # PyTorch repeats whole permutations
        order = sum((_permutation(count, self.generator) for _ in range(passes)), [])
        return iter(order[:self.num_samples])

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of `batch_size` indices from `sampler`; the last one shorter unless drop_last."""

    def __init__(self, sampler, batch_size, drop_last):
        super().__init__(sampler)
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        rounding = math.floor if self.drop_last else math.ceil
        return int(rounding(len(self.sampler) / self.batch_size))


def random_split(dataset, lengths, generator=None):
    """Split `dataset` into Subsets of `lengths` (counts, or fractions that sum to 1), at random
    from minigan's seeded generator."""
    total = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        counts = [int(math.floor(total * fraction)) for fraction in lengths]
        for i in range(total - sum(counts)):  # PyTorch hands the remainder out round-robin
            counts[i % len(counts)] += 1
    else:
        counts = [int(length) for length in lengths]
    if sum(counts) != total:
        raise ValueError(f"random_split: the lengths {list(lengths)} add up to {sum(counts)}, "
                         f"but the dataset has {total} items")
    order = _permutation(total, generator)
    starts = np.cumsum([0] + counts)
    return [Subset(dataset, order[start:start + count]) for start, count in zip(starts, counts)]


def default_collate(batch):
    """A list of dataset items as one batch, as PyTorch's default_collate."""
    first = batch[0]
    if isinstance(first, Tensor):
        return minigan.tensor(np.stack([item.numpy() for item in batch]))
    if isinstance(first, (np.ndarray, np.generic)) and first.dtype.kind in "biuf":
        return minigan.tensor(np.stack(batch))
    if isinstance(first, bool):
        return minigan.tensor(np.array(batch, dtype=bool))
    if isinstance(first, int):
        return minigan.tensor(np.array(batch, dtype=np.int64))
    if isinstance(first, float):
        return minigan.tensor(np.array(batch, dtype=np.float64))
    if isinstance(first, (str, bytes)):
        return list(batch)
    if isinstance(first, collections.abc.Mapping):
        return {key: default_collate([item[key] for item in batch]) for key in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):  # a named tuple
        return type(first)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(first, collections.abc.Sequence):
        if any(len(item) != len(first) for item in batch):
            raise RuntimeError("default_collate: the items of a batch are sequences of "
                               "different lengths; give each item the same number of fields")
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(f"default_collate cannot batch items of type {type(first).__name__}: a "
                    "dataset item should hold tensors, arrays, numbers, strings, or tuples, "
                    "lists and dicts of them; or pass collate_fn=")


class DataLoader:
    """Batches of a map-style dataset, as torch.utils.data.DataLoader: batch_size=1,
    shuffle=False, drop_last=False by default; `sampler` (an iterable of indices) or
    `batch_sampler` (an iterable of index lists) may replace the built-in order."""

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 collate_fn=None, drop_last=False, generator=None, **ignored):
        unknown = sorted(set(ignored) - set(_IGNORED_OPTIONS))
        if unknown:
            raise TypeError(f"DataLoader got unexpected option(s) {unknown}")
        if batch_size is not None and (isinstance(batch_size, bool) or batch_size < 1):
            raise ValueError(f"batch_size should be a positive integer or None, got {batch_size!r}")
        if shuffle and (sampler is not None or batch_sampler is not None):
            raise ValueError("DataLoader: shuffle=True cannot be combined with a sampler; "
                             "shuffle inside the sampler instead")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.drop_last = drop_last
        self.generator = generator
        self.collate_fn = collate_fn or (default_collate if batch_size is not None
                                         else _convert)

    def _indices(self):
        if self.sampler is not None:
            return list(self.sampler)
        if self.shuffle:
            return _permutation(len(self.dataset), self.generator)
        return list(range(len(self.dataset)))

    def _batches(self):
        if self.batch_sampler is not None:
            return [list(batch) for batch in self.batch_sampler]
        indices = self._indices()
        if self.batch_size is None:
            return indices
        batches = [indices[start:start + self.batch_size]
                   for start in range(0, len(indices), self.batch_size)]
        if self.drop_last and batches and len(batches[-1]) < self.batch_size:
            batches.pop()
        return batches

    def __iter__(self):
        if isinstance(self.dataset, IterableDataset):
            yield from self._stream()
            return
        for batch in self._batches():
            if self.batch_size is None and self.batch_sampler is None:
                yield self.collate_fn(self.dataset[batch])
            else:
                yield self.collate_fn([self.dataset[index] for index in batch])

    def _stream(self):
        """Batches of an IterableDataset, in the order it yields its items."""
        batch = []
        for item in self.dataset:
            if self.batch_size is None:
                yield self.collate_fn(item)
                continue
            batch.append(item)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            raise TypeError("an IterableDataset has no length, so neither has its DataLoader")
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        count = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.batch_size is None:
            return count
        rounding = math.floor if self.drop_last else math.ceil
        return int(rounding(count / self.batch_size))


def _convert(item):
    """An unbatched item with arrays and numbers as tensors (batch_size=None)."""
    if isinstance(item, (np.ndarray, np.generic)) and item.dtype.kind in "biuf":
        return minigan.tensor(np.asarray(item))
    if isinstance(item, (list, tuple)):
        return [_convert(value) for value in item]
    return item
