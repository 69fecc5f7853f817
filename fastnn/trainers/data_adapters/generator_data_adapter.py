"""Python generators and iterators: Keras 3's `GeneratorDataAdapter`."""
import itertools

from fastnn.trainers.data_adapters import array_slicing
from fastnn.trainers.data_adapters import data_adapter_utils
from fastnn.trainers.data_adapters.array_slicing import shown
from fastnn.trainers.data_adapters.data_adapter import DataAdapter

__all__ = ["GeneratorDataAdapter", "standardize_batch", "peek_and_restore"]


def standardize_batch(batch, source="generator"):
    """One batch as the adapters yield it: a tuple `(x,)`, `(x, y)` or
    `(x, y, sample_weight)` (a list counts as a tuple; a bare array, or a list of numbers,
    is `(x,)`), or a dict (the inputs by name), with every array a NumPy array."""
    if isinstance(batch, dict):
        return array_slicing.convert_structure(batch, "the batch")
    if isinstance(batch, list) and not array_slicing._is_number_list(batch):
        batch = tuple(batch)
    if isinstance(batch, tuple) and not hasattr(type(batch), "_fields"):
        if len(batch) not in (1, 2, 3):
            raise ValueError(
                f"A {source} must give each batch as `x`, `(x,)`, `(x, y)` or "
                f"`(x, y, sample_weight)` (a tuple of 1 to 3 parts), got a tuple of "
                f"{len(batch)}: {shown(batch)}")
        names = ("x", "y", "sample_weight")[:len(batch)]
        return tuple(array_slicing.convert_structure(part, f"the batch's {name}")
                     for part, name in zip(batch, names))
    if array_slicing.can_slice_array(batch):
        return (array_slicing.to_numpy(batch, "the batch"),)
    raise array_slicing.DataTypeError(
        f"A {source} must yield batches: a tuple `(x,)`, `(x, y)` or "
        f"`(x, y, sample_weight)` of arrays, an array, or a dict of arrays; got "
        f"{shown(batch)} (of type {type(batch).__name__})")


def peek_and_restore(generator):
    """The first batches of `generator` (read ahead to check them) and a function that
    returns an iterator over every batch: the first call gives the ones read ahead
    again, then the rest."""
    batches = list(itertools.islice(generator,
                                    data_adapter_utils.NUM_BATCHES_FOR_TENSOR_SPEC))
    state = {"replayed": False}

    def restore():
        if state["replayed"]:
            return generator
        state["replayed"] = True
        return itertools.chain(batches, generator)

    return batches, restore


class GeneratorDataAdapter(DataAdapter):
    """Batches from a Python generator or iterator yielding `x`, `(x,)`, `(x, y)` or
    `(x, y, sample_weight)`.

    A generator is read once: the first two batches are read ahead at construction (to
    check them, as Keras does) and given again by the first `get_numpy_iterator()`; a
    later call continues where the previous one stopped, so a finite generator gives
    nothing in a second epoch. Train on an infinite generator with `steps_per_epoch`, or
    give a `PyDataset` or a `fastnn.data.Dataset`, to have several epochs.
    (Keras accepts only tuples; fastnn also takes a bare array or dict as `x`.)
    """

    def __init__(self, generator):
        if not hasattr(generator, "__next__"):
            raise array_slicing.DataTypeError(
                f"GeneratorDataAdapter: expected a generator or iterator, got "
                f"{shown(generator)} (of type {type(generator).__name__})")
        first_batches, restore = peek_and_restore(generator)
        self._restore = restore
        self._first_batches = first_batches
        if not first_batches:
            raise ValueError("When passing a Python generator to a Keras model, the "
                             "generator must yield at least one batch. Received an empty "
                             "generator.")
        for b in first_batches:
            standardize_batch(b)       # a malformed batch is refused now, not mid-epoch

    def get_numpy_iterator(self):
        return (standardize_batch(b) for b in self._restore())

    @property
    def num_batches(self):
        return None

    @property
    def batch_size(self):
        return None

    @property
    def first_batches(self):
        """The batches read ahead at construction (as standardized NumPy structures)."""
        return [standardize_batch(b) for b in self._first_batches]
