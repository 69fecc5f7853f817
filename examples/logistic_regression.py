"""Logistic regression trained by hand-written gradient descent on fastnn ops.

The classic formulation, line by line:

    z = np.dot(w, x) + b            # the model
    f_x = 1/(1+np.exp(-z))          # sigmoid
    w = w - alpha * dj_dw           # one gradient-descent step
    b = b - alpha * dj_db

on a batch at once: z = X.w + b (fastnn.ops.matmul), f = fastnn.ops.sigmoid(z), the cost J
is the mean binary cross-entropy (fastnn.ops.binary_crossentropy), and its gradient is
dJ/dw = X^T (f - y) / m, dJ/db = mean(f - y).

Run: python examples/logistic_regression.py
"""
import numpy as np

from fastnn import ops


def make_data(m=200, seed=0):
    """Two Gaussian blobs in 2-D: class 0 around (-1, -1), class 1 around (+1, +1)."""
    rng = np.random.default_rng(seed)
    y = (np.arange(m) % 2).astype(np.float64)
    X = rng.normal(0.0, 0.8, size=(m, 2)) + np.where(y[:, None] == 1, 1.0, -1.0)
    return X, y


def cost(X, y, w, b):
    f = ops.sigmoid(ops.matmul(X, w[:, None])[:, 0] + b)
    return float(np.mean(ops.binary_crossentropy(y[:, None], f[:, None])))


def gradient(X, y, w, b):
    m = X.shape[0]
    z = ops.matmul(X, w[:, None])[:, 0] + b      # z = w.x + b for every sample
    f = ops.sigmoid(z)                           # f_x = 1 / (1 + e^-z)
    err = f - y
    dj_dw = ops.matmul(X.T, err[:, None])[:, 0] / m
    dj_db = float(np.mean(err))
    return dj_dw, dj_db


def main(iterations=1000, alpha=0.1, verbose=True):
    X, y = make_data()
    w = np.zeros(2)
    b = 0.0
    costs = []
    for it in range(iterations):
        dj_dw, dj_db = gradient(X, y, w, b)
        w = w - alpha * dj_dw
        b = b - alpha * dj_db
        if it % (iterations // 10) == 0 or it == iterations - 1:
            costs.append(cost(X, y, w, b))
            if verbose:
                print(f"iteration {it:5d}: cost {costs[-1]:.6f}")
    f = ops.sigmoid(ops.matmul(X, w[:, None])[:, 0] + b)
    accuracy = float(np.mean((f >= 0.5) == (y == 1)))
    if verbose:
        print(f"w = {w}, b = {b:.6f}")
        print(f"training accuracy: {accuracy:.4f}")
    return {"w": w, "b": b, "costs": costs, "accuracy": accuracy, "X": X, "y": y}


if __name__ == "__main__":
    result = main()
