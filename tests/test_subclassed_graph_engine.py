"""Subclassed models whose call() is a graph of their own layers: several inputs (a dict
or a list), several outputs (a tuple, a list or a dict), Concatenates, branches and
residual Adds, as the books write them (Deep Learning with Python's customer-ticket
model, Hands-On Machine Learning's wide-and-deep model). fit, evaluate and predict trace
call() on symbolic inputs of the model's shapes into a graph (Model._graph_model) and
run it on the engine as the functional model of that graph would run; a model that is
not built yet is built for the arrays fit is given first.

Checked: these models lower and train, evaluate and predict with the layer path's bits
(their outputs in the structure call() returns); the trace leaves no node on the
layers and no weight changed; a model whose call() is not such a graph keeps the layer
path, with the same numbers: one whose graph depends on `training`, one that calls
add_loss(), assigns a variable, or makes a layer that draws random numbers in call();
a layer replaced after a fit is traced again."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import engine, layers


class TicketModel(keras.Model):
    """Deep Learning with Python, chapter 7: a dict of three inputs, two outputs."""

    def __init__(self, num_departments=4, **kwargs):
        super().__init__(**kwargs)
        self.concat_layer = layers.Concatenate()
        self.mixing_layer = layers.Dense(16, activation="relu")
        self.priority_scorer = layers.Dense(1, activation="sigmoid")
        self.department_classifier = layers.Dense(num_departments, activation="softmax")

    def call(self, inputs):
        features = self.concat_layer([inputs["title"], inputs["text_body"], inputs["tags"]])
        features = self.mixing_layer(features)
        return self.priority_scorer(features), self.department_classifier(features)


class WideAndDeep(keras.Model):
    """Hands-On Machine Learning, chapter 10: two inputs, each through a Normalization,
    joined by the layers.concatenate() helper (a Concatenate made at each call), a main
    and an auxiliary output."""

    def __init__(self, units=12, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.norm_layer_wide = layers.Normalization()
        self.norm_layer_deep = layers.Normalization()
        self.hidden1 = layers.Dense(units, activation=activation)
        self.hidden2 = layers.Dense(units, activation=activation)
        self.main_output = layers.Dense(1)
        self.aux_output = layers.Dense(1)

    def call(self, inputs):
        input_wide, input_deep = inputs
        norm_wide = self.norm_layer_wide(input_wide)
        norm_deep = self.norm_layer_deep(input_deep)
        hidden1 = self.hidden1(norm_deep)
        hidden2 = self.hidden2(hidden1)
        concat = layers.concatenate([norm_wide, hidden2])
        return self.main_output(concat), self.aux_output(hidden2)


class Residual(keras.Model):
    """One input, one output, a residual block and Dropout passed `training`."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.d1 = layers.Dense(8, activation="tanh")
        self.d2 = layers.Dense(8, activation="relu")
        self.add = layers.Add()
        self.drop = layers.Dropout(0.25, seed=3)
        self.out = layers.Dense(3, activation="softmax")

    def call(self, x, training=None):
        h = self.drop(self.d1(x), training=training)
        h = self.add([h, self.d2(h)])
        return self.out(h)


def _ticket_data(n=120, seed=0):
    rng = np.random.default_rng(seed)
    x = {"title": rng.integers(0, 2, (n, 20)).astype("float32"),
         "text_body": rng.integers(0, 2, (n, 30)).astype("float32"),
         "tags": rng.integers(0, 2, (n, 5)).astype("float32")}
    return x, [rng.random((n, 1)).astype("float32"), rng.integers(0, 4, (n, 1))]


def _housing_data(n=150, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 8)) * [1, 10, 100, 3, 1, 0.1, 5, 2] + [0, 5, -3, 1, 0, 0, 2, 9]
    y = x[:, :1] * 0.3 - x[:, 1:2] * 0.01 + rng.standard_normal((n, 1)) * 0.1
    y = y.astype("float32")
    return (x[:, :5].astype("float32"), x[:, 2:].astype("float32")), (y, y)


def _ticket():
    keras.utils.set_random_seed(1)
    m = TicketModel()
    m.compile(optimizer="adam", loss=["mean_squared_error", "sparse_categorical_crossentropy"],
              metrics=[["mean_absolute_error"], ["accuracy"]])
    return m


def _wide_and_deep():
    keras.utils.set_random_seed(2)
    m = WideAndDeep(name="my_cool_model")
    m.compile(loss=["mse", "mse"], loss_weights=[0.9, 0.1],
              optimizer=keras.optimizers.Adam(learning_rate=1e-2),
              metrics=["RootMeanSquaredError", "RootMeanSquaredError"])
    (wide, deep), _ = _housing_data()
    m.norm_layer_wide.adapt(wide)
    m.norm_layer_deep.adapt(deep)
    return m


def _residual():
    keras.utils.set_random_seed(3)
    m = Residual()
    m.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def _residual_data(n=100, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 6)).astype("float32"), rng.integers(0, 3, n)


MODELS = {"ticket": (_ticket, _ticket_data), "wide_and_deep": (_wide_and_deep, _housing_data),
          "residual": (_residual, _residual_data)}


def _flat(out):
    if isinstance(out, dict):
        return list(out.values())
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _runs(monkeypatch, build, x, y, fit=None, call_first=False):
    """The model build() makes, per path (engine, layer path): fit's history, the
    weights, predict's outputs, evaluate's results and the batch calls' logs; asserts
    that the engine ran the model and the layer path did not."""
    runs = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = build()
        if call_first:
            m(x if not isinstance(x, tuple) else list(x))
        h = m.fit(x, y, verbose=0, **(fit or dict(epochs=3, batch_size=16))).history
        assert (m._engine.plan is not None) == fused, m._engine.why
        if fused:
            assert m._engine.why is None
        r = {"history": h, "weights": m.get_weights(), "predict": m.predict(x, verbose=0),
             "evaluate": m.evaluate(x, y, verbose=0)}
        xs = {k: v[:10] for k, v in x.items()} if isinstance(x, dict) else \
            tuple(v[:10] for v in x) if isinstance(x, tuple) else x[:10]
        ys = {k: v[:10] for k, v in y.items()} if isinstance(y, dict) else \
            [v[:10] for v in y] if isinstance(y, list) else \
            tuple(v[:10] for v in y) if isinstance(y, tuple) else y[:10]
        r["train_on_batch"] = m.train_on_batch(xs, ys)
        r["test_on_batch"] = m.test_on_batch(xs, ys)
        r["weights_after"] = m.get_weights()
        runs.append(r)
    return runs


def _assert_alike(runs, rtol=1e-6):
    a, b = runs
    for key in ("weights", "weights_after"):
        assert len(a[key]) == len(b[key])
        for u, v in zip(a[key], b[key]):
            assert u.tobytes() == v.tobytes(), key
    assert type(a["predict"]) is type(b["predict"])
    for u, v in zip(_flat(a["predict"]), _flat(b["predict"])):
        assert u.shape == v.shape and u.tobytes() == v.tobytes()
    assert set(a["history"]) == set(b["history"])
    for k in a["history"]:
        np.testing.assert_allclose(a["history"][k], b["history"][k], rtol=rtol)
    for key in ("evaluate", "train_on_batch", "test_on_batch"):
        np.testing.assert_allclose(a[key], b[key], rtol=rtol)


@pytest.mark.parametrize("kind", MODELS)
def test_subclassed_graphs_train_on_the_engine_with_the_layer_paths_bits(kind, monkeypatch):
    build, data = MODELS[kind]
    x, y = data()
    runs = _runs(monkeypatch, build, x, y)
    _assert_alike(runs)
    first = runs[0]["history"]
    if kind == "ticket":
        assert set(first) == {"loss", "output_1_loss", "output_2_loss",
                              "output_1_mean_absolute_error", "output_2_accuracy"}
        assert isinstance(runs[0]["predict"], tuple)      # as call() returns them
    if kind == "wide_and_deep":
        assert isinstance(runs[0]["predict"], tuple) and len(runs[0]["predict"]) == 2


def test_a_model_called_before_compile_lowers_as_one_built_by_fit(monkeypatch):
    x, y = _ticket_data()
    _assert_alike(_runs(monkeypatch, _ticket, x, y, call_first=True))


def test_validation_data_and_targets_by_output_name(monkeypatch):
    x, (priority, department) = _ticket_data()
    y = {"output_1": priority, "output_2": department}
    fit = dict(epochs=2, batch_size=32, validation_split=0.25)
    runs = _runs(monkeypatch, _ticket, x, y, fit=fit)
    _assert_alike(runs)
    assert "val_output_2_accuracy" in runs[0]["history"]


def test_the_wide_and_deep_model_with_sample_weights_per_output(monkeypatch):
    x, y = _housing_data()
    w = np.linspace(0.5, 1.5, len(y[0])).astype("float32")
    fit = dict(epochs=2, batch_size=20, sample_weight=[w, None], shuffle=False)
    _assert_alike(_runs(monkeypatch, _wide_and_deep, x, y, fit=fit))


def test_the_trace_leaves_no_trace(monkeypatch):
    monkeypatch.setattr(engine, "ENABLED", True)
    m = _wide_and_deep()
    x, y = _housing_data()
    m.build([(None, 5), (None, 6)])
    own = m.layers
    before = [w.copy() for w in m.get_weights()]
    nodes = [len(layer._inbound_nodes) for layer in own]
    graph = m._graph_model()
    assert graph is not None and graph is not m
    assert [len(layer._inbound_nodes) for layer in own] == nodes
    assert all(np.array_equal(u, v) for u, v in zip(before, m.get_weights()))
    assert m.layers == own and graph not in m._sublayers()
    assert m._n_inputs() == 2 and m._n_outputs() == 2
    assert m._chain_outputs() and m._joined_widths() == (5, 6)
    assert m._graph_model() is graph      # traced once
    m.fit(x, y, epochs=1, verbose=0)
    assert m._engine.plan is not None


class TrainingBranch(Residual):
    """A graph that differs in training (a Dropout only then): the layer path."""

    def call(self, x, training=None):
        h = self.d1(x)
        h = self.add([h, self.d2(h)])
        if training:
            h = self.drop(h)
        return self.out(h)


class AddsLoss(Residual):
    def call(self, x, training=None):
        h = self.d1(x)
        self.add_loss(0.0 * keras.ops.sum(h))
        return self.out(self.add([h, self.d2(h)]))


class Counts(Residual):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False,
                                     name="calls")

    def call(self, x, training=None):
        self.calls.assign_add(1.0)
        h = self.d1(x)
        return self.out(self.add([h, self.d2(h)]))


class DropoutMadeInCall(Residual):
    def call(self, x, training=None):
        h = self.d1(x)
        h = self.add([h, self.d2(h)])
        return self.out(layers.Dropout(0.3)(h, training=training))


@pytest.mark.parametrize("cls", [TrainingBranch, AddsLoss, Counts, DropoutMadeInCall])
def test_calls_that_are_not_one_graph_of_own_layers_keep_the_layer_path(cls, monkeypatch):
    x, y = _residual_data()
    results = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        keras.utils.set_random_seed(5)
        m = cls()
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        if cls is not DropoutMadeInCall:
            h = m.fit(x, y, epochs=2, batch_size=16, verbose=0).history
            assert m._engine.plan is None and m._graph_model() is None
            results.append((h["loss"], m.get_weights()))
        else:
            m.fit(x, y, epochs=1, batch_size=16, verbose=0)
            assert m._engine.plan is None and m._graph_model() is None
    if results:
        (l1, w1), (l2, w2) = results
        np.testing.assert_allclose(l1, l2, rtol=1e-6)
        assert all(u.tobytes() == v.tobytes() for u, v in zip(w1, w2))


def test_a_layer_replaced_after_a_fit_is_traced_again(monkeypatch):
    monkeypatch.setattr(engine, "ENABLED", True)
    x, y = _residual_data()
    m = _residual()
    m.fit(x, y, epochs=1, verbose=0)
    first = m._graph_model()
    assert m._engine.plan is not None
    m.out = layers.Dense(3, activation="softmax")
    m.out.build((None, 8))
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    before = m.out.get_weights()[0].copy()
    m.fit(x, y, epochs=1, verbose=0)
    assert m._graph_model() is not first and m._engine.plan is not None
    assert not np.array_equal(before, m.out.get_weights()[0])     # the new layer trained


class Flagged(keras.Model):
    """A call that branches on a plain attribute of the model."""

    def __init__(self, two_inputs=False, **kwargs):
        super().__init__(**kwargs)
        self.two_inputs = two_inputs
        self.d1 = layers.Dense(4, activation="relu")
        self.extra = layers.Dense(4, activation="tanh")
        self.cat = layers.Concatenate()
        self.out = layers.Dense(1)
        self.use_extra = False

    def call(self, inputs):
        h = self.d1(self.cat(inputs) if self.two_inputs else inputs)
        if self.use_extra:
            h = self.extra(h)
        return self.out(h)


@pytest.mark.parametrize("two_inputs", [False, True], ids=["chain", "graph"])
def test_setting_an_attribute_the_call_branches_on_traces_it_again(two_inputs, monkeypatch):
    """Set after a fit, `model.use_extra = True` changes what call() computes: model(x)
    follows it (the trace is made again), as Keras' eager call does; so does a fit after
    compile() (which in Keras makes the train function again)."""
    monkeypatch.setattr(engine, "ENABLED", True)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3)).astype("float32")
    x = [x[:, :2], x[:, 2:]] if two_inputs else x
    y = rng.standard_normal((32, 1)).astype("float32")
    keras.utils.set_random_seed(0)
    m = Flagged(two_inputs)
    m.compile(optimizer="sgd", loss="mse")
    m.extra.build((None, 4))
    m.fit(x, y, epochs=1, verbose=0)
    assert m._engine.plan is not None
    m.use_extra = True
    np.testing.assert_array_equal(np.asarray(m(x)), np.asarray(m.call(x)))
    before = m.extra.get_weights()[0].copy()
    m.compile(optimizer="sgd", loss="mse")
    m.fit(x, y, epochs=1, verbose=0)
    assert m._engine.plan is not None
    assert not np.array_equal(before, m.extra.get_weights()[0])     # the extra layer trains
