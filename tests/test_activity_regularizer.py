"""activity_regularizer= on any layer (Keras 3's Layer argument): the penalty of the
layer's output, divided by the batch size, joins the layer's losses at every call, and
so model.losses and the loss that fit minimises and evaluate reports."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import engine, layers, regularizers


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    return rng.random((48, 4)).astype(np.float32), rng.random((48, 1)).astype(np.float32)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_penalty_joins_the_losses(dtype):
    x = np.linspace(-1, 1, 24).reshape(6, 4).astype(dtype)
    keras.utils.set_random_seed(0)
    d = layers.Dense(3, activity_regularizer=regularizers.L1L2(l1=0.1, l2=0.2), dtype=dtype)
    out = np.asarray(d(x))
    want = (0.1 * np.abs(out).sum() + 0.2 * np.square(out).sum()) / 6
    assert len(d.losses) == 1
    np.testing.assert_allclose(float(d.losses[0]), want, rtol=1e-5 if dtype == "float32" else 1e-12)
    d(x[:2])          # each call's own
    assert len(d.losses) == 1


def test_training_equals_the_activity_regularization_layer(data):
    """Dense(activity_regularizer=l2) trains as Dense followed by Keras'
    ActivityRegularization layer, which adds the same penalty."""
    x, y = data

    def run(form):
        keras.utils.set_random_seed(1)
        if form == "argument":
            stack = [layers.Dense(5, activation="relu", activity_regularizer="l2")]
        else:
            stack = [layers.Dense(5, activation="relu"), layers.ActivityRegularization(l2=0.01)]
        m = keras.Sequential([keras.Input((4,))] + stack + [layers.Dense(1)])
        m.compile(optimizer="adam", loss="mse")
        h = m.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
        return m, h.history["loss"]

    (a, la), (b, lb) = run("argument"), run("layer")
    assert a._engine.why.startswith("activity_regularizer on")    # on the layer path
    np.testing.assert_allclose(la, lb, rtol=1e-6)
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(u, v, rtol=1e-6, atol=1e-7)
    # evaluate reports the data loss plus the penalty, as Keras
    mse = np.mean((a.predict(x, verbose=0) - y) ** 2)
    hidden = np.asarray(a.layers[0](x))
    np.testing.assert_allclose(a.evaluate(x, y, batch_size=48, verbose=0),
                               mse + 0.01 * np.square(hidden).sum() / 48, rtol=1e-5)


def test_the_gradient_reaches_the_layer(data):
    x, _ = data
    keras.utils.set_random_seed(2)
    d = layers.Dense(2, activity_regularizer="l1")
    d(x)
    with keras.GradientTape() as tape:
        d(x)
        loss = d.losses[0]
    g = tape.gradient(loss, d.kernel)
    # d/dW of 0.01 * sum|xW + b| / n = 0.01 * x^T sign(xW + b) / n
    want = 0.01 * x.T @ np.sign(np.asarray(d(x))) / len(x)
    np.testing.assert_allclose(np.asarray(g), want, rtol=1e-5, atol=1e-7)


def test_config_saving_and_functional(tmp_path, data):
    x, y = data
    keras.utils.set_random_seed(3)
    inp = keras.Input((4,))
    h = layers.Dense(3, activity_regularizer=regularizers.L1(0.05))(inp)
    m = keras.Model(inp, layers.Dense(1)(h))
    m.compile(optimizer="sgd", loss="mse")
    m.fit(x, y, epochs=1, verbose=0)
    cfg = m.layers[1].get_config()
    assert cfg["activity_regularizer"] == {"class_name": "L1", "config": {"l1": 0.05}}
    m.save(tmp_path / "a.keras")
    r = keras.models.load_model(tmp_path / "a.keras")
    assert isinstance(r.layers[1].activity_regularizer, regularizers.L1)
    assert r.evaluate(x, y, verbose=0) == pytest.approx(m.evaluate(x, y, verbose=0), rel=1e-6)
    with pytest.raises(ValueError, match="Dense: activity_regularizer: .*unknown regularizer 'l3'"):
        layers.Dense(2, activity_regularizer="l3")
    with pytest.raises(TypeError, match="Dense: activity_regularizer"):
        layers.Dense(2, activity_regularizer=3)
