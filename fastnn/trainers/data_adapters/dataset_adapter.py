"""`fastnn.data.Dataset` inputs (and TensorFlow's own `tf.data.Dataset`, read through its
NumPy iterator when TensorFlow is there): Keras 3's `TFDatasetAdapter`."""
import numpy as np

from fastnn.trainers.data_adapters import array_slicing
from fastnn.trainers.data_adapters import data_adapter_utils
from fastnn.trainers.data_adapters import tree
from fastnn.trainers.data_adapters.data_adapter import DataAdapter

__all__ = ["DatasetAdapter", "TFDatasetAdapter", "make_class_weight_map_fn",
           "is_fastnn_dataset", "is_tf_dataset"]

make_class_weight_map_fn = data_adapter_utils.make_class_weight_map_fn


def is_fastnn_dataset(x):
    from fastnn.data import Dataset
    return isinstance(x, Dataset)


def is_tf_dataset(x):
    """TensorFlow's own dataset classes (as Keras recognises them)."""
    for parent in type(x).__mro__:
        if parent.__name__ in ("DatasetV2", "DistributedDataset",
                               "DistributedDatasetsFromFunction") \
                and "tensorflow.python." in str(parent.__module__):
            return True
    return False


def _batch_tuple(batch):
    """A dataset element as the trainer reads it: a list is a tuple."""
    return tuple(batch) if isinstance(batch, list) else batch


class DatasetAdapter(DataAdapter):
    """The elements of a `fastnn.data.Dataset` as batches (the dataset does its own
    batching: `.batch(32)`), each `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`.

    As Keras: `num_batches` is the dataset's cardinality (None when infinite or unknown);
    `batch_size` is the static first dimension of the first component (None unless the
    dataset was batched with `drop_remainder=True`); `class_weight` (unless empty) adds
    per-sample weights from `y`, refused at once when the elements already carry weights
    or `y` is a structure.
    """

    def __init__(self, dataset, class_weight=None):
        fastnn_ds = is_fastnn_dataset(dataset)
        if not fastnn_ds and not is_tf_dataset(dataset):
            raise ValueError("Expected argument `dataset` to be a tf.data.Dataset "
                             "(fastnn.data.Dataset). Received: "
                             f"{array_slicing.shown(dataset)}")
        self._dataset = dataset
        self._fastnn = fastnn_ds
        self._class_weight_fn = None
        if class_weight:
            self._class_weight_fn = make_class_weight_map_fn(class_weight)
            self._check_class_weight_element()

    def _first_element(self):
        if self._fastnn:
            for e in self._dataset.as_numpy_iterator():
                return e
            return None
        for e in self._dataset.as_numpy_iterator():
            return e
        return None

    def _check_class_weight_element(self):
        """Keras traces the class-weight function when it is given: a dataset whose
        elements have sample weights or several outputs is refused then, not mid-fit."""
        spec = self._element_structure()
        if spec is None:
            return
        x, y, sw = data_adapter_utils.unpack_x_y_sample_weight(_batch_tuple(spec))
        if sw is not None:
            raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
        if y is None:
            raise ValueError("class_weight needs targets: the dataset's elements must be "
                             "(x, y) pairs")
        if tree.is_nested(y):
            raise ValueError("`class_weight` is only supported for Models with a single "
                             "output.")

    def _element_structure(self):
        if self._fastnn:
            try:
                return self._dataset.element_spec
            except ValueError:         # an empty mapped dataset
                return None
        return self._first_element()

    def _batches(self):
        it = self._dataset.as_numpy_iterator()
        for batch in it:
            batch = tree.map_structure(np.asarray, _batch_tuple(batch))
            if self._class_weight_fn is not None:
                batch = self._class_weight_fn(*batch) if isinstance(batch, tuple) \
                    else self._class_weight_fn(batch)
            yield batch

    def get_numpy_iterator(self):
        return self._batches()

    def arrays(self):
        """The dataset's own arrays when it is exactly `from_tensor_slices(data)
        .batch(batch_size)` (no shuffle, no other transformation, the remainder kept) and
        no class weights are added: `(x, y, sample_weight)` unpacked from `data`, whose
        batches in order are what this adapter yields. None otherwise."""
        if not self._fastnn or self._class_weight_fn is not None:
            return None
        plain = self._dataset._plain_batches
        if plain is None:
            return None
        struct, _ = plain
        return data_adapter_utils.unpack_x_y_sample_weight(struct)

    @property
    def source_batch_size(self):
        """The `batch_size` of `from_tensor_slices(data).batch(batch_size)` when `arrays()`
        gives the arrays (every batch but the last has that many rows); else None."""
        if self.arrays() is None:
            return None
        return self._dataset._plain_batches[1]

    @property
    def dataset(self):
        return self._dataset

    @property
    def num_batches(self):
        card = self._dataset.cardinality
        card = int(card() if callable(card) else card)
        return None if card < 0 else card

    @property
    def batch_size(self):
        """The first component's static batch dimension (None when it varies)."""
        spec = self._dataset.element_spec
        flat = tree.flatten(spec) if not hasattr(spec, "shape") else [spec]
        if not flat:
            return None
        shape = getattr(flat[0], "shape", None)
        if shape is None:
            return None
        dims = list(shape.as_list()) if hasattr(shape, "as_list") else list(shape)
        return dims[0] if dims else None

    @property
    def has_partial_batch(self):
        return None

    @property
    def partial_batch_size(self):
        return None


# Keras' name for it.
TFDatasetAdapter = DatasetAdapter
