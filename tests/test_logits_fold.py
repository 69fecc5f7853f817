"""A softmax (sigmoid) output trained with the matching cross-entropy on probabilities
takes the loss on its logits, as Keras' TensorFlow backend does (log-sum-exp stable, no
clipping of the probabilities). On the layer path the output tensor carries its logits
to the loss whatever holds the layer; the engine must decide the same on the chain it
runs: a nested model's last layer or a residual model's output layer. Inputs large
enough that the probabilities saturate tell the two losses apart (clipped probabilities
bound each row's loss by -log(1e-7))."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import engine, layers


class Head(layers.Layer):
    """A custom layer whose call chains its own Dense layers, the last a softmax."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.d1 = layers.Dense(16, activation="relu", dtype=self.dtype_policy)
        self.d2 = layers.Dense(3, activation="softmax", dtype=self.dtype_policy)

    def call(self, x):
        return self.d2(self.d1(x))


def _model(kind, dtype):
    keras.utils.set_random_seed(1)
    inp = keras.Input((8,), dtype=dtype)
    if kind == "residual":
        h = layers.Dense(16, activation="relu", dtype=dtype)(inp)
        h2 = layers.Dense(16, activation="relu", dtype=dtype)(h)
        out = layers.Dense(3, activation="softmax", dtype=dtype)(layers.Add(dtype=dtype)([h, h2]))
        m = keras.Model(inp, out)
    elif kind == "nested_last":
        inner = keras.Sequential([keras.Input((16,), dtype=dtype),
                                  layers.Dense(3, activation="softmax", dtype=dtype)])
        m = keras.Sequential([inp, layers.Dense(16, activation="relu", dtype=dtype), inner])
    else:                               # a custom layer's chain ends the model
        m = keras.Sequential([inp, Head(dtype=dtype)])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return m


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", ["residual", "nested_last", "custom_layer_last"])
def test_the_engine_takes_the_logits_where_the_layer_path_does(monkeypatch, kind, dtype):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((64, 8)) * 30).astype(dtype)
    y = rng.integers(0, 3, 64)
    runs = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model(kind, dtype)
        first = m.evaluate(x, y, verbose=0)
        hist = m.fit(x, y, batch_size=16, epochs=2, verbose=0).history["loss"]
        if fused:
            assert m._engine.why is None and m._engine.plan is not None
            assert m._trains_on_logits()
        runs.append((first, hist))
    (e1, h1), (e2, h2) = runs
    rtol = 1e-12 if dtype == "float64" else 1e-5
    np.testing.assert_allclose(e1, e2, rtol=rtol)
    np.testing.assert_allclose(h1, h2, rtol=rtol)
    # on logits: the saturated rows' loss is not capped at -log(1e-7) = 16.1
    p = m.predict(x, verbose=0)
    with np.errstate(divide="ignore"):
        clipped = -np.log(np.clip(p[np.arange(64), y], 1e-7, 1.0)).mean()
    assert e2 > clipped * 1.05, (e2, clipped)
