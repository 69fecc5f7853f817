"""Regularizers of the user's own, as Keras takes them: a Regularizer subclass that
defines only __call__ (with fastnn's tensor functions), or a plain function of the
weight. Their gradients come from fastnn.autodiff; they train on the layer path (the C
engine adds only its own L1/L2 penalties), to the same weights as the built-in penalty
they equal."""
import numpy as np
import pytest

import fastnn as tf
from fastnn import layers

keras = tf.keras
X = np.random.default_rng(0).random((64, 5)).astype("float32")
Y = np.random.default_rng(1).random((64, 1)).astype("float32")


class SquareSum(keras.regularizers.Regularizer):
    def __init__(self, s):
        self.s = s

    def __call__(self, w):
        return self.s * tf.reduce_sum(tf.square(w))

    def get_config(self):
        return {"s": self.s}


def _train(reg, where="kernel_regularizer"):
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((5,)), layers.Dense(4, activation="tanh", **{where: reg}),
                          layers.Dense(1)])
    m.compile(keras.optimizers.SGD(0.1), "mse")
    h = m.fit(X, Y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    return m, h.history["loss"]


@pytest.mark.parametrize("make", [lambda: SquareSum(0.01),
                                  lambda: (lambda w: 0.01 * tf.reduce_sum(tf.square(w)))],
                         ids=["subclass", "function"])
def test_a_penalty_of_ones_own_trains_as_the_built_in_one(make):
    ref, ref_loss = _train(keras.regularizers.L2(0.01))
    assert ref._engine.why is None                         # L2: on the C engine
    m, loss = _train(make())
    assert "regularizer" in m._engine.why                  # the layer path
    for a, b in zip(ref.get_weights(), m.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-5)
    assert float(m.losses[0]) == pytest.approx(
        0.01 * float(np.sum(np.square(m.layers[0].kernel))), rel=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_autodiff_gradient_matches_finite_differences(dtype):
    reg = keras.regularizers.get(lambda w: tf.reduce_sum(tf.abs(w) ** 3) + tf.reduce_max(w))
    w = np.random.default_rng(2).normal(size=(3, 4)).astype(dtype)
    g = reg.grad(w)
    assert g.shape == w.shape and g.dtype == w.dtype
    eps = 1e-3 if dtype == "float32" else 1e-6
    num = np.zeros_like(w, dtype=np.float64)
    for i in np.ndindex(w.shape):
        up, down = w.astype(np.float64), w.astype(np.float64)
        up[i] += eps
        down[i] -= eps
        num[i] = (float(reg(up)) - float(reg(down))) / (2 * eps)
    np.testing.assert_allclose(g, num, rtol=2e-2 if dtype == "float32" else 1e-6, atol=1e-3)


def test_a_subclass_of_l2_with_its_own_penalty_is_not_taken_for_l2():
    """The engine used to lower any regularizer with l1 and l2 attributes as L1L2: a
    subclass with its own __call__ trained with the wrong penalty, silently."""
    class NoPenalty(keras.regularizers.L2):
        def __call__(self, w):
            return 0.0 * tf.reduce_sum(w)

        def grad(self, w):
            return np.zeros_like(w)

    plain, plain_loss = _train(None)
    m, loss = _train(NoPenalty(0.5))
    for a, b in zip(plain.get_weights(), m.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_a_function_as_activity_regularizer():
    m, loss = _train(lambda a: 0.001 * tf.reduce_sum(tf.abs(a)), where="activity_regularizer")
    ref, ref_loss = _train(keras.regularizers.L1(0.001), where="activity_regularizer")
    for a, b in zip(ref.get_weights(), m.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_a_penalty_that_is_not_one_number_is_refused_by_name():
    reg = keras.regularizers.get(lambda w: tf.square(w))       # forgot the sum
    with pytest.raises(TypeError, match="the penalty must be a single number"):
        reg.grad(np.ones((2, 2), np.float32))


def test_a_function_regularizer_cannot_be_saved_and_says_so(tmp_path):
    m, _ = _train(lambda w: 0.01 * tf.reduce_sum(tf.square(w)))
    with pytest.raises(TypeError, match="cannot be saved"):
        m.save(tmp_path / "m.fastnn")
    m.save_weights(tmp_path / "w.fastnn")                  # the weights still save
