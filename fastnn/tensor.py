"""What fastnn's Keras-facing calls return: NumPy values that also answer `.numpy()`.

TensorFlow code reads eager results with `.numpy()` (`model(x).numpy()`,
`loss_fn(y, p).numpy()`, `tf.nn.softmax(z).numpy()`, `metric.result().numpy()`). fastnn
computes with NumPy, so its results are already NumPy values; these two types add the
method, and nothing else, so the same code runs with only the imports changed:

- `Tensor`: a `numpy.ndarray` subclass (what `model(x)`, `layer(x)`, the activations and
  `fastnn.nn` functions, and a loss with `reduction="none"` return);
- `Scalar`: a `float` subclass (a reduced loss, `metric.result()`).

`model.predict` and `fastnn.ops` return plain ndarrays, as `keras.Model.predict` does.
"""
import numpy as np

__all__ = ["Tensor", "Scalar", "as_tensor"]


class Tensor(np.ndarray):
    """A NumPy array with TensorFlow's `.numpy()`: the values as a plain ndarray (a
    NumPy scalar for a 0-d one, as an eager scalar tensor gives)."""

    def numpy(self):
        a = self.view(np.ndarray)
        return a[()] if a.ndim == 0 else a


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
