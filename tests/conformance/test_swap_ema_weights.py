"""Keras 3's `keras/src/callbacks/swap_ema_weights_test.py`, ported to fastnn.

Each test names the Keras test it comes from (`# Keras: <file>::<class>::<test>`).
Adaptations: `keras.src.callbacks` / `layers` / `losses` / `metrics` / `optimizers` /
`saving` / `Sequential` are fastnn's; `testing.TestCase` comes from `metric_testing.py`;
Keras' `test_utils.get_test_data(train_samples=10, ..., input_shape=(3,),
num_classes=2, random_seed=2023)` is replaced by ten rows drawn around two class
templates with NumPy's generator (seed 2023), and `numerical_utils.to_categorical` is
`fastnn.utils.to_categorical`; the assertions do not depend on the exact numbers.
`jit_compile` is left out (fastnn has no compilation step).

Not ported:

| Keras test | reason |
|---|---|
| test_swap_ema_weights_with_tf_distribute | TensorFlow only (`tf.distribute.MirroredStrategy`) |
"""
import os.path
import tempfile

import numpy as np
import pytest

from fastnn import callbacks
from fastnn import layers
from fastnn import losses
from fastnn import metrics
from fastnn import optimizers
from fastnn import saving
from fastnn import utils
from fastnn.models import Sequential
from tests.conformance.metric_testing import TestCase as _TC


def _test_data(samples=10, input_shape=(3,), num_classes=2, seed=2023):
    rng = np.random.default_rng(seed)
    y = np.arange(samples) % num_classes
    templates = 2 * num_classes * rng.random((num_classes,) + input_shape)
    x = (templates[y] + rng.normal(size=(samples,) + input_shape)).astype("float32")
    return x, y


class TestSwapEMAWeights(_TC):
    def setup_method(self):
        x_train, y_train = _test_data()
        y_train = utils.to_categorical(y_train)

        self.x_train = x_train
        self.y_train = y_train

    def _get_compiled_model(self, use_ema=True, loss_scale=False):
        optimizer = optimizers.SGD(use_ema=use_ema, ema_momentum=0.9)
        if loss_scale:
            optimizer = optimizers.LossScaleOptimizer(optimizer)
        model = Sequential(
            [layers.Dense(2, kernel_initializer="ones", use_bias=False)]
        )
        model.compile(
            optimizer=optimizer,
            loss=losses.MeanSquaredError(),
            metrics=[metrics.MeanSquaredError()],
        )
        return model

    # Keras: keras/src/callbacks/swap_ema_weights_test.py::SwapEMAWeightsTest::test_swap_ema_weights_with_invalid_optimizer
    def test_swap_ema_weights_with_invalid_optimizer(self):
        model = self._get_compiled_model(use_ema=False)
        with self.assertRaisesRegex(
            ValueError,
            ("SwapEMAWeights must be used when `use_ema=True` is set"),
        ):
            model.fit(
                self.x_train,
                self.y_train,
                epochs=2,
                callbacks=[callbacks.SwapEMAWeights()],
                validation_data=(self.x_train, self.y_train),
            )

    # Keras: keras/src/callbacks/swap_ema_weights_test.py::SwapEMAWeightsTest::test_swap_ema_weights
    def test_swap_ema_weights(self):
        # not using SwapEMAWeights
        model = self._get_compiled_model()
        history = model.fit(
            self.x_train,
            self.y_train,
            epochs=2,
            validation_data=(self.x_train, self.y_train),
        )
        logs = model.evaluate(self.x_train, self.y_train, return_dict=True)
        # final metric during fitting is different from the evaluation
        self.assertNotEqual(
            history.history["val_mean_squared_error"][-1],
            logs["mean_squared_error"],
        )

        # using SwapEMAWeights
        model = self._get_compiled_model()
        history = model.fit(
            self.x_train,
            self.y_train,
            epochs=2,
            callbacks=[callbacks.SwapEMAWeights()],
            validation_data=(self.x_train, self.y_train),
        )
        logs = model.evaluate(self.x_train, self.y_train, return_dict=True)
        # final metric during fitting is same as the evaluation
        self.assertEqual(
            history.history["val_mean_squared_error"][-1],
            logs["mean_squared_error"],
        )

    # Keras: keras/src/callbacks/swap_ema_weights_test.py::SwapEMAWeightsTest::test_swap_ema_weights_on_epoch
    def test_swap_ema_weights_on_epoch(self):
        # using SwapEMAWeights together with ModelCheckpoint
        model = self._get_compiled_model()
        with tempfile.TemporaryDirectory() as temp_dir:
            model.fit(
                self.x_train,
                self.y_train,
                epochs=2,
                callbacks=[
                    callbacks.SwapEMAWeights(swap_on_epoch=True),
                    callbacks.ModelCheckpoint(
                        os.path.join(temp_dir, "{epoch:1d}.keras")
                    ),
                ],
                validation_data=(self.x_train, self.y_train),
            )
            model2 = saving.load_model(os.path.join(temp_dir, "2.keras"))

        logs = model.evaluate(self.x_train, self.y_train, return_dict=True)
        logs2 = model2.evaluate(self.x_train, self.y_train, return_dict=True)
        # saved checkpoint will be applied by EMA weights
        self.assertEqual(
            logs["mean_squared_error"],
            logs2["mean_squared_error"],
        )

    # Keras: keras/src/callbacks/swap_ema_weights_test.py::SwapEMAWeightsTest::test_swap_ema_weights_with_loss_scale_optimizer
    def test_swap_ema_weights_with_loss_scale_optimizer(self):
        model = self._get_compiled_model(loss_scale=True)
        history = model.fit(
            self.x_train,
            self.y_train,
            epochs=2,
            callbacks=[callbacks.SwapEMAWeights()],
            validation_data=(self.x_train, self.y_train),
        )
        logs = model.evaluate(self.x_train, self.y_train, return_dict=True)
        # final metric during fitting is same as the evaluation
        self.assertEqual(
            history.history["val_mean_squared_error"][-1],
            logs["mean_squared_error"],
        )
