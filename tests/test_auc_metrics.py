"""AUC and the at-precision / at-recall metrics (Keras 3's confusion_metrics.py): a NumPy
reference, fit / evaluate, saving, string names and argument checks. Keras' own tests are
ported in tests/conformance/test_auc_metrics.py."""
import warnings

import numpy as np
import pytest

import fastnn as keras
from fastnn import layers, metrics

EPS = 1e-7


def _confusion(y_true, y_pred, thresholds, w=None):
    """(tp, fp, tn, fn), one per threshold, by the plain comparison pred > t (float64)."""
    y_true = np.asarray(y_true, bool).reshape(-1)
    y_pred = np.asarray(y_pred, np.float64).reshape(-1)
    w = np.ones(y_true.shape) if w is None else np.asarray(w, np.float64).reshape(-1)
    above = y_pred[None, :] > np.asarray(thresholds)[:, None]
    tp = (above & y_true) @ w
    fp = (above & ~y_true) @ w
    return tp, fp, w[~y_true].sum() - fp, w[y_true].sum() - tp


def _div(a, b):
    return np.where(b == 0, 0.0, a / np.where(b == 0, 1.0, b))


def _thresholds(n):
    return np.array([-EPS] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + EPS])


def _roc_auc_reference(y_true, y_pred, n, w=None, summation="interpolation"):
    """The area under the thresholded ROC curve, as Keras sums it."""
    tp, fp, tn, fn = _confusion(y_true, y_pred, _thresholds(n), w)
    x, y = _div(fp, fp + tn), _div(tp, tp + fn)
    h = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
         "majoring": np.maximum(y[:-1], y[1:])}[summation]
    return float(np.sum((x[:-1] - x[1:]) * h))


def _exact_auc(y_true, y_pred, w=None):
    """The exact ROC area: the (weighted) probability that a positive scores above a
    negative, ties counting half."""
    y_true = np.asarray(y_true, bool)
    w = np.ones(y_true.shape) if w is None else np.asarray(w, np.float64)
    pos, neg = y_pred[y_true], y_pred[~y_true]
    wp, wn = w[y_true], w[~y_true]
    gt = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    return float(wp @ gt @ wn / (wp.sum() * wn.sum()))


def _sample(n, seed, noise=0.6):
    rng = np.random.default_rng(seed)
    score = rng.random(n)
    y = (score + noise * rng.normal(size=n) > 0.5).astype(np.float64)
    return y, score, rng.uniform(0.1, 3.0, n)


# ------------------------------------------------------------------ NumPy reference
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("num_thresholds", [3, 17, 200, 1000])
@pytest.mark.parametrize("summation", ["interpolation", "minoring", "majoring"])
@pytest.mark.parametrize("weighted", [False, True])
def test_roc_auc_matches_numpy_reference(dtype, num_thresholds, summation, weighted):
    y, p, w = _sample(500, num_thresholds)
    p = p.astype(dtype)
    m = metrics.AUC(num_thresholds=num_thresholds, summation_method=summation, dtype=dtype)
    m.update_state(y[:200], p[:200], sample_weight=w[:200] if weighted else None)
    m.update_state(y[200:], p[200:], sample_weight=w[200:] if weighted else None)
    want = _roc_auc_reference(y, p, num_thresholds, w if weighted else None, summation)
    tol = 1e-5 if dtype == "float32" else 1e-12
    assert float(m.result()) == pytest.approx(want, abs=tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("weighted", [False, True])
def test_roc_auc_approaches_the_exact_area(dtype, weighted):
    y, p, w = _sample(800, 7)
    p = p.astype(dtype)
    m = metrics.AUC(num_thresholds=5000, dtype=dtype)
    m.update_state(y, p, sample_weight=w if weighted else None)
    exact = _exact_auc(y, p.astype(np.float64), w if weighted else None)
    assert float(m.result()) == pytest.approx(exact, abs=2e-3)


def test_manual_thresholds_match_the_reference():
    y, p, w = _sample(300, 11)
    ts = [0.7, 0.1, 0.35, 0.5]
    m = metrics.AUC(thresholds=ts, dtype="float64")
    m.update_state(y, p, sample_weight=w)
    full = np.array([-EPS] + sorted(ts) + [1 + EPS])
    tp, fp, tn, fn = _confusion(y, p, full, w)
    x, h = _div(fp, fp + tn), _div(tp, tp + fn)
    want = np.sum((x[:-1] - x[1:]) * (h[:-1] + h[1:]) / 2)
    assert float(m.result()) == pytest.approx(want, abs=1e-12)


def test_pr_curves_match_the_reference():
    y, p, w = _sample(400, 13)
    n = 50
    tp, fp, tn, fn = _confusion(y, p, _thresholds(n), w)
    rec, prec = _div(tp, tp + fn), _div(tp, tp + fp)
    m = metrics.AUC(num_thresholds=n, curve="PR", summation_method="minoring", dtype="float64")
    m.update_state(y, p, sample_weight=w)
    want = np.sum((rec[:-1] - rec[1:]) * np.minimum(prec[:-1], prec[1:]))
    assert float(m.result()) == pytest.approx(want, abs=1e-12)
    # Davis & Goadrich's interpolation, Keras' closed form
    dtp = tp[:-1] - tp[1:]
    pp = tp + fp
    dp = pp[:-1] - pp[1:]
    slope = _div(dtp, np.maximum(dp, 0))
    intercept = tp[1:] - slope * pp[1:]
    ratio = np.where((pp[:-1] > 0) & (pp[1:] > 0), _div(pp[:-1], pp[1:]), 1.0)
    want = np.sum(_div(slope * (dtp + intercept * np.log(ratio)), tp[1:] + fn[1:]))
    m = metrics.AUC(num_thresholds=n, curve="PR", dtype="float64")
    m.update_state(y, p, sample_weight=w)
    assert float(m.result()) == pytest.approx(want, abs=1e-12)


def test_multi_label_and_label_weights():
    rng = np.random.default_rng(2)
    y = (rng.random((200, 3)) > 0.5).astype(float)
    p = np.clip(y * 0.3 + rng.random((200, 3)) * 0.7, 0, 1)
    per = [_roc_auc_reference(y[:, j], p[:, j], 200) for j in range(3)]
    m = metrics.AUC(multi_label=True, dtype="float64")
    m.update_state(y, p)
    assert float(m.result()) == pytest.approx(np.mean(per), abs=1e-12)
    m = metrics.AUC(multi_label=True, label_weights=[1.0, 0.0, 3.0], dtype="float64")
    m.update_state(y, p)
    assert float(m.result()) == pytest.approx((per[0] + 3 * per[2]) / 4, abs=1e-12)
    # not multi_label: every value one sample, weighted by its label's weight
    m = metrics.AUC(label_weights=[1.0, 0.0, 3.0], dtype="float64")
    m.update_state(y, p)
    lw = np.broadcast_to([1.0, 0.0, 3.0], y.shape)
    assert float(m.result()) == pytest.approx(_roc_auc_reference(y, p, 200, lw), abs=1e-12)


def test_from_logits_applies_a_sigmoid():
    y, p, _ = _sample(200, 3)
    logits = np.log(p / (1 - p))
    a, b = metrics.AUC(from_logits=True, dtype="float64"), metrics.AUC(dtype="float64")
    assert float(a(y, logits)) == pytest.approx(float(b(y, p)), abs=1e-12)


def test_at_metrics_match_the_reference():
    y, p, w = _sample(300, 5)
    n = 200
    ts = np.array([0.0] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1.0])
    tp, fp, tn, fn = _confusion(y, p, ts, w)
    rec, prec, spec = _div(tp, tp + fn), _div(tp, tp + fp), _div(tn, tn + fp)

    def best(constrained, value, dependent):
        return float(np.max(np.where(constrained >= value, dependent, 0.0), initial=0.0))
    cases = [(metrics.PrecisionAtRecall(0.8, dtype="float64"), best(rec, 0.8, prec)),
             (metrics.RecallAtPrecision(0.7, dtype="float64"), best(prec, 0.7, rec)),
             (metrics.SensitivityAtSpecificity(0.6, dtype="float64"), best(spec, 0.6, rec)),
             (metrics.SpecificityAtSensitivity(0.9, dtype="float64"), best(rec, 0.9, spec))]
    for m, want in cases:
        m.update_state(y, p, sample_weight=w)
        assert float(m.result()) == pytest.approx(want, abs=1e-12), m.name


# ------------------------------------------------------------------ fit / evaluate
def _data(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype("float32")
    y = (x[:, 0] + 0.7 * rng.normal(size=n) > 0.3).astype("float32")
    return x, y


def _model(units=1):
    return keras.Sequential([keras.Input(shape=(6,)), layers.Dense(8, activation="relu"),
                             layers.Dense(units, activation="sigmoid")])


def _several():
    return [metrics.AUC(name="auc"), metrics.AUC(curve="PR", name="pr_auc"),
            metrics.AUC(summation_method="majoring", num_thresholds=50, name="auc_maj"),
            metrics.PrecisionAtRecall(0.6, name="p_at_r"),
            metrics.RecallAtPrecision(0.6, name="r_at_p"),
            metrics.SensitivityAtSpecificity(0.5, name="sens"),
            metrics.SpecificityAtSensitivity(0.5, name="spec")]


def _standalone(x, y, pred, sample_weight=None):
    out = {}
    for m in _several():
        m.update_state(y, pred, sample_weight=sample_weight)
        out[m.name] = float(m.result())
    return out


def test_fit_evaluate_log_the_standalone_values():
    keras.utils.set_random_seed(1)
    x, y = _data(400, 0)
    xv, yv = _data(150, 1)
    model = _model()
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy",
                  metrics=_several())
    hist = model.fit(x, y, batch_size=64, epochs=2, validation_data=(xv, yv),
                     verbose=0).history
    want = _standalone(xv, yv, model.predict(xv, verbose=0))
    for key, value in want.items():
        assert hist["val_" + key][-1] == pytest.approx(value, abs=1e-5), key
    logs = model.evaluate(x, y, batch_size=50, verbose=0, return_dict=True)
    want = _standalone(x, y, model.predict(x, verbose=0))
    for key, value in want.items():
        assert logs[key] == pytest.approx(value, abs=1e-5), key
    assert 0.5 < logs["auc"] <= 1.0


def test_weighted_metrics_take_sample_weight():
    keras.utils.set_random_seed(2)
    x, y = _data(200, 4)
    sw = np.linspace(0.1, 2.0, 200)
    model = _model()
    model.compile(loss="binary_crossentropy", metrics=[metrics.AUC(name="auc")],
                  weighted_metrics=[metrics.AUC(name="wauc"),
                                    metrics.PrecisionAtRecall(0.5, name="wpr")])
    model.fit(x, y, epochs=1, verbose=0)
    logs = model.evaluate(x, y, sample_weight=sw, batch_size=200, verbose=0,
                          return_dict=True)
    pred = model.predict(x, verbose=0)
    assert logs["auc"] == pytest.approx(float(metrics.AUC()(y, pred)), abs=1e-6)
    assert logs["wauc"] == pytest.approx(float(metrics.AUC()(y, pred, sample_weight=sw)),
                                         abs=1e-6)
    assert logs["wpr"] == pytest.approx(
        float(metrics.PrecisionAtRecall(0.5)(y, pred, sample_weight=sw)), abs=1e-6)


@pytest.mark.parametrize("name", ["auc", "AUC"])
def test_string_name_in_compile(name):
    keras.utils.set_random_seed(3)
    x, y = _data(120, 2)
    model = _model()
    model.compile(loss="binary_crossentropy", metrics=[name])
    model.fit(x, y, epochs=1, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs[name] == pytest.approx(float(metrics.AUC()(y, model.predict(x, verbose=0))),
                                       abs=1e-5)


def test_multi_label_auc_logs_one_number():
    keras.utils.set_random_seed(4)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(160, 6)).astype("float32")
    y = (x[:, :3] + rng.normal(size=(160, 3)) > 0).astype("float32")
    model = _model(3)
    model.compile(loss="binary_crossentropy",
                  metrics=[metrics.AUC(multi_label=True, name="mauc"),
                           metrics.AUC(multi_label=True, num_labels=3,
                                       label_weights=[1, 2, 0], name="lwauc")])
    model.fit(x, y, epochs=1, verbose=0)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    pred = model.predict(x, verbose=0)
    assert logs["mauc"] == pytest.approx(float(metrics.AUC(multi_label=True)(y, pred)),
                                         abs=1e-5)
    assert logs["lwauc"] == pytest.approx(
        float(metrics.AUC(multi_label=True, label_weights=[1, 2, 0])(y, pred)), abs=1e-5)


def test_saved_model_keeps_the_metrics(tmp_path):
    keras.utils.set_random_seed(5)
    x, y = _data(100, 3)
    model = _model()
    model.compile(optimizer="adam", loss="binary_crossentropy",
                  metrics=_several()[1:4] + ["auc", metrics.AUC(
                      thresholds=[0.2, 0.4, 0.9], name="auc_t")])
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "m.keras"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.save(path)
    loaded = keras.models.load_model(path)
    a = model.evaluate(x, y, verbose=0, return_dict=True)
    b = loaded.evaluate(x, y, verbose=0, return_dict=True)
    assert a == b
    assert loaded.get_compile_config()["metrics"] == model.get_compile_config()["metrics"]


@pytest.mark.parametrize("metric", [
    metrics.AUC(num_thresholds=30, curve="PR", summation_method="minoring", name="a",
                dtype="float64"),
    metrics.AUC(thresholds=[0.1, 0.6], multi_label=True, num_labels=2,
                label_weights=[0.5, 1.5], from_logits=True),
    metrics.PrecisionAtRecall(0.3, num_thresholds=7, class_id=1),
    metrics.RecallAtPrecision(0.9), metrics.SensitivityAtSpecificity(0.1, name="s"),
    metrics.SpecificityAtSensitivity(1.0, num_thresholds=1)], ids=lambda m: m.name)
def test_serialize_round_trip(metric):
    again = metrics.get(metrics.serialize(metric))
    assert type(again) is type(metric)
    assert again.get_config() == metric.get_config()
    assert type(metric).from_config(metric.get_config()).get_config() == metric.get_config()


def test_names_and_defaults():
    assert metrics.AUC().name == "auc"
    assert metrics.PrecisionAtRecall(0.5).name == "precision_at_recall"
    assert metrics.RecallAtPrecision(0.5).name == "recall_at_precision"
    assert metrics.SensitivityAtSpecificity(0.5).name == "sensitivity_at_specificity"
    assert metrics.SpecificityAtSensitivity(0.5).name == "specificity_at_sensitivity"
    assert type(metrics.get("auc")) is metrics.AUC and "auc" in metrics.known_names()
    assert metrics.AUC().get_config() == {
        "name": "auc", "dtype": "float32", "num_thresholds": 200, "curve": "ROC",
        "summation_method": "interpolation", "multi_label": False, "num_labels": None,
        "label_weights": None, "from_logits": False}
    assert len(metrics.AUC(num_thresholds=5).thresholds) == 5
    with pytest.raises(TypeError, match=r"'precision_at_recall' \(PrecisionAtRecall\) needs "
                                        r"the argument `recall`"):
        metrics.get("precision_at_recall")
    m = metrics.AUC()
    m.update_state([0, 1, 1], [0.2, 0.8, 0.1])
    m.reset_state()
    assert float(m.result()) == 0.0
    assert all(not np.asarray(v).any() for v in m.variables)


# ------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize("make,exc,match", [
    (lambda: metrics.AUC(num_thresholds=1), ValueError,
     r"AUC: Argument `num_thresholds` must be an integer > 1. Received: num_thresholds=1"),
    (lambda: metrics.AUC(num_thresholds=2.5), TypeError, r"AUC: num_thresholds must be an int"),
    (lambda: metrics.AUC(curve="XY"), ValueError,
     r'Invalid AUC curve value: "XY". Expected values are \["PR", "ROC", "PRGAIN"\]'),
    (lambda: metrics.AUC(summation_method="mid"), ValueError,
     r'Invalid AUC summation method value: "mid". Expected values are'),
    (lambda: metrics.AUC(thresholds=[0.5, 1.2]), ValueError,
     r"AUC: Threshold values must be in \[0, 1\]. Received: \[1.2\]"),
    (lambda: metrics.AUC(num_labels=3), ValueError,
     r"`num_labels` is needed only when `multi_label` is True"),
    (lambda: metrics.AUC(multi_label="yes"), TypeError, r"AUC: multi_label must be True or False"),
    (lambda: metrics.AUC(from_logits=1), TypeError, r"AUC: from_logits must be True or False"),
    (lambda: metrics.AUC(label_weights=[1.0, -1.0]), ValueError,
     r"AUC: label_weights must be a 1-d list of weights >= 0"),
    (lambda: metrics.AUC(dtype="int32"), ValueError, r"dtype must be a floating dtype"),
    (lambda: metrics.PrecisionAtRecall(1.5), ValueError,
     r"PrecisionAtRecall: Argument `recall` must be in the range \[0, 1\]. Received: recall=1.5"),
    (lambda: metrics.RecallAtPrecision(-0.1), ValueError,
     r"Argument `precision` must be in the range \[0, 1\]. Received: precision=-0.1"),
    (lambda: metrics.SensitivityAtSpecificity(float("nan")), ValueError,
     r"`specificity` must be in the range \[0, 1\]"),
    (lambda: metrics.SpecificityAtSensitivity("0.5"), TypeError,
     r"SpecificityAtSensitivity: Argument `sensitivity` must be a number in the range "
     r"\[0, 1\], got str '0.5'"),
    (lambda: metrics.PrecisionAtRecall(0.5, num_thresholds=0), ValueError,
     r"Argument `num_thresholds` must be an integer > 0. Received: num_thresholds=0"),
    (lambda: metrics.PrecisionAtRecall(0.5, class_id=-1), ValueError,
     r"class_id must be an int >= 0"),
])
def test_bad_constructor_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


def test_bad_update_arguments():
    m = metrics.AUC(multi_label=True)
    with pytest.raises(ValueError, match=r"`y_pred` must have rank 2 when `multi_label=True`"):
        m.update_state(np.zeros((2, 2, 2)), np.zeros((2, 2, 2)))
    m.update_state(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"y_pred must have shape \(batch, 3\)"):
        m.update_state(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r"y_true must have the shape of y_pred"):
        metrics.AUC().update_state(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"label_weights \(2\) must broadcast"):
        metrics.AUC(label_weights=[1, 2]).update_state(np.zeros((2, 3)), np.zeros((2, 3)))
