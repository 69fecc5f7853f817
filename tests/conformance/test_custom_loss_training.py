"""Training with a loss written as a Python function of tensor ops (Hands-On Machine
Learning, chapter 12: a Huber loss from `tf.abs`, `tf.square`, `tf.where`) gives Keras'
numbers when it starts from the same weights.

The golden values are Keras 3.15.1 on TensorFlow 2.21 (CPU), running this very network
and data with the same initial weights, batches in order (shuffle=False), for two epochs:
the final training loss and validation loss. They pin down the whole chain: the autodiff
of the loss function (where, abs, comparisons), the per-batch mean, the optimizer update
(Nadam, Adam, SGD) and the validation pass. A different draw of initial weights moves
these losses by far more than the tolerance (0.6 to 1.7 over four draws with Nadam), so
the comparison of the published program against Keras' runs (tests/test_programs.py)
can only be loose; this one is tight."""
import os
import sys

import numpy as np
import pytest

import fastnn as tf

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "programs"))
from standin import housing_splits, standard_scale  # noqa: E402

# (optimizer, seed of the initial weights): (final loss, final val_loss) under Keras
KERAS = {
    ("nadam", 0): (1.3668644428253174, 1.0390477180480957),
    ("nadam", 1): (1.680569052696228, 1.2561054229736328),
    ("adam", 0): (1.3197743892669678, 1.0071302652359009),
    ("adam", 1): (1.6110517978668213, 1.1977773904800415),
    ("sgd", 0): (0.4292527735233307, 0.3429624140262604),
    ("sgd", 1): (0.6562625169754028, 0.5582467913627625),
}


def huber_fn(y_true, y_pred):
    error = y_true - y_pred
    is_small_error = tf.abs(error) < 1
    squared_loss = tf.square(error) / 2
    linear_loss = tf.abs(error) - 0.5
    return tf.where(is_small_error, squared_loss, linear_loss)


@pytest.mark.parametrize("optimizer, seed", sorted(KERAS))
def test_huber_function_loss_trains_as_keras(optimizer, seed):
    x_train, x_valid, x_test, y_train, y_valid, _ = housing_splits()
    x_train, x_valid, _ = standard_scale(x_train, x_valid, x_test)
    rng = np.random.default_rng(seed)
    model = tf.keras.Sequential([
        tf.keras.layers.Dense(30, activation="relu", input_shape=(8,)),
        tf.keras.layers.Dense(1)])
    model.set_weights([rng.normal(0, np.sqrt(2 / 8), (8, 30)).astype("float32"),
                       np.zeros(30, "float32"),
                       rng.normal(0, np.sqrt(1 / 30), (30, 1)).astype("float32"),
                       np.zeros(1, "float32")])
    model.compile(loss=huber_fn, optimizer=optimizer, metrics=["mae"])
    h = model.fit(x_train.astype("float32"), y_train.reshape(-1, 1).astype("float32"),
                  epochs=2, shuffle=False, verbose=0,
                  validation_data=(x_valid.astype("float32"),
                                   y_valid.reshape(-1, 1).astype("float32")))
    loss, val_loss = KERAS[optimizer, seed]
    # float32 training over 70 steps: Keras and fastnn sum in other orders
    assert h.history["loss"][-1] == pytest.approx(loss, rel=2e-5)
    assert h.history["val_loss"][-1] == pytest.approx(val_loss, rel=2e-5)
