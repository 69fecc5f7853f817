"""keras.layers.Identity, and models that take one number per sample (Input(shape=()))."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import engine, layers


def test_identity_returns_its_inputs_and_structures():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    ident = layers.Identity()
    np.testing.assert_array_equal(ident(x), x)
    out = ident({"a": x, "b": [x, 2 * x]})
    np.testing.assert_array_equal(out["b"][1], 2 * x)
    assert ident.compute_output_shape((None, 3)) == (None, 3)
    assert ident.weights == [] and ident.count_params() == 0
    again = layers.deserialize(layers.serialize(ident))
    assert type(again) is layers.Identity and again.name == ident.name


def test_identity_in_a_dense_stack_stays_on_the_engine_with_the_same_numbers():
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 5)).astype(np.float32), rng.integers(0, 3, 64)

    def model(with_identity):
        keras.utils.set_random_seed(1)
        stack = [keras.Input((5,)), layers.Dense(8, activation="relu")]
        if with_identity:
            stack.append(layers.Identity())
        stack.append(layers.Dense(3))
        m = keras.Sequential(stack)
        m.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return m

    a, b = model(False), model(True)
    # both lowered to the C engine (making a plan draws its dropout seed: both do it)
    assert engine.plan_for(a, x, training=True) is not None
    assert engine.plan_for(b, x, training=True) is not None
    keras.utils.set_random_seed(2)      # the same shuffles for both
    a.fit(x, y, epochs=2, batch_size=16, verbose=0)
    keras.utils.set_random_seed(2)
    b.fit(x, y, epochs=2, batch_size=16, verbose=0)
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_one_number_per_sample(kind):
    """Input(shape=()) takes a batch of shape (N,) as it is (Keras 3), not as (N, 1)."""
    if kind == "sequential":
        m = keras.Sequential([layers.InputLayer(shape=()), layers.Identity()])
    else:
        inp = layers.Input(shape=())
        m = keras.Model(inp, layers.Identity()(inp))
    x = np.arange(7, dtype=np.float32)
    np.testing.assert_array_equal(m.predict(x, batch_size=3, verbose=0), x)
    # a last axis of 1 is dropped (Keras' rank standardization, a built Sequential's too)
    np.testing.assert_array_equal(m.predict(x.reshape(7, 1), verbose=0), x)
