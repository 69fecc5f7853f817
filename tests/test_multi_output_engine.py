"""A functional model of several outputs (Keras' multi-output models: heads on a shared
trunk, each with a loss of its own, loss_weights, metrics per output) trains, evaluates
and predicts on the C engine when every output is a Dense layer's that nothing else
reads: the engine forms each output's loss and its gradient (times its weight) at that
layer, and the backward pass starts from every output. fit, evaluate, predict and the
batch calls take the targets side by side; the numbers are the layer path's bit for bit,
the gradient is checked against finite differences, and the models, targets and metrics
the engine does not take keep the layer path."""
import numpy as np
import pytest

import fastnn as keras
from cases import check_step_against_central_differences
from fastnn import _kernels, engine, layers


def _dense(units, act, x, dtype, **kw):
    return layers.Dense(units, activation=act, dtype=dtype, **kw)(x)


def _model(kind, dtype="float32", optimizer="adam", weights=(1.0, 0.3), metrics=True):
    """Models of several outputs on a shared trunk, compiled as Keras programs compile
    them (a list or dict of losses, loss_weights, metrics per output)."""
    keras.utils.set_random_seed(0)
    inp = keras.Input((12,), dtype=dtype)
    h = _dense(16, "relu", inp, dtype)
    if kind == "two_heads":            # a class and a value from one hidden tensor
        h = _dense(9, "tanh", h, dtype)
        outs = [_dense(5, "softmax", h, dtype, name="label"),
                _dense(1, None, h, dtype, name="value")]
        losses = ["sparse_categorical_crossentropy", "mse"]
        mets = [["accuracy"], ["mae", "mse"]]
    elif kind == "deep_heads":         # heads of two layers, outputs in a dict
        a = _dense(8, "relu", h, dtype)
        a = layers.Activation("sigmoid", dtype=dtype, name="flag")(_dense(3, None, a, dtype))
        b = _dense(7, "elu", h, dtype)
        b = _dense(4, "softmax", b, dtype, name="kind")
        outs = {"flag": a, "kind": b}
        losses = {"flag": "binary_crossentropy", "kind": "categorical_crossentropy"}
        mets = {"flag": ["binary_accuracy", "mae"], "kind": ["categorical_accuracy"]}
        weights = dict(zip(("flag", "kind"), weights))
    elif kind == "three_outputs":      # an output early in the trunk, two at its end
        early = _dense(2, None, h, dtype, name="early")
        t = _dense(10, "relu", h, dtype)
        outs = [early, _dense(5, "softmax", t, dtype, name="label"),
                _dense(3, "linear", t, dtype, name="vec")]
        losses = ["huber", "sparse_categorical_crossentropy", "mae"]
        mets = [[], ["accuracy"], ["mse"]]
        weights = tuple(weights) + (2.0,)
    elif kind == "four_heads":         # four heads on one tensor (its gradient the sum of
        # four, in the layer path's order)
        outs = [_dense(5, "softmax", h, dtype, name="label"), _dense(1, None, h, dtype,
                                                                     name="value"),
                _dense(1, "sigmoid", h, dtype, name="flag1"),
                _dense(2, "tanh", h, dtype, name="pair")]
        losses = ["sparse_categorical_crossentropy", "mse", "binary_crossentropy", "mae"]
        mets = [["accuracy"], ["mae"], ["accuracy"], []]
        weights = (1.0, 0.3, 0.7, 1.1)
    elif kind == "residual_trunk":     # a residual block and a concatenation first
        s = layers.Add(dtype=dtype)([h, _dense(16, "relu", h, dtype)])
        j = layers.Concatenate(dtype=dtype)([_dense(6, "tanh", s, dtype), inp])
        t = _dense(8, "relu", j, dtype)
        outs = [_dense(5, "softmax", t, dtype, name="label"),
                _dense(1, "sigmoid", t, dtype, name="flag1")]
        losses = ["sparse_categorical_crossentropy", "binary_crossentropy"]
        mets = [["accuracy"], ["accuracy"]]
    elif kind == "aux_first":          # an auxiliary output listed before the main one,
        # whose trunk goes on into a Concatenate with the input (the graph's own order
        # is no walk: the walk takes it in the order of the outputs the other way round)
        t = _dense(8, "relu", h, dtype)
        main = _dense(5, "softmax", layers.Concatenate(dtype=dtype)([inp, t]), dtype,
                      name="label")
        outs = [_dense(1, "sigmoid", t, dtype, name="flag1"), main]
        losses = ["binary_crossentropy", "sparse_categorical_crossentropy"]
        mets = [["accuracy"], ["accuracy"]]
    else:
        raise ValueError(kind)
    model = keras.Model(inp, outs)
    model.compile(optimizer=optimizer, loss=losses, loss_weights=weights,
                  metrics=mets if metrics else None)
    return model


def _targets(kind, n=120, dtype="float32", seed=1):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, 12)) * 1.5 + 0.2).astype(dtype)
    label = rng.integers(0, 5, n)
    if kind == "two_heads":
        return x, [label, rng.standard_normal((n, 1)).astype(dtype)]
    if kind == "deep_heads":
        return x, {"flag": (rng.random((n, 3)) < 0.4).astype(dtype),
                   "kind": np.eye(4, dtype=dtype)[rng.integers(0, 4, n)]}
    if kind == "three_outputs":
        return x, [rng.standard_normal((n, 2)).astype(dtype) * 3, label,
                   rng.standard_normal((n, 3)).astype(dtype)]
    if kind == "four_heads":
        return x, [label, rng.standard_normal((n, 1)).astype(dtype),
                   (rng.random(n) < 0.5).astype(dtype), rng.standard_normal((n, 2)).astype(dtype)]
    if kind == "aux_first":
        return x, [(rng.random(n) < 0.5).astype(dtype), label]
    return x, [label, (rng.random(n) < 0.5).astype(dtype)]


def _runs(monkeypatch, build, x, y, lowered=True, **fit_kw):
    """build()'s model fitted on the engine, then on the layer path: per path (outputs
    before, history, weights, outputs after, evaluate's dict)."""
    runs = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = build()
        before = m.predict(x, verbose=0)
        h = m.fit(x, y, verbose=0, **fit_kw).history
        if fused:
            if lowered:
                assert m._engine.why is None and len(m._engine.plan.outputs) >= 2, \
                    m._engine.why
        runs.append((before, h, m.get_weights(), m.predict(x, verbose=0),
                     m.evaluate(x, y, verbose=0, return_dict=True)))
    monkeypatch.setattr(engine, "ENABLED", True)
    return runs


def _values(r):
    return list(r.values()) if isinstance(r, dict) else list(r)


def _flat(out):
    return list(out.values()) if isinstance(out, dict) else list(out)


def _assert_same(runs, rtol=1e-6):
    """The two paths' runs: the same outputs and weights bit for bit; the same logs
    within rtol (the engine sums a metric's errors row by row in C, the layer path a
    batch at a time, and takes a folded sigmoid's probabilities for them with exp in
    double: float32 rounding apart)."""
    (p1, h1, w1, q1, e1), (p2, h2, w2, q2, e2) = runs
    assert type(p1) is type(p2) and type(q1) is type(q2)
    if isinstance(q1, dict):
        assert list(q1) == list(q2)
    for a, b in zip(_flat(p1) + _flat(q1) + w1, _flat(p2) + _flat(q2) + w2):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert list(h1) == list(h2) and list(e1) == list(e2)
    for k in h1:
        np.testing.assert_allclose(h1[k], h2[k], rtol=rtol)
    np.testing.assert_allclose(list(e1.values()), list(e2.values()), rtol=rtol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", ["two_heads", "deep_heads", "three_outputs", "four_heads",
                                  "residual_trunk", "aux_first"])
def test_several_outputs_train_on_the_engine_as_on_the_layer_path(monkeypatch, kind, dtype):
    x, y = _targets(kind, dtype=dtype)
    runs = _runs(monkeypatch, lambda: _model(kind, dtype), x, y, epochs=3, batch_size=16)
    _assert_same(runs, 1e-12 if dtype == "float64" else 1e-6)
    # the logs Keras 3 gives a model of several outputs: the total, each output's loss
    # and each output's metrics by its name
    h = runs[0][1]
    names = ["label", "value"] if kind == "two_heads" else \
        ["flag", "kind"] if kind == "deep_heads" else \
        ["early", "label", "vec"] if kind == "three_outputs" else \
        ["label", "value", "flag1", "pair"] if kind == "four_heads" else \
        ["flag1", "label"] if kind == "aux_first" else ["label", "flag1"]
    assert "loss" in h and all(f"{n}_loss" in h for n in names)
    assert len(h["loss"]) == 3


@pytest.mark.parametrize("optimizer", ["sgd", "rmsprop", "nadam"])
def test_optimizers_and_options_of_several_outputs(monkeypatch, optimizer):
    x, y = _targets("two_heads", dtype="float64")
    opt = {"sgd": lambda: keras.optimizers.SGD(0.05, momentum=0.9, clipnorm=0.5),
           "rmsprop": lambda: keras.optimizers.RMSprop(global_clipnorm=1.0),
           "nadam": lambda: keras.optimizers.Nadam(weight_decay=0.01)}[optimizer]
    runs = _runs(monkeypatch, lambda: _model("two_heads", "float64", optimizer=opt()), x, y,
                 epochs=2, batch_size=32, shuffle=False)
    _assert_same(runs)


def test_sample_weights_validation_and_loss_weights(monkeypatch):
    """One sample weight array weighs every output's loss, as in Keras; validation data
    (and a split) take the targets side by side too; an output of weight 0 trains
    nothing through its head."""
    x, y = _targets("two_heads", n=150)
    sw = np.random.default_rng(3).random(150).astype("float32")
    runs = _runs(monkeypatch, lambda: _model("two_heads"), x, y, epochs=2, batch_size=20,
                 sample_weight=sw, validation_data=(x[:40], [y[0][:40], y[1][:40]]))
    _assert_same(runs)
    assert "val_label_accuracy" in runs[0][1] and "val_value_loss" in runs[0][1]
    runs = _runs(monkeypatch, lambda: _model("three_outputs"), *_targets("three_outputs"),
                 epochs=2, batch_size=20, validation_split=0.25)
    _assert_same(runs)
    m = _model("two_heads", weights=(1.0, 0.0))
    w0 = m.get_weights()
    m.fit(x, y, epochs=1, verbose=0)
    assert m._engine.plan is not None
    # the value head (the last Dense layer) had a zero gradient: Adam left it as it was
    assert np.array_equal(m.get_weights()[-2], w0[-2])
    assert not np.array_equal(m.get_weights()[-4], w0[-4])


def test_batch_calls_and_outputs_of_several_outputs(monkeypatch):
    """train_on_batch, test_on_batch, predict_on_batch and model(x) on the engine give
    the layer path's results; predict gives the model's structure of outputs."""
    x, y = _targets("deep_heads", n=64)
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model("deep_heads")
        r = [m.train_on_batch(x, y), m.train_on_batch(x, y, return_dict=True),
             m.test_on_batch(x, y)]
        if fused:
            assert m._engine.plan is not None
        p = m.predict_on_batch(x)
        c = m(x)
        assert isinstance(p, dict) and list(p) == ["flag", "kind"]
        out.append((r, [p["flag"], p["kind"], np.asarray(c["flag"]), np.asarray(c["kind"])],
                    m.get_weights()))
    np.testing.assert_allclose([v for r in out[0][0] for v in _values(r)],
                               [v for r in out[1][0] for v in _values(r)], rtol=1e-6)
    for a, b in zip(out[0][1] + out[0][2], out[1][1] + out[1][2]):
        assert np.array_equal(a, b)


def test_predict_of_many_rows_and_evaluate_in_order(monkeypatch):
    x, y = _targets("three_outputs", n=1000)
    res = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model("three_outputs")
        p = m.predict(x, batch_size=64, verbose=0)
        e = m.evaluate(x, y, batch_size=100, verbose=0)
        res.append((p, e))
    assert isinstance(res[0][0], list) and len(res[0][0]) == 3
    for a, b in zip(res[0][0], res[1][0]):
        assert np.array_equal(a, b)
    # [loss, each output's loss, the metrics] in order
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-6)


def test_the_gradient_of_weighted_outputs_matches_central_differences():
    """One SGD step of rate 1 moves every weight by minus the gradient of the weighted
    sum of the outputs' losses."""
    for kind in ("three_outputs", "four_heads"):
        x, y = _targets(kind, n=40, dtype="float64")
        m = _model(kind, "float64", optimizer=keras.optimizers.SGD(1.0), weights=(0.7, 1.3),
                   metrics=False)
        w0 = m.get_weights()
        m.fit(x, y, batch_size=40, epochs=1, shuffle=False, verbose=0)
        assert m._engine.plan is not None
        check_step_against_central_differences(m, w0, x, y, np.random.default_rng(5))


def test_several_outputs_give_the_same_bits_at_any_team_size(set_threads):
    x, y = _targets("residual_trunk", n=300)
    out = []
    for n in (1, 2):
        set_threads(n)
        m = _model("residual_trunk")
        m.fit(x, y, batch_size=64, epochs=2, verbose=0)
        out.append(m.get_weights() + _flat(m.predict(x, verbose=0)))
    assert all(np.array_equal(a, b) for a, b in zip(*out))


def _dropout_on_an_output():
    keras.utils.set_random_seed(0)
    inp = keras.Input((12,))
    h = _dense(8, "relu", inp, "float32")
    a = layers.Dropout(0.3, name="label")(_dense(5, "softmax", h, "float32"))
    m = keras.Model(inp, [a, _dense(1, None, h, "float32", name="value")])
    m.compile("adam", ["sparse_categorical_crossentropy", "mse"])
    return m


def _an_output_read_further():
    keras.utils.set_random_seed(0)
    inp = keras.Input((12,))
    a = _dense(5, "softmax", _dense(8, "relu", inp, "float32"), "float32", name="label")
    m = keras.Model(inp, [a, _dense(1, None, a, "float32", name="value")])
    m.compile("adam", ["sparse_categorical_crossentropy", "mse"])
    return m


class _Mean(keras.metrics.Metric):
    """A Metric subclass of the user's own: the mean of the outputs it sees."""

    def __init__(self, name="out_mean"):
        super().__init__(name=name)
        self.seen = self.add_weight(name="seen", initializer="zeros")
        self.values = self.add_weight(name="values", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.seen.assign(self.seen + float(np.sum(y_pred)))
        self.values.assign(self.values + float(np.size(y_pred)))

    def result(self):
        return self.seen / self.values


def _metrics_in_python():
    m = _model("deep_heads", metrics=False)
    m.compile("adam", {"flag": "binary_crossentropy", "kind": "categorical_crossentropy"},
              loss_weights={"flag": 0.4, "kind": 1.0},
              metrics={"flag": [keras.metrics.AUC(name="auc"), "precision", _Mean()],
                       "kind": ["categorical_accuracy", keras.metrics.TopKCategoricalAccuracy(
                           k=2, name="top2"), "mse"]},
              weighted_metrics={"kind": ["categorical_accuracy"]})
    return m


@pytest.mark.parametrize("fit_kw", [dict(epochs=2, batch_size=16),
                                    dict(epochs=2, batch_size=32, validation_split=0.25)])
def test_metrics_computed_in_python_read_each_output_the_engine_writes(monkeypatch, fit_kw):
    """AUC, precision, a Metric subclass, top-k and MSE on a softmax, and a weighted
    metric: the engine writes every output's rows (the folded ones activated) and
    Python computes them, as on the layer path."""
    x, y = _targets("deep_heads", n=96)
    sw = np.random.default_rng(4).random(96).astype("float32")
    runs = _runs(monkeypatch, _metrics_in_python, x, y, sample_weight=sw, **fit_kw)
    _assert_same(runs)
    h = runs[0][1]
    assert {"flag_auc", "flag_precision", "flag_out_mean", "kind_top2", "kind_mse",
            "kind_weighted_categorical_accuracy"} <= set(h)
    m = _metrics_in_python()
    m.fit(x, y, epochs=1, verbose=0)
    assert m._engine.plan is not None and len(m._engine.plan.py_metrics) == 6
    for fused in (True, False):       # test_on_batch and evaluate alike
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _metrics_in_python()
        m.fit(x, y, epochs=1, batch_size=32, verbose=0)
        runs.append((m.test_on_batch(x, y, return_dict=True),
                     m.evaluate(x, y, batch_size=20, return_dict=True, verbose=0)))
    for a, b in zip(runs[-2], runs[-1]):
        np.testing.assert_allclose(list(a.values()), list(b.values()), rtol=1e-6)


def _one_output_without_loss():
    m = _model("two_heads", metrics=False)
    m.compile("adam", ["sparse_categorical_crossentropy", None])
    return m


@pytest.mark.parametrize("build,why", [
    (_dropout_on_an_output, "Dropout"),
    (_an_output_read_further, None),
    (_one_output_without_loss, None)])
def test_models_of_several_outputs_the_engine_does_not_take_keep_the_layer_path(
        monkeypatch, build, why):
    x, y = _targets("two_heads", n=48)
    runs = _runs(monkeypatch, build, x, y, lowered=False, epochs=2, batch_size=16)
    _assert_same(runs)
    m = build()
    m.fit(x, y, epochs=1, verbose=0)
    assert m._engine.plan is None
    if why is not None:
        assert why in m._engine.why


def _per_output_weights(kind, n, how, seed=6):
    """Sample weights given per output, as Keras takes them: a list in output order, a
    dict by output name, or a list with None for an output weighed 1."""
    rng = np.random.default_rng(seed)
    names = {"two_heads": ["label", "value"], "deep_heads": ["flag", "kind"],
             "three_outputs": ["early", "label", "vec"]}[kind]
    ws = [(rng.random(n) * 2).astype("float32") for _ in names]
    ws[0][::5] = 0.0
    if how == "dict":
        return dict(zip(names, ws))
    if how == "list_with_none":
        ws[-1] = None
    return ws


@pytest.mark.parametrize("kind, how", [("two_heads", "list"), ("deep_heads", "dict"),
                                       ("three_outputs", "list_with_none")])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sample_weights_per_output_train_on_the_engine_as_on_the_layer_path(
        monkeypatch, kind, how, dtype):
    """Each output's loss weighed by its own array (Keras' sample_weight as a list or a
    dict by output name; None for an output: weighed 1), the validation data's too; the
    engine reads them side by side, a column per output, with the layer path's bits."""
    x, y = _targets(kind, n=150, dtype=dtype)
    sws = _per_output_weights(kind, 150, how)
    vsw = _per_output_weights(kind, 40, how, seed=7)
    val_y = {k: v[:40] for k, v in y.items()} if isinstance(y, dict) else [v[:40] for v in y]
    runs = _runs(monkeypatch, lambda: _model(kind, dtype), x, y, epochs=2, batch_size=20,
                 sample_weight=sws, validation_data=(x[:40], val_y, vsw))
    _assert_same(runs)
    out = []
    for fused in (True, False):    # evaluate and the batch calls with weights per output
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model(kind, dtype)
        r = [m.train_on_batch(x, y, sample_weight=sws, return_dict=True),
             m.test_on_batch(x, y, sample_weight=sws, return_dict=True),
             m.evaluate(x, y, sample_weight=sws, batch_size=32, return_dict=True, verbose=0)]
        assert (m._engine.plan is not None) == fused, m._engine.why
        out.append((r, m.get_weights()))
    for a, b in zip(out[0][0], out[1][0]):
        np.testing.assert_allclose(list(a.values()), list(b.values()), rtol=1e-6)
    assert all(np.array_equal(a, b) for a, b in zip(out[0][1], out[1][1]))


def test_per_output_weights_differ_from_one_array_for_all():
    """Weights per output are not weights for all: with the label's weights zero, the
    label head's weights stay where Adam started them only when each output is weighed
    by its own array."""
    x, y = _targets("two_heads", n=60)
    zero, ones = np.zeros(60, "float32"), np.ones(60, "float32")
    m = _model("two_heads")
    w0 = m.get_weights()
    m.fit(x, y, sample_weight=[zero, ones], batch_size=60, epochs=1, verbose=0)
    assert m._engine.plan is not None
    w1 = m.get_weights()
    assert np.array_equal(w1[-4], w0[-4]) and np.array_equal(w1[-3], w0[-3])  # label head
    assert not np.array_equal(w1[-2], w0[-2])                                 # value head


def test_sample_weights_per_output_are_checked_by_output():
    x, y = _targets("two_heads", n=30)
    m = _model("two_heads")
    ok = np.ones(30, "float32")
    with pytest.raises(ValueError, match=r"sample_weight\['value'\] must be finite"):
        m.fit(x, y, sample_weight=[ok, -ok], verbose=0)
    with pytest.raises(ValueError, match=r"sample_weight\['label'\] must have shape \(30,\)"):
        m.fit(x, y, sample_weight=[ok[:20], ok], verbose=0)
    with pytest.raises(ValueError, match="one `sample_weight` array per output"):
        m.fit(x, y, sample_weight=[ok, ok, ok], verbose=0)
    assert m.optimizer.iterations == 0     # nothing trained before the checks


def test_class_weights_of_several_outputs_keep_the_layer_path(monkeypatch):
    """Keras refuses class_weight for a model of several outputs; fastnn's layer path
    says so, as before."""
    x, y = _targets("two_heads", n=48)
    m = _model("two_heads")
    with pytest.raises(ValueError):
        m.fit(x, y, class_weight={0: 1.0, 1: 2.0}, epochs=1, verbose=0)


def test_targets_of_several_outputs_are_checked_by_output():
    x, (label, value) = _targets("two_heads", n=30)
    m = _model("two_heads")
    with pytest.raises(ValueError, match=r"y\['label'\] labels must be in \[0, 5\)"):
        m.fit(x, [label + 5, value], verbose=0)
    with pytest.raises(ValueError, match=r"y\['value'\] expected shape \('N', 1\)"):
        m.fit(x, [label, np.zeros((30, 2), "float32")], verbose=0)
    with pytest.raises(ValueError, match="same number of samples"):
        m.fit(x, [label, value[:20]], verbose=0)
    with pytest.raises(ValueError, match=r"y\['value'\] must be finite"):
        m.evaluate(x, [label, value * np.nan], verbose=0)
    assert m.optimizer.iterations == 0     # nothing trained before the checks


def _net(outputs, layers_=None, y_cols=None):
    from cases import net_spec
    specs = layers_ or [net_spec(4, 6), net_spec(6, 3), net_spec(6, 2, src=2)]
    return _kernels.FusedNet(specs, 0, 1.0, False,
                             y_cols if y_cols is not None else sum(o["y_cols"] for o in outputs),
                             0, {"kind": _kernels.OPT_CODES["sgd"]}, 1, np.float64,
                             outputs=tuple(outputs))


def _out(layer, y_cols=1, **kw):
    return {"layer": layer, "loss": 0, "params": (1.0, 0.0, 0.0, 0.0), "on_logits": False,
            "y_cols": y_cols, "weight": 1.0, "metric": 0, "error_stats": False, **kw}


def test_the_engine_checks_its_outputs():
    from cases import net_spec
    net = _net([_out(1, 3), _out(2, 2)])
    assert net.stats_width == 3 * _kernels.STATS_WIDTH and net.n_out == 5
    bad = [
        [_out(1, 3), _out(1, 3)],                      # one layer twice
        [_out(0, 6), _out(1, 3)],                      # the last layer not among them
        [_out(0, 6), _out(2, 2)],                      # layer 0's output read by layer 1
        [_out(1, 3), _out(2, 2, loss=10 ** 6)],        # no such loss
    ]
    for outputs in bad:
        with pytest.raises(ValueError, match="needs outputs on distinct layers"):
            _net(outputs)
    with pytest.raises(ValueError, match="needs outputs"):
        _net([_out(1, 3), _out(2, 2)], y_cols=6)       # target columns do not add up
    with pytest.raises(ValueError, match="needs outputs"):     # a Dropout after an output
        _net([_out(1, 3), _out(2, 2)],
             [net_spec(4, 6), dict(net_spec(6, 3), dropout=0.5), net_spec(6, 2, src=2)])
    with pytest.raises(ValueError, match="2 to 16 outputs"):
        _net([_out(2, 2)])
    with pytest.raises(ValueError, match=r"class_alpha'\] must hold one number per output unit"):
        _net([_out(1, 3, class_alpha=[0.5, 0.5]), _out(2, 2)])
    with pytest.raises(ValueError, match=r"y_pred must have shape \(4, 5\)"):   # side by side
        net.evaluate_out(np.empty(net.workspace_size(4)), 4, np.zeros((4, 4)), np.zeros((4, 5)),
                         None, np.zeros(net.stats_width), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="stats must have 15 entries"):
        net.evaluate(np.empty(net.workspace_size(4)), 4, np.zeros((4, 4)), np.zeros((4, 5)),
                     None, np.zeros(_kernels.STATS_WIDTH))
    with pytest.raises(ValueError, match="for a network of one output"):
        net.custom_forward(np.empty(net.workspace_size(4)), 4, np.zeros((4, 4)),
                           np.arange(4, dtype=np.int64), 0, 1, np.zeros((4, 5)))
