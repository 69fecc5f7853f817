"""Keras 3's `keras/src/optimizers/loss_scale_optimizer_test.py`, ported to fastnn.

Each test names the Keras test it comes from (`# Keras: <file>::<class>::<test>`), with
Keras' expected values and tolerances. Adaptations: `backend.Variable` is
`fastnn.Variable` (float32), `ops.array` a float32 NumPy array; Keras'
`optimizer.iterations.value` is fastnn's `optimizer.iterations` (an int);
`run_class_serialization_test` is written out with `optimizers.serialize` /
`optimizers.deserialize`. Where fastnn words an error differently, `match=` holds
fastnn's phrase with Keras' regex quoted beside it.

Not ported:

| Keras test | reason |
|---|---|
| the "stateless" cases of the parametrized tests | fastnn has no `stateless_apply` (a JAX-style API) |
"""
import numpy as np

import fastnn
from fastnn import optimizers
from fastnn.optimizers import SGD, LossScaleOptimizer
from tests.conformance.metric_testing import TestCase as _TC
from tests.conformance.metric_testing import parameterized

SOURCE = "keras/src/optimizers/loss_scale_optimizer_test.py"


def _var(values):
    return fastnn.Variable(np.asarray(values, np.float32))


def _array(values):
    return np.asarray(values, np.float32)


class TestLossScaleOptimizer(_TC):
    # Keras: keras/src/optimizers/loss_scale_optimizer_test.py::LossScaleOptimizerTest::test_config
    def test_config(self):
        inner_optimizer = SGD(
            learning_rate=0.5,
            momentum=0.06,
            nesterov=True,
            weight_decay=0.004,
        )
        optimizer = LossScaleOptimizer(inner_optimizer)
        config = optimizer.get_config()
        revived = LossScaleOptimizer.from_config(config)
        assert type(revived) is LossScaleOptimizer
        assert revived.get_config() == config
        again = optimizers.deserialize(optimizers.serialize(optimizer))
        assert type(again) is LossScaleOptimizer
        assert again.get_config() == config

    # Keras: keras/src/optimizers/loss_scale_optimizer_test.py::LossScaleOptimizerTest::test_apply_with_no_vars
    def test_apply_with_no_vars(self):
        inner_optimizer = SGD(learning_rate=0.5)
        optimizer = LossScaleOptimizer(inner_optimizer)
        grads = [_array([1.0, 6.0, 7.0, 2.0]) * optimizer.initial_scale]
        vars = [_var([1.0, 2.0, 3.0, 4.0])]
        optimizer.build(vars)
        optimizer.apply(grads)
        self.assertAllClose(
            vars[0], [0.5, -1.0, -0.5, 3.0], rtol=1e-4, atol=1e-4
        )

    # Keras: keras/src/optimizers/loss_scale_optimizer_test.py::LossScaleOptimizerTest::test_finite_step
    def test_finite_step(self):
        inner_optimizer = SGD(learning_rate=0.5)
        optimizer = LossScaleOptimizer(inner_optimizer)
        grads = [_array([1.0, 6.0, 7.0, 2.0]) * optimizer.initial_scale]
        vars = [_var([1.0, 2.0, 3.0, 4.0])]
        optimizer.apply(grads, vars)
        self.assertAllClose(
            vars[0], [0.5, -1.0, -0.5, 3.0], rtol=1e-4, atol=1e-4
        )

    # Keras: keras/src/optimizers/loss_scale_optimizer_test.py::LossScaleOptimizerTest::test_finite_step_with_inner_loss_scale
    def test_finite_step_with_inner_loss_scale(self):
        # Ensure that the inner loss scale does not interfere with the update.
        inner_optimizer = SGD(learning_rate=0.5, loss_scale_factor=100)
        optimizer = LossScaleOptimizer(inner_optimizer)
        grads = [_array([1.0, 6.0, 7.0, 2.0]) * optimizer.initial_scale]
        vars = [_var([1.0, 2.0, 3.0, 4.0])]
        optimizer.apply(grads, vars)
        self.assertAllClose(
            vars[0], [0.5, -1.0, -0.5, 3.0], rtol=1e-4, atol=1e-4
        )

    # Keras: keras/src/optimizers/loss_scale_optimizer_test.py::LossScaleOptimizerTest::test_infinite_step
    def test_infinite_step(self):
        inner_optimizer = SGD(learning_rate=0.5)
        optimizer = LossScaleOptimizer(inner_optimizer)
        grads = [_array([np.inf, np.inf, np.inf, np.inf])]
        vars = [_var([1.0, 2.0, 3.0, 4.0])]
        optimizer.apply(grads, vars)
        self.assertAllClose(vars[0], [1.0, 2.0, 3.0, 4.0], rtol=1e-4, atol=1e-4)

    # Keras: keras/src/optimizers/loss_scale_optimizer_test.py::LossScaleOptimizerTest::test_finite_step_with_overwrite
    def test_finite_step_with_overwrite(self):
        inner_optimizer = SGD(learning_rate=0.5)
        optimizer = LossScaleOptimizer(inner_optimizer)
        grads = [_array([1.0, 6.0, 7.0, 2.0])]
        vars = [_var([1.0, 2.0, 3.0, 4.0])]
        vars[0].overwrite_with_gradient = True
        optimizer.apply(grads, vars)
        self.assertAllClose(vars[0], grads[0])

    # Keras: keras/src/optimizers/loss_scale_optimizer_test.py::LossScaleOptimizerTest::test_downscaling
    def test_downscaling(self):
        inner_optimizer = SGD(learning_rate=0.5)
        optimizer = LossScaleOptimizer(inner_optimizer, initial_scale=400.0)
        vars = [_var([1.0, 2.0, 3.0, 4.0])]
        optimizer.build(vars)
        grads = [_array([np.inf, np.inf, np.inf, np.inf])]
        for _ in range(4):
            optimizer.apply(grads, vars)
        self.assertAllClose(optimizer.scale_loss(1.0), 25.0)

    # Keras: keras/src/optimizers/loss_scale_optimizer_test.py::LossScaleOptimizerTest::test_upscaling
    def test_upscaling(self):
        inner_optimizer = SGD(learning_rate=0.5)
        optimizer = LossScaleOptimizer(
            inner_optimizer,
            initial_scale=2.0,
            dynamic_growth_steps=2,
        )
        vars = [_var([1.0, 2.0, 3.0, 4.0])]
        optimizer.build(vars)
        grads = [_array([1.0, 6.0, 7.0, 2.0])]
        for _ in range(8):
            optimizer.apply(grads, vars)
        self.assertAllClose(optimizer.scale_loss(1.0), 32.0)

    # Keras: keras/src/optimizers/loss_scale_optimizer_test.py::LossScaleOptimizerTest::test_iterations_update
    def test_iterations_update(self):
        inner_optimizer = SGD(learning_rate=0.5)
        optimizer = LossScaleOptimizer(inner_optimizer)
        vars = [_var([1.0, 2.0, 3.0, 4.0])]
        optimizer.build(vars)
        grads = [_array([1.0, 6.0, 7.0, 2.0])]

        self.assertEqual(optimizer.iterations, 0)

        for i in range(3):
            optimizer.apply(grads, vars)
            self.assertEqual(optimizer.iterations, i + 1)

    # Keras: keras/src/optimizers/loss_scale_optimizer_test.py::LossScaleOptimizerTest::test_serialization
    def test_serialization(self):
        inner_optimizer = SGD(learning_rate=0.5)
        optimizer = LossScaleOptimizer(
            inner_optimizer,
            initial_scale=3.0,
            dynamic_growth_steps=2,
            name="test_opt",
        )
        config = optimizer.get_config()
        self.assertLen(config, 4)
        self.assertEqual(config["name"], "test_opt")
        self.assertEqual(config["initial_scale"], 3.0)
        self.assertEqual(config["dynamic_growth_steps"], 2)
        self.assertIn("inner_optimizer", config)
        LossScaleOptimizer.from_config(config)

    # Keras: keras/src/optimizers/loss_scale_optimizer_test.py::LossScaleOptimizerTest::test_init_dynamic_arg
    def test_init_dynamic_arg(self):
        inner_optimizer = SGD(learning_rate=0.5)

        # dynamic=True is supported
        LossScaleOptimizer(inner_optimizer, dynamic=True)

        # dynamic=False is not supported
        # Keras: "set `loss_scale_factor`"
        with self.assertRaisesRegex(ValueError, "set loss_scale_factor"):
            LossScaleOptimizer(inner_optimizer, dynamic=False)

    # Keras: keras/src/optimizers/loss_scale_optimizer_test.py::LossScaleOptimizerTest::test_init_unsupported_arg
    def test_init_unsupported_arg(self):
        inner_optimizer = SGD(learning_rate=0.5)
        # Keras: "arguments: `foo`, `bar`"
        with self.assertRaisesRegex(ValueError, "arguments: foo, bar"):
            LossScaleOptimizer(inner_optimizer, foo=True, bar=3)

    # Keras: keras/src/optimizers/loss_scale_optimizer_test.py::LossScaleOptimizerTest::test_init_base_optimizer_unsupported_args
    @parameterized.named_parameters(
        ("weight_decay", "weight_decay", 0.5),
        ("clipnorm", "clipnorm", 0.5),
        ("global_clipnorm", "global_clipnorm", 0.5),
        ("clipvalue", "clipvalue", 0.5),
        ("use_ema", "use_ema", True),
        ("ema_momentum", "ema_momentum", 0.5),
        ("ema_overwrite_frequency", "ema_overwrite_frequency", 2),
        ("loss_scale_factor", "loss_scale_factor", 0.5),
        ("gradient_accumulation_steps", "gradient_accumulation_steps", 2),
    )
    def test_init_base_optimizer_unsupported_args(self, arg_name, arg_value):
        inner_optimizer = SGD(learning_rate=0.5)
        # Keras: "on the `inner_optimizer`"
        with self.assertRaisesRegex(ValueError, "on the inner_optimizer"):
            LossScaleOptimizer(inner_optimizer, **{arg_name: arg_value})

    # Keras: keras/src/optimizers/loss_scale_optimizer_test.py::LossScaleOptimizerTest::test_deserialization_backwards_compatibility
    def test_deserialization_backwards_compatibility(self):
        # Test deserializing with a config that has all the unsupported
        # arguments from the base optimizer (which are no longer serialized)
        config = {
            "name": "loss_scale_optimizer",
            "weight_decay": None,
            "clipnorm": None,
            "global_clipnorm": None,
            "clipvalue": None,
            "use_ema": False,
            "ema_momentum": 0.99,
            "ema_overwrite_frequency": None,
            "loss_scale_factor": None,
            "gradient_accumulation_steps": None,
            "inner_optimizer": {
                "module": "keras.optimizers",
                "class_name": "SGD",
                "config": {
                    "name": "SGD",
                    "learning_rate": 0.5,
                    "weight_decay": None,
                    "clipnorm": None,
                    "global_clipnorm": None,
                    "clipvalue": None,
                    "use_ema": False,
                    "ema_momentum": 0.99,
                    "ema_overwrite_frequency": None,
                    "loss_scale_factor": None,
                    "gradient_accumulation_steps": None,
                    "momentum": 0.0,
                    "nesterov": False,
                },
                "registered_name": None,
            },
            "initial_scale": 2.0,
            "dynamic_growth_steps": 2,
        }
        LossScaleOptimizer.from_config(config)
