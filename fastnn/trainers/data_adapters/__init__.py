"""Data adapters: every input `fit` / `evaluate` / `predict` take, seen one way (Keras 3's
`keras.src.trainers.data_adapters`).

The trainer calls

    adapter = get_data_adapter(x, y, sample_weight, batch_size, steps_per_epoch,
                               shuffle, class_weight, float_dtype=model_dtype)

and then, per epoch, `adapter.on_epoch_begin()`, iterates
`adapter.get_numpy_iterator()` (batches `x`, `(x,)`, `(x, y)` or `(x, y, sample_weight)`
as NumPy structures; `data_adapter_utils.unpack_x_y_sample_weight` splits them) and
calls `adapter.on_epoch_end()`. `adapter.num_batches` (None if unknown),
`batch_size`, `has_partial_batch` and `partial_batch_size` size the progress bar;
`adapter.arrays()` gives in-memory data whole, as `(x, y, sample_weight)`, so that a
Dense stack can train in one C call (None for generators, PyDatasets and most datasets).
`EpochIterator` (in `epoch_iterator`) adds Keras' `steps_per_epoch` logic on top.
"""
import types
import warnings

from fastnn.trainers.data_adapters import array_slicing
from fastnn.trainers.data_adapters import data_adapter_utils
from fastnn.trainers.data_adapters import tree
from fastnn.trainers.data_adapters import array_data_adapter
from fastnn.trainers.data_adapters import generator_data_adapter
from fastnn.trainers.data_adapters import py_dataset_adapter
from fastnn.trainers.data_adapters import dataset_adapter
from fastnn.trainers.data_adapters.array_slicing import DataTypeError, shown
from fastnn.trainers.data_adapters.data_adapter import DataAdapter
from fastnn.trainers.data_adapters.array_data_adapter import ArrayDataAdapter
from fastnn.trainers.data_adapters.generator_data_adapter import GeneratorDataAdapter
from fastnn.trainers.data_adapters.py_dataset import PyDataset, Sequence
from fastnn.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter
from fastnn.trainers.data_adapters.dataset_adapter import (
    DatasetAdapter, TFDatasetAdapter, is_fastnn_dataset, is_tf_dataset)
from fastnn.trainers.data_adapters.data_adapter_utils import (
    check_data_cardinality, class_weight_to_sample_weights, pack_x_y_sample_weight,
    train_validation_split, unpack_x_y_sample_weight)

__all__ = ["get_data_adapter", "DataAdapter", "ArrayDataAdapter", "GeneratorDataAdapter",
           "PyDatasetAdapter", "DatasetAdapter", "TFDatasetAdapter", "PyDataset", "Sequence",
           "DataTypeError", "unpack_x_y_sample_weight", "pack_x_y_sample_weight",
           "train_validation_split", "check_data_cardinality",
           "class_weight_to_sample_weights", "raise_unsupported_arg", "is_generator"]


def raise_unsupported_arg(arg_name, arg_description, input_type):
    raise ValueError(f"When providing `x` as a {input_type}, `{arg_name}` should not be "
                     f"passed. Instead, {arg_description} should be included as part of "
                     f"the {input_type}.")


def is_generator(x):
    """A Python generator or any other iterator (it has `__next__`); arrays, lists, dicts,
    datasets and PyDatasets are not."""
    return isinstance(x, types.GeneratorType) or (
        hasattr(x, "__next__") and hasattr(x, "__iter__")
        and not isinstance(x, (list, tuple, dict, str, bytes)))


def get_data_adapter(x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                     shuffle=False, class_weight=None, *, float_dtype="float32"):
    """The adapter for `x` (with `y`, `sample_weight` for arrays), as Keras 3 picks it:

    - a `DataAdapter`: itself;
    - arrays, lists of numbers, and tuples / lists / dicts of arrays (also pandas, SciPy
      sparse, objects with `__array__` or `.numpy()`): `ArrayDataAdapter` (batch_size 32
      by default; `shuffle` True, False or "batch"; floats cast to `float_dtype`, Keras'
      floatx: pass the model's dtype, or None to keep them);
    - a `fastnn.data.Dataset` (or TensorFlow's own): `DatasetAdapter`;
    - a `PyDataset` (`keras.utils.Sequence`): `PyDatasetAdapter`;
    - a Python generator or iterator: `GeneratorDataAdapter`.

    With a dataset, PyDataset or generator, `y` and `sample_weight` must be part of the
    data (ValueError otherwise) and `shuffle=True` is ignored with a warning, as in Keras;
    a generator takes no `class_weight`. Anything else: `DataTypeError` (both a TypeError
    and Keras' ValueError) naming what was given.
    """
    if isinstance(x, DataAdapter):
        return x
    if is_fastnn_dataset(x) or is_tf_dataset(x):
        if y is not None:
            raise_unsupported_arg("y", "the targets", "tf.data.Dataset")
        if sample_weight is not None:
            raise_unsupported_arg("sample_weights", "the sample weights", "tf.data.Dataset")
        if shuffle:
            warnings.warn("`shuffle=True` was passed, but will be ignored since the data `x` "
                          "was provided as a tf.data.Dataset. The Dataset is expected to "
                          "already be shuffled (via `.shuffle(buffer_size)`).", stacklevel=2)
        return DatasetAdapter(x, class_weight=class_weight)
    if isinstance(x, PyDataset):
        if y is not None:
            raise_unsupported_arg("y", "the targets", "PyDataset")
        if sample_weight is not None:
            raise_unsupported_arg("sample_weights", "the sample weights", "PyDataset")
        if getattr(x, "num_batches", None) is None and shuffle:
            warnings.warn("`shuffle=True` was passed, but will be ignored since the data `x` "
                          "was provided as an infinite PyDataset. The PyDataset is expected "
                          "to already be shuffled.", stacklevel=2)
        return PyDatasetAdapter(x, class_weight=class_weight, shuffle=bool(shuffle))
    if is_generator(x):
        if y is not None:
            raise_unsupported_arg("y", "the targets", "generator")
        if sample_weight is not None:
            raise_unsupported_arg("sample_weights", "the sample weights", "generator")
        if class_weight is not None:
            raise ValueError("Argument `class_weight` is not supported for Python generator "
                             f"inputs. Received: class_weight={shown(class_weight)}")
        if shuffle:
            warnings.warn("`shuffle=True` was passed, but will be ignored since the data `x` "
                          "was provided as a generator. The generator is expected to yield "
                          "already-shuffled data.", stacklevel=2)
        return GeneratorDataAdapter(x)
    if x is not None and array_data_adapter.can_convert_arrays((x, y, sample_weight)):
        return ArrayDataAdapter(x, y, sample_weight=sample_weight, class_weight=class_weight,
                                shuffle=shuffle, batch_size=batch_size, steps=steps_per_epoch,
                                float_dtype=float_dtype)
    if x is None:
        raise ValueError("x is required: the input data (arrays, a dataset, a PyDataset or a "
                         "generator), got None")
    if array_data_adapter.can_convert_arrays(x):
        # x is fine: y or sample_weight is not; ArrayDataAdapter names which.
        return ArrayDataAdapter(x, y, sample_weight=sample_weight, class_weight=class_weight,
                                shuffle=shuffle, batch_size=batch_size, steps=steps_per_epoch,
                                float_dtype=float_dtype)
    hint = ""
    if hasattr(x, "__iter__") and not isinstance(x, (str, bytes)):
        hint = " (an iterable that is not an iterator: pass iter(x), or a generator)"
    raise DataTypeError(
        f"Unrecognized data type: x={shown(x)} (of type {type(x)}){hint}. fit, evaluate and "
        f"predict take NumPy arrays (or lists of numbers, and tuples, lists or dicts of "
        f"arrays for several inputs), a fastnn.data.Dataset (tf.data.Dataset), a "
        f"keras.utils.PyDataset, or a Python generator")

from fastnn.trainers.data_adapters.epoch_iterator import EpochIterator  # noqa: E402

__all__.append("EpochIterator")
