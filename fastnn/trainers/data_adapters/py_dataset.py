"""`keras.utils.PyDataset` (Keras 2's `keras.utils.Sequence`): a dataset of batches
written in Python, indexed by batch."""
import itertools
import numbers
import warnings

import numpy as np

__all__ = ["PyDataset", "Sequence"]


def _check_int(value, name, lo):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) \
            or value < lo:
        raise ValueError(f"PyDataset: {name} must be an int >= {lo}, got {value!r}")
    return int(value)


class PyDataset:
    """Base class for a dataset of batches computed by Python code.

    Subclasses implement `__getitem__(index)`, which returns a whole batch (`x`,
    `(x,)`, `(x, y)` or `(x, y, sample_weight)`, or a dict of inputs), and `__len__()`
    (the number of batches), or the `num_batches` property instead (None for an
    infinite dataset). `on_epoch_begin()` and `on_epoch_end()` are called around every
    epoch of `fit` (to reshuffle, for instance).

        class Batches(fastnn.utils.PyDataset):
            def __init__(self, x, y, batch_size, **kwargs):
                super().__init__(**kwargs)
                self.x, self.y, self.batch_size = x, y, batch_size

            def __len__(self):
                return math.ceil(len(self.x) / self.batch_size)

            def __getitem__(self, idx):
                lo = idx * self.batch_size
                return self.x[lo:lo + self.batch_size], self.y[lo:lo + self.batch_size]

    Args:
        workers: how many batches are computed at once. With `workers <= 1` (the
            default) every batch is computed in the calling thread, in order. With
            more, fastnn computes them ahead in a pool of that many threads and gives
            them in index order, the same batches as with one worker (so
            `__getitem__` must be safe to call from several threads).
        use_multiprocessing: accepted for Keras compatibility; fastnn starts no
            processes: the batches come from threads as above (NumPy and fastnn's
            kernels release the GIL, so threads do overlap).
        max_queue_size: how many batches the pool may compute ahead (default 10).

    These three only configure how `fit` reads the dataset; iterating over it by hand
    (`for batch in dataset`) computes each batch in turn, in the calling thread.
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self._workers = _check_int(workers, "workers", 0)
        if not isinstance(use_multiprocessing, (bool, np.bool_)):
            raise ValueError(f"PyDataset: use_multiprocessing must be True or False, got "
                             f"{use_multiprocessing!r}")
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = _check_int(max_queue_size, "max_queue_size", 0)

    def _warn_if_super_not_called(self):
        warn = False
        if not hasattr(self, "_workers"):
            self._workers = 1
            warn = True
        if not hasattr(self, "_use_multiprocessing"):
            self._use_multiprocessing = False
            warn = True
        if not hasattr(self, "_max_queue_size"):
            self._max_queue_size = 10
            warn = True
        if warn:
            warnings.warn(
                "Your `PyDataset` class should call `super().__init__(**kwargs)` in its "
                "constructor. `**kwargs` can include `workers`, `use_multiprocessing`, "
                "`max_queue_size`. Do not pass these arguments to `fit()`, as they will be "
                "ignored.", stacklevel=2)

    @property
    def workers(self):
        self._warn_if_super_not_called()
        return self._workers

    @workers.setter
    def workers(self, value):
        self._workers = _check_int(value, "workers", 0)

    @property
    def use_multiprocessing(self):
        self._warn_if_super_not_called()
        return self._use_multiprocessing

    @use_multiprocessing.setter
    def use_multiprocessing(self, value):
        self._use_multiprocessing = bool(value)

    @property
    def max_queue_size(self):
        self._warn_if_super_not_called()
        return self._max_queue_size

    @max_queue_size.setter
    def max_queue_size(self, value):
        self._max_queue_size = _check_int(value, "max_queue_size", 0)

    def __getitem__(self, index):
        """The batch at position `index`."""
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__(index), "
                                  f"returning the batch at that position")

    def __iter__(self):
        index_range = None
        try:
            num_batches = self.num_batches
            if num_batches is not None:
                index_range = range(num_batches)
        except NotImplementedError:
            pass
        if index_range is None:
            index_range = itertools.count()
        for index in index_range:
            yield self[index]

    @property
    def num_batches(self):
        """Batches in the dataset, or None for an infinite one (by default `len(self)`)."""
        if hasattr(self, "__len__"):
            return len(self)
        raise NotImplementedError("You need to implement the `num_batches` property:\n\n"
                                  "@property\ndef num_batches(self):\n  return ...")

    def on_epoch_begin(self):
        """Called at the beginning of every epoch."""

    def on_epoch_end(self):
        """Called at the end of every epoch."""


# Keras 2's name.
Sequence = PyDataset
