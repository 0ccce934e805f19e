"""The data loader of one rank: its share of each batch of one shared order."""

from ..data import DataLoader


class ShardedDataLoader(DataLoader):
    """A DataLoader whose `batch_size` is the global batch, split over `size` ranks.

    Every rank computes the same order of each epoch (the seed is shared), cuts it into the
    same global batches as one process would, and takes its own slice of each: rank r gets
    examples [r b, (r + 1) b) of every batch, b = batch_size / size. The shares are disjoint
    and equal, together they are exactly one process's batch, and the loader's state (epoch,
    batch) is the same on every rank, so rank 0's checkpoint resumes them all.
    """

    def __init__(self, dataset, batch_size, rank, size, **options):
        if batch_size % size:
            raise ValueError(f"batch size {batch_size} does not split evenly over {size} ranks: "
                             f"pass a --batch-size that is a multiple of {size}")
        super().__init__(dataset, batch_size, drop_last=True, **options)
        self.rank, self.size = rank, size
        self.local_batch_size = batch_size // size

    def _batch(self, indices):
        start = self.rank * self.local_batch_size
        return super()._batch(indices[start:start + self.local_batch_size])
