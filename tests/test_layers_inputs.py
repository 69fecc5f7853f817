"""Layers and functional-model inputs: integer and bool weights (add_weight), InputSpec
and model.input_spec, rank standardization of model inputs, size-0 axes, optional
inputs and the input structure of functional models (Keras 3's behaviours, with the
errors fastnn gives)."""
import numpy as np
import pytest

import fastnn
from fastnn import layers


# ------------------------------------------------------------ integer and bool weights
class _Counter(layers.Layer):
    """A layer with a float kernel, an int32 counter of its training calls and a bool
    flag vector."""

    def build(self, input_shape):
        self.k = self.add_weight(shape=(input_shape[-1],), initializer="ones")
        self.n = self.add_weight(shape=(), dtype="int32", trainable=False, name="count")
        self.flag = self.add_weight(shape=(2,), dtype="bool", trainable=False, name="flag")

    def call(self, x, training=False):
        if training:
            self.n.assign(self.n + 1)
        return x * self.k


def test_integer_and_bool_weights_count_through_fit_and_keep_their_dtype():
    m = fastnn.Sequential([fastnn.Input((3,)), _Counter(), layers.Dense(1)])
    m.compile(optimizer="adam", loss="mse")
    c = m.layers[0]
    assert c.n.dtype == np.int32 and c.flag.dtype == np.bool_
    assert int(c.n) == 0 and c.flag.tolist() == [False, False]     # zeros by default
    assert [w.name for w in c.trainable_weights] == [c.k.name]
    r = np.random.default_rng(0)
    x, y = r.random((8, 3)), r.random((8, 1))
    m.fit(x, y, epochs=2, batch_size=4, verbose=0)
    assert int(c.n) == 4 and c.n.dtype == np.int32            # 2 epochs of 2 batches
    w = m.get_weights()
    assert [a.dtype.name for a in w[:3]] == ["float32", "int32", "bool"]
    w[1], w[2] = np.array(7), np.array([True, False])
    m.set_weights(w)
    assert int(c.n) == 7 and c.n.dtype == np.int32 and c.flag.tolist() == [True, False]


@pytest.mark.parametrize("dtype", ["int8", "int64", "uint8", "bool", np.int16])
def test_add_weight_of_an_exact_dtype(dtype):
    layer = layers.Layer()
    w = layer.add_weight(shape=(2, 2), dtype=dtype, trainable=False, initializer="ones")
    assert w.dtype == np.dtype(dtype) and np.all(w == 1)
    assert layer.non_trainable_weights[0] is w


def test_add_weight_dtype_errors_name_the_argument():
    layer = layers.Layer(name="lay")
    with pytest.raises(ValueError, match=r"lay.add_weight: a weight of dtype int32 cannot be "
                                         r"trainable .*pass trainable=False"):
        layer.add_weight(shape=(), dtype="int32")
    with pytest.raises(ValueError, match=r"lay.add_weight: dtype must be 'float32', 'float64', "
                                         r"an integer dtype such as 'int32', or 'bool', got "
                                         r"'float16'"):
        layer.add_weight(shape=(), dtype="float16")
    with pytest.raises(ValueError, match=r"dtype must be .*got 'string'"):
        layer.add_weight(shape=(), dtype="string", trainable=False)
    with pytest.raises(TypeError, match="GlorotUniform: dtype must be a floating-point dtype"):
        layer.add_weight(shape=(2,), dtype="int32", trainable=False,
                         initializer="glorot_uniform")
