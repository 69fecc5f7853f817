"""Whole-model files of functional models: model.save / load_model / ModelCheckpoint /
to_json / clone_model for `keras.Model(inputs, outputs)`, as Keras does them, with the
same refusals of hostile files as Sequential models get (tests/test_saving.py)."""
import json
import warnings

import numpy as np
import pytest

import fastnn as keras
from fastnn import layers, saving
from fastnn.utils import set_random_seed
from test_saving import _tamper_config


def _mlp(dropout=0.0, seed=0):
    set_random_seed(seed)
    inp = keras.Input(shape=(6,), name="features")
    x = layers.Dense(12, activation="relu", name="hidden")(inp)
    if dropout:
        x = layers.Dropout(dropout)(x)
    out = layers.Dense(3, activation="softmax", name="probs")(x)
    return keras.Model(inp, out, name="mlp")


def _two_in_two_out(seed=0):
    """Two named inputs, a Concatenate, a Dense called twice (shared weights), an Add,
    two outputs."""
    set_random_seed(seed)
    a = keras.Input(shape=(5,), name="a")
    b = keras.Input(shape=(5,), name="b")
    shared = layers.Dense(4, activation="tanh", name="shared")
    s = layers.Add(name="sum")([shared(a), shared(b)])
    h = layers.Concatenate(name="cat")([s, a])
    h = layers.Dense(8, activation="relu", name="deep")(h)
    reg = layers.Dense(1, name="reg")(h)
    cls = layers.Dense(4, activation="softmax", name="cls")(h)
    return keras.Model({"a": a, "b": b}, [reg, cls], name="two")


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.random((48, 6)).astype(np.float32), rng.integers(0, 3, 48)


@pytest.fixture(scope="module")
def data2():
    rng = np.random.default_rng(1)
    x = {"a": rng.random((40, 5)).astype(np.float32), "b": rng.random((40, 5)).astype(np.float32)}
    y = [rng.random((40, 1)).astype(np.float32), rng.integers(0, 4, 40)]
    return x, y


def _same_weights(m1, m2):
    w1, w2 = m1.get_weights(), m2.get_weights()
    return len(w1) == len(w2) and all(
        a.shape == b.shape and np.array_equal(a, b) for a, b in zip(w1, w2))


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "rmsprop", "nadam"])
def test_round_trip_then_training_continues_bit_for_bit(tmp_path, data, optimizer):
    x, y = data
    m = _mlp()
    m.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    m.fit(x, y, epochs=2, batch_size=16, verbose=0)
    path = tmp_path / "m.keras"
    m.save(path)
    r = keras.models.load_model(path)
    assert type(r) is type(m) and r.name == "mlp"
    assert [layer.name for layer in r.layers] == [layer.name for layer in m.layers]
    assert _same_weights(m, r)
    assert int(r.optimizer.iterations) == int(m.optimizer.iterations) == 6
    assert type(r.optimizer) is type(m.optimizer)
    np.testing.assert_array_equal(r.predict(x, verbose=0), m.predict(x, verbose=0))
    assert r.evaluate(x, y, verbose=0) == m.evaluate(x, y, verbose=0)
    # the optimizer's slots came back too: one more epoch gives the same weights
    m.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    r.fit(x, y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    assert _same_weights(m, r)


def test_dropout_model_round_trip(tmp_path, data):
    x, y = data
    m = _mlp(dropout=0.5)
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    m.fit(x, y, epochs=1, verbose=0)
    m.save(tmp_path / "d.keras")
    r = keras.models.load_model(tmp_path / "d.keras")
    assert [type(layer).__name__ for layer in r.layers] == ["InputLayer", "Dense", "Dropout", "Dense"]
    assert r.layers[2].rate == 0.5
    np.testing.assert_array_equal(r.predict(x, verbose=0), m.predict(x, verbose=0))


def test_several_inputs_outputs_shared_layer_and_structured_compile(tmp_path, data2):
    x, y = data2
    m = _two_in_two_out()
    m.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
              loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
              loss_weights={"reg": 0.25, "cls": 1.0},
              metrics={"reg": ["mae"], "cls": ["accuracy"]})
    m.fit(x, y, epochs=2, batch_size=8, verbose=0)
    m.save(tmp_path / "two.keras")
    r = keras.models.load_model(tmp_path / "two.keras")
    assert r.output_names == m.output_names == ["reg", "cls"]
    assert sorted(r.input_names) == ["a", "b"]
    # the shared Dense is one layer (one kernel) with two calls
    assert len(r.get_layer("shared")._inbound_nodes) == 2
    assert len(r.weights) == len(m.weights)
    assert _same_weights(m, r)
    assert r.get_compile_config() == m.get_compile_config()
    assert r.get_compile_config()["loss_weights"] == {"reg": 0.25, "cls": 1.0}
    p1, p2 = m.predict(x, verbose=0), r.predict(x, verbose=0)
    for a, b in zip(p1, p2):
        np.testing.assert_array_equal(a, b)
    assert r.evaluate(x, y, verbose=0) == m.evaluate(x, y, verbose=0)
    m.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    r.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    assert _same_weights(m, r)


def test_compile_config_lists_and_loss_weights_round_trip(tmp_path, data2):
    x, y = data2
    m = _two_in_two_out()
    m.compile(optimizer="adam", loss=["mse", keras.losses.SparseCategoricalCrossentropy()],
              loss_weights=[0.5, 2.0], metrics=[["mae"], ["accuracy"]])
    m.fit(x, y, epochs=1, verbose=0)
    cfg = m.get_compile_config()
    assert cfg["loss"][0]["class_name"] == "MeanSquaredError"
    assert cfg["loss_weights"] == [0.5, 2.0] and cfg["metrics"] == [["mae"], ["accuracy"]]
    m.save(tmp_path / "l.keras")
    r = keras.models.load_model(tmp_path / "l.keras")
    assert r.get_compile_config() == cfg
    assert r.evaluate(x, y, verbose=0) == m.evaluate(x, y, verbose=0)


def test_uncompiled_and_compile_false(tmp_path, data):
    x, y = data
    m = _mlp()
    m.save(tmp_path / "u.keras")
    r = keras.models.load_model(tmp_path / "u.keras")
    assert not r.compiled and _same_weights(m, r)
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    m.fit(x, y, epochs=1, verbose=0)
    m.save(tmp_path / "c.keras")
    r = keras.models.load_model(tmp_path / "c.keras", compile=False)
    assert not r.compiled and _same_weights(m, r)


def test_a_python_loss_function_is_saved_without_compile_settings(tmp_path, data):
    x, y = data
    m = _mlp()

    def my_loss(y_true, y_pred):
        return keras.ops.mean(keras.ops.square(y_pred - 0.5))
    m.compile(optimizer="adam", loss=my_loss)
    m.fit(x, y, epochs=1, verbose=0)
    with pytest.warns(UserWarning, match="without the compile settings.*compile it again"):
        m.save(tmp_path / "f.keras")
    r = keras.models.load_model(tmp_path / "f.keras")
    assert not r.compiled and _same_weights(m, r)


def test_a_metric_class_of_the_users_is_saved_without_compile_settings(tmp_path, data):
    x, y = data

    class Count(keras.metrics.Metric):
        def __init__(self, name="count", **kw):
            super().__init__(name=name, **kw)
            self.n = self.add_weight(name="n", shape=(), initializer="zeros")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.n.assign_add(1.0)

        def result(self):
            return self.n

    m = _mlp()
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=[Count()])
    m.fit(x, y, epochs=1, verbose=0)
    with pytest.warns(UserWarning, match="Count"):
        m.save(tmp_path / "k.keras")
    assert not keras.models.load_model(tmp_path / "k.keras").compiled


def test_subclassed_models_are_refused_with_the_way_out(tmp_path, data):
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(3)

        def call(self, x):
            return self.d(x)

    n = Net()
    n(data[0])
    with pytest.raises(TypeError, match="subclassed model's architecture is its Python code.*"
                                        "save_weights"):
        n.save(tmp_path / "s.keras")
    n.save_weights(tmp_path / "s.weights")
    n2 = Net()
    n2(data[0])
    n2.load_weights(tmp_path / "s.weights")
    assert _same_weights(n, n2)


def test_model_checkpoint_best_only_then_load_model(tmp_path, data):
    """As the Deep Learning with Python callbacks example: ModelCheckpoint of a
    functional model to a .keras file, then keras.models.load_model of it."""
    x, y = data
    m = _mlp(dropout=0.2)
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    path = str(tmp_path / "best.keras")
    hist = m.fit(x[:32], y[:32], epochs=4, verbose=0, validation_data=(x[32:], y[32:]),
                 callbacks=[keras.callbacks.ModelCheckpoint(path, monitor="val_loss",
                                                            save_best_only=True)])
    r = keras.models.load_model(path)
    best = min(hist.history["val_loss"])
    assert abs(r.evaluate(x[32:], y[32:], verbose=0)[0] - best) < 1e-6


def test_to_json_and_clone_model(data):
    x, _ = data
    m = _two_in_two_out(seed=3)
    text = m.to_json()
    assert json.loads(text)["class_name"] == "Functional"
    r = keras.models.model_from_json(text)
    assert [layer.name for layer in r.layers] == [layer.name for layer in m.layers]
    assert [w.shape for w in r.weights] == [w.shape for w in m.weights]
    c = keras.models.clone_model(m)
    assert type(c) is type(m) and c.output_names == m.output_names
    assert [w.shape for w in c.weights] == [w.shape for w in m.weights]
    # new weights, as Keras' clone_model
    assert not _same_weights(c, m)
    c.set_weights(m.get_weights())
    xx = {"a": x[:, :5], "b": x[:, 1:]}
    for a, b in zip(c.predict(xx, verbose=0), m.predict(xx, verbose=0)):
        np.testing.assert_array_equal(a, b)


def test_config_round_trip_keeps_the_graph_when_layers_are_listed_out_of_order(data):
    """from_config makes each call once the tensors it takes exist, whatever order the
    config lists the layers in."""
    m = _two_in_two_out()
    cfg = m.get_config()
    cfg["layers"] = cfg["layers"][::-1]
    r = keras.Model.from_config(cfg)
    assert sorted(layer.name for layer in r.layers) == sorted(layer.name for layer in m.layers)
    r.set_weights(m.get_weights())
    x = data[0]
    xx = {"a": x[:, :5], "b": x[:, 1:]}
    for a, b in zip(r.predict(xx, verbose=0), m.predict(xx, verbose=0)):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ hostile files
def _layer(c, name):
    return next(lc for lc in c["model"]["config"]["layers"] if lc["name"] == name)


def _ref(c, name):
    """The first argument of the (only) call of the layer called `name`."""
    return _layer(c, name)["inbound_nodes"][0]["args"][0]


@pytest.mark.parametrize("fn, message", [
    # a call that reads its own output (a cycle)
    (lambda c: _ref(c, "hidden")["config"].__setitem__("keras_history", ["probs", 0, 0]),
     r"takes tensors no call makes .*cycle"),
    # a tensor of a layer that does not exist
    (lambda c: _ref(c, "hidden")["config"].__setitem__("keras_history", ["nope", 0, 0]),
     r"takes tensors no call makes \(nope\[0\]\)"),
    # a call that was never made
    (lambda c: _ref(c, "probs")["config"].__setitem__("keras_history", ["hidden", 5, 0]),
     r"takes tensors no call makes \(hidden\[5\]\)"),
    (lambda c: _ref(c, "probs")["config"].__setitem__("keras_history", ["hidden", 0, 7]),
     r"output 7 of layer 'hidden'"),
    (lambda c: _ref(c, "probs")["config"].__setitem__("keras_history", ["hidden", -1, 0]),
     r"keras_history must be \[layer name, node index, tensor index\]"),
    (lambda c: _layer(c, "probs").__setitem__("name", "hidden"), r"two layers are named 'hidden'"),
    (lambda c: _layer(c, "hidden").__setitem__("inbound_nodes", "x"), r"inbound_nodes must be a list"),
    (lambda c: c["model"]["config"].__setitem__("output_layers", ["hidden", 3, 0]),
     r"call 3 of layer 'hidden'"),
    # an intermediate tensor as the input: the model from it (Keras' slicing) has fewer
    # weights than the file holds
    (lambda c: c["model"]["config"].__setitem__("input_layers", ["hidden", 0, 0]),
     r"holds 4 weight arrays, the model has 2"),
    (lambda c: c["model"]["config"].pop("output_layers"), r"has no 'output_layers'"),
    (lambda c: c["model"]["config"].__setitem__("layers", []), r"layers must be a list of layers"),
    (lambda c: _layer(c, "hidden").__setitem__("class_name", "os.system"),
     r"unknown class_name 'os.system'"),
    (lambda c: _layer(c, "hidden")["config"].__setitem__("exec", "print(1)"),
     r"unexpected keyword argument.*exec"),
    # a layer much larger than the file's weights: refused before its kernel exists
    (lambda c: _layer(c, "hidden")["config"].__setitem__("units", 10 ** 9),
     r"the layers so far need .* weight values, the file holds"),
    # an input of 10**14 values per sample
    (lambda c: c["model"]["config"]["layers"][0]["config"].__setitem__("batch_shape", [None, 10 ** 14]),
     r"the input layers\[0\] .* 100000000000000 values per sample"),
    (lambda c: c["model"]["config"]["layers"][0]["config"].__setitem__("batch_shape", [None, -3]),
     r"batch_shape must be a list of sizes"),
    (lambda c: c["compile"].__setitem__("loss_weights", "heavy"), r"compile settings cannot be restored"),
    (lambda c: c["compile"].__setitem__("loss", {"probs": {"class_name": "Evil", "config": {}}}),
     r"compile settings cannot be restored"),
])
def test_bad_functional_configs_are_refused(tmp_path, data, fn, message):
    x, y = data
    m = _mlp()
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    m.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "bad.fastnn"
    m.save(path)
    _tamper_config(path, fn)
    with pytest.raises(ValueError, match=message):
        saving.load_model(path)


def test_a_refused_file_leaves_the_random_stream_alone(tmp_path, data):
    m = _mlp()
    m.save(tmp_path / "r.fastnn")
    _tamper_config(tmp_path / "r.fastnn", lambda c: _layer(c, "probs").__setitem__("name", "hidden"))
    set_random_seed(5)
    before = keras.utils.get_rng().bit_generator.state
    with pytest.raises(ValueError):
        saving.load_model(tmp_path / "r.fastnn")
    assert keras.utils.get_rng().bit_generator.state == before


def test_loading_draws_no_random_numbers(tmp_path):
    m = _two_in_two_out()
    m.save(tmp_path / "n.keras")
    set_random_seed(9)
    before = keras.utils.get_rng().bit_generator.state
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        keras.models.load_model(tmp_path / "n.keras")
    assert keras.utils.get_rng().bit_generator.state == before
