"""What fastnn's Keras-facing calls return: NumPy values that also answer `.numpy()`.

TensorFlow code reads eager results with `.numpy()` (`model(x).numpy()`,
`loss_fn(y, p).numpy()`, `tf.nn.softmax(z).numpy()`, `metric.result().numpy()`). fastnn
computes with NumPy, so its results are already NumPy values; these two types add the
method, and nothing else, so the same code runs with only the imports changed:

- `Tensor`: a `numpy.ndarray` subclass (what `model(x)`, `layer(x)`, the activations and
  `fastnn.nn` functions, and a loss with `reduction="none"` return);
- `Variable`: a Tensor that is a layer's weight (`layer.kernel`, `model.weights`), with
  Keras' `.assign(value)`;
- `Scalar`: a `float` subclass (a reduced loss, `metric.result()`).

`model.predict` and `fastnn.ops` return plain ndarrays, as `keras.Model.predict` does.
"""
import numpy as np

__all__ = ["Tensor", "Variable", "Scalar", "as_tensor"]


class Tensor(np.ndarray):
    """A NumPy array with TensorFlow's `.numpy()`: a copy of the values as a plain ndarray
    (a NumPy scalar for a 0-d one, as an eager scalar tensor gives). A copy, because a
    weight's `.numpy()` is a snapshot that later training must not change."""

    def numpy(self):
        a = np.array(self)
        return a[()] if a.ndim == 0 else a


class Variable(Tensor):
    """A layer's weight: the array the layer and the C engine update in place. Its shape
    is fixed (as a Keras variable's): `v.shape = ...` and `v.resize(...)` raise; a view
    (`v.reshape(...)`) is a new array and leaves the weight as it is."""

    def assign(self, value):
        """Set the values (same shape, finite), in place: the layer keeps this array."""
        try:
            a = np.asarray(value)
        except Exception as e:
            raise TypeError(f"assign: expected an array of shape {self.shape}, got "
                            f"{type(value).__name__} ({e})") from None
        if a.shape != self.shape:
            raise ValueError(f"assign: expected a value of shape {self.shape}, got {a.shape}")
        if a.dtype.kind not in "biuf":
            raise TypeError(f"assign: the value must be real numbers, got dtype {a.dtype}")
        if not np.all(np.isfinite(a)):
            raise ValueError("assign: the value must be finite real numbers")
        self[...] = a
        return self

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
