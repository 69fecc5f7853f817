"""compile() without a loss: the model trains on its add_loss() terms (and its weights'
regularization losses) alone, as Keras 3's compute_loss sums them; fit, evaluate,
train_on_batch and test_on_batch log that sum as 'loss', targets are optional, and a
model that adds no term raises Keras' "No loss to compute" error. The C engine has no
add_loss: such a model takes the layer path."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import layers, ops

TOL = {"float32": dict(rtol=2e-5, atol=1e-6), "float64": dict(rtol=1e-11, atol=1e-13)}


class SquarePenalty(layers.Layer):
    """Adds 0.1 * sum(x ** 2) of its input as a loss term; passes x on."""

    def call(self, x):
        self.add_loss(0.1 * ops.sum(ops.square(x)))
        return x


class VectorPenalty(layers.Layer):
    """Adds x ** 2 itself (not a scalar): the trainer sums it, as Keras does."""

    def call(self, x):
        self.add_loss(ops.square(x))
        return x


def _data(dtype):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(12, 3)).astype(dtype)
    w = [(rng.normal(size=(3, 4)) * 0.5).astype(dtype), (rng.normal(size=4) * 0.1).astype(dtype),
         rng.normal(size=(4, 1)).astype(dtype), np.zeros(1, dtype)]
    return x, w


def _model(dtype, w, penalty=SquarePenalty):
    m = keras.Sequential([keras.Input((3,)), layers.Dense(4, dtype=dtype), penalty(dtype=dtype),
                          layers.Dense(1, dtype=dtype)])
    m.set_weights(w)
    return m


def _penalty(x, w):
    h = x.astype(np.float64) @ w[0].astype(np.float64) + w[1]
    return 0.1 * np.sum(h ** 2), h


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_evaluate_and_test_on_batch_log_the_add_loss_terms(dtype):
    x, w = _data(dtype)
    m = _model(dtype, w)
    m.compile(optimizer="sgd")
    want, _ = _penalty(x, w)
    # one batch of all 12 rows
    np.testing.assert_allclose(m.evaluate(x, batch_size=12, verbose=0), want, **TOL[dtype])
    np.testing.assert_allclose(m.test_on_batch(x), want, **TOL[dtype])
    assert m.evaluate(x, verbose=0, return_dict=True).keys() == {"loss"}
    # batches of 4: the mean of the batches' sums, weighted by their sizes
    per = [_penalty(x[i:i + 4], w)[0] for i in (0, 4, 8)]
    np.testing.assert_allclose(m.evaluate(x, batch_size=4, verbose=0), np.mean(per),
                               **TOL[dtype])
    # targets, when given, change nothing (no loss reads them)
    np.testing.assert_allclose(m.evaluate(x, np.zeros((12, 1), dtype), batch_size=4, verbose=0),
                               np.mean(per), **TOL[dtype])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_train_on_batch_steps_on_the_add_loss_gradient(dtype):
    """SGD on 0.1 * sum(h ** 2), h = x @ W + b: dW = x.T @ (0.2 h), db = sum(0.2 h); the
    last Dense has no gradient (the term is computed before it) and stays as it was,
    with Keras' warning."""
    x, w = _data(dtype)
    m = _model(dtype, w)
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05))
    want, h = _penalty(x, w)
    with pytest.warns(UserWarning, match="gradients do not exist"):
        got = m.train_on_batch(x, return_dict=True)
    assert list(got) == ["loss"]
    np.testing.assert_allclose(got["loss"], want, **TOL[dtype])   # before the step
    after = m.get_weights()
    np.testing.assert_allclose(after[0], w[0] - 0.05 * x.T.astype(np.float64) @ (0.2 * h),
                               **TOL[dtype])
    np.testing.assert_allclose(after[1], w[1] - 0.05 * np.sum(0.2 * h, axis=0), **TOL[dtype])
    np.testing.assert_array_equal(after[2], w[2])
    np.testing.assert_array_equal(after[3], w[3])
    assert all(a.dtype == np.dtype(dtype) for a in after)


def test_the_step_follows_the_finite_difference_gradient():
    """The update of train_on_batch (SGD, learning rate 1) is minus the gradient of
    the add_loss terms that evaluate reports, by central differences (float64)."""
    x, w = _data("float64")
    m = _model("float64", w)
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0))
    probe = _model("float64", w)
    probe.compile(optimizer="sgd")
    eps = 1e-6
    fd = np.zeros_like(w[0])
    for idx in np.ndindex(*w[0].shape):
        vals = []
        for sign in (1, -1):
            ww = [a.copy() for a in w]
            ww[0][idx] += sign * eps
            probe.set_weights(ww)
            vals.append(probe.evaluate(x, batch_size=12, verbose=0))
        fd[idx] = (vals[0] - vals[1]) / (2 * eps)
    with pytest.warns(UserWarning, match="gradients do not exist"):
        m.train_on_batch(x)
    np.testing.assert_allclose(w[0] - m.get_weights()[0], fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fit_without_targets_logs_the_add_loss_terms(dtype):
    x, w = _data(dtype)
    m = _model(dtype, w)
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01))
    twin = _model(dtype, w)
    twin.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01))
    with pytest.warns(UserWarning, match="gradients do not exist"):
        h = m.fit(x, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    assert list(h) == ["loss"] and len(h["loss"]) == 2
    # the same steps one batch at a time: the epoch's loss is their batches' mean
    losses = []
    with pytest.warns(UserWarning, match="gradients do not exist"):
        for i in (0, 4, 8):
            losses.append(twin.train_on_batch(x[i:i + 4]))
    np.testing.assert_allclose(h["loss"][0], np.mean(losses), **TOL[dtype])
    for a, b in zip(m.get_weights()[:2], twin.get_weights()[:2]):
        assert not np.allclose(a, b)       # m ran a second epoch
    # the loss goes down
    assert h["loss"][1] < h["loss"][0]


def test_non_scalar_terms_are_summed():
    x, w = _data("float64")
    m = _model("float64", w, penalty=VectorPenalty)
    m.compile(optimizer="sgd")
    h = x @ w[0] + w[1]
    np.testing.assert_allclose(m.evaluate(x, batch_size=12, verbose=0), np.sum(h ** 2),
                               rtol=1e-12)


def test_regularization_losses_alone_train_on_the_layer_path():
    """A Dense stack with a kernel_regularizer and no compiled loss: the penalty is
    the loss, trained on the layer path (the engine refuses, saying why); with a
    compiled loss the same model takes the engine."""
    x = np.ones((8, 3))
    m = keras.Sequential([keras.Input((3,)), layers.Dense(2, kernel_regularizer="l2")])
    w = [np.arange(6.0).reshape(3, 2).astype("float32") / 10, np.zeros(2, "float32")]
    m.set_weights(w)
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5))
    out = m.train_on_batch(x)
    np.testing.assert_allclose(out, 0.01 * np.sum(w[0] ** 2), rtol=1e-6)
    np.testing.assert_allclose(m.get_weights()[0], w[0] - 0.5 * 0.02 * w[0], rtol=1e-6)
    np.testing.assert_array_equal(m.get_weights()[1], w[1])
    m.fit(x, batch_size=4, verbose=0)
    assert m._engine.fit_plan is None
    assert "no compiled loss" in m._engine.why
    m.compile(optimizer="sgd", loss="mse")
    m.fit(x, np.zeros((8, 2)), batch_size=4, verbose=0)
    assert m._engine.fit_plan is not None


def test_multi_output_model_without_loss():
    x = np.random.default_rng(0).normal(size=(8, 3))
    i = keras.Input((3,))
    h = SquarePenalty()(layers.Dense(4, kernel_initializer="ones")(i))
    m = keras.Model(i, [layers.Dense(1, kernel_initializer="ones")(h),
                        layers.Dense(2, kernel_initializer="ones")(h)])
    m.compile(optimizer=keras.optimizers.SGD(1e-3))
    hh = x.sum(axis=1, keepdims=True) * np.ones((1, 4))
    np.testing.assert_allclose(m.evaluate(x, batch_size=8, verbose=0), 0.1 * np.sum(hh ** 2),
                               rtol=1e-5)
    assert list(m.fit(x, batch_size=4, verbose=0).history) == ["loss"]
    # metrics per output, with targets
    m.compile(optimizer=keras.optimizers.SGD(1e-3), metrics=[["mae"], ["mse"]])
    y = [np.zeros((8, 1)), np.zeros((8, 2))]
    logs = m.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    names = m.output_names
    assert sorted(logs) == sorted([f"{names[0]}_mae", f"{names[1]}_mse", "loss"])
    kernel, bias = m.get_layer(index=1).get_weights()      # as fit left them
    np.testing.assert_allclose(logs["loss"], 0.1 * np.sum((x @ kernel + bias) ** 2), rtol=1e-5)


def test_no_loss_and_no_add_loss_raises_keras_error_on_every_call():
    x, y = np.ones((4, 3)), np.ones((4, 1))
    m = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    m.compile(optimizer="sgd")
    before = m.get_weights()
    for call in (lambda: m.fit(x, y, verbose=0), lambda: m.evaluate(x, y, verbose=0),
                 lambda: m.train_on_batch(x, y), lambda: m.test_on_batch(x, y),
                 lambda: m.fit(x, verbose=0)):
        with pytest.raises(ValueError, match=r"No loss to compute\. Provide a `loss` argument"):
            call()
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_targets_are_required_by_metrics_and_class_weight():
    x, w = _data("float32")
    m = _model("float32", w)
    m.compile(optimizer="sgd", metrics=["mae"])
    with pytest.raises(ValueError, match=r"fit: y is required for the compiled metrics.*got None"):
        m.fit(x, verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: y is required for the compiled metrics"):
        m.evaluate(x, verbose=0)
    m.compile(optimizer="sgd")
    with pytest.raises(ValueError, match=r"fit: class_weight .* y was not given"):
        m.fit(x, class_weight={0: 1.0}, verbose=0)
    # with targets, the metrics compare the outputs with them; the loss is the terms'
    m.compile(optimizer="sgd", metrics=["mae"])
    y = np.zeros((12, 1), "float32")
    logs = m.evaluate(x, y, batch_size=12, verbose=0, return_dict=True)
    out = np.asarray(m.predict(x, verbose=0), np.float64)
    np.testing.assert_allclose(logs["mae"], np.mean(np.abs(out)), rtol=1e-5)
    np.testing.assert_allclose(logs["loss"], _penalty(x, w)[0], rtol=2e-5)


def test_validation_split_without_targets():
    x, w = _data("float64")
    m = _model("float64", w)
    m.compile(optimizer=keras.optimizers.SGD(0.0))
    with pytest.warns(UserWarning, match="gradients do not exist"):
        h = m.fit(x, batch_size=4, validation_split=0.25, shuffle=False, verbose=0).history
    assert sorted(h) == ["loss", "val_loss"]
    # learning rate 0: the validation loss is the penalty of the last 3 rows
    np.testing.assert_allclose(h["val_loss"][0], _penalty(x[9:], w)[0], rtol=1e-12)
