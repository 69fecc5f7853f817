"""Training with class weights gives Keras' numbers when it starts from the same
weights: the keras.io example "Imbalanced classification: credit card fraud detection"
(Dense 256 x 3, sigmoid output, binary cross-entropy, Adam at 1e-2, batch 2048,
class_weight = 1 / class count), without its Dropout layers and with batches in order,
so that nothing random remains.

The golden values are Keras 3.15.1 on the PyTorch backend (CPU) running this network on
the same data (tests/programs/standin.py's credit-card table) with the same initial
weights: the training loss of each of the 5 epochs. With weights of 1/16,000 and 1/80,
the loss falls from 4e-5 to 2e-7, and over other initial weights and shuffles the final
loss ranges over two orders of magnitude (2.5e-8 to 5e-6 on fastnn and Keras alike), so
the published program's comparison (tests/test_programs.py) cannot test it; this one
does, from equal starts."""
import os
import sys

import numpy as np
import pytest

import fastnn as keras

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "programs"))
from standin import credit_card_fraud  # noqa: E402

KERAS_LOSSES = [3.6953755625290796e-05, 2.2262147467699833e-06, 1.9787582061780995e-07,
                3.3128469567600405e-07, 2.0525347110833536e-07]


def test_class_weighted_binary_crossentropy_trains_as_keras():
    f, t = credit_card_fraud()
    features = np.array(f, dtype="float32")
    targets = np.array(t, dtype="uint8")
    n_val = int(len(features) * 0.2)
    x, y = features[:-n_val], targets[:-n_val]
    counts = np.bincount(y[:, 0])
    x = x - x.mean(0)
    x /= x.std(0)
    rng = np.random.default_rng(0)
    model = keras.Sequential([keras.Input(shape=(30,))] + [
        keras.layers.Dense(256, activation="relu") for _ in range(3)] + [
        keras.layers.Dense(1, activation="sigmoid")])
    weights = []
    for a, b in [(30, 256), (256, 256), (256, 256), (256, 1)]:
        limit = np.sqrt(6 / (a + b))
        weights += [rng.uniform(-limit, limit, (a, b)).astype("float32"), np.zeros(b, "float32")]
    model.set_weights(weights)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="binary_crossentropy")
    h = model.fit(x, y, batch_size=2048, epochs=5, verbose=0, shuffle=False,
                  class_weight={0: 1.0 / counts[0], 1: 1.0 / counts[1]})
    # float32 over 40 Adam steps whose gradients are ~1e-6: the later epochs agree to a
    # few parts in ten thousand (the epochs differ from each other by 10x)
    np.testing.assert_allclose(h.history["loss"], KERAS_LOSSES, rtol=2e-3)
