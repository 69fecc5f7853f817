"""The interface every data adapter gives the trainer (Keras 3's `DataAdapter`)."""


class DataAdapter:
    """One way of feeding data to fit / evaluate / predict, seen the same way whatever the
    input is (arrays, structures of arrays, a Python generator, a `PyDataset`, a
    `fastnn.data.Dataset`).

    The trainer asks:

    - `get_numpy_iterator()`: an iterator over one epoch's batches, each a NumPy
      structure as the data holds it: `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`
      (unpack it with `data_adapter_utils.unpack_x_y_sample_weight`);
    - `num_batches`: batches per epoch, or None when unknown (a generator, a dataset of
      unknown or infinite cardinality);
    - `batch_size`, `has_partial_batch`, `partial_batch_size` (None where unknown);
    - `on_epoch_begin()` / `on_epoch_end()`: call them around every epoch (shuffles and
      `PyDataset.on_epoch_end` follow them);
    - `arrays()`: for in-memory arrays, `(x, y, sample_weight)` whole (class weights
      already turned into sample weights), so that an engine can take every batch in one
      call and gather them itself; None for every other input.
    """

    def get_numpy_iterator(self):
        """An iterator over the batches of one epoch, as NumPy structures."""
        raise NotImplementedError

    @property
    def num_batches(self):
        """Batches in one epoch, or None when that is unknown or infinite."""
        raise NotImplementedError

    @property
    def batch_size(self):
        """Samples in a full batch, or None when the input does its own batching."""
        raise NotImplementedError

    @property
    def has_partial_batch(self):
        """Whether the last batch is smaller than the others (None: unknown)."""
        return None

    @property
    def partial_batch_size(self):
        """Samples in the last, smaller batch; None when there is none or it is unknown."""
        return None

    def arrays(self):
        """`(x, y, sample_weight)` as whole NumPy structures for in-memory data, else None."""
        return None

    def on_epoch_begin(self):
        """A hook called before each epoch."""

    def on_epoch_end(self):
        """A hook called after each epoch."""
