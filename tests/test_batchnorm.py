"""BatchNormalization: Keras 3's math and defaults against a NumPy reference, gradients
against central differences, moving statistics, freezing, config, saving and fit."""
import numpy as np
import pytest

import fastnn
from fastnn import reference as R
from fastnn import regularizers
from fastnn.layers import BatchNormalization, Dense, Dropout, Input

from cases import central_diff


def _reference(x, gamma, beta, mean, var, eps):
    return R.batch_norm(x, gamma, beta, mean, var, eps)


def _built(n=5, dtype="float64", **kw):
    bn = BatchNormalization(dtype=dtype, **kw)
    bn.build((None, n))
    return bn


def test_keras_defaults_weights_and_config_round_trip():
    bn = _built(4, dtype="float32")
    assert (bn.axis, bn.momentum, bn.epsilon, bn.center, bn.scale) == (-1, 0.99, 0.001, True, True)
    names = ["gamma", "beta", "moving_mean", "moving_variance"]
    assert bn.weight_names == names
    assert [w.tolist() for w in bn.get_weights()] == [[1] * 4, [0] * 4, [0] * 4, [1] * 4]
    assert all(w.dtype == np.float32 for w in bn.weights)
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2
    only_center = _built(4, scale=False)
    assert only_center.weight_names == ["beta", "moving_mean", "moving_variance"]
    cfg = BatchNormalization(momentum=0.9, epsilon=1e-5, center=False,
                             gamma_regularizer=regularizers.L2(0.1)).get_config()
    again = fastnn.layers.deserialize({"class_name": "BatchNormalization", "config": cfg})
    assert again.get_config() == cfg


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(7, 5), (3, 4, 5)])
def test_training_and_inference_match_the_reference(dtype, shape):
    r = np.random.default_rng(1)
    x = (r.standard_normal(shape) * 3 + 2).astype(dtype)
    bn = _built(5, dtype=dtype, momentum=0.8)
    gamma, beta = r.standard_normal(5), r.standard_normal(5)
    mm, mv = r.standard_normal(5), r.random(5) + 0.5
    bn.set_weights([gamma, beta, mm, mv])
    tol = dict(rtol=2e-5, atol=2e-5) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    # inference: the moving statistics
    np.testing.assert_allclose(bn(x), _reference(x, gamma, beta, mm, mv, 0.001), **tol)
    assert bn(x).dtype == dtype
    # training: the batch's mean and biased variance over every axis but the last
    x2 = x.reshape(-1, 5).astype(np.float64)
    mean, var = x2.mean(axis=0), x2.var(axis=0)
    y = bn(x, training=True)
    assert y.shape == x.shape and y.dtype == dtype
    np.testing.assert_allclose(y, _reference(x, gamma, beta, mean, var, 0.001), **tol)
    np.testing.assert_allclose(bn.moving_mean, mm * 0.8 + mean * 0.2, **tol)
    np.testing.assert_allclose(bn.moving_variance, mv * 0.8 + var * 0.2, **tol)


def _loss(bn, x, w, training):
    return float((np.asarray(bn(x, training=training)) * w).sum())


def _grads(bn, x, w):
    """d sum(bn(x) * w) / d (x, gamma, beta) by a GradientTape (None where none)."""
    x = fastnn.autodiff.convert_to_tensor(x)
    with fastnn.autodiff.GradientTape() as tape:
        tape.watch(x)
        for v in (bn.gamma, bn.beta):
            if v is not None:
                tape.watch(v)
        y = bn(x, training=True)
    sources = [v for v in (x, bn.gamma, bn.beta) if v is not None]
    grads = iter(tape.gradient(y, sources, output_gradients=w))
    return [next(grads) if v is not None else None for v in (x, bn.gamma, bn.beta)]


@pytest.mark.parametrize("frozen", [False, True], ids=["batch_stats", "frozen"])
@pytest.mark.parametrize("center,scale", [(True, True), (False, True), (True, False)])
def test_gradients_match_central_differences(frozen, center, scale):
    """d/dx, d/dgamma, d/dbeta of sum(y * w) in float64, by the layer's recorded C
    backward kernel. Frozen (trainable=False), the layer runs on its moving statistics in
    training too, as in Keras; gamma and beta, watched, get the gradients of that affine
    map (as TensorFlow gives them; unwatched, as a frozen layer's are, none is asked)."""
    r = np.random.default_rng(3)
    x = r.standard_normal((6, 4)) * 2 + 1
    w = r.standard_normal((6, 4))
    bn = _built(4, center=center, scale=scale)
    bn.set_weights([r.standard_normal(4) for _ in range(center + scale)]
                   + [r.standard_normal(4), r.random(4) + 0.5])
    bn.trainable = not frozen
    moving = [bn.moving_mean.copy(), bn.moving_variance.copy()]

    def f_x(xv):
        bn.moving_mean[...], bn.moving_variance[...] = moving   # a step moves them
        return _loss(bn, xv, w, training=True)

    num = central_diff(f_x, x)
    f_x(x)
    bn.moving_mean[...], bn.moving_variance[...] = moving
    dx, dgamma, dbeta = _grads(bn, x, w)
    np.testing.assert_allclose(dx, num, rtol=1e-6, atol=1e-7)
    if frozen:
        np.testing.assert_array_equal(bn.moving_mean, moving[0])
    params = [(p, g) for p, g in ((bn.gamma, dgamma), (bn.beta, dbeta)) if p is not None]
    assert len(params) == center + scale
    for p, g in params:
        keep = p.copy()

        def f_p(pv):
            p[...] = pv
            return f_x(x)
        num = central_diff(f_p, keep)
        p[...] = keep
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-7)


def test_regularizers_add_to_loss_and_grads():
    bn = _built(3, gamma_regularizer=regularizers.L2(0.5), beta_regularizer=regularizers.L1(0.2))
    bn.set_weights([np.array([1.0, -2.0, 0.5]), np.array([0.5, -1.0, 0.0]), np.zeros(3), np.ones(3)])
    assert bn.regularization_loss() == pytest.approx(0.5 * 5.25 + 0.2 * 1.5)
    assert float(sum(bn.losses)) == pytest.approx(0.5 * 5.25 + 0.2 * 1.5)
    with fastnn.autodiff.GradientTape() as tape:
        total = sum(bn.losses)
    dgamma, dbeta = tape.gradient(total, [bn.gamma, bn.beta])
    np.testing.assert_allclose(dgamma, [1.0, -2.0, 0.5])     # 2 * 0.5 * gamma
    np.testing.assert_allclose(dbeta, [0.2, -0.2, 0.0])      # 0.2 * sign(beta)


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\], got 1.5"):
        BatchNormalization(momentum=1.5)
    with pytest.raises(ValueError, match="epsilon must be a finite number > 0, got 0"):
        BatchNormalization(epsilon=0)
    with pytest.raises(TypeError, match="axis must be an int"):
        BatchNormalization(axis="last")
    with pytest.raises(ValueError, match="synchronized is not supported"):
        BatchNormalization(synchronized=True)
    with pytest.raises(ValueError, match=r"axis 3 is out of bounds for input shape \(None, 4, 2\)"):
        BatchNormalization(axis=3).build((None, 4, 2))
    with pytest.raises(ValueError, match=r"axis 1 of the inputs must have a known size, got "
                                         r"input shape \(None, None, 2\)"):
        BatchNormalization(axis=1).build((None, None, 2))
    bn = BatchNormalization(axis=1)
    bn.build((None, 4, 2))
    with pytest.raises(ValueError, match=r"axis 1 must have size 4 .* got input shape \(3, 5, 2\)"):
        bn(np.ones((3, 5, 2)))
    with pytest.raises(TypeError, match="renorm must be"):
        BatchNormalization(renorm="yes")
    with pytest.raises(ValueError, match=r"renorm_momentum must be a number in \[0, 1\]"):
        BatchNormalization(renorm=True, renorm_momentum=2)
    with pytest.raises(TypeError, match="renorm_clipping must be a dict"):
        BatchNormalization(renorm=True, renorm_clipping=3.0)
    with pytest.raises(TypeError, match=r"renorm_clipping\['rmax'\] must be a number"):
        BatchNormalization(renorm=True, renorm_clipping={"rmax": "3"})


def test_fit_trains_updates_the_moving_statistics_and_round_trips(tmp_path):
    """A Keras MLP with BatchNormalization trains (on the C engine), predict uses the
    moving statistics, and save/load keeps all four weights."""
    (x, y), (xt, yt) = fastnn.datasets.digits.load_data()
    x, xt = x / 16, xt / 16
    fastnn.utils.set_random_seed(0)
    m = fastnn.Sequential([Input((64,)), Dense(32, activation="relu"), BatchNormalization(),
                           Dropout(0.1), Dense(10)])
    m.compile(optimizer="adam", metrics=["accuracy"],
              loss=fastnn.losses.SparseCategoricalCrossentropy(from_logits=True))
    h = m.fit(x, y, epochs=8, batch_size=32, verbose=0)
    assert m._engine.fit_plan is not None, m._engine.why
    assert h.history["loss"][-1] < 0.5 * h.history["loss"][0]
    assert m.evaluate(xt, yt, verbose=0)[1] > 0.9
    bn = m.layers[1]
    assert not np.allclose(bn.moving_mean, 0) and not np.allclose(bn.moving_variance, 1)
    a0 = np.maximum(xt @ m.layers[0].kernel + m.layers[0].bias, 0)
    out = _reference(a0, bn.gamma, bn.beta, bn.moving_mean, bn.moving_variance, 0.001)
    out = out @ m.layers[3].kernel + m.layers[3].bias
    np.testing.assert_allclose(m.predict(xt, verbose=0), out, rtol=1e-4, atol=1e-4)
    m.save(tmp_path / "bn.fastnn")
    back = fastnn.models.load_model(tmp_path / "bn.fastnn")
    for a, b in zip(m.get_weights(), back.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(back.predict(xt, verbose=0), m.predict(xt, verbose=0))


def test_frozen_layer_keeps_its_statistics_in_fit():
    x = np.random.default_rng(2).standard_normal((40, 3))
    y = x.sum(axis=1, keepdims=True)
    m = fastnn.Sequential([Input((3,)), BatchNormalization(), Dense(1)])
    m.compile(optimizer="sgd", loss="mse")
    m.layers[0].trainable = False
    before = m.layers[0].get_weights()
    m.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for a, b in zip(before, m.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    assert m.count_params() == 4 * 3 + 4 and len(m.trainable_weights) == 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("n,k", [(1, 1), (5, 3), (33, 300), (2, 513)])
@pytest.mark.parametrize("affine", [True, False])
def test_kernels_match_the_numpy_reference(dtype, n, k, affine):
    """csrc/batchnorm.c against float64 NumPy: training forward with the moving update,
    inference forward, and the backward with batch and with moving statistics (feature
    blocks of 256 crossed by k = 300 and 513)."""
    from fastnn import _kernels
    from cases import tol
    r = np.random.default_rng(n * 1000 + k)
    x = (r.standard_normal((n, k)) * 2 + 1).astype(dtype)
    gamma = r.standard_normal(k).astype(dtype) if affine else None
    beta = r.standard_normal(k).astype(dtype) if affine else None
    mm, mv = r.standard_normal(k).astype(dtype), (r.random(k) + 0.5).astype(dtype)
    mm0, mv0 = mm.copy(), mv.copy()
    g64 = np.ones(k) if gamma is None else gamma.astype(np.float64)
    b64 = np.zeros(k) if beta is None else beta.astype(np.float64)
    var = x.astype(np.float64).var(axis=0)
    ref_y, ref_mm, ref_mv = R.batch_norm_train(x, g64, b64, mm0, mv0, 0.9, 1e-3)
    xhat, inv, y = np.empty_like(x), np.empty(k, dtype), np.empty_like(x)
    _kernels.bn_train(x, gamma, beta, mm, mv, 0.9, 1e-3, xhat, inv, y)
    t = tol(dtype)
    np.testing.assert_allclose(y, ref_y, **t)
    np.testing.assert_allclose(inv, 1 / np.sqrt(var + 1e-3), **t)
    np.testing.assert_allclose(mm, ref_mm, **t)
    np.testing.assert_allclose(mv, ref_mv, **t)
    yi, invi = np.empty_like(x), np.empty(k, dtype)
    _kernels.bn_infer(x, gamma, beta, mm, mv, 1e-3, invi, yi)
    np.testing.assert_allclose(yi, _reference(x, g64, b64, mm.astype(np.float64),
                                              mv.astype(np.float64), 1e-3), **t)
    dy = r.standard_normal((n, k)).astype(dtype)
    dx, dg, db = np.empty_like(x), np.empty(k, dtype), np.empty(k, dtype)
    _kernels.bn_backward(dy, xhat, inv, gamma, True, dx, dg, db)
    ref_dx, ref_dg, ref_db = R.batch_norm_backward(dy, xhat, inv.astype(np.float64), g64)
    loose = dict(rtol=t["rtol"] * 50, atol=t["atol"] * 50)   # differences of sums
    np.testing.assert_allclose(dx, ref_dx, **loose)
    np.testing.assert_allclose(dg, ref_dg, **loose)
    np.testing.assert_allclose(db, ref_db, **loose)
    _kernels.bn_backward(dy, xhat, invi, gamma, False, dx, None, None)
    ref_dx = R.batch_norm_backward(dy, xhat, invi.astype(np.float64), g64, batch_stats=False)[0]
    np.testing.assert_allclose(dx, ref_dx, **t)


def test_kernel_arguments_are_checked():
    from fastnn import _kernels
    x = np.ones((4, 3))
    v = np.ones(3)
    with pytest.raises(ValueError, match=r"mm must have 3 values \(one per feature\), got 2"):
        _kernels.bn_train(x, None, None, np.ones(2), v.copy(), 0.9, 1e-3, np.empty((4, 3)),
                          np.empty(3), np.empty((4, 3)))
    with pytest.raises(ValueError, match=r"y must have shape \(4, 3\), got \(3, 4\)"):
        _kernels.bn_infer(x, None, None, v, v, 1e-3, None, np.empty((3, 4)))
    with pytest.raises(ValueError, match="at least one row"):
        _kernels.bn_backward(np.ones((0, 3)), np.ones((0, 3)), v, None, True, None, None, None)
    with pytest.raises((TypeError, ValueError)):
        _kernels.bn_infer(x.astype(np.float32), None, None, v, v, 1e-3, None, np.empty((4, 3)))


def test_freezing_the_model_freezes_its_layers_as_in_keras():
    """model.trainable = False sets every layer's flag (Keras' setter does): the
    BatchNormalization then normalises with its moving statistics in fit and nothing
    moves; trainable = True gives every layer back."""
    x = np.random.default_rng(3).standard_normal((40, 4))
    y = x.sum(axis=1, keepdims=True)
    m = fastnn.Sequential([Input((4,)), Dense(5, activation="relu"), BatchNormalization(),
                           Dense(1)])
    m.compile(optimizer="adam", loss="mse")
    m.trainable = False
    assert not any(layer.trainable for layer in m.layers)
    before = m.get_weights()
    m.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)
    m.trainable = True
    assert all(layer.trainable for layer in m.layers)
    m.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert not np.array_equal(m.layers[1].moving_mean, before[4])


def test_training_resumes_identically_after_save_and_load(tmp_path):
    """fit 2 epochs, save, load, fit 2 more == fit 4 epochs (bitwise): gamma, beta, the
    moving statistics and the optimizer's slots for gamma and beta all round-trip."""
    x = np.random.default_rng(6).standard_normal((64, 5)).astype(np.float32)
    y = np.random.default_rng(7).integers(0, 3, 64)

    def make():
        fastnn.utils.set_random_seed(8)
        m = fastnn.Sequential([Input((5,)), Dense(6), BatchNormalization(),
                               fastnn.layers.ReLU(), Dense(3)])
        m.compile(optimizer="adam", metrics=["accuracy"],
                  loss=fastnn.losses.SparseCategoricalCrossentropy(from_logits=True))
        return m

    ref = make()
    ref.fit(x, y, epochs=4, batch_size=16, shuffle=False, verbose=0)
    m = make()
    m.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    m.save(tmp_path / "bn.fastnn")
    resumed = fastnn.models.load_model(tmp_path / "bn.fastnn")
    resumed.fit(x, y, epochs=4, initial_epoch=2, batch_size=16, shuffle=False, verbose=0)
    assert resumed._engine.fit_plan is not None
    for a, b in zip(ref.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------ a feature axis not last
def _moved_reference(x, axis, gamma, beta, mean, var, eps):
    """The reference on x with `axis` moved last, moved back."""
    xt = np.moveaxis(x, axis, -1)
    return np.moveaxis(_reference(xt, gamma, beta, mean, var, eps), -1, axis)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape,axis", [((6, 3, 4), 1), ((5, 3, 2, 2), 1), ((4, 2, 3, 5), 2),
                                        ((5, 3, 4), -2), ((8, 3), 0)])
def test_a_feature_axis_other_than_the_last(dtype, shape, axis):
    """axis=1 (channels first) and others: per index of that axis, over all the others;
    training, the moving statistics and inference, against the NumPy reference."""
    r = np.random.default_rng(5)
    x = (r.standard_normal(shape) * 3 + 2).astype(dtype)
    n = shape[axis]
    bn = BatchNormalization(axis=axis, momentum=0.7, dtype=dtype)
    bn.build((None,) + shape[1:] if axis % len(shape) else shape)
    assert bn.gamma.shape == (n,)
    gamma, beta = r.standard_normal(n), r.standard_normal(n)
    mm, mv = r.standard_normal(n), r.random(n) + 0.5
    bn.set_weights([gamma, beta, mm, mv])
    tol = dict(rtol=2e-5, atol=2e-5) if dtype == "float32" else dict(rtol=1e-12, atol=1e-12)
    y = bn(x)
    assert y.shape == x.shape and y.dtype == dtype
    np.testing.assert_allclose(y, _moved_reference(x, axis, gamma, beta, mm, mv, 0.001), **tol)
    xt = np.moveaxis(x, axis, -1).reshape(-1, n).astype(np.float64)
    mean, var = xt.mean(axis=0), xt.var(axis=0)
    y = bn(x, training=True)
    np.testing.assert_allclose(y, _moved_reference(x, axis, gamma, beta, mean, var, 0.001),
                               **tol)
    np.testing.assert_allclose(bn.moving_mean, mm * 0.7 + mean * 0.3, **tol)
    np.testing.assert_allclose(bn.moving_variance, mv * 0.7 + var * 0.3, **tol)
    assert bn.compute_output_shape(shape) == shape


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("frozen", [False, True], ids=["batch_stats", "frozen"])
def test_axis_1_gradients_match_central_differences(dtype, frozen):
    """d/dx, d/dgamma, d/dbeta over axis 1 of (batch, channels, h, w) inputs, by central
    differences in float64 (the float32 layer against the float64 differences, at
    float32's tolerance)."""
    r = np.random.default_rng(11)
    x = r.standard_normal((3, 2, 3, 2)) * 2 + 1
    w = r.standard_normal(x.shape)
    ref = BatchNormalization(axis=1, dtype="float64")
    ref.build((None, 2, 3, 2))
    ref.set_weights([r.standard_normal(2), r.standard_normal(2), r.standard_normal(2),
                     r.random(2) + 0.5])
    ref.trainable = not frozen
    bn = BatchNormalization(axis=1, dtype=dtype)
    bn.build((None, 2, 3, 2))
    bn.set_weights(ref.get_weights())
    bn.trainable = not frozen
    moving = [ref.moving_mean.copy(), ref.moving_variance.copy()]

    def f_x(xv):
        ref.moving_mean[...], ref.moving_variance[...] = moving
        return _loss(ref, xv, w, training=True)

    tol = dict(rtol=1e-6, atol=1e-7) if dtype == "float64" else dict(rtol=2e-3, atol=2e-4)
    dx, dgamma, dbeta = _grads(bn, x.astype(dtype), w.astype(dtype))
    assert dx.dtype == dtype
    np.testing.assert_allclose(dx, central_diff(f_x, x), **tol)
    # (frozen: the gradients of the affine map of the moving statistics)
    for p, g in ((ref.gamma, dgamma), (ref.beta, dbeta)):
        keep = p.copy()

        def f_p(pv):
            p[...] = pv
            return f_x(x)
        num = central_diff(f_p, keep)
        p[...] = keep
        np.testing.assert_allclose(g, num, **tol)


def test_axis_1_with_a_mask_uses_the_unmasked_positions():
    """A mask (the inputs' shape without the last axis) with axis=1: the statistics per
    channel over the unmasked positions only, as Keras' masked moments."""
    r = np.random.default_rng(2)
    x = r.standard_normal((4, 3, 5))
    mask = r.random((4, 3)) > 0.3
    bn = BatchNormalization(axis=1, momentum=0.0, dtype="float64")
    y = np.asarray(bn(x, training=True, mask=mask))
    keep = np.broadcast_to(mask[..., None], x.shape)
    for c in range(3):
        vals = x[:, c][keep[:, c]]
        mean = vals.sum() / (vals.size + 1e-7)
        var = ((vals - mean) ** 2).sum() / (vals.size + 1e-7)
        np.testing.assert_allclose(bn.moving_mean[c], mean, rtol=1e-12)
        np.testing.assert_allclose(bn.moving_variance[c], var, rtol=1e-12)
        np.testing.assert_allclose(y[:, c], (x[:, c] - mean) / np.sqrt(var + 1e-3), rtol=1e-10)


def test_a_model_with_axis_1_trains_on_the_layer_path_and_says_why():
    """The C engine normalises the last axis of a Dense layer's 2-D output only: a model
    whose BatchNormalization takes axis 0 of that output (or renorm) trains on the layer
    path, with the reason; axis=1 of a 2-D output is the last, and stays on the engine."""
    from fastnn import engine
    r = np.random.default_rng(0)
    x, y = r.standard_normal((16, 4)), r.standard_normal((16, 2))

    def model(**kw):      # a fixed batch size: axis 0 needs a known size
        m = fastnn.Sequential([Input((4,), batch_size=16), Dense(8), BatchNormalization(**kw),
                               Dense(2)])
        m.compile(optimizer="sgd", loss="mse")
        return m
    assert engine.plan_for(model(axis=1), x, training=True) is not None
    for kw, why in (({"axis": 0}, "over axis 0"), ({"renorm": True}, "renorm=True")):
        m = model(**kw)
        assert engine.plan_for(m, x, training=True) is None
        assert why in m._engine.why
    m = model(renorm=True)
    before = m.get_weights()
    m.fit(x, y, epochs=2, batch_size=16, verbose=0)
    assert m._engine.fit_plan is None
    assert not np.allclose(m.layers[1].renorm_mean, before[4])
    assert np.isfinite(m.evaluate(x, y, verbose=0))


# ------------------------------------------------------------------------- renorm
def test_renorm_weights_training_and_inference_against_numpy():
    """renorm=True: five non-trainable weights; training is ((x - mean) / stddev * r + d)
    * gamma + beta with clipped r and d; the moving variance is the moving stddev's
    square less epsilon; inference equals the layer without renorm."""
    r = np.random.default_rng(4)
    clip = {"rmax": 1.5, "rmin": 0.5, "dmax": 0.4}
    bn = BatchNormalization(renorm=True, renorm_clipping=clip, momentum=0.6,
                            renorm_momentum=0.8, dtype="float64")
    bn.build((None, 3))
    assert bn.weight_names == ["gamma", "beta", "moving_mean", "moving_variance",
                               "moving_stddev", "renorm_mean", "renorm_stddev"]
    assert len(bn.non_trainable_weights) == 5
    gamma, beta = r.standard_normal(3), r.standard_normal(3)
    rmean, rstd = r.standard_normal(3), r.random(3) + 0.5
    mmean, mstd = r.standard_normal(3), r.random(3) + 0.5
    bn.set_weights([gamma, beta, mmean, mstd ** 2, mstd, rmean, rstd])
    x = r.standard_normal((10, 3)) * 2 + 1
    mean, var = x.mean(axis=0), x.var(axis=0)
    std = np.sqrt(var + 1e-3)
    rr = np.clip(std / rstd, 0.5, 1.5)
    dd = np.clip((mean - rmean) / rstd, -0.4, 0.4)
    y = bn(x, training=True)
    np.testing.assert_allclose(y, ((x - mean) / std * rr + dd) * gamma + beta, rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(bn.renorm_mean, rmean * 0.8 + mean * 0.2, rtol=1e-12)
    np.testing.assert_allclose(bn.renorm_stddev, rstd * 0.8 + std * 0.2, rtol=1e-12)
    new_std = mstd * 0.6 + std * 0.4
    np.testing.assert_allclose(bn.moving_stddev, new_std, rtol=1e-12)
    np.testing.assert_allclose(bn.moving_variance, new_std ** 2 - 1e-3, rtol=1e-12)
    plain = BatchNormalization(dtype="float64")
    plain.build((None, 3))
    plain.set_weights(bn.get_weights()[:4])
    np.testing.assert_array_equal(bn(x), plain(x))
    cfg = bn.get_config()
    assert cfg["renorm_clipping"] == clip and cfg["renorm_momentum"] == 0.8
    assert BatchNormalization.from_config(cfg).get_config() == cfg


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_renorm_gradients_treat_r_and_d_as_constants(dtype):
    """The gradient of a renorm layer's training output by a GradientTape against
    central differences of the same function with r and d held at their values."""
    r = np.random.default_rng(8)
    x = r.standard_normal((6, 2, 3)) * 2 + 1
    w = r.standard_normal(x.shape)
    gamma, beta = r.standard_normal(2), r.standard_normal(2)
    rmean, rstd = r.standard_normal(2), r.random(2) + 0.5
    eps = 1e-3
    axes = (0, 2)
    mean, var = x.mean(axis=axes), x.var(axis=axes)
    rr = (np.sqrt(var + eps) / rstd)[None, :, None]
    dd = ((mean - rmean) / rstd)[None, :, None]

    def f(xv, g=gamma, b=beta):
        m, v = xv.mean(axis=axes, keepdims=True), xv.var(axis=axes, keepdims=True)
        y = ((xv - m) / np.sqrt(v + eps) * rr + dd) * g[None, :, None] + b[None, :, None]
        return float((y * w).sum())
    bn = BatchNormalization(axis=1, renorm=True, dtype=dtype)
    bn.build((None, 2, 3))
    bn.set_weights([gamma, beta, np.zeros(2), np.ones(2), np.ones(2), rmean, rstd])
    dx, dgamma, dbeta = _grads(bn, x.astype(dtype), w.astype(dtype))
    tol = dict(rtol=1e-6, atol=1e-7) if dtype == "float64" else dict(rtol=2e-3, atol=2e-4)
    np.testing.assert_allclose(dx, central_diff(f, x), **tol)
    np.testing.assert_allclose(dgamma, central_diff(lambda g: f(x, g=g), gamma), **tol)
    np.testing.assert_allclose(dbeta, central_diff(lambda b: f(x, b=b), beta), **tol)


def test_a_trainable_layer_called_in_inference_mode_trains_gamma_and_beta():
    """Keras' fine-tuning recipe: the base model unfrozen but called with
    training=False, so its BatchNormalization normalises with the moving statistics
    (which stay as they are) while its gamma and beta train, with the gradients of that
    affine map (checked against central differences in float64)."""
    r = np.random.default_rng(5)
    x = r.standard_normal((7, 3)) * 2 + 1
    w = r.standard_normal((7, 3))
    bn = _built(3)
    bn.set_weights([r.standard_normal(3), r.standard_normal(3), r.standard_normal(3),
                    r.random(3) + 0.5])
    moving = [bn.moving_mean.copy(), bn.moving_variance.copy()]
    with fastnn.autodiff.GradientTape() as tape:       # (watches gamma and beta itself)
        y = bn(x, training=False)
    dgamma, dbeta = tape.gradient(y, [bn.gamma, bn.beta], output_gradients=w)
    for p, g in ((bn.gamma, dgamma), (bn.beta, dbeta)):
        keep = p.copy()

        def f_p(pv):
            p[...] = pv
            return _loss(bn, x, w, training=False)
        num = central_diff(f_p, keep)
        p[...] = keep
        np.testing.assert_allclose(g, num, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(bn.moving_mean, moving[0])
    np.testing.assert_array_equal(bn.moving_variance, moving[1])
    # in a model fitted on the layer path: they move, the moving statistics do not
    fastnn.utils.set_random_seed(0)
    base = fastnn.Sequential([Input((4,)), Dense(5, activation="relu"), BatchNormalization()])
    inp = Input((4,))
    model = fastnn.Model(inp, Dense(1)(base(inp, training=False)))
    model.compile(optimizer="sgd", loss="mse")
    before = [np.array(v) for v in base.layers[-1].weights]
    model.fit(r.standard_normal((32, 4)), r.standard_normal((32, 1)), epochs=1, verbose=0)
    after = [np.array(v) for v in base.layers[-1].weights]
    assert [not np.array_equal(a, b) for a, b in zip(before, after)] == [True, True, False, False]
