"""Confusion-matrix metrics (TruePositives, FalsePositives, TrueNegatives, FalseNegatives,
Precision, Recall): a NumPy reference over random data, compile / fit / evaluate on both
training paths, saving, and bad arguments. Keras' own tests are in
tests/conformance/test_confusion_metrics.py."""
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

import fastnn as keras
from fastnn import layers, metrics

COUNTS = (metrics.TruePositives, metrics.FalsePositives, metrics.TrueNegatives,
          metrics.FalseNegatives)
ALL = COUNTS + (metrics.Precision, metrics.Recall)


# ---------------------------------------------------------------- NumPy reference
def _even(ts):
    n = len(ts)
    return n >= 3 and np.allclose(ts, np.arange(n, dtype=np.float32) / (n - 1), atol=1e-7)


def reference(y_true, y_pred, thresholds, sample_weight=None, dtype="float32", top_k=None,
              class_id=None):
    """(tp, fp, tn, fn) per threshold, written out plainly: a prediction is positive
    when above the threshold (compared in the metric's dtype); top_k keeps the k highest
    of a row; class_id takes one column."""
    dt = np.dtype(dtype)
    yt = np.asarray(y_true, np.float64).astype(dt) != 0
    yp = np.asarray(y_pred, np.float64).astype(dt)
    w = np.ones(yp.shape) if sample_weight is None else \
        np.broadcast_to(np.asarray(sample_weight, np.float64), yp.shape)
    keep = np.ones(yp.shape, bool)
    if top_k is not None:
        for idx in np.ndindex(yp.shape[:-1]):
            row = yp[idx]
            order = sorted(range(len(row)), key=lambda j: (-row[j], j))[:top_k]
            keep[idx] = False
            keep[idx + (order,)] = True
    if class_id is not None:
        yt, yp, w, keep = (a[..., class_id] for a in (yt, yp, w, keep))
    if _even(thresholds):          # Keras counts by buckets then: predictions clipped
        yp = np.clip(yp, 0, 1)
    out = []
    for t in np.asarray(thresholds, dt):
        pos = keep & (yp > t)
        out.append([w[yt & pos].sum(), w[~yt & pos].sum(), w[~yt & ~pos].sum(),
                    w[yt & ~pos].sum()])
    return np.array(out).T


def _ratio(a, b):
    return np.where(a + b == 0, 0.0, a / np.where(a + b == 0, 1, a + b))


def _results(ms):
    return [np.atleast_1d(np.asarray(m.result(), np.float64)) for m in ms]


@st.composite
def _cases(draw):
    n = draw(st.integers(0, 40))
    cols = draw(st.sampled_from([None, 1, 3]))
    shape = (n,) if cols is None else (n, cols)
    size = int(np.prod(shape))
    y_true = np.array(draw(st.lists(st.sampled_from([0.0, 1.0, 2.0]), min_size=size,
                                    max_size=size))).reshape(shape)
    grid = st.one_of(st.floats(-0.5, 1.5, width=32), st.sampled_from([0.0, 0.25, 0.5, 1.0]))
    y_pred = np.array(draw(st.lists(grid, min_size=size, max_size=size))).reshape(shape)
    thresholds = draw(st.one_of(
        st.none(), st.floats(0, 1), st.lists(st.floats(0, 1), min_size=1, max_size=5),
        st.sampled_from([[0.0, 0.5, 1.0], [0.0, 0.25, 0.5, 0.75, 1.0]])))
    sw = draw(st.sampled_from(["none", "scalar", "sample", "value"]))
    if sw == "none":
        weights = None
    elif sw == "scalar":
        weights = draw(st.floats(0, 10))
    else:
        wshape = (n,) if sw == "sample" else shape
        weights = np.array(draw(st.lists(st.floats(-2, 10), min_size=int(np.prod(wshape)),
                                         max_size=int(np.prod(wshape))))).reshape(wshape)
    return y_true, y_pred, thresholds, weights


def _ref_weights(weights, y_pred):
    if weights is None or np.ndim(weights) == 0 or np.shape(weights) == np.shape(y_pred):
        return weights
    return np.asarray(weights).reshape(-1, *([1] * (np.ndim(y_pred) - 1)))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_cases(), batches=st.integers(1, 3))
def test_matches_numpy_reference(dtype, case, batches):
    y_true, y_pred, thresholds, weights = case
    ts = [0.5] if thresholds is None else list(np.atleast_1d(thresholds))
    t32 = np.asarray(ts, dtype)
    # exactly at a threshold, the buckets Keras counts evenly spaced thresholds by may
    # round the other way: no such prediction when the thresholds are evenly spaced
    if _even(ts):
        assume(not np.any(np.abs(np.asarray(y_pred, dtype)[..., None] - t32) < 1e-6))
    y_pred = y_pred.astype(dtype)
    ms = [cls(thresholds=thresholds, dtype=dtype) for cls in ALL]
    for _ in range(batches):
        for m in ms:
            m.update_state(y_true, y_pred, sample_weight=weights)
    tp, fp, tn, fn = reference(y_true, y_pred, ts, _ref_weights(weights, y_pred), dtype) * batches
    want = [tp, fp, tn, fn, _ratio(tp, fp), _ratio(tp, fn)]
    tol = dict(rtol=1e-5, atol=1e-4) if dtype == "float32" else dict(rtol=1e-12, atol=1e-9)
    for m, got, w in zip(ms, _results(ms), want):
        if isinstance(m, (metrics.Precision, metrics.Recall)) and dtype == "float32":
            # a ratio of float32 sums: near-cancelling negative weights make it unstable
            den = (tp + (fp if isinstance(m, metrics.Precision) else fn))
            ok = np.abs(den) > 1e-2
            np.testing.assert_allclose(got[ok], w[ok], rtol=1e-4, atol=1e-4)
        else:
            np.testing.assert_allclose(got, w, **tol)
        assert np.asarray(m.variables[0]).dtype == np.dtype(dtype)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(0, 20), k=st.integers(2, 5), data=st.data())
def test_top_k_and_class_id_match_numpy_reference(n, k, data):
    y_true = np.array(data.draw(st.lists(st.sampled_from([0, 1]), min_size=n * k,
                                         max_size=n * k))).reshape(n, k)
    y_pred = np.array(data.draw(st.lists(st.sampled_from([0.0, 0.1, 0.3, 0.6, 0.9]),
                                         min_size=n * k, max_size=n * k))).reshape(n, k)
    top_k = data.draw(st.one_of(st.none(), st.integers(1, k)))
    class_id = data.draw(st.one_of(st.none(), st.integers(0, k - 1)))
    thresholds = data.draw(st.one_of(st.none(), st.sampled_from([0.2, [0.0, 0.5], 0.95])))
    ts = ([0.5] if top_k is None else [-1e10]) if thresholds is None else \
        list(np.atleast_1d(thresholds))
    tp, fp, _, fn = reference(y_true, y_pred, ts, top_k=top_k, class_id=class_id)
    p = metrics.Precision(thresholds, top_k=top_k, class_id=class_id)
    r = metrics.Recall(thresholds, top_k=top_k, class_id=class_id)
    for m in (p, r):
        m.update_state(y_true, y_pred)
    np.testing.assert_allclose(np.atleast_1d(np.asarray(p.result())), _ratio(tp, fp), rtol=1e-6)
    np.testing.assert_allclose(np.atleast_1d(np.asarray(r.result())), _ratio(tp, fn), rtol=1e-6)
    np.testing.assert_array_equal(p.true_positives, tp)
    np.testing.assert_array_equal(p.false_positives, fp)
    np.testing.assert_array_equal(r.false_negatives, fn)


# ------------------------------------------------------------ standalone behaviour
def test_result_types_reset_and_keras_details():
    m = metrics.Precision()
    r = m([0, 1, 1, 1], [1, 0, 1, 1])
    assert isinstance(r, float) and r == pytest.approx(2 / 3) and r.numpy() == r
    assert r == float(np.float32(2) / np.float32(3))       # divided in float32, as Keras
    m.reset_state()
    assert m.result() == 0.0 and list(m.true_positives) == [0.0]
    several = metrics.TruePositives(thresholds=[0.3, 0.6])
    out = several([1, 1, 0], [0.4, 0.9, 0.7])
    assert out.shape == (2,) and list(out) == [2.0, 1.0]
    assert "result=[" in repr(several)
    # predictions are not clipped (thresholds that are not evenly spaced) ...
    assert metrics.TruePositives(thresholds=[0.0, 1.0])([1, 1], [1.5, -0.5]).tolist() == [1, 1]
    # ... but Keras' bucket count of evenly spaced thresholds clips them to [0, 1]
    assert metrics.TruePositives(thresholds=[0.0, 0.5, 1.0])([1, 1], [1.5, -0.5]).tolist() == [1, 1, 0]
    # NaN predictions are below every threshold; labels are true when nonzero
    assert metrics.FalseNegatives()([1, 2, -1, 0], [np.nan, 0.2, 0.9, 0.1]) == 2.0
    # (N,) labels against (N, 1) outputs, and the other way round
    assert metrics.Recall()(np.array([1, 0, 1]), np.array([[0.9], [0.8], [0.1]])) == 0.5
    assert metrics.Recall()(np.array([[1], [0], [1]]), np.array([0.9, 0.8, 0.1])) == 0.5
    # an empty batch counts nothing
    assert metrics.TrueNegatives()(np.zeros((0, 1)), np.zeros((0, 1))) == 0.0


def test_config_round_trip_and_names():
    for cls in ALL:
        m = cls(thresholds=0.3, name="x", dtype="float64")
        cfg = m.get_config()
        assert cfg["thresholds"] == 0.3 and cfg["dtype"] == "float64" and cfg["name"] == "x"
        back = metrics.get(metrics.serialize(m))
        assert type(back) is cls and back.get_config() == cfg
    assert metrics.TruePositives().get_config() == {"name": "true_positives",
                                                    "dtype": "float32", "thresholds": None}
    assert metrics.Precision(top_k=2, class_id=1).get_config() == {
        "name": "precision", "dtype": "float32", "thresholds": None, "top_k": 2, "class_id": 1}
    assert metrics.Recall(thresholds=(0.25, 0.75)).get_config()["thresholds"] == [0.25, 0.75]
    for name, cls in [("precision", metrics.Precision), ("recall", metrics.Recall),
                      ("true_positives", metrics.TruePositives),
                      ("false_positives", metrics.FalsePositives),
                      ("true_negatives", metrics.TrueNegatives),
                      ("false_negatives", metrics.FalseNegatives),
                      ("Precision", metrics.Precision), ("TrueNegatives", metrics.TrueNegatives)]:
        m = metrics.get(name)
        assert type(m) is cls and m.name == name
        assert name in metrics.known_names()
    assert [v.name for v in metrics.FalseNegatives().variables] == ["accumulator"]


# ------------------------------------------------------------------- fit / evaluate
def _data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    y = (x[:, 0] + 0.5 * rng.normal(size=n) > 0.9).astype("float32")
    return x, y


def _six():
    return [metrics.FalseNegatives(name="fn"), metrics.FalsePositives(name="fp"),
            metrics.TrueNegatives(name="tn"), metrics.TruePositives(name="tp"),
            metrics.Precision(name="precision"), metrics.Recall(name="recall")]


def _expected(model, x, y):
    pred = model.predict(x, verbose=0).reshape(-1) > np.float32(0.5)
    pos = y.reshape(-1) != 0
    tp, fp = float(np.sum(pred & pos)), float(np.sum(pred & ~pos))
    tn, fn = float(np.sum(~pred & ~pos)), float(np.sum(~pred & pos))
    return {"tp": tp, "fp": fp, "tn": tn, "fn": fn,
            "precision": tp / (tp + fp) if tp + fp else 0.0,
            "recall": tp / (tp + fn) if tp + fn else 0.0}


def _sequential():
    return keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, activation="relu"),
                             layers.Dense(1, activation="sigmoid")])


def _functional():
    inp = keras.Input(shape=(6,))
    h = layers.Dense(8, activation="relu")(inp)
    h = layers.Dense(4, activation="tanh")(h)
    return keras.Model(inp, layers.Dense(1, activation="sigmoid")(h))


@pytest.mark.parametrize("build", [_sequential, _functional], ids=["sequential", "functional"])
def test_fit_evaluate_logs_match_numpy(build):
    keras.utils.set_random_seed(3)
    x, y = _data(400, 0)
    xv, yv = _data(150, 1)
    model = build()
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy",
                  metrics=_six())
    hist = model.fit(x, y, batch_size=64, epochs=3, class_weight={0: 0.6, 1: 3.0},
                     validation_data=(xv, yv), verbose=0).history
    for key in ("tp", "fp", "tn", "fn", "precision", "recall"):
        assert key in hist and "val_" + key in hist
    # metrics= are not weighted (Keras' weighted_metrics would be): plain counts
    assert sum(hist[k][-1] for k in ("tp", "fp", "tn", "fn")) == 400
    want = _expected(model, xv, yv)     # validation ran on the final weights
    for key, value in want.items():
        assert hist["val_" + key][-1] == pytest.approx(value, abs=1e-6), key
    logs = model.evaluate(x, y, batch_size=50, verbose=0, return_dict=True)
    want = _expected(model, x, y)
    for key in ("tp", "fp", "tn", "fn"):
        assert logs[key] == want[key]
    for key in ("precision", "recall"):
        assert logs[key] == pytest.approx(want[key], rel=1e-6)
    # evaluate again: the state restarts
    assert model.evaluate(x, y, verbose=0, return_dict=True)["tp"] == want["tp"]


def test_string_names_in_compile_and_sample_weight_in_evaluate():
    keras.utils.set_random_seed(4)
    x, y = _data(120, 2)
    model = _sequential()
    model.compile(loss="binary_crossentropy", metrics=["precision", "recall", "true_positives"])
    model.fit(x, y, epochs=1, verbose=0)
    logs = model.evaluate(x, y, sample_weight=np.linspace(0, 2, 120), verbose=0,
                          return_dict=True)
    want = _expected(model, x, y)
    assert logs["true_positives"] == want["tp"]        # metrics= ignore sample weights
    assert logs["precision"] == pytest.approx(want["precision"], rel=1e-6)


def test_compiled_metric_with_several_thresholds_logs_an_array():
    """As Keras: one value per threshold in the logs, as a NumPy array."""
    x, y = _data(120, 3)
    model = _sequential()
    model.compile(loss="mse", metrics=[metrics.Precision(thresholds=[0.3, 0.6])])
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    ref = metrics.Precision(thresholds=[0.3, 0.6])
    ref.update_state(y, model.predict(x, verbose=0))
    assert isinstance(logs["precision"], np.ndarray) and logs["precision"].shape == (2,)
    np.testing.assert_allclose(logs["precision"], ref.result(), rtol=1e-6)


def test_compile_metrics_object_takes_sample_weight():
    model = _sequential()
    model.compile(loss="binary_crossentropy", metrics=[metrics.TruePositives(name="tp")])
    y = np.array([1.0, 1.0, 0.0])
    p = np.array([[0.9], [0.8], [0.7]])
    model.compiled_metrics.update_state(y, p, sample_weight=np.array([2.0, 0.5, 1.0]))
    assert float(model.compiled_metrics.result()["tp"]) == 2.5


def test_saved_model_keeps_the_metrics(tmp_path):
    keras.utils.set_random_seed(5)
    x, y = _data(100, 3)
    model = _sequential()
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=_six() + [metrics.Recall(thresholds=0.3, name="r30"), "precision"])
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # saved with its compile settings
        model.save(path)
    loaded = keras.models.load_model(path)
    a = model.evaluate(x, y, verbose=0, return_dict=True)
    b = loaded.evaluate(x, y, verbose=0, return_dict=True)
    assert a == b
    assert loaded.get_compile_config()["metrics"] == model.get_compile_config()["metrics"]


# ------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize("make,exc,match", [
    (lambda: metrics.TruePositives(thresholds=-0.1), ValueError,
     r"TruePositives: Threshold values must be in \[0, 1\]. Received: \[-0.1\] \(thresholds=-0.1\)"),
    (lambda: metrics.Precision(thresholds=[0.2, 1.5]), ValueError,
     r"Precision: Threshold values must be in \[0, 1\]. Received: \[1.5\]"),
    (lambda: metrics.Recall(thresholds=float("nan")), ValueError, r"Received: \[nan\]"),
    (lambda: metrics.FalsePositives(thresholds="0.5"), TypeError,
     r"FalsePositives: thresholds must be a float or a list of floats in \[0, 1\], got str '0.5'"),
    (lambda: metrics.FalseNegatives(thresholds=[0.5, "x"]), TypeError,
     r"thresholds must be a float or a list of floats in \[0, 1\], got str 'x'"),
    (lambda: metrics.TrueNegatives(thresholds=True), TypeError, r"got bool True"),
    (lambda: metrics.TruePositives(thresholds=[]), ValueError,
     r"thresholds must hold at least one threshold"),
    (lambda: metrics.TruePositives(thresholds=[[0.5]]), TypeError, r"got list \[0.5\]"),
    (lambda: metrics.Precision(top_k=0), ValueError, r"Precision: top_k must be an int >= 1, got 0"),
    (lambda: metrics.Recall(top_k=1.5), TypeError, r"Recall: top_k must be an int >= 1 or None, got float 1.5"),
    (lambda: metrics.Precision(class_id=-1), ValueError, r"Precision: class_id must be an int >= 0, got -1"),
    (lambda: metrics.Recall(class_id="1"), TypeError, r"class_id must be an int >= 0 or None, got str"),
    (lambda: metrics.TruePositives(dtype="int32"), ValueError, r"dtype must be a floating dtype"),
    (lambda: metrics.TruePositives(name=3), TypeError, r"TruePositives: name must be a str"),
])
def test_bad_constructor_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


@pytest.mark.parametrize("call,exc,match", [
    (lambda: metrics.TruePositives().update_state([1, 0], [0.5, 0.5, 0.5]), ValueError,
     r"TruePositives.update_state: y_true must have the shape of y_pred \(3,\)"),
    (lambda: metrics.Precision().update_state([1, 0, 1, 0], [[0.5, 0.5], [0.2, 0.1]]), ValueError,
     r"y_true must have the shape of y_pred \(2, 2\)"),
    (lambda: metrics.Recall().update_state([1, 0], [0.5, 0.5], sample_weight=[1, 2, 3]), ValueError,
     r"Recall.update_state: sample_weight must broadcast to the shape of y_true \(2,\)"),
    (lambda: metrics.Recall().update_state([1, 0], [0.5, 0.5], sample_weight=[1, np.nan]), ValueError,
     r"sample_weight must be finite, got 1 NaN/Inf value"),
    (lambda: metrics.FalsePositives().update_state([1, np.inf], [0.5, 0.5]), ValueError,
     r"y_true must be finite"),
    (lambda: metrics.FalsePositives().update_state(["a", "b"], [0.5, 0.5]), TypeError,
     r"y_true must be an array of real numbers"),
    (lambda: metrics.Precision(class_id=3).update_state(np.zeros((2, 3)), np.zeros((2, 3))),
     ValueError, r"class_id must be less than the number of classes \(the last axis of y_pred, 3\), got 3"),
    (lambda: metrics.Precision(top_k=4).update_state(np.zeros((2, 3)), np.zeros((2, 3))),
     ValueError, r"top_k must be at most the size of the last axis of y_pred, got top_k=4"),
    (lambda: metrics.Recall(class_id=0).update_state(1.0, 0.5), ValueError,
     r"When class_id is provided, y_pred must be a 2D array"),
])
def test_bad_update_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_failed_update_changes_nothing():
    m = metrics.TruePositives()
    m.update_state([1, 1], [0.9, 0.9])
    with pytest.raises(ValueError):
        m.update_state([1, 1], [0.9, 0.9], sample_weight=[1.0, np.inf])
    assert m.result() == 2.0
