"""IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU, PearsonCorrelation and
ConcordanceCorrelation: a NumPy reference of Keras' formulas, compiled into models
(fit / evaluate, reset per call, the same numbers as on the predictions), saving, names,
bad input; and compile(loss="crossentropy" / "ce"). (Keras' own tests:
tests/conformance/test_iou_metrics.py, test_correlation_metrics.py.)"""
import warnings

import numpy as np
import pytest

import fastnn
from fastnn import layers, metrics as M, saving


def _iou_reference(y_true, y_pred, n, targets, weights=None, ignore=None):
    """Keras' IoU from its definition: a float64 confusion matrix of the in-range ids."""
    yt = np.asarray(y_true).reshape(-1)
    yp = np.asarray(y_pred).reshape(-1)
    w = np.ones(yt.size) if weights is None else np.asarray(weights, float).reshape(-1)
    cm = np.zeros((n, n))
    for t, p, x in zip(yt, yp, w):
        if 0 <= t < n and 0 <= p < n and t != ignore:
            cm[int(t), int(p)] += x
    tp = np.diag(cm)
    denom = cm.sum(0) + cm.sum(1) - tp
    valid = denom > 1e-9
    iou = np.where(valid, tp / np.where(valid, denom, 1), 0.0)[targets]
    return iou.sum() / max(valid[targets].sum(), 1e-30) if valid[targets].any() else 0.0


@pytest.mark.parametrize("seed", range(5))
def test_iou_against_reference(seed):
    rng = np.random.default_rng(seed)
    n = 4
    yt = rng.integers(-1, n + 1, size=(6, 5))
    yp = rng.integers(-1, n + 1, size=(6, 5))
    w = rng.random((6, 5))
    targets = [0, 2, 3]
    m = M.IoU(n, targets, dtype="float64", ignore_class=1)
    m.update_state(yt[:3], yp[:3], sample_weight=w[:3])
    m.update_state(yt[3:], yp[3:], sample_weight=w[3:])
    np.testing.assert_allclose(m.result(), _iou_reference(yt, yp, n, targets, w, ignore=1),
                               rtol=1e-6)
    mean = M.MeanIoU(n)
    mean.update_state(yt, yp)
    np.testing.assert_allclose(mean.result(), _iou_reference(yt, yp, n, list(range(n))),
                               rtol=1e-6)
    mean.reset_state()
    assert mean.result() == 0.0 and not mean.total_cm.any()


def test_one_hot_and_scores_take_the_argmax_along_axis():
    rng = np.random.default_rng(0)
    scores_t = rng.random((2, 3, 5))           # classes on axis 1
    scores_p = rng.random((2, 3, 5))
    m = M.OneHotMeanIoU(3, axis=1)
    m.update_state(scores_t, scores_p)
    ref = _iou_reference(scores_t.argmax(1), scores_p.argmax(1), 3, [0, 1, 2])
    np.testing.assert_allclose(m.result(), ref, rtol=1e-6)
    m = M.OneHotIoU(3, [1], sparse_y_pred=True)
    m.update_state(np.eye(3)[[0, 1, 1, 2]], [0, 1, 2, 2])
    np.testing.assert_allclose(m.result(), 1 / 2, rtol=1e-6)


def test_binary_iou_threshold_is_inclusive_in_float32():
    m = M.BinaryIoU(target_class_ids=[1], threshold=0.3)
    # 0.3 as float32 is >= the threshold; 0.29999 is below
    m.update_state([1, 0, 1], np.array([0.3, 0.29999, 0.9], np.float32))
    np.testing.assert_allclose(m.result(), 1.0, rtol=1e-6)


def test_int_dtype_truncates_float_weights_with_a_warning():
    m = M.MeanIoU(2)
    with pytest.warns(UserWarning, match="sample_weight is float"):
        m.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=np.array([0.3, 0.3, 0.3, 1.7]))
    np.testing.assert_array_equal(m.total_cm, [[0, 0], [0, 1]])
    assert m.total_cm.dtype == np.int32
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        M.MeanIoU(2, dtype="float32").update_state([0], [0], sample_weight=np.array([0.5]))


@pytest.mark.parametrize("cls, kw", [
    (M.IoU, {"num_classes": 3, "target_class_ids": [2, 0], "ignore_class": -1,
             "sparse_y_true": False, "axis": 1, "dtype": "float32", "name": "my_iou"}),
    (M.BinaryIoU, {"target_class_ids": [1], "threshold": 0.25, "name": "b"}),
    (M.MeanIoU, {"num_classes": 4, "ignore_class": 255, "sparse_y_pred": False}),
    (M.OneHotIoU, {"num_classes": 3, "target_class_ids": [1], "sparse_y_pred": True}),
    (M.OneHotMeanIoU, {"num_classes": 5, "dtype": "float64"}),
    (M.PearsonCorrelation, {"axis": 0, "name": "pcc"}),
    (M.ConcordanceCorrelation, {"axis": (0, 1), "dtype": "float64"}),
])
def test_config_round_trip_and_serialize(cls, kw):
    m = cls(**kw)
    cfg = m.get_config()
    assert cls.from_config(cfg).get_config() == cfg
    again = M.get(M.serialize(m))
    assert type(again) is cls and again.get_config() == cfg


def test_names_as_keras():
    assert M.IoU(2, [0]).name == "io_u" and M.MeanIoU(2).name == "mean_io_u"
    assert M.BinaryIoU().name == "binary_io_u" and M.OneHotIoU(2, [0]).name == "one_hot_io_u"
    assert M.OneHotMeanIoU(2).name == "one_hot_mean_io_u"
    assert isinstance(M.get("binary_io_u"), M.BinaryIoU)
    assert isinstance(M.get("pearson_correlation"), M.PearsonCorrelation)
    assert isinstance(M.get("ConcordanceCorrelation"), M.ConcordanceCorrelation)
    for name in ("mean_io_u", "io_u", "MeanIoU", "OneHotIoU"):
        with pytest.raises(TypeError, match="num_classes"):
            M.get(name)


@pytest.mark.parametrize("make, word", [
    (lambda: M.IoU(0, [0]), "num_classes"),
    (lambda: M.IoU(2.0, [0]), "num_classes"),
    (lambda: M.MeanIoU(10 ** 9), "num_classes"),       # a 10**18-cell matrix
    (lambda: M.IoU(2, [2]), "target_class_ids"),
    (lambda: M.IoU(2, [-1]), "target_class_ids"),
    (lambda: M.IoU(2, []), "target_class_ids"),
    (lambda: M.IoU(2, 1), "target_class_ids"),
    (lambda: M.IoU(2, [0.5]), "target_class_ids"),
    (lambda: M.IoU(2, [0], ignore_class="void"), "ignore_class"),
    (lambda: M.IoU(2, [0], dtype="bool"), "dtype"),
    (lambda: M.MeanIoU(2, sparse_y_true="no"), "sparse_y_true"),
    (lambda: M.MeanIoU(2, axis=1.5), "axis"),
    (lambda: M.BinaryIoU(threshold="0.5"), "threshold"),
    (lambda: M.BinaryIoU(target_class_ids=[2]), "target_class_ids"),
    (lambda: M.PearsonCorrelation(axis="x"), "axis"),
    (lambda: M.ConcordanceCorrelation(axis=()), "axis"),
])
def test_bad_arguments(make, word):
    with pytest.raises((ValueError, TypeError), match=word):
        make()


@pytest.mark.parametrize("call, word", [
    (lambda m: m.update_state([0, 1], [0, 1, 1]), "as many values"),
    (lambda m: m.update_state([0, np.nan], [0, 1]), "y_true"),
    (lambda m: m.update_state([0, 1], ["a", "b"]), "y_pred"),
    (lambda m: m.update_state([0, 1], [0, 1], sample_weight=[1, 2, 3]), "sample_weight"),
    (lambda m: m.update_state([0, 1], [0, 1], sample_weight=[1, np.inf]), "sample_weight"),
])
def test_bad_update_leaves_the_state(call, word):
    m = M.MeanIoU(2)
    m.update_state([0, 1], [0, 0])
    before = np.array(m.total_cm, copy=True)
    with pytest.raises((ValueError, TypeError), match=word):
        call(m)
    np.testing.assert_array_equal(m.total_cm, before)


def test_correlations_against_reference():
    rng = np.random.default_rng(3)
    yt = rng.normal(size=(7, 6)).astype(np.float32)
    yp = (yt + rng.normal(size=(7, 6))).astype(np.float32)
    ref_p = [np.corrcoef(a, b)[0, 1] for a, b in zip(yt.astype(float), yp.astype(float))]
    np.testing.assert_allclose(M.pearson_correlation(yt, yp), ref_p, rtol=1e-5)
    a, b = yt.astype(float), yp.astype(float)
    ref_c = 2 * ((a - a.mean(1, keepdims=True)) * (b - b.mean(1, keepdims=True))).mean(1) / (
        a.var(1) + b.var(1) + (a.mean(1) - b.mean(1)) ** 2 + 1e-7)
    np.testing.assert_allclose(M.concordance_correlation(yt, yp), ref_c, rtol=1e-5)
    # along axis 0: one coefficient per column
    np.testing.assert_allclose(M.pearson_correlation(yt, yp, axis=0),
                               [np.corrcoef(a[:, j], b[:, j])[0, 1] for j in range(6)],
                               rtol=1e-5)
    m = M.PearsonCorrelation()
    m.update_state(yt[:3], yp[:3])
    m.update_state(yt[3:], yp[3:], sample_weight=np.arange(4.0))
    w = np.r_[np.ones(3), np.arange(4.0)]
    np.testing.assert_allclose(m.result(), np.sum(w * ref_p) / w.sum(), rtol=1e-5)


def _classifier(metrics, lr=0.0):
    rng = np.random.default_rng(0)
    m = fastnn.Sequential([fastnn.Input((4,)), layers.Dense(3, activation="softmax")])
    m.set_weights([rng.normal(size=(4, 3)).astype(np.float32), np.zeros(3, np.float32)])
    m.compile(fastnn.optimizers.SGD(lr), "sparse_categorical_crossentropy", metrics=metrics)
    return m


def test_compiled_iou_metrics_give_the_numbers_of_the_predictions():
    rng = np.random.default_rng(1)
    x1, x2 = rng.normal(size=(50, 4)).astype(np.float32), rng.normal(size=(30, 4)).astype(np.float32)
    y1, y2 = rng.integers(0, 3, 50), rng.integers(0, 3, 30)
    m = _classifier([M.MeanIoU(3, sparse_y_pred=False),
                     M.IoU(3, [1, 2], sparse_y_pred=False, name="iou12"),
                     M.MeanIoU(3, ignore_class=0, sparse_y_pred=False, name="no0")])
    p1, p2 = m.predict(x1, verbose=0), m.predict(x2, verbose=0)

    def direct(y, p):
        out = {}
        for name, metric in (("mean_io_u", M.MeanIoU(3, sparse_y_pred=False)),
                             ("iou12", M.IoU(3, [1, 2], sparse_y_pred=False)),
                             ("no0", M.MeanIoU(3, ignore_class=0, sparse_y_pred=False))):
            metric.update_state(y, p)
            out[name] = float(metric.result())
        return out
    # learning rate 0: the weights stay, so every epoch sees the same predictions
    h = m.fit(x1, y1, epochs=2, batch_size=16, verbose=0, validation_data=(x2, y2))
    d1, d2 = direct(y1, p1), direct(y2, p2)
    assert d1 != d2
    for name in d1:
        np.testing.assert_allclose(h.history[name], [d1[name]] * 2, rtol=1e-6)
        np.testing.assert_allclose(h.history["val_" + name], [d2[name]] * 2, rtol=1e-6)
    # each evaluate starts afresh (the metrics are reset)
    r1 = m.evaluate(x1, y1, batch_size=7, verbose=0, return_dict=True)
    r2 = m.evaluate(x2, y2, batch_size=7, verbose=0, return_dict=True)
    for name in d1:
        np.testing.assert_allclose(r1[name], d1[name], rtol=1e-6)
        np.testing.assert_allclose(r2[name], d2[name], rtol=1e-6)
    # the engine sums no IoU: it trains in C and computes them from its outputs
    assert m._engine.why is None and m._engine.fit_plan is not None


def test_compiled_correlation_metrics_and_saving(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    y = (x @ rng.normal(size=(4, 3))).astype(np.float32)
    m = fastnn.Sequential([fastnn.Input((4,)), layers.Dense(3)])
    m.compile("sgd", "mse", metrics=[M.PearsonCorrelation(), M.ConcordanceCorrelation(),
                                     M.BinaryIoU(threshold=0.0, name="signs")])
    m.fit(x, y, epochs=2, batch_size=8, verbose=0)
    r = m.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    p = m.predict(x, verbose=0)
    np.testing.assert_allclose(r["pearson_correlation"],
                               np.mean(M.pearson_correlation(y, p)), rtol=1e-5)
    np.testing.assert_allclose(r["concordance_correlation"],
                               np.mean(M.concordance_correlation(y, p)), rtol=1e-5)
    signs = M.BinaryIoU(threshold=0.0)
    signs.update_state(y, p)          # labels truncated to class ids, as Keras casts them
    np.testing.assert_allclose(r["signs"], float(signs.result()), rtol=1e-6)
    m.save(tmp_path / "m.keras")
    m2 = saving.load_model(tmp_path / "m.keras")
    assert m2.evaluate(x, y, batch_size=16, verbose=0, return_dict=True) == r


@pytest.mark.parametrize("ident", ["crossentropy", "ce", "CE"])
@pytest.mark.parametrize("case", ["sparse", "categorical", "binary"])
def test_crossentropy_loss_resolves_from_the_shapes(ident, case, tmp_path):
    """Keras' compile takes loss="crossentropy" / "ce": binary for one output unit,
    sparse for labels of a lower rank (or one column), categorical otherwise; it trains
    as the named loss does (on the engine)."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(32, 3)).astype(np.float32)
    units, act, named = {"sparse": (3, "softmax", "sparse_categorical_crossentropy"),
                         "categorical": (3, "softmax", "categorical_crossentropy"),
                         "binary": (1, "sigmoid", "binary_crossentropy")}[case]
    labels = rng.integers(0, units if units > 1 else 2, 32)
    y = np.eye(3, dtype=np.float32)[labels] if case == "categorical" else labels
    if case == "binary":
        y = labels.astype(np.float32)
    weights = None
    runs = []
    for loss in (ident, named):
        m = fastnn.Sequential([fastnn.Input((3,)), layers.Dense(units, activation=act)])
        if weights is None:
            weights = m.get_weights()
        m.set_weights(weights)
        m.compile("adam", loss, metrics=["accuracy"])
        runs.append((m, m.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)))
    (m, h), (_, h_named) = runs
    assert type(m.loss).__name__.lower() == named.replace("_", "")
    assert m._engine.why is None
    assert h.history == h_named.history
    assert m.get_compile_config()["loss"] == ident
    m.save(tmp_path / "m.keras")
    m2 = saving.load_model(tmp_path / "m.keras")
    assert m2.evaluate(x, y, verbose=0) == m.evaluate(x, y, verbose=0)


def test_crossentropy_loss_called_directly_picks_by_shape():
    from fastnn.trainers import compile_utils
    loss = compile_utils.get_loss("crossentropy")
    y_pred = np.array([[0.2, 0.8], [0.6, 0.4]], np.float32)
    got = float(loss(np.array([1, 0]), y_pred))
    want = float(fastnn.losses.SparseCategoricalCrossentropy()(np.array([1, 0]), y_pred))
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize("metric, monitor", [
    (lambda: M.OneHotMeanIoU(3, name="seg"), "val_seg"),
    (lambda: M.MeanIoU(3, sparse_y_true=False, sparse_y_pred=False), "val_mean_io_u"),
    (lambda: M.PearsonCorrelation(name="pcc"), "pcc"),
])
def test_callbacks_maximize_these_metrics(metric, monitor):
    """mode='auto' reads the compiled metric's direction (up), as Keras does."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 4)).astype(np.float32)
    m = fastnn.Sequential([fastnn.Input((4,)), layers.Dense(3, activation="softmax")])
    m.compile("adam", "mse", metrics=[metric()])
    es = fastnn.callbacks.EarlyStopping(monitor=monitor, patience=5)
    m.fit(x, np.eye(3, dtype=np.float32)[rng.integers(0, 3, 32)], epochs=1,
          validation_split=0.25, callbacks=[es], verbose=0)
    assert es.monitor_op is np.greater


def test_compiled_metrics_reset_at_every_epoch():
    """One batch per epoch and a large learning rate: each epoch's value is the metric
    of the predictions of the weights that epoch started from (not a sum over epochs)."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(60, 4)).astype(np.float32)
    y = rng.integers(0, 3, 60)
    yr = rng.normal(size=(60, 3)).astype(np.float32)
    m = _classifier([M.MeanIoU(3, sparse_y_pred=False), M.IoU(3, [0], sparse_y_pred=False)],
                    lr=5.0)
    starts = []

    class Snapshot(fastnn.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            starts.append(self.model.get_weights())

    h = m.fit(x, y, epochs=3, batch_size=60, verbose=0, callbacks=[Snapshot()])
    probe = _classifier([])
    direct_mean, direct_iou = [], []
    for w in starts:
        probe.set_weights(w)
        p = probe.predict(x, verbose=0)
        a, b = M.MeanIoU(3, sparse_y_pred=False), M.IoU(3, [0], sparse_y_pred=False)
        a.update_state(y, p)
        b.update_state(y, p)
        direct_mean.append(float(a.result()))
        direct_iou.append(float(b.result()))
    assert len(set(direct_mean)) == 3          # the predictions moved between epochs
    np.testing.assert_allclose(h.history["mean_io_u"], direct_mean, rtol=1e-6)
    np.testing.assert_allclose(h.history["io_u"], direct_iou, rtol=1e-6)
    # a correlation metric too (a running mean over samples)
    r = fastnn.Sequential([fastnn.Input((4,)), layers.Dense(3)])
    r.compile(fastnn.optimizers.SGD(0.5), "mse", metrics=[M.ConcordanceCorrelation()])
    starts.clear()
    h = r.fit(x, yr, epochs=3, batch_size=60, verbose=0, callbacks=[Snapshot()])
    probe = fastnn.Sequential([fastnn.Input((4,)), layers.Dense(3)])
    want = []
    for w in starts:
        probe.set_weights(w)
        want.append(float(np.mean(M.concordance_correlation(yr, probe.predict(x, verbose=0)))))
    np.testing.assert_allclose(h.history["concordance_correlation"], want, rtol=1e-5)


def test_crossentropy_refused_labels_leave_the_loss_unresolved():
    """Labels refused at the first fit do not fix the loss: the next fit, with good
    labels, resolves it from those."""
    rng = np.random.default_rng(6)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    m = fastnn.Sequential([fastnn.Input((3,)), layers.Dense(3, activation="softmax")])
    m.compile("sgd", "crossentropy")
    with pytest.raises(ValueError):
        m.fit(x, np.ones((16, 5), np.float32), verbose=0)   # 5 columns for 3 outputs
    assert type(m.loss).__name__ == "CrossentropyByShapes"
    m.fit(x, rng.integers(0, 3, 16), verbose=0)
    assert type(m.loss).__name__ == "SparseCategoricalCrossentropy"
