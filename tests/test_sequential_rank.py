"""Keras' rank standardization on a built Sequential (Keras runs it as a functional model):
inputs with one axis more than the model's input, of size 1 and last, lose it; inputs
with one axis fewer, where the input's last axis is 1, gain it. The expected outcomes are
those of Keras 3.15 (JAX) on the same calls."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import layers


def _model(shape, *stack):
    m = keras.Sequential([keras.Input(shape), *stack])
    m.compile(optimizer="sgd", loss="mse")
    return m


def test_a_trailing_axis_of_one_is_dropped_in_every_call():
    m = _model((3,), layers.Dense(2))
    x = np.random.default_rng(0).random((4, 3)).astype("float32")
    want = m.predict(x, verbose=0)
    np.testing.assert_array_equal(m.predict(x[..., None], verbose=0), want)
    np.testing.assert_array_equal(np.asarray(m(x[..., None])), want)
    np.testing.assert_array_equal(m.predict_on_batch(x[..., None]), want)
    m.fit(x[..., None], np.ones((4, 2), "float32"), verbose=0)
    m.evaluate(x[..., None], np.ones((4, 2), "float32"), verbose=0)


def test_a_missing_trailing_axis_of_one_is_added():
    m = _model((4, 1), layers.Flatten(), layers.Dense(2))
    x = np.random.default_rng(0).random((5, 4)).astype("float32")
    np.testing.assert_array_equal(m.predict(x, verbose=0), m.predict(x[..., None], verbose=0))


def test_a_sequential_built_from_data_standardizes_too():
    m = keras.Sequential([layers.Dense(2)])
    m.compile(optimizer="sgd", loss="mse")
    x = np.ones((4, 3), "float32")
    want = m.predict(x, verbose=0)
    np.testing.assert_array_equal(m.predict(x[..., None], verbose=0), want)


@pytest.mark.parametrize("shape", [(4, 3, 2), (4, 1, 3)])
def test_other_ranks_and_sizes_are_refused(shape):
    m = _model((3,), layers.Dense(2))
    with pytest.raises(ValueError, match=r"x expected shape \('N', 3\)"):
        m.predict(np.ones(shape, "float32"), verbose=0)
