"""In-memory arrays (and tuples, lists and dicts of them): Keras 3's `ArrayDataAdapter`."""
import math
import numbers

import numpy as np

from fastnn import utils
from fastnn.trainers.data_adapters import array_slicing
from fastnn.trainers.data_adapters import data_adapter_utils
from fastnn.trainers.data_adapters import tree
from fastnn.trainers.data_adapters.array_slicing import shown
from fastnn.trainers.data_adapters.data_adapter import DataAdapter

__all__ = ["ArrayDataAdapter", "can_convert_arrays"]


def _positive_int(value, name, allow_none=True):
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) \
            or value < 1:
        raise ValueError(f"{name} must be an int >= 1{' or None' if allow_none else ''}, "
                         f"got {shown(value)}")
    return int(value)


def check_shuffle(shuffle):
    """`shuffle`: True (a new order of the samples every epoch), False, or "batch"
    (the samples of each batch shuffled among themselves, the batches in order)."""
    if isinstance(shuffle, (bool, np.bool_)):
        return bool(shuffle)
    if isinstance(shuffle, str) and shuffle == "batch":
        return "batch"
    raise ValueError(f"shuffle must be True, False or 'batch', got {shown(shuffle)}")


class ArrayDataAdapter(DataAdapter):
    """Batches of in-memory arrays: NumPy arrays, lists of numbers, objects with
    `__array__` or `.numpy()`, pandas frames and series, SciPy sparse matrices, and
    tuples, lists and dicts of those (several inputs or outputs).

    As Keras 3: `batch_size` defaults to 32, or to `ceil(samples / steps)` when only
    `steps` is given; floats of another type are cast once to `float_dtype` (Keras'
    floatx, float32 by default; give the model's dtype, or None to keep them);
    `class_weight` becomes per-sample weights; one `sample_weight` array serves every
    output of a nested `y`. Shuffling follows fastnn's generator
    (`fastnn.utils.set_random_seed`): `shuffle=True` draws the epoch's order as
    `fastnn.utils.epoch_orders(1, n)` does (one draw per epoch, the same orders the C
    engine's fit uses), `"batch"` permutes within each batch.
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps=None,
                 shuffle=False, class_weight=None, *, float_dtype="float32"):
        if x is None:
            raise ValueError("x is required: the input data (arrays), got None")
        raw_sw = sample_weight
        x = self._convert(x, "x")
        y = self._convert(y, "y")
        sample_weight = self._convert(sample_weight, "sample_weight")
        self._shuffle = check_shuffle(shuffle)
        batch_size = _positive_int(batch_size, "batch_size")
        steps = _positive_int(steps, "steps_per_epoch")

        if sample_weight is not None:
            if class_weight is not None:
                raise ValueError("You cannot `class_weight` and `sample_weight` at the same "
                                 "time.")
            if tree.is_nested(y):
                if isinstance(raw_sw, (list, tuple, dict)) and \
                        not array_slicing._is_number_list(raw_sw):
                    try:
                        tree.assert_same_structure(y, sample_weight)
                    except ValueError:
                        raise ValueError(
                            "You should provide one `sample_weight` array per output in "
                            "`y`. The two structures did not match:\n"
                            f"- y: {tree._short(y)}\n"
                            f"- sample_weight: {tree._short(sample_weight)}\n") from None
                else:
                    sw = sample_weight
                    if not (sw.ndim == 1 or (sw.ndim == 2 and sw.shape[1] == 1)):
                        raise ValueError(
                            "For a model with multiple outputs, when providing a single "
                            "`sample_weight` array, it should only have one scalar score "
                            "per sample (i.e. shape `(num_samples,)`), got shape "
                            f"{sw.shape}. If you want to use non-scalar sample weights, "
                            "pass a `sample_weight` argument with one array per model "
                            "output.")
                    sample_weight = tree.map_structure(lambda _: sw, y)
            elif tree.is_nested(sample_weight):
                raise ValueError(f"sample_weight must be one array for a single output y, "
                                 f"got the structure {tree._short(sample_weight)}")
        if class_weight is not None:
            if y is None:
                raise ValueError("class_weight needs targets: pass y (the labels) as well")
            if tree.is_nested(y):
                raise ValueError("`class_weight` is only supported for Models with a single "
                                 "output.")
            sample_weight = data_adapter_utils.class_weight_to_sample_weights(
                y, class_weight, dtype=float_dtype or "float32")

        x, y, sample_weight = (array_slicing.cast_floats(v, float_dtype)
                               for v in (x, y, sample_weight))
        data_adapter_utils.check_data_cardinality((x, y, sample_weight))
        sizes = [int(a.shape[0]) for a in tree.flatten((x, y, sample_weight))]
        if not sizes:
            raise ValueError("x is required: the input data (arrays), got no arrays in "
                             f"{tree._short(x)}")
        num_samples = sizes[0]
        self._x, self._y, self._sample_weight = x, y, sample_weight
        self._inputs = data_adapter_utils.pack_x_y_sample_weight(x, y, sample_weight)
        self._num_samples = num_samples
        # If batch_size is not given but steps is, it follows from the data; else 32.
        if not batch_size:
            batch_size = max(1, int(math.ceil(num_samples / steps))) if steps else 32
        self._batch_size = batch_size
        self._size = int(math.ceil(num_samples / batch_size))
        self._partial_batch_size = num_samples % batch_size
        self._epoch = 0

    @staticmethod
    def _convert(value, argname):
        return array_slicing.convert_structure(value, argname)

    # ------------------------------------------------------------------ iteration
    def get_numpy_iterator(self):
        """One epoch of batches, each shaped like the data: `x`, `(x,)`, `(x, y)` or
        `(x, y, sample_weight)` with NumPy arrays. Without shuffling a batch is a view
        of the arrays (no copy); shuffled batches are gathered copies."""
        return self._iterate()

    def _iterate(self):
        n, bs, shuffle = self._num_samples, self._batch_size, self._shuffle
        order = None
        if shuffle is True:
            # one draw from fastnn's generator per epoch, as the trainer's own fit
            order = utils.epoch_orders(1, n)[0]
        rng = utils.get_rng() if shuffle == "batch" else None
        inputs = self._inputs
        for i in range(self._size):
            start, stop = i * bs, min((i + 1) * bs, n)
            if shuffle == "batch":
                idx = rng.permutation(stop - start) + start
            elif order is not None:
                idx = order[start:stop]
            else:
                idx = slice(start, stop)
            yield tree.map_structure(lambda a: a[idx], inputs)

    def arrays(self):
        """`(x, y, sample_weight)`: the whole converted arrays (structures as given; y and
        sample_weight None when absent; class weights folded into sample_weight)."""
        return self._x, self._y, self._sample_weight

    @property
    def num_samples(self):
        return self._num_samples

    @property
    def num_batches(self):
        return self._size

    @property
    def batch_size(self):
        return self._batch_size

    @property
    def has_partial_batch(self):
        return self._partial_batch_size > 0

    @property
    def partial_batch_size(self):
        return self._partial_batch_size or None

    @property
    def shuffle(self):
        return self._shuffle

    def on_epoch_end(self):
        self._epoch += 1


def can_convert_arrays(arrays):
    """Whether every leaf of `arrays` (a structure such as `(x, y, sample_weight)`) is
    an array `ArrayDataAdapter` can take (None included)."""
    return all(array_slicing.can_slice_array(a) for a in array_slicing.flatten_arrays(arrays))
