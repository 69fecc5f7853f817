"""Per-sample values of the C-kernel losses (mean_squared_error, mean_absolute_error,
huber, binary_crossentropy, categorical_crossentropy, sparse_categorical_crossentropy,
as functions or as objects with reduction="none") under a GradientTape: a custom loss
that builds on them (``ops.mean(keras.losses.mean_squared_error(y, p)) + ...``) must
train. Before, those values came out of the C kernel unrecorded, so such a loss gave
no gradient and fit left the weights as they were (with a warning).

Gradients of a weighted sum of the per-sample values (upstream gradients that are not
all equal) against central differences of the same values (float64), with sample
weights, outputs of 3 dimensions, ignore_class and the logits of a softmax / sigmoid
output; then a model trained with such a custom loss on the engine and on the layer path
against the same model compiled with the built-in loss."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import engine, layers, losses
from fastnn.autodiff import GradientTape, ops as K

from cases import central_diff, simplex


def _data(kind, rng, shape):
    if kind == "real":
        return rng.normal(size=shape), rng.normal(size=shape)
    if kind == "binary":
        return rng.integers(0, 2, shape).astype(float), rng.uniform(0.05, 0.95, shape)
    if kind == "onehot":
        return np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])], simplex(rng, shape)
    if kind == "logits":
        return rng.integers(0, 2, shape).astype(float), rng.normal(scale=2.0, size=shape)
    if kind == "onehot_logits":
        return np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])], \
            rng.normal(scale=2.0, size=shape)
    if kind == "labels":
        return rng.integers(0, shape[-1], shape[:-1]).astype(float), simplex(rng, shape)
    if kind == "labels_logits":
        return rng.integers(0, shape[-1], shape[:-1]).astype(float), \
            rng.normal(scale=2.0, size=shape)
    raise AssertionError(kind)


CASES = [
    ("mse", losses.mean_squared_error, "real"),
    ("mae", losses.mean_absolute_error, "real"),
    ("huber", lambda y, p: losses.huber(y, p, delta=0.7), "real"),
    ("bce", losses.binary_crossentropy, "binary"),
    ("bce_logits_smoothed",
     lambda y, p: losses.binary_crossentropy(y, p, from_logits=True, label_smoothing=0.1),
     "logits"),
    ("cce", losses.categorical_crossentropy, "onehot"),
    ("cce_logits", lambda y, p: losses.categorical_crossentropy(y, p, from_logits=True),
     "onehot_logits"),
    ("scce", losses.sparse_categorical_crossentropy, "labels"),
    ("scce_logits",
     lambda y, p: losses.sparse_categorical_crossentropy(y, p, from_logits=True),
     "labels_logits"),
    ("mse_object_weighted",
     lambda y, p: losses.MeanSquaredError(reduction="none")(
         y, p, sample_weight=np.linspace(0.5, 2.0, np.shape(p)[0])), "real"),
    ("scce_ignore_class",
     lambda y, p: losses.SparseCategoricalCrossentropy(ignore_class=1, reduction="none")(y, p),
     "labels"),
]


@pytest.mark.parametrize("shape", [(6, 4), (3, 2, 4)], ids=["2d", "3d"])
@pytest.mark.parametrize("name,fn,kind", CASES, ids=[c[0] for c in CASES])
def test_per_sample_values_have_the_gradient_of_their_values(name, fn, kind, shape):
    rng = np.random.default_rng(0)
    y, p = _data(kind, rng, shape)
    if name == "mse_object_weighted" and len(shape) > 2:
        pytest.skip("one weight per sample of the leading axis")
    plain = np.asarray(fn(y, p))
    up = rng.uniform(0.2, 1.5, plain.shape)      # upstream gradients, not all equal
    t = K.convert_to_tensor(p)
    with GradientTape() as tape:
        tape.watch(t)
        values = fn(y, t)
        total = K.sum(K.multiply(values, up))
    np.testing.assert_array_equal(np.asarray(values), plain)   # the same values
    g = tape.gradient(total, t)
    assert g is not None and g.shape == p.shape and g.dtype == p.dtype
    want = central_diff(lambda q: float(np.sum(np.asarray(fn(y, q)) * up)), p)
    np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-7)
    if name == "scce_ignore_class":
        assert np.all(np.asarray(g)[y == 1] == 0)


@pytest.mark.parametrize("act,fn,y_kind", [
    ("softmax", losses.categorical_crossentropy, "onehot"),
    ("softmax", losses.sparse_categorical_crossentropy, "labels"),
    ("sigmoid", losses.binary_crossentropy, "binary"),
])
def test_the_logits_of_a_softmax_or_sigmoid_output_carry_the_gradient(act, fn, y_kind):
    """On a softmax / sigmoid output the cross-entropy takes the layer's logits (as the
    built-in loss does): the per-sample values' gradient reaches the weights, and their
    mean has the built-in reduced loss' gradient."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 5))
    y = _data(y_kind, rng, (8, 3))[0]
    keras.utils.set_random_seed(0)
    layer = layers.Dense(3, activation=act, dtype="float64")
    layer.build((None, 5))
    grads = []
    for reduced in (False, True):
        with GradientTape() as tape:
            out = layer(x)
            if reduced:
                value = {"categorical_crossentropy": losses.CategoricalCrossentropy,
                         "sparse_categorical_crossentropy": losses.SparseCategoricalCrossentropy,
                         "binary_crossentropy": losses.BinaryCrossentropy}[fn.__name__]()(y, out)
            else:
                value = K.mean(fn(y, out))
        grads.append(tape.gradient(value, layer.trainable_weights))
    for a, b in zip(*grads):
        assert a is not None
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)


def _fit(custom, fused, monkeypatch):
    monkeypatch.setattr(engine, "ENABLED", fused)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(64, 6)).astype("float32")
    y = rng.integers(0, 3, 64)
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"),
                          layers.Dense(3, activation="softmax")])
    if custom:
        def loss(y_true, y_pred):
            return keras.ops.mean(keras.losses.sparse_categorical_crossentropy(y_true, y_pred))
    else:
        loss = "sparse_categorical_crossentropy"
    m.compile(optimizer="adam", loss=loss)
    h = m.fit(x, y, batch_size=16, epochs=3, verbose=0).history["loss"]
    return h, m.get_weights()


@pytest.mark.parametrize("fused", [True, False])
def test_a_custom_loss_of_a_loss_function_trains_as_the_built_in_loss(monkeypatch, fused):
    h1, w1 = _fit(True, fused, monkeypatch)
    h2, w2 = _fit(False, fused, monkeypatch)
    assert h1[-1] < h1[0]
    np.testing.assert_allclose(h1, h2, rtol=1e-5)
    for a, b in zip(w1, w2):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum"])
def test_a_sparse_cross_entropy_of_3d_outputs_under_a_tape(reduction):
    """Class indices (N, T) for outputs (N, T, k), called directly under a GradientTape
    (a custom training loop): the value it has off the tape and the gradient of central
    differences. The recorded batch loss reshaped the indices as if one-hot, and failed."""
    rng = np.random.default_rng(4)
    y, p = _data("labels", rng, (3, 5, 4))
    loss = losses.SparseCategoricalCrossentropy(reduction=reduction)
    off = float(loss(y, p))
    t = K.convert_to_tensor(p)
    with GradientTape() as tape:
        tape.watch(t)
        on = loss(y, t)
    assert float(on) == pytest.approx(off, rel=1e-12)
    want = central_diff(lambda q: float(loss(y, q)), p)
    np.testing.assert_allclose(tape.gradient(on, t), want, rtol=1e-5, atol=1e-7)
