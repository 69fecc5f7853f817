"""ReLU units add up to any piecewise-linear function: a worked example, weight for weight.

Hidden layer (4 relu units): w = [1, 1, 1, 1], b = [0, -1, -2, -3]
  -> relu(x), relu(x - 1), relu(x - 2), relu(x - 3)
Output (linear): w = [1, 1, -1, -1], b = 0
  -> y = relu(x) + relu(x - 1) - relu(x - 2) - relu(x - 3)

i.e. 0 for x <= 0, x on [0, 1], 2x - 1 on [1, 2], x + 1 on [2, 3] and 4 from x = 3 on.
The weights are set by hand with set_weights; nothing is trained.

Run: python examples/relu_piecewise.py
"""
import numpy as np

from fastnn import Sequential
from fastnn.layers import Dense


def target(x):
    relu = lambda v: np.maximum(v, 0.0)
    return relu(x) + relu(x - 1) - relu(x - 2) - relu(x - 3)


def build():
    model = Sequential([Dense(4, activation="relu"), Dense(1, activation="linear")])
    model(np.zeros((1, 1), dtype=np.float32))  # build for one input feature
    model.set_weights([
        np.array([[1.0, 1.0, 1.0, 1.0]]),        # kernel K1: (1, 4)
        np.array([0.0, -1.0, -2.0, -3.0]),       # b1: (4,)
        np.array([[1.0], [1.0], [-1.0], [-1.0]]),  # kernel K2: (4, 1)
        np.array([0.0]),                          # b2: (1,)
    ])
    return model


def main(verbose=True):
    model = build()
    x = np.linspace(-1.0, 5.0, 25)[:, None]
    y = model(x)
    expected = target(x)
    max_err = float(np.max(np.abs(y - expected)))
    if verbose:
        print("     x    model   relu(x)+relu(x-1)-relu(x-2)-relu(x-3)")
        for xi, yi, ei in zip(x[:, 0], y[:, 0], expected[:, 0]):
            print(f"{xi:6.2f}  {yi:7.3f}  {ei:7.3f}")
        print(f"max |model - formula| = {max_err:.2e}")
    return {"x": x, "y": y, "expected": expected, "max_err": max_err, "model": model}


if __name__ == "__main__":
    result = main()
