"""pickle and copy.deepcopy of models, as Keras 3 does them: through the model file
(architecture, weights, compile settings, optimizer state), never pickled objects."""
import copy
import pickle

import numpy as np
import pytest

import fastnn as keras
from fastnn import layers


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.random((64, 5)).astype(np.float32), rng.integers(0, 3, 64)


def _sequential():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((5,)), layers.Dense(8, activation="relu"),
                             layers.Dense(3)])


def _functional():
    keras.utils.set_random_seed(0)
    inp = keras.Input((5,))
    h = layers.Dense(8, activation="relu")(inp)
    return keras.Model(inp, layers.Dense(3)(layers.Concatenate()([h, inp])))


@pytest.mark.parametrize("make", [_sequential, _functional])
@pytest.mark.parametrize("clone", [lambda m: pickle.loads(pickle.dumps(m)), copy.deepcopy])
def test_a_trained_model_comes_back_whole(data, make, clone):
    x, y = data
    m = make()
    m.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    m.fit(x, y, epochs=2, batch_size=16, verbose=0)
    r = clone(m)
    assert type(r) is type(m) and r is not m
    np.testing.assert_array_equal(r.predict(x, verbose=0), m.predict(x, verbose=0))
    assert r.evaluate(x, y, verbose=0) == m.evaluate(x, y, verbose=0)
    assert int(r.optimizer.iterations) == int(m.optimizer.iterations)
    # the optimizer's slots too: the same next epoch
    keras.utils.set_random_seed(5)
    m.fit(x, y, epochs=1, batch_size=16, verbose=0)
    keras.utils.set_random_seed(5)
    r.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for a, b in zip(m.get_weights(), r.get_weights()):
        np.testing.assert_array_equal(a, b)
    # independent objects
    r.layers[-1].kernel.assign(np.zeros_like(r.layers[-1].kernel))
    assert np.any(m.layers[-1].kernel != 0)


def test_a_model_with_dropout(data):
    """The C engine keys its dropout masks by a seed drawn when the model first trains
    there, so a copy draws its own; its weights and outputs are the original's."""
    x, y = data
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((5,)), layers.Dense(8, activation="relu"),
                          layers.Dropout(0.2), layers.Dense(3)])
    m.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    m.fit(x, y, epochs=1, verbose=0)
    r = pickle.loads(pickle.dumps(m))
    assert r.layers[1].rate == 0.2
    np.testing.assert_array_equal(r.predict(x, verbose=0), m.predict(x, verbose=0))


def test_an_unbuilt_compiled_model_keeps_its_architecture_and_compile_settings(data):
    m = keras.Sequential([layers.Dense(4, activation="relu"), layers.Dense(2)])
    m.compile(optimizer="sgd", loss="mse")
    r = pickle.loads(pickle.dumps(m))
    assert not r.built and r.compiled and [type(l) for l in r.layers] == [layers.Dense] * 2
    assert r.get_compile_config() == m.get_compile_config()
    r.fit(data[0], np.ones((64, 2), np.float32), epochs=1, verbose=0)
    assert r.built


def test_a_subclassed_model_is_refused_with_the_way_out():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(2)

        def call(self, x):
            return self.d(x)

    n = Net()
    n(np.zeros((1, 3), np.float32))
    with pytest.raises(TypeError, match="subclassed model's architecture is its Python code"):
        pickle.dumps(n)
