"""Keras' masking in fastnn: Embedding(mask_zero=True) and Masking make a mask, the
layers that support masking pass it on, GlobalAveragePooling1D averages over the kept
steps, and the loss and the MeanMetricWrapper metrics leave masked entries out, in
training as in evaluation (Keras' apply_mask)."""
import warnings

import numpy as np
import pytest

import fastnn as keras
from fastnn import layers

X = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 0, 0], [6, 0, 0, 0, 0], [7, 8, 9, 1, 2]])


def _bag_model():
    keras.utils.set_random_seed(0)
    return keras.Sequential([keras.Input((5,), dtype="int32"),
                             layers.Embedding(10, 4, mask_zero=True),
                             layers.Dense(3, activation="tanh"),
                             layers.GlobalAveragePooling1D(),
                             layers.Dense(1, activation="sigmoid")])


def _reference(model, x):
    """The bag-of-words model by hand, over the kept steps only."""
    E = model.layers[0].embeddings
    d1, d2 = model.layers[1], model.layers[3]
    out = []
    for row in x:
        h = np.tanh(E[row[row != 0]] @ d1.kernel + d1.bias)
        out.append(1 / (1 + np.exp(-(h.mean(0) @ d2.kernel + d2.bias))))
    return np.array(out)


def test_the_padding_is_left_out_of_the_average():
    m = _bag_model()
    np.testing.assert_allclose(m.predict(X, verbose=0), _reference(m, X), rtol=1e-5)
    np.testing.assert_allclose(m(X), _reference(m, X), rtol=1e-5)


def test_training_leaves_the_padding_row_alone_and_follows_the_masked_loss():
    m = _bag_model()
    m.compile(keras.optimizers.SGD(0.1), "binary_crossentropy")
    y = np.array([0, 1, 0, 1])
    p = _reference(m, X).ravel()
    expected = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert m.evaluate(X, y, verbose=0) == pytest.approx(expected, rel=1e-5)
    row0 = np.array(m.layers[0].embeddings[0])
    h = m.fit(X, y, epochs=5, batch_size=4, verbose=0)
    assert h.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    np.testing.assert_array_equal(m.layers[0].embeddings[0], row0)   # index 0: padding only
    assert h.history["loss"][-1] < h.history["loss"][0]


def test_the_same_in_a_functional_model_with_a_masking_layer():
    keras.utils.set_random_seed(1)
    inp = keras.Input((3, 2))
    h = layers.Masking()(inp)
    h = layers.Dense(4)(h)
    h = layers.Dropout(0.0)(h)
    out = layers.GlobalAveragePooling1D()(h)
    m = keras.Model(inp, out)
    x = np.array([[[1., 2.], [0., 0.], [3., 0.]], [[0., 0.], [0., 0.], [1., 1.]]], np.float32)
    d = m.layers[2]
    want = [(x[0, [0, 2]] @ d.kernel + d.bias).mean(0), (x[1, [2]] @ d.kernel + d.bias).mean(0)]
    np.testing.assert_allclose(m.predict(x, verbose=0), np.array(want), rtol=1e-5)


def _token_model():
    keras.utils.set_random_seed(2)
    m = keras.Sequential([keras.Input((5,), dtype="int32"),
                          layers.Embedding(10, 4, mask_zero=True),
                          layers.Dense(3, activation="softmax")])
    m.compile(keras.optimizers.SGD(0.5), "categorical_crossentropy",
              metrics=["categorical_accuracy", "mse"])
    return m


def _masked_figures(m, x, y):
    P = np.asarray(m.predict(x, verbose=0), np.float64)
    keep = x != 0
    Y = np.eye(3)[y]
    ce = -np.log(np.take_along_axis(P, y[..., None], -1)[..., 0])
    return (ce[keep].mean(), (P.argmax(-1) == y)[keep].mean(),
            ((P - Y) ** 2).mean(-1)[keep].mean())


def test_a_per_step_output_masks_the_loss_and_the_metrics():
    m = _token_model()
    y = np.arange(20).reshape(4, 5) % 3
    loss, acc, mse = _masked_figures(m, X, y)
    got = m.evaluate(X, np.eye(3)[y], verbose=0)
    np.testing.assert_allclose(got, [loss, acc, mse], rtol=1e-5)
    h = m.fit(X, np.eye(3)[y], epochs=1, batch_size=4, verbose=0)
    np.testing.assert_allclose([h.history[k][0] for k in ("loss", "categorical_accuracy", "mse")],
                               [loss, acc, mse], rtol=1e-5)


def test_the_masked_loss_gradient_matches_finite_differences():
    m = _token_model()
    y = np.eye(3)[np.arange(20).reshape(4, 5) % 3]
    loss_fn = keras.losses.CategoricalCrossentropy()
    W = m.layers[1].kernel
    with keras.GradientTape() as tape:
        value = loss_fn(y, m(X, training=True))
    g = tape.gradient(value, W)

    def f():
        return float(loss_fn(y, m(X)))

    eps = 1e-3
    for idx in [(0, 0), (2, 1), (3, 2)]:
        old = float(W[idx])
        W[idx] = old + eps
        up = f()
        W[idx] = old - eps
        down = f()
        W[idx] = old
        assert g[idx] == pytest.approx((up - down) / (2 * eps), rel=2e-2, abs=1e-5)


def test_a_layer_without_masking_drops_the_mask_with_keras_warning():
    e = layers.Embedding(10, 2, mask_zero=True)
    with pytest.warns(UserWarning, match="does not support masking"):
        out = layers.Flatten()(e(X))
    assert keras.backend.get_keras_mask(out) is None


def test_no_mask_no_warning_and_mask_zero_saves():
    m = _bag_model()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.predict(X, verbose=0)
    assert m.layers[0].get_config()["mask_zero"] is True
    again = keras.Sequential.from_config(m.get_config())
    assert again.layers[0].mask_zero and again.layers[0].supports_masking


def test_a_mask_of_the_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="mask must have shape"):
        layers.GlobalAveragePooling1D()(np.ones((2, 3, 4), np.float32), np.ones((2, 4)))


def test_batchnorm_mask_broadcasts_like_keras():
    # Keras' _moments: the mask, with a last axis added, is broadcast to the inputs
    from fastnn.layers import BatchNormalization
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 2, 3, 5)).astype("float32")
    mask = np.array([[1, 0]] * 4, dtype=bool)[..., None]          # (4, 2, 1)
    a = BatchNormalization(momentum=0.0)
    b = BatchNormalization(momentum=0.0)
    ya = a(x, training=True, mask=mask)
    yb = b(x, training=True, mask=np.broadcast_to(mask, (4, 2, 3)))
    np.testing.assert_allclose(ya, yb, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(a.moving_mean, x[:, 0].mean(axis=(0, 1)), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"mask must broadcast to the inputs' shape without "
                                         r"their last axis, \(4, 2, 3\), got mask.shape=\(4, 3, 1\)"):
        a(x, training=True, mask=np.ones((4, 3, 1)))
