"""Keras 3's `keras/src/optimizers/ftrl_test.py`, ported to fastnn: every test.

Each test names the Keras test it comes from (`# Keras: <file>::<class>::<test>`), with
Keras' expected values and tolerances. Adaptations: `keras.src.optimizers.ftrl.Ftrl` is
`fastnn.optimizers.Ftrl`, `backend.Variable` is `fastnn.Variable` (float32, Keras'
floatx), `testing.TestCase` comes from `metric_testing.py`, whose
`run_class_serialization_test` is replaced here by a `serialize` / `get` round trip of
the optimizer's config; Keras' private `_clip_gradients` is fastnn's `_clip` (the same
step). The `test_invalid_*` tests keep Keras' exception type and values; `match=` holds
fastnn's message (it names the argument and its range) with Keras' regex quoted beside it.
"""
# flake8: noqa
import numpy as np
import pytest

import fastnn
from fastnn import optimizers
from fastnn.optimizers import Ftrl
from tests.conformance.metric_testing import TestCase as _TC


class backend:
    @staticmethod
    def Variable(value):
        return fastnn.Variable(np.asarray(value, np.float32))


class TestFtrl(_TC):
    # Keras: keras/src/optimizers/ftrl_test.py::FtrlTest::test_config
    def test_config(self):
        optimizer = Ftrl(
            learning_rate=0.05,
            learning_rate_power=-0.2,
            initial_accumulator_value=0.4,
            l1_regularization_strength=0.05,
            l2_regularization_strength=0.15,
            l2_shrinkage_regularization_strength=0.01,
            beta=0.3,
        )
        new = optimizers.get(optimizers.serialize(optimizer))
        assert type(new) is Ftrl
        assert new.get_config() == optimizer.get_config()
        assert Ftrl.from_config(optimizer.get_config()).get_config() == optimizer.get_config()

    # Keras: keras/src/optimizers/ftrl_test.py::FtrlTest::test_single_step
    def test_single_step(self):
        optimizer = Ftrl(learning_rate=0.5)
        grads = np.array([1.0, 6.0, 7.0, 2.0])
        vars = backend.Variable([1.0, 2.0, 3.0, 4.0])
        optimizer.apply_gradients(zip([grads], [vars]))
        self.assertAllClose(
            vars, [0.2218, 1.3954, 2.3651, 2.8814], rtol=1e-4, atol=1e-4
        )

    # Keras: keras/src/optimizers/ftrl_test.py::FtrlTest::test_correctness_with_golden
    def test_correctness_with_golden(self):
        optimizer = Ftrl(
            learning_rate=0.05,
            learning_rate_power=-0.2,
            initial_accumulator_value=0.4,
            l1_regularization_strength=0.05,
            l2_regularization_strength=0.15,
            l2_shrinkage_regularization_strength=0.01,
            beta=0.3,
        )

        x = backend.Variable(np.ones([10]))
        grads = np.arange(0.1, 1.1, 0.1)
        first_grads = np.full((10,), 0.01)

        # fmt: off
        golden = np.array(
            [[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [-0.0034, -0.0077, -0.0118, -0.0157, -0.0194, -0.023, -0.0263, -0.0294, -0.0325, -0.0354],
            [-0.0078, -0.0162, -0.0242, -0.0317, -0.0387, -0.0454, -0.0516, -0.0575, -0.0631, -0.0685],
            [-0.0121, -0.0246, -0.0363, -0.0472, -0.0573, -0.0668, -0.0757, -0.0842, -0.0922, -0.0999],
            [-0.0164, -0.0328, -0.0481, -0.0623, -0.0753, -0.0875, -0.099, -0.1098, -0.1201, -0.1299]]
        )
        # fmt: on

        optimizer.apply_gradients(zip([first_grads], [x]))
        for i in range(5):
            self.assertAllClose(x, golden[i], rtol=5e-4, atol=5e-4)
            optimizer.apply_gradients(zip([grads], [x]))

    # Keras: keras/src/optimizers/ftrl_test.py::FtrlTest::test_clip_norm
    def test_clip_norm(self):
        optimizer = Ftrl(clipnorm=1)
        grad = [np.array([100.0, 100.0])]
        clipped_grad = optimizer._clip(grad)
        self.assertAllClose(clipped_grad[0], [2**0.5 / 2, 2**0.5 / 2])

    # Keras: keras/src/optimizers/ftrl_test.py::FtrlTest::test_clip_value
    def test_clip_value(self):
        optimizer = Ftrl(clipvalue=1)
        grad = [np.array([100.0, 100.0])]
        clipped_grad = optimizer._clip(grad)
        self.assertAllClose(clipped_grad[0], [1.0, 1.0])

    # Keras: keras/src/optimizers/ftrl_test.py::FtrlTest::test_invalid_initial_accumulator_value
    def test_invalid_initial_accumulator_value(self):
        invalid_value = -0.1
        # Keras: match="^`initial_accumulator_value` needs to be ... Received: initial_accumulator_value=...$"
        with pytest.raises(
            ValueError,
            match=f"initial_accumulator_value.*got {invalid_value}",
        ):
            Ftrl(initial_accumulator_value=invalid_value)

    # Keras: keras/src/optimizers/ftrl_test.py::FtrlTest::test_invalid_learning_rate_power
    def test_invalid_learning_rate_power(self):
        invalid_value = 0.1
        # Keras: match="^`learning_rate_power` needs to be ... Received: learning_rate_power=...$"
        with pytest.raises(
            ValueError,
            match=f"learning_rate_power.*got {invalid_value}",
        ):
            Ftrl(learning_rate_power=invalid_value)

    # Keras: keras/src/optimizers/ftrl_test.py::FtrlTest::test_invalid_l1_regularization_strength
    def test_invalid_l1_regularization_strength(self):
        invalid_value = -0.1
        # Keras: match="^`l1_regularization_strength` needs to be ... Received: l1_regularization_strength=...$"
        with pytest.raises(
            ValueError,
            match=f"l1_regularization_strength.*got {invalid_value}",
        ):
            Ftrl(l1_regularization_strength=invalid_value)

    # Keras: keras/src/optimizers/ftrl_test.py::FtrlTest::test_invalid_l2_regularization_strength
    def test_invalid_l2_regularization_strength(self):
        invalid_value = -0.1
        # Keras: match="^`l2_regularization_strength` needs to be ... Received: l2_regularization_strength=...$"
        with pytest.raises(
            ValueError,
            match=f"l2_regularization_strength.*got {invalid_value}",
        ):
            Ftrl(l2_regularization_strength=invalid_value)

    # Keras: keras/src/optimizers/ftrl_test.py::FtrlTest::test_invalid_l2_shrinkage_regularization_strength
    def test_invalid_l2_shrinkage_regularization_strength(self):
        invalid_value = -0.1
        # Keras: match="^`l2_shrinkage_regularization_strength` needs to be ... Received: l2_shrinkage_regularization_strength=...$"
        with pytest.raises(
            ValueError,
            match=f"l2_shrinkage_regularization_strength.*got {invalid_value}",
        ):
            Ftrl(l2_shrinkage_regularization_strength=invalid_value)
