"""Sequential: the seed's network end to end, fit/evaluate/predict semantics, configs."""
import numpy as np
import pytest

import fastnn
import fastnn as tf
from fastnn import Sequential
from fastnn.callbacks.base import Callback, History
from fastnn.layers import Dense, Dropout, Input
from fastnn.losses import SparseCategoricalCrossentropy


def _digits_like(n=400, seed=0):
    # 64 features, 10 linearly separable classes (prototype + noise).
    rng = np.random.default_rng(seed)
    protos = rng.normal(size=(10, 64)) * 2
    y = rng.integers(0, 10, size=n)
    x = protos[y] + rng.normal(size=(n, 64)) * 0.5
    return x, y


def _seed_model():
    return Sequential([
        Dense(units=25, activation="relu"),
        Dense(units=15, activation="relu"),
        Dense(units=10, activation="softmax")])


def test_seed_snippet_trains_to_high_accuracy():
    tf.utils.set_random_seed(0)
    X, Y = _digits_like()
    model = _seed_model()
    model.compile(optimizer=tf.optimizers.Adam(0.01), loss=SparseCategoricalCrossentropy(),
                  metrics=["accuracy"])
    hist = model.fit(X, Y, epochs=15, verbose=0)
    assert hist.history["accuracy"][-1] > 0.95
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    p = model.predict(X, verbose=0)
    assert p.shape == (400, 10) and np.allclose(p.sum(axis=1), 1, atol=1e-5)
    assert np.mean(p.argmax(1) == Y) > 0.95


def test_seed_more_accurate_variant():
    tf.utils.set_random_seed(1)
    X, Y = _digits_like()
    model = Sequential([
        Dense(units=25, activation="relu"),
        Dense(units=15, activation="relu"),
        Dense(units=10, activation="linear")])
    model.compile(loss=SparseCategoricalCrossentropy(from_logits=True))  # default RMSprop
    model.fit(X, Y, epochs=20, verbose=0)
    logit = model(X)
    f_x = tf.nn.softmax(logit)
    assert isinstance(logit, np.ndarray) and logit.dtype == np.float32
    assert np.mean(f_x.argmax(1) == Y) > 0.9


def test_summary_param_counts(capsys):
    model = _seed_model()
    model.build((None, 64))
    model.summary()
    out = capsys.readouterr().out
    assert "1,625" in out and "390" in out and "160" in out
    assert "Total params: 2,175 (8.50 KB)" in out
    assert "Trainable params: 2,175 (8.50 KB)" in out
    assert "Non-trainable params: 0 (0.00 B)" in out
    assert "Layer (type)" in out and "Output Shape" in out and "Param #" in out
    assert "(None, 25)" in out and "(Dense)" in out
    assert model.count_params() == 2175


def test_summary_unbuilt(capsys):
    Sequential([Dense(3)]).summary()
    out = capsys.readouterr().out
    assert "unbuilt" in out and "Total params: 0" in out


def test_reproducible_bitwise_with_seed():
    X, Y = _digits_like(200)

    def run(seed):
        tf.utils.set_random_seed(seed)
        m = Sequential([Dense(25, activation="relu"), Dropout(0.2), Dense(10, activation="softmax")])
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        h = m.fit(X, Y, epochs=3, batch_size=16, verbose=0)
        return m.get_weights(), h.history

    w1, h1 = run(5)
    w2, h2 = run(5)
    w3, _ = run(6)
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)
    assert h1 == h2
    assert not np.array_equal(w1[0], w3[0])


def test_inputs_converted_once_not_mutated():
    X, Y = _digits_like(64)
    Xl = X.tolist()
    Yl = Y.tolist()
    X64 = X.copy()
    m = _seed_model()
    m.compile(loss="sparse_categorical_crossentropy")
    m.fit(Xl, Yl, epochs=1, verbose=0)
    m.fit(X64, Y.astype(np.int32), epochs=1, verbose=0)
    np.testing.assert_array_equal(X64, X)
    assert X64.dtype == np.float64
    for w in m.weights:
        assert w.dtype == np.float32 and w.flags.c_contiguous


def test_float64_model():
    X, Y = _digits_like(64)
    m = Sequential([Input((64,), dtype="float64"), Dense(10, activation="softmax")])
    m.compile(loss="sparse_categorical_crossentropy")
    m.fit(X, Y, verbose=0)
    assert all(w.dtype == np.float64 for w in m.weights)
    assert m.predict(X, verbose=0).dtype == np.float64


def test_one_dimensional_x_is_one_feature():
    x = np.linspace(-1, 1, 50)
    y = 3 * x + 1
    tf.utils.set_random_seed(0)
    m = Sequential([Dense(1)])
    m.compile(optimizer=tf.optimizers.SGD(0.1), loss="mse")
    m.fit(x, y, epochs=60, verbose=0)
    k, b = m.get_weights()
    assert k.shape == (1, 1)
    assert k[0, 0] == pytest.approx(3, abs=0.05) and b[0] == pytest.approx(1, abs=0.05)


def test_validation_split_takes_last_samples_before_shuffle():
    X, Y = _digits_like(100)

    def run(**kw):
        tf.utils.set_random_seed(3)
        m = _seed_model()
        m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return m.fit(X if "validation_data" not in kw else X[:80], Y if "validation_data" not in kw else Y[:80],
                     epochs=2, verbose=0, **kw).history

    h1 = run(validation_split=0.2)
    h2 = run(validation_data=(X[80:], Y[80:]))
    assert h1 == h2
    assert list(h1) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(h1["val_loss"]) == 2


def test_history_and_epochs():
    X, Y = _digits_like(64)
    m = _seed_model()
    m.compile(loss="sparse_categorical_crossentropy")
    h = m.fit(X, Y, epochs=5, initial_epoch=2, verbose=0)
    assert isinstance(h, History) and h.epoch == [2, 3, 4]
    assert len(h.history["loss"]) == 3
    assert m.history is h


def test_class_weight_equals_sample_weight():
    X, Y = _digits_like(64)
    cw = {c: 1.0 + c for c in range(10)}

    def run(**kw):
        tf.utils.set_random_seed(9)
        m = _seed_model()
        m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        m.fit(X, Y, epochs=2, verbose=0, **kw)
        return m.get_weights()

    for a, b in zip(run(class_weight=cw), run(sample_weight=1.0 + Y)):
        np.testing.assert_array_equal(a, b)


def test_predict_equals_call_and_batches():
    X, _ = _digits_like(70)
    m = _seed_model()
    m.build((None, 64))
    np.testing.assert_allclose(m.predict(X, batch_size=16, verbose=0), m(X), rtol=1e-6)
    assert m.predict(X[:1], verbose=0).shape == (1, 10)


def test_evaluate_return_forms():
    X, Y = _digits_like(64)
    m = _seed_model()
    m.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    m.fit(X, Y, verbose=0)
    r = m.evaluate(X, Y, verbose=0)
    assert isinstance(r, list) and len(r) == 2
    d = m.evaluate(X, Y, verbose=0, return_dict=True)
    assert d["loss"] == pytest.approx(r[0]) and d["accuracy"] == pytest.approx(r[1])
    m.compile(loss="sparse_categorical_crossentropy")
    assert isinstance(m.evaluate(X, Y, verbose=0), float)


def test_callbacks_hooks_and_stop_training():
    X, Y = _digits_like(64)
    events = []

    class Rec(Callback):
        def on_train_begin(self, logs=None): events.append("train_begin")
        def on_epoch_begin(self, epoch, logs=None): events.append(("epoch_begin", epoch))
        def on_train_batch_end(self, batch, logs=None): events.append(("batch", batch, sorted(logs)))
        def on_epoch_end(self, epoch, logs=None):
            events.append(("epoch_end", epoch, sorted(logs)))
            if epoch == 1:
                self.model.stop_training = True
        def on_train_end(self, logs=None): events.append("train_end")

    m = _seed_model()
    m.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = m.fit(X, Y, epochs=5, batch_size=32, verbose=0, callbacks=[Rec()])
    assert events[0] == "train_begin" and events[-1] == "train_end"
    assert ("epoch_begin", 0) in events and ("batch", 1, ["accuracy", "loss"]) in events
    assert ("epoch_end", 1, ["accuracy", "loss"]) in events
    assert h.epoch == [0, 1]


def test_set_learning_rate_from_callback():
    X, Y = _digits_like(32)

    class Zero(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.model.optimizer.learning_rate = 0.0

    m = _seed_model()
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    m.build((None, 64))
    w0 = m.get_weights()
    m.fit(X, Y, epochs=1, verbose=0, callbacks=[Zero()])
    for a, b in zip(w0, m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_weights_round_trip_between_models():
    X, Y = _digits_like(64)
    a = _seed_model()
    a.compile(loss="sparse_categorical_crossentropy")
    a.fit(X, Y, verbose=0)
    b = Sequential([Input((64,)), Dense(25, activation="relu"), Dense(15, activation="relu"),
                    Dense(10, activation="softmax")])
    b.set_weights(a.get_weights())
    np.testing.assert_array_equal(a.predict(X, verbose=0), b.predict(X, verbose=0))
    shapes = [w.shape for w in a.get_weights()]
    assert shapes == [(64, 25), (25,), (25, 15), (15,), (15, 10), (10,)]


def test_config_round_trip_and_compile_config():
    m = Sequential([Input((4,)), Dense(3, activation="tanh"), Dropout(0.1), Dense(2, activation="softmax")],
                   name="net")
    m.compile(optimizer=tf.optimizers.Adam(0.01), loss=SparseCategoricalCrossentropy(), metrics=["accuracy"])
    cfg = m.get_config()
    assert cfg["name"] == "net" and cfg["layers"][0]["class_name"] == "InputLayer"
    m2 = Sequential.from_config(cfg)
    assert m2.built and [type(l) for l in m2.layers] == [type(l) for l in m.layers]
    assert [w.shape for w in m2.weights] == [w.shape for w in m.weights]
    cc = m.get_compile_config()
    m2.compile_from_config(cc)
    assert type(m2.optimizer) is tf.optimizers.Adam and m2.optimizer.learning_rate == 0.01
    assert type(m2.loss) is SparseCategoricalCrossentropy and m2._metric_ids == ["accuracy"]


def test_add_pop_and_layers():
    m = Sequential()
    m.add(Input((5,)))
    m.add(Dense(4))
    assert m.built
    m.add(Dense(2))
    assert len(m.layers) == 2 and m.output_shape == (None, 2)
    popped = m.pop()
    assert isinstance(popped, Dense) and m.output_shape == (None, 4)


def test_keras_alias_and_nn():
    assert tf.keras is tf and tf.keras.Sequential is Sequential
    from fastnn.keras import layers as kl  # noqa: F401
    p = tf.nn.softmax(np.array([[0.0, np.log(3.0)]]))
    np.testing.assert_allclose(p, [[0.25, 0.75]], rtol=1e-6)
    assert tf.layers.Dense is Dense


def test_validation_runs_test_hooks():
    X, Y = _digits_like(64)
    seen = []

    class Rec(Callback):
        def on_test_begin(self, logs=None): seen.append("test_begin")
        def on_test_batch_end(self, batch, logs=None): seen.append(("test_batch", batch))
        def on_test_end(self, logs=None): seen.append(("test_end", sorted(logs)))

    m = _seed_model()
    m.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    m.fit(X, Y, epochs=2, batch_size=16, validation_split=0.25, verbose=0, callbacks=[Rec()])
    assert seen.count("test_begin") == 2 and ("test_batch", 0) in seen
    assert ("test_end", ["accuracy", "loss"]) in seen


def test_float32_input_not_mutated_or_aliased():
    X, Y = _digits_like(64)
    X32 = np.asfortranarray(X.astype(np.float32))
    keep = X32.copy()
    m = _seed_model()
    m.compile(loss="sparse_categorical_crossentropy")
    m.fit(X32, Y, epochs=2, verbose=0)
    m.evaluate(X32, Y, verbose=0)
    m.predict(X32, verbose=0)
    np.testing.assert_array_equal(X32, keep)


def test_summary_after_training_counts_optimizer_like_keras(capsys):
    # Keras 3: Adam holds m and v per weight plus iterations and learning_rate, and the
    # total includes them once the optimizer is built (2,175 + 4,352 = 6,527).
    X, Y = _digits_like(64)
    m = _seed_model()
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    m.fit(X, Y, verbose=0)
    m.summary()
    out = capsys.readouterr().out
    assert "Optimizer params: 4,352 (17.00 KB)" in out
    assert "Total params: 6,527 (25.50 KB)" in out
    assert "Trainable params: 2,175 (8.50 KB)" in out


def test_keras2_batch_hook_names_are_called():
    X, Y = _digits_like(64)
    seen = []

    class Old(Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append((batch, round(logs["loss"], 6)))

    m = _seed_model()
    m.compile(loss="sparse_categorical_crossentropy")
    m.fit(X, Y, epochs=1, batch_size=16, verbose=0, callbacks=[Old()])
    assert [b for b, _ in seen] == [0, 1, 2, 3]


def test_same_weights_with_1_and_2_threads():
    X, Y = _digits_like(300)
    old = fastnn.get_num_threads()

    def run(threads):
        fastnn.set_num_threads(threads)
        tf.utils.set_random_seed(12)
        m = Sequential([Dense(64, activation="relu"), Dense(10, activation="softmax")])
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        m.fit(X, Y, epochs=2, batch_size=300, verbose=0)
        return m.get_weights()

    try:
        w1, w2 = run(1), run(2)
    finally:
        fastnn.set_num_threads(old)
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)


def test_dense_on_3d_inputs_applies_to_last_axis():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 3, 4))
    y = rng.normal(size=(12, 3, 2))
    m = Sequential([Input((3, 4), dtype="float64"), Dense(2)])
    m.compile(optimizer=tf.optimizers.SGD(0.1), loss="mse")
    k0, b0 = m.get_weights()
    assert m.output_shape == (None, 3, 2)
    # the loss is the mean over every (sample, position) row, as Keras
    pred = x @ k0 + b0
    assert m.evaluate(x, y, verbose=0) == pytest.approx(np.mean((pred - y) ** 2))
    m.fit(x, y, batch_size=12, shuffle=False, verbose=0)
    g = 2 * (pred - y) / (12 * 3 * 2)
    np.testing.assert_allclose(m.get_weights()[0], k0 - 0.1 * np.einsum("nti,ntk->ik", x, g), rtol=1e-10)
    m2 = Sequential([Input((3, 4)), Dense(2, activation="softmax")])
    m2.compile(loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"needs a model output of shape \(N, classes\)"):
        m2.fit(x, np.zeros(12), verbose=0)


def test_train_on_batch_steps_like_fit_and_reports_the_batch():
    """Batches fed one by one give fit's weights bitwise (no shuffle, one epoch); each
    call returns its own batch's loss and metrics on the outputs before the step (Keras
    3 resets the metrics at every call, keras-team/keras#22617)."""
    X, Y = _digits_like(96)
    runs = []
    for by_batch in (False, True):
        tf.utils.set_random_seed(3)
        m = _seed_model()
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        if by_batch:
            outs = []
            for b in range(0, 96, 32):
                before = m.evaluate(X[b:b + 32], Y[b:b + 32], batch_size=32, verbose=0)
                outs.append(m.train_on_batch(X[b:b + 32], Y[b:b + 32]))
                # the batch's own values, before its step
                assert outs[-1] == pytest.approx(before, rel=1e-6)
            logs = {"loss": np.mean([o[0] for o in outs]),
                    "accuracy": np.mean([o[1] for o in outs])}
        else:
            logs = {k: v[0] for k, v in
                    m.fit(X, Y, batch_size=32, shuffle=False, verbose=0).history.items()}
        runs.append((m.get_weights(), logs))
    for a, b in zip(runs[0][0], runs[1][0]):
        np.testing.assert_array_equal(a, b)
    # equal batches: fit's epoch means are the means of the batches' values
    assert runs[1][1]["accuracy"] == pytest.approx(runs[0][1]["accuracy"])
    assert runs[1][1]["loss"] == pytest.approx(runs[0][1]["loss"], rel=1e-6)

    # test_on_batch: each call its own batch; return_dict gives the logs
    first = m.test_on_batch(X[:32], Y[:32], return_dict=True)
    assert sorted(first) == ["accuracy", "loss"]
    assert first["loss"] == pytest.approx(m.evaluate(X[:32], Y[:32], batch_size=32, verbose=0)[0],
                                          rel=1e-6)
    second = m.test_on_batch(X[32:64], Y[32:64])
    assert second == pytest.approx(m.evaluate(X[32:64], Y[32:64], batch_size=32, verbose=0),
                                   rel=1e-6)
    assert m.test_on_batch(X[:32], Y[:32]) == pytest.approx([first["loss"], first["accuracy"]])


def test_train_on_batch_class_weight_forms_and_errors():
    X, Y = _digits_like(32)
    cw = {c: 1.0 + c for c in range(10)}
    weights = []
    for kw in ({"class_weight": cw}, {"sample_weight": 1.0 + Y}):
        tf.utils.set_random_seed(9)
        m = _seed_model()
        m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        loss = m.train_on_batch(X, Y, **kw)
        assert isinstance(loss, float)
        weights.append(m.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)

    fresh = _seed_model()
    with pytest.raises(ValueError, match="train_on_batch: the model must be compiled"):
        fresh.train_on_batch(X, Y)
    with pytest.raises(ValueError, match="test_on_batch: the model must be compiled"):
        fresh.test_on_batch(X, Y)
    w = m.get_weights()
    with pytest.raises(ValueError, match="train_on_batch"):
        m.train_on_batch(X, Y[:5])
    for a, b in zip(w, m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_get_layer_by_name_and_index():
    m = Sequential([Input((4,)), Dense(3, name="hidden"), Dense(2, name="out")])
    assert m.get_layer("out") is m.layers[1]
    assert m.get_layer(index=0) is m.layers[0] and m.get_layer(index=-1) is m.layers[-1]
    with pytest.raises(ValueError, match="no layer named 'nope'.*'hidden', 'out'"):
        m.get_layer("nope")
    with pytest.raises(ValueError, match="index 2 is out of range; the model has 2 layers"):
        m.get_layer(index=2)
    with pytest.raises(ValueError, match="not both"):
        m.get_layer("out", 1)
    with pytest.raises(ValueError, match="give a layer name or an index"):
        m.get_layer()
    with pytest.raises(TypeError, match="index must be an int"):
        m.get_layer(index="0")


def test_to_json_model_from_json_and_clone_model():
    from fastnn.models import clone_model, model_from_json
    tf.utils.set_random_seed(2)
    m = Sequential([Input((4,)), Dense(3, activation="relu", name="h"), Dropout(0.2), Dense(2)])
    text = m.to_json(indent=1)
    assert "\n" in text   # json.dumps' arguments pass through
    back = model_from_json(text)
    assert back.get_config() == m.get_config() and back.built
    assert [w.shape for w in back.get_weights()] == [w.shape for w in m.get_weights()]

    clone = clone_model(m)
    assert clone.get_config() == m.get_config()
    # Keras' clone: fresh weights, its own arrays
    assert not np.array_equal(clone.get_weights()[0], m.get_weights()[0])
    clone.set_weights(m.get_weights())
    clone.compile(optimizer="sgd", loss="mse")
    before = m.get_weights()
    clone.fit(np.ones((8, 4)), np.zeros((8, 2)), verbose=0)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert tf.keras.models.clone_model is clone_model

    with pytest.raises(ValueError, match="model_from_json: json_string is not JSON"):
        model_from_json("{nope")
    with pytest.raises(ValueError, match="expected .*Sequential"):
        model_from_json('{"class_name": "Subclassed", "config": {}}')
    with pytest.raises(ValueError, match="json_string.config.layers must be a list of layers"):
        model_from_json('{"class_name": "Functional", "config": {}}')
    with pytest.raises(TypeError, match="model_from_json: custom_objects must be a dict"):
        model_from_json(text, custom_objects=[abs])
    assert model_from_json(text, custom_objects={"f": abs}).get_config() == m.get_config()
    with pytest.raises(TypeError, match="clone_model: model must be a fastnn Sequential"):
        clone_model(object())
    # clone_function=lambda layer: layer shares the layers (Keras)
    shared = clone_model(m, clone_function=lambda layer: layer)
    assert [a is b for a, b in zip(shared.layers, m.layers)] == [True] * 3


def test_a_sequential_added_to_a_sequential_shares_its_layers(tmp_path):
    """Keras' `Sequential([model, Softmax()])`: the outer model runs the inner one's layers
    (the same objects, so the same weights) and then its own; it takes the inner Input."""
    from fastnn.layers import Softmax
    fastnn.utils.set_random_seed(0)
    inner = Sequential([Input((4,), dtype="float64"), Dense(6, activation="relu"), Dense(3)])
    inner.compile("adam", SparseCategoricalCrossentropy(from_logits=True))
    x = np.random.default_rng(1).standard_normal((20, 4))
    y = np.arange(20) % 3
    inner.fit(x, y, epochs=2, verbose=0)
    outer = Sequential([inner, Softmax()])
    assert outer.built and outer.dtype == "float64" and outer.input_shape == (None, 4)
    assert outer.layers[:2] == inner.layers and len(outer.layers) == 3
    logits = inner.predict(x, verbose=0)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(outer.predict(x, verbose=0), e / e.sum(axis=1, keepdims=True),
                               rtol=1e-12)
    np.testing.assert_array_equal(outer(x).numpy(), outer.predict(x, verbose=0))
    # Training either one trains both.
    outer.compile("adam", "sparse_categorical_crossentropy")
    outer.fit(x, y, epochs=1, verbose=0)
    for a, b in zip(outer.get_weights(), inner.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(inner.predict(x, verbose=0), logits)
    # It saves and loads as the flat stack it is.
    outer.save(tmp_path / "outer.fastnn")
    loaded = fastnn.models.load_model(tmp_path / "outer.fastnn")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), outer.predict(x, verbose=0))
    # A model after other layers gives only its layers; the shapes must chain.
    head = Sequential([Dense(3)])
    stacked = Sequential([Input((4,)), Dense(5), head])
    assert stacked.layers[-1] is head.layers[0] and stacked.output_shape == (None, 3)
    with pytest.raises(ValueError, match="cannot be added to itself"):
        stacked.add(stacked)
    with pytest.raises(ValueError, match="layer names must be unique"):
        Sequential([inner, inner])
    before = list(stacked.layers)
    with pytest.raises(ValueError, match="layer names must be unique, got a second"):
        stacked.add(Sequential([Dense(2), head.layers[0]]))
    assert stacked.layers == before


# -- the symbolic graph of a built Sequential (Keras' model.inputs / layer.output) --------
def _extractor_stack():
    fastnn.utils.set_random_seed(3)
    return Sequential([Input((6,)), Dense(5, activation="relu", name="h"), Dense(3, name="o")])


def _relu_dense(layer, x):
    kernel, bias = layer.get_weights()
    return np.maximum(x @ kernel + bias, 0)


def test_feature_extractor_from_an_input_first_sequential():
    m = _extractor_stack()
    assert len(m.inputs) == 1 and len(m.outputs) == 1
    assert m.inputs[0].shape == (None, 6) and m.outputs[0].shape == (None, 3)
    assert m.layers[0].input is m.inputs[0]
    assert m.layers[1].input is m.layers[0].output
    assert m.outputs[0] is m.layers[-1].output
    x = np.random.default_rng(0).normal(size=(7, 6)).astype("float32")
    for out in (m.layers[-2].output, m.get_layer("h").output):
        extractor = fastnn.Model(inputs=m.inputs, outputs=out)
        assert [l.name for l in extractor.layers][1:] == ["h"]
        assert extractor.layers[1] is m.layers[0]
        np.testing.assert_allclose(extractor.predict(x, verbose=0),
                                   _relu_dense(m.layers[0], x), rtol=1e-5, atol=1e-6)
    # the whole stack as a functional model computes what the Sequential does
    whole = fastnn.Model(m.inputs, m.outputs)
    np.testing.assert_allclose(whole.predict(x, verbose=0), m.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)
    # as Keras: the Sequential itself was never called on symbolic inputs
    for name in ("input", "output"):
        with pytest.raises(AttributeError):
            getattr(m, name)


def test_feature_extractor_after_build_and_after_a_first_call():
    x = np.random.default_rng(1).normal(size=(4, 6)).astype("float32")
    m = Sequential([Dense(5, activation="relu"), Dense(3)])
    m.build((None, 6))
    assert m.inputs[0].shape == (None, 6)
    first = m.layers[0].output
    m.build((None, 6))                        # the same shape: the same graph
    assert m.layers[0].output is first and m.outputs[0] is m.layers[-1].output
    np.testing.assert_allclose(fastnn.Model(m.inputs, first).predict(x, verbose=0),
                               _relu_dense(m.layers[0], x), rtol=1e-5, atol=1e-6)
    called = Sequential([Dense(5, activation="relu"), Dense(3)])
    called(x)                                 # built by its first call on data
    assert called.inputs[0].shape == (None, 6)
    np.testing.assert_allclose(
        fastnn.Model(called.inputs, called.layers[0].output).predict(x, verbose=0),
        _relu_dense(called.layers[0], x), rtol=1e-5, atol=1e-6)


def test_adding_and_popping_layers_rebuilds_the_graph():
    m = _extractor_stack()
    m.add(Dense(2, name="z"))
    assert m.built and m.outputs[0].shape == (None, 2) and m.outputs[0] is m.layers[-1].output
    m.pop()
    assert m.outputs[0].shape == (None, 3)
    m.pop()
    assert m.outputs[0].shape == (None, 5) and m.inputs[0].shape == (None, 6)
    built = Sequential([Dense(4)])
    built.build((None, 3))
    built.add(Dense(2))                       # Keras builds it again from its input shape
    assert built.built and built.outputs[0].shape == (None, 2)
    built.pop()
    assert built.built and built.outputs[0].shape == (None, 4)


def test_an_unbuilt_sequential_has_no_inputs():
    m = Sequential([Dense(5), Dense(3)])
    for name in ("inputs", "outputs", "input", "output"):
        assert not hasattr(m, name)
    with pytest.raises(AttributeError, match="no defined inputs"):
        m.inputs
    with pytest.raises(AttributeError):
        m.layers[0].output
    assert not hasattr(Sequential(), "inputs")


def test_the_extractor_shares_the_sequentials_weights():
    m = _extractor_stack()
    extractor = fastnn.Model(m.inputs, m.get_layer("h").output)
    x = np.random.default_rng(2).normal(size=(32, 6)).astype("float32")
    y = np.random.default_rng(3).normal(size=(32, 3)).astype("float32")
    before = extractor.predict(x, verbose=0)
    m.compile(optimizer="sgd", loss="mse")
    m.fit(x, y, epochs=2, verbose=0)
    after = extractor.predict(x, verbose=0)
    assert not np.allclose(before, after)
    np.testing.assert_allclose(after, _relu_dense(m.layers[0], x), rtol=1e-5, atol=1e-6)


def test_a_graph_sequential_saves_plots_clones_and_summarises_as_before(tmp_path):
    m = _extractor_stack()
    x = np.random.default_rng(4).normal(size=(5, 6)).astype("float32")
    extractor = fastnn.Model(m.inputs, m.layers[0].output)
    config = m.get_config()
    assert [l["class_name"] for l in config["layers"]] == ["InputLayer", "Dense", "Dense"]
    for path in (tmp_path / "m.keras", tmp_path / "m.fastnn"):
        m.save(path)
        loaded = fastnn.models.load_model(path)
        assert type(loaded) is Sequential
        np.testing.assert_allclose(loaded.predict(x, verbose=0), m.predict(x, verbose=0),
                                   rtol=1e-6)
        assert loaded.inputs[0].shape == (None, 6)
    # the extractor saves its own graph only (the Sequential's second layer is not in it)
    extractor.save(tmp_path / "e.keras")
    e2 = fastnn.models.load_model(tmp_path / "e.keras")
    assert [l.name for l in e2.layers][1:] == ["h"]
    np.testing.assert_allclose(e2.predict(x, verbose=0), extractor.predict(x, verbose=0),
                               rtol=1e-6)
    # a second use of a layer in a functional model: its node is that model's own
    inp = Input((6,))
    f = fastnn.Model(inp, m.layers[0](inp))
    cfg = f.get_config()
    assert cfg["layers"][1]["inbound_nodes"][0]["args"][0]["config"]["keras_history"][1:] == [0, 0]
    assert len(fastnn.Model.from_config(cfg).layers) == 2
    lines = []
    m.summary(print_fn=lines.append)
    assert "Connected to" not in lines[0] and "input_layer" not in lines[0]
    assert "h (Dense)" in lines[0] and "o (Dense)" in lines[0]
    from fastnn.visualization import _graph_of
    layers, edges, _ = _graph_of(m)
    assert [l.name for l in layers] == ["h", "o"] and len(edges) == 1
    layers, edges, _ = _graph_of(extractor)
    assert [l.name for l in layers][1:] == ["h"] and len(edges) == 1
    clone = fastnn.models.clone_model(m)
    assert type(clone) is Sequential and clone.inputs[0].shape == (None, 6)
    assert all(a is not b for a, b in zip(clone.layers, m.layers))
    assert fastnn.Model(clone.inputs, clone.layers[0].output).layers[1] is clone.layers[0]
    clone = fastnn.models.clone_model(m, input_tensors=m.inputs[0])
    assert clone.outputs[0].shape == (None, 3)
    clone_e = fastnn.models.clone_model(extractor)
    assert [l.name for l in clone_e.layers][1:] == ["h"]


# ---------------------------------------------------------------- Keras 3's behaviours
def test_a_functional_model_first_builds_the_sequential_from_its_input_shape():
    inputs = Input((5,))
    functional = fastnn.Model(inputs, Dense(4, activation="relu")(inputs))
    head = Dense(2)
    m = Sequential([functional, head])
    assert m.built and head.built and m.input_shape == (None, 5)
    assert m.output_shape == (None, 2) and m.outputs[0].shape == (None, 2)
    x = np.random.default_rng(0).normal(size=(6, 5)).astype("float32")
    np.testing.assert_allclose(m(x), head(functional(x)), rtol=1e-6)
    np.testing.assert_allclose(m.predict(x, verbose=0), head(functional(x)), rtol=1e-6)
    # alone it is not built (Keras builds from it once a layer follows)
    alone = Sequential([fastnn.Model(inputs, Dense(3)(inputs))])
    assert not alone.built
    alone.add(Dense(1))
    assert alone.built and alone.output_shape == (None, 1)


class _Recorder(fastnn.layers.Layer):
    """Records what its call is given and returns the sum of the arrays in it."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def call(self, inputs):
        self.seen.append(inputs)
        parts = list(inputs.values()) if isinstance(inputs, dict) else list(inputs)
        return parts[0] + parts[1]


def test_a_dict_or_a_list_of_arrays_goes_to_the_first_layer_as_it_is():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    for given in ({"a": a, "b": b}, [a, b], (a, b)):
        first = _Recorder()
        m = Sequential([first, Dense(1, kernel_initializer="ones")])
        out = m(given)
        assert type(first.seen[-1]) is type(given) and len(first.seen[-1]) == 2
        np.testing.assert_allclose(out, (a + b).sum(axis=1, keepdims=True), rtol=1e-6)
        assert m.built and first.built
        m(given)                          # and on later calls
        assert type(first.seen[-1]) is type(given)


def test_nested_lists_of_numbers_are_still_one_array_of_samples():
    m = Sequential([Dense(2, kernel_initializer="ones")])
    rows = [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    np.testing.assert_allclose(m(rows), [[3.0, 3.0], [7.0, 7.0], [11.0, 11.0]])
    assert m.input_shape == (None, 2)


def test_a_built_sequential_refuses_a_dict_by_name():
    m = Sequential([Input((2,)), Dense(3)])
    with pytest.raises(TypeError, match="x must be an array of samples"):
        m({"a": np.ones((2, 2)), "b": np.ones((2, 2))})


def test_add_refuses_what_is_not_a_layer_with_a_value_error():
    m = Sequential()
    with pytest.raises(ValueError, match=r"Sequential.add: layer must be a fastnn Layer.*"
                                         r"got dict \{\}"):
        m.add({})
    x = Input((3,))
    with pytest.raises(ValueError, match="a symbolic tensor can only be added when it comes "
                                         "from keras.Input"):
        m.add(Dense(2)(x))
    assert m.layers == []


def test_build_refuses_a_layer_whose_call_needs_more_than_its_input():
    class TwoInputs(fastnn.layers.Layer):
        def call(self, inputs, training):
            return inputs

    class NoInput(fastnn.layers.Layer):
        def call(self):
            return np.zeros(1)

    class Fine(fastnn.layers.Layer):
        def call(self, inputs, training=None, mask=None):
            return inputs

    m = Sequential([TwoInputs()])
    with pytest.raises(ValueError, match=r"single required positional argument, the input "
                                         r"tensor; TwoInputs.call has several: "
                                         r"\['inputs', 'training'\]"):
        m.build((None, 2))
    assert not m.built
    with pytest.raises(ValueError, match="NoInput.call has no positional arguments"):
        Sequential([Input((2,)), NoInput()])
    m = Sequential([Input((2,)), Fine()])
    assert m.built and m.output_shape == (None, 2)


def test_compute_output_shape_is_the_stacks_and_builds_nothing():
    m = Sequential([Dense(4), Dense(8), fastnn.layers.Reshape((2, 4))])
    assert m.compute_output_shape((None, 2)) == (None, 2, 4)
    assert m.compute_output_shape([5, 3]) == (5, 2, 4)
    assert not m.built and not m.layers[0].built and not m.layers[1].built
    m.build((None, 2))
    assert m.compute_output_shape((7, 2)) == (7, 2, 4) == (7,) + m.output_shape[1:]
    with pytest.raises(ValueError, match="expected input shape"):
        m.compute_output_shape((None, 3))
    with pytest.raises(ValueError, match=r"compute_output_shape: input_shape must be a tuple "
                                         r"of sizes \(int or None\), got 'abc'"):
        m.compute_output_shape("abc")
    with pytest.raises(ValueError, match="the model has no layers"):
        Sequential().compute_output_shape((None, 2))
    # on symbolic inputs a Sequential still runs its stack (its output's dtype is its own)
    inp = Input((2,), dtype="float64")
    assert Sequential([Dense(3, dtype="float32")])(inp).dtype == "float32"


def test_an_unbuilt_sequential_has_no_input_or_output_shape():
    m = Sequential([Dense(3)])
    for name in ("input_shape", "output_shape"):
        assert not hasattr(m, name)
        with pytest.raises(AttributeError, match=f"no defined {name.replace('_', ' ')} yet"):
            getattr(m, name)
    m.summary(print_fn=lambda text: None)       # the summary of an unbuilt model still works
    m.build((None, 4))
    assert m.input_shape == (None, 4) and m.output_shape == (None, 3)
    m.add(Dense(2))                              # rebuilt from its input shape
    assert m.output_shape == (None, 2)


def test_a_sequential_in_a_sequential_takes_one_number_per_sample():
    class LossLayer(fastnn.layers.Layer):
        def call(self, x):
            self.add_loss(fastnn.ops.sum(x))
            return x * 2.0

    layer = LossLayer()
    x = np.array([1.0, 2.0, 3.0], np.float32)
    layer(x)
    inner = Sequential([layer])
    np.testing.assert_allclose(inner(x), 2 * x)
    assert inner.input_shape == (None,)
    outer = Sequential([inner])
    np.testing.assert_allclose(outer(x), 2 * x)
    assert outer.input_shape == (None,)
    assert len(outer.losses) == 1
    np.testing.assert_allclose(outer.losses[0], 6.0)
    # a model whose first layer is not built for 1-D inputs still takes them as one
    # feature per row
    np.testing.assert_allclose(Sequential([Dense(1, kernel_initializer="ones")])(x),
                               x[:, None])


@pytest.mark.parametrize("how", ["config", "keras_file", "own_file"])
def test_a_sequential_keeps_its_dtype_through_its_config_and_files(how, tmp_path):
    """A float64 layer after an Input given no dtype makes the model compute in float64;
    the config gives the Input that dtype, so the revived model does too (it came back
    float32: the Input's default overrode its layers')."""
    import fastnn as keras
    from fastnn import layers
    m = keras.Sequential([keras.Input((3,)), layers.Dense(2, dtype="float64"), layers.Dense(2)])
    if how == "config":
        again = keras.Sequential.from_config(m.get_config())
    else:
        if how == "keras_file":
            pytest.importorskip("h5py")
        path = str(tmp_path / ("m.keras" if how == "keras_file" else "m.fnn"))
        m.save(path)
        again = keras.saving.load_model(path)
    assert [l.dtype for l in again.layers] == [l.dtype for l in m.layers] == ["float64"] * 2
    x = np.random.default_rng(0).random((4, 3))
    again.set_weights(m.get_weights())
    out = again.predict(x, verbose=0)
    assert out.dtype == np.float64 and np.array_equal(out, m.predict(x, verbose=0))
