"""Multiclass: softmax output vs linear output + from_logits=True (and why the latter is exact).

Both digit networks (64 -> 25 relu -> 15 relu -> 10) train on the bundled digits; the
second outputs logits and the loss applies softmax itself ("more accurate"), and
tf.nn.softmax turns the logits into probabilities afterwards.

Why it is more accurate: with extreme logits, softmax rounds the true class's probability
to 0 (or the loss must clip it at 1e-7), so the loss computed from probabilities is wrong,
while log-sum-exp on the logits gives the exact value. fastnn (like Keras) also uses the
logits internally when the last layer is softmax, so training the first model is stable too.

Run: python examples/softmax_vs_logits.py
"""
import numpy as np

import fastnn as tf
from fastnn import Sequential
from fastnn.datasets import digits
from fastnn.layers import Dense
from fastnn.losses import SparseCategoricalCrossentropy
from fastnn.optimizers import Adam
from fastnn.utils import set_random_seed


def train(output_activation, from_logits, data, epochs, verbose):
    (x_train, y_train), (x_test, y_test) = data
    set_random_seed(3)
    model = Sequential([
        Dense(units=25, activation="relu"),
        Dense(units=15, activation="relu"),
        Dense(units=10, activation=output_activation),
    ])
    model.compile(optimizer=Adam(learning_rate=0.005),
                  loss=SparseCategoricalCrossentropy(from_logits=from_logits))
    model.fit(x_train, y_train, epochs=epochs, batch_size=32, verbose=0)
    out = model.predict(x_test, verbose=0)
    probs = tf.nn.softmax(out) if from_logits else out
    accuracy = float(np.mean(np.argmax(probs, axis=1) == y_test))
    if verbose:
        print(f"{output_activation:>7} output, from_logits={from_logits!s:5}: test accuracy {accuracy:.4f}; "
              f"probabilities sum to {probs.sum(axis=1).min():.6f}..{probs.sum(axis=1).max():.6f}")
    return accuracy, probs


def extreme_logits(verbose):
    """Loss on logits [0, 100, 200] (float32) when the true class is 0: 200 (to 1e-43)."""
    z = np.array([[0.0, 100.0, 200.0]], dtype=np.float32)
    y = np.array([0])
    exact = 200.0 + float(np.log1p(np.exp(-100.0) + np.exp(-200.0)))
    p = tf.nn.softmax(z)  # P(class 0) = e^-200 underflows to 0 in float32
    naive = float(-np.log(p[0, 0])) if p[0, 0] > 0 else float("inf")
    from_probs = float(SparseCategoricalCrossentropy()(y, p))
    from_logits = float(SparseCategoricalCrossentropy(from_logits=True)(y, z))
    if verbose:
        print(f"extreme logits {z[0].tolist()}, true class 0: exact loss {exact:.4f}")
        print(f"  -log(softmax(z)[0]) in float32: {naive}")
        print(f"  loss on probabilities (clipped at 1e-7): {from_probs:.4f}")
        print(f"  loss on logits (log-sum-exp):            {from_logits:.4f}")
    return {"exact": exact, "naive": naive, "from_probs": from_probs, "from_logits": from_logits}


def main(epochs=40, verbose=True):
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    data = ((x_train / 16.0, y_train), (x_test / 16.0, y_test))
    acc_softmax, p_softmax = train("softmax", False, data, epochs, verbose)
    acc_logits, p_logits = train("linear", True, data, epochs, verbose)
    return {"acc_softmax": acc_softmax, "acc_logits": acc_logits, "p_softmax": p_softmax,
            "p_logits": p_logits, "extreme": extreme_logits(verbose)}


if __name__ == "__main__":
    result = main()
