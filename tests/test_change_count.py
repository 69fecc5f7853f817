"""What is read again only after a counted change (fastnn._changes): a Sequential's
dtype and the attributes that may hold metrics. Each kind of change must still be seen
at the next read."""
import numpy as np

import fastnn as keras
from fastnn import _changes, layers, mixed_precision


def _model(**input_kwargs):
    m = keras.Sequential([keras.Input((4,), **input_kwargs), layers.Dense(3)])
    m.compile(optimizer="sgd", loss="mse")
    return m


def test_every_counted_writer_moves_the_count():
    m = _model()
    writes = [lambda: setattr(m.layers[0], "units", 3),                    # a layer
              lambda: setattr(m, "loss", m.loss),                           # a model
              lambda: setattr(m.optimizer, "momentum", 0.5),                # an optimizer
              lambda: setattr(m.layers[0].kernel, "trainable", True),       # a weight's flags
              lambda: setattr(m.layers[0].kernel, "overwrite_with_gradient", False),
              lambda: m.layers[0].add_weight(shape=(1,), name="extra"),     # a new weight
              lambda: m.add(layers.Dense(2)),                               # the stack
              lambda: m.pop()]
    for write in writes:
        before = _changes.now()
        write()
        assert _changes.now() > before


def test_what_the_loops_set_at_every_call_is_not_counted():
    m = _model()
    x, y = np.ones((8, 4), "float32"), np.ones((8, 3), "float32")
    m.fit(x, y, epochs=1, verbose=0)
    before = _changes.now()
    m.fit(x, y, epochs=2, verbose=0)
    m.train_on_batch(x, y)
    m.evaluate(x, y, verbose=0)
    m.predict(x, verbose=0)
    assert _changes.now() == before


def test_a_sequential_dtype_follows_the_global_policy_and_its_layers():
    m = keras.Sequential([layers.Dense(3)])
    assert m.dtype == "float32"
    before = mixed_precision._GLOBAL[0]
    try:
        mixed_precision.set_dtype_policy("float64")     # no counted change: the policy itself
        assert m.dtype == "float64"
    finally:
        mixed_precision._GLOBAL[0] = before
    assert m.dtype == "float32"
    m.layers[0]._explicit_dtype = "float64"             # a layer's: counted
    assert m.dtype == "float64"


def test_a_metric_held_by_the_model_is_logged_when_set_or_appended_later():
    m = _model()
    x, y = np.ones((8, 4), "float32"), np.ones((8, 3), "float32")
    m.train_on_batch(x, y)
    m.extra = keras.metrics.Mean(name="extra_mean")     # a new attribute: counted
    assert "extra_mean" in m.train_on_batch(x, y, return_dict=True)
    m.held = []
    m.train_on_batch(x, y)
    held_sum = keras.metrics.Sum(name="held_sum")
    held_sum.reset_state()
    before = _changes.now()
    m.held.append(held_sum)                             # in place: not counted
    assert _changes.now() == before
    assert "held_sum" in m.train_on_batch(x, y, return_dict=True)
