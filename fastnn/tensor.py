"""What fastnn's Keras-facing calls return: NumPy values that also answer `.numpy()`.

TensorFlow code reads eager results with `.numpy()` (`model(x).numpy()`,
`loss_fn(y, p).numpy()`, `tf.nn.softmax(z).numpy()`, `metric.result().numpy()`). fastnn
computes with NumPy, so its results are already NumPy values; these types add the
methods TensorFlow code calls, so the same code runs with only the imports changed:

- `Tensor`: a `numpy.ndarray` subclass (what `model(x)`, `layer(x)`, the activations and
  `fastnn.nn` functions, a loss with `reduction="none"` and the `fastnn.autodiff` ops
  return);
- `Variable`: a Tensor that is a layer's weight (`layer.kernel`, `model.weights`), with
  Keras' `.assign(value)`, `.assign_add`, `.assign_sub` and a `trainable` flag;
- `Scalar`: a `float` subclass (a reduced loss, `metric.result()`).

Differentiation (`fastnn.autodiff.GradientTape`). While a tape is active in any thread,
`fastnn.autodiff` gives `Tensor` the NumPy protocols `__array_ufunc__` and
`__array_function__` (and a few methods: indexing, `reshape`, `T`, `sum`, `mean`, ...),
so NumPy operators and functions on Tensors (`y - p`, `t ** 2`, `x @ w`, `np.mean(t)`)
are recorded; when no tape is active anywhere they are removed again and Tensors are
plain NumPy arrays at plain NumPy speed. `Tensor._autodiff_install(attrs)` and
`Tensor._autodiff_remove()` are the two calls it makes.

`model.predict` returns a plain ndarray, as `keras.Model.predict` does.
"""
import numpy as np

from fastnn import _changes

__all__ = ["Tensor", "Variable", "Scalar", "as_tensor", "get_keras_mask", "set_keras_mask"]


class Tensor(np.ndarray):
    """A NumPy array with TensorFlow's `.numpy()`: a copy of the values as a plain ndarray
    (a NumPy scalar for a 0-d one, as an eager scalar tensor gives). A copy, because a
    weight's `.numpy()` is a snapshot that later training must not change."""

    def numpy(self):
        a = np.array(self)
        return a[()] if a.ndim == 0 else a

    # The autodiff hooks: set on the class while a GradientTape is active anywhere.
    _autodiff_installed = ()

    @classmethod
    def _autodiff_install(cls, attrs):
        """Set the class attributes `attrs` (name -> value) on Tensor; remembered so
        that `_autodiff_remove` restores NumPy's own behaviour."""
        for name, value in attrs.items():
            setattr(Tensor, name, value)
        Tensor._autodiff_installed = tuple(attrs)

    @classmethod
    def _autodiff_remove(cls):
        for name in Tensor._autodiff_installed:
            if name in Tensor.__dict__:
                delattr(Tensor, name)
        Tensor._autodiff_installed = ()


class Variable(Tensor):
    """A layer's weight: the array the layer and the C engine update in place. Its shape
    is fixed (as a Keras variable's): `v.shape = ...` and `v.resize(...)` raise; a view
    (`v.reshape(...)`) is a new array and leaves the weight as it is.

    `Variable(initial_value, trainable=True, name=None, dtype=None)` makes one from
    values, as `tf.Variable` does (a C-contiguous copy; Python numbers and lists become
    float32, Keras' floatx). `trainable` (default True) decides whether a
    `GradientTape` watches the variable by itself when an operation reads it."""

    def __new__(cls, initial_value=None, trainable=True, name=None, dtype=None, shape=None,
                initializer=None, **kwargs):
        # Keras 3's keras.Variable(initializer, shape=..., dtype=...): an initializer (a
        # name, an Initializer or a function of (shape, dtype)) and the shape to fill
        unknown = sorted(set(kwargs) - {"autocast", "aggregation", "synchronization",
                                        "validate_shape", "caching_device"})
        if unknown:
            raise TypeError(f"Variable: unexpected keyword argument(s) {unknown}")
        if initializer is None and (isinstance(initial_value, str) or shape is not None):
            initializer, initial_value = initial_value, None
        if initializer is not None:
            if shape is None:
                raise ValueError("Variable: an initializer needs shape=, got none")
            from fastnn import initializers
            init = initializers.get(initializer)
            initial_value = init(tuple(shape), dtype=dtype or "float32")
        if initial_value is None:
            raise ValueError("Variable: give initial values, or an initializer and a shape")
        if callable(initial_value):
            initial_value = initial_value()
        try:
            a = np.asarray(initial_value if not isinstance(initial_value, np.ndarray)
                           else np.ndarray.view(initial_value, np.ndarray))
        except Exception as e:
            raise TypeError(f"Variable: initial_value must be an array of real numbers, "
                            f"got {type(initial_value).__name__} ({e})") from None
        if dtype is None:
            if not isinstance(initial_value, (np.ndarray, np.generic)) and a.dtype.kind == "f":
                dtype = np.float32
            elif not isinstance(initial_value, (np.ndarray, np.generic)) and a.dtype.kind in "iu":
                dtype = np.int32
            else:
                dtype = a.dtype
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"Variable: dtype must be a NumPy dtype or its name, got "
                            f"{dtype!r}") from None
        if dtype.kind not in "biuf" or a.dtype.kind not in "biuf":
            raise TypeError(f"Variable: initial_value must hold real numbers (bool, int or "
                            f"float), got dtype {a.dtype}"
                            + (f" as {dtype}" if dtype != a.dtype else ""))
        v = np.array(a, dtype=dtype, order="C", copy=True).view(cls)
        v.trainable = trainable
        if name is not None:
            if not isinstance(name, str):
                raise TypeError(f"Variable: name must be a str or None, got "
                                f"{type(name).__name__} {name!r}")
            v.name = name
        return v

    # A class default: weights made by views (`array.view(Variable)`) are trainable.
    _trainable = True
    name = None
    constraint = None       # Keras' weight constraint (Layer.add_weight(constraint=...) sets one)

    def __array_wrap__(self, arr, context=None, return_scalar=False):
        """A NumPy computation on a weight gives a Tensor (as tf.Variable arithmetic gives
        a tf.Tensor): `v * 2` is a value, not another weight."""
        return arr.view(Tensor)

    def __array_finalize__(self, obj):
        # a view of a frozen weight (v[0], v.T) is frozen too
        d = getattr(obj, "__dict__", None)
        if d and "_trainable" in d:
            self._trainable = d["_trainable"]

    _overwrite_with_gradient = False

    @property
    def path(self):
        """Keras' ``variable.path``: where the variable lives, as ``"<layer>/<name>"``
        for a layer's weight (``"dense/kernel"``), ``"<metric>/<name>"`` for a metric's,
        ``"<optimizer>/<name>"`` for an optimizer's; the name alone for a variable made
        on its own. ``Model.get_state_tree`` keys its values by it."""
        return self.__dict__.get("_path") or self.name

    @path.setter
    def path(self, value):
        if not isinstance(value, str):
            raise TypeError(f"path must be a str, got {type(value).__name__} {value!r}")
        self._path = value

    @property
    def overwrite_with_gradient(self):
        """Whether an optimizer step gives this variable its gradient's value instead of
        an update (Keras' ``variable.overwrite_with_gradient``, default False): the
        gradient is not clipped, decayed, unscaled or averaged, and with
        ``gradient_accumulation_steps`` the variable takes the largest gradient of the
        accumulated steps. Models with such a weight train layer by layer."""
        return self._overwrite_with_gradient

    @overwrite_with_gradient.setter
    def overwrite_with_gradient(self, value):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"overwrite_with_gradient must be True or False, got "
                            f"{type(value).__name__} {value!r}")
        self._overwrite_with_gradient = bool(value)
        _changes.note()     # the engine's plans read this flag

    @property
    def trainable(self):
        """Whether a GradientTape watches this variable when an operation reads it."""
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"trainable must be True or False, got {type(value).__name__} "
                            f"{value!r}")
        self._trainable = bool(value)
        _changes.note()     # the engine's plans read this flag

    def __reduce__(self):
        # pickle and copy keep the variable's trainable flag and name (NumPy's own
        # reduction keeps only the array)
        rebuild, args, state = super().__reduce__()
        return rebuild, args, (state, dict(self.__dict__))

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2 and isinstance(state[1], dict):
            super().__setstate__(state[0])
            self.__dict__.update(state[1])
        else:
            super().__setstate__(state)

    def _checked(self, value, what):
        try:
            a = np.asarray(value)
        except Exception as e:
            raise TypeError(f"{what}: expected an array of shape {self.shape}, got "
                            f"{type(value).__name__} ({e})") from None
        if a.shape != self.shape:
            raise ValueError(f"{what}: expected a value of shape {self.shape}, got {a.shape}")
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{what}: the value must be real numbers, got dtype {a.dtype}")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{what}: the value must be finite real numbers")
        return a

    def assign(self, value):
        """Set the values (same shape, finite), in place: the layer keeps this array."""
        a = self._checked(value, "assign")
        self[...] = a
        return self

    def assign_add(self, delta):
        """self += delta, in place (same shape, finite), as tf.Variable.assign_add."""
        a = self._checked(delta, "assign_add")
        self[...] = self.view(np.ndarray) + a
        return self

    def assign_sub(self, delta):
        """self -= delta, in place (same shape, finite), as tf.Variable.assign_sub."""
        a = self._checked(delta, "assign_sub")
        self[...] = self.view(np.ndarray) - a
        return self

    @property
    def value(self):
        """The current values, as a Tensor that shares this variable's memory (Keras 3's
        ``variable.value``); it can also be called, as TensorFlow's ``variable.value()``."""
        return self.view(_Value)

    def read_value(self):
        """The current values (TensorFlow's ``variable.read_value()``)."""
        return self.view(Tensor)

    @property
    def shape(self):
        return np.ndarray.shape.__get__(self)

    @shape.setter
    def shape(self, value):
        raise AttributeError(f"a weight's shape is fixed at {self.shape}; got shape = "
                             f"{value!r} (use .assign() for new values, or reshape() for "
                             f"a view)")

    def resize(self, *args, **kwargs):
        raise AttributeError(f"a weight's shape is fixed at {self.shape}; resize() would "
                             f"change it (use .assign() for new values)")


class _Value(Tensor):
    """A variable's ``.value``: a Tensor that returns itself when called, so both Keras 3's
    ``v.value`` and TensorFlow's ``v.value()`` read the values."""

    def __call__(self):
        return self

    def __array_wrap__(self, arr, context=None, return_scalar=False):
        return arr.view(Tensor)      # v.value * 2 is a plain Tensor


class Scalar(float):
    """A float with `.numpy()` (a NumPy float64: fastnn sums losses and metrics in float64).
    Copies and pickles are plain floats."""

    def numpy(self):
        return np.float64(self)

    def __reduce__(self):
        return float, (float(self),)


def as_tensor(a):
    """`a` (an array or anything numpy.asarray takes) viewed as a Tensor, without a copy."""
    return np.asarray(a).view(Tensor)


def get_keras_mask(x):
    """The mask a layer attached to its output `x` (a boolean array over its leading
    axes: False marks an entry to leave out), or None; Keras' backend.get_keras_mask."""
    return getattr(x, "_keras_mask", None) if isinstance(x, Tensor) else None


def set_keras_mask(x, mask):
    """Attach `mask` to the Tensor `x` (None removes it); Keras' backend.set_keras_mask."""
    if mask is not None:
        mask = np.asarray(mask).view(np.ndarray).astype(bool, copy=False)
    x._keras_mask = mask
