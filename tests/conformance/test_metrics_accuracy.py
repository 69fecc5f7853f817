"""Keras 3's tests of Accuracy (`keras/src/metrics/accuracy_metrics_test.py`), Sum and
MeanMetricWrapper (`keras/src/metrics/reduction_metrics_test.py`), ported to fastnn.

Each test names the Keras test it comes from (`# Keras: <file>::<class>::<test>`), with
Keras' expected values and tolerances; Keras' module names (`accuracy_metrics`,
`reduction_metrics`, `metrics`) are `fastnn.metrics`; `testing.TestCase` and
`parameterized` come from `metric_testing.py`.

Not ported: BinaryAccuracyTest, CategoricalAccuracyTest, SparseCategoricalAccuracyTest,
TopKCategoricalAccuracyTest, SparseTopKCategoricalAccuracyTest and MeanTest (metrics
fastnn had before; tests/test_metrics.py covers them).
"""
import numpy as np
import pytest

from fastnn import layers, metrics, models
from fastnn import metrics as accuracy_metrics
from fastnn import metrics as reduction_metrics
from tests.conformance.metric_testing import TestCase as _TC


backend = KerasTensor = None      # not in fastnn (the test using them is an xfail)


# Keras: reduction_metrics_test.py registers this function as "test>mse"
def mse(y_true, y_pred):
    return (y_true - y_pred) ** 2


class TestAccuracy(_TC):
    # Keras: keras/src/metrics/accuracy_metrics_test.py::AccuracyTest::test_config
    def test_config(self):
        acc_obj = accuracy_metrics.Accuracy(name="accuracy", dtype="float32")
        self.assertEqual(acc_obj.name, "accuracy")
        self.assertEqual(len(acc_obj.variables), 2)
        self.assertEqual(acc_obj._dtype, "float32")

        # Test get_config
        acc_obj_config = acc_obj.get_config()
        self.assertEqual(acc_obj_config["name"], "accuracy")
        self.assertEqual(acc_obj_config["dtype"], "float32")

        # Check save and restore config
        acc_obj2 = accuracy_metrics.Accuracy.from_config(acc_obj_config)
        self.assertEqual(acc_obj2.name, "accuracy")
        self.assertEqual(len(acc_obj2.variables), 2)
        self.assertEqual(acc_obj2._dtype, "float32")

    # Keras: keras/src/metrics/accuracy_metrics_test.py::AccuracyTest::test_unweighted
    def test_unweighted(self):
        acc_obj = accuracy_metrics.Accuracy(name="accuracy", dtype="float32")
        y_true = np.array([[1], [2], [3], [4]])
        y_pred = np.array([[0], [2], [3], [4]])
        acc_obj.update_state(y_true, y_pred)
        result = acc_obj.result()
        self.assertAllClose(result, 0.75, atol=1e-3)

    # Keras: keras/src/metrics/accuracy_metrics_test.py::AccuracyTest::test_weighted
    def test_weighted(self):
        acc_obj = accuracy_metrics.Accuracy(name="accuracy", dtype="float32")
        y_true = np.array([[1], [2], [3], [4]])
        y_pred = np.array([[0], [2], [3], [4]])
        sample_weight = np.array([1, 1, 0, 0])
        acc_obj.update_state(y_true, y_pred, sample_weight=sample_weight)
        result = acc_obj.result()
        self.assertAllClose(result, 0.5, atol=1e-3)

    # Keras: keras/src/metrics/accuracy_metrics_test.py::AccuracyTest::test_weighted_rank_1
    def test_weighted_rank_1(self):
        acc_obj = accuracy_metrics.Accuracy(name="accuracy", dtype="float32")
        y_true = np.array([1, 2, 3, 4])
        y_pred = np.array([0, 2, 3, 4])
        sample_weight = np.array([1, 1, 0, 0])
        acc_obj.update_state(y_true, y_pred, sample_weight=sample_weight)
        result = acc_obj.result()
        self.assertAllClose(result, 0.5, atol=1e-3)

    # Keras: keras/src/metrics/accuracy_metrics_test.py::AccuracyTest::test_weighted_nd_weights
    def test_weighted_nd_weights(self):
        acc_obj = accuracy_metrics.Accuracy(name="accuracy", dtype="float32")
        y_true = np.array([[1, 2], [3, 4]])
        y_pred = np.array([[0, 2], [3, 4]])
        sample_weight = np.array([[1, 0], [0, 1]])
        acc_obj.update_state(y_true, y_pred, sample_weight=sample_weight)
        result = acc_obj.result()
        self.assertAllClose(result, 0.5, atol=1e-3)

    # Keras: keras/src/metrics/accuracy_metrics_test.py::AccuracyTest::test_weighted_nd_broadcast_weights
    def test_weighted_nd_broadcast_weights(self):
        acc_obj = accuracy_metrics.Accuracy(name="accuracy", dtype="float32")
        y_true = np.array([[1, 2], [3, 4]])
        y_pred = np.array([[0, 2], [3, 4]])
        sample_weight = np.array([[1, 0]])
        acc_obj.update_state(y_true, y_pred, sample_weight=sample_weight)
        result = acc_obj.result()
        self.assertAllClose(result, 0.5, atol=1e-3)


class TestSum(_TC):
    # Keras: keras/src/metrics/reduction_metrics_test.py::SumTest::test_config
    def test_config(self):
        sum_obj = reduction_metrics.Sum(name="sum", dtype="float32")
        self.assertEqual(sum_obj.name, "sum")
        self.assertEqual(len(sum_obj.variables), 1)
        self.assertEqual(sum_obj._dtype, "float32")

        # Check save and restore config
        sum_obj2 = reduction_metrics.Sum.from_config(sum_obj.get_config())
        self.assertEqual(sum_obj2.name, "sum")
        self.assertEqual(len(sum_obj2.variables), 1)
        self.assertEqual(sum_obj2._dtype, "float32")

    # Keras: keras/src/metrics/reduction_metrics_test.py::SumTest::test_unweighted
    def test_unweighted(self):
        sum_obj = reduction_metrics.Sum(name="sum", dtype="float32")
        sum_obj.update_state([1, 3, 5, 7])
        result = sum_obj.result()
        self.assertAllClose(result, 16.0, atol=1e-3)

    # Keras: keras/src/metrics/reduction_metrics_test.py::SumTest::test_weighted
    def test_weighted(self):
        sum_obj = reduction_metrics.Sum(name="sum", dtype="float32")
        sum_obj.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
        result = sum_obj.result()
        self.assertAllClose(result, 4.0, atol=1e-3)

    # Keras: keras/src/metrics/reduction_metrics_test.py::SumTest::test_weighted_nd
    def test_weighted_nd(self):
        sum_obj = reduction_metrics.Sum(name="sum", dtype="float32")
        sum_obj.update_state([[1, 3], [5, 7]], sample_weight=[[1, 1], [1, 0]])
        result = sum_obj.result()
        self.assertAllClose(result, 9.0, atol=1e-3)

    # Keras: keras/src/metrics/reduction_metrics_test.py::SumTest::test_weighted_nd_broadcast
    def test_weighted_nd_broadcast(self):
        sum_obj = reduction_metrics.Sum(name="sum", dtype="float32")
        sum_obj.update_state([[1, 3], [5, 7]], sample_weight=[[1, 0]])
        result = sum_obj.result()
        self.assertAllClose(result, 6.0, atol=1e-3)


class TestMetricWrapper(_TC):
    # Keras: keras/src/metrics/reduction_metrics_test.py::MetricWrapperTest::test_config
    @pytest.mark.xfail(strict=True, reason="missing: register_keras_serializable (a Python "
                       "function in MeanMetricWrapper's config; fastnn saves its own "
                       "metric and loss functions by name only)")
    def test_config(self):
        mse_obj = reduction_metrics.MeanMetricWrapper(
            fn=mse, name="mse", dtype="float32"
        )
        self.assertEqual(mse_obj.name, "mse")
        self.assertEqual(len(mse_obj.variables), 2)
        self.assertEqual(mse_obj._dtype, "float32")
        # Check save and restore config
        mse_obj2 = reduction_metrics.MeanMetricWrapper.from_config(
            mse_obj.get_config()
        )
        self.assertEqual(mse_obj2.name, "mse")
        self.assertEqual(len(mse_obj2.variables), 2)
        self.assertEqual(mse_obj2._dtype, "float32")
        self.assertTrue("fn" in mse_obj2.get_config())

    # Keras: keras/src/metrics/reduction_metrics_test.py::MetricWrapperTest::test_unweighted
    def test_unweighted(self):
        mse_obj = reduction_metrics.MeanMetricWrapper(
            fn=mse, name="mse", dtype="float32"
        )
        y_true = np.array(
            [[0, 1, 0, 1, 0], [0, 0, 1, 1, 1], [1, 1, 1, 1, 0], [0, 0, 0, 0, 1]]
        )
        y_pred = np.array(
            [[0, 0, 1, 1, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 0], [1, 1, 1, 1, 1]]
        )

        mse_obj.update_state(y_true, y_pred)
        result = mse_obj.result()
        self.assertAllClose(result, 0.5, atol=1e-5)

    # Keras: keras/src/metrics/reduction_metrics_test.py::MetricWrapperTest::test_weighted
    def test_weighted(self):
        mse_obj = reduction_metrics.MeanMetricWrapper(
            fn=mse, name="mse", dtype="float32"
        )
        y_true = np.array(
            [[0, 1, 0, 1, 0], [0, 0, 1, 1, 1], [1, 1, 1, 1, 0], [0, 0, 0, 0, 1]]
        )
        y_pred = np.array(
            [[0, 0, 1, 1, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 0], [1, 1, 1, 1, 1]]
        )
        sample_weight = np.array([1.0, 1.5, 2.0, 2.5])
        result = mse_obj(y_true, y_pred, sample_weight=sample_weight)
        self.assertAllClose(result, 0.54285, atol=1e-5)

    # Keras: keras/src/metrics/reduction_metrics_test.py::MetricWrapperTest::test_weighted_broadcast
    def test_weighted_broadcast(self):
        mse_obj = reduction_metrics.MeanMetricWrapper(
            fn=mse, name="mse", dtype="float32"
        )
        y_true = np.array(
            [[0, 1, 0, 1, 0], [0, 0, 1, 1, 1], [1, 1, 1, 1, 0], [0, 0, 0, 0, 1]]
        )
        y_pred = np.array(
            [[0, 0, 1, 1, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 0], [1, 1, 1, 1, 1]]
        )
        sample_weight = np.array([[1.0, 0.0, 0.5, 0.0, 1.0]])
        result = mse_obj(y_true, y_pred, sample_weight=sample_weight)
        self.assertAllClose(result, 0.45, atol=1e-5)

    # Keras: keras/src/metrics/reduction_metrics_test.py::MetricWrapperTest::test_weighted_dynamic_shape
    @pytest.mark.xfail(strict=True, reason="missing: backend.compute_output_spec and "
                       "KerasTensor (symbolic shapes)")
    def test_weighted_dynamic_shape(self):
        mse_obj = reduction_metrics.MeanMetricWrapper(
            fn=mse, name="mse", dtype="float32"
        )
        result = backend.compute_output_spec(
            mse_obj,
            KerasTensor((None, 5)),
            KerasTensor((None, 5)),
            KerasTensor((None, 5)),
        )
        self.assertEqual(result.shape, ())

    # Keras: keras/src/metrics/reduction_metrics_test.py::MetricWrapperTest::test_binary_accuracy_with_boolean_inputs
    @pytest.mark.xfail(strict=True, reason="missing: comparison operators on a symbolic "
                       "KerasTensor (inp > 0.5 in a functional model)")
    def test_binary_accuracy_with_boolean_inputs(self):
        inp = layers.Input(shape=(1,))
        out = inp > 0.5
        model = models.Model(inputs=inp, outputs=out)

        x = np.random.rand(32, 1)
        y = x > 0.5

        res = model.predict(x)
        metric = metrics.BinaryAccuracy()
        metric.update_state(y, res)
        result = metric.result()
        self.assertEqual(result, 1.0)
