"""`PyDataset` inputs: Keras 3's `PyDatasetAdapter`."""
import collections
import concurrent.futures
import itertools

import numpy as np

from fastnn import utils
from fastnn.trainers.data_adapters import array_slicing
from fastnn.trainers.data_adapters import data_adapter_utils
from fastnn.trainers.data_adapters.data_adapter import DataAdapter
from fastnn.trainers.data_adapters.py_dataset import PyDataset, Sequence  # noqa: F401

__all__ = ["PyDatasetAdapter", "PyDataset", "Sequence"]


class PyDatasetAdapter(DataAdapter):
    """Batches of a `PyDataset`, by index: `0 .. num_batches - 1` each epoch (in an order
    drawn from fastnn's generator every epoch when `shuffle` is true), or `0, 1, 2, ...`
    without end when `num_batches` is None.

    Batches are computed in the calling thread, or, when the dataset has `workers > 1`,
    by a pool of that many threads, up to `max_queue_size` ahead, and given in order.
    `class_weight` adds per-sample weights to `(x, y)` batches as Keras does.
    """

    def __init__(self, x, class_weight=None, shuffle=False):
        if not isinstance(x, PyDataset):
            raise array_slicing.DataTypeError(
                f"PyDatasetAdapter: expected a keras.utils.PyDataset, got "
                f"{array_slicing.shown(x)} (of type {type(x).__name__})")
        self.py_dataset = x
        self.class_weight = class_weight
        if class_weight is not None:
            data_adapter_utils._class_weight_table(class_weight)   # refused now, by name
        self.shuffle = bool(shuffle)
        self._within_epoch = False
        self._epoch = 0
        workers = x.workers
        self._workers = workers if workers > 1 else 0
        queue = x.max_queue_size
        self._ahead = max(self._workers, queue if queue > 0 else 2 * self._workers)

    def _standardize_batch(self, batch):
        if isinstance(batch, dict):
            return array_slicing.convert_structure(batch, "the batch")
        if isinstance(batch, np.ndarray) or (not isinstance(batch, (tuple, list))
                                             and array_slicing.can_slice_array(batch)):
            batch = (batch,)
        if isinstance(batch, list):
            batch = tuple(batch)
        if not isinstance(batch, tuple) or len(batch) not in {1, 2, 3}:
            raise ValueError(
                "PyDataset.__getitem__() must return a tuple or a dict. If a tuple, it must "
                "be ordered either (input,) or (inputs, targets) or (inputs, targets, "
                f"sample_weights). Received: {str(batch)[:100]}... of type {type(batch)}")
        names = ("x", "y", "sample_weight")
        batch = tuple(array_slicing.convert_structure(part, f"the batch's {name}")
                      for part, name in zip(batch, names))
        if self.class_weight is not None:
            if len(batch) == 3:
                raise ValueError("You cannot specify `class_weight` and `sample_weight` at "
                                 "the same time.")
            if len(batch) == 2:
                sw = data_adapter_utils.class_weight_to_sample_weights(batch[1],
                                                                       self.class_weight)
                batch = batch + (sw,)
        return batch

    def _indices(self):
        num_batches = self.py_dataset.num_batches
        if num_batches is None:
            return itertools.count()
        if self.shuffle:
            return iter(utils.get_rng().permutation(num_batches).tolist())
        return iter(range(num_batches))

    def _in_thread(self):
        for i in self._indices():
            yield self._standardize_batch(self.py_dataset[i])

    def _pooled(self):
        """Batches computed ahead by a thread pool, given in index order; the pool is
        closed when the iterator is (or is collected)."""
        indices = self._indices()
        ds = self.py_dataset
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=self._workers,
                                                     thread_name_prefix="fastnn-pydataset")
        pending = collections.deque()
        try:
            for i in itertools.islice(indices, self._ahead):
                pending.append(pool.submit(ds.__getitem__, i))
            while pending:
                fut = pending.popleft()
                batch = fut.result()          # an error in __getitem__ surfaces here
                for i in itertools.islice(indices, 1):
                    pending.append(pool.submit(ds.__getitem__, i))
                yield self._standardize_batch(batch)
        finally:
            for fut in pending:
                fut.cancel()
            pool.shutdown(wait=False)

    def get_numpy_iterator(self):
        return self._pooled() if self._workers else self._in_thread()

    def on_epoch_begin(self):
        if self._within_epoch:
            raise ValueError("`on_epoch_begin` was called twice without `on_epoch_end` "
                             "having been called.")
        self._within_epoch = True
        self.py_dataset.on_epoch_begin()

    def on_epoch_end(self):
        self.py_dataset.on_epoch_end()
        self._within_epoch = False
        self._epoch += 1

    @property
    def num_batches(self):
        return self.py_dataset.num_batches

    @property
    def batch_size(self):
        return None
