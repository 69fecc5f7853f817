"""Is it a 0 or a 1? A binary classifier: 64 -> 25 (relu) -> 15 (relu) -> 1 (sigmoid).

The output is P(y = 1 | x); predict 1 where it is >= 0.5. Trained on the 0s and 1s of the
bundled 8x8 digits (pixels scaled to [0, 1]) with binary cross-entropy.

Run: python examples/digit_0_vs_1.py
"""
import numpy as np

from fastnn import Sequential
from fastnn.datasets import digits
from fastnn.layers import Dense
from fastnn.losses import BinaryCrossentropy
from fastnn.optimizers import Adam
from fastnn.utils import set_random_seed


def load_zeros_and_ones():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    keep_train, keep_test = y_train <= 1, y_test <= 1
    return ((x_train[keep_train] / 16.0, y_train[keep_train]),
            (x_test[keep_test] / 16.0, y_test[keep_test]))


def main(epochs=20, verbose=True):
    set_random_seed(1)
    (x_train, y_train), (x_test, y_test) = load_zeros_and_ones()
    model = Sequential([
        Dense(units=25, activation="relu"),
        Dense(units=15, activation="relu"),
        Dense(units=1, activation="sigmoid"),
    ])
    model.compile(optimizer=Adam(learning_rate=0.01), loss=BinaryCrossentropy(), metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=1 if verbose else 0)
    p = model.predict(x_test, verbose=0)[:, 0]
    yhat = (p >= 0.5).astype(int)
    accuracy = float(np.mean(yhat == y_test))
    if verbose:
        print(f"{len(y_train)} training and {len(y_test)} test images of 0s and 1s")
        for i in range(5):
            print(f"test image {i}: P(y=1) = {p[i]:.4f} -> predicted {yhat[i]}, true {y_test[i]}")
        print(f"test accuracy: {accuracy:.4f}")
    return {"model": model, "probabilities": p, "accuracy": accuracy, "y_test": y_test}


if __name__ == "__main__":
    result = main()
