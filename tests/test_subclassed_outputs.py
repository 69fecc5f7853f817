"""A subclassed model whose call() returns a tuple, a named tuple or a dict: calling it,
predict (batch by batch) and fit keep the structure, as Keras' do."""
import collections

import numpy as np
import pytest

import fastnn as keras
from fastnn import layers

Pair = collections.namedtuple("Pair", ["a", "b"])


class TwoHeads(keras.Model):
    def __init__(self, kind, **kwargs):
        super().__init__(**kwargs)
        self.kind = kind
        self.d1 = layers.Dense(2)
        self.d2 = layers.Dense(3)

    def call(self, x):
        a, b = self.d1(x), self.d2(x)
        return {"tuple": (a, b), "namedtuple": Pair(a, b), "list": [a, b],
                "dict": {"a": a, "b": b}}[self.kind]


def _parts(out):
    return [out["a"], out["b"]] if isinstance(out, dict) else list(out)


@pytest.mark.parametrize("kind,cls", [("tuple", tuple), ("namedtuple", Pair), ("list", list),
                                      ("dict", dict)])
def test_predict_keeps_the_structure_of_the_outputs(kind, cls):
    keras.utils.set_random_seed(0)
    m = TwoHeads(kind)
    x = np.random.default_rng(0).random((7, 4)).astype("float32")
    called = m(x)
    assert type(called) is cls
    # batches of 3: the structure's arrays joined along the rows
    out = m.predict(x, batch_size=3, verbose=0)
    assert type(out) is cls
    for got, want in zip(_parts(out), _parts(called)):
        assert isinstance(got, np.ndarray) and got.shape[0] == 7
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-6, atol=1e-7)


def test_a_named_tuple_output_trains_on_named_tuple_targets():
    keras.utils.set_random_seed(0)
    m = TwoHeads("namedtuple")
    m.compile(optimizer="sgd", loss=["mse", "mse"])
    rng = np.random.default_rng(1)
    x = rng.random((8, 4)).astype("float32")
    y = Pair(rng.random((8, 2)).astype("float32"), rng.random((8, 3)).astype("float32"))
    first = m.evaluate(x, y, verbose=0)
    m.fit(x, y, epochs=20, verbose=0)
    assert m.evaluate(x, y, verbose=0)[0] < first[0]
