"""Linear hidden layers collapse into one linear map (why hidden layers need ReLU & co).

a1 = x K1 + b1,  a2 = a1 K2 + b2 = x (K1 K2) + (b1 K2 + b2) = x K + b.

We give a 3-layer all-linear network random weights, compute K = K1 K2 K3 and
b = (b1 K2 + b2) K3 + b3, load them into a single Dense layer with set_weights, and check
both models give the same outputs (to float64 round-off). The same stack with ReLU hidden
layers does not collapse: no single linear map reproduces it.

Run: python examples/linear_collapse.py
"""
import numpy as np

from fastnn import Sequential
from fastnn.layers import Dense


def random_weights(model, rng):
    model.set_weights([rng.normal(size=w.shape) for w in model.get_weights()])


def collapse(weights):
    """[K1, b1, K2, b2, ...] -> (K, b) of the equivalent single linear layer."""
    W, b = weights[0], weights[1]
    for Wk, bk in zip(weights[2::2], weights[3::2]):
        W, b = W @ Wk, b @ Wk + bk
    return W, b


def build(activation, x):
    model = Sequential([Dense(25, activation=activation, dtype="float64"),
                        Dense(15, activation=activation, dtype="float64"),
                        Dense(1, activation="linear", dtype="float64")])
    model(x)  # builds the layers from the input's 64 features
    return model


def main(verbose=True):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 64))
    deep = build("linear", x)
    random_weights(deep, rng)
    W, b = collapse(deep.get_weights())
    single = Sequential([Dense(1, activation="linear", dtype="float64")])
    single(x)
    single.set_weights([W, b])
    diff = float(np.max(np.abs(deep(x) - single(x))))
    scale = float(np.max(np.abs(deep(x))))

    relu = build("relu", x)
    relu.set_weights(deep.get_weights())
    # The best single linear map for the ReLU network's outputs (least squares) still misses.
    y = relu(x)
    A = np.hstack([x, np.ones((x.shape[0], 1))])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    relu_residual = float(np.max(np.abs(A @ coef - y)))
    if verbose:
        print(f"all-linear 64-25-15-1 network vs one Dense(1) with K = K1 K2 K3, b = (b1 K2 + b2) K3 + b3:")
        print(f"  K has shape {W.shape}, b has shape {b.shape}")
        print(f"  max |difference| = {diff:.3e} (outputs up to {scale:.3e})")
        print(f"same weights with ReLU hidden layers: best linear fit misses by up to {relu_residual:.3e}")
    return {"W": W, "b": b, "max_abs_diff": diff, "scale": scale, "relu_residual": relu_residual,
            "deep": deep, "single": single, "x": x}


if __name__ == "__main__":
    result = main()
