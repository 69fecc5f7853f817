"""Nested models and the user's own layers that chain other layers train on the C engine
when what they compute is a chain of layers the engine runs: a Sequential inside a
Sequential, a custom Layer whose call() chains its own Dense and Dropout layers (in a
Sequential, a functional model or both), a frozen base model. Each trains bitwise as on
the layer path. A container whose call does more than chain its layers, or that is
frozen while its layers are not, keeps the layer path."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import engine, layers, ops


class Block(layers.Layer):
    """Dense -> Dropout -> Dense, all relu: a chain of its own layers."""

    def __init__(self, units, rate=0.0, **kwargs):
        super().__init__(**kwargs)
        self.d1 = layers.Dense(units, activation="relu")
        self.drop = layers.Dropout(rate)
        self.d2 = layers.Dense(units, activation="relu")

    def call(self, x, training=None):
        return self.d2(self.drop(self.d1(x), training=training))


class ScaledBlock(Block):
    """Not a chain: an operation between its layers."""

    def call(self, x, training=None):
        return self.d2(self.d1(x) * 2.0)


def _data(n=96):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 10)).astype(np.float32), rng.integers(0, 3, n)


def _build(kind, rate):
    keras.utils.set_random_seed(0)
    if kind == "block_in_sequential":
        m = keras.Sequential([keras.Input((10,)), Block(12, rate),
                              layers.Dense(3, activation="softmax")])
    elif kind == "sequential_in_sequential":
        base = keras.Sequential([keras.Input((10,)), layers.Dense(12, activation="relu"),
                                 layers.Dropout(rate), layers.Dense(12, activation="relu")])
        m = keras.Sequential([base, layers.Dense(3, activation="softmax")])
    elif kind == "block_in_functional":
        inp = keras.Input((10,))
        out = layers.Dense(3, activation="softmax")(Block(12, rate)(inp))
        m = keras.Model(inp, out)
    else:                               # a block inside a Sequential inside a Sequential
        inner = keras.Sequential([keras.Input((10,)), Block(12, rate)])
        m = keras.Sequential([inner, layers.Dense(3, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


KINDS = ["block_in_sequential", "sequential_in_sequential", "block_in_functional",
         "block_in_sequential_in_sequential"]


@pytest.mark.parametrize("rate", [0.0, 0.25])
@pytest.mark.parametrize("kind", KINDS)
def test_a_nested_chain_trains_on_the_engine_bitwise_as_the_layer_path(monkeypatch, kind, rate):
    x, y = _data()
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _build(kind, rate)
        if fused:
            assert [type(layer) for layer in m._flat_chain()
                    if not isinstance(layer, layers.InputLayer)] == \
                [layers.Dense, layers.Dropout, layers.Dense, layers.Dense]
        h = m.fit(x, y, batch_size=16, epochs=3, verbose=0).history
        if fused:
            assert m._engine.why is None and m._engine.plan is not None
        out.append((h, m.get_weights(), m.predict(x, verbose=0), m.evaluate(x, y, verbose=0)))
    (h1, w1, p1, e1), (h2, w2, p2, e2) = out
    assert h1 == h2 and e1 == e2
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2))
    assert np.array_equal(p1, p2)


def test_a_custom_layer_changing_the_width_builds_the_next_layer_for_its_output():
    # its output shape is what a call gives (10 inputs, 12 outputs), not its input's
    m = keras.Sequential([keras.Input((10,)), Block(12), layers.Dense(3)])
    assert [w.shape for w in m.get_weights()] == [(10, 12), (12,), (12, 12), (12,), (12, 3), (3,)]
    assert m.layers[0].output_shape == (None, 12)
    assert m.predict(_data()[0], verbose=0).shape == (96, 3)


def test_a_block_that_is_no_chain_keeps_the_layer_path():
    x, y = _data()
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((10,)), ScaledBlock(12), layers.Dense(3)])
    m.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert isinstance(m._flat_chain()[0], ScaledBlock)
    m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert m._engine.plan is None and "ScaledBlock" in m._engine.why
    # and it computes its own call: twice the first Dense's output
    h = ops.convert_to_numpy(m.layers[0].d1(x))
    want = ops.convert_to_numpy(m.layers[0].d2(h * 2.0))
    got = ops.convert_to_numpy(m.layers[0](x))
    assert np.allclose(got, want)


@pytest.mark.parametrize("layer_unfrozen", [False, True])
def test_a_frozen_block_keeps_its_weights_on_either_path(monkeypatch, layer_unfrozen):
    """Freezing a container freezes its layers (as in Keras 3), and the frozen block is
    expanded: each layer's flag says what the engine does. A layer unfrozen again inside
    the frozen block is still not trained (the block's weights are not the model's
    trainable ones): that block is not expanded, and keeps the layer path. Either way its
    weights do not change, and both paths agree."""
    x, y = _data()
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        keras.utils.set_random_seed(0)
        block = Block(12)
        m = keras.Sequential([keras.Input((10,)), block, layers.Dense(3, activation="softmax")])
        block.trainable = False
        assert not block.d1.trainable and not block.d2.trainable
        if layer_unfrozen:
            block.d1.trainable = True
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        before = [w.copy() for w in block.get_weights()]
        m.fit(x, y, batch_size=16, epochs=2, verbose=0)
        assert all(np.array_equal(a, b) for a, b in zip(before, block.get_weights()))
        if fused:
            assert (m._engine.plan is None) == layer_unfrozen
        out.append(m.get_weights())
    assert all(np.array_equal(a, b) for a, b in zip(*out))


def test_replacing_a_layer_of_a_block_retraces_it():
    x, y = _data()
    keras.utils.set_random_seed(0)
    block = Block(12)
    m = keras.Sequential([keras.Input((10,)), block, layers.Dense(3, activation="softmax")])
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    plan = m._engine.plan
    assert plan is not None
    new = layers.Dense(12, activation="tanh")
    new.build((None, 12))
    block.d2 = new
    assert m._flat_chain()[-2] is new
    # (a new optimizer for the new set of weights, as in Keras)
    m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = new.kernel.copy()
    m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert m._engine.plan is not None and m._engine.plan is not plan
    assert not np.array_equal(before, new.kernel)      # the new layer is the one trained
