"""Metrics: values, state, and Keras' resolution of 'accuracy'."""
import numpy as np
import pytest

import fastnn
from fastnn import metrics
from fastnn.layers import Dense


def test_binary_accuracy_threshold():
    m = metrics.BinaryAccuracy()
    m.update_state([[1], [0], [1], [0]], [[0.7], [0.2], [0.4], [0.6]])
    assert m.result() == pytest.approx(0.5)
    m.update_state([[1]], [[0.9]])
    assert m.result() == pytest.approx(3 / 5)
    m.reset_state()
    assert m.result() == 0.0


def test_sparse_and_categorical_accuracy():
    p = np.array([[0.1, 0.8, 0.1], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    sca = metrics.SparseCategoricalAccuracy()
    sca.update_state([1, 1, 2], p)
    assert sca.result() == pytest.approx(2 / 3)
    sca.reset_state()
    sca.update_state([[1], [0], [2]], p)  # (N, 1) labels
    assert sca.result() == pytest.approx(1.0)
    ca = metrics.CategoricalAccuracy()
    ca.update_state(np.eye(3)[[1, 0, 0]], p)
    assert ca.result() == pytest.approx(2 / 3)


def test_regression_metrics_and_mean():
    m = metrics.MeanSquaredError()
    m.update_state([[0.0, 1.0]], [[1.0, 3.0]])
    assert m.result() == pytest.approx(2.5)
    a = metrics.MeanAbsoluteError()
    a.update_state([[0.0, 1.0]], [[1.0, 3.0]])
    assert a.result() == pytest.approx(1.5)
    mean = metrics.Mean()
    mean.update_state([1.0, 2.0, 3.0])
    mean.update_state([10.0], sample_weight=[3.0])
    assert mean.result() == pytest.approx((6 + 30) / 6)


def test_sample_weight():
    m = metrics.SparseCategoricalAccuracy()
    m.update_state([0, 1], [[0.9, 0.1], [0.9, 0.1]], sample_weight=[3.0, 1.0])
    assert m.result() == pytest.approx(0.75)


@pytest.mark.parametrize("ytrue,ypred,cls", [
    ((8,), (8, 10), metrics.SparseCategoricalAccuracy),
    ((8, 1), (8, 10), metrics.SparseCategoricalAccuracy),
    ((8, 10), (8, 10), metrics.CategoricalAccuracy),
    ((8, 1), (8, 1), metrics.BinaryAccuracy),
    ((8,), (8, 1), metrics.BinaryAccuracy),
])
def test_accuracy_resolution(ytrue, ypred, cls):
    m = metrics.get("accuracy", ytrue, ypred)
    assert type(m) is cls and m.name == "accuracy"
    assert metrics.get("acc", ytrue, ypred).name == "acc"


def _fit_metric(last_units, last_act, loss, y, metric="accuracy"):
    x = np.random.default_rng(0).normal(size=(len(y), 3))
    m = fastnn.Sequential([Dense(last_units, activation=last_act)])
    m.compile(loss=loss, metrics=[metric])
    m.fit(x, y, epochs=1, verbose=0)
    return m


def test_accuracy_resolved_in_compile_fit():
    m = _fit_metric(3, "softmax", "sparse_categorical_crossentropy", np.array([0, 1, 2, 1]))
    assert type(m._metrics[0]) is metrics.SparseCategoricalAccuracy
    m = _fit_metric(3, "softmax", "categorical_crossentropy", np.eye(3)[[0, 1, 2, 1]])
    assert type(m._metrics[0]) is metrics.CategoricalAccuracy
    m = _fit_metric(1, "sigmoid", "binary_crossentropy", np.array([0, 1, 1, 0]))
    assert type(m._metrics[0]) is metrics.BinaryAccuracy


def test_metric_values_in_history_match_evaluate():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(40, 3))
    y = (x[:, 0] > 0).astype(int)
    m = fastnn.Sequential([Dense(2, activation="softmax")])
    m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy", "mse"])
    res = m.evaluate(x, y, verbose=0, return_dict=True)
    assert set(res) == {"loss", "accuracy", "mse"}
    p = m.predict(x, verbose=0)
    assert res["accuracy"] == pytest.approx(np.mean(p.argmax(1) == y))


def test_unknown_metric():
    with pytest.raises(ValueError, match=r"unknown metric 'acuracy'.*accuracy"):
        metrics.get("acuracy")
    m = fastnn.Sequential([Dense(1)])
    with pytest.raises(ValueError, match="unknown metric"):
        m.compile(loss="mse", metrics=["bogus"])
    assert not m.compiled
