"""Keras 3's `keras/src/regularizers/regularizers_test.py`, ported to fastnn.

The test bodies are Keras' own (text unchanged but for a TPU-only tolerance argument).
`testing.TestCase` becomes the shim of `config_testing.py`: `assertAllClose` and
`assertAlmostEqual` keep Keras' tolerances, and `run_class_serialization_test`
round-trips the config. `backend.Variable` is fastnn's Variable and
`backend.convert_to_numpy` is numpy.asarray. Each test names its source
(`# Keras: <file>::<test>`).

Not ported: `ValidateFloatArgTest`, which tests `validate_float_arg`, a Keras-internal
helper. fastnn checks the same arguments with its own messages, in tests/test_errors.py.
"""
import numpy as np
import pytest

import fastnn
from fastnn import regularizers
from fastnn.tensor import Variable
from tests.conformance import config_testing


class backend:                                 # noqa: N801 (Keras' module name)
    Variable = Variable
    convert_to_numpy = staticmethod(np.asarray)


class _TestCase(config_testing.TestCase):
    module = regularizers


class RegularizersTest(_TestCase):
    def test_config(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_config
        reg = regularizers.L1(0.1)
        self.run_class_serialization_test(reg)

        reg = regularizers.L2(0.1)
        self.run_class_serialization_test(reg)

        reg = regularizers.L1L2(l1=0.1, l2=0.2)
        self.run_class_serialization_test(reg)

        reg = regularizers.OrthogonalRegularizer(factor=0.1, mode="rows")
        self.run_class_serialization_test(reg)

    def test_l1(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_l1
        value = np.random.random((4, 4)).astype(np.float32)
        x = backend.Variable(value)
        y = regularizers.L1(0.1)(x)
        self.assertAllClose(y, 0.1 * np.sum(np.abs(value)))

    def test_l2(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_l2
        value = np.random.random((4, 4)).astype(np.float32)
        x = backend.Variable(value)
        y = regularizers.L2(0.1)(x)
        self.assertAllClose(y, 0.1 * np.sum(np.square(value)))

    def test_l1_l2(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_l1_l2
        value = np.random.random((4, 4)).astype(np.float32)
        x = backend.Variable(value)
        y = regularizers.L1L2(l1=0.1, l2=0.2)(x)
        self.assertAllClose(
            y, 0.1 * np.sum(np.abs(value)) + 0.2 * np.sum(np.square(value))
        )

    def test_orthogonal_regularizer(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_orthogonal_regularizer
        value = np.random.random((4, 4)).astype(np.float32)
        x = backend.Variable(value)
        y = regularizers.OrthogonalRegularizer(factor=0.1, mode="rows")(x)

        l2_norm = np.linalg.norm(value, axis=1, keepdims=True)
        inputs = value / l2_norm
        self.assertAllClose(
            y,
            0.1
            * 0.5
            * np.sum(
                np.abs(np.dot(inputs, np.transpose(inputs)) * (1.0 - np.eye(4)))
            )
            / (4.0 * (4.0 - 1.0) / 2.0),
        )

    def test_get_method(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_get_method
        obj = regularizers.get("l1l2")
        self.assertIsInstance(obj, regularizers.L1L2)

        obj = regularizers.get("l1")
        self.assertIsInstance(obj, regularizers.L1)

        obj = regularizers.get("l2")
        self.assertIsInstance(obj, regularizers.L2)

        obj = regularizers.get("orthogonal_regularizer")
        self.assertIsInstance(obj, regularizers.OrthogonalRegularizer)

        obj = regularizers.get(None)
        self.assertEqual(obj, None)

        with self.assertRaises(ValueError):
            regularizers.get("typo")

    def test_l1l2_get_config(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_l1l2_get_config
        l1 = 0.01
        l2 = 0.02
        reg = regularizers.L1L2(l1=l1, l2=l2)
        config = reg.get_config()

        self.assertAllClose(config["l1"], l1)
        self.assertAllClose(config["l2"], l2)

        reg_from_config = regularizers.L1L2.from_config(config)
        config_from_config = reg_from_config.get_config()

        self.assertDictEqual(config, config_from_config)
        self.assertAllClose(reg_from_config.l1, l1)
        self.assertAllClose(reg_from_config.l2, l2)

    def test_orthogonal_regularizer_mode_validation(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_orthogonal_regularizer_mode_validation
        with self.assertRaises(ValueError) as context:
            regularizers.OrthogonalRegularizer(factor=0.01, mode="invalid_mode")

        expected_message = (
            'Invalid value for argument `mode`. Expected one of {"rows", '
            '"columns"}. Received: mode=invalid_mode'
        )
        self.assertEqual(str(context.exception), expected_message)

    def test_orthogonal_regularizer_input_rank_validation(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_orthogonal_regularizer_input_rank_validation
        with self.assertRaises(ValueError) as context:
            value = np.random.random((4, 4, 4)).astype(np.float32)
            x = backend.Variable(value)
            regularizers.OrthogonalRegularizer(factor=0.1)(x)

        expected_message = (
            "Inputs to OrthogonalRegularizer must have rank 2. "
            f"Received: inputs.shape={(4, 4, 4)}"
        )
        self.assertEqual(str(context.exception), expected_message)

    def test_orthogonal_regularizer_get_config(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_orthogonal_regularizer_get_config
        factor = 0.01
        mode = "columns"
        regularizer = regularizers.OrthogonalRegularizer(
            factor=factor, mode=mode
        )
        config = regularizer.get_config()

        self.assertAlmostEqual(config["factor"], factor, 7)
        self.assertEqual(config["mode"], mode)

        reg_from_config = regularizers.OrthogonalRegularizer.from_config(config)
        config_from_config = reg_from_config.get_config()

        self.assertAlmostEqual(config_from_config["factor"], factor, 7)
        self.assertEqual(config_from_config["mode"], mode)

    def test_l1_with_zero_weights(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_l1_with_zero_weights
        value = np.zeros((4, 4), dtype=np.float32)
        x = backend.Variable(value)
        y = regularizers.L1(0.1)(x)
        self.assertAllClose(y, 0.0)

    def test_l1_with_negative_weights(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_l1_with_negative_weights
        pos_value = np.ones((4, 4), dtype=np.float32)
        neg_value = -np.ones((4, 4), dtype=np.float32)
        x_pos = backend.Variable(pos_value)
        x_neg = backend.Variable(neg_value)
        y_pos = regularizers.L1(0.1)(x_pos)
        y_neg = regularizers.L1(0.1)(x_neg)
        self.assertAllClose(y_pos, y_neg)

    def test_l1_zero_coefficient(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_l1_zero_coefficient
        value = np.random.random((4, 4)).astype(np.float32)
        x = backend.Variable(value)
        y = regularizers.L1(0.0)(x)
        self.assertAllClose(y, 0.0)

    def test_l2_with_zero_weights(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_l2_with_zero_weights
        value = np.zeros((4, 4), dtype=np.float32)
        x = backend.Variable(value)
        y = regularizers.L2(0.1)(x)
        self.assertAllClose(y, 0.0)

    def test_l2_zero_coefficient(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_l2_zero_coefficient
        value = np.random.random((4, 4)).astype(np.float32)
        x = backend.Variable(value)
        y = regularizers.L2(0.0)(x)
        self.assertAllClose(y, 0.0)

    def test_l2_is_larger_than_l1_for_large_weights(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_l2_is_larger_than_l1_for_large_weights
        value = np.ones((4, 4), dtype=np.float32) * 10.0
        x = backend.Variable(value)
        l1_val = float(backend.convert_to_numpy(regularizers.L1(1.0)(x)))
        l2_val = float(backend.convert_to_numpy(regularizers.L2(1.0)(x)))
        self.assertGreater(l2_val, l1_val)

    def test_l2_is_smaller_than_l1_for_small_weights(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_l2_is_smaller_than_l1_for_small_weights
        value = np.ones((4, 4), dtype=np.float32) * 0.1
        x = backend.Variable(value)
        l1_val = float(backend.convert_to_numpy(regularizers.L1(1.0)(x)))
        l2_val = float(backend.convert_to_numpy(regularizers.L2(1.0)(x)))
        self.assertLess(l2_val, l1_val)

    def test_l1l2_zero_coefficients(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_l1l2_zero_coefficients
        value = np.random.random((4, 4)).astype(np.float32)
        x = backend.Variable(value)
        y = regularizers.L1L2(l1=0.0, l2=0.0)(x)
        self.assertAllClose(y, 0.0)

    def test_l1l2_only_l1(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_l1l2_only_l1
        value = np.random.random((4, 4)).astype(np.float32)
        x = backend.Variable(value)
        y_l1l2 = regularizers.L1L2(l1=0.1, l2=0.0)(x)
        y_l1 = regularizers.L1(0.1)(x)
        self.assertAllClose(y_l1l2, y_l1)

    def test_l1l2_only_l2(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_l1l2_only_l2
        value = np.random.random((4, 4)).astype(np.float32)
        x = backend.Variable(value)
        y_l1l2 = regularizers.L1L2(l1=0.0, l2=0.1)(x)
        y_l2 = regularizers.L2(0.1)(x)
        self.assertAllClose(y_l1l2, y_l2)

    def test_l1l2_with_zero_weights(self):
        # Keras: keras/src/regularizers/regularizers_test.py::test_l1l2_with_zero_weights
        value = np.zeros((4, 4), dtype=np.float32)
        x = backend.Variable(value)
        y = regularizers.L1L2(l1=0.1, l2=0.2)(x)
        self.assertAllClose(y, 0.0)


# fastnn's own checks of the regularizer the port added ---------------------------------

@pytest.mark.parametrize("mode", ["rows", "columns"])
@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (6, 2)])
def test_orthogonal_regularizer_gradient_is_the_central_difference(mode, shape):
    w = np.random.default_rng(7).standard_normal(shape)
    reg = regularizers.OrthogonalRegularizer(factor=0.3, mode=mode)
    g = reg.grad(w)
    eps = 1e-6
    num = np.zeros_like(w)
    for idx in np.ndindex(*shape):
        a, b = w.copy(), w.copy()
        a[idx] += eps
        b[idx] -= eps
        num[idx] = (float(np.asarray(reg(a))) - float(np.asarray(reg(b)))) / (2 * eps)
    np.testing.assert_allclose(g, num, atol=1e-7, rtol=1e-6)


def test_orthogonal_regularizer_trains_on_the_layer_path_and_saves(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((32, 4), dtype=np.float32)
    model = fastnn.Sequential([
        fastnn.Input((4,)),
        fastnn.layers.Dense(3, kernel_regularizer=regularizers.OrthogonalRegularizer(
            0.5, "columns")),
        fastnn.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    before = model.layers[0].kernel.copy()
    model.fit(x, x[:, :1], epochs=2, verbose=0)
    assert "OrthogonalRegularizer" in model._engine.why       # not an engine penalty
    assert not np.array_equal(before, model.layers[0].kernel)
    path = str(tmp_path / "m.keras")
    model.save(path)
    again = fastnn.models.load_model(path)
    reg = again.layers[0].kernel_regularizer
    assert type(reg) is regularizers.OrthogonalRegularizer
    assert reg.get_config() == {"factor": 0.5, "mode": "columns"}
    assert regularizers.deserialize(regularizers.serialize(reg)).get_config() == reg.get_config()
