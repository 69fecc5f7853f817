"""keras.layers.Normalization: Keras' documented examples, axes, adapt, training through it
inside a model, saving, and bad arguments."""
import numpy as np
import pytest

import fastnn
from fastnn import Sequential
from fastnn.layers import Dense, Input, Normalization

D = np.array([[0., 7., 4.], [2., 9., 6.], [0., 7., 4.], [2., 9., 6.]], np.float32)


def test_keras_docstring_examples():
    layer = Normalization(axis=None)
    layer.adapt(np.array([1., 2., 3., 4., 5.], np.float32))
    out = layer(np.array([1., 2., 3.], np.float32)).numpy()
    np.testing.assert_allclose(out, [-1.4142135, -0.70710677, 0.], rtol=1e-6)
    assert out.shape == (3,) and out.dtype == np.float32
    layer = Normalization(axis=-1)
    layer.adapt(D)
    np.testing.assert_allclose(layer(np.array([[0., 7., 4.]], np.float32)), [[-1., -1., -1.]])
    layer = Normalization(mean=3., variance=2.)
    np.testing.assert_allclose(layer(np.array([[1.], [2.], [3.]], np.float32)),
                               [[-1.4142135], [-0.70710677], [0.]], rtol=1e-6)
    layer = Normalization(axis=-1, invert=True)
    layer.adapt(D)
    np.testing.assert_allclose(layer(np.array([[1., 2., 3.]], np.float32)), [[2., 10., 8.]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_axes_against_numpy(dtype):
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(50, 4, 3)).astype(dtype)
    for axis, keep in ((-1, (2,)), ((1, 2), (1, 2)), (1, (1,)), (None, ())):
        layer = Normalization(axis=axis, dtype=np.dtype(dtype).name)
        layer.adapt(x)
        reduce = tuple(d for d in range(3) if d not in keep)
        x64 = x.astype(np.float64)
        mean, var = x64.mean(axis=reduce, keepdims=True), x64.var(axis=reduce, keepdims=True)
        # layer.mean / layer.variance have the inputs' rank (Keras' broadcast shape)
        assert layer.mean.shape == mean.shape and layer.variance.shape == var.shape
        np.testing.assert_allclose(layer.mean, mean, rtol=1e-6)
        np.testing.assert_allclose(layer.variance, var, rtol=1e-6)
        out = layer(x)
        assert out.dtype == dtype and out.shape == x.shape
        np.testing.assert_allclose(out, (x64 - mean) / np.sqrt(var), rtol=1e-4, atol=1e-5)
        # the stats are weights over the kept axes: mean, variance, then Keras' count (0)
        w = layer.get_weights()
        kept = tuple(x.shape[d] for d in keep)
        assert [a.shape for a in w] == [kept, kept, ()]
        assert w[0] is not layer.adapt_mean and np.shares_memory(layer.mean, layer.adapt_mean)
        np.testing.assert_array_equal(w[0], layer.adapt_mean)
        np.testing.assert_array_equal(w[1], layer.adapt_variance)
        assert w[2] == 0 and w[2].dtype == np.int64 and layer.trainable_weights == []


def test_adapt_on_batches_equals_adapt_on_their_concatenation():
    x = np.random.default_rng(6).normal(size=(30, 3)).astype(np.float32)
    whole, parts = Normalization(), Normalization()
    whole.adapt(x)
    parts.adapt(iter([x[:10], x[10:25], (x[25:], np.zeros(5))]))   # (x, y) batches give x
    for a, b in zip(whole.get_weights(), parts.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_given_mean_and_variance_broadcast_and_have_no_weights():
    layer = Normalization(mean=[1., 2., 3.], variance=[4., 1., 0.])
    out = layer(np.array([[3., 3., 4.]], np.float32))
    np.testing.assert_allclose(out, [[1., 1., 1e7]], rtol=1e-6)   # std floored at 1e-7
    assert layer.get_weights() == []
    with pytest.raises(ValueError, match="does not broadcast"):
        Normalization(mean=[1., 2.], variance=[1., 1.])(np.ones((2, 3)))


def test_gradient_matches_central_differences():
    layer = Normalization(dtype="float64")
    x = np.random.default_rng(1).normal(size=(6, 3)) * [1., 10., 0.1]
    layer.adapt(x)
    dy = np.random.default_rng(2).normal(size=(6, 3))
    xt = fastnn.autodiff.convert_to_tensor(x)
    with fastnn.autodiff.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt)
    dx = tape.gradient(y, xt, output_gradients=dy)
    eps, num = 1e-6, np.zeros_like(x)
    for i in np.ndindex(*x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += eps
        xm[i] -= eps
        num[i] = ((layer.call(xp) - layer.call(xm)) * dy).sum() / (2 * eps)
    np.testing.assert_allclose(dx, num, rtol=1e-6)
    assert layer.trainable_weights == []


def test_trains_inside_a_model_as_pre_normalised_data_does():
    """Keras' regression tutorial: an adapted Normalization first, then Dense layers. The
    model trains as the same Dense stack does on the data the layer outputs: the same
    bits (both on the C engine, which normalises each gathered batch)."""
    rng = np.random.default_rng(3)
    x = rng.normal([100., 0.5, -20.], [30., 0.1, 5.], size=(120, 3)).astype(np.float32)
    y = (x @ np.array([0.02, 3., -0.1]) + 1.0).astype(np.float32)
    norm = Normalization(axis=-1)
    norm.adapt(x)

    def dense_stack():
        return [Dense(8, activation="relu"), Dense(1)]

    fastnn.utils.set_random_seed(0)
    model = Sequential([Input((3,)), norm] + dense_stack())
    model.compile(fastnn.optimizers.Adam(0.01), "mean_absolute_error")
    h = model.fit(x, y, epochs=5, batch_size=16, verbose=0, validation_split=0.2)
    assert model._engine.fit_plan is not None
    fastnn.utils.set_random_seed(0)
    plain = Sequential([Input((3,))] + dense_stack())
    plain.compile(fastnn.optimizers.Adam(0.01), "mean_absolute_error")
    xn = norm(x).numpy()
    hp = plain.fit(xn, y, epochs=5, batch_size=16, verbose=0, validation_split=0.2)
    assert plain._engine.fit_plan is not None
    for a, b in zip(model.get_weights()[3:], plain.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(h.history["loss"], hp.history["loss"], rtol=1e-6)
    assert h.history["loss"][-1] < h.history["loss"][0]
    # the layer's statistics are not trained
    np.testing.assert_array_equal(model.layers[0].adapt_mean, x.astype(np.float64).mean(axis=0)
                                  .astype(np.float32))
    # 3 + 3 + 1 non-trainable parameters, as Keras counts them
    assert model.layers[0].count_params() == 7


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis,invert", [(-1, False), (None, False), (-1, True)])
def test_engine_and_layer_path_give_the_same_bits(monkeypatch, dtype, axis, invert):
    """fit (with validation), evaluate and predict, on 500 rows (predict and evaluate
    take the row-block engine from 384 rows) and on a few."""
    from fastnn import engine
    name = np.dtype(dtype).name
    rng = np.random.default_rng(7)
    x = rng.normal([50., -3., 0.01, 7.], [10., 2., 0.005, 1.], size=(500, 4)).astype(dtype)
    y = (x[:, 0] / 10 + x[:, 1] > 2).astype(int) + (x[:, 3] > 7)
    results = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        fastnn.utils.set_random_seed(1)
        norm = Normalization(axis=axis, invert=invert, dtype=name)
        norm.adapt(x[:300])
        # (no Dropout: the engine draws its own masks, so paths differ with it by design)
        m = Sequential([Input((4,), dtype=name), norm, Dense(16, activation="relu"), Dense(3)])
        m.compile("adam", fastnn.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
        h = m.fit(x, y, batch_size=32, epochs=3, validation_split=0.2, verbose=0)
        assert (m._engine.fit_plan is not None) == fused
        results.append((m.get_weights(), h.history, m.predict(x, verbose=0),
                        m.predict(x[:5], verbose=0), m.evaluate(x, y, verbose=0),
                        m.evaluate(x[:7], y[:7], verbose=0)))
    (wa, ha, *outs_a), (wb, hb, *outs_b) = results
    for a, b in zip(wa, wb):
        np.testing.assert_array_equal(a, b)
    assert ha.keys() == hb.keys()
    for k in ha:
        np.testing.assert_allclose(ha[k], hb[k], rtol=1e-9 if "acc" not in k else 0)
    for a, b in zip(outs_a[:2], outs_b[:2]):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(outs_a[2:], outs_b[2:]):
        np.testing.assert_allclose(a, b, rtol=1e-9)


def test_engine_sees_a_new_adapt_and_refuses_other_axes():
    x = np.random.default_rng(8).normal(size=(50, 3)).astype(np.float32)
    norm = Normalization()
    m = Sequential([Input((3,)), norm, Dense(2)])
    norm.adapt(x)
    first = m.predict(x, verbose=0)
    norm.adapt(x * 10 + 5)                  # the same arrays, new values
    k, b = m.layers[1].get_weights()
    np.testing.assert_allclose(m.predict(x, verbose=0), norm(x).numpy() @ k + b, rtol=1e-5,
                               atol=1e-6)
    assert not np.allclose(first, m.predict(x, verbose=0))
    # statistics over other axes than the features: the layer path
    m3 = Sequential([Input((2, 3)), Normalization(axis=(1, 2)), fastnn.layers.Flatten(),
                     Dense(2)])
    m3.compile("sgd", "mse")
    m3.fit(np.ones((4, 2, 3), np.float32), np.zeros((4, 2)), verbose=0)
    assert m3._engine.fit_plan is None


def test_one_feature_from_a_one_dimensional_array():
    """The tutorial's single-input model: Normalization(input_shape=[1,], axis=None)
    adapted on a 1-D column, then a model fed 1-D arrays (one feature per row)."""
    hp = np.random.default_rng(4).normal(100., 30., size=200).astype(np.float32)
    norm = Normalization(input_shape=[1, ], axis=None)
    norm.adapt(hp)
    model = Sequential([norm, Dense(units=1)])
    out = model.predict(hp[:10], verbose=0)
    assert out.shape == (10, 1)
    k, b = model.layers[1].get_weights()
    np.testing.assert_allclose(out, ((hp[:10, None] - hp.mean()) / hp.std()) @ k + b,
                               rtol=1e-4, atol=1e-5)


def test_saved_and_loaded(tmp_path):
    x = np.random.default_rng(5).normal(size=(40, 3)).astype(np.float32)
    norm = Normalization()
    norm.adapt(x)
    for layer in (norm, Normalization(mean=[1., 2., 3.], variance=[1., 4., 9.], invert=True)):
        m = Sequential([Input((3,)), layer, Dense(2)])
        m.save(tmp_path / "m.fastnn")
        loaded = fastnn.models.load_model(tmp_path / "m.fastnn")
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), m.predict(x, verbose=0))
        assert loaded.layers[0].get_config() == layer.get_config()


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="mean and variance must be given together"):
        Normalization(mean=1.0)
    with pytest.raises(ValueError, match="same shape"):
        Normalization(mean=[1., 2.], variance=[1.])
    with pytest.raises(ValueError, match="variance finite and >= 0"):
        Normalization(mean=0., variance=-1.)
    with pytest.raises(TypeError, match="axis must be an int, a tuple of ints or None"):
        Normalization(axis="last")
    with pytest.raises(ValueError, match="keeps the batch axis"):
        Normalization(axis=0).adapt(D)
    with pytest.raises(ValueError, match="out of range"):
        Normalization(axis=3).adapt(D)
    given = Normalization(mean=0., variance=1.)
    with pytest.raises(ValueError, match="was given mean and variance"):
        given.adapt(D)
    layer = Normalization()
    layer.adapt(D)
    before = [w.copy() for w in layer.get_weights()]
    with pytest.raises(ValueError, match=r"built for inputs of shape \(None, 3\), got data of "
                                         r"shape \(4, 2\)"):
        layer.adapt(D[:, :2])
    with pytest.raises(ValueError, match="data must be finite"):
        layer.adapt(np.array([[np.nan, 1., 2.]]))
    with pytest.raises(TypeError, match="data must be an array of samples"):
        layer.adapt(3)
    with pytest.raises(TypeError, match="must yield batches that are arrays, got list"):
        layer.adapt([[0., 7., 4.], [2., 9., 6.]])
    for a, b in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_adapt_iterable_of_batches_like_keras3():
    from fastnn.layers import Normalization
    with pytest.raises(ValueError, match="empty iterable"):
        Normalization().adapt([])
    with pytest.raises(ValueError, match=r"batch with incompatible shape: expected \(None, 4\), "
                                         r"got \(8, 6\)"):
        Normalization().adapt(iter([np.ones((8, 4)), np.ones((8, 6))]))
    with pytest.raises(TypeError, match=r"arrays, got int \(without a `.shape` attribute\)"):
        Normalization().adapt(iter([42]))
    # the reduced axes may differ from batch to batch (the kept one may not)
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(4, 3, 2)), rng.normal(size=(5, 7, 2))
    layer = Normalization(axis=-1)
    layer.adapt([a, b])
    pooled = np.concatenate([a.reshape(-1, 2), b.reshape(-1, 2)])
    np.testing.assert_allclose(layer.adapt_mean, pooled.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(layer.adapt_variance, pooled.var(axis=0), rtol=1e-6)
    # a kept axis that is not the last, over batches
    x = rng.normal(size=(6, 3, 4))
    layer = Normalization(axis=1)
    layer.adapt([x[:2], x[2:]])
    np.testing.assert_allclose(layer.adapt_mean, x.mean(axis=(0, 2)), rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mean_and_variance_have_the_inputs_rank_like_keras(dtype):
    """layer.mean / layer.variance are broadcast to the inputs' rank (size 1 on the batch
    axis and the normalised axes), as Keras' are; the weights keep the kept axes' shape,
    and the broadcast statistics follow them (adapt, set_weights)."""
    name = np.dtype(dtype).name
    rng = np.random.default_rng(4)
    x = rng.normal(size=(20, 4, 5, 3)).astype(dtype)
    layer = Normalization(axis=(1, 3), dtype=name)
    assert layer.mean is None and layer.variance is None      # not built yet
    layer.adapt(x)
    assert layer.mean.shape == layer.variance.shape == (1, 4, 1, 3)
    assert layer.adapt_mean.shape == layer.adapt_variance.shape == (4, 3)
    assert [w.shape for w in layer.weights] == [(4, 3), (4, 3), ()]
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(layer.mean, x64.mean(axis=(0, 2), keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(layer.variance, x64.var(axis=(0, 2), keepdims=True), rtol=1e-5)
    # the layer computes with them: NumPy's broadcasting of the same arrays
    np.testing.assert_allclose(layer(x), (x64 - layer.mean) / np.sqrt(layer.variance),
                               rtol=1e-4, atol=1e-5)
    new_mean = rng.normal(size=(4, 3)).astype(dtype)
    layer.set_weights([new_mean, np.full((4, 3), 4.0, dtype), np.array(0)])
    np.testing.assert_array_equal(layer.mean[0, :, 0, :], new_mean)
    np.testing.assert_array_equal(layer.variance, np.full((1, 4, 1, 3), 4.0, dtype))
    assert layer.mean.dtype == dtype


@pytest.mark.parametrize("mean,variance,input_shape,axis,aligned,want", [
    (5.0, 2.0, (3, 7), -1, (1, 1), (1, 7)),
    # a mean of fewer dimensions than kept axes lines up with the last ones (Keras)
    (np.arange(1.0, 6.0), np.arange(1.0, 6.0) / 2, (2, 7, 5, 3), (1, 2), (1, 1, 5, 1),
     (1, 7, 5, 1)),
    (np.arange(12.0).reshape(4, 3), np.ones((4, 3)), (None, 4, 3), (1, 2), (1, 4, 3),
     (1, 4, 3)),
    (1.5, 4.0, (None, 6), None, (1, 1), (1, 1)),
])
def test_given_mean_and_variance_are_broadcast_to_the_inputs_rank(mean, variance,
                                                                  input_shape, axis,
                                                                  aligned, want):
    layer = Normalization(axis=axis, mean=mean, variance=variance)
    layer.build(input_shape)
    assert layer.mean.shape == layer.variance.shape == want
    assert layer.weights == []
    expected_mean = np.broadcast_to(np.reshape(mean, aligned), want)
    expected_var = np.broadcast_to(np.reshape(variance, aligned), want)
    np.testing.assert_array_equal(layer.mean, expected_mean.astype(np.float32))
    np.testing.assert_array_equal(layer.variance, expected_var.astype(np.float32))
    shape = tuple(2 if d is None else d for d in input_shape)
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    np.testing.assert_allclose(layer(x), (x - expected_mean) / np.sqrt(expected_var),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_given_statistics_on_the_engine_and_the_layer_path_give_the_same_bits(monkeypatch,
                                                                            dtype):
    """A Normalization given mean= and variance=, first in a model: the C engine takes
    its statistics over the kept axis, as the layer path computes them."""
    from fastnn import engine
    name = np.dtype(dtype).name
    rng = np.random.default_rng(5)
    x = rng.normal([10., -2., 0.5], [3., 1., 0.1], size=(200, 3)).astype(dtype)
    y = (x[:, 0] / 3 + x[:, 1] > 1).astype(int)
    results = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        fastnn.utils.set_random_seed(2)
        norm = Normalization(mean=[10., -2., 0.5], variance=[9., 1., 0.01], dtype=name)
        m = Sequential([Input((3,), dtype=name), norm, Dense(8, activation="relu"), Dense(2)])
        assert norm.mean.shape == (1, 3)
        m.compile("adam", fastnn.losses.SparseCategoricalCrossentropy(from_logits=True))
        h = m.fit(x, y, batch_size=32, epochs=2, verbose=0)
        assert (m._engine.fit_plan is not None) == fused
        results.append((m.get_weights(), h.history["loss"], m.predict(x, verbose=0)))
    (wa, la, pa), (wb, lb, pb) = results
    for a, b in zip(wa, wb):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(la, lb, rtol=1e-9)
    np.testing.assert_array_equal(pa, pb)
