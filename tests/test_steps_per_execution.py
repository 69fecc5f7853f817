"""compile(steps_per_execution=n): the batch callbacks run once per n steps, numbered as
Keras 3 numbers them (begin = the execution's first step, end = begin + n - 1), on the C
engine and on the layer path alike; the training itself does not change."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import engine, layers


class Hooks(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_batch_begin(self, batch, logs=None):
        self.calls.append(("train_begin", batch))

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(("train_end", batch, round(logs["loss"], 12)))

    def on_test_batch_begin(self, batch, logs=None):
        self.calls.append(("test_begin", batch))

    def on_test_batch_end(self, batch, logs=None):
        self.calls.append(("test_end", batch))

    def on_predict_batch_begin(self, batch, logs=None):
        self.calls.append(("predict_begin", batch))

    def on_predict_batch_end(self, batch, logs=None):
        self.calls.append(("predict_end", batch, len(logs["outputs"])))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.random((100, 4)).astype(np.float32), rng.integers(0, 3, 100)


def _model(kind, spe):
    keras.utils.set_random_seed(3)
    if kind == "engine":
        m = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"),
                              layers.Dense(3)])
    else:      # a functional model with a branch into an Activation: the layer path
        inp = keras.Input((4,))
        h = layers.Dense(8, activation="relu")(inp)
        b = layers.Dense(2)(layers.Activation("tanh")(inp))
        m = keras.Model(inp, layers.Dense(3)(layers.Concatenate()([h, b])))
    m.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              steps_per_execution=spe)
    return m


@pytest.mark.parametrize("kind", ["engine", "layers"])
def test_hooks_once_per_execution_and_the_same_training(data, kind):
    x, y = data
    ref, m = _model(kind, 1), _model(kind, 3)
    assert (engine.plan_for(m, x, training=True) is not None) == (kind == "engine")
    engine.plan_for(ref, x, training=True)       # both draw the plan's seed
    h_ref, h = Hooks(), Hooks()
    keras.utils.set_random_seed(4)
    ref.fit(x, y, batch_size=16, epochs=2, callbacks=[h_ref], verbose=0)
    keras.utils.set_random_seed(4)
    m.fit(x, y, batch_size=16, epochs=2, callbacks=[h], verbose=0)
    for a, b in zip(ref.get_weights(), m.get_weights()):
        np.testing.assert_array_equal(a, b)
    # 7 steps an epoch: executions begin at 0, 3, 6 and end at 2, 5, 8
    begins = [c[1] for c in h.calls if c[0] == "train_begin"]
    ends = [c[1] for c in h.calls if c[0] == "train_end"]
    assert begins == [0, 3, 6] * 2 and ends == [2, 5, 8] * 2
    # each execution's logs are those after its last step
    ref_losses = [c[2] for c in h_ref.calls if c[0] == "train_end"]
    losses = [c[2] for c in h.calls if c[0] == "train_end"]
    assert losses == [ref_losses[i] for i in (2, 5, 6, 9, 12, 13)]


@pytest.mark.parametrize("kind", ["engine", "layers"])
def test_evaluate_and_predict_hooks(data, kind):
    x, y = data
    m = _model(kind, 3)
    h = Hooks()
    ref = m.evaluate(x, y, batch_size=16, verbose=0)
    assert m.evaluate(x, y, batch_size=16, callbacks=[h], verbose=0) == pytest.approx(ref)
    assert [c[1] for c in h.calls] == [0, 2, 3, 5, 6, 8]
    h.calls.clear()
    out = m.predict(x, batch_size=16, callbacks=[h], verbose=0)
    np.testing.assert_allclose(out, m.predict(x, batch_size=16, verbose=0), rtol=1e-6)
    assert h.calls == [("predict_begin", 0), ("predict_end", 2, 48), ("predict_begin", 3),
                       ("predict_end", 5, 48), ("predict_begin", 6), ("predict_end", 8, 4)]


def test_generators_and_bad_values(data):
    x, y = data
    m = _model("layers", 2)

    def gen():
        for i in range(0, 100, 20):
            yield x[i:i + 20], y[i:i + 20]
    h = Hooks()
    m.fit(gen(), epochs=1, callbacks=[h], verbose=0)
    assert [c[1] for c in h.calls] == [0, 1, 2, 3, 4, 5]
    for bad in (0, -1, 1.5, "2"):
        with pytest.raises(ValueError, match="steps_per_execution must be an int >= 1"):
            m.compile(loss="mse", steps_per_execution=bad)
