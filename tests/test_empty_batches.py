"""A batch of no rows: model(x) and predict_on_batch(x) give the outputs' shapes with no
rows, as Keras' do; the loops (fit, evaluate, predict and the *_on_batch training and
test calls) refuse it with a ValueError naming x (Keras fails there too, from inside)."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import layers


def _stack():
    return [layers.Dense(6, activation="relu"), layers.Dropout(0.5),
            layers.BatchNormalization(), layers.LayerNormalization(), layers.Dense(2)]


def _sequential():
    return keras.Sequential([keras.Input((3,))] + _stack())


def _functional():
    x = keras.Input((3,))
    h = x
    for layer in _stack():
        h = layer(h)
    return keras.Model(x, h)


class _Subclassed(keras.Model):
    def __init__(self):
        super().__init__()
        self.stack = _stack()

    def call(self, x, training=False):
        for layer in self.stack:
            x = layer(x, training=training)
        return x


EMPTY = np.ones((0, 3), "float32")
MAKERS = {"sequential": _sequential, "functional": _functional, "subclassed": _Subclassed}


@pytest.mark.parametrize("kind", sorted(MAKERS))
def test_call_and_predict_on_batch_give_no_rows(kind):
    m = MAKERS[kind]()
    m.compile(optimizer="adam", loss="mse")
    full = m(np.ones((4, 3), "float32"))        # built, as after a first call
    for out in (m(EMPTY), m.predict_on_batch(EMPTY)):
        out = np.asarray(out)
        assert out.shape == (0, 2) and out.dtype == np.asarray(full).dtype


def test_an_unbuilt_model_is_built_from_an_empty_batch():
    m = keras.Sequential([layers.Dense(5), layers.Dense(2)])
    assert np.asarray(m(EMPTY)).shape == (0, 2)
    assert m.built and m.layers[0].kernel.shape == (3, 5)


@pytest.mark.parametrize("call", ["fit", "evaluate", "predict", "train_on_batch", "test_on_batch"])
def test_the_loops_refuse_an_empty_batch(call):
    m = _sequential()
    m.compile(optimizer="adam", loss="mse")
    before = [w.copy() for w in m.get_weights()]
    args = (EMPTY,) if call == "predict" else (EMPTY, np.ones((0, 2), "float32"))
    kwargs = {} if call.endswith("on_batch") else {"verbose": 0}
    with pytest.raises(ValueError, match=r"x must not be empty, got shape \(0, 3\)"):
        getattr(m, call)(*args, **kwargs)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_batch_normalization_refuses_an_empty_training_batch():
    # Keras computes the batch's statistics as NaN and moves its moving averages to NaN;
    # fastnn refuses the batch and keeps them
    m = keras.Sequential([keras.Input((3,)), layers.BatchNormalization()])
    with pytest.raises(ValueError, match="at least one row"):
        m(EMPTY, training=True)
    np.testing.assert_array_equal(m.layers[0].moving_mean, 0.0)
