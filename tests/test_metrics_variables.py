"""Metric.variables and model.metrics_variables (Keras 3): the state variables of the
loss tracker, of the compiled metrics (model.metrics[1], 'compile_metrics') and of the
model's own metrics, holding what the last loop summed, on the engine and on the layer
path alike."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import engine


def _values(variables):
    return [float(np.asarray(v)) for v in variables]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("fused", [True, False], ids=["engine", "layer_path"])
def test_the_variables_hold_the_sums_of_the_last_loop(monkeypatch, dtype, fused):
    monkeypatch.setattr(engine, "ENABLED", fused)
    rng = np.random.default_rng(0)
    x, y = rng.random((10, 4)).astype(dtype), rng.random((10, 3)).astype(dtype)
    sw = np.arange(10.0)
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, dtype=dtype)])
    m.compile("sgd", "mse", metrics=["mae"], weighted_metrics=["mse"])
    h = m.fit(x, y, batch_size=4, sample_weight=sw, verbose=0).history
    assert (m._engine.fit_plan is not None) == fused
    assert len(m.metrics) == 2 and m.metrics[1].name == "compile_metrics"
    assert [len(metric.variables) for metric in m.metrics] == [2, 4]
    got = _values(m.metrics_variables)
    assert len(got) == 6
    assert [v.name for v in m.metrics_variables] == ["total", "count"] * 3
    # the loss tracker: loss * samples, samples; mae: its sum and count; the weighted
    # mse: sums weighted by sample_weight (their total, 45, is its count)
    np.testing.assert_allclose(got[:2], [h["loss"][0] * 10, 10.0], rtol=1e-6)
    np.testing.assert_allclose(got[2] / got[3], h["mae"][0], rtol=1e-6)
    assert got[3] == 10.0 and got[5] == 45.0
    np.testing.assert_allclose(got[4] / got[5], h["mse"][0], rtol=1e-6)
    # evaluate: the variables now hold evaluate's sums (no sample weights: count 10)
    logs = m.evaluate(x, y, verbose=0, return_dict=True)
    got = _values(m.metrics_variables)
    out = np.asarray(m.predict(x, verbose=0), np.float64)
    np.testing.assert_allclose(got[2], np.abs(out - y).mean(axis=1).sum(), rtol=1e-5)
    np.testing.assert_allclose(got[4] / got[5], logs["mse"], rtol=1e-6)
    assert got[5] == 10.0
    # reset_metrics zeroes them all
    m.reset_metrics()
    assert _values(m.metrics_variables) == [0.0] * 6


def test_the_model_s_own_metrics_come_last_and_are_not_weights():
    class WithMetric(keras.Sequential):
        def __init__(self):
            super().__init__([keras.Input((2,)), keras.layers.Dense(1)])
            self.extra = keras.metrics.AUC(name="extra")

    m = WithMetric()
    m.compile("sgd", "mse")
    assert len(m.metrics) == 3 and m.metrics[2] is m.extra
    # the loss tracker's 2, no compiled metrics, AUC's 4 confusion counts
    assert len(m.metrics_variables) == 6
    assert [v.name for v in m.metrics_variables[2:]] == [
        "true_positives", "false_positives", "true_negatives", "false_negatives"]
    assert len(m.weights) == 2 and m.non_trainable_variables == []
    assert all(v.trainable is False for v in m.metrics_variables)
