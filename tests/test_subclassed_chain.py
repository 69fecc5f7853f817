"""A subclassed model whose call() is a chain of its own layers trains on the C engine,
bitwise as the Sequential of those layers; any other call() (a branch on `training`,
an operation between the layers, add_loss, a layer called twice) keeps the layer path
with its own semantics. The trace that decides leaves nothing behind."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import engine, layers, ops


class Chain(keras.Model):
    def __init__(self):
        super().__init__()
        self.d1 = layers.Dense(8, activation="relu")
        self.drop = layers.Dropout(0.0)
        self.d2 = layers.Dense(3)

    def call(self, x, training=False):
        return self.d2(self.drop(self.d1(x), training=training))


class NoiseWhenTraining(Chain):
    def call(self, x, training=False):
        h = self.d1(x)
        if training:
            h = self.drop(h, training=True)
        return self.d2(h)


class WithOp(Chain):
    def call(self, x, training=False):
        return self.d2(self.d1(x) * 2.0)


class WithAddLoss(Chain):
    def call(self, x, training=False):
        h = self.d1(x)
        self.add_loss(ops.mean(ops.square(h)) * 0.01)
        return self.d2(h)


class Twice(keras.Model):
    def __init__(self):
        super().__init__()
        self.d = layers.Dense(4)

    def call(self, x):
        return self.d(self.d(x))


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.random((64, 4)).astype(np.float32), rng.integers(0, 3, 64)


def _compile(m):
    m.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    return m


def test_a_chain_trains_on_the_engine_bitwise_as_sequential(data):
    x, y = data
    keras.utils.set_random_seed(1)
    m = _compile(Chain())
    m.build((None, 4))
    keras.utils.set_random_seed(1)
    s = _compile(keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"),
                                   layers.Dropout(0.0), layers.Dense(3)]))
    s.set_weights(m.get_weights())
    assert [type(layer) for layer in m._chain()] == [layers.Dense, layers.Dropout, layers.Dense]
    assert engine.plan_for(m, x, training=True) is not None
    engine.plan_for(s, x, training=True)
    keras.utils.set_random_seed(2)
    hm = m.fit(x, y, epochs=3, batch_size=16, verbose=0).history
    keras.utils.set_random_seed(2)
    hs = s.fit(x, y, epochs=3, batch_size=16, verbose=0).history
    assert hm == hs
    for a, b in zip(m.get_weights(), s.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(m.predict(x, verbose=0), s.predict(x, verbose=0))
    # the trace left no nodes on the layers
    assert all(not layer._inbound_nodes for layer in (m.d1, m.drop, m.d2))


@pytest.mark.parametrize("cls", [NoiseWhenTraining, WithOp, WithAddLoss, Twice])
def test_other_calls_keep_the_layer_path(cls, data):
    x, y = data
    keras.utils.set_random_seed(3)
    m = cls()
    m.compile(optimizer="sgd", loss="mse")
    yy = np.ones((64, 3 if cls is not Twice else 4), np.float32)
    h = m.fit(x, yy, epochs=1, batch_size=16, verbose=0).history
    assert m._chain() is None
    assert engine.plan_for(m, x, training=True) is None
    assert np.isfinite(h["loss"][0])
    if cls is WithAddLoss:
        # its add_loss term is part of the loss, as on the layer path it always was
        out = np.asarray(m.d1(x))
        assert len(m.losses) == 1
        mse = np.mean((m.predict(x, verbose=0) - yy) ** 2)
        assert m.evaluate(x, yy, batch_size=64, verbose=0) == pytest.approx(
            mse + 0.01 * np.mean(out ** 2), rel=1e-5)
