"""Models compiled with metrics the C engine does not sum itself (Precision, Recall, AUC,
F1Score, top-k accuracies, metric cross-entropies, weighted_metrics, a user's metric
function or Metric subclass, ...) keep training, evaluating and running single batches
in the engine: its calls also write each batch's outputs (csrc/train.h,
fnn_train_steps_out / fnn_evaluate_out) and those metrics are computed from them in
Python, batch by batch in step order, as the layer path computes them. The weights, the
history, the logs (per batch too) and the metric states are bitwise those of the
layer-by-layer path (`fastnn.engine.ENABLED = False`)."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import engine, layers
from fastnn import metrics as M

N = 120


def hit_rate(y_true, y_pred):
    """A user's metric function: the share of outputs within 0.5 of their target."""
    return np.mean(np.abs(np.asarray(y_true, np.float64) - np.asarray(y_pred, np.float64))
                   < 0.5, axis=-1)


class MeanTopProbability(keras.metrics.Metric):
    """A user's Metric subclass with its own state: the mean (weighted) largest output."""

    def __init__(self, name="mean_top_probability", **kwargs):
        super().__init__(name=name, **kwargs)
        self.weighted_sum = self.add_weight(name="weighted_sum", dtype="float64")
        self.weight_sum = self.add_weight(name="weight_sum", dtype="float64")

    def update_state(self, y_true, y_pred, sample_weight=None):
        top = np.asarray(y_pred, np.float64).max(axis=-1)
        w = np.ones_like(top) if sample_weight is None else \
            np.asarray(sample_weight, np.float64).reshape(-1)
        self.weighted_sum.assign_add(float(np.sum(top * w)))
        self.weight_sum.assign_add(float(np.sum(w)))

    def result(self):
        return float(np.asarray(self.weighted_sum)) / max(float(np.asarray(self.weight_sum)),
                                                          1e-12)


def _data(kind, dtype, n=N, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 6)).astype(dtype)
    score = x[:, 0] - 0.5 * x[:, 1] + 0.3 * rng.standard_normal(n)
    if kind == "binary":
        return x, (score > 0).astype(dtype).reshape(-1, 1)
    classes = np.digitize(score, [-0.7, 0.0, 0.7])
    if kind == "sparse":
        return x, classes
    if kind == "onehot":
        return x, np.eye(4, dtype=dtype)[classes]
    return x, np.stack([score, x[:, 2]], axis=1).astype(dtype)        # regression


# name: (data kind, output units, output activation, loss, metrics, weighted_metrics)
CASES = {
    "binary_confusion": ("binary", 1, "sigmoid", "binary_crossentropy",
                         lambda: [M.Precision(), M.Recall(), M.AUC(),
                                  M.AUC(curve="PR", name="pr_auc"), "accuracy"], None),
    "binary_scores": ("binary", 1, "sigmoid", "binary_crossentropy",
                      lambda: [M.F1Score(average="micro", threshold=0.5),
                               M.FBetaScore(average="micro", beta=2.0, threshold=0.5),
                               M.BinaryCrossentropy(), hit_rate, MeanTopProbability()], None),
    "binary_logits": ("binary", 1, None, keras.losses.BinaryCrossentropy(from_logits=True),
                      lambda: [M.BinaryAccuracy(), M.Precision(thresholds=0.0),
                               M.AUC(from_logits=True),
                               M.BinaryCrossentropy(from_logits=True)], None),
    "categorical": ("onehot", 4, "softmax", "categorical_crossentropy",
                    lambda: [M.TopKCategoricalAccuracy(k=2), M.F1Score(average="macro"),
                             M.CategoricalCrossentropy(), "accuracy", MeanTopProbability()],
                    None),
    "sparse": ("sparse", 4, "softmax", "sparse_categorical_crossentropy",
               lambda: [M.SparseTopKCategoricalAccuracy(k=2),
                        M.SparseCategoricalCrossentropy(), "accuracy"], None),
    "regression": ("regression", 2, None, "mse",
                   lambda: [M.RootMeanSquaredError(), M.R2Score(), "mae",
                            M.MeanAbsolutePercentageError()], None),
    "weighted": ("binary", 1, "sigmoid", "binary_crossentropy",
                 lambda: ["accuracy", M.AUC()],
                 lambda: ["accuracy", M.Precision(), MeanTopProbability(), "mse"]),
    # once refused by the engine: now the engine sums the first, Python the others
    "two_accuracies_and_mae_on_softmax": ("onehot", 4, "softmax", "categorical_crossentropy",
                                          lambda: ["accuracy", M.BinaryAccuracy(), "mae"],
                                          None),
    "binary_threshold": ("binary", 1, "sigmoid", "binary_crossentropy",
                         lambda: [M.BinaryAccuracy(threshold=0.7), "mse"], None),
    "sparse_logits_mse": ("sparse", 4, None,
                          keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                          lambda: ["mse", "accuracy"], None),
}


def _model(case, dtype, optimizer="adam", steps_per_execution=1):
    kind, units, act, loss, mets, wmets = CASES[case]
    keras.utils.set_random_seed(3)
    m = keras.Sequential([keras.Input((6,), dtype=dtype),
                          layers.Dense(8, activation="relu", dtype=dtype),
                          layers.Dense(units, activation=act, dtype=dtype)])
    m.compile(optimizer=optimizer, loss=loss, metrics=mets(),
              weighted_metrics=None if wmets is None else wmets(),
              steps_per_execution=steps_per_execution)
    return m


def _state(model):
    """Every compiled metric's name and variables (its state), as plain arrays."""
    return [(m.name, [np.array(v) for v in m.variables]) for m in model._metrics]


def _assert_same_state(sa, sb, c_errors=()):
    assert [name for name, _ in sa] == [name for name, _ in sb]
    for (name, va), (_, vb) in zip(sa, sb):
        assert len(va) == len(vb)
        for u, v in zip(va, vb):
            if name in c_errors:
                np.testing.assert_allclose(u, v, rtol=1e-6, err_msg=name)
            else:
                np.testing.assert_array_equal(u, v, err_msg=name)


def _run(case, dtype, fused, monkeypatch, validation="data"):
    monkeypatch.setattr(engine, "ENABLED", fused)
    kind = CASES[case][0]
    x, y = _data(kind, dtype)
    vx, vy = _data(kind, dtype, n=50, seed=1)
    m = _model(case, dtype)
    sw = np.linspace(0.2, 2.0, N).astype(dtype)
    kw = dict(validation_data=(vx, vy)) if validation == "data" else \
        dict(validation_split=0.25)
    h = m.fit(x, y, sample_weight=sw, epochs=3, batch_size=16, shuffle=True, verbose=0, **kw)
    out = {"history": h.history, "fit_state": _state(m)}
    if fused:
        assert m._engine.why is None and m._engine.fit_plan is not None
        assert m._engine.fit_plan.py_metrics      # some metrics computed from the outputs
        out["c_errors"] = _c_error_metrics(m._engine.fit_plan)
    out["evaluate"] = m.evaluate(vx, vy, sample_weight=np.linspace(1.5, 0.5, 50),
                                 batch_size=16, verbose=0, return_dict=True)
    if fused:
        assert engine.plan_for(m, vx) is m._engine.plan
    out["evaluate_state"] = _state(m)
    out["train_on_batch"] = m.train_on_batch(x[:30], y[:30], sample_weight=sw[:30],
                                             return_dict=True)
    out["test_on_batch"] = m.test_on_batch(vx[:20], vy[:20], return_dict=True)
    out["batch_state"] = _state(m)
    out["weights"] = m.get_weights()
    return out


def _c_error_metrics(plan):
    """Names (and val_ names) of the metrics the engine sums as squared / absolute errors
    in C: the same values as the layer path's NumPy sums, added in another order."""
    names = {m.name for m, stat in plan.feeds if stat in (engine._STAT_SE, engine._STAT_AE)}
    return names | {"val_" + n for n in names}


def _assert_logs(a, b, c_errors=()):
    """The same logs: bitwise, but for the metrics the engine sums in C as errors."""
    assert sorted(a) == sorted(b)
    for k in a:
        if k in c_errors:
            np.testing.assert_allclose(a[k], b[k], rtol=1e-6, err_msg=k)
        else:
            assert a[k] == b[k], k


def _assert_same(a, b):
    for u, v in zip(a["weights"], b["weights"]):
        np.testing.assert_array_equal(u, v)
    for key in ("history", "evaluate", "train_on_batch", "test_on_batch"):
        _assert_logs(a[key], b[key], a["c_errors"])
    for key in ("fit_state", "evaluate_state", "batch_state"):
        _assert_same_state(a[key], b[key], a["c_errors"])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_bitwise_the_layer_path(case, dtype, monkeypatch):
    a = _run(case, dtype, True, monkeypatch)
    b = _run(case, dtype, False, monkeypatch)
    assert set(a["history"]) >= {"loss", "val_loss"}
    _assert_same(a, b)


@pytest.mark.parametrize("case", ["binary_confusion", "categorical", "weighted"])
def test_validation_split_bitwise_the_layer_path(case, monkeypatch):
    a = _run(case, "float32", True, monkeypatch, validation="split")
    b = _run(case, "float32", False, monkeypatch, validation="split")
    _assert_same(a, b)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_class_weight_with_weighted_metrics(dtype, monkeypatch):
    x, y = _data("binary", dtype)
    runs = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model("weighted", dtype)
        h = m.fit(x, y, class_weight={0: 1.0, 1: 3.0}, epochs=2, batch_size=16,
                  validation_data=_data("binary", dtype, n=40, seed=2), verbose=0)
        assert (m._engine.fit_plan is not None) == fused
        runs.append((m.get_weights(), h.history, _state(m)))
    (wa, ha, sa), (wb, hb, sb) = runs
    for u, v in zip(wa, wb):
        np.testing.assert_array_equal(u, v)
    assert ha == hb
    # the class weights weigh the weighted accuracy, not the plain one
    assert ha["weighted_accuracy"] != ha["accuracy"]
    _assert_same_state(sa, sb)


class BatchLogs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seen = []

    def on_train_batch_end(self, batch, logs=None):
        self.seen.append((batch, dict(logs)))

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(("epoch", epoch, dict(logs)))


@pytest.mark.parametrize("steps_per_execution", [1, 3])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_per_batch_logs_of_a_callback(dtype, steps_per_execution, monkeypatch):
    """A user's batch callback (a C call per execution) sees at each batch the metrics
    as the layer path has them then."""
    x, y = _data("onehot", dtype)
    seen = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model("categorical", dtype, steps_per_execution=steps_per_execution)
        cb = BatchLogs()
        m.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[cb],
              validation_data=_data("onehot", dtype, n=40, seed=2))
        assert (m._engine.fit_plan is not None) == fused
        seen.append(cb.seen)
    assert seen[0] == seen[1]
    per_batch = [s for s in seen[0] if s[0] != "epoch"]
    assert len(per_batch) == 2 * -(-8 // steps_per_execution)
    assert "f1_score" in per_batch[0][1] and "top_k_categorical_accuracy" in per_batch[0][1]
    # the running values change from batch to batch
    assert len({s[1]["categorical_crossentropy"] for s in per_batch}) > 1


def test_progress_bar_gives_the_same_history(monkeypatch, capsys):
    """With a progress bar (and no user batch callback) the engine runs time slices of
    steps per call: the same numbers."""
    x, y = _data("binary", "float32")
    monkeypatch.setattr(engine, "ENABLED", True)
    quiet = _model("binary_confusion", "float32")
    hq = quiet.fit(x, y, epochs=2, batch_size=16, verbose=0).history
    shown = _model("binary_confusion", "float32")
    hs = shown.fit(x, y, epochs=2, batch_size=16, verbose=1).history
    assert "auc" in capsys.readouterr().out
    assert shown._engine.fit_plan is not None
    assert hq == hs


class _CountingNet:
    """The engine's FusedNet, its train_steps / evaluate_out calls recorded."""

    def __init__(self, net):
        self._net = net
        self.calls = []

    def __getattr__(self, name):
        return getattr(self._net, name)

    def train_steps(self, *args, **kwargs):
        y_pred = kwargs.get("y_pred")
        self.calls.append(("train", args[7], None if y_pred is None else y_pred.shape[0]))
        return self._net.train_steps(*args, **kwargs)

    def evaluate_out(self, ws, batch, X, *args):
        self.calls.append(("evaluate", batch, X.shape[0]))
        return self._net.evaluate_out(ws, batch, X, *args)


def test_outputs_are_written_a_bounded_number_of_rows_at_a_time(monkeypatch):
    """The outputs buffer is bounded (engine._OUTPUT_BUDGET bytes, whole batches): with
    room for one batch, a C call per step and per evaluated batch, the same numbers."""
    x, y = _data("binary", "float64")
    monkeypatch.setattr(engine, "ENABLED", True)
    monkeypatch.setattr(engine, "_OUTPUT_BUDGET", 1)
    m = _model("binary_confusion", "float64")
    m.evaluate(x, y, verbose=0)                 # builds the metrics and the plan
    plan = engine.plan_for(m, x, training=True)
    counting = plan.net = _CountingNet(plan.net)
    h = m.fit(x, y, epochs=2, batch_size=16, verbose=0, validation_data=(x[:40], y[:40]))
    ev = m.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    assert m._engine.fit_plan is plan
    train = [c for c in counting.calls if c[0] == "train"]
    evaluate = [c for c in counting.calls if c[0] == "evaluate"]
    assert len(train) == 2 * 8 and all(c[1] == 1 and c[2] == 16 for c in train)
    assert [c[2] for c in evaluate] == [16, 16, 8] * 2 + [32] * 3 + [24]

    monkeypatch.setattr(engine, "ENABLED", False)
    ref = _model("binary_confusion", "float64")
    ref.evaluate(x, y, verbose=0)
    href = ref.fit(x, y, epochs=2, batch_size=16, verbose=0, validation_data=(x[:40], y[:40]))
    assert h.history == href.history
    assert ev == ref.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    for u, v in zip(m.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(u, v)


class FreezeFirst(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 2:
            self.model.layers[0].trainable = False


def test_plan_change_in_an_epoch_keeps_the_metric_sums(monkeypatch):
    """A batch callback freezing a layer mid-epoch hands the rest of the epoch to the
    layer path with the sums so far, the metrics' own states included."""
    x, y = _data("binary", "float32")
    runs = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model("binary_scores", "float32")
        h = m.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[FreezeFirst()])
        runs.append((m.get_weights(), h.history, _state(m)))
    (wa, ha, sa), (wb, hb, sb) = runs
    for u, v in zip(wa, wb):
        np.testing.assert_array_equal(u, v)
    assert ha == hb
    _assert_same_state(sa, sb)


def test_multi_epoch_call_is_left_to_models_with_engine_metrics_only(monkeypatch):
    """fit_epochs (many epochs per C call, validation inside) writes no outputs: a model
    with metrics computed in Python goes epoch by epoch, one that has none does not."""
    x, y = _data("binary", "float32")
    monkeypatch.setattr(engine, "ENABLED", True)
    used = []
    real = engine.FusedPlan.fit_epochs

    def spy(self, *args, **kwargs):
        used.append(self.model.name)
        return real(self, *args, **kwargs)
    monkeypatch.setattr(engine.FusedPlan, "fit_epochs", spy)
    plain = _model("binary_confusion", "float32")
    plain.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    plain.fit(x, y, epochs=2, verbose=0, validation_split=0.2)
    rich = _model("binary_confusion", "float32")
    rich.fit(x, y, epochs=2, verbose=0, validation_split=0.2)
    assert used == [plain.name]
    assert rich._engine.fit_plan is not None and rich._engine.why is None


# ---------------------------------------------------------------- the C entry points
def _reference_forward(model, x):
    """The model's outputs by NumPy (relu hidden layer, then the output activation)."""
    (k0, b0), (k1, b1) = model.layers[0].get_weights(), model.layers[1].get_weights()
    h = np.maximum(x.astype(np.float64) @ k0 + b0, 0.0)
    z = h @ k1 + b1
    act = model.layers[1].activation_name
    if act == "softmax":
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    if act == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    return z


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ["categorical", "binary_confusion", "regression"])
def test_train_steps_out_writes_each_steps_outputs(case, dtype, monkeypatch):
    """fnn_train_steps_out: step s's outputs at rows s * batch, the last activation applied
    (folded softmax / sigmoid heads too); at learning rate 0 the weights stay, so they
    are the forward of the step's rows: the layer path's bits, and NumPy's values. The
    statistics are those of fnn_train_steps."""
    monkeypatch.setattr(engine, "ENABLED", True)
    kind = CASES[case][0]
    x, y = _data(kind, dtype, n=50)
    m = _model(case, dtype, optimizer=keras.optimizers.SGD(0.0))
    m.evaluate(x, y, verbose=0)
    plan = engine.plan_for(m, x, training=True)
    assert plan is not None and plan.py_metrics
    batch, steps = 16, 4
    perm = np.random.default_rng(5).permutation(50).astype(np.int64)
    ws = plan.take_workspace(batch)
    y2 = plan.y2d(y)
    stats = np.zeros((steps, 5))
    y_pred = np.full((steps * batch, plan.n_out), np.nan, dtype)
    rc, done = plan.net.train_steps(ws, batch, x, y2, None, perm, 0, steps, 0,
                                    np.zeros(steps), stats, y_pred=y_pred)
    assert (rc, done) == (0, 4)
    stats_plain = np.zeros((steps, 5))
    plan.net.train_steps(ws, batch, x, y2, None, perm, 0, steps, 0, np.zeros(steps),
                         stats_plain)
    np.testing.assert_array_equal(stats, stats_plain)
    assert np.isnan(y_pred[50:]).all()            # the last step has 2 rows
    ref = _reference_forward(m, x[perm])
    layer_path = np.asarray(m._forward(x[perm], training=False))
    np.testing.assert_array_equal(y_pred[:50], layer_path)
    np.testing.assert_allclose(y_pred[:50], ref, rtol=1e-5 if dtype == "float32" else 1e-12,
                               atol=1e-6 if dtype == "float32" else 1e-13)
    with pytest.raises(ValueError, match="y_pred must have at least 50 rows"):
        plan.net.train_steps(ws, batch, x, y2, None, perm, 0, steps, 0, np.zeros(steps),
                             stats, y_pred=y_pred[:40])
    with pytest.raises(ValueError, match="y_pred"):
        plan.net.train_steps(ws, batch, x, y2, None, perm, 0, steps, 0, np.zeros(steps),
                             stats, y_pred=np.zeros((64, plan.n_out + 1), dtype))
    plan.give_workspace(batch, ws)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", ["categorical", "binary_logits"])
@pytest.mark.parametrize("n", [50, 700])       # 700: the row-parallel forward
def test_evaluate_out_adds_up_over_row_ranges(case, n, dtype, monkeypatch):
    """fnn_evaluate_out adds to the statistics: calls over consecutive whole-batch row
    ranges sum bitwise as one fnn_evaluate; the outputs are the layer path's bits and
    NumPy's values."""
    monkeypatch.setattr(engine, "ENABLED", True)
    kind = CASES[case][0]
    x, y = _data(kind, dtype, n=n)
    m = _model(case, dtype)
    m.evaluate(x, y, verbose=0)
    plan = engine.plan_for(m, x)
    batch = 16
    ws = plan.take_workspace(batch)
    y2 = plan.y2d(y)
    whole = np.zeros(5)
    assert plan.net.evaluate(ws, batch, x, y2, None, whole)
    parts = np.zeros(5)
    y_pred = np.empty((n, plan.n_out), dtype)
    cut = (n // 2) // batch * batch
    for r0, r1 in ((0, cut), (cut, n)):
        assert plan.net.evaluate_out(ws, batch, x[r0:r1], y2[r0:r1], None, parts,
                                     y_pred[r0:r1])
    np.testing.assert_array_equal(parts, whole)
    np.testing.assert_array_equal(y_pred, np.asarray(m._forward(x, training=False)))
    np.testing.assert_allclose(y_pred, _reference_forward(m, x),
                               rtol=1e-5 if dtype == "float32" else 1e-12,
                               atol=1e-6 if dtype == "float32" else 1e-13)
    with pytest.raises(ValueError, match=r"y_pred must have shape \(50, "):
        plan.net.evaluate_out(ws, batch, x[:50], y2[:50], None, parts, y_pred[:49])
    plan.give_workspace(batch, ws)


def _batches(x, y, batch):
    """An endless generator of (x, y) batches in order, as a user's data pipeline."""
    while True:
        for r0 in range(0, x.shape[0], batch):
            yield x[r0:r0 + batch], y[r0:r0 + batch]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_generator_input_runs_a_c_call_per_batch(dtype, monkeypatch):
    """Data from a generator (the data adapters): one engine call per batch
    (train_on_batch's), the metrics computed from its outputs; the layer path's numbers."""
    x, y = _data("onehot", dtype)
    calls = []
    for name in ("train_batch", "test_batch"):
        real = getattr(engine.FusedPlan, name)

        def spy(self, *args, _real=real, _name=name):
            calls.append(_name)
            return _real(self, *args)
        monkeypatch.setattr(engine.FusedPlan, name, spy)
    runs = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model("categorical", dtype)
        h = m.fit(_batches(x, y, 16), steps_per_epoch=8, epochs=2, verbose=0, shuffle=False)
        ev = m.evaluate(_batches(x[:48], y[:48], 16), steps=3, verbose=0, return_dict=True)
        if fused:
            assert m._engine.why is None
            assert calls == ["train_batch"] * 16 + ["test_batch"] * 3
        runs.append((m.get_weights(), h.history, ev, _state(m)))
    (wa, ha, ea, sa), (wb, hb, eb, sb) = runs
    for u, v in zip(wa, wb):
        np.testing.assert_array_equal(u, v)
    assert ha == hb and ea == eb
    _assert_same_state(sa, sb)


@pytest.mark.parametrize("k", [2, 3, 8, 10, 16, 17])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_engine_accuracy_argmax_takes_the_first_of_tied_maxima_on_every_kernel(k, dtype):
    """The engine's accuracy picks the first largest output of a row, as Keras' argmax,
    whether its vector argmax runs (rows of up to one vector, with the AVX-512 kernels)
    or its loop: ties, signed zeros and rows wider than a vector."""
    from fastnn import _kernels
    rng = np.random.default_rng(k)
    n = 257
    x = rng.integers(-2, 3, (n, k)).astype(dtype)       # many ties
    x[::7, 0] = -0.0
    x[::11] = 0.0                                        # whole rows of +0 ...
    x[::13, 1] = -0.0                                    # ... with a -0 in them
    want = np.argmax(x, axis=1)
    y = rng.integers(0, k, n)
    y[::3] = want[::3]
    model = keras.Sequential([layers.Input((k,), dtype=dtype),
                              layers.Dense(k, use_bias=False, dtype=dtype)])
    model.set_weights([np.eye(k, dtype=dtype)])       # the outputs are the inputs
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    expected = float(np.mean(want == y))
    had = _kernels.gemm_avx512_supported()
    try:
        for on in ((True, False) if had else (False,)):
            _kernels._gemm_set_avx512(on)
            got = model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
            assert model._engine.why is None
            assert got["accuracy"] == pytest.approx(expected, abs=1e-12), on
    finally:
        _kernels._gemm_set_avx512(had)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("loss, onehot", [("sparse_categorical_crossentropy", False),
                                          ("categorical_crossentropy", True)])
def test_accuracy_of_a_softmax_takes_ties_of_the_probabilities_not_the_logits(
        dtype, loss, onehot, monkeypatch):
    """A softmax folded into the loss: the engine has the logits, but accuracy is the
    argmax of the probabilities, whose rounding ties logits a hair apart (and then the
    first class wins, as on the layer path). Rows with logits one unit in the last place
    apart (tied probabilities), 1e-3 (not tied), exactly equal, large, and ordinary ones; evaluate
    and a training step's logs."""
    rng = np.random.default_rng(0)
    n, k = 96, 5
    x = rng.standard_normal((n, k)).astype(dtype)
    # the two largest logits one unit in the last place apart near 0.1: exp of the
    # difference rounds to 1, so the probabilities tie
    x[0::4] = -1
    x[0::4, 0] = np.array(0.1, dtype)
    x[0::4, 1] = np.nextafter(np.array(0.1, dtype), np.array(1, dtype))
    x[1::4, 2] = x[1::4, 3]                                    # equal
    x[2::8, 3] = x[2::8, 4] + 1e-3
    x[5] = [3e4, 3e4 + 1e-3, -3e4, 0.0, 3e4]                  # large ones
    y = rng.integers(0, k, n)
    y[0::4] = 1
    y[1::4] = 3
    labels = np.eye(k, dtype=dtype)[y] if onehot else y
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = keras.Sequential([layers.Input((k,), dtype=dtype),
                              layers.Dense(k, use_bias=False, activation="softmax",
                                           dtype=dtype)])
        m.set_weights([np.eye(k, dtype=dtype)])       # the logits are the inputs
        m.compile(optimizer=keras.optimizers.SGD(1e-30), loss=loss, metrics=["accuracy"])
        ev = m.evaluate(x, labels, batch_size=32, verbose=0, return_dict=True)
        assert (m._engine.plan is not None) == fused, m._engine.why
        h = m.fit(x[6:], labels[6:], batch_size=30, epochs=1, shuffle=False,
                  verbose=0).history
        out.append((ev["accuracy"], h["accuracy"]))
        p = m.predict(x, verbose=0)
    assert out[0] == out[1]
    want = float(np.mean(np.argmax(p, axis=1) == y))
    assert out[0][0] == pytest.approx(want, abs=1e-12)
    # the rows of logits an ulp apart: the first class, as the tied probabilities give
    assert np.all(np.argmax(p[0::4], axis=1) == 0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_accuracy_by_argmax_of_a_sigmoid_takes_ties_of_the_probabilities(dtype, monkeypatch):
    """"accuracy" on a sigmoid output of several units under binary_crossentropy is
    Keras' CategoricalAccuracy (by the output's shape): the argmax of the probabilities,
    which tie where the sigmoid saturates (the first unit wins, as on the layer path),
    not of the logits the engine has (it counted 0.75 here where the layer path counts
    0.25: found by tests/test_multi_output_differential.py's sweep)."""
    x = np.array([[40., 80.], [80., 160.], [-1., 2.], [3., -4.]], dtype)
    y = np.array([[0., 1.]] * 4, dtype)
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = keras.Sequential([layers.Input((2,), dtype=dtype),
                              layers.Dense(2, use_bias=False, activation="sigmoid",
                                           dtype=dtype)])
        m.set_weights([np.eye(2, dtype=dtype)])       # the logits are the inputs
        m.compile(optimizer=keras.optimizers.SGD(1e-30), loss="binary_crossentropy",
                  metrics=["accuracy"])
        ev = m.evaluate(x, y, verbose=0, return_dict=True)
        assert (m._engine.plan is not None) == fused, m._engine.why
        out.append(ev["accuracy"])
    assert out == [0.25, 0.25]


class _CrossEntropyOfProbabilities(keras.metrics.Metric):
    """A user's metric that calls Keras' loss function on what it is given, and records
    whether that carried logits."""

    def __init__(self, name="bce_of_probabilities", **kwargs):
        super().__init__(name=name, **kwargs)
        self.sum_ = self.add_variable(shape=(), initializer="zeros", name="sum")
        self.n_ = self.add_variable(shape=(), initializer="zeros", name="n")
        self.saw_logits = False

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.saw_logits |= getattr(y_pred, "_keras_logits", None) is not None
        self.sum_.assign(self.sum_ + keras.ops.mean(
            keras.losses.binary_crossentropy(y_true, y_pred)))
        self.n_.assign(self.n_ + 1)

    def result(self):
        return self.sum_ / self.n_


def test_a_metric_subclass_sees_the_probabilities_on_both_paths(monkeypatch):
    """A sigmoid output carries its logits for the losses; a Metric subclass gets the
    probabilities alone, on the layer path as on the engine (which has only those to
    give): its cross-entropy of saturated outputs is the clipped one on both."""
    rng = np.random.default_rng(0)
    x = 40 * rng.standard_normal((64, 4)).astype(np.float32)
    y = (rng.random((64, 1)) > 0.5).astype(np.float32)
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        keras.utils.set_random_seed(1)
        m = keras.Sequential([layers.Input((4,)), layers.Dense(4, activation="relu"),
                              layers.Dense(1, activation="sigmoid")])
        metric = _CrossEntropyOfProbabilities()
        m.compile(optimizer="adam", loss="binary_crossentropy", metrics=[metric])
        h = m.fit(x, y, batch_size=16, epochs=2, verbose=0).history
        assert (m._engine.plan is not None) == fused
        assert not metric.saw_logits
        out.append((h, m.evaluate(x, y, verbose=0, return_dict=True)))
    assert out[0] == out[1]
    # the loss takes the logits: far above the clipped cross-entropy the metric reports
    assert out[0][0]["loss"][0] > out[0][0]["bce_of_probabilities"][0] + 1


@pytest.mark.parametrize("rows,batch", [(1, 32), (40, 8)])     # one step an epoch, several
@pytest.mark.parametrize("epochs", [1, 3, 12])
def test_epoch_logs_in_python_and_with_numpy_agree(monkeypatch, rows, batch, epochs):
    """fit's epoch logs, made in Python for a few epochs and with NumPy for many: the same
    floats, also those of the layer-by-layer path, and the metrics left holding the last."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(rows, 6)).astype(np.float32)
    y = rng.integers(0, 4, rows)

    def run(few, fused=True):
        monkeypatch.setattr(engine, "_FEW_EPOCHS", few)
        monkeypatch.setattr(engine, "ENABLED", fused)
        keras.utils.set_random_seed(5)
        m = keras.Sequential([layers.Input((6,)), layers.Dense(5, activation="relu"),
                              layers.Dense(4)])
        m.compile(optimizer="adam", metrics=["accuracy", "mae"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        h = m.fit(x, y, batch_size=batch, epochs=epochs, verbose=0).history
        return h, {k: float(v) for k, v in m.get_metrics_result().items()}

    (h_py, r_py), (h_np, r_np) = run(10 ** 6), run(0)
    h_layer, r_layer = run(0, fused=False)
    assert sorted(h_py) == ["accuracy", "loss", "mae"] and len(h_py["loss"]) == epochs
    assert h_py == h_np == h_layer
    assert r_py == r_np == r_layer
    assert r_py == {k: v[-1] for k, v in h_py.items()}
