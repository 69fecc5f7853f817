"""Keras 3's `keras/src/metrics/confusion_metrics_test.py`, ported to fastnn: the tests of
TruePositives, FalsePositives, TrueNegatives, FalseNegatives, Precision and Recall.

Each test names the Keras test it comes from (`# Keras: <file>::<class>::<test>`); the
four count classes share their tests' data, so those are parametrised over the class
with the Keras test as the case id. Keras' expected values and tolerances are kept
(`assertAllClose`: atol = rtol = 1e-6; Keras' `assertAlmostEqual`: 3 decimals unless the
test gives its own). `metrics.X` -> `fastnn.metrics.X`; `self.assertRaisesRegex` ->
`pytest.raises(match=)` with Keras' regex (fastnn's messages contain Keras' words).

The file's other test classes (SensitivityAtSpecificityTest, SpecificityAtSensitivityTest,
PrecisionAtRecallTest, RecallAtPrecisionTest, AUCTest, MultiAUCTest) are ported in
test_auc_metrics.py.
"""
import numpy as np
import pytest

from fastnn import metrics

SOURCE = "keras/src/metrics/confusion_metrics_test.py"


def _close(actual, desired, rtol=1e-6, atol=1e-6):
    np.testing.assert_allclose(np.asarray(actual, np.float64), desired, rtol=rtol, atol=atol)


def _almost(actual, desired, decimal=3):
    np.testing.assert_almost_equal(np.asarray(actual, np.float64), desired, decimal=decimal)


COUNTS = {
    "FalsePositives": metrics.FalsePositives, "FalseNegatives": metrics.FalseNegatives,
    "TrueNegatives": metrics.TrueNegatives, "TruePositives": metrics.TruePositives,
}
# Keras' test class of each (TruePositives' is TruePositiveTest, without the s)
KERAS_CLASS = {"FalsePositives": "FalsePositivesTest", "FalseNegatives": "FalseNegativesTest",
               "TrueNegatives": "TrueNegativesTest", "TruePositives": "TruePositiveTest"}


def _cases(expected):
    return [pytest.param(name, value, id=f"{KERAS_CLASS[name]}") for name, value in expected.items()]


Y_TRUE_5 = np.array(((0, 1, 0, 1, 0), (0, 0, 1, 1, 1), (1, 1, 1, 1, 0), (0, 0, 0, 0, 1)))
Y_PRED_5 = np.array(((0, 0, 1, 1, 0), (1, 1, 1, 1, 1), (0, 1, 0, 1, 0), (1, 1, 1, 1, 1)))
Y_PRED_T = np.array(((0.9, 0.2, 0.8, 0.1), (0.2, 0.9, 0.7, 0.6), (0.1, 0.2, 0.4, 0.3),
                     (0, 1, 0.7, 0.3)))
Y_TRUE_T = np.array(((0, 1, 1, 0), (1, 0, 0, 0), (0, 0, 0, 0), (1, 1, 1, 1)))


# Keras: confusion_metrics_test.py::{FalsePositivesTest, FalseNegativesTest,
#        TrueNegativesTest, TruePositiveTest}::test_config
@pytest.mark.parametrize("name", list(COUNTS), ids=[KERAS_CLASS[n] for n in COUNTS])
def test_count_config(name):
    cls = COUNTS[name]
    obj = cls(name="my_obj", thresholds=[0.4, 0.9])
    assert obj.name == "my_obj"
    assert len(obj.variables) == 1
    assert obj.thresholds == [0.4, 0.9]
    # Check save and restore config
    obj2 = cls.from_config(obj.get_config())
    assert obj2.name == "my_obj"
    assert len(obj2.variables) == 1
    assert obj2.thresholds == [0.4, 0.9]


# Keras: confusion_metrics_test.py::{FalsePositivesTest, FalseNegativesTest,
#        TrueNegativesTest, TruePositiveTest}::test_unweighted
@pytest.mark.parametrize("name,expected", _cases(
    {"FalsePositives": 7.0, "FalseNegatives": 3.0, "TrueNegatives": 3.0, "TruePositives": 7.0}))
def test_count_unweighted(name, expected):
    obj = COUNTS[name]()
    obj.update_state(Y_TRUE_5, Y_PRED_5)
    _close(obj.result(), expected)


# Keras: confusion_metrics_test.py::{FalsePositivesTest, FalseNegativesTest,
#        TrueNegativesTest, TruePositiveTest}::test_weighted
@pytest.mark.parametrize("name,expected", _cases(
    {"FalsePositives": 14.0, "FalseNegatives": 5.0, "TrueNegatives": 4.0,
     "TruePositives": 12.0}))
def test_count_weighted(name, expected):
    obj = COUNTS[name]()
    sample_weight = np.array((1.0, 1.5, 2.0, 2.5))
    result = obj(Y_TRUE_5, Y_PRED_5, sample_weight=sample_weight)
    _close(result, expected)


# Keras: confusion_metrics_test.py::{FalsePositivesTest, FalseNegativesTest,
#        TrueNegativesTest, TruePositiveTest}::test_unweighted_with_thresholds
@pytest.mark.parametrize("name,expected", _cases(
    {"FalsePositives": [7.0, 4.0, 2.0], "FalseNegatives": [1.0, 4.0, 6.0],
     "TrueNegatives": [2.0, 5.0, 7.0], "TruePositives": [6.0, 3.0, 1.0]}))
def test_count_unweighted_with_thresholds(name, expected):
    obj = COUNTS[name](thresholds=[0.15, 0.5, 0.85])
    obj.update_state(Y_TRUE_T, Y_PRED_T)
    _close(obj.result(), expected)


# Keras: confusion_metrics_test.py::{FalsePositivesTest, FalseNegativesTest,
#        TrueNegativesTest, TruePositiveTest}::test_weighted_with_thresholds
# (each Keras test has its own sample_weight: per value, per sample, per column, one
# for all)
@pytest.mark.parametrize("name,expected", _cases({
    "FalsePositives": (((1.0, 2.0, 3.0, 5.0), (7.0, 11.0, 13.0, 17.0),
                        (19.0, 23.0, 29.0, 31.0), (5.0, 15.0, 10.0, 0)), [125.0, 42.0, 12.0]),
    "FalseNegatives": (((3.0,), (5.0,), (7.0,), (4.0,)), [4.0, 16.0, 23.0]),
    "TrueNegatives": (((0.0, 2.0, 3.0, 5.0),), [5.0, 15.0, 23.0]),
    "TruePositives": (37.0, [222.0, 111.0, 37.0]),
}))
def test_count_weighted_with_thresholds(name, expected):
    sample_weight, values = expected
    obj = COUNTS[name](thresholds=[0.15, 0.5, 0.85])
    result = obj(Y_TRUE_T, Y_PRED_T, sample_weight=sample_weight)
    _close(result, values)


# Keras: confusion_metrics_test.py::{FalsePositivesTest, FalseNegativesTest,
#        TrueNegativesTest, TruePositiveTest}::test_threshold_limit
@pytest.mark.parametrize("name", list(COUNTS), ids=[KERAS_CLASS[n] for n in COUNTS])
def test_count_threshold_limit(name):
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]. Received: \[-1, 2\]"):
        COUNTS[name](thresholds=[-1, 0.5, 2])
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]. Received: \[None\]"):
        COUNTS[name](thresholds=[None])


# ------------------------------------------------------------------ Precision / Recall
PR = {"Precision": (metrics.Precision, "false_positives"),
      "Recall": (metrics.Recall, "false_negatives")}


# Keras: confusion_metrics_test.py::PrecisionTest::test_config
# Keras: confusion_metrics_test.py::RecallTest::test_config
@pytest.mark.parametrize("name", list(PR), ids=["PrecisionTest", "RecallTest"])
def test_pr_config(name):
    cls, second = PR[name]
    obj = cls(name="my_obj", thresholds=[0.4, 0.9], top_k=15, class_id=12)
    assert obj.name == "my_obj"
    assert len(obj.variables) == 2
    assert [v.name for v in obj.variables] == ["true_positives", second]
    assert obj.thresholds == [0.4, 0.9]
    assert obj.top_k == 15
    assert obj.class_id == 12
    # Check save and restore config
    obj2 = cls.from_config(obj.get_config())
    assert obj2.name == "my_obj"
    assert len(obj2.variables) == 2
    assert obj2.thresholds == [0.4, 0.9]
    assert obj2.top_k == 15
    assert obj2.class_id == 12


# Keras: confusion_metrics_test.py::PrecisionTest::test_unweighted
def test_precision_unweighted():
    p_obj = metrics.Precision()
    y_pred = np.array([1, 0, 1, 0])
    y_true = np.array([0, 1, 1, 0])
    _almost(p_obj(y_true, y_pred), 0.5)


# Keras: confusion_metrics_test.py::PrecisionTest::test_unweighted_all_incorrect
def test_precision_unweighted_all_incorrect():
    p_obj = metrics.Precision(thresholds=[0.5])
    inputs = np.random.default_rng(0).integers(0, 2, size=(100, 1))
    y_pred = np.array(inputs)
    y_true = np.array(1 - inputs)
    _almost(p_obj(y_true, y_pred), 0)


# Keras: confusion_metrics_test.py::PrecisionTest::test_weighted
def test_precision_weighted():
    p_obj = metrics.Precision()
    y_pred = np.array([[1, 0, 1, 0], [1, 0, 1, 0]])
    y_true = np.array([[0, 1, 1, 0], [1, 0, 0, 1]])
    result = p_obj(y_true, y_pred, sample_weight=np.array([[1, 2, 3, 4], [4, 3, 2, 1]]))
    weighted_tp = 3.0 + 4.0
    weighted_positives = (1.0 + 3.0) + (4.0 + 2.0)
    _almost(result, weighted_tp / weighted_positives)


# Keras: confusion_metrics_test.py::PrecisionTest::test_div_by_zero
def test_precision_div_by_zero():
    p_obj = metrics.Precision()
    y_pred = np.array([0, 0, 0, 0])
    y_true = np.array([0, 0, 0, 0])
    assert p_obj(y_true, y_pred) == 0


# Keras: confusion_metrics_test.py::PrecisionTest::test_unweighted_with_threshold
def test_precision_unweighted_with_threshold():
    p_obj = metrics.Precision(thresholds=[0.5, 0.7])
    y_pred = np.array([1, 0, 0.6, 0])
    y_true = np.array([0, 1, 1, 0])
    _almost(p_obj(y_true, y_pred), [0.5, 0.0], 0)


# Keras: confusion_metrics_test.py::PrecisionTest::test_weighted_with_threshold
def test_precision_weighted_with_threshold():
    p_obj = metrics.Precision(thresholds=[0.5, 1.0])
    y_true = np.array([[0, 1], [1, 0]])
    y_pred = np.array([[1, 0], [0.6, 0]], dtype="float32")
    weights = np.array([[4, 0], [3, 1]], dtype="float32")
    result = p_obj(y_true, y_pred, sample_weight=weights)
    weighted_tp = 0 + 3.0
    weighted_positives = (0 + 3.0) + (4.0 + 0.0)
    _almost(result, [weighted_tp / weighted_positives, 0])


# Keras: confusion_metrics_test.py::PrecisionTest::test_multiple_updates
def test_precision_multiple_updates():
    p_obj = metrics.Precision(thresholds=[0.5, 1.0])
    y_true = np.array([[0, 1], [1, 0]])
    y_pred = np.array([[1, 0], [0.6, 0]], dtype="float32")
    weights = np.array([[4, 0], [3, 1]], dtype="float32")
    for _ in range(2):
        p_obj.update_state(y_true, y_pred, sample_weight=weights)
    weighted_tp = (0 + 3.0) + (0 + 3.0)
    weighted_positives = ((0 + 3.0) + (4.0 + 0.0)) + ((0 + 3.0) + (4.0 + 0.0))
    _almost(p_obj.result(), [weighted_tp / weighted_positives, 0])


# Keras: confusion_metrics_test.py::PrecisionTest::test_unweighted_top_k
def test_precision_unweighted_top_k():
    p_obj = metrics.Precision(top_k=3)
    y_pred = np.array([0.2, 0.1, 0.5, 0, 0.2])
    y_true = np.array([0, 1, 1, 0, 0])
    _almost(p_obj(y_true, y_pred), 1.0 / 3)


# Keras: confusion_metrics_test.py::PrecisionTest::test_weighted_top_k
def test_precision_weighted_top_k():
    p_obj = metrics.Precision(top_k=3)
    y_pred1 = np.array([[0.2, 0.1, 0.4, 0, 0.2]])
    y_true1 = np.array([[0, 1, 1, 0, 1]])
    p_obj(y_true1, y_pred1, sample_weight=np.array([[1, 4, 2, 3, 5]]))
    y_pred2 = np.array([0.2, 0.6, 0.4, 0.2, 0.2])
    y_true2 = np.array([1, 0, 1, 1, 1])
    result = p_obj(y_true2, y_pred2, sample_weight=np.array(3))
    tp = (2 + 5) + (3 + 3)
    predicted_positives = (1 + 2 + 5) + (3 + 3 + 3)
    _almost(result, tp / predicted_positives)


# Keras: confusion_metrics_test.py::PrecisionTest::test_unweighted_class_id_should_throw_error_1d
# Keras: confusion_metrics_test.py::RecallTest::test_unweighted_class_id_should_throw_error_1d
@pytest.mark.parametrize("name", list(PR), ids=["PrecisionTest", "RecallTest"])
def test_pr_unweighted_class_id_should_throw_error_1d(name):
    obj = PR[name][0](class_id=2)
    y_pred = np.array([0.2, 0.1, 0.6, 0, 0.2])
    y_true = np.array([0, 1, 1, 0, 0])
    with pytest.raises(ValueError, match=r"When class_id is provided, y_pred must be a 2D array "
                                         r"with shape \(num_samples, num_classes\), found shape:.*"):
        obj(y_true, y_pred)


CLASS_ID_PRED = np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2], [0.2, 0.6, 0.2],
                          [0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
CLASS_ID_TRUE = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0],
                          [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])


# Keras: confusion_metrics_test.py::PrecisionTest::test_unweighted_class_id_multiclass
def test_precision_unweighted_class_id_multiclass():
    p_obj = metrics.Precision(class_id=1)
    result = p_obj(CLASS_ID_TRUE, CLASS_ID_PRED)
    _almost(result, 1.0)
    _almost(p_obj.true_positives, 1.0)
    _almost(p_obj.false_positives, 0.0)


# Keras: confusion_metrics_test.py::PrecisionTest::test_unweighted_top_k_and_threshold
def test_precision_unweighted_top_k_and_threshold():
    p_obj = metrics.Precision(thresholds=0.7, top_k=2)
    y_pred = np.array([0.2, 0.8, 0.6, 0, 0.2])
    y_true = np.array([0, 1, 1, 0, 1])
    _almost(p_obj(y_true, y_pred), 1)
    _almost(p_obj.true_positives, 1)
    _almost(p_obj.false_positives, 0)


# Keras: confusion_metrics_test.py::RecallTest::test_unweighted
def test_recall_unweighted():
    r_obj = metrics.Recall()
    y_pred = np.array([1, 0, 1, 0])
    y_true = np.array([0, 1, 1, 0])
    _almost(r_obj(y_true, y_pred), 0.5)


# Keras: confusion_metrics_test.py::RecallTest::test_unweighted_all_incorrect
def test_recall_unweighted_all_incorrect():
    r_obj = metrics.Recall(thresholds=[0.5])
    inputs = np.random.default_rng(1).integers(0, 2, size=(100, 1))
    y_pred = np.array(inputs)
    y_true = np.array(1 - inputs)
    _almost(r_obj(y_true, y_pred), 0)


# Keras: confusion_metrics_test.py::RecallTest::test_weighted
def test_recall_weighted():
    r_obj = metrics.Recall()
    y_pred = np.array([[1, 0, 1, 0], [0, 1, 0, 1]])
    y_true = np.array([[0, 1, 1, 0], [1, 0, 0, 1]])
    result = r_obj(y_true, y_pred, sample_weight=np.array([[1, 2, 3, 4], [4, 3, 2, 1]]))
    weighted_tp = 3.0 + 1.0
    weighted_t = (2.0 + 3.0) + (4.0 + 1.0)
    _almost(result, weighted_tp / weighted_t)


# Keras: confusion_metrics_test.py::RecallTest::test_div_by_zero
def test_recall_div_by_zero():
    r_obj = metrics.Recall()
    y_pred = np.array([0, 0, 0, 0])
    y_true = np.array([0, 0, 0, 0])
    assert r_obj(y_true, y_pred) == 0


# Keras: confusion_metrics_test.py::RecallTest::test_unweighted_with_threshold
def test_recall_unweighted_with_threshold():
    r_obj = metrics.Recall(thresholds=[0.5, 0.7])
    y_pred = np.array([1, 0, 0.6, 0])
    y_true = np.array([0, 1, 1, 0])
    # Keras: assertAllClose(..., [0.5, 0.0], 0): atol 0 (Keras' third argument), rtol 1e-6
    _close(r_obj(y_true, y_pred), [0.5, 0.0], atol=0)


# Keras: confusion_metrics_test.py::RecallTest::test_weighted_with_threshold
def test_recall_weighted_with_threshold():
    r_obj = metrics.Recall(thresholds=[0.5, 1.0])
    y_true = np.array([[0, 1], [1, 0]])
    y_pred = np.array([[1, 0], [0.6, 0]], dtype="float32")
    weights = np.array([[1, 4], [3, 2]], dtype="float32")
    result = r_obj(y_true, y_pred, sample_weight=weights)
    weighted_tp = 0 + 3.0
    weighted_positives = (0 + 3.0) + (4.0 + 0.0)
    _close(result, [weighted_tp / weighted_positives, 0], atol=1e-3)


# Keras: confusion_metrics_test.py::RecallTest::test_multiple_updates
def test_recall_multiple_updates():
    r_obj = metrics.Recall(thresholds=[0.5, 1.0])
    y_true = np.array([[0, 1], [1, 0]])
    y_pred = np.array([[1, 0], [0.6, 0]], dtype="float32")
    weights = np.array([[1, 4], [3, 2]], dtype="float32")
    for _ in range(2):
        r_obj.update_state(y_true, y_pred, sample_weight=weights)
    weighted_tp = (0 + 3.0) + (0 + 3.0)
    weighted_positives = ((0 + 3.0) + (4.0 + 0.0)) + ((0 + 3.0) + (4.0 + 0.0))
    _close(r_obj.result(), [weighted_tp / weighted_positives, 0], atol=1e-3)


# Keras: confusion_metrics_test.py::RecallTest::test_unweighted_top_k
def test_recall_unweighted_top_k():
    r_obj = metrics.Recall(top_k=3)
    y_pred = np.array([0.2, 0.1, 0.5, 0, 0.2])
    y_true = np.array([0, 1, 1, 0, 0])
    _almost(r_obj(y_true, y_pred), 0.5)


# Keras: confusion_metrics_test.py::RecallTest::test_weighted_top_k
def test_recall_weighted_top_k():
    r_obj = metrics.Recall(top_k=3)
    y_pred1 = np.array([[0.2, 0.1, 0.4, 0, 0.2]])
    y_true1 = np.array([[0, 1, 1, 0, 1]])
    r_obj(y_true1, y_pred1, sample_weight=np.array([[1, 4, 2, 3, 5]]))
    y_pred2 = np.array([0.2, 0.6, 0.4, 0.2, 0.2])
    y_true2 = np.array([1, 0, 1, 1, 1])
    result = r_obj(y_true2, y_pred2, sample_weight=np.array(3))
    tp = (2 + 5) + (3 + 3)
    positives = (4 + 2 + 5) + (3 + 3 + 3 + 3)
    _almost(result, tp / positives)


# Keras: confusion_metrics_test.py::RecallTest::test_unweighted_class_id_multiclass
def test_recall_unweighted_class_id_multiclass():
    r_obj = metrics.Recall(class_id=1)
    result = r_obj(CLASS_ID_TRUE, CLASS_ID_PRED)
    _almost(result, 1.0)
    _almost(r_obj.true_positives, 1.0)
    _almost(r_obj.false_negatives, 0.0)


# Keras: confusion_metrics_test.py::RecallTest::test_unweighted_top_k_and_threshold
def test_recall_unweighted_top_k_and_threshold():
    r_obj = metrics.Recall(thresholds=0.7, top_k=2)
    y_pred = np.array([0.2, 0.8, 0.6, 0, 0.2])
    y_true = np.array([1, 1, 1, 0, 1])
    _almost(r_obj(y_true, y_pred), 0.25)
    _almost(r_obj.true_positives, 1)
    _almost(r_obj.false_negatives, 3)


# Keras: the docstring examples of confusion_metrics.py (FalsePositives, FalseNegatives,
# TrueNegatives, TruePositives, Precision, Recall)
@pytest.mark.parametrize("cls,y_true,y_pred,expected,weighted", [
    (metrics.FalsePositives, [0, 1, 0, 0], [0, 0, 1, 1], 2.0, 1.0),
    (metrics.FalseNegatives, [0, 1, 1, 1], [0, 1, 0, 0], 2.0, 1.0),
    (metrics.TrueNegatives, [0, 1, 0, 0], [1, 1, 0, 0], 2.0, 1.0),
    (metrics.TruePositives, [0, 1, 1, 1], [1, 0, 1, 1], 2.0, 1.0),
    (metrics.Precision, [0, 1, 1, 1], [1, 0, 1, 1], 0.6666667, 1.0),
    (metrics.Recall, [0, 1, 1, 1], [1, 0, 1, 1], 0.6666667, 1.0),
])
def test_docstring_examples(cls, y_true, y_pred, expected, weighted):
    m = cls()
    m.update_state(y_true, y_pred)
    _close(m.result(), expected)
    m.reset_state()
    m.update_state(y_true, y_pred, sample_weight=[0, 0, 1, 0])
    _close(m.result(), weighted)


# Keras: the docstring examples of confusion_metrics.py::Precision (top_k)
def test_precision_docstring_top_k():
    m = metrics.Precision(top_k=2)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    _close(m.result(), 0.0)
    m = metrics.Precision(top_k=4)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    _close(m.result(), 0.5)
