"""Regression tests of the fixes to fastnn's older metrics (Mean, BinaryAccuracy,
CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
SparseTopKCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError, RootMeanSquaredError)
found by porting Keras' own tests (tests/conformance/test_metrics_accuracy.py and
test_metrics_regression.py). Keras' formula is the specification: values and weights of
more than one axis are reduced to one per sample (reduce_to_samplewise_values)."""
import math

import numpy as np
import pytest

from fastnn import metrics

LEGACY = [
    (metrics.Mean, {}),
    (metrics.BinaryAccuracy, {"threshold": 0.3}),
    (metrics.CategoricalAccuracy, {}),
    (metrics.SparseCategoricalAccuracy, {}),
    (metrics.TopKCategoricalAccuracy, {"k": 2}),
    (metrics.SparseTopKCategoricalAccuracy, {"k": 2}),
    (metrics.MeanSquaredError, {}),
    (metrics.MeanAbsoluteError, {}),
    (metrics.RootMeanSquaredError, {}),
]


# before: variables == [], no _dtype, get_config without "dtype" (from_config lost it)
@pytest.mark.parametrize("cls,kwargs", LEGACY, ids=[c.__name__ for c, _ in LEGACY])
def test_total_and_count_variables_and_dtype_in_config(cls, kwargs):
    m = cls(name="m", dtype="float64", **kwargs)
    assert [v.name for v in m.variables] == ["total", "count"]
    assert m._dtype == "float64"
    config = m.get_config()
    assert config["dtype"] == "float64"
    for key, value in kwargs.items():
        assert config[key] == value
    again = cls.from_config(config)
    assert again._dtype == "float64" and again.get_config() == config
    assert cls()._dtype == "float32"


def test_reset_state_zeroes_the_variables():
    m = metrics.MeanSquaredError()
    m.update_state([[1.0]], [[3.0]])
    assert [float(v.view(np.ndarray)) for v in m.variables] == [4.0, 1.0]
    m.reset_state()
    assert [float(v.view(np.ndarray)) for v in m.variables] == [0.0, 0.0]


def test_the_training_loops_may_set_nan_sums():
    # the fused loop hands back NaN sums for a diverged batch (TerminateOnNaN)
    m = metrics.MeanAbsoluteError()
    m.total, m.count = float("nan"), 2.0
    assert math.isnan(m.total) and m.count == 2.0


# before: ValueError (one weight per sample or one for all only)
def test_mean_reduces_nd_weights_per_sample():
    m = metrics.Mean()
    # per sample: values * weights [[1, 3], [5, 0]] -> means [2, 2.5]; weights -> [1, .5]
    m.update_state([[1, 3], [5, 7]], sample_weight=[[1, 1], [1, 0]])
    assert m.count == 1.5
    assert float(m.result()) == pytest.approx(4.5 / 1.5)


def test_mean_counts_samples_and_broadcasts_weights():
    m = metrics.Mean()
    m.update_state([[1, 3], [5, 7]], sample_weight=[[1, 0]])
    assert (m.total, m.count) == (3.0, 1.0)
    m = metrics.Mean()
    m.update_state([[1, 3], [5, 7]])
    assert (m.total, m.count) == (8.0, 2.0)


def test_mean_refuses_weights_that_do_not_broadcast():
    with pytest.raises(ValueError, match=r"sample_weight must broadcast"):
        metrics.Mean().update_state([1.0, 2.0], sample_weight=[1.0, 2.0, 3.0])


# before: BinaryAccuracy averaged the last axis first, then refused N-D weights
def test_binary_accuracy_nd_weights():
    y_true = np.array([[1, 1], [0, 0]])
    y_pred = np.array([[0.98, 1], [0, 0.6]])
    m = metrics.BinaryAccuracy()
    m.update_state(y_true, y_pred, sample_weight=[[1, 0], [0, 1]])
    assert float(m.result()) == pytest.approx(0.5)
    m = metrics.BinaryAccuracy()
    m.update_state(y_true, y_pred, sample_weight=[[1, 0]])
    assert float(m.result()) == pytest.approx(1.0)
    # per-sample weights give what they gave before: mean over the last axis, weighted
    m = metrics.BinaryAccuracy()
    m.update_state(y_true, y_pred, sample_weight=[3.0, 1.0])
    assert float(m.result()) == pytest.approx((3 * 1.0 + 1 * 0.5) / 4)


# before: ValueError (labels had to have the shape y_pred.shape[:-1])
def test_sparse_categorical_accuracy_broadcasts_labels_as_keras():
    m = metrics.SparseCategoricalAccuracy()
    m.update_state(np.array([[0], [0]]), np.array([[[0.9, 0.1, 0.0], [0.8, 0.15, 0.05]]]))
    assert float(m.result()) == 1.0
    assert m.count == 2.0
    with pytest.raises(ValueError, match="one class index per row"):
        metrics.SparseCategoricalAccuracy().update_state([0, 1, 2], np.ones((2, 3)))


def test_sparse_categorical_accuracy_function_keeps_the_label_shape():
    out = metrics.sparse_categorical_accuracy(np.array([[2], [1]]),
                                              np.array([[0.1, 0.6, 0.3], [0.05, 0.95, 0]]))
    np.testing.assert_array_equal(out, [0.0, 1.0])


# before: TypeError (no from_sorted_ids)
def test_sparse_top_k_from_sorted_ids():
    m = metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    assert m.get_config()["from_sorted_ids"] is True
    # ids sorted by score: label 0 is second in row 0 (in the top 2), third in row 1
    m.update_state([0, 0], np.array([[3, 0, 1], [3, 1, 0]]), sample_weight=[0.25, 0.75])
    assert float(m.result()) == pytest.approx(0.25)
    np.testing.assert_array_equal(
        metrics.sparse_top_k_categorical_accuracy([2, 1], [[1, 0, 3], [1, 2, 3]], k=1,
                                                  from_sorted_ids=True), [0.0, 1.0])
    assert metrics.SparseTopKCategoricalAccuracy().from_sorted_ids is False
    with pytest.raises(TypeError, match="from_sorted_ids"):
        metrics.SparseTopKCategoricalAccuracy(from_sorted_ids="yes")


# before: RootMeanSquaredError refused a weight per value
def test_root_mean_squared_error_weights_per_value():
    m = metrics.RootMeanSquaredError()
    # squares [[1, 4], [9, 16]] * weights [[1, 0], [1, 1]] -> per sample [.5, 12.5];
    # weights per sample [.5, 1]
    m.update_state([[0.0, 0.0], [0.0, 0.0]], [[1.0, 2.0], [3.0, 4.0]],
                   sample_weight=[[1, 0], [1, 1]])
    assert float(m.result()) == pytest.approx(math.sqrt(13.0 / 1.5))
    m = metrics.RootMeanSquaredError()
    m.update_state([2, 4, 6, 8], [1, 3, 2, 3], sample_weight=[0, 1, 0, 1])
    assert float(m.result()) == pytest.approx(math.sqrt(13))


def test_mean_squared_error_nd_weights():
    m = metrics.MeanSquaredError()
    # per-sample MSE over the last axis: (2, 2, 2) values -> (2, 2); weights (2, 2)
    y_pred = np.arange(8, dtype=np.float64).reshape(2, 2, 2)
    m.update_state(np.zeros((2, 2, 2)), y_pred, sample_weight=[[1, 0], [0, 1]])
    per = (y_pred ** 2).mean(axis=-1) * [[1, 0], [0, 1]]
    assert float(m.result()) == pytest.approx(per.mean(axis=1).sum() / 1.0)


def test_mean_of_no_values_adds_nothing():
    """Found by the API fuzzing: Keras' reduction of an empty batch with a scalar weight
    counts one sample of NaN; fastnn adds nothing (the result stays 0, then the mean of
    what comes next)."""
    import numpy as np
    from fastnn import metrics
    m = metrics.Mean()
    m.update_state(np.array([]), sample_weight=1.0)
    assert m.result() == 0.0 and m.count == 0
    m.update_state([1.0, 3.0], sample_weight=2.0)
    assert m.result() == 2.0


def test_repr_of_the_compiled_metrics_and_of_array_results():
    """repr never fails: the compiled metrics' result is a dict, F1Score(average=None)'s
    an array, and a metric before any update shows its initial result."""
    import fastnn as keras
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    m.compile("adam", "mse", metrics=["mae"])
    assert "compile_metrics" in repr(m.metrics)
    m.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    text = repr(m.metrics)
    assert "'mae': " in text and "<Mean name='loss' result=" in text
    f1 = keras.metrics.F1Score(average=None)
    f1.update_state(np.eye(3, dtype="float32"), np.eye(3, dtype="float32"))
    assert repr(f1).endswith("result=[1. 1. 1.]>")
    assert repr(keras.metrics.Mean()) == "<Mean name='mean' result=0.0000>"
