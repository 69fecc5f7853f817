"""Calls fastnn makes only to build a model or find its output shape (on zeros) leave no
trace, as Keras' symbolic builds leave none: a variable the model's call assigns (a
counter), including one a sublayer makes while being built, and the add_loss() terms of
such a call. Also Keras 3's add_variable on layers and metrics."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import layers


class CountingLayer(layers.Layer):
    """A layer whose call counts itself, with the counter made in build()."""

    def build(self, input_shape):
        self.calls = self.add_variable((), "zeros", trainable=False)

    def call(self, x):
        self.calls.assign(self.calls + 1)
        self.add_loss(0.0 * self.calls + 1.0)
        return x


class CountingModel(keras.Model):
    def __init__(self):
        super().__init__()
        self.steps = self.add_variable(shape=(), initializer="zeros", trainable=False)
        self.inner = CountingLayer()
        self.out = layers.Dense(1)

    def call(self, x):
        self.steps.assign_add(1.0)
        return self.out(self.inner(x))


def _data(n=8):
    rng = np.random.default_rng(0)
    return rng.random((n, 3)).astype(np.float32), rng.random((n, 1)).astype(np.float32)


def test_build_and_fit_count_only_the_training_steps():
    x, y = _data()
    m = CountingModel()
    m.compile(optimizer="sgd", loss="mse")
    seen = []
    cb = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda b, logs: seen.append((float(m.steps), float(m.inner.calls))))
    m.fit(x, y, batch_size=2, epochs=2, callbacks=[cb], verbose=0)
    assert seen == [(float(i), float(i)) for i in range(1, 9)]
    m.fit(x, y, batch_size=4, verbose=0)      # a second fit probes again: nothing added
    assert (float(m.steps), float(m.inner.calls)) == (10.0, 10.0)


def test_an_explicit_build_leaves_the_counters_at_zero():
    m = CountingModel()
    m.build((None, 3))
    assert m.built and float(m.steps) == 0.0 and float(m.inner.calls) == 0.0
    assert m.losses == []            # the probe's add_loss() term is dropped
    m(np.ones((2, 3), np.float32))   # a real call counts
    assert float(m.steps) == 1.0 and float(m.inner.calls) == 1.0
    assert len(m.losses) == 1


def test_a_sequential_with_a_custom_layer_probes_without_counting():
    x, y = _data()
    inner = CountingLayer()
    m = keras.Sequential([keras.Input((3,)), inner, layers.Dense(1)])
    m.compile(optimizer="sgd", loss="mse")
    m.fit(x, y, batch_size=4, verbose=0)
    assert float(inner.calls) == 2.0       # two steps
    m.evaluate(x, y, batch_size=8, verbose=0)
    assert float(inner.calls) == 3.0       # and one test step


def test_add_variable_is_add_weight_with_shape_and_initializer_first():
    layer = layers.Layer()
    v = layer.add_variable((2, 3), "ones", dtype="float64", trainable=False, name="v",
                           autocast=False)
    assert v.shape == (2, 3) and v.dtype == np.float64 and np.all(v == 1.0)
    assert layer.non_trainable_weights == [v] and layer.trainable_weights == []
    w = layer.add_variable(shape=(4,), initializer="zeros", regularizer="l2", name="w")
    assert layer.trainable_weights == [w] and len(layer.losses) == 1
    with pytest.raises(TypeError):
        layer.add_variable((2,))          # the initializer is required, as in Keras


class TruePositives(keras.metrics.Metric):
    """Keras 3's custom-metric idiom: state made with add_variable."""

    def __init__(self, name="tp", **kwargs):
        super().__init__(name=name, **kwargs)
        self.tp = self.add_variable(shape=(), initializer="zeros", name="tp")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.tp.assign_add(float(np.sum((np.asarray(y_pred) > 0.5) & (np.asarray(y_true) > 0.5))))

    def result(self):
        return self.tp.numpy() if hasattr(self.tp, "numpy") else np.asarray(self.tp)


def test_metric_add_variable_holds_state_and_resets():
    m = TruePositives()
    m.update_state([1, 1, 0], [0.9, 0.2, 0.8])
    m.update_state([1], [0.7])
    assert float(m.result()) == 2.0
    assert [v.name for v in m.variables] == ["tp"]
    m.reset_state()
    assert float(m.result()) == 0.0


def test_a_layer_called_on_symbolic_inputs_keeps_unknown_sizes_unknown():
    """A layer whose output shape comes from a call on zeros (no compute_output_shape of
    its own) keeps an unknown size other than the batch axis unknown: two calls, with
    sizes 2 and 3, tell which output sizes follow it. (It used to give the probe's 2.)"""
    from fastnn import layers as L

    class Doubling(L.Layer):        # a layer of the user's, no compute_output_shape
        def call(self, x):
            return keras.ops.concatenate([x, x], axis=-1)

    inp = keras.Input((None, 2))
    assert L.BatchNormalization()(inp).shape == (None, None, 2)
    assert L.BatchNormalization()(L.Masking()(inp)).shape == (None, None, 2)
    assert Doubling()(inp).shape == (None, None, 4)
    assert L.GlobalAveragePooling1D()(inp).shape == (None, 2)
    assert Doubling()(keras.Input((5, 2))).shape == (None, 5, 4)
