"""Keras 3's `keras/src/optimizers/optimizer_test.py` (the base optimizer: iterations,
clipping, EMA of the weights, gradient accumulation, constraints, names, pickling),
ported to fastnn.

Each test names the Keras test it comes from (`# Keras: <file>::<class>::<test>`), with
Keras' expected values and tolerances. Adaptations: `backend.Variable` is
`fastnn.Variable` (float32, Keras' floatx), `backend.convert_to_tensor` a float32 NumPy
array, `testing.TestCase` / `parameterized` come from `metric_testing.py`. Keras'
private variables are fastnn's slots of the same meaning: `_accumulated_gradients[i]`
is `_slots[i]["gradient_accumulator"]`, `_model_variables_moving_average[i]` is
`_slots[i]["average"]`, `_clip_gradients` is `_clip`; `optimizer._iterations` (the
number of apply() calls) has Keras' name. Where fastnn words an error differently,
`match=` holds fastnn's phrase with Keras' regex quoted beside it.

Not ported:

| Keras test | reason |
|---|---|
| test_tf_checkpointing | TensorFlow only (`tf.train.Checkpoint`) |
| test_mixed_with_tf_variables | TensorFlow only (`tf.Variable`) |
| the "adafactor" cases of the parametrized tests | fastnn has no Adafactor |
"""
import pickle

import numpy as np
import pytest

import fastnn
from fastnn import constraints
from fastnn import layers
from fastnn import models
from fastnn import optimizers
from tests.conformance.metric_testing import TestCase as _TC
from tests.conformance.metric_testing import parameterized

SOURCE = "keras/src/optimizers/optimizer_test.py"


class backend:
    @staticmethod
    def Variable(value):
        return fastnn.Variable(np.asarray(value, np.float32))

    @staticmethod
    def convert_to_tensor(value):
        return np.asarray(value, np.float32)

    class numpy:
        @staticmethod
        def zeros(shape):
            return np.zeros(shape, np.float32)


def _acc(optimizer, i):
    return optimizer._slots[i]["gradient_accumulator"]


def _average(optimizer, i):
    return optimizer._slots[i]["average"]


_OPTIMIZERS = [("adam",), ("sgd",), ("adamw",), ("adagrad",), ("rmsprop",), ("adadelta",),
               ("adamax",), ("lion",), ("nadam",), ("ftrl",)]


class TestOptimizer(_TC):
    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_iterations_counter
    def test_iterations_counter(self):
        v = backend.Variable([[1.0, 2.0], [3.0, 4.0]])
        grads = backend.convert_to_tensor([[1.0, 1.0], [1.0, 1.0]])
        optimizer = optimizers.Adam(learning_rate=1.0)
        self.assertAllClose(optimizer.iterations, 0)
        optimizer.apply_gradients([(grads, v)])
        self.assertAllClose(optimizer.iterations, 1)
        optimizer.apply_gradients([(grads, v)])
        self.assertAllClose(optimizer.iterations, 2)

    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_empty_gradients
    def test_empty_gradients(self):
        # Test no valid gradient
        v = backend.Variable([[3.0, 4.0], [5.0, 6.0]])
        grads = None
        optimizer = optimizers.SGD(learning_rate=1.0)
        with self.assertRaisesRegex(
            ValueError, "No gradients provided for any variable."
        ):
            optimizer.apply_gradients([(grads, v)])

        # Test filtering of empty gradients
        v2 = backend.Variable([[3.0, 4.0], [5.0, 6.0]])
        grads2 = backend.convert_to_tensor([[1.0, 1.0], [1.0, 1.0]])
        optimizer = optimizers.SGD(learning_rate=1.0)
        with pytest.warns(Warning):
            optimizer.apply_gradients([(grads, v), (grads2, v2)])
        self.assertAllClose(v, [[3.0, 4.0], [5.0, 6.0]])
        self.assertAllClose(v2, [[2.0, 3.0], [4.0, 5.0]])

    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_clip_args
    def test_clip_args(self):
        optimizer = optimizers.SGD(learning_rate=1.0, clipnorm=0.1)
        self.assertEqual(optimizer.clipnorm, 0.1)
        optimizer = optimizers.SGD(learning_rate=1.0, clipvalue=0.1)
        self.assertEqual(optimizer.clipvalue, 0.1)
        optimizer = optimizers.SGD(learning_rate=1.0, global_clipnorm=0.1)
        self.assertEqual(optimizer.global_clipnorm, 0.1)

        # Test invalid arguments
        # Keras: "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can"
        with self.assertRaisesRegex(
            ValueError,
            "only one of clipnorm, clipvalue and global_clipnorm may",
        ):
            optimizers.SGD(
                learning_rate=1.0,
                clipnorm=0.1,
                clipvalue=0.1,
            )
        with self.assertRaisesRegex(
            ValueError,
            "only one of clipnorm, clipvalue and global_clipnorm may",
        ):
            optimizers.SGD(
                learning_rate=1.0,
                clipnorm=0.1,
                global_clipnorm=0.1,
            )

    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_clip_norm
    def test_clip_norm(self):
        optimizer = optimizers.SGD(clipnorm=1)
        grad = backend.convert_to_tensor([100.0, 100.0])
        clipped_grad = optimizer._clip([grad])
        self.assertAllClose(clipped_grad[0], [2**0.5 / 2, 2**0.5 / 2])

    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_clip_value
    def test_clip_value(self):
        optimizer = optimizers.SGD(clipvalue=1)
        grad = backend.convert_to_tensor([100.0, 100.0])
        clipped_grad = optimizer._clip([grad])
        self.assertAllClose(clipped_grad[0], [1.0, 1.0])

    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_global_clip_norm
    def test_global_clip_norm(self):
        optimizer = optimizers.SGD(global_clipnorm=1)
        grad = np.array([50.0, 100.0], dtype="float32")
        global_norm = np.linalg.norm(grad)
        clipped_grad = optimizer._clip(
            [backend.convert_to_tensor(grad)]
        )
        self.assertAllClose(clipped_grad[0], grad / global_norm)

    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_ema
    def test_ema(self):
        v = backend.Variable([[3.0, 4.0], [5.0, 6.0]])
        grads = backend.convert_to_tensor([[1.0, 1.0], [1.0, 1.0]])
        optimizer = optimizers.SGD(
            learning_rate=1.0,
            use_ema=True,
            ema_momentum=0.9,
            ema_overwrite_frequency=3,
        )
        optimizer.apply_gradients([(grads, v)])
        self.assertAllClose(v, [[2.0, 3.0], [4.0, 5.0]])
        self.assertAllClose(
            _average(optimizer, 0),
            [[2.0, 3.0], [4.0, 5.0]],  # initialized after first step
        )
        optimizer.apply_gradients([(grads, v)])
        self.assertAllClose(v, [[1.0, 2.0], [3.0, 4.0]])
        self.assertAllClose(
            _average(optimizer, 0),
            [[1.9, 2.9], [3.9, 4.9]],
        )
        optimizer.apply_gradients([(grads, v)])
        # Variables were overwritten with EMA
        self.assertAllClose(v, [[1.71, 2.71], [3.71, 4.71]])
        self.assertAllClose(
            _average(optimizer, 0),
            [[1.71, 2.71], [3.71, 4.71]],
        )

    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_ema_with_model_fit
    @pytest.mark.xfail(strict=True, reason="missing: labels broadcast against the outputs "
                                           "(y of shape (1, 1) for a Dense(2) output); "
                                           "tests/test_optimizer_options.py runs this case "
                                           "with y of shape (1, 2)")
    def test_ema_with_model_fit(self):
        x_train = np.ones((1, 1)).astype("float32")
        y_train = np.zeros((1, 1)).astype("float32")
        optimizer = optimizers.SGD(
            learning_rate=0.1, use_ema=True, ema_momentum=0.9
        )
        model = models.Sequential(
            [layers.Dense(2, kernel_initializer="ones", use_bias=False)]
        )
        model.compile(loss="mse", optimizer=optimizer, run_eagerly=True)
        model.fit(x_train, y_train, batch_size=1, epochs=2)
        self.assertAllClose(
            _average(optimizer, 0),
            [[0.891, 0.891]],
            atol=1e-5,
        )
        self.assertAllClose(
            model.trainable_variables[0].numpy(),
            [[0.891, 0.891]],
            atol=1e-5,
        )

    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_constraints_are_applied
    def test_constraints_are_applied(self):
        v = backend.Variable(np.random.random((2, 2)) - 1.0)
        v.constraint = constraints.NonNeg()
        optimizer = optimizers.SGD(learning_rate=0.0001)
        grad = backend.numpy.zeros((2, 2))
        optimizer.apply_gradients([(grad, v)])
        self.assertAlmostEqual(np.min(v), 0.0)

    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_get_method
    def test_get_method(self):
        obj = optimizers.get("sgd")
        self.assertTrue(isinstance(obj, optimizers.SGD))
        obj = optimizers.get("adamw")
        self.assertTrue(isinstance(obj, optimizers.AdamW))

        obj = optimizers.get(None)
        self.assertEqual(obj, None)

        with self.assertRaises(ValueError):
            optimizers.get("typo")

    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_static_loss_scaling
    def test_static_loss_scaling(self):
        v = backend.Variable([[1.0, 2.0], [3.0, 4.0]])
        grads = backend.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]]) * 1024.0
        optimizer = optimizers.SGD(learning_rate=1.0, loss_scale_factor=1024.0)
        optimizer.apply_gradients([(grads, v)])
        self.assertEqual(optimizer.scale_loss(1.0), 1024.0)
        self.assertAllClose(v, [[0.0, 0.0], [0.0, 0.0]])

    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_set_weights
    def test_set_weights(self):
        x = backend.Variable([[1.0, 2.0], [3.0, 4.0]])
        optimizer_1 = optimizers.Adam()
        grads = backend.convert_to_tensor([[1.0, 2.0], [3.0, 4.0]])
        optimizer_1.apply_gradients(zip([grads], [x]))
        optimizer_2 = optimizers.Adam()
        with self.assertRaisesRegex(ValueError, "You are calling*"):
            optimizer_2.set_weights(optimizer_1.variables)
        optimizer_2.build([x])
        optimizer_2.set_weights(optimizer_1.variables)
        for i in range(len(optimizer_1.variables)):
            self.assertAllClose(
                optimizer_1.variables[i],
                optimizer_2.variables[i],
            )

    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_gradient_accumulation
    def test_gradient_accumulation(self):
        v = backend.Variable([[1.0, 2.0], [3.0, 4.0]])
        grads = backend.convert_to_tensor([[1.0, 1.0], [1.0, 1.0]])
        optimizer = optimizers.SGD(
            learning_rate=1.0, gradient_accumulation_steps=3
        )
        self.assertEqual(optimizer.gradient_accumulation_steps, 3)

        # Iteration 1
        optimizer.apply_gradients([(grads, v)])
        self.assertAllClose(v, [[1.0, 2.0], [3.0, 4.0]])
        self.assertAllClose(
            _acc(optimizer, 0), [[1.0, 1.0], [1.0, 1.0]]
        )
        self.assertAllClose(optimizer._iterations, 1)
        self.assertAllClose(optimizer.iterations, 0)

        # Iteration 2
        optimizer.apply_gradients([(grads, v)])
        self.assertAllClose(v, [[1.0, 2.0], [3.0, 4.0]])
        self.assertAllClose(
            _acc(optimizer, 0), [[2.0, 2.0], [2.0, 2.0]]
        )
        self.assertAllClose(optimizer._iterations, 2)
        self.assertAllClose(optimizer.iterations, 0)

        # Iteration 3
        optimizer.apply_gradients([(grads, v)])
        self.assertAllClose(v, [[0.0, 1.0], [2.0, 3.0]])
        self.assertAllClose(
            _acc(optimizer, 0), [[0.0, 0.0], [0.0, 0.0]]
        )
        self.assertAllClose(optimizer._iterations, 3)
        self.assertAllClose(optimizer.iterations, 1)

        # Iteration 4
        optimizer.apply_gradients([(grads, v)])
        self.assertAllClose(v, [[0.0, 1.0], [2.0, 3.0]])
        self.assertAllClose(
            _acc(optimizer, 0), [[1.0, 1.0], [1.0, 1.0]]
        )
        self.assertAllClose(optimizer._iterations, 4)
        self.assertAllClose(optimizer.iterations, 1)

    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_callable_learning_rate
    def test_callable_learning_rate(self):
        v = backend.Variable([[1.0, 2.0], [3.0, 4.0]])
        grads = backend.convert_to_tensor([[1.0, 1.0], [1.0, 1.0]])
        optimizer = optimizers.SGD(learning_rate=lambda: 0.1)
        self.assertAllClose(optimizer.iterations, 0)
        optimizer.apply_gradients([(grads, v)])
        self.assertAllClose(v, [[0.9, 1.9], [2.9, 3.9]])
        self.assertAllClose(optimizer.iterations, 1)

    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_overwrite_with_gradient
    def test_overwrite_with_gradient(self):
        v = backend.Variable([[1.0, 2.0], [3.0, 4.0]])
        v.overwrite_with_gradient = True
        v2 = backend.Variable([[1.0, 2.0], [3.0, 4.0]])
        grads = backend.convert_to_tensor([[1.0, 1.0], [1.0, 1.0]])
        grads2 = backend.convert_to_tensor([[1.0, 1.0], [1.0, 1.0]])

        optimizer = optimizers.SGD(learning_rate=1.0)
        optimizer.apply_gradients([(grads, v), (grads2, v2)])

        # `v` is overwritten by its gradient but `v2` is updated normally
        self.assertAllClose(v, [[1.0, 1.0], [1.0, 1.0]])
        self.assertAllClose(v2, [[0.0, 1.0], [2.0, 3.0]])

    # Keras: keras/src/backend/common/variables_test.py::VariablePropertiesTest::test_overwrite_with_gradient_setter
    # (the flag the two tests here use; Keras' initializer= form is fastnn.Variable's too)
    def test_overwrite_with_gradient_setter(self):
        v = fastnn.Variable(
            initializer=fastnn.initializers.RandomNormal(),
            shape=(2, 2),
        )
        self.assertFalse(v.overwrite_with_gradient)
        v.overwrite_with_gradient = True
        self.assertTrue(v.overwrite_with_gradient)

        # Keras: "must be a boolean."
        with self.assertRaisesRegex(TypeError, "must be True or False"):
            v.overwrite_with_gradient = "true"

    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_overwrite_with_gradient_with_gradient_accumulation
    def test_overwrite_with_gradient_with_gradient_accumulation(self):
        v = backend.Variable([[1.0, 2.0], [3.0, 4.0]])
        v.overwrite_with_gradient = True
        v2 = backend.Variable([[1.0, 2.0], [3.0, 4.0]])
        grad_ones = backend.convert_to_tensor([[1.0, 1.0], [1.0, 1.0]])
        grad_twos = backend.convert_to_tensor([[2.0, 2.0], [2.0, 2.0]])
        optimizer = optimizers.SGD(
            learning_rate=1.0, gradient_accumulation_steps=2
        )

        # Iteration 1
        optimizer.apply_gradients([(grad_ones, v), (grad_ones, v2)])
        self.assertAllClose(optimizer._iterations, 1)
        self.assertAllClose(optimizer.iterations, 0)
        self.assertAllClose(v, [[1.0, 2.0], [3.0, 4.0]])
        self.assertAllClose(v2, [[1.0, 2.0], [3.0, 4.0]])
        self.assertAllClose(_acc(optimizer, 0), [[1.0, 1.0], [1.0, 1.0]])
        self.assertAllClose(_acc(optimizer, 1), [[1.0, 1.0], [1.0, 1.0]])

        # Iteration 2
        optimizer.apply_gradients([(grad_twos, v), (grad_twos, v2)])
        self.assertAllClose(optimizer._iterations, 2)
        self.assertAllClose(optimizer.iterations, 1)
        self.assertAllClose(v, [[2.0, 2.0], [2.0, 2.0]])
        self.assertAllClose(v2, [[-0.5, 0.5], [1.5, 2.5]])
        self.assertAllClose(_acc(optimizer, 0), [[0.0, 0.0], [0.0, 0.0]])
        self.assertAllClose(_acc(optimizer, 1), [[0.0, 0.0], [0.0, 0.0]])

        # Iteration 3
        optimizer.apply_gradients([(grad_ones, v), (grad_ones, v2)])
        self.assertAllClose(optimizer._iterations, 3)
        self.assertAllClose(optimizer.iterations, 1)
        self.assertAllClose(v, [[2.0, 2.0], [2.0, 2.0]])
        self.assertAllClose(v2, [[-0.5, 0.5], [1.5, 2.5]])
        self.assertAllClose(_acc(optimizer, 0), [[1.0, 1.0], [1.0, 1.0]])
        self.assertAllClose(_acc(optimizer, 1), [[1.0, 1.0], [1.0, 1.0]])

    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_gradient_accumulation_with_weigth_decay
    @parameterized.parameters(_OPTIMIZERS)
    def test_gradient_accumulation_with_weigth_decay(self, optimizer):
        optimizer1 = optimizers.get(
            {"class_name": optimizer, "config": {"weight_decay": 0.05}}
        )
        optimizer3 = optimizers.get(
            {
                "class_name": optimizer,
                "config": {
                    "weight_decay": 0.05,
                    "gradient_accumulation_steps": 3,
                },
            }
        )
        variable1 = backend.Variable([[0.9], [0.5]])
        variable3 = backend.Variable([[0.9], [0.5]])

        for epoch in range(8):
            grads3 = np.random.random([3, 2, 1]).astype("float32")

            grads1 = backend.convert_to_tensor(grads3.mean(axis=0))
            optimizer1.apply_gradients([(grads1, variable1)])

            for batch in range(3):
                grads3_ = backend.convert_to_tensor(grads3[batch])
                optimizer3.apply_gradients([(grads3_, variable3)])

        self.assertAllClose(variable1, variable3)

    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_setting_lr_to_callable_untracks_lr_var
    def test_setting_lr_to_callable_untracks_lr_var(self):
        adam = optimizers.Adam(learning_rate=0.001)
        self.assertLen(adam.variables, 2)
        adam.learning_rate = optimizers.schedules.PolynomialDecay(
            adam.learning_rate, 4
        )
        self.assertLen(adam.variables, 1)

    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_pickleable_optimizers
    @parameterized.parameters(_OPTIMIZERS)
    def test_pickleable_optimizers(self, optimizer):
        optimizer = optimizers.get(optimizer)
        reloaded = pickle.loads(pickle.dumps(optimizer))

        self.assertEqual(optimizer.get_config(), reloaded.get_config())

    # Keras: keras/src/optimizers/optimizer_test.py::OptimizerTest::test_optimizer_auto_naming
    def test_optimizer_auto_naming(self):
        fastnn.backend.clear_session()      # Keras' testing.TestCase.setUp does this
        adam_1 = optimizers.Adam()
        adam_2 = optimizers.Adam()
        sgd_1 = optimizers.SGD()
        sgd_2 = optimizers.SGD()
        adamw_1 = optimizers.AdamW()
        adamw_2 = optimizers.AdamW()

        self.assertEqual(adam_1.name, "adam")
        self.assertEqual(adam_2.name, "adam_1")
        self.assertEqual(sgd_1.name, "sgd")
        self.assertEqual(sgd_2.name, "sgd_1")
        self.assertEqual(adamw_1.name, "adam_w")
        self.assertEqual(adamw_2.name, "adam_w_1")

        # Test explicit naming
        custom_adam = optimizers.Adam(name="my_adam")
        self.assertEqual(custom_adam.name, "my_adam")

        # Test serialization and deserialization preserves name
        config_adam_2 = optimizers.serialize(adam_2)
        reloaded_adam_2 = optimizers.deserialize(config_adam_2)
        self.assertEqual(reloaded_adam_2.name, "adam_1")

        config_custom = optimizers.serialize(custom_adam)
        reloaded_custom = optimizers.deserialize(config_custom)
        self.assertEqual(reloaded_custom.name, "my_adam")
