"""Choosing the output activation for regression (which activation for the last layer).

- Targets of either sign (a stock's change from the previous day) -> a linear output.
- Targets that are never negative (the price of a home) -> a ReLU output: the network can
  only predict values >= 0.

Both use the digit network's hidden layers (25 relu, 15 relu) on synthetic data and the mean
squared error; we compare each against the constant predictor (the targets' mean).

Run: python examples/regression_outputs.py
"""
import numpy as np

from fastnn import Sequential
from fastnn.layers import Dense
from fastnn.optimizers import Adam
from fastnn.utils import set_random_seed


def make_data(m=512, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.0, 1.0, size=(m, 3))
    change = 1.5 * X[:, 0] - 2.0 * X[:, 1] * X[:, 2] + 0.05 * rng.normal(size=m)   # +/- values
    size, rooms, age = X[:, 0] + 1.0, X[:, 1] + 1.0, X[:, 2] + 1.0                 # in [0, 2]
    price = 1.0 + 2.0 * size + 0.5 * rooms ** 2 - 0.3 * age                          # > 0
    return X, change[:, None], price[:, None]


def train(X, y, output_activation, epochs, verbose):
    model = Sequential([
        Dense(units=25, activation="relu"),
        Dense(units=15, activation="relu"),
        Dense(units=1, activation=output_activation),
    ])
    model.compile(optimizer=Adam(learning_rate=0.01), loss="mse")
    model.fit(X, y, epochs=epochs, batch_size=32, verbose=0)
    pred = model.predict(X, verbose=0)
    far = model.predict(4.0 * X, verbose=0)  # inputs well outside the training range
    mse = float(np.mean((pred - y) ** 2))
    baseline = float(np.mean((y - y.mean()) ** 2))
    if verbose:
        print(f"{output_activation:>6} output: MSE {mse:.4f} (predicting the mean: {baseline:.4f}); "
              f"predictions in [{pred.min():.3f}, {pred.max():.3f}], targets in [{y.min():.3f}, {y.max():.3f}]")
        print(f"{'':>6}         on inputs 4x outside the training range: predictions in "
              f"[{far.min():.3f}, {far.max():.3f}]")
    return model, pred, far, mse, baseline


def main(epochs=60, verbose=True):
    set_random_seed(2)
    X, change, price = make_data()
    _, pred_lin, far_lin, mse_lin, base_lin = train(X, change, "linear", epochs, verbose)
    _, pred_relu, far_relu, mse_relu, base_relu = train(X, price, "relu", epochs, verbose)
    return {"linear": {"pred": pred_lin, "far": far_lin, "mse": mse_lin, "baseline": base_lin, "y": change},
            "relu": {"pred": pred_relu, "far": far_relu, "mse": mse_relu, "baseline": base_relu, "y": price}}


if __name__ == "__main__":
    result = main()
