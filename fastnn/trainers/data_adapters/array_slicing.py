"""In-memory arrays: which inputs count as arrays, turning them into NumPy, and the
validation split (Keras 3's `array_slicing`).

An array here is anything with samples along its first axis that NumPy can hold: a
NumPy array, an object with `__array__` or TensorFlow's `.numpy()`, a pandas DataFrame
(`.to_numpy()`) or Series (a column: shape `(n, 1)`, as Keras gives it), a SciPy sparse
matrix (made dense), or a list (or tuple) of numbers, nested or not, such as
`[[0.1, 0.2], [0.3, 0.4]]`. A tuple, a list that holds arrays, and a dict, are
structures of inputs instead (several inputs or outputs).
"""
import math
import numbers

import numpy as np

from fastnn import _argcheck
from fastnn.trainers.data_adapters import tree

__all__ = ["DataTypeError", "can_slice_array", "to_numpy", "convert_structure",
           "cast_floats", "flatten_arrays", "train_validation_split", "is_pandas_data_frame",
           "is_pandas_series", "is_scipy_sparse", "is_tensor_like"]


class DataTypeError(TypeError, ValueError):
    """Data of a kind fastnn cannot take. Both a TypeError (the kind is wrong) and a
    ValueError (what Keras raises there), so either `except` catches it."""


def shown(value, limit=80):
    """A short repr for messages: arrays by type, shape and dtype, long reprs cut."""
    shape, dtype = getattr(value, "shape", None), getattr(value, "dtype", None)
    if shape is not None and dtype is not None and not isinstance(value, (np.generic,)):
        try:
            return f"{type(value).__name__} of shape {tuple(shape)} and dtype {dtype}"
        except TypeError:
            pass
    return _argcheck.shown(value, limit)


def _module(x):
    return str(getattr(type(x), "__module__", ""))


def is_pandas_data_frame(x):
    return type(x).__name__ == "DataFrame" and _module(x).startswith("pandas")


def is_pandas_series(x):
    return type(x).__name__ == "Series" and _module(x).startswith("pandas")


def is_scipy_sparse(x):
    return _module(x).startswith("scipy.sparse") and hasattr(x, "tocoo")


def is_tensor_like(x):
    """An eager tensor of another framework: it has a callable `.numpy()` (TensorFlow,
    fastnn's own Tensor) and is not a NumPy array."""
    return not isinstance(x, np.ndarray) and callable(getattr(x, "numpy", None))


_SCALARS = (numbers.Number, np.generic, str, bytes)


def _is_number_list(x):
    """A (nested) list of numbers (or strings; inner levels may be tuples): an array
    given as Python lists. A tuple at the top, and an empty list, are structures."""
    if not isinstance(x, list):
        return False
    stack, seen_scalar = [x], False
    while stack:
        item = stack.pop()
        for v in item:
            if isinstance(v, _SCALARS):
                seen_scalar = True
            elif isinstance(v, (list, tuple)) and not hasattr(type(v), "_fields"):
                stack.append(v)
            else:
                return False
    return seen_scalar


def can_slice_array(x):
    """Whether `x` is one array the adapters can slice by samples (None counts, as in
    Keras: an absent part)."""
    return (x is None or isinstance(x, np.ndarray) or is_pandas_data_frame(x)
            or is_pandas_series(x) or is_scipy_sparse(x) or is_tensor_like(x)
            or hasattr(x, "__array__") or _is_number_list(x))


def to_numpy(x, argname="x"):
    """One array-like value as a NumPy array with a sample axis; DataTypeError when it is
    not array-like, ValueError for a scalar or a ragged list."""
    if isinstance(x, np.ndarray):
        arr = np.asarray(x)          # a subclass (fastnn's Tensor) as a plain array
    elif is_pandas_data_frame(x):
        arr = np.asarray(x.to_numpy())
    elif is_pandas_series(x):
        arr = np.expand_dims(np.asarray(x.to_numpy()), axis=-1)
    elif is_scipy_sparse(x):
        arr = np.asarray(x.toarray())
    elif is_tensor_like(x):
        arr = np.asarray(x.numpy())
    elif hasattr(x, "__array__") or _is_number_list(x):
        try:
            arr = np.asarray(x)
        except (ValueError, TypeError) as e:
            raise ValueError(f"{argname} could not be made into an array ({e}); a list "
                             f"must be rectangular: every row the same length") from None
    else:
        raise DataTypeError(f"Expected all elements of `x` to be array-like. Received "
                            f"invalid types: {argname}={shown(x)} (of type "
                            f"{type(x).__name__}); give NumPy arrays (or lists of numbers)")
    if arr.ndim == 0:
        raise ValueError(f"{argname} must be an array of samples (at least one dimension, "
                         f"samples first), got a scalar {shown(x)}")
    return arr


def _path_name(argname, path):
    return argname + "".join(f"[{p!r}]" for p in path)


def convert_structure(value, argname="x"):
    """`value` (an array, or a tuple, list or dict of arrays, nested) with every array as
    a NumPy array; None stays None. A list of numbers is one array."""
    if value is None:
        return None
    if _is_number_list(value) or not tree.is_nested(value):
        return to_numpy(value, argname)

    def conv(path, leaf):
        return to_numpy(leaf, _path_name(argname, path))

    # lists of numbers inside the structure are leaves, not structures
    def walk(v, path):
        if v is None:
            return None
        if _is_number_list(v) or not tree.is_nested(v):
            return conv(path, v)
        if isinstance(v, dict) or hasattr(v, "items"):
            return tree._rebuild(v, {k: walk(v[k], path + (k,)) for k in v})
        return tree._rebuild(v, [walk(e, path + (i,)) for i, e in enumerate(v)])

    return walk(value, ())


def flatten_arrays(value):
    """The array leaves of a structure (a list of numbers is one leaf); None left out."""
    out = []

    def walk(v):
        if v is None:
            return
        if _is_number_list(v) or not tree.is_nested(v):
            out.append(v)
        elif hasattr(v, "items"):
            for k in tree._sorted_keys(v):
                walk(v[k])
        else:
            for e in v:
                walk(e)

    walk(value)
    return out


def cast_floats(structure, float_dtype):
    """Floating arrays of another float type cast to `float_dtype` (Keras casts them to
    floatx); integer, boolean and string arrays stay as they are. None: no cast."""
    if float_dtype is None:
        return structure
    float_dtype = np.dtype(float_dtype)

    def cast(a):
        if a.dtype.kind == "f" and a.dtype != float_dtype:
            return a.astype(float_dtype)
        return a

    return tree.map_structure(cast, structure)


def train_validation_split(arrays, validation_split):
    """`(train_arrays, validation_arrays)`: the last part of the samples is the
    validation data, in order (before any shuffle), as Keras 3 does:
    `split_at = floor(n * (1 - validation_split))` samples train, the other
    `n - split_at` validate (10 samples at 0.25: 7 train, 3 validate). `arrays` is a
    structure of arrays (such as `(x, y, sample_weight)`); the parts are views of the
    same memory, without a copy."""
    if isinstance(validation_split, (bool, np.bool_)) or \
            not isinstance(validation_split, (numbers.Real,)) or \
            not 0.0 < float(validation_split) < 1.0:
        raise ValueError(f"train_validation_split: validation_split must be a float in "
                         f"(0, 1), got {shown(validation_split)}")
    flat = flatten_arrays(arrays)
    unsplitable = [type(t) for t in flat if not can_slice_array(t)]
    if unsplitable:
        raise DataTypeError("Argument `validation_split` is only supported for tensors or "
                            "NumPy arrays. Found incompatible type in the input: "
                            f"{unsplitable}")
    if all(t is None for t in flat):
        return arrays, arrays
    converted = convert_structure(arrays, "arrays")
    if isinstance(converted, tuple) and 1 <= len(converted) <= 3:
        from fastnn.trainers.data_adapters.data_adapter_utils import check_data_cardinality
        check_data_cardinality(converted)
    first = next(t for t in tree.flatten(converted) if t is not None)
    batch_dim = int(first.shape[0])
    split_at = int(math.floor(batch_dim * (1.0 - validation_split)))
    if split_at == 0 or split_at == batch_dim:
        raise ValueError(
            f"Training data contains {batch_dim} samples, which is not sufficient to split "
            f"it into a validation and training set as specified by "
            f"`validation_split={validation_split}`. Either provide more data, or a "
            f"different value for the `validation_split` argument.")
    train = tree.map_structure(lambda t: t[:split_at], converted)
    val = tree.map_structure(lambda t: t[split_at:batch_dim], converted)
    return train, val
