"""The last pieces of Keras 3's vocabulary: the lookups' tf_idf mode, vector-valued
F-scores in compile, losses' dtype, masked BatchNormalization and Softmax, string
inputs in functional models and non-finite weights in saved files."""
import os

import numpy as np
import pytest

import fastnn
from fastnn import layers


# -- IntegerLookup / StringLookup output_mode="tf_idf" ------------------------------------

def _np_tf_idf(docs, vocab_order, test, depth_pad=None):
    """NumPy reference of Keras' tf_idf: idf = log(1 + N / (1 + df)) per token, the OOV
    index weighted by their mean, output = counts per row times idf."""
    n = len(docs)
    df = {t: sum(t in set(d) for d in docs) for t in vocab_order}
    idf = np.array([np.log(1 + n / (1 + df[t])) for t in vocab_order]).astype(np.float32)
    weights = np.concatenate([[idf.mean()], idf])
    if depth_pad:
        weights = np.concatenate([weights, np.zeros(depth_pad - len(weights), np.float32)])
    index = {t: i + 1 for i, t in enumerate(vocab_order)}
    out = np.zeros((len(test), len(weights)), np.float32)
    for r, row in enumerate(test):
        for t in row:
            out[r, index.get(t, 0)] += 1
    return out * weights, weights


def test_integer_lookup_tf_idf_adapt_matches_numpy_reference():
    rng = np.random.default_rng(0)
    docs = rng.integers(0, 9, (40, 6))
    layer = layers.IntegerLookup(output_mode="tf_idf")
    layer.adapt(docs)
    vocab = layer.get_vocabulary(include_special_tokens=False)
    test = rng.integers(0, 12, (5, 7))
    ref, weights = _np_tf_idf([list(d) for d in docs], vocab, [list(t) for t in test])
    np.testing.assert_allclose(layer.idf_weights, weights, rtol=1e-6)
    out = layer(test)
    assert out.dtype == np.float32 and out.shape == (5, len(vocab) + 1)
    np.testing.assert_allclose(out, ref, rtol=1e-6)


def test_string_lookup_tf_idf_batches_are_documents_and_pad_to_max_tokens():
    # an iterable of batches: a 1-D batch is one document, a 2-D batch one per row
    batches = [np.array(["a", "b", "a"]), np.array([["c", "a"], ["d", "d"]])]
    layer = layers.StringLookup(output_mode="tf_idf", max_tokens=8, pad_to_max_tokens=True)
    layer.adapt(iter(batches))
    vocab = layer.get_vocabulary(include_special_tokens=False)
    assert vocab == ["a", "d", "c", "b"]          # by count, ties the larger token first
    docs = [["a", "b", "a"], ["c", "a"], ["d", "d"]]
    test = np.array([["a", "zz", "d", "d"], ["b", "c", "a", "a"]])
    ref, weights = _np_tf_idf(docs, vocab, test.tolist(), depth_pad=8)
    np.testing.assert_allclose(layer.idf_weights, weights, rtol=1e-6)
    np.testing.assert_allclose(layer(test), ref, rtol=1e-6)


def test_tf_idf_given_weights_mask_token_and_config_round_trip():
    layer = layers.IntegerLookup(vocabulary=[5, 7], idf_weights=[0.5, 2.0],
                                 output_mode="tf-idf", mask_token=0)
    assert layer.output_mode == "tf_idf"
    # the OOV index gets the mean of the given weights; the mask token is not counted
    np.testing.assert_allclose(layer.idf_weights, [1.25, 0.5, 2.0])
    out = layer(np.array([[5, 0, 9, 7, 7], [0, 0, 0, 0, 5]]))
    np.testing.assert_allclose(out, [[1.25, 0.5, 4.0], [0.0, 0.5, 0.0]])
    cfg = layer.get_config()
    assert cfg["vocabulary"] == [-1, 5, 7] and cfg["idf_weights"] == [1.25, 0.5, 2.0]
    again = layers.IntegerLookup.from_config(cfg)
    np.testing.assert_array_equal(again.idf_weights, layer.idf_weights)
    # a vocabulary given with its special tokens keeps their given weights
    s = layers.StringLookup(vocabulary=["[UNK]", "x"], idf_weights=[3.0, 1.0],
                            output_mode="tf_idf")
    np.testing.assert_allclose(s(np.array([["x", "q", "q"]])), [[6.0, 1.0]])
    s.set_vocabulary(["x", "y"], idf_weights=[1.0, 2.0])
    np.testing.assert_allclose(s.idf_weights, [1.5, 1.0, 2.0])


def test_tf_idf_model_saves_and_loads(tmp_path):
    rng = np.random.default_rng(1)
    docs = rng.integers(1, 20, (64, 5))
    lookup = layers.IntegerLookup(output_mode="tf_idf")
    lookup.adapt(docs)
    inp = fastnn.Input((5,), dtype="int64")
    model = fastnn.Model(inp, layers.Dense(1)(lookup(inp)))
    for name in ("m.fastnn", "m.keras"):
        path = os.path.join(tmp_path, name)
        model.save(path)
        loaded = fastnn.models.load_model(path)
        np.testing.assert_array_equal(model.predict(docs, verbose=0),
                                      loaded.predict(docs, verbose=0))


@pytest.mark.parametrize("make, exc, match", [
    (lambda: layers.IntegerLookup(output_mode="tf_idf", vocabulary=[1]), ValueError,
     "idf_weights` argument must also be provided"),
    (lambda: layers.IntegerLookup(output_mode="count", idf_weights=[1.0]), ValueError,
     "only be set if `output_mode` is `'tf_idf'`"),
    (lambda: layers.IntegerLookup(output_mode="tf_idf", vocabulary=[1],
                                  idf_weights=[[1.0]]), ValueError, "1-index array"),
    (lambda: layers.IntegerLookup(output_mode="tf_idf", vocabulary=[1],
                                  idf_weights=["a"]), ValueError, "1-index array"),
    (lambda: layers.IntegerLookup(output_mode="tf_idf", vocabulary=[1, 2],
                                  idf_weights=[1.0]), ValueError, "same length"),
    (lambda: layers.IntegerLookup(output_mode="tf_idf", vocabulary=[1],
                                  idf_weights=[np.nan]), ValueError, "finite"),
    (lambda: layers.IntegerLookup(output_mode="tf_idf").adapt(np.ones((2, 2, 2), int)),
     ValueError, "shape"),
    (lambda: layers.IntegerLookup(output_mode="tf_idf", invert=True), ValueError, "invert"),
    (lambda: layers.StringLookup(output_mode="tf_idf", vocabulary=["a"],
                                 idf_weights=[1.0]).set_vocabulary(["b"]), ValueError,
     "`idf_weights` must be set"),
])
def test_tf_idf_bad_arguments(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


# -- losses' dtype argument ---------------------------------------------------------------

def _loss_classes():
    from fastnn import losses
    return [c for c in vars(losses).values() if isinstance(c, type) and
            issubclass(c, losses.Loss) and c is not losses.Loss and not c.__name__.startswith("_")]


def _loss_data(cls, dtype=np.float32):
    rng = np.random.default_rng(3)
    if cls.__name__ == "SparseCategoricalCrossentropy":
        y = rng.integers(0, 3, 6)
    else:
        y = rng.integers(0, 2, (6, 3)).astype(dtype)
    p = rng.uniform(0.05, 0.95, (6, 3)).astype(dtype)
    if "Categorical" in cls.__name__ and "Hinge" not in cls.__name__:
        p = p / p.sum(axis=1, keepdims=True)
    return y, p


@pytest.mark.parametrize("cls", _loss_classes(), ids=lambda c: c.__name__)
def test_every_loss_computes_in_its_dtype(cls):
    y, p = _loss_data(cls)
    y64 = y.astype(np.float64) if y.dtype.kind == "f" else y
    per = cls(dtype="float64", reduction=None)(y, p)           # float32 inputs, converted
    ref = cls(reduction=None)(y64, p.astype(np.float64))       # computed in float64
    assert np.asarray(per).dtype == np.float64
    np.testing.assert_array_equal(per, ref)
    per32 = cls(dtype=np.float32, reduction=None)(y64, p.astype(np.float64))
    assert np.asarray(per32).dtype == np.float32
    np.testing.assert_array_equal(per32, cls(reduction=None)(y, p))
    value = cls(dtype="float64")(y, p)
    assert np.asarray(value).dtype == np.float64
    np.testing.assert_allclose(float(value), float(cls()(y64, p.astype(np.float64))),
                               rtol=1e-12)
    assert np.asarray(cls(dtype="float32")(y, p)).dtype == np.float32
    # the config round trip keeps the dtype; a config without one (Keras') gives None
    loss = cls(dtype=fastnn.mixed_precision.DTypePolicy("float64"))
    assert loss.dtype == "float64" and loss.get_config()["dtype"] == "float64"
    assert cls.from_config(loss.get_config()).dtype == "float64"
    assert "dtype" not in cls().get_config() and cls().dtype is None


@pytest.mark.parametrize("bad", ["bfloat16", "float16", "int32", "mixed_bfloat16", 5,
                                 np.int64])
def test_loss_dtype_refuses_what_fastnn_cannot_compute_in(bad):
    from fastnn import losses
    with pytest.raises(ValueError, match=r"MeanSquaredError: dtype must be 'float32' or "
                                         r"'float64'.*got"):
        losses.MeanSquaredError(dtype=bad if bad != "mixed_bfloat16" else
                                fastnn.mixed_precision.DTypePolicy(bad))


@pytest.mark.parametrize("name, cls, y, p", [
    # the check of each test_dtype_arg of keras/src/losses/losses_test.py (the loss comes
    # out in the dtype given), with float64 in place of bfloat16 (NumPy has no bfloat16)
    ("MeanAbsolutePercentageErrorTest", "MeanAbsolutePercentageError",
     [[1, 9, 2], [-5, -2, 6]], [[4, 8, 12], [8, 1, 3]]),
    ("MeanSquaredLogarithmicErrorTest", "MeanSquaredLogarithmicError",
     [[1, 9, 2], [-5, -2, 6]], [[4, 8, 12], [8, 1, 3]]),
    ("HingeTest", "Hinge", [[0, 1, 0, 1], [0, 0, 1, 1]],
     [[-0.3, 0.2, -0.1, 1.6], [-0.25, -1.0, 0.5, 0.6]]),
    ("SquaredHingeTest", "SquaredHinge", [[0, 1, 0, 1], [0, 0, 1, 1]],
     [[-0.3, 0.2, -0.1, 1.6], [-0.25, -1.0, 0.5, 0.6]]),
    ("CategoricalHingeTest", "CategoricalHinge", [[0, 1, 0], [1, 0, 0]],
     [[0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]),
    ("HuberLossTest", "Huber", [[0, 1, 0], [1, 0, 0]], [[0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]),
    ("LogCoshTest", "LogCosh", [[0, 1, 0], [1, 0, 0]], [[0.1, 0.8, 0.1], [0.2, 0.2, 0.6]]),
    ("KLDivergenceTest", "KLDivergence", [[0.2, 0.8], [0.6, 0.4]], [[0.3, 0.7], [0.5, 0.5]]),
    ("PoissonTest", "Poisson", [[1, 9, 2], [5, 2, 6]], [[4, 8, 12], [8, 1, 3]]),
    ("BinaryFocalCrossentropyTest", "BinaryFocalCrossentropy", [[1, 0], [1, 0]],
     [[0.9, 0.8], [0.7, 0.2]]),
    ("CategoricalFocalCrossentropyTest", "CategoricalFocalCrossentropy",
     [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]),
    ("DiceTest", "Dice", [[1, 0], [0, 1]], [[0.9, 0.1], [0.2, 0.8]]),
    ("TverskyTest", "Tversky", [[1, 0], [0, 1]], [[0.9, 0.1], [0.2, 0.8]]),
])
def test_keras_dtype_arg_with_float64(name, cls, y, p):
    from fastnn import losses
    loss = getattr(losses, cls)(dtype="float64")(np.array(y), np.array(p, dtype="float32"))
    assert np.asarray(loss).dtype == np.float64


def test_loss_dtype_in_training_gradient_converted_back():
    """A float64 loss on a float32 model: the value and gradient computed in float64,
    the gradient handed back in float32 (Keras casts it back through the graph)."""
    from fastnn import losses, ops
    rng = np.random.default_rng(5)
    y = rng.random((8, 3)).astype(np.float32)
    p = rng.random((8, 3)).astype(np.float32)
    value, grad = losses.MeanSquaredError(dtype="float64").loss_and_grad(y, p)
    ref_v, ref_g = ops.loss_and_grad("mean_squared_error", y.astype(np.float64),
                                     p.astype(np.float64))
    assert grad.dtype == np.float32
    assert float(value) == float(ref_v)
    np.testing.assert_array_equal(grad, np.asarray(ref_g).astype(np.float32))
    # the float32 result differs: the dtype changes something
    v32, g32 = losses.MeanSquaredError().loss_and_grad(y, p)
    assert float(v32) != float(ref_v) or not np.array_equal(g32, grad)


def _fit_with_loss_dtype(monkeypatch, engine_on, dtype):
    monkeypatch.setattr(fastnn.engine, "ENABLED", engine_on)
    fastnn.utils.set_random_seed(1)
    rng = np.random.default_rng(0)
    x = rng.random((32, 4)).astype(np.float32)
    y = rng.random((32, 3)).astype(np.float32)
    m = fastnn.Sequential([fastnn.Input((4,)), layers.Dense(3)])
    m.compile("sgd", fastnn.losses.MeanSquaredError(dtype=dtype))
    h = m.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    return m.get_weights(), h.history["loss"]


def test_loss_dtype_trains_on_the_layer_path(monkeypatch):
    w64, l64 = _fit_with_loss_dtype(monkeypatch, False, "float64")
    w32, l32 = _fit_with_loss_dtype(monkeypatch, False, None)
    assert w64[0].dtype == np.float32
    assert not all(np.array_equal(a, b) for a, b in zip(w64, w32))   # float64 gradients
    np.testing.assert_allclose(l64, l32, rtol=1e-5)


def test_loss_dtype_engine_matches_layer_path(monkeypatch):
    a, _ = _fit_with_loss_dtype(monkeypatch, True, "float64")
    b, _ = _fit_with_loss_dtype(monkeypatch, False, "float64")
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_loss_dtype_equal_to_the_models_lowers_onto_the_engine(monkeypatch):
    a, _ = _fit_with_loss_dtype(monkeypatch, True, "float32")
    b, _ = _fit_with_loss_dtype(monkeypatch, False, "float32")
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize("name", ["m.fastnn", "m.keras"])
def test_loss_dtype_saved_with_the_compile_settings(tmp_path, name):
    m = fastnn.Sequential([fastnn.Input((4,)), layers.Dense(3)])
    m.compile("sgd", fastnn.losses.Huber(delta=0.5, dtype="float64"))
    m.save(tmp_path / name)
    loaded = fastnn.models.load_model(tmp_path / name)
    assert type(loaded.loss).__name__ == "Huber"
    assert loaded.loss.dtype == "float64" and loaded.loss.delta == 0.5


# -- BatchNormalization and Softmax with a mask -------------------------------------------

def _np_masked_bn(x, mask, gamma, beta, eps, backend_eps=1e-7):
    """NumPy reference of Keras' masked moments and batch_normalization."""
    axes = tuple(range(x.ndim - 1))
    keep = np.broadcast_to(mask[..., None], x.shape)
    count = keep.sum(axis=axes) + backend_eps
    mean = np.where(keep, x, 0).sum(axis=axes) / count
    var = np.square(np.where(keep, x - mean, 0)).sum(axis=axes) / count
    return (x - mean) / np.sqrt(var + eps) * gamma + beta, mean, var


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_masked_batch_normalization_matches_numpy(dtype):
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((4, 5, 3)) * 3 + 2).astype(dtype)
    mask = rng.random((4, 5)) > 0.4
    bn = layers.BatchNormalization(momentum=0.75, dtype=dtype, gamma_initializer="ones")
    bn.build(x.shape)
    bn.gamma[...] = [0.5, 2.0, -1.0]
    bn.beta[...] = [0.1, 0.0, 3.0]
    mm0, mv0 = bn.moving_mean.copy(), bn.moving_variance.copy()
    y = bn(x, mask=mask, training=True)
    ref, mean, var = _np_masked_bn(x.astype(np.float64), mask, bn.gamma.astype(np.float64),
                                   bn.beta.astype(np.float64), bn.epsilon)
    tol = dict(rtol=2e-5, atol=2e-5) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    assert y.dtype == np.dtype(dtype)
    np.testing.assert_allclose(y, ref, **tol)
    np.testing.assert_allclose(bn.moving_mean, mm0 * 0.75 + mean * 0.25, **tol)
    np.testing.assert_allclose(bn.moving_variance, mv0 * 0.75 + var * 0.25, **tol)
    # masked positions do not move the statistics; inference ignores the mask
    x2 = x.copy()
    x2[~mask] = 1e3
    bn2 = layers.BatchNormalization(momentum=0.75, dtype=dtype)
    bn3 = layers.BatchNormalization(momentum=0.75, dtype=dtype)
    bn2(x, mask=mask, training=True)
    bn3(x2, mask=mask, training=True)
    np.testing.assert_allclose(bn2.moving_mean, bn3.moving_mean, **tol)
    np.testing.assert_array_equal(bn2(x, mask=mask), bn2(x))


def test_masked_batch_normalization_gradients_match_central_differences():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 4, 2)) * 2 + 1
    w = rng.standard_normal((3, 4, 2))
    mask = np.array([[1, 1, 0, 1], [0, 1, 1, 1], [1, 0, 0, 1]], bool)

    def make():
        bn = layers.BatchNormalization(dtype="float64")
        bn.build(x.shape)
        bn.gamma[...] = [1.5, -0.5]
        bn.beta[...] = [0.2, 0.3]
        return bn

    bn = make()
    xt = fastnn.autodiff.convert_to_tensor(x)
    with fastnn.autodiff.GradientTape() as tape:
        tape.watch(xt)
        tape.watch(bn.gamma)
        tape.watch(bn.beta)
        y = bn(xt, mask=mask, training=True)
    gx, gg, gb = tape.gradient(y, [xt, bn.gamma, bn.beta], output_gradients=w)

    def f(xv, gamma, beta):
        b = make()
        b.gamma[...] = gamma
        b.beta[...] = beta
        return float((np.asarray(b(xv, mask=mask, training=True)) * w).sum())

    h = 1e-6
    g0, b0 = np.array([1.5, -0.5]), np.array([0.2, 0.3])
    num_x = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = h
        num_x[i] = (f(x + d, g0, b0) - f(x - d, g0, b0)) / (2 * h)
    num_g = np.array([(f(x, g0 + h * e, b0) - f(x, g0 - h * e, b0)) / (2 * h)
                      for e in np.eye(2)])
    num_b = np.array([(f(x, g0, b0 + h * e) - f(x, g0, b0 - h * e)) / (2 * h)
                      for e in np.eye(2)])
    np.testing.assert_allclose(gx, num_x, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(gg, num_g, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(gb, num_b, rtol=1e-6, atol=1e-7)


def test_masked_batch_normalization_bad_masks():
    bn = layers.BatchNormalization()
    x = np.ones((2, 3, 4), np.float32)
    with pytest.raises(ValueError, match="one dimension less than the inputs"):
        bn(x, mask=np.ones((2, 3, 4), bool), training=True)
    with pytest.raises(ValueError, match=r"shape without their last axis, \(2, 3\)"):
        bn(x, mask=np.ones((2, 4), bool), training=True)
    with pytest.raises(TypeError, match="mask must be booleans or numbers"):
        bn(x, mask=np.full((2, 3), "a"), training=True)


def test_embedding_mask_reaches_batch_normalization_in_fit(monkeypatch):
    """Embedding(mask_zero=True) -> BatchNormalization: fit's statistics leave the
    padding out, as Keras' do (the model trains on the layer path)."""
    tokens = np.array([[1, 2, 0, 0], [3, 1, 2, 0]] * 4)
    inp = fastnn.Input((4,), dtype="int64")
    emb = layers.Embedding(4, 2, mask_zero=True)
    bn = layers.BatchNormalization(momentum=0.0)
    out = layers.GlobalAveragePooling1D()(bn(emb(inp)))
    model = fastnn.Model(inp, out)
    model.compile("sgd", "mse")
    table = np.array(emb.embeddings)          # the step's forward pass sees these
    model.fit(tokens, np.zeros((8, 2), np.float32), batch_size=8, epochs=1, verbose=0)
    # the batch statistics of the forward pass: the embeddings at the kept tokens only
    kept = table[tokens[tokens != 0]]
    np.testing.assert_allclose(bn.moving_mean, kept.mean(axis=0), rtol=1e-5, atol=1e-6)


def test_masked_softmax_gradient_and_dtype():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 4))
    w = rng.standard_normal((3, 4))
    mask = np.array([[1, 0, 1, 1], [0, 0, 0, 0], [1, 1, 1, 0]], bool)
    layer = layers.Softmax()
    xt = fastnn.autodiff.convert_to_tensor(x)
    with fastnn.autodiff.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt, mask=mask)
    g = tape.gradient(y, xt, output_gradients=w)
    e = np.where(mask, np.exp(x - x.max(axis=1, keepdims=True)), 0)
    ref = np.where(mask, e / np.maximum(e.sum(axis=1, keepdims=True), 1e-300), 0)
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-15)
    # d/dx of sum(w * softmax): s * (w - sum(w * s)) on the kept entries, 0 elsewhere
    ref_g = np.where(mask, ref * (w - (w * ref).sum(axis=1, keepdims=True)), 0)
    np.testing.assert_allclose(g, ref_g, rtol=1e-10, atol=1e-12)
    assert layer(x.astype(np.float32), mask=mask).dtype == np.float32


def test_softmax_refuses_a_sequence_mask_on_wider_inputs_as_keras_does():
    """Embedding's (N, T) mask reaching a Softmax over (N, T, D): Keras' Softmax
    raises (the mask must broadcast against the inputs from their last axis)."""
    emb = layers.Embedding(5, 3, mask_zero=True)
    h = emb(np.array([[1, 2, 0, 0], [3, 0, 0, 0]]))
    with pytest.raises(ValueError, match="must be broadcastable to `inputs`"):
        layers.Softmax()(h)


# -- metrics with one value per class in compile (F1Score(average=None), ...) -------------

def _f1_model():
    fastnn.utils.set_random_seed(2)
    rng = np.random.default_rng(0)
    x = rng.random((60, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[(x[:, 0] * 3).astype(int).clip(0, 2)]
    m = fastnn.Sequential([fastnn.Input((4,)), layers.Dense(3, activation="softmax")])
    m.compile(fastnn.optimizers.Adam(0.05), "categorical_crossentropy",
              metrics=[fastnn.metrics.F1Score(average=None),
                       fastnn.metrics.FBetaScore(beta=2.0, average=None, name="fb"),
                       "accuracy"])
    return m, x, y


def test_vector_metrics_in_fit_evaluate_and_callbacks(tmp_path, capsys):
    m, x, y = _f1_model()
    seen = []

    class Record(fastnn.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(("batch", logs))

        def on_epoch_end(self, epoch, logs=None):
            seen.append(("epoch", logs))

    csv = tmp_path / "log.csv"
    h = m.fit(x, y, epochs=3, batch_size=20, verbose=2, validation_data=(x, y),
              callbacks=[Record(), fastnn.callbacks.CSVLogger(str(csv))])
    # history, as Keras: one float32 array per epoch for each vector metric
    for key in ("f1_score", "fb", "val_f1_score", "val_fb"):
        assert len(h.history[key]) == 3
        assert all(isinstance(v, np.ndarray) and v.shape == (3,) and v.dtype == np.float32
                   for v in h.history[key])
    assert isinstance(h.history["accuracy"][0], float)
    assert h.history["f1_score"][0] is not h.history["f1_score"][1]
    for kind, logs in seen:
        assert isinstance(logs["f1_score"], np.ndarray) and logs["f1_score"].shape == (3,)
    # evaluate: the arrays a standalone metric gives on the predictions
    pred = m.predict(x, verbose=0)
    ref_f1 = fastnn.metrics.F1Score(average=None)
    ref_f1.update_state(y, pred)
    ref_fb = fastnn.metrics.FBetaScore(beta=2.0, average=None)
    ref_fb.update_state(y, pred)
    loss, f1, fb, acc = m.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(f1, ref_f1.result(), rtol=1e-6)
    np.testing.assert_allclose(fb, ref_fb.result(), rtol=1e-6)
    np.testing.assert_array_equal(h.history["val_f1_score"][-1], f1)
    d = m.evaluate(x, y, verbose=0, return_dict=True)
    np.testing.assert_array_equal(d["fb"], fb)
    assert isinstance(m.test_on_batch(x, y, return_dict=True)["f1_score"], np.ndarray)
    # the progress bar shows an array's mean, as Keras does
    out = capsys.readouterr().out
    last = h.history["f1_score"][-1]
    assert f"f1_score: {float(np.mean(last)):.4f}" in out
    # CSVLogger writes the array as Keras writes it
    rows = csv.read_text().splitlines()
    assert '"[' in rows[1] and rows[0].split(",")[0] == "epoch"


def test_several_threshold_and_per_column_metrics_compile():
    rng = np.random.default_rng(4)
    x = rng.random((30, 4)).astype("float32")
    y = rng.integers(0, 2, (30, 3)).astype("float32")
    m = fastnn.Sequential([fastnn.Input((4,)), layers.Dense(3, activation="sigmoid")])
    m.compile("sgd", "binary_crossentropy",
              metrics=[fastnn.metrics.Recall(thresholds=[0.2, 0.5, 0.8]),
                       fastnn.metrics.R2Score(class_aggregation=None)])
    m.fit(x, y, epochs=1, verbose=0)
    d = m.evaluate(x, y, verbose=0, return_dict=True)
    pred = m.predict(x, verbose=0)
    r = fastnn.metrics.Recall(thresholds=[0.2, 0.5, 0.8])
    r.update_state(y, pred)
    r2 = fastnn.metrics.R2Score(class_aggregation=None)
    r2.update_state(y, pred)
    np.testing.assert_allclose(d["recall"], r.result(), rtol=1e-6)
    np.testing.assert_allclose(d["r2_score"], r2.result(), rtol=1e-5, atol=1e-6)


# -- Input(dtype="string") feeding a StringLookup ------------------------------------------

def _string_model():
    """The structured-data tutorials' pattern: a text column through a StringLookup,
    a numeric column normalised, concatenated into a small classifier."""
    fastnn.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    n = 200
    thal = rng.choice(["fixed", "normal", "reversible"], n).astype(object)
    age = rng.uniform(20, 80, n).astype("float32")
    y = ((thal == "normal") ^ (age > 50)).astype("float32")
    t_in = fastnn.Input(shape=(1,), dtype="string", name="thal")
    a_in = fastnn.Input(shape=(1,), name="age")
    lookup = layers.StringLookup(output_mode="one_hot")
    lookup.adapt(thal)
    h = layers.Concatenate()([lookup(t_in), layers.Normalization(mean=50.0, variance=300.0)(a_in)])
    out = layers.Dense(1, activation="sigmoid")(layers.Dense(8, activation="relu")(h))
    model = fastnn.Model([t_in, a_in], out)
    return model, {"thal": thal.reshape(-1, 1), "age": age.reshape(-1, 1)}, y


@pytest.mark.parametrize("name", ["m.fastnn", "m.keras"])
def test_string_input_model_fits_predicts_saves_and_loads(tmp_path, name):
    model, x, y = _string_model()
    assert model.inputs[0].dtype == "string"
    model.compile(fastnn.optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
    h = model.fit(x, y, epochs=20, batch_size=32, verbose=0, validation_split=0.2)
    assert h.history["loss"][-1] < h.history["loss"][0] * 0.5
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc > 0.9
    pred = model.predict(x, verbose=0)
    # the same rows as a list in input order, and as str (not object) arrays
    as_list = model.predict([x["thal"], x["age"]], verbose=0)
    as_str = model.predict({"thal": x["thal"].astype(str), "age": x["age"]}, verbose=0)
    np.testing.assert_array_equal(pred, as_list)
    np.testing.assert_array_equal(pred, as_str)
    model.save(tmp_path / name)
    loaded = fastnn.models.load_model(tmp_path / name)
    assert loaded.inputs[0].dtype == "string"
    assert loaded.get_config()["layers"][0]["config"]["dtype"] == "string"
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), pred)


def test_string_input_single_chain_and_sequential(tmp_path):
    lookup = layers.StringLookup(vocabulary=["a", "b", "c"], output_mode="count")
    inp = fastnn.Input((3,), dtype="string")
    dense = layers.Dense(1, kernel_initializer="ones")
    model = fastnn.Model(inp, dense(lookup(inp)))
    x = np.array([["a", "b", "zz"], ["c", "c", "c"]])
    counts = np.asarray(lookup(x))
    np.testing.assert_allclose(model.predict(x, verbose=0), counts.sum(1, keepdims=True))
    np.testing.assert_allclose(model(x), counts.sum(1, keepdims=True))
    np.testing.assert_allclose(model.predict(x.astype(bytes), verbose=0),
                               counts.sum(1, keepdims=True))
    seq = fastnn.Sequential([fastnn.Input((1,), dtype="string"),
                             layers.StringLookup(vocabulary=["a", "b"], output_mode="one_hot"),
                             layers.Dense(1)])
    seq.compile("sgd", "mse")
    seq.fit(np.array([["a"], ["b"]]), np.array([1.0, 2.0]), verbose=0)
    seq.save(tmp_path / "s.fastnn")
    np.testing.assert_array_equal(
        fastnn.models.load_model(tmp_path / "s.fastnn").predict(np.array([["b"]]), verbose=0),
        seq.predict(np.array([["b"]]), verbose=0))


def test_string_input_bad_data():
    lookup = layers.StringLookup(vocabulary=["a", "b"], output_mode="one_hot")
    inp = fastnn.Input((1,), dtype="string")
    model = fastnn.Model(inp, layers.Dense(1)(lookup(inp)))
    with pytest.raises(TypeError, match=r"x must be an array of strings \(the model's input "
                                        r"is Input\(dtype='string'\)\), got ndarray of "
                                        r"dtype float"):
        model.predict(np.ones((2, 1)), verbose=0)
    with pytest.raises(ValueError, match=r"expected shape \('N', 1\).*got \(2, 3\)"):
        model.predict(np.full((2, 3), "a"), verbose=0)
    with pytest.raises(TypeError, match="inputs must be strings, got an element of type int"):
        model.predict(np.array([["a"], [3]], dtype=object), verbose=0)
    # a numeric model still refuses text
    num = fastnn.Sequential([fastnn.Input((1,)), layers.Dense(1)])
    with pytest.raises(TypeError, match="x must hold real numbers"):
        num.predict(np.array([["a"]]), verbose=0)


def test_string_input_model_is_refused_by_the_onnx_export(tmp_path):
    pytest.importorskip("onnx")
    inp = fastnn.Input((1,), dtype="string")
    model = fastnn.Model(inp, layers.Dense(1)(
        layers.StringLookup(vocabulary=["a"], output_mode="one_hot")(inp)))
    with pytest.raises(ValueError, match=r"export\(format='onnx'\): a model with an "
                                         r"Input\(dtype='string'\) has no ONNX form"):
        model.export(str(tmp_path / "m.onnx"), format="onnx")
