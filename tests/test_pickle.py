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


def _dropout_model():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((5,)), layers.Dense(8, activation="relu"),
                          layers.Dropout(0.3), layers.Dense(8, activation="relu"),
                          layers.Dropout(0.2), layers.Dense(3)])
    m.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


def _cloudpickle_round_trip(m):
    cloudpickle = pytest.importorskip("cloudpickle")
    return cloudpickle.loads(cloudpickle.dumps(m))


@pytest.mark.parametrize("clone", [lambda m: pickle.loads(pickle.dumps(m)), copy.deepcopy,
                                   _cloudpickle_round_trip],
                         ids=["pickle", "deepcopy", "cloudpickle"])
def test_training_goes_on_bitwise_after_a_round_trip_dropout_included(data, clone):
    """What joblib, Dask and Ray do to a model: ship it, and train it on there. The copy
    carries the engine's dropout keys, so with fastnn's generator in the same state the
    copy's next epochs equal the original's bit for bit."""
    x, y = data
    m = _dropout_model()
    m.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert len(m._dropout_draws) == 2
    r = clone(m)
    assert r._dropout_draws == m._dropout_draws
    for model in (m, r):
        keras.utils.set_random_seed(7)
        model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    for a, b in zip(m.get_weights(), r.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_saved_model_keeps_its_dropout_keys_and_a_bad_key_is_refused(data, tmp_path):
    import json
    import zipfile
    x, y = data
    m = _dropout_model()
    m.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "m.fastnn"
    m.save(path)
    assert keras.models.load_model(path)._dropout_draws == m._dropout_draws
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    for bad in (["-1"], [str(2 ** 62)], ["1²"], [5], "12", ["0"] * 100):
        cfg = json.loads(members["config.json"])
        cfg["dropout_seeds"] = bad
        bad_path = tmp_path / "bad.fastnn"
        with zipfile.ZipFile(bad_path, "w") as z:
            for n, b in members.items():
                z.writestr(n, json.dumps(cfg) if n == "config.json" else b)
        with pytest.raises(ValueError, match="dropout_seeds"):
            keras.models.load_model(bad_path)
