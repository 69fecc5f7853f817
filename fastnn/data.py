"""`tf.data` for in-memory data: `Dataset` with TensorFlow's semantics, computed with NumPy.

`import fastnn as tf` and write `tf.data.Dataset.from_tensor_slices((x, y)).shuffle(1000)
.batch(32)`, then hand the dataset to `fit`, `evaluate` or `predict`, or iterate over it.

What follows TensorFlow (`tf.data.Dataset`'s documented behaviour):

- Elements are nested structures of tuples, named tuples and dicts; a Python list is one
  tensor, not a structure (`(1, [1, 2, 3])` has two components). Python values convert as
  `tf.constant` converts them: ints to int32 (int64 when they do not fit), floats to
  float32, strings to byte strings (NumPy object arrays of `bytes`); NumPy arrays keep
  their dtype.
- `as_numpy_iterator()` gives NumPy values (a 0-d component as a NumPy scalar, `b'A'` for
  a string); iterating the dataset itself gives the same values as fastnn Tensors
  (NumPy arrays with `.numpy()`), as eager TensorFlow gives ``tf.Tensor`` objects.
- `cardinality()` is known, `INFINITE_CARDINALITY` (-1) or `UNKNOWN_CARDINALITY` (-2),
  computed as TensorFlow computes it for each transformation; `len(ds)` raises TypeError
  when it is infinite or unknown.
- `shuffle(buffer_size)` is TensorFlow's buffer shuffle: it fills a buffer of
  `buffer_size` elements, gives a uniformly chosen one and puts the next input element in
  its place (a buffer as large as the dataset gives a uniform permutation). Its random
  numbers come from fastnn's generator (`fastnn.utils.set_random_seed`,
  `tf.random.set_seed`): one seed is drawn when `shuffle()` is called, unless `seed` is
  given, and each new iteration reshuffles with a stream derived from that seed and the
  iteration's number (`reshuffle_each_iteration=False`: the same order every time). The
  orders are not TensorFlow's own bits.

What differs, by design:

- Everything runs in the calling thread, in order: `num_parallel_calls`, `deterministic`
  and `prefetch` are accepted and change nothing (results are what TensorFlow gives with
  `deterministic=True`).
- Functions given to `map`, `filter`, `flat_map`, `reduce` ... run as Python on NumPy
  values (no tracing): NumPy functions work inside them, TensorFlow ops do not.
  `element_spec` of a mapped dataset is read from its first element.
- `from_tensor_slices` and `from_tensors` copy the arrays (as TensorFlow does) and the
  copies are read-only: elements are views of them, so a component cannot be changed in
  place (tensors are immutable too).
- `cache(filename)` caches in memory whatever the filename.
"""
import collections.abc
import itertools
import numbers
import os
import sys
import types
import warnings

import numpy as np

from fastnn import _argcheck
from fastnn import utils as _utils
from fastnn.tensor import as_tensor as _as_tensor

__all__ = ["Dataset", "TensorSpec", "Options", "AUTOTUNE", "INFINITE_CARDINALITY",
           "UNKNOWN_CARDINALITY", "INFINITE", "UNKNOWN", "experimental"]

# A value that lets the runtime tune a parameter (accepted; fastnn runs in order).
AUTOTUNE = -1
# Cardinalities of a dataset that is infinite, or whose size cannot be known in advance.
INFINITE_CARDINALITY = INFINITE = -1
UNKNOWN_CARDINALITY = UNKNOWN = -2

_INT64_MAX = np.iinfo(np.int64).max
_STRING = np.dtype(object)


def _shown(value, limit=80):
    return _argcheck.shown(value, limit)


# ---------------------------------------------------------------- structures (tf.nest)
def _is_struct(x):
    """tf.data's structures: tuples (named tuples too) and dicts; a list is a leaf."""
    return isinstance(x, (tuple, collections.abc.Mapping))


def _keys(d):
    try:
        return sorted(d)
    except TypeError:
        return list(d)


def _rebuild(template, values):
    if isinstance(template, collections.abc.Mapping):
        items = [(k, values[k]) for k in template]
        try:
            return type(template)(items)
        except TypeError:
            return dict(items)
    if hasattr(type(template), "_fields"):
        return type(template)(*values)
    return tuple(values)


def _nmap(fn, *structs):
    first = structs[0]
    if isinstance(first, collections.abc.Mapping):
        return _rebuild(first, {k: _nmap(fn, *(s[k] for s in structs)) for k in first})
    if isinstance(first, tuple):
        return _rebuild(first, [_nmap(fn, *vals) for vals in zip(*structs)])
    return fn(*structs)


def _nflatten(s):
    if isinstance(s, collections.abc.Mapping):
        return [leaf for k in _keys(s) for leaf in _nflatten(s[k])]
    if isinstance(s, tuple):
        return [leaf for v in s for leaf in _nflatten(v)]
    return [s]


def _npack(template, flat):
    it = iter(flat)

    def build(s):
        if isinstance(s, collections.abc.Mapping):
            vals = {}
            for k in _keys(s):
                vals[k] = build(s[k])
            return _rebuild(s, vals)
        if isinstance(s, tuple):
            return _rebuild(s, [build(v) for v in s])
        return next(it)

    return build(template)


def _same_structure(a, b):
    if isinstance(a, collections.abc.Mapping):
        return (isinstance(b, collections.abc.Mapping) and set(a) == set(b)
                and all(_same_structure(a[k], b[k]) for k in a))
    if isinstance(a, tuple):
        return (isinstance(b, tuple) and not isinstance(b, collections.abc.Mapping)
                and len(a) == len(b) and all(_same_structure(x, y) for x, y in zip(a, b)))
    return not _is_struct(b)


def _map_up_to(template, fn, other, what):
    """fn(template_leaf, other_part) where `other` nests like `template` down to
    template's leaves (its parts there may be tuples, such as shapes)."""
    if isinstance(template, collections.abc.Mapping):
        if not isinstance(other, collections.abc.Mapping) or set(other) != set(template):
            raise ValueError(f"{what} must nest like {_shown(template)}, got {_shown(other)}")
        return _rebuild(template, {k: _map_up_to(template[k], fn, other[k], what)
                                   for k in template})
    if isinstance(template, tuple):
        if not isinstance(other, (tuple, list)) or len(other) != len(template):
            raise ValueError(f"{what} must nest like {_shown(template)}, got {_shown(other)}")
        return _rebuild(template, [_map_up_to(t, fn, o, what)
                                   for t, o in zip(template, other)])
    return fn(template, other)


# ---------------------------------------------------------------- dtypes and values
def _as_dtype(d, what="dtype"):
    """A dtype given as NumPy understands it, as a TensorFlow DType (`as_numpy_dtype`),
    or as "string" / str / bytes (byte strings, held in object arrays)."""
    if d is None:
        raise TypeError(f"{what} must be a dtype, got None")
    if isinstance(d, str) and d.lower() in ("string", "str", "bytes"):
        return _STRING
    if any(d is t for t in (str, bytes, np.str_, np.bytes_, object)):
        return _STRING
    if not isinstance(d, (str, np.dtype, type)) and getattr(d, "name", None) == "string":
        return _STRING                      # TensorFlow's tf.string
    npd = getattr(d, "as_numpy_dtype", None)
    if npd is not None and not isinstance(d, np.dtype):
        return _as_dtype(npd, what)
    try:
        dt = np.dtype(d)
    except TypeError:
        raise TypeError(f"{what} must be a dtype (such as 'float32', np.int64 or "
                        f"'string'), got {_shown(d)}") from None
    return _STRING if dt.kind in "USO" else dt


def _dtype_name(dt):
    return "string" if dt == _STRING else np.dtype(dt).name


def _as_shape(s, what="shape"):
    """A shape as a tuple of ints and Nones; None for an unknown rank."""
    if s is None:
        return None
    if getattr(s, "rank", 0) is None:        # tf.TensorShape(None)
        return None
    if hasattr(s, "as_list"):
        s = s.as_list()
    if isinstance(s, (numbers.Integral, np.integer)) and not isinstance(s, bool):
        s = (s,)
    try:
        dims = tuple(s)
    except TypeError:
        raise TypeError(f"{what} must be a shape (a tuple of ints or None), got "
                        f"{_shown(s)}") from None
    out = []
    for d in dims:
        if d is None or (isinstance(d, (numbers.Integral, np.integer)) and int(d) == -1):
            out.append(None)
        elif isinstance(d, (numbers.Integral, np.integer)) and not isinstance(d, bool) \
                and int(d) >= 0:
            out.append(int(d))
        else:
            d_val = getattr(d, "value", d)    # a TF Dimension
            if isinstance(d_val, (numbers.Integral, type(None))) and d_val is not d:
                out.append(None if d_val is None else int(d_val))
            else:
                raise TypeError(f"{what}: dimensions must be ints >= 0 or None, got "
                                f"{_shown(d)}")
    return tuple(out)


def _shape_compatible(spec_shape, shape):
    if spec_shape is None:
        return True
    return len(spec_shape) == len(shape) and all(a is None or a == b
                                                 for a, b in zip(spec_shape, shape))


def _encode_strings(arr):
    """A string array as TensorFlow holds it: an object array of `bytes`."""
    if arr.dtype.kind == "U":
        out = np.empty(arr.shape, dtype=object)
        out.ravel()[:] = [s.encode("utf-8") for s in arr.ravel().tolist()] if arr.size else []
        return out
    if arr.dtype.kind == "S":
        out = np.empty(arr.shape, dtype=object)
        out.ravel()[:] = arr.ravel().tolist() if arr.size else []
        return out
    if arr.dtype == object:
        flat = arr.ravel().tolist()
        if all(isinstance(v, bytes) for v in flat):
            return arr
        if all(isinstance(v, (bytes, str)) for v in flat):
            out = np.empty(arr.shape, dtype=object)
            out.ravel()[:] = [v.encode("utf-8") if isinstance(v, str) else v for v in flat]
            return out
        bad = next(v for v in flat if not isinstance(v, (bytes, str)))
        raise TypeError(f"a dataset component must be numbers or strings, got an element "
                        f"of type {type(bad).__name__}: {_shown(bad)}")
    return arr


def _has_numpy(value):
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (np.ndarray, np.generic)) or hasattr(v, "__array__"):
            return True
        if isinstance(v, (list, tuple)):
            stack.extend(v)
    return False


def _from_python(value):
    """Python numbers and (nested) lists converted as `tf.constant` converts them."""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError, OverflowError) as e:
        raise ValueError(f"Can't convert non-rectangular Python sequence to Tensor: "
                         f"{_shown(value)} ({e})") from None
    if _has_numpy(value):
        return _encode_strings(arr)
    if arr.dtype == np.float64:
        arr = arr.astype(np.float32)
    elif arr.dtype.kind in "iu":
        info = np.iinfo(np.int32)
        if arr.size == 0 or (arr.min() >= info.min and arr.max() <= info.max):
            arr = arr.astype(np.int32)
        elif arr.dtype.kind == "u":
            raise ValueError(f"Can't convert Python int too large for int64: "
                             f"{_shown(value)}")
        else:
            arr = arr.astype(np.int64)
    elif arr.dtype == object and not _all_strings(arr):
        raise ValueError(f"Can't convert Python value to a tensor (an int beyond int64, or "
                         f"mixed types?): {_shown(value)}")
    return _encode_strings(arr)


def _all_strings(arr):
    return all(isinstance(v, (str, bytes)) for v in arr.ravel().tolist())


def _to_array(value, what="a dataset component"):
    """One component as a NumPy array (TensorFlow's conversion rules); a Dataset stays a
    Dataset (datasets of datasets, as `window` gives)."""
    if isinstance(value, Dataset):
        return value
    if isinstance(value, np.ndarray):
        return _encode_strings(np.asarray(value))
    if isinstance(value, np.generic):
        return _encode_strings(np.asarray(value))
    if callable(getattr(value, "numpy", None)):
        return _encode_strings(np.asarray(value.numpy()))
    if isinstance(value, (str, bytes)):
        return np.array(value.encode("utf-8") if isinstance(value, str) else value,
                        dtype=object)
    if isinstance(value, (bool, numbers.Number, list)):
        return _from_python(value)
    if hasattr(value, "__array__"):
        return _encode_strings(np.asarray(value))
    if value is None:
        raise TypeError(f"{what} cannot be None: tf.data elements hold tensors (use a "
                        f"tuple without it, or a placeholder value)")
    raise TypeError(f"{what} must be an array, a number, a string or a nested structure "
                    f"(tuple, dict) of them, got {type(value).__name__}: {_shown(value)}")


def _normalize(element, what="a dataset element"):
    """An element as a structure of arrays: lists at the top of a function's result are
    tuples (as tf.data reads them), everything else converted by `_to_array`."""
    if isinstance(element, list):
        element = tuple(element)
    return _nmap(lambda v: _to_array(v, what), element)


def _source_array(value, what):
    """A component of from_tensors / from_tensor_slices: converted, copied (unless the
    conversion made a new array from Python values), read-only."""
    arr = _to_array(value, what)
    if isinstance(arr, Dataset):
        return arr
    if not isinstance(value, (list, bool, numbers.Number, str, bytes)) or \
            isinstance(value, np.generic):
        arr = arr.copy()
    arr.flags.writeable = False
    return arr


def _np_out(a):
    """A component as `as_numpy_iterator` gives it: a 0-d array as its scalar."""
    if isinstance(a, Dataset):
        raise TypeError("Dataset.as_numpy_iterator() does not support datasets containing "
                        "datasets (as `window` gives): iterate over those one by one")
    return a[()] if a.ndim == 0 else a


def _tensor_out(a):
    """A component as iteration gives it: a fastnn Tensor (a NumPy array with .numpy())."""
    return a if isinstance(a, Dataset) else _as_tensor(a)


def _call(fn, element):
    """Call a user function on an element as tf.data does: a tuple's components are the
    arguments, anything else is the one argument."""
    args = _nmap(_tensor_out, element)
    if type(element) is tuple:
        return fn(*args)
    return fn(args)


def _int_arg(value, name, op, lo=None, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu":
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral,
                                                                     np.integer)):
        raise TypeError(f"Dataset.{op}: {name} must be an int, got {type(value).__name__} "
                        f"{_shown(value)}")
    value = int(value)
    if lo is not None and value < lo:
        raise ValueError(f"Dataset.{op}: {name} must be >= {lo}, got {value}")
    return value


def _bool_arg(value, name, op):
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype == bool:
        value = bool(value)
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"Dataset.{op}: {name} must be True or False, got {_shown(value)}")
    return bool(value)


# ---------------------------------------------------------------- TensorSpec
class TensorSpec:
    """The type of a component: `shape` (a tuple, None for an unknown dimension, or None
    for an unknown rank) and `dtype` (a NumPy dtype; byte strings are object).

    Parameters
    ----------
    shape : tuple or None
        The shape; None entries for unknown sizes, None for an unknown rank.
    dtype : str or numpy.dtype
        The dtype. Default ``'float32'``.
    name : str, optional
        A name for the component.
    """

    __slots__ = ("shape", "dtype", "name")

    def __init__(self, shape, dtype="float32", name=None):
        self.shape = _as_shape(shape, "TensorSpec: shape")
        self.dtype = _as_dtype(dtype, "TensorSpec: dtype")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"TensorSpec: name must be a string or None, got {_shown(name)}")
        self.name = name

    @classmethod
    def from_array(cls, a):
        return cls(a.shape, a.dtype)

    def is_compatible_with(self, other):
        """Whether a value (array) or another spec fits this one."""
        if isinstance(other, TensorSpec):
            if other.dtype != self.dtype:
                return False
            if self.shape is None or other.shape is None:
                return True
            return len(self.shape) == len(other.shape) and all(
                a is None or b is None or a == b for a, b in zip(self.shape, other.shape))
        a = np.asarray(other)
        return a.dtype == self.dtype and _shape_compatible(self.shape, a.shape)

    def most_specific_compatible_type(self, other):
        if self.shape is None or other.shape is None or len(self.shape) != len(other.shape):
            shape = None
        else:
            shape = tuple(a if a == b else None for a, b in zip(self.shape, other.shape))
        return TensorSpec(shape, self.dtype)

    def __eq__(self, other):
        return (isinstance(other, TensorSpec) and self.shape == other.shape
                and self.dtype == other.dtype and self.name == other.name)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.name))

    def __repr__(self):
        shape = "<unknown>" if self.shape is None else repr(self.shape)
        return (f"TensorSpec(shape={shape}, dtype=tf.{_dtype_name(self.dtype)}, "
                f"name={self.name!r})")


def _spec_of(value):
    """The spec of one element (the TensorSpec structure its components give)."""
    def one(a):
        if isinstance(a, Dataset):
            return DatasetSpec(a.element_spec)
        return TensorSpec(a.shape, a.dtype)
    return _nmap(one, value)


class DatasetSpec:
    """The spec of a component that is itself a dataset (as `window` gives)."""

    __slots__ = ("element_spec",)

    def __init__(self, element_spec):
        self.element_spec = element_spec

    def __eq__(self, other):
        return isinstance(other, DatasetSpec) and self.element_spec == other.element_spec

    def __hash__(self):
        return hash(repr(self.element_spec))

    def __repr__(self):
        return f"DatasetSpec({self.element_spec!r}, TensorShape([]))"


def _compatible_specs(a, b):
    """The most specific spec both fit, or None when the types differ."""
    if not _same_structure(a, b):
        return None
    fa, fb = _nflatten(a), _nflatten(b)
    out = []
    for x, y in zip(fa, fb):
        if isinstance(x, TensorSpec) and isinstance(y, TensorSpec):
            if x.dtype != y.dtype:
                return None
            out.append(x.most_specific_compatible_type(y))
        elif x == y:
            out.append(x)
        else:
            return None
    return _npack(a, out)


def _types_repr(spec):
    def one(s):
        if isinstance(s, TensorSpec):
            return f"tf.{_dtype_name(s.dtype)}"
        return repr(s)
    if isinstance(spec, TensorSpec):
        return f"<dtype: '{_dtype_name(spec.dtype)}'>"
    return str(_nmap(one, spec)).replace("'", "")


# ---------------------------------------------------------------- Options
class Options:
    """`tf.data.Options`: accepted and kept (`ds.options()`); fastnn reads none of them.
    Nested groups (`options.experimental_optimization.map_fusion = True`) spring into
    being when first read."""

    def __init__(self):
        object.__setattr__(self, "_values", {})

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        values = object.__getattribute__(self, "_values")
        if name not in values:
            values[name] = Options()
        return values[name]

    def __setattr__(self, name, value):
        self._values[name] = value

    def merge(self, other):
        out = Options()
        out._values.update(self._values)
        if other is not None:
            out._values.update(other._values)
        return out

    def __eq__(self, other):
        return isinstance(other, Options) and self._values == other._values

    def __repr__(self):
        return f"Options({self._values!r})"


# ---------------------------------------------------------------- shuffling
class _Uniforms:
    """Uniform floats in [0, 1) drawn from a Generator in chunks (the same stream
    whatever is being shuffled)."""

    __slots__ = ("rng", "buf", "pos")

    def __init__(self, rng):
        self.rng, self.buf, self.pos = rng, (), 0

    def next(self):
        if self.pos >= len(self.buf):
            self.buf, self.pos = self.rng.random(256).tolist(), 0
        u = self.buf[self.pos]
        self.pos += 1
        return u


def _buffer_shuffle(items, buffer_size, rng):
    """TensorFlow's shuffle: a buffer of `buffer_size` items; each output is a uniformly
    chosen buffer item, replaced by the next input item (or removed at the end)."""
    it = iter(items)
    buf = list(itertools.islice(it, buffer_size))
    uni = _Uniforms(rng)
    exhausted = len(buf) < buffer_size
    while buf:
        j = int(uni.next() * len(buf))
        out = buf[j]
        if not exhausted:
            for nxt in it:
                buf[j] = nxt
                break
            else:
                exhausted = True
        if exhausted:
            buf[j] = buf[-1]
            buf.pop()
        yield out


def _buffer_shuffle_list(items, buffer_size, rng):
    """`_buffer_shuffle` of a list whose length is known: the same outputs from the same
    random numbers (output k picks int(u_k * min(buffer_size, n - k))), with the draws
    made at once and a tighter loop."""
    n = len(items)
    if n == 0:
        return iter(())
    u = rng.random(n)
    lens = np.minimum(buffer_size, n - np.arange(n))
    picks = (u * lens).astype(np.int64).tolist()
    buf = items[:buffer_size]
    out = [None] * n
    refill = n - buffer_size      # outputs after which an input item takes the place
    for k, j in enumerate(picks):
        out[k] = buf[j]
        if k < refill:
            buf[j] = items[buffer_size + k]
        else:
            buf[j] = buf[-1]
            buf.pop()
    return iter(out)


# ---------------------------------------------------------------- Dataset
class Dataset:
    """A sequence of elements (nested structures of arrays), with TensorFlow's
    `tf.data.Dataset` API. Create one with `from_tensor_slices`, `from_tensors`, `range`,
    `zip`, `from_generator` or `counter`; each transformation returns a new dataset, and
    iterating (again) starts from the beginning. See the module's notes."""

    def __init__(self, *args, **kwargs):
        raise TypeError("Dataset cannot be created directly: use Dataset.from_tensor_slices, "
                        "from_tensors, range, zip, from_generator or counter")

    # -------------------------------------------------------- construction (internal)
    @classmethod
    def _make(cls, iter_fn, card, spec_fn, kind, *, static=True, index=None, inputs=(),
              options=None):
        """iter_fn() -> an iterator over internal elements (structures of arrays);
        card: the cardinality; spec_fn() -> the element spec (static: computable without
        iterating). index: (source, index_iter_fn) when the elements are rows of in-memory
        arrays, taken in the order index_iter_fn() gives (lets `batch` gather)."""
        ds = object.__new__(cls)
        ds._iter_fn = iter_fn
        ds._card = int(card)
        ds._spec_fn = spec_fn
        ds._spec = None
        ds._static = bool(static)
        ds._kind = kind
        ds._index = index
        ds._plain_batches = None
        opts = Options()
        for inp in inputs:
            opts = opts.merge(inp._options)
        ds._options = opts.merge(options) if options is not None else opts
        return ds

    def _derived(self, iter_fn, card, spec_fn=None, kind=None, *, static=None, index=None,
                 inputs=None):
        return Dataset._make(iter_fn, card, spec_fn or (lambda: self.element_spec),
                             kind or self._kind, static=self._static if static is None else static,
                             index=index, inputs=(self,) if inputs is None else inputs)

    def _elements(self):
        """An iterator over the internal elements (arrays, read-only where they are views
        of the dataset's own data)."""
        return self._iter_fn()

    # -------------------------------------------------------- sources
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """A dataset whose elements are the slices of `tensors` along their first axis
        (every component must have the same first dimension). `tensors` may be an array,
        a list (one tensor), or a tuple / dict / named tuple of them, nested.

        Parameters
        ----------
        tensors : array or structure of arrays
            The data, sliced along the first axis.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The dataset.
        """
        if isinstance(tensors, Dataset):
            raise TypeError("Dataset.from_tensor_slices: tensors must be arrays or a "
                            "structure of arrays, got a Dataset")
        struct = _nmap(lambda v: _source_array(v, "Dataset.from_tensor_slices: a component"),
                       tensors)
        leaves = _nflatten(struct)
        if not leaves:
            raise ValueError("Dataset.from_tensor_slices: tensors must have at least one "
                             "component, got an empty structure")
        for a in leaves:
            if isinstance(a, Dataset):
                raise TypeError("Dataset.from_tensor_slices: a component cannot be a "
                                "Dataset (use Dataset.zip or from_tensors)")
            if a.ndim == 0:
                raise ValueError("Unbatching a tensor is only supported for rank >= 1: "
                                 "Dataset.from_tensor_slices needs components with a first "
                                 f"axis to slice, got a scalar of dtype {_dtype_name(a.dtype)}")
        n = leaves[0].shape[0]
        for a in leaves[1:]:
            if a.shape[0] != n:
                raise ValueError(f"Dimensions {n} and {a.shape[0]} are not compatible: every "
                                 f"component of Dataset.from_tensor_slices must have the same "
                                 f"first dimension, got shapes "
                                 f"{[tuple(x.shape) for x in leaves]}")
        spec = _nmap(lambda a: TensorSpec(a.shape[1:], a.dtype), struct)
        src = _Source(struct)
        ds = Dataset._make(None, n, lambda: spec, "TensorSlice",
                           index=(src, lambda: iter(range(n))))
        ds._iter_fn = ds._index_elements
        return ds

    @staticmethod
    def from_tensors(tensors, name=None):
        """A dataset of one element: `tensors` (a structure of arrays) whole.

        Parameters
        ----------
        tensors : array or structure of arrays
            The one element.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The new dataset.
        """
        struct = _nmap(lambda v: _source_array(v, "Dataset.from_tensors: a component"),
                       tensors)
        spec = _spec_of(struct)
        return Dataset._make(lambda: iter((struct,)), 1, lambda: spec, "Tensor")

    @staticmethod
    def range(*args, output_type=np.int64, name=None):
        """`range(stop)`, `range(start, stop)` or `range(start, stop, step)`, as Python's
        range, as int64 (or `output_type`).

        Parameters
        ----------
        output_type : str or numpy.dtype
            The integer dtype of the elements. Default int64.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The new dataset.
        """
        if not 1 <= len(args) <= 3:
            raise ValueError(f"Dataset.range takes 1 to 3 arguments (start, stop, step), got "
                             f"{len(args)}")
        names = ("stop",) if len(args) == 1 else ("start", "stop", "step")
        vals = [_int_arg(a, n, "range") for a, n in zip(args, names)]
        if len(vals) == 3 and vals[2] == 0:
            raise ValueError("Dataset.range: step must be a non-zero integer, got 0")
        r = range(*vals)
        dtype = _as_dtype(output_type, "Dataset.range: output_type")
        spec = TensorSpec((), dtype)

        def it():
            for v in r:
                yield np.array(v, dtype=dtype)

        return Dataset._make(it, len(r), lambda: spec, "Range")

    @staticmethod
    def counter(start=0, step=1, dtype=np.int64, name=None):
        """`start, start + step, ...` without end.

        Parameters
        ----------
        start : int
            The first value. Default 0.
        step : int
            The increment. Default 1.
        dtype : str or numpy.dtype
            The dtype of the elements. Default int64.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The new dataset.
        """
        start = _int_arg(start, "start", "counter")
        step = _int_arg(step, "step", "counter")
        dt = _as_dtype(dtype, "Dataset.counter: dtype")
        spec = TensorSpec((), dt)
        return Dataset._make(lambda: (np.array(v, dtype=dt)
                                      for v in itertools.count(start, step)),
                             INFINITE, lambda: spec, "Counter")

    @staticmethod
    def zip(*args, datasets=None, name=None):
        """A dataset of the elements of the given datasets side by side, as Python's zip:
        `zip(a, b)`, `zip((a, b))` or any nested tuple / dict of datasets; as long as the
        shortest.

        Parameters
        ----------
        datasets : Dataset or structure of Datasets, optional
            The datasets, as one structure (instead of positional arguments).
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The new dataset.
        """
        if datasets is not None and args:
            raise TypeError("Dataset.zip: give the datasets either as positional arguments "
                            "or as `datasets`, not both")
        if datasets is None:
            if not args:
                raise TypeError("Dataset.zip: at least one dataset is required")
            datasets = args[0] if len(args) == 1 else tuple(args)
        if isinstance(datasets, list) or any(isinstance(d, list) for d in _nflatten(datasets)):
            raise TypeError("Invalid `datasets`. `datasets` is expected to be a (nested) "
                            "structure of `tf.data.Dataset` objects. Python `list` is not "
                            "supported and you should use `tuple` instead.")
        flat = _nflatten(datasets)
        for d in flat:
            if not isinstance(d, Dataset):
                raise TypeError(f"Invalid `datasets`. `datasets` is expected to be a (nested) "
                                f"structure of `tf.data.Dataset` objects, got "
                                f"{type(d).__name__}: {_shown(d)}")
        cards = [d._card for d in flat]
        if UNKNOWN in cards:
            card = UNKNOWN
        else:
            finite = [c for c in cards if c != INFINITE]
            card = min(finite) if finite else INFINITE

        def it():
            iters = [d._elements() for d in flat]
            for elems in zip(*iters):
                yield _npack(datasets, elems)

        return Dataset._make(it, card, lambda: _nmap(lambda d: d.element_spec, datasets),
                             "Zip", static=all(d._static for d in flat), inputs=tuple(flat))

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None):
        """A dataset of what `generator()` (a callable: called again for each iteration)
        yields, each element converted to `output_signature` (a structure of
        `TensorSpec`), or to `output_types` (dtypes) and `output_shapes`.

        Parameters
        ----------
        generator : callable
            Called with no arguments (or with ``args``) for each iteration; returns
            an iterator of elements.
        output_types : numpy.dtype or structure of them, optional
            The elements' dtypes (with ``output_shapes``), instead of
            ``output_signature``.
        output_shapes : tuple or structure of tuples, optional
            The elements' shapes, with ``output_types``.
        args : tuple, optional
            Arguments passed to ``generator``.
        output_signature : TensorSpec or structure of TensorSpec, optional
            The elements' types and shapes.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The new dataset.
        """
        if not callable(generator):
            raise TypeError(f"`generator` must be a Python callable, got "
                            f"{type(generator).__name__}")
        if output_signature is not None:
            if output_types is not None:
                raise TypeError("The `output_types` argument can not be used together with "
                                "the `output_signature` argument.")
            if output_shapes is not None:
                raise TypeError("The `output_shapes` argument can not be used together with "
                                "the `output_signature` argument.")

            def as_spec(s):
                if isinstance(s, TensorSpec):
                    return s
                if hasattr(s, "shape") and hasattr(s, "dtype"):
                    return TensorSpec(s.shape, s.dtype)
                raise TypeError(f"All the elements of `output_signature` must be "
                                f"`tf.TypeSpec` objects (TensorSpec), got {_shown(s)}")
            specs = _nmap(as_spec, output_signature)
            strict = True
        else:
            if output_types is None:
                raise TypeError("To specify the output signature you need to provide either "
                                "the `output_signature` argument or the `output_types` "
                                "argument.")
            dts = _nmap(lambda d: _as_dtype(d, "Dataset.from_generator: output_types"),
                        output_types)
            if output_shapes is None:
                specs = _nmap(lambda d: TensorSpec(None, d), dts)
            else:
                specs = _map_up_to(dts, lambda d, s: TensorSpec(_as_shape(s), d),
                                   output_shapes, "output_shapes")
            strict = False
        if args is None:
            call_args = ()
        else:
            call_args = tuple(_np_out(_to_array(a, "Dataset.from_generator: args"))
                              for a in args)
        flat_specs = _nflatten(specs)

        def it():
            for values in generator(*call_args):
                if isinstance(values, list) and _is_struct(specs):
                    values = tuple(values)
                try:
                    if _is_struct(specs):
                        flat_vals = _flatten_up_to(specs, values)
                    else:
                        flat_vals = [values]
                except (TypeError, ValueError):
                    raise TypeError(f"`generator` yielded an element that did not match the "
                                    f"expected structure. The expected structure was "
                                    f"{_types_repr(specs)}, but the yielded element was "
                                    f"{_shown(values)}.") from None
                out = [_convert_to_spec(v, s, strict) for v, s in zip(flat_vals, flat_specs)]
                yield _npack(specs, out)

        return Dataset._make(it, UNKNOWN, lambda: specs, "FlatMap")

    @staticmethod
    def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
        """Element k is the next element of `datasets[choice_k]`, where `choice_dataset`
        gives int64 scalars in [0, len(datasets)); with `stop_on_empty_dataset` the result
        ends when a chosen dataset has run out (else that choice is skipped).

        Parameters
        ----------
        datasets : list of Dataset
            The datasets to choose from.
        choice_dataset : Dataset
            A dataset of int64 scalars, the index of the dataset each element comes
            from.
        stop_on_empty_dataset : bool
            Whether the result ends when a chosen dataset has run out (else that
            choice is skipped). Default True.

        Returns
        -------
        Dataset
            The new dataset.
        """
        datasets = _check_datasets(datasets, "choose_from_datasets")
        if not isinstance(choice_dataset, Dataset):
            raise TypeError(f"Dataset.choose_from_datasets: choice_dataset must be a Dataset "
                            f"of int64 scalars, got {_shown(choice_dataset)}")
        cspec = choice_dataset.element_spec
        if not isinstance(cspec, TensorSpec) or cspec.dtype != np.int64 or \
                (cspec.shape is not None and cspec.shape != ()):
            raise TypeError(f"Invalid `choice_dataset`. Elements of `choice_dataset` must be "
                            f"scalar `tf.int64` tensors but are {cspec}.")
        stop = _bool_arg(stop_on_empty_dataset, "stop_on_empty_dataset",
                         "choose_from_datasets")
        spec = _common_spec(datasets, "choose_from_datasets")

        def it():
            iters = [d._elements() for d in datasets]
            done = [False] * len(iters)
            for c in choice_dataset._elements():
                i = int(c)
                if not 0 <= i < len(iters):
                    raise ValueError(f"Dataset.choose_from_datasets: choice_dataset gave {i}, "
                                     f"outside [0, {len(iters)})")
                if done[i]:
                    if stop:
                        return
                    continue
                for e in iters[i]:
                    yield e
                    break
                else:
                    done[i] = True
                    if stop:
                        return

        card = INFINITE if (choice_dataset._card == INFINITE and
                            all(d._card == INFINITE for d in datasets)) else UNKNOWN
        return Dataset._make(it, card, lambda: spec, "DirectedInterleave",
                             static=all(d._static for d in datasets),
                             inputs=tuple(datasets) + (choice_dataset,))

    @staticmethod
    def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False,
                             rerandomize_each_iteration=None):
        """Elements drawn from `datasets` at random, dataset i with probability
        `weights[i]` (uniform by default), without replacement within each dataset. An
        exhausted dataset ends the result (`stop_on_empty_dataset`) or drops out of the
        draw. The draws come from fastnn's generator (a seed is drawn when this is called,
        unless `seed` is given); the same sequence every iteration unless
        `rerandomize_each_iteration`.

        Parameters
        ----------
        datasets : list of Dataset
            The datasets to draw from.
        weights : list of float, optional
            The probability of each dataset. Default None: uniform.
        seed : int, optional
            A seed for the draws. Default None: fastnn's global generator.
        stop_on_empty_dataset : bool
            Whether an exhausted dataset ends the result (else it drops out of the
            draw). Default False.
        rerandomize_each_iteration : bool, optional
            Whether each iteration draws anew.

        Returns
        -------
        Dataset
            The new dataset.
        """
        datasets = _check_datasets(datasets, "sample_from_datasets")
        if weights is None:
            w = np.ones(len(datasets))
        else:
            if isinstance(weights, Dataset):
                raise TypeError("Dataset.sample_from_datasets: weights given as a Dataset are "
                                "not supported by fastnn; give a list of floats")
            try:
                w = np.asarray(weights, dtype=np.float64).reshape(-1)
            except (TypeError, ValueError):
                raise TypeError(f"Dataset.sample_from_datasets: weights must be a list of "
                                f"floats, got {_shown(weights)}") from None
            if w.shape[0] != len(datasets):
                raise ValueError(f"Dataset.sample_from_datasets: weights must have one value "
                                 f"per dataset ({len(datasets)}), got {w.shape[0]}")
            if not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
                raise ValueError(f"Dataset.sample_from_datasets: weights must be finite, "
                                 f">= 0 and not all 0, got {w.tolist()}")
        stop = _bool_arg(stop_on_empty_dataset, "stop_on_empty_dataset",
                         "sample_from_datasets")
        base = (_int_arg(seed, "seed", "sample_from_datasets", lo=0) if seed is not None
                else int(_utils.get_rng().integers(0, 2 ** 63)))
        rerandomize = False if rerandomize_each_iteration is None else _bool_arg(
            rerandomize_each_iteration, "rerandomize_each_iteration", "sample_from_datasets")
        counter = itertools.count()
        spec = _common_spec(datasets, "sample_from_datasets")

        def it():
            rng = np.random.default_rng([base, next(counter) if rerandomize else 0])
            uni = _Uniforms(rng)
            iters = [d._elements() for d in datasets]
            live = [wi > 0 for wi in w]
            while any(live):
                ww = np.where(live, w, 0.0)
                cum = np.cumsum(ww)
                i = int(np.searchsorted(cum, uni.next() * cum[-1], side="right"))
                i = min(i, len(iters) - 1)
                for e in iters[i]:
                    yield e
                    break
                else:
                    if stop:
                        return
                    live[i] = False

        drawn = [d for d, wi in zip(datasets, w) if wi > 0]
        card = INFINITE if all(d._card == INFINITE for d in drawn) else UNKNOWN
        return Dataset._make(it, card, lambda: spec, "DirectedInterleave",
                             static=all(d._static for d in datasets), inputs=tuple(datasets))

    # -------------------------------------------------------- iteration
    def __iter__(self):
        """Iterate over the elements as fastnn Tensors (NumPy arrays with `.numpy()`)."""
        return _Iterator(self)

    def as_numpy_iterator(self):
        """Iterate over the elements as NumPy values: arrays, a 0-d component as a NumPy
        scalar (`b'...'` for a string), in the element's structure."""
        return (_nmap(_np_out, e) for e in self._elements())

    def __bool__(self):
        return True   # as TensorFlow: __len__ must not decide truthiness

    def __len__(self):
        """The number of elements when it is known and finite; TypeError otherwise."""
        if self._card == INFINITE:
            raise TypeError("The dataset is infinite.")
        if self._card == UNKNOWN:
            raise TypeError("The dataset length is unknown.")
        return self._card

    def cardinality(self):
        """The number of elements as a 0-d int64 Tensor (`.numpy()` reads it), or
        `INFINITE_CARDINALITY` / `UNKNOWN_CARDINALITY`."""
        return _as_tensor(np.array(self._card, dtype=np.int64))

    @property
    def element_spec(self):
        """The structure of ``TensorSpec`` objects of an element (for a mapped dataset, read
        from its first element)."""
        if self._spec is None:
            self._spec = self._spec_fn()
        return self._spec

    def options(self):
        return self._options

    def with_options(self, options, name=None):
        """The same dataset with ``options`` (a ``fastnn.data.Options``) attached; they do not
        change the elements.

        Parameters
        ----------
        options : Options
            The options.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The new dataset.
        """
        if not isinstance(options, Options):
            raise TypeError(f"Dataset.with_options: options must be a tf.data.Options, got "
                            f"{_shown(options)}")
        ds = self._derived(self._iter_fn, self._card, index=self._index)
        ds._options = self._options.merge(options)
        ds._plain_batches = self._plain_batches
        return ds

    def __repr__(self):
        if self._static:
            spec = repr(self.element_spec)
        else:
            spec = "(known after the first element)"
        return f"<_{self._kind}Dataset element_spec={spec}>"

    # -------------------------------------------------------- in-memory rows
    def _index_elements(self):
        src, index_fn = self._index
        return (src.row(i) for i in index_fn())

    def _with_index(self, index_fn, card, kind):
        """A dataset of the same in-memory rows, taken in the order index_fn() gives."""
        src = self._index[0]
        ds = self._derived(None, card, kind=kind, index=(src, index_fn))
        ds._iter_fn = ds._index_elements
        return ds

    # -------------------------------------------------------- transformations
    def apply(self, transformation_func):
        """`transformation_func(self)`, which must return a Dataset.

        Parameters
        ----------
        transformation_func : callable
            A function of a dataset returning a dataset.

        Returns
        -------
        Dataset
            The new dataset.
        """
        ds = transformation_func(self)
        if not isinstance(ds, Dataset):
            raise TypeError(f"`transformation_func` must return a Dataset. Got {_shown(ds)}.")
        return ds

    def map(self, map_func, num_parallel_calls=None, deterministic=None, name=None):
        """`map_func` applied to every element (a tuple element's components are its
        arguments); its result (a structure; a list is read as a tuple) is the new
        element. Runs in order in the calling thread whatever `num_parallel_calls`.

        Parameters
        ----------
        map_func : callable
            The function applied to each element.
        num_parallel_calls, deterministic, name : optional
            TensorFlow's options, accepted (the function runs in order in the
            calling thread).

        Returns
        -------
        Dataset
            The mapped dataset.
        """
        if not callable(map_func):
            raise TypeError(f"Dataset.map: map_func must be callable, got {_shown(map_func)}")
        _check_parallel(num_parallel_calls, "map")

        def it():
            for e in self._elements():
                yield _normalize(_call(map_func, e), "the result of map_func")

        ds = self._derived(it, self._card, kind="Map", static=False)
        ds._spec_fn = ds._peek_spec
        return ds

    def _peek_spec(self):
        for e in self._elements():
            return _spec_of(e)
        raise ValueError("element_spec: the dataset is empty, so its element type cannot be "
                         "read from a first element")

    def filter(self, predicate, name=None):
        """The elements for which `predicate(element)` is True (a scalar boolean).

        Parameters
        ----------
        predicate : callable
            A function of an element returning a scalar boolean.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The new dataset.
        """
        if not callable(predicate):
            raise TypeError(f"Dataset.filter: predicate must be callable, got "
                            f"{_shown(predicate)}")

        def it():
            for e in self._elements():
                if _truth(_call(predicate, e), "filter"):
                    yield e

        return self._derived(it, UNKNOWN, kind="Filter")

    def take_while(self, predicate, name=None):
        """The elements up to the first for which `predicate(element)` is False.

        Parameters
        ----------
        predicate : callable
            A function of an element returning a scalar boolean.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The new dataset.
        """
        if not callable(predicate):
            raise TypeError(f"Dataset.take_while: predicate must be callable, got "
                            f"{_shown(predicate)}")

        def it():
            for e in self._elements():
                if not _truth(_call(predicate, e), "take_while"):
                    return
                yield e

        return self._derived(it, UNKNOWN, kind="TakeWhile")

    def flat_map(self, map_func, name=None):
        """`map_func(element)` (a Dataset) for every element, one after the other.

        Parameters
        ----------
        map_func : callable
            A function of an element returning a Dataset.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The new dataset.
        """
        return self._interleave(map_func, 1, 1, "FlatMap")

    def interleave(self, map_func, cycle_length=None, block_length=None,
                   num_parallel_calls=None, deterministic=None, name=None):
        """`map_func(element)` (a Dataset) for `cycle_length` elements at a time, taking
        `block_length` consecutive elements from each in turn (TensorFlow's order).

        Parameters
        ----------
        map_func : callable
            A function of an element returning a Dataset.
        cycle_length : int, optional
            How many input elements are open at once. Default None: the number of
            CPUs, as TensorFlow.
        block_length : int, optional
            How many consecutive elements are taken from each. Default None: 1.
        num_parallel_calls, deterministic : optional
            TensorFlow's options, accepted (the elements are computed in order in
            the calling thread).
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The new dataset.
        """
        if cycle_length is None or cycle_length == AUTOTUNE:
            cycle_length = os.cpu_count() or 1
        cycle_length = _int_arg(cycle_length, "cycle_length", "interleave", lo=1)
        block_length = 1 if block_length is None else _int_arg(block_length, "block_length",
                                                                "interleave", lo=1)
        _check_parallel(num_parallel_calls, "interleave")
        return self._interleave(map_func, cycle_length, block_length, "Interleave")

    def _interleave(self, map_func, cycle_length, block_length, kind):
        if not callable(map_func):
            raise TypeError(f"Dataset.{kind.lower()}: map_func must be callable, got "
                            f"{_shown(map_func)}")

        def open_element(e):
            ds = _call(map_func, e)
            if not isinstance(ds, Dataset):
                raise TypeError(f"`map_func` must return a `Dataset` object. Got "
                                f"{type(ds).__name__}: {_shown(ds)}")
            return ds._elements()

        def it():
            inputs = self._elements()
            current = [None] * cycle_length
            end_of_input, num_open, ci, bi = False, 0, 0, 0
            while not end_of_input or num_open > 0:
                if current[ci] is not None:
                    for sub in current[ci]:
                        bi += 1
                        if bi == block_length:
                            ci, bi = (ci + 1) % cycle_length, 0
                        yield sub
                        break
                    else:
                        current[ci] = None
                        num_open -= 1
                        ci, bi = (ci + 1) % cycle_length, 0
                elif not end_of_input:
                    for e in inputs:
                        current[ci] = open_element(e)
                        num_open += 1
                        break
                    else:
                        end_of_input = True
                else:
                    ci, bi = (ci + 1) % cycle_length, 0

        ds = self._derived(it, UNKNOWN, kind=kind, static=False)
        ds._spec_fn = lambda: _first_dataset_spec(self, map_func)
        return ds

    def repeat(self, count=None, name=None):
        """The elements `count` times over (None or -1: without end; an empty dataset stays
        empty). Each pass is a new iteration (a shuffle reshuffles).

        Parameters
        ----------
        count : int, optional
            The number of passes. Default None: without end.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The repeated dataset.
        """
        count = -1 if count is None else _int_arg(count, "count", "repeat")
        n = self._card
        if count < 0:
            card = 0 if n == 0 else INFINITE
        elif count == 0:
            card = 0
        elif n in (INFINITE, UNKNOWN):
            card = n
        else:
            card = count * n

        def passes(make):
            if count < 0:
                while True:
                    any_ = False
                    for e in make():
                        any_ = True
                        yield e
                    if not any_:
                        return
            else:
                for _ in range(count):
                    yield from make()

        if self._index is not None:
            index_fn = self._index[1]
            return self._with_index(lambda: passes(index_fn), card, "Repeat")
        return self._derived(lambda: passes(self._elements), card, kind="Repeat")

    def take(self, count, name=None):
        """The first `count` elements (-1: all).

        Parameters
        ----------
        count : int
            The number of elements (-1: all).
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The dataset of the first elements.
        """
        count = _int_arg(count, "count", "take")
        n = self._card
        if n == UNKNOWN:
            card = UNKNOWN
        elif n == INFINITE:
            card = INFINITE if count < 0 else count
        elif count < 0:
            card = n
        else:
            card = min(n, count)
        stop = None if count < 0 else count
        if self._index is not None:
            index_fn = self._index[1]
            return self._with_index(lambda: itertools.islice(index_fn(), stop), card, "Take")
        return self._derived(lambda: itertools.islice(self._elements(), stop), card,
                             kind="Take")

    def skip(self, count, name=None):
        """All but the first `count` elements (-1: none).

        Parameters
        ----------
        count : int
            The number of elements to skip (-1: all).
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The new dataset.
        """
        count = _int_arg(count, "count", "skip")
        n = self._card
        if n in (INFINITE, UNKNOWN):
            card = n
        else:
            card = 0 if count < 0 else max(0, n - count)

        def rest(make):
            it = make()
            if count < 0:
                for _ in it:
                    pass
                return iter(())
            return itertools.islice(it, count, None)

        if self._index is not None:
            index_fn = self._index[1]
            return self._with_index(lambda: rest(index_fn), card, "Skip")
        return self._derived(lambda: rest(self._elements), card, kind="Skip")

    def shard(self, num_shards, index, name=None):
        """Every `num_shards`-th element, starting at `index`.

        Parameters
        ----------
        num_shards : int
            The number of shards.
        index : int
            This shard's index, in ``[0, num_shards)``.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The new dataset.
        """
        num_shards = _int_arg(num_shards, "num_shards", "shard", lo=1)
        index = _int_arg(index, "index", "shard", lo=0)
        if index >= num_shards:
            raise ValueError(f"Dataset.shard: index must be in [0, num_shards={num_shards}), "
                             f"got {index}")
        n = self._card
        if n in (INFINITE, UNKNOWN):
            card = n
        else:
            card = n // num_shards + (1 if index < n % num_shards else 0)
        if self._index is not None:
            index_fn = self._index[1]
            return self._with_index(
                lambda: itertools.islice(index_fn(), index, None, num_shards), card, "Shard")
        return self._derived(
            lambda: itertools.islice(self._elements(), index, None, num_shards), card,
            kind="Shard")

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None, name=None):
        """The elements in a random order, by TensorFlow's buffer shuffle (see the module
        notes): `buffer_size` >= the number of elements gives a uniform permutation.

        Parameters
        ----------
        buffer_size : int
            The number of elements the shuffle draws from.
        seed : int, optional
            A seed for the order. Default None: fastnn's global generator.
        reshuffle_each_iteration : bool, optional
            Whether each iteration draws a new order. Default None: True.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The shuffled dataset.
        """
        buffer_size = _int_arg(buffer_size, "buffer_size", "shuffle", lo=1)
        if seed is not None:
            seed = _int_arg(seed, "seed", "shuffle", lo=0)
            base = seed
        else:
            base = int(_utils.get_rng().integers(0, 2 ** 63))
        reshuffle = True if reshuffle_each_iteration is None else _bool_arg(
            reshuffle_each_iteration, "reshuffle_each_iteration", "shuffle")
        counter = itertools.count()

        def rng():
            return np.random.default_rng([base, next(counter) if reshuffle else 0])

        if self._index is not None:
            index_fn = self._index[1]
            if self._card >= 0:      # the rows to shuffle are a list of known length
                return self._with_index(
                    lambda: _buffer_shuffle_list(list(index_fn()), buffer_size, rng()),
                    self._card, "Shuffle")
            return self._with_index(lambda: _buffer_shuffle(index_fn(), buffer_size, rng()),
                                    self._card, "Shuffle")
        return self._derived(lambda: _buffer_shuffle(self._elements(), buffer_size, rng()),
                             self._card, kind="Shuffle")

    def prefetch(self, buffer_size, name=None):
        """Accepted for TensorFlow compatibility; the elements are computed when asked.

        Parameters
        ----------
        buffer_size : int
            TensorFlow's number of elements to prepare ahead; accepted.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The same elements.
        """
        buffer_size = _int_arg(buffer_size, "buffer_size", "prefetch", lo=-1)
        ds = self._derived(self._iter_fn, self._card, index=self._index)
        ds._plain_batches = self._plain_batches
        return ds

    def cache(self, filename="", name=None):
        """The elements of the first complete iteration kept in memory and given again by
        every later one (an iteration stopped early keeps nothing). A `filename` is
        accepted, but the cache stays in memory.

        Parameters
        ----------
        filename : str
            Accepted; the cache stays in memory.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The cached dataset.
        """
        if not isinstance(filename, str):
            raise TypeError(f"Dataset.cache: filename must be a string, got {_shown(filename)}")
        if filename:
            warnings.warn("Dataset.cache: fastnn caches in memory; the filename "
                          f"{filename!r} is ignored", stacklevel=2)
        store = []

        def it():
            if store:
                yield from store[0]
                return
            seen = []
            for e in self._elements():
                seen.append(e)
                yield e
            if not store:
                store.append(seen)

        return self._derived(it, self._card, kind="Cache")

    def concatenate(self, dataset, name=None):
        """This dataset's elements, then `dataset`'s (the element types must match).

        Parameters
        ----------
        dataset : Dataset
            The dataset whose elements follow.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The new dataset.
        """
        if not isinstance(dataset, Dataset):
            raise TypeError(f"Dataset.concatenate: dataset must be a Dataset, got "
                            f"{_shown(dataset)}")
        a, b = self.element_spec, dataset.element_spec
        spec = _compatible_specs(a, b)
        if spec is None:
            raise TypeError(f"Two datasets to concatenate have different types "
                            f"{_types_repr(a)} and {_types_repr(b)}")
        n1, n2 = self._card, dataset._card
        if INFINITE in (n1, n2):
            card = INFINITE
        elif UNKNOWN in (n1, n2):
            card = UNKNOWN
        else:
            card = n1 + n2
        return Dataset._make(lambda: itertools.chain(self._elements(), dataset._elements()),
                             card, lambda: spec, "Concatenate",
                             static=self._static and dataset._static, inputs=(self, dataset))

    def enumerate(self, start=0, name=None):
        """`(index, element)` pairs, the index counting from `start` (int64).

        Parameters
        ----------
        start : int
            The first index. Default 0.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The new dataset.
        """
        start = _int_arg(start, "start", "enumerate")
        return Dataset.zip((Dataset.range(start, _INT64_MAX), self))

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        """Consecutive elements stacked along a new first axis, `batch_size` at a time (the
        last batch smaller unless `drop_remainder`). Components must have equal shapes.

        Parameters
        ----------
        batch_size : int
            The number of elements per batch.
        drop_remainder : bool
            Whether to drop a last, smaller batch. Default False.
        num_parallel_calls, deterministic, name : optional
            TensorFlow's options, accepted (fastnn batches in the calling thread).

        Returns
        -------
        Dataset
            The batched dataset.
        """
        batch_size = _int_arg(batch_size, "batch_size", "batch", lo=1)
        drop = _bool_arg(drop_remainder, "drop_remainder", "batch")
        _check_parallel(num_parallel_calls, "batch")
        card = _batched_card(self._card, batch_size, drop)

        def spec():
            return _nmap(lambda s: _batched_spec(s, batch_size if drop else None),
                         self.element_spec)

        if self._index is not None:
            src, index_fn = self._index

            def it():
                idx = index_fn()
                while True:
                    chunk = list(itertools.islice(idx, batch_size))
                    if not chunk or (drop and len(chunk) < batch_size):
                        return
                    yield src.gather(chunk)
        else:
            def it():
                elems = self._elements()
                while True:
                    chunk = list(itertools.islice(elems, batch_size))
                    if not chunk or (drop and len(chunk) < batch_size):
                        return
                    yield _stack(chunk)

        ds = self._derived(it, card, spec, "Batch")
        if self._kind == "TensorSlice" and self._index is not None and not drop:
            ds._plain_batches = (self._index[0].struct, batch_size)
        return ds

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False, name=None):
        """Like `batch`, with every component padded to `padded_shapes` (a None dimension:
        the longest in the batch; default: the longest of every dimension) with
        `padding_values` (default 0, or b'' for strings).

        Parameters
        ----------
        batch_size : int
            The number of elements per batch.
        padded_shapes : tuple or structure of tuples, optional
            The shape each component is padded to (None dimensions: the longest in
            the batch). Default: the longest of every dimension.
        padding_values : scalar or structure of scalars, optional
            The values padded with. Default: 0 (``b''`` for strings).
        drop_remainder : bool
            Whether to drop a last, smaller batch. Default False.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The new dataset.
        """
        batch_size = _int_arg(batch_size, "batch_size", "padded_batch", lo=1)
        drop = _bool_arg(drop_remainder, "drop_remainder", "padded_batch")
        card = _batched_card(self._card, batch_size, drop)
        elem_spec = self.element_spec
        if padded_shapes is None:
            shapes = _nmap(lambda s: None, elem_spec)
        else:
            shapes = _map_up_to(elem_spec, lambda s, p: _as_shape(p, "padded_shapes"),
                                padded_shapes, "padded_shapes")
        if padding_values is None:
            pads = _nmap(lambda s: None, elem_spec)
        elif _is_struct(padding_values):
            pads = _map_up_to(elem_spec, lambda s, p: p, padding_values, "padding_values")
        else:
            pads = _nmap(lambda s: padding_values, elem_spec)
        flat_shapes = _flatten_up_to(elem_spec, shapes)
        flat_pads = _flatten_up_to(elem_spec, pads)

        def pad_batch(chunk):
            flat_chunk = [_nflatten(e) for e in chunk]
            out = []
            for j, (shape, pad) in enumerate(zip(flat_shapes, flat_pads)):
                comps = [fc[j] for fc in flat_chunk]
                out.append(_pad_stack(comps, shape, pad, j))
            return _npack(chunk[0], out)

        def it():
            elems = self._elements()
            while True:
                chunk = list(itertools.islice(elems, batch_size))
                if not chunk or (drop and len(chunk) < batch_size):
                    return
                yield pad_batch(chunk)

        def spec():
            def one(s, shape):
                if shape is None and s.shape is None:
                    return TensorSpec(None, s.dtype)
                inner = shape if shape is not None else (None,) * len(s.shape)
                return TensorSpec(((batch_size if drop else None),) + tuple(inner), s.dtype)
            return _nmap(one, elem_spec, shapes)

        return self._derived(it, card, spec, "PaddedBatch")

    def unbatch(self, name=None):
        """Each element split along its first axis into that many elements.

        Parameters
        ----------
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The new dataset.
        """
        n = self._card
        card = UNKNOWN
        if n in (INFINITE, UNKNOWN):
            card = n
        elif self._static:
            dims = set()
            for s in _nflatten(self.element_spec):
                dims.add(s.shape[0] if isinstance(s, TensorSpec) and s.shape else None)
            if len(dims) == 1 and None not in dims:
                card = n * dims.pop()

        def it():
            for e in self._elements():
                leaves = _nflatten(e)
                rows = None
                for a in leaves:
                    if isinstance(a, Dataset) or a.ndim == 0:
                        raise ValueError("Dataset.unbatch: every component must have a first "
                                         "axis (rank >= 1)")
                    if rows is None:
                        rows = a.shape[0]
                    elif a.shape[0] != rows:
                        raise ValueError(f"Dataset.unbatch: the components of an element have "
                                         f"different first dimensions {rows} and "
                                         f"{a.shape[0]}")
                for i in range(rows or 0):
                    yield _npack(e, [a[i, ...] for a in leaves])

        def spec():
            def one(s):
                if s.shape is not None and len(s.shape) == 0:
                    raise ValueError("Dataset.unbatch: every component must have a first "
                                     "axis (rank >= 1)")
                return TensorSpec(None if s.shape is None else s.shape[1:], s.dtype)
            return _nmap(one, self.element_spec)

        return self._derived(it, card, spec, "Unbatch")

    def window(self, size, shift=None, stride=1, drop_remainder=False, name=None):
        """Windows of `size` elements, each a structure of datasets (one per component),
        starting every `shift` elements and taking every `stride`-th.

        Parameters
        ----------
        size : int
            The number of elements in a window.
        shift : int, optional
            How many elements the window moves by. Default None: ``size``.
        stride : int
            Take every ``stride``-th element within a window. Default 1.
        drop_remainder : bool
            Whether to drop windows smaller than ``size`` at the end. Default
            False.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The new dataset.
        """
        size = _int_arg(size, "size", "window", lo=1)
        shift = size if shift is None else _int_arg(shift, "shift", "window", lo=1)
        stride = _int_arg(stride, "stride", "window", lo=1)
        drop = _bool_arg(drop_remainder, "drop_remainder", "window")
        n = self._card
        if n in (INFINITE, UNKNOWN):
            card = n
        elif drop:
            rest = n - ((size - 1) * stride + 1)
            card = 0 if rest < 0 else rest // shift + 1
        else:
            card = n // shift + (0 if n % shift == 0 else 1)
        span = (size - 1) * stride + 1

        def it():
            elems = self._elements()
            buf, base, exhausted = [], 0, False
            start = 0
            while True:
                while not exhausted and base + len(buf) < start + span:
                    for e in elems:
                        buf.append(e)
                        break
                    else:
                        exhausted = True
                lo = start - base
                if lo >= len(buf):
                    return
                picked = buf[lo:lo + span:stride]
                if drop and len(picked) < size:
                    return
                yield _window_element(picked)
                start += shift
                cut = min(start - base, len(buf))
                del buf[:cut]
                base += cut

        def spec():
            return _nmap(lambda s: DatasetSpec(s), self.element_spec)

        return self._derived(it, card, spec, "Window")

    def reduce(self, initial_state, reduce_func, name=None):
        """`reduce_func(state, element)` folded over the elements from `initial_state`;
        the final state, as Tensors.

        Parameters
        ----------
        initial_state : structure of tensors
            The starting state.
        reduce_func : callable
            ``reduce_func(state, element)`` returns the new state.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        structure of Tensors
            The final state.
        """
        if not callable(reduce_func):
            raise TypeError(f"Dataset.reduce: reduce_func must be callable, got "
                            f"{_shown(reduce_func)}")
        state = _normalize(initial_state, "initial_state")
        for e in self._elements():
            new = _normalize(reduce_func(_nmap(_tensor_out, state), _nmap(_tensor_out, e)),
                             "the result of reduce_func")
            if not _same_structure(state, new):
                raise TypeError(f"The element types for the new state must match the initial "
                                f"state. Expected {_types_repr(_spec_of(state))}; got "
                                f"{_types_repr(_spec_of(new))}.")
            state = new
        return _nmap(_tensor_out, state)

    def scan(self, initial_state, scan_func, name=None):
        """Like `map` with a state: `scan_func(state, element)` returns
        `(new_state, output_element)`; the outputs are the new dataset.

        Parameters
        ----------
        initial_state : structure of tensors
            The starting state.
        scan_func : callable
            ``scan_func(state, element)`` returns ``(new_state, output_element)``.
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The new dataset.
        """
        if not callable(scan_func):
            raise TypeError(f"Dataset.scan: scan_func must be callable, got "
                            f"{_shown(scan_func)}")
        init = _normalize(initial_state, "initial_state")

        def it():
            state = init
            for e in self._elements():
                ret = scan_func(_nmap(_tensor_out, state), _nmap(_tensor_out, e))
                if not isinstance(ret, (tuple, list)) or len(ret) != 2:
                    raise TypeError(f"The scan function must return a pair comprising the "
                                    f"new state and the output value, got {_shown(ret)}")
                new = _normalize(ret[0], "the state returned by scan_func")
                if not _same_structure(state, new):
                    raise TypeError(f"The element types for the new state must match the "
                                    f"initial state. Expected {_types_repr(_spec_of(state))}; "
                                    f"got {_types_repr(_spec_of(new))}.")
                state = new
                yield _normalize(ret[1], "the output of scan_func")

        ds = self._derived(it, self._card, kind="Scan", static=False)
        ds._spec_fn = ds._peek_spec
        return ds

    def unique(self, name=None):
        """The elements without repeats, in the order they first appear (elements must be
        integer or string scalars, as TensorFlow requires).

        Parameters
        ----------
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        Dataset
            The new dataset.
        """
        spec = self.element_spec
        if not isinstance(spec, TensorSpec) or spec.shape not in ((), None) or \
                not (spec.dtype.kind in "iu" or spec.dtype == _STRING):
            raise TypeError(f"`tf.data.Dataset.unique` does not support type {spec}: "
                            f"elements must be scalar integers or strings")

        def it():
            seen = set()
            for e in self._elements():
                key = e[()]
                if key not in seen:
                    seen.add(key)
                    yield e

        return self._derived(it, UNKNOWN, kind="Unique")

    def get_single_element(self, name=None):
        """The one element of a dataset that has exactly one (as Tensors).

        Parameters
        ----------
        name : str, optional
            Accepted for TensorFlow compatibility.

        Returns
        -------
        structure of Tensors
            The element.
        """
        it = self._elements()
        for first in it:
            for _ in it:
                raise ValueError("Dataset had more than one element.")
            return _nmap(_tensor_out, first)
        raise ValueError("Dataset was empty.")


# ---------------------------------------------------------------- helpers for Dataset
class _Source:
    """In-memory arrays whose rows are a dataset's elements (read-only)."""

    __slots__ = ("struct", "leaves")

    def __init__(self, struct):
        self.struct = struct
        self.leaves = _nflatten(struct)

    def row(self, i):
        return _npack(self.struct, [a[i, ...] for a in self.leaves])

    def gather(self, idx):
        """Rows `idx` stacked: a view when they are consecutive and in order."""
        n = len(idx)
        first = idx[0]
        if idx[-1] - first == n - 1 and all(b - a == 1 for a, b in zip(idx, idx[1:])):
            sel = slice(first, first + n)
        else:
            sel = np.asarray(idx, dtype=np.intp)
        return _npack(self.struct, [a[sel] for a in self.leaves])


class _Iterator:
    """`iter(dataset)`: its elements as fastnn Tensors."""

    def __init__(self, dataset):
        self._dataset = dataset
        self._it = dataset._elements()

    def __iter__(self):
        return self

    def __next__(self):
        return _nmap(_tensor_out, next(self._it))

    def get_next(self):
        return next(self)

    @property
    def element_spec(self):
        return self._dataset.element_spec


def _flatten_up_to(specs, values):
    if isinstance(specs, collections.abc.Mapping):
        if not isinstance(values, collections.abc.Mapping) or set(values) != set(specs):
            raise TypeError("structure mismatch")
        return [v for k in _keys(specs) for v in _flatten_up_to(specs[k], values[k])]
    if isinstance(specs, tuple):
        if isinstance(values, list):
            values = tuple(values)
        if not isinstance(values, tuple) or len(values) != len(specs):
            raise TypeError("structure mismatch")
        return [v for s, x in zip(specs, values) for v in _flatten_up_to(s, x)]
    return [values]


def _convert_to_spec(value, spec, strict):
    """A generator's component converted to `spec`'s dtype, as TensorFlow 2.21 converts
    it (NumPy values of another dtype included: int64 to int32, float64 to float32), but
    only where the values survive: a conversion that would change a value (an integer out
    of the target's range, a fraction to an integer, a finite number to infinity) raises
    TypeError where TensorFlow silently wraps, truncates or overflows (a deliberate
    difference). `strict` (output_signature, not output_types) also refuses Python
    floats with fractions for an integer spec, as TensorFlow does."""
    target = spec.dtype

    def cannot():
        return TypeError(f"`generator` yielded an element that could not be converted to the "
                         f"expected type. The expected type was {_dtype_name(target)}, but "
                         f"the yielded element was {_shown(value)}.")

    if target == _STRING:
        try:
            arr = _to_array(value)
        except (TypeError, ValueError):
            raise cannot() from None
        if isinstance(arr, Dataset) or arr.dtype != _STRING:
            raise cannot()
    else:
        try:
            src = _to_array(value) if callable(getattr(value, "numpy", None)) \
                else np.asarray(value)
            if isinstance(src, Dataset) or src.dtype.kind in "USOV":
                raise cannot()
            with np.errstate(all="ignore"):
                arr = np.asarray(src, dtype=target)
        except (TypeError, ValueError, OverflowError):
            raise cannot() from None
        if arr.dtype != src.dtype:
            with np.errstate(all="ignore"):
                if target.kind in "iub" and not np.array_equal(arr, src):
                    raise TypeError(
                        f"`generator` yielded an element of {TensorSpec(src.shape, src.dtype)} "
                        f"whose values change when converted to {_dtype_name(target)} (out of "
                        f"range, or fractions), where an element of {spec} was expected.")
                if target.kind in "fc" and src.dtype.kind in "fciub" and \
                        np.count_nonzero(np.isinf(arr)) != np.count_nonzero(np.isinf(src)):
                    raise TypeError(
                        f"`generator` yielded an element of {TensorSpec(src.shape, src.dtype)} "
                        f"with values too large for {_dtype_name(target)}, where an element of "
                        f"{spec} was expected.")
    if not _shape_compatible(spec.shape, arr.shape):
        raise TypeError(f"`generator` yielded an element of shape {arr.shape} where an element "
                        f"of shape {spec.shape} was expected.")
    return arr


def _check_datasets(datasets, op):
    if isinstance(datasets, Dataset) or not isinstance(datasets, (list, tuple)) or \
            not datasets:
        raise TypeError(f"Dataset.{op}: datasets must be a non-empty list of Datasets, got "
                        f"{_shown(datasets)}")
    for d in datasets:
        if not isinstance(d, Dataset):
            raise TypeError(f"Dataset.{op}: datasets must be a non-empty list of Datasets, "
                            f"got an element {_shown(d)}")
    return list(datasets)


def _common_spec(datasets, op):
    spec = datasets[0].element_spec
    for d in datasets[1:]:
        merged = _compatible_specs(spec, d.element_spec)
        if merged is None:
            raise TypeError(f"Dataset.{op}: all datasets must have compatible element "
                            f"types, got {_types_repr(spec)} and {_types_repr(d.element_spec)}")
        spec = merged
    return spec


def _truth(value, op):
    a = _to_array(value, f"the result of the {op} predicate")
    if isinstance(a, Dataset) or a.shape != () or a.dtype != np.bool_:
        got = "a Dataset" if isinstance(a, Dataset) else repr(TensorSpec(a.shape, a.dtype))
        raise ValueError(f"`predicate` return type must be convertible to a scalar boolean "
                         f"tensor. Was {got}.")
    return bool(a)


def _check_parallel(num_parallel_calls, op):
    if num_parallel_calls is not None:
        _int_arg(num_parallel_calls, "num_parallel_calls", op, lo=-1)


def _batched_card(n, batch_size, drop):
    if n in (INFINITE, UNKNOWN):
        return n
    return n // batch_size if drop else -(-n // batch_size)


def _batched_spec(s, dim):
    if isinstance(s, TensorSpec):
        return TensorSpec(None if s.shape is None else (dim,) + s.shape, s.dtype)
    raise TypeError("Dataset.batch: components that are datasets cannot be batched")


def _stack(chunk):
    """Elements stacked component by component (shapes must match, as TensorFlow)."""
    flat = [_nflatten(e) for e in chunk]
    out = []
    for j in range(len(flat[0])):
        comps = [f[j] for f in flat]
        first = comps[0]
        if isinstance(first, Dataset):
            raise TypeError("Dataset.batch: components that are datasets cannot be batched")
        for k, c in enumerate(comps[1:], 1):
            if c.shape != first.shape:
                raise ValueError(f"Cannot batch tensors with different shapes in component "
                                 f"{j}. First element had shape {list(first.shape)} and "
                                 f"element {k} had shape {list(c.shape)}.")
        out.append(np.stack(comps))
    return _npack(chunk[0], out)


def _pad_stack(comps, shape, pad, j):
    first = comps[0]
    rank = first.ndim
    for c in comps:
        if c.ndim != rank:
            raise ValueError(f"Dataset.padded_batch: component {j} has elements of different "
                             f"ranks {rank} and {c.ndim}")
    if shape is not None and len(shape) != rank:
        raise ValueError(f"Dataset.padded_batch: padded shape {shape} of component {j} does "
                         f"not have the element's rank {rank}")
    target = []
    for d in range(rank):
        longest = max(c.shape[d] for c in comps)
        want = None if shape is None else shape[d]
        if want is None:
            target.append(longest)
        else:
            if longest > want:
                raise ValueError(f"Attempting to pad to a smaller size than the input element: "
                                 f"component {j} has a dimension {d} of {longest}, the padded "
                                 f"shape gives {want}")
            target.append(want)
    if pad is None:
        fill = b"" if first.dtype == _STRING else 0
    else:
        fill = _np_out(_to_array(pad, "padding_values"))
    out = np.empty((len(comps),) + tuple(target), dtype=first.dtype)
    out[...] = fill
    for i, c in enumerate(comps):
        out[(i,) + tuple(slice(0, s) for s in c.shape)] = c
    return out


def _window_element(picked):
    """A window: each component of the picked elements as a dataset of its rows."""
    flat = [_nflatten(e) for e in picked]
    comps = []
    for j in range(len(flat[0])):
        rows = [f[j] for f in flat]
        spec = _spec_of(rows[0])
        comps.append(Dataset._make(lambda rows=rows: iter(rows), len(rows),
                                   lambda spec=spec: spec, "Window"))
    return _npack(picked[0], comps)


def _first_dataset_spec(ds, map_func):
    for e in ds._elements():
        inner = _call(map_func, e)
        if isinstance(inner, Dataset):
            return inner.element_spec
    raise ValueError("element_spec: the dataset is empty, so its element type cannot be "
                     "read from a first element")


# ---------------------------------------------------------------- tf.data.experimental
def cardinality(dataset):
    """`dataset.cardinality()` (tf.data.experimental.cardinality)."""
    if not isinstance(dataset, Dataset):
        raise TypeError(f"cardinality: expected a Dataset, got {_shown(dataset)}")
    return dataset.cardinality()


def get_structure(dataset_or_iterator):
    """The element spec of a dataset or of an iterator over one."""
    try:
        return dataset_or_iterator.element_spec
    except AttributeError:
        raise TypeError(f"`dataset_or_iterator` must be a `tf.data.Dataset` or "
                        f"tf.data.Iterator object, but got {type(dataset_or_iterator)}.") \
            from None


experimental = types.ModuleType(__name__ + ".experimental",
                                "tf.data.experimental: the constants and helpers fastnn has.")
experimental.AUTOTUNE = AUTOTUNE
experimental.INFINITE_CARDINALITY = INFINITE_CARDINALITY
experimental.UNKNOWN_CARDINALITY = UNKNOWN_CARDINALITY
experimental.cardinality = cardinality
experimental.get_structure = get_structure
sys.modules.setdefault(experimental.__name__, experimental)
