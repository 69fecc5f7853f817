"""Reshaping layers: Flatten."""
import math

from fastnn.autodiff import ops as _dops
from fastnn.layers.layer import Layer

class Flatten(Layer):
    """(batch, d1, d2, ...) -> (batch, d1*d2*...)."""

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        # Python ints: a product such as 2**32 * 2**32 must not wrap around in int64
        n = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], n)

    def call(self, inputs, training=False):
        x = inputs
        return _dops.reshape(x, (x.shape[0], -1))
