"""The Keras 3 metrics added to fastnn.metrics (Accuracy, Sum, MeanMetricWrapper, the
probabilistic, regression, hinge and F-score metrics): each against a NumPy reference
(float32 and float64, with and without sample weights), in compile + fit / evaluate (the
logged value equals NumPy on model.predict), as weighted_metrics, saved with a model, by
their string names, and refusing bad arguments with an error naming them."""
import math

import numpy as np
import pytest

import fastnn
from fastnn import layers, metrics

EPS = 1e-7


# ------------------------------------------------------------------ NumPy references
def _ref_bce(t, p, from_logits=False, ls=0.0):
    t = t * (1 - ls) + 0.5 * ls
    if from_logits:
        p = 1 / (1 + np.exp(-p))
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)


def _ref_cce(t, p, from_logits=False, ls=0.0):
    t = t * (1 - ls) + ls / t.shape[-1]
    if from_logits:
        p = np.exp(p - p.max(-1, keepdims=True))
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -(t * np.log(p)).sum(-1)


def _ref_scce(labels, p, from_logits=False):
    return _ref_cce(np.eye(p.shape[-1])[labels.astype(int)], p, from_logits)


def _ref_hinge_labels(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def _unit(x):
    return x / np.sqrt(np.maximum((x * x).sum(-1, keepdims=True), 1e-12))


REFS = {
    "Accuracy": lambda t, p: (t == p).mean(-1),
    "BinaryCrossentropy": _ref_bce,
    "CategoricalCrossentropy": _ref_cce,
    "SparseCategoricalCrossentropy": _ref_scce,
    "KLDivergence": lambda t, p: (np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1)
                                                             / np.clip(p, EPS, 1))).sum(-1),
    "Poisson": lambda t, p: (p - t * np.log(p + EPS)).mean(-1),
    "MeanAbsolutePercentageError":
        lambda t, p: 100 * (np.abs(t - p) / np.maximum(np.abs(t), EPS)).mean(-1),
    "MeanSquaredLogarithmicError":
        lambda t, p: ((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2
                      ).mean(-1),
    "CosineSimilarity": lambda t, p: (_unit(t) * _unit(p)).sum(-1),
    "LogCoshError": lambda t, p: np.log(np.cosh(p - t)).mean(-1),
    "Hinge": lambda t, p: np.maximum(1 - _ref_hinge_labels(t) * p, 0).mean(-1),
    "SquaredHinge": lambda t, p: (np.maximum(1 - _ref_hinge_labels(t) * p, 0) ** 2).mean(-1),
    "CategoricalHinge": lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1,
                                                0),
}


def _data(name, dtype, rng):
    n, k = 12, 4
    if name == "Accuracy":
        t = rng.integers(0, 3, (n, k)).astype(dtype)
        return t, np.where(rng.random((n, k)) < 0.6, t, rng.integers(0, 3, (n, k))).astype(dtype)
    if name == "SparseCategoricalCrossentropy":
        p = rng.random((n, k)) + 0.05
        return rng.integers(0, k, n).astype(dtype), (p / p.sum(-1, keepdims=True)).astype(dtype)
    if name in ("CategoricalCrossentropy", "CategoricalHinge", "KLDivergence"):
        t = np.eye(k)[rng.integers(0, k, n)]
        p = rng.random((n, k)) + 0.05
        return t.astype(dtype), (p / p.sum(-1, keepdims=True)).astype(dtype)
    if name in ("BinaryCrossentropy", "Hinge", "SquaredHinge"):
        return rng.integers(0, 2, (n, k)).astype(dtype), rng.random((n, k)).astype(dtype)
    return (rng.random((n, k)) * 3 + 0.1).astype(dtype), (rng.random((n, k)) * 3 + 0.1).astype(dtype)


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(REFS))
def test_against_numpy(name, dtype, weighted):
    rng = np.random.default_rng(len(name))
    m = getattr(metrics, name)()
    want_num = want_den = 0.0
    for _ in range(3):                       # three batches: a running mean
        t, p = _data(name, dtype, rng)
        sw = rng.random(len(t)) if weighted else None
        v = REFS[name](t.astype(np.float64), p.astype(np.float64))
        w = np.ones(len(t)) if sw is None else sw
        want_num += (v * w).sum()
        want_den += w.sum()
        m.update_state(t, p, sample_weight=sw)
    tol = 1e-5 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(float(m.result()), want_num / want_den, rtol=tol, atol=tol)
    m.reset_state()
    assert float(m.result()) == 0.0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_from_logits_and_label_smoothing_against_numpy(dtype):
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(8, 3)).astype(dtype) * 3
    t = rng.integers(0, 2, (8, 3)).astype(dtype)
    m = metrics.BinaryCrossentropy(from_logits=True, label_smoothing=0.2)
    np.testing.assert_allclose(float(m(t, logits)), _ref_bce(t.astype(float), logits.astype(
        float), True, 0.2).mean(), rtol=1e-5)
    onehot = np.eye(3)[rng.integers(0, 3, 8)].astype(dtype)
    m = metrics.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    np.testing.assert_allclose(float(m(onehot, logits)), _ref_cce(onehot.astype(float),
                               logits.astype(float), True, 0.1).mean(), rtol=1e-5)
    labels = onehot.argmax(-1)
    m = metrics.SparseCategoricalCrossentropy(from_logits=True)
    np.testing.assert_allclose(float(m(labels, logits)), _ref_scce(labels, logits.astype(float),
                               True).mean(), rtol=1e-5)


def test_sum_and_mean_metric_wrapper():
    s = metrics.Sum()
    s.update_state([1.0, 2.0, 3.0], sample_weight=[1.0, 0.0, 2.0])
    assert float(s.result()) == 7.0
    w = metrics.MeanMetricWrapper(metrics.mean_absolute_error)
    t, p = np.array([[0.0, 1.0], [2.0, 2.0]]), np.array([[1.0, 1.0], [2.0, 0.0]])
    assert float(w(t, p)) == pytest.approx(0.75)
    assert metrics.get(metrics.serialize(w)).get_config() == w.get_config()
    w = metrics.MeanMetricWrapper(metrics.binary_accuracy, threshold=0.2)
    assert w.get_config()["threshold"] == 0.2
    assert float(w(np.array([[1.0], [0.0]]), np.array([[0.3], [0.3]]))) == 0.5


def test_r2_score_against_numpy():
    rng = np.random.default_rng(2)
    t = rng.normal(size=(50, 3))
    p = t + rng.normal(size=(50, 3)) * 0.5
    ss_res = ((t - p) ** 2).sum(0)
    ss_tot = ((t - t.mean(0)) ** 2).sum(0)
    raw = 1 - ss_res / ss_tot
    for agg, want in (("uniform_average", raw.mean()),
                      ("variance_weighted_average", (raw * ss_tot).sum() / ss_tot.sum()),
                      (None, raw)):
        m = metrics.R2Score(class_aggregation=agg, dtype="float64")
        m.update_state(t[:20], p[:20])
        m.update_state(t[20:], p[20:])
        np.testing.assert_allclose(np.asarray(m.result()), want, rtol=1e-10)
    m = metrics.R2Score(num_regressors=2, dtype="float64")
    m.update_state(t, p)
    np.testing.assert_allclose(float(m.result()), 1 - (1 - raw.mean()) * 49 / 47, rtol=1e-10)


def test_f_scores_against_numpy():
    rng = np.random.default_rng(3)
    t = rng.integers(0, 2, (30, 4)).astype(float)
    p = rng.random((30, 4))
    sw = rng.random(30)
    pred = (p > 0.5).astype(float)
    tp = (pred * t * sw[:, None]).sum(0)
    fp = (pred * (1 - t) * sw[:, None]).sum(0)
    fn = ((1 - pred) * t * sw[:, None]).sum(0)
    prec, rec = tp / (tp + fp), tp / (tp + fn)
    for beta in (1.0, 2.0):
        f = (1 + beta ** 2) * prec * rec / (beta ** 2 * prec + rec)
        m = metrics.FBetaScore(average="macro", beta=beta, threshold=0.5, dtype="float64")
        m.update_state(t, p, sample_weight=sw)
        np.testing.assert_allclose(float(m.result()), f.mean(), rtol=1e-6)
    m = metrics.F1Score(threshold=0.5)
    m.update_state(t, p, sample_weight=sw)
    np.testing.assert_allclose(np.asarray(m.result()), 2 * prec * rec / (prec + rec), rtol=1e-5)


# ------------------------------------------------------------------ names and saving
@pytest.mark.parametrize("name,cls", [
    ("binary_crossentropy", "BinaryCrossentropy"), ("bce", "BinaryCrossentropy"),
    ("categorical_crossentropy", "CategoricalCrossentropy"),
    ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"),
    ("kl_divergence", "KLDivergence"), ("poisson", "Poisson"),
    ("mape", "MeanAbsolutePercentageError"), ("MAPE", "MeanAbsolutePercentageError"),
    ("mean_absolute_percentage_error", "MeanAbsolutePercentageError"),
    ("msle", "MeanSquaredLogarithmicError"),
    ("mean_squared_logarithmic_error", "MeanSquaredLogarithmicError"),
    ("cosine_similarity", "CosineSimilarity"), ("log_cosh_error", "LogCoshError"),
    ("r2_score", "R2Score"), ("hinge", "Hinge"), ("squared_hinge", "SquaredHinge"),
    ("categorical_hinge", "CategoricalHinge"), ("f1_score", "F1Score"),
    ("f_beta_score", "FBetaScore"), ("LogCoshError", "LogCoshError"), ("MSE", "MeanSquaredError"),
])
def test_string_names(name, cls):
    m = metrics.get(name)
    assert type(m).__name__ == cls and m.name == name
    assert name in metrics.known_names()


@pytest.mark.parametrize("obj", [
    metrics.Accuracy(name="a", dtype="float64"), metrics.Sum(name="s"),
    metrics.MeanMetricWrapper(metrics.poisson, name="p"),
    metrics.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
    metrics.CategoricalCrossentropy(label_smoothing=0.2, axis=-1),
    metrics.SparseCategoricalCrossentropy(from_logits=True, ignore_class=3),
    metrics.KLDivergence(), metrics.Poisson(), metrics.MeanAbsolutePercentageError(),
    metrics.MeanSquaredLogarithmicError(), metrics.CosineSimilarity(axis=1),
    metrics.LogCoshError(), metrics.R2Score("variance_weighted_average", 2), metrics.Hinge(),
    metrics.SquaredHinge(), metrics.CategoricalHinge(),
    metrics.FBetaScore(average="micro", beta=0.5, threshold=0.4), metrics.F1Score("weighted"),
], ids=lambda o: type(o).__name__)
def test_serialize_round_trip(obj):
    back = metrics.get(metrics.serialize(obj))
    assert type(back) is type(obj)
    assert back.get_config() == obj.get_config()
    assert back.name == obj.name


def test_function_forms():
    t = np.array([[0.0, 1.0], [1.0, 0.0]])
    p = np.array([[0.2, 0.8], [0.6, 0.4]])
    np.testing.assert_allclose(np.asarray(metrics.binary_crossentropy(t, p)), _ref_bce(t, p),
                               rtol=1e-6)
    np.testing.assert_allclose(np.asarray(metrics.categorical_crossentropy(t, p)),
                               _ref_cce(t, p), rtol=1e-6)
    np.testing.assert_allclose(metrics.binary_accuracy(t, p), [[1, 1], [1, 1]])
    np.testing.assert_allclose(metrics.categorical_accuracy(t, p), [1, 1])
    np.testing.assert_allclose(metrics.sparse_categorical_accuracy([1, 1], p), [1, 0])
    np.testing.assert_allclose(metrics.top_k_categorical_accuracy(t, p, k=1), [1, 1])
    np.testing.assert_allclose(metrics.cosine_similarity(t, t), [1, 1])
    np.testing.assert_allclose(metrics.accuracy([1, 2], [1, 3]), [1, 0])
    for fn in ("hinge", "squared_hinge", "categorical_hinge", "kl_divergence", "poisson",
               "log_cosh", "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
               "sparse_categorical_crossentropy", "huber", "mean_squared_error",
               "mean_absolute_error"):
        assert callable(getattr(metrics, fn))


# ------------------------------------------------------------------ compile, fit, evaluate
def _model(units, activation):
    fastnn.utils.set_random_seed(0) if hasattr(fastnn, "utils") else None
    return fastnn.Sequential([layers.Input((5,)), layers.Dense(units, activation=activation)])


FIT_CASES = [
    # (metric, units, activation, loss, labels)
    (metrics.BinaryCrossentropy(), 1, "sigmoid", "binary_crossentropy", "binary"),
    ("bce", 1, "sigmoid", "binary_crossentropy", "binary"),
    (metrics.Hinge(), 1, "tanh", "mse", "binary"),
    (metrics.SquaredHinge(), 1, "tanh", "mse", "binary"),
    (metrics.Poisson(), 1, "softplus", "mse", "binary"),
    (metrics.KLDivergence(), 3, "softmax", "categorical_crossentropy", "onehot"),
    ("categorical_crossentropy", 3, "softmax", "categorical_crossentropy", "onehot"),
    (metrics.CategoricalHinge(), 3, "softmax", "categorical_crossentropy", "onehot"),
    (metrics.SparseCategoricalCrossentropy(), 3, "softmax", "sparse_categorical_crossentropy",
     "sparse"),
    ("mape", 2, "linear", "mse", "real"), ("msle", 2, "linear", "mse", "real"),
    ("cosine_similarity", 2, "linear", "mse", "real"), (metrics.LogCoshError(), 2, "linear",
                                                        "mse", "real"),
    (metrics.R2Score(), 2, "linear", "mse", "real"),
    (metrics.MeanMetricWrapper(metrics.mean_absolute_error), 2, "linear", "mse", "real"),
    (metrics.Accuracy(), 2, "linear", "mse", "real"),
    (metrics.F1Score(average="macro", threshold=0.5), 3, "softmax", "categorical_crossentropy",
     "onehot"),
    (metrics.FBetaScore(average="micro", beta=2.0), 3, "softmax", "categorical_crossentropy",
     "onehot"),
]


def _labels(kind, x):
    if kind == "binary":
        return (x[:, :1] > 0).astype("float32")
    if kind == "sparse":
        return (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0)
    if kind == "onehot":
        return np.eye(3, dtype="float32")[(x[:, 0] > 0).astype(int) + (x[:, 1] > 0)]
    return np.round(x[:, :2] * 2 + 3).astype("float32")


@pytest.mark.parametrize("weighted", [False, True], ids=["metrics", "weighted_metrics"])
@pytest.mark.parametrize("metric,units,act,loss,kind", FIT_CASES,
                         ids=[m if isinstance(m, str) else type(m).__name__
                              for m, *_ in FIT_CASES])
def test_fit_evaluate_log_the_numpy_value(metric, units, act, loss, kind, weighted):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = _labels(kind, x)
    sw = rng.random(64) if weighted else None
    m = fastnn.Sequential([layers.Input((5,)), layers.Dense(units, activation=act)])
    spec = metric if isinstance(metric, str) else metrics.get(metrics.serialize(metric))
    m.compile("adam", loss, **({"weighted_metrics": [spec]} if weighted else {"metrics": [spec]}))
    name = spec if isinstance(spec, str) else spec.name
    hist = m.fit(x, y, epochs=2, batch_size=16, verbose=0, sample_weight=sw)
    assert len(hist.history[name]) == 2 and all(map(math.isfinite, hist.history[name]))
    logs = m.evaluate(x, y, batch_size=64, verbose=0, return_dict=True, sample_weight=sw)
    ref = metrics.get(metrics.serialize(metrics.get(spec)))
    ref.update_state(y, m.predict(x, verbose=0), sample_weight=sw)
    np.testing.assert_allclose(logs[name], float(ref.result()), rtol=1e-5, atol=1e-6)


def test_compiled_model_saves_and_loads(tmp_path):
    pytest.importorskip("h5py")          # .keras files are HDF5 inside
    rng = np.random.default_rng(5)
    x = rng.normal(size=(32, 5)).astype("float32")
    y = _labels("onehot", x)
    m = fastnn.Sequential([layers.Input((5,)), layers.Dense(3, activation="softmax")])
    m.compile("adam", "categorical_crossentropy",
              metrics=[metrics.CategoricalCrossentropy(label_smoothing=0.1), "kl_divergence",
                       metrics.F1Score(average="macro"), metrics.R2Score(),
                       metrics.MeanMetricWrapper(metrics.categorical_hinge, name="ch")],
              weighted_metrics=[metrics.Poisson()])
    m.fit(x, y, epochs=1, verbose=0)
    before = m.evaluate(x, y, verbose=0, return_dict=True)
    m.save(tmp_path / "m.keras")
    back = fastnn.models.load_model(tmp_path / "m.keras")
    after = back.evaluate(x, y, verbose=0, return_dict=True)
    assert before.keys() == after.keys()
    for k in before:
        np.testing.assert_allclose(after[k], before[k], rtol=1e-6)


def test_new_metrics_are_computed_from_the_c_engines_outputs():
    """The engine sums no cross-entropy metric: it trains the model in C and the metric
    is computed in Python from the outputs it writes."""
    from fastnn import engine
    m = fastnn.Sequential([layers.Input((5,)), layers.Dense(1, activation="sigmoid")])
    m.compile("sgd", "binary_crossentropy", metrics=[metrics.BinaryCrossentropy()])
    x = np.zeros((4, 5), "float32")
    y = np.zeros((4, 1), "float32")
    m.fit(x, y, verbose=0)              # builds the metrics
    code, feeds, rest = engine._metric_spec(m, [{"act_name": "sigmoid"}], False)
    assert feeds == [] and rest == m._metrics
    assert m._engine.why is None and m._engine.fit_plan is not None


# ------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize("make,exc,words", [
    (lambda: metrics.BinaryCrossentropy(from_logits="yes"), TypeError, "from_logits"),
    (lambda: metrics.BinaryCrossentropy(label_smoothing=1.5), ValueError, "label_smoothing"),
    (lambda: metrics.CategoricalCrossentropy(label_smoothing=-0.1), ValueError,
     "label_smoothing"),
    (lambda: metrics.CategoricalCrossentropy(axis="x"), TypeError, "axis"),
    (lambda: metrics.SparseCategoricalCrossentropy(ignore_class=1.5), TypeError, "ignore_class"),
    (lambda: metrics.CosineSimilarity(axis=None), TypeError, "axis"),
    (lambda: metrics.R2Score(class_aggregation="mean"), ValueError, "class_aggregation"),
    (lambda: metrics.R2Score(num_regressors=-1), ValueError, "num_regressors"),
    (lambda: metrics.R2Score(num_regressors=1.5), TypeError, "num_regressors"),
    (lambda: metrics.R2Score(dtype="int32"), ValueError, "dtype"),
    (lambda: metrics.FBetaScore(average="mean"), ValueError, "average"),
    (lambda: metrics.FBetaScore(beta=0.0), ValueError, "beta"),
    (lambda: metrics.FBetaScore(beta=2), ValueError, "beta"),
    (lambda: metrics.FBetaScore(threshold=1.5), ValueError, "threshold"),
    (lambda: metrics.F1Score(threshold=1), ValueError, "threshold"),
    (lambda: metrics.MeanMetricWrapper(3), TypeError, "fn"),
    (lambda: metrics.MeanMetricWrapper("no_such_function"), ValueError, "fn"),
    (lambda: metrics.Accuracy(name=3), TypeError, "name"),
    (lambda: metrics.Hinge(dtype="nonsense"), TypeError, "dtype"),
])
def test_bad_constructor_arguments(make, exc, words):
    with pytest.raises(exc, match=words):
        make()


@pytest.mark.parametrize("metric,args,exc,words", [
    (metrics.Hinge(), (np.zeros((4, 2)), np.zeros((4, 3))), ValueError, "y_true"),
    (metrics.BinaryCrossentropy(), (np.zeros((4, 1)), np.zeros((4, 1)), np.ones(3)),
     ValueError, "sample_weight"),
    (metrics.Poisson(), (np.zeros(4), np.zeros(4), [1, 1, np.nan, 1]), ValueError,
     "sample_weight"),
    (metrics.Accuracy(), (["a"], [1]), TypeError, "y_true"),
    (metrics.CategoricalCrossentropy(), (np.zeros((4,)), np.zeros((4, 3))), ValueError,
     "y_true"),
    (metrics.CategoricalCrossentropy(axis=3), (np.zeros((4, 3)), np.zeros((4, 3))), ValueError,
     "axis"),
    (metrics.SparseCategoricalCrossentropy(), (np.array([0, 3]), np.full((2, 3), 1 / 3)),
     ValueError, "class indices"),
    (metrics.SparseCategoricalCrossentropy(), (np.zeros((2, 3)), np.full((2, 3), 1 / 3)),
     ValueError, "y_true"),
    (metrics.R2Score(), (np.zeros(4), np.zeros(4)), ValueError, "2D inputs"),
    (metrics.F1Score(), (np.zeros((4, 2, 2)), np.zeros((4, 2, 2))), ValueError, "2D inputs"),
    (metrics.F1Score(), (np.zeros((4, 2)), np.zeros((4, 3))), ValueError, "y_true"),
    (metrics.R2Score(), (np.zeros((4, 2)), np.zeros((4, 2)), np.ones(3)), ValueError,
     "sample_weight"),
])
def test_bad_update_arguments(metric, args, exc, words):
    with pytest.raises(exc, match=words):
        metric.update_state(*args)


def test_metrics_of_other_inputs_are_refused_by_compile():
    m = fastnn.Sequential([layers.Input((5,)), layers.Dense(2)])
    with pytest.raises(ValueError, match="update_state"):
        m.compile("sgd", "mse", metrics=[metrics.Sum()])
    with pytest.raises(ValueError, match="sum"):
        metrics.get("sum")


def test_r2_and_f_scores_keep_their_number_of_columns():
    for m in (metrics.R2Score(), metrics.F1Score()):
        m.update_state(np.zeros((2, 2)), np.zeros((2, 2)))
        with pytest.raises(ValueError, match="2"):
            m.update_state(np.zeros((2, 3)), np.zeros((2, 3)))


# ------------------------------------------------------------------ fixes to older metrics
def test_sparse_top_k_update_state_takes_class_indices():
    # Keras: accuracy_metrics_test.py::SparseTopKCategoricalAccuracyTest::test_unweighted
    m = metrics.SparseTopKCategoricalAccuracy(k=1)
    m.update_state(np.array([[1], [2]]), np.array([[0.1, 0.8, 0.1], [0.6, 0.3, 0.1]]))
    m.update_state(np.array([1, 0]), np.array([[0.1, 0.8, 0.1], [0.6, 0.3, 0.1]]))
    assert float(m.result()) == 0.75
    with pytest.raises(ValueError, match="y_true"):
        m.update_state(np.zeros((2, 3)), np.zeros((2, 3)))


def test_root_mean_squared_error_takes_one_weight_per_sample():
    t, p = np.ones((2, 3)), np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 3.0]])
    m = metrics.RootMeanSquaredError()
    m.update_state(t, p, sample_weight=[1.0, 3.0])
    want = math.sqrt((1 * 3 + 3 * 4) / (1 * 3 + 3 * 3))
    assert float(m.result()) == pytest.approx(want)
    with pytest.raises(ValueError, match="sample_weight"):
        m.update_state(t, p, sample_weight=[1.0, 2.0, 3.0])
