"""The losses written with fastnn.autodiff.ops (KLDivergence, Poisson, LogCosh, the
hinges, CosineSimilarity, MAPE, MSLE, the focal cross-entropies, Dice, Tversky), and what
was added to the C-kernel losses (label_smoothing, ignore_class, every reduction):

- values against the NumPy references (fastnn/reference.py) on random inputs, float32
  and float64, per sample and under every reduction with sample weights;
- gradients through the tape against central differences of the reference (float64);
- training: a Sequential of Dense layers compiled with each loss, by class and by name,
  lowers its loss (on the engine: every one has a C kernel), and evaluate() equals the
  reference on predict();
- bad arguments; saving a compiled model and losses.serialize / losses.get.

Tolerances: the references compute the same formulas in NumPy, in the same dtype:
float64 agrees to rounding (rtol 1e-10); float32 to a few ulps of the sums (rtol 2e-5).
Central differences (h = 1e-6, float64) of values of order 1 have errors ~1e-9: rtol
1e-5, atol 1e-7. Inputs stay away from the kinks (hinge margins, the clips at epsilon).
"""
import json

import numpy as np
import pytest

import fastnn
from fastnn import losses, reference as R
from fastnn.autodiff import GradientTape, ops as K
from fastnn.layers import Dense, Input

from cases import away_from, central_diff, simplex

REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none"]


def _data(kind, rng, shape=(6, 4)):
    if kind == "prob":          # two distributions (KLD)
        return simplex(rng, shape), simplex(rng, shape)
    if kind == "count":         # Poisson
        return rng.poisson(1.5, shape).astype(float), rng.uniform(0.3, 3.0, shape)
    if kind == "real":          # LogCosh, CosineSimilarity
        return rng.normal(size=shape), rng.normal(size=shape)
    if kind == "pct":           # MAPE: |y| >= 0.5, errors away from 0
        y = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
        return y, y + away_from(rng.normal(size=shape), 0.0)
    if kind == "positive":      # MSLE
        return rng.uniform(0.0, 3.0, shape), rng.uniform(0.1, 3.0, shape)
    if kind == "sign":          # hinges: labels -1 / 1, margins away from 1
        y = rng.choice([-1.0, 1.0], shape)
        p = rng.normal(scale=1.5, size=shape)
        return y, away_from(y * p, 1.0) * y
    if kind == "onehot":        # categorical hinge: margins away from 0, no ties
        y = np.eye(shape[-1])[rng.integers(0, shape[-1], shape[0])]
        p = rng.permutation(np.prod(shape)).reshape(shape) * 0.37 / np.prod(shape) * 5
        pos = np.sum(y * p, -1)
        neg = np.max((1 - y) * p, -1)
        p = p + y * np.where(np.abs(neg - pos + 1) < 0.05, 0.2, 0)[:, None]
        return y, p
    if kind == "binary":        # focal BCE, Dice, Tversky
        return rng.integers(0, 2, shape).astype(float), rng.uniform(0.05, 0.95, shape)
    if kind == "logits":
        return rng.integers(0, 2, shape).astype(float), rng.normal(scale=2.0, size=shape)
    if kind == "cat":           # focal CCE on probabilities (unnormalised rows)
        y = np.eye(shape[-1])[rng.integers(0, shape[-1], shape[0])]
        return y, rng.uniform(0.05, 1.0, shape)
    if kind == "catlogits":
        y = np.eye(shape[-1])[rng.integers(0, shape[-1], shape[0])]
        return y, rng.normal(scale=2.0, size=shape)
    raise AssertionError(kind)


# (id, loss constructor, reference per-sample function, data kind)
CASES = [
    ("kld", lambda **r: losses.KLDivergence(**r), R.kl_divergence, "prob"),
    ("poisson", lambda **r: losses.Poisson(**r), R.poisson, "count"),
    ("log_cosh", lambda **r: losses.LogCosh(**r), R.log_cosh, "real"),
    ("hinge", lambda **r: losses.Hinge(**r), R.hinge, "sign"),
    ("squared_hinge", lambda **r: losses.SquaredHinge(**r), R.squared_hinge, "sign"),
    ("categorical_hinge", lambda **r: losses.CategoricalHinge(**r), R.categorical_hinge,
     "onehot"),
    ("cosine", lambda **r: losses.CosineSimilarity(**r), R.cosine_similarity, "real"),
    ("cosine_axis0", lambda **r: losses.CosineSimilarity(axis=0, **r),
     lambda t, p: R.cosine_similarity(t, p, axis=0), "real"),
    ("mape", lambda **r: losses.MeanAbsolutePercentageError(**r),
     R.mean_absolute_percentage_error, "pct"),
    ("msle", lambda **r: losses.MeanSquaredLogarithmicError(**r),
     R.mean_squared_logarithmic_error, "positive"),
    ("bfce", lambda **r: losses.BinaryFocalCrossentropy(**r), R.binary_focal_crossentropy,
     "binary"),
    ("bfce_balanced_smoothed", lambda **r: losses.BinaryFocalCrossentropy(
        apply_class_balancing=True, alpha=0.4, gamma=1.5, label_smoothing=0.2, **r),
     lambda t, p: R.binary_focal_crossentropy(t, p, True, 0.4, 1.5, False, 0.2), "binary"),
    ("bfce_logits", lambda **r: losses.BinaryFocalCrossentropy(gamma=3.0, from_logits=True,
                                                               **r),
     lambda t, p: R.binary_focal_crossentropy(t, p, gamma=3.0, from_logits=True), "logits"),
    ("cfce", lambda **r: losses.CategoricalFocalCrossentropy(**r),
     R.categorical_focal_crossentropy, "cat"),
    ("cfce_logits_alpha_list", lambda **r: losses.CategoricalFocalCrossentropy(
        alpha=[0.1, 0.2, 0.3, 0.4], gamma=1.0, from_logits=True, label_smoothing=0.1, **r),
     lambda t, p: R.categorical_focal_crossentropy(t, p, [0.1, 0.2, 0.3, 0.4], 1.0, True,
                                                   0.1), "catlogits"),
    ("dice_axis1", lambda **r: losses.Dice(axis=1, **r), lambda t, p: R.dice(t, p, axis=1),
     "binary"),
    ("tversky_axis1", lambda **r: losses.Tversky(alpha=0.3, beta=0.7, axis=1, **r),
     lambda t, p: R.tversky(t, p, 0.3, 0.7, axis=1), "binary"),
]
IDS = [c[0] for c in CASES]


def _tol(dtype):
    return dict(rtol=2e-5, atol=2e-6) if np.dtype(dtype) == np.float32 else \
        dict(rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_match_numpy_reference(case, dtype):
    _, make, ref, kind = case
    rng = np.random.default_rng(1)
    yt, yp = (a.astype(dtype) for a in _data(kind, rng))
    per = make(reduction="none")(yt, yp)
    assert per.dtype == dtype
    want = ref(yt, yp)
    np.testing.assert_allclose(per, want, **_tol(dtype))
    sw = rng.uniform(0.1, 2.0, size=np.shape(want))
    for reduction in REDUCTIONS:
        got = make(reduction=reduction)(yt, yp, sample_weight=sw)
        np.testing.assert_allclose(np.asarray(got, np.float64),
                                   R.reduce_loss(want, sw, reduction), **_tol(dtype))
    # the default reduction without weights: the mean of the per-sample values
    np.testing.assert_allclose(float(make()(yt, yp)), np.mean(want.astype(np.float64)),
                               **_tol(dtype))


@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight"])
def test_tape_gradient_matches_finite_differences(case, reduction):
    _, make, ref, kind = case
    rng = np.random.default_rng(2)
    yt, yp = _data(kind, rng)
    sw = rng.uniform(0.1, 2.0, size=np.shape(ref(yt, yp)))
    loss = make(reduction=reduction)
    p = K.convert_to_tensor(yp)
    with GradientTape() as tape:
        tape.watch(p)
        value = loss(yt, p, sample_weight=sw)
    g = tape.gradient(value, p)
    want = central_diff(lambda q: float(R.reduce_loss(ref(yt, q), sw, reduction)), yp)
    np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_float32_gradients_match_float64(case):
    _, make, ref, kind = case
    yt, yp = _data(kind, np.random.default_rng(3))
    grads = []
    for dt in (np.float32, np.float64):
        p = K.convert_to_tensor(yp.astype(dt))
        with GradientTape() as tape:
            tape.watch(p)
            value = make()(yt.astype(dt), p)
        g = tape.gradient(value, p)
        assert g.dtype == dt
        grads.append(np.asarray(g, np.float64))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-3, atol=1e-4)


def test_function_forms_and_names():
    rng = np.random.default_rng(4)
    yt, yp = _data("binary", rng)
    for fn, cls in [(losses.kl_divergence, losses.KLDivergence), (losses.kld, losses.KLDivergence),
                    (losses.poisson, losses.Poisson), (losses.log_cosh, losses.LogCosh),
                    (losses.logcosh, losses.LogCosh), (losses.hinge, losses.Hinge),
                    (losses.squared_hinge, losses.SquaredHinge),
                    (losses.categorical_hinge, losses.CategoricalHinge),
                    (losses.cosine_similarity, losses.CosineSimilarity),
                    (losses.mape, losses.MeanAbsolutePercentageError),
                    (losses.msle, losses.MeanSquaredLogarithmicError),
                    (losses.binary_focal_crossentropy, losses.BinaryFocalCrossentropy),
                    (losses.categorical_focal_crossentropy, losses.CategoricalFocalCrossentropy)]:
        np.testing.assert_allclose(fn(yt, yp), cls(reduction="none")(yt, yp), rtol=1e-12)
        assert type(losses.get(fn)) is cls
    # Dice and Tversky reduce over every axis by default: one value
    assert np.shape(losses.dice(yt, yp)) == () and np.shape(losses.tversky(yt, yp)) == ()
    assert np.shape(losses.dice(yt, yp, axis=1)) == (6,)
    # Keras 3's string names (keras/src/losses/__init__.py) and its default names
    for name, cls, default in [
            ("kld", losses.KLDivergence, "kl_divergence"),
            ("KLD", losses.KLDivergence, "kl_divergence"),
            ("kl_divergence", losses.KLDivergence, "kl_divergence"),
            ("KLDivergence", losses.KLDivergence, "kl_divergence"),
            ("poisson", losses.Poisson, "poisson"), ("log_cosh", losses.LogCosh, "log_cosh"),
            ("logcosh", losses.LogCosh, "log_cosh"), ("hinge", losses.Hinge, "hinge"),
            ("squared_hinge", losses.SquaredHinge, "squared_hinge"),
            ("categorical_hinge", losses.CategoricalHinge, "categorical_hinge"),
            ("cosine_similarity", losses.CosineSimilarity, "cosine_similarity"),
            ("mape", losses.MeanAbsolutePercentageError, "mean_absolute_percentage_error"),
            ("MAPE", losses.MeanAbsolutePercentageError, "mean_absolute_percentage_error"),
            ("mean_absolute_percentage_error", losses.MeanAbsolutePercentageError,
             "mean_absolute_percentage_error"),
            ("msle", losses.MeanSquaredLogarithmicError, "mean_squared_logarithmic_error"),
            ("MSLE", losses.MeanSquaredLogarithmicError, "mean_squared_logarithmic_error"),
            ("binary_focal_crossentropy", losses.BinaryFocalCrossentropy,
             "binary_focal_crossentropy"),
            ("categorical_focal_crossentropy", losses.CategoricalFocalCrossentropy,
             "categorical_focal_crossentropy"),
            ("dice", losses.Dice, "dice"), ("tversky", losses.Tversky, "tversky")]:
        obj = losses.get(name)
        assert type(obj) is cls and obj.name == default, name
        assert obj.reduction == "sum_over_batch_size"


def test_divide_no_nan_is_zero_with_zero_gradient_where_the_denominator_is_zero():
    x = np.array([1.0, -2.0, 3.0, 0.5])
    y = np.array([2.0, 0.0, -4.0, 0.0])
    got = K.divide_no_nan(x, y)
    np.testing.assert_array_equal(got, [0.5, 0.0, -0.75, 0.0])
    xt, yt = K.convert_to_tensor(x), K.convert_to_tensor(y)
    with GradientTape() as tape:
        tape.watch([xt, yt])
        v = K.sum(K.multiply(K.divide_no_nan(xt, yt), np.array([1.0, 2.0, 3.0, 4.0])))
    gx, gy = tape.gradient(v, [xt, yt])
    f = lambda a: float(np.sum(np.where(y == 0, 0, a / np.where(y == 0, 1, y)) * [1, 2, 3, 4]))
    np.testing.assert_allclose(gx, central_diff(f, x), rtol=1e-6, atol=1e-8)
    # the derivative in y where y != 0 (y = 0 is a discontinuity: 0 there, as Keras)
    np.testing.assert_allclose(gy, [-0.25, 0.0, -3 * 3 / 16, 0.0], rtol=1e-12)
    assert K.divide_no_nan(np.float32(1), np.float32(0)).dtype == np.float32


# --------------------------------------------- label_smoothing, ignore_class, reductions
def test_label_smoothing_matches_smoothed_labels():
    rng = np.random.default_rng(5)
    y = np.eye(3)[rng.integers(0, 3, 8)]
    z = rng.normal(size=(8, 3))
    for fl in (False, True):
        p = z if fl else R.softmax(z)
        got = losses.CategoricalCrossentropy(from_logits=fl, label_smoothing=0.2)(y, p)
        want = losses.CategoricalCrossentropy(from_logits=fl)(y * 0.8 + 0.2 / 3, p)
        assert got == pytest.approx(want, rel=1e-12)
        yb = rng.integers(0, 2, (8, 3)).astype(float)
        pb = z if fl else R.sigmoid(z)
        got = losses.BinaryCrossentropy(from_logits=fl, label_smoothing=0.2)(yb, pb)
        want = losses.BinaryCrossentropy(from_logits=fl)(yb * 0.8 + 0.1, pb)
        assert got == pytest.approx(want, rel=1e-12)
    np.testing.assert_allclose(losses.binary_crossentropy(yb, pb, True, 0.2),
                               losses.binary_crossentropy(yb * 0.8 + 0.1, pb, True), rtol=1e-12)


def _sparse_ref(labels, p, ignore, sw, reduction):
    keep = labels != ignore
    per = np.where(keep, -np.log(np.clip(p[np.arange(len(labels)), np.where(keep, labels, 0)]
                                         / p.sum(1), 1e-7, 1 - 1e-7)), 0)
    w = keep * (1.0 if sw is None else sw)
    if reduction == "sum":
        return np.sum(per * w)
    if reduction == "mean_with_sample_weight":
        return np.sum(per * w) / np.sum(w)
    return np.sum(per * w) / keep.sum()


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean",
                                       "mean_with_sample_weight"])
@pytest.mark.parametrize("weighted", [False, True])
def test_ignore_class_and_reductions_on_and_off_the_tape(reduction, weighted):
    rng = np.random.default_rng(6)
    labels = np.array([0, 2, -1, 1, -1, 2])
    p = simplex(rng, (6, 3))
    sw = rng.uniform(0.2, 2.0, 6) if weighted else None
    loss = losses.SparseCategoricalCrossentropy(ignore_class=-1, reduction=reduction)
    want = _sparse_ref(labels, p, -1, sw, reduction)
    assert float(loss(labels, p, sample_weight=sw)) == pytest.approx(want, rel=1e-10)
    t = K.convert_to_tensor(p)
    with GradientTape() as tape:          # the C kernel, recorded
        tape.watch(t)
        value = loss(labels, t, sample_weight=sw)
    assert float(value) == pytest.approx(want, rel=1e-10)
    g = tape.gradient(value, t)
    fd = central_diff(lambda q: _sparse_ref(labels, q, -1, sw, reduction), p)
    np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-7)
    assert np.all(np.asarray(g)[labels == -1] == 0)


@pytest.mark.parametrize("reduction", ["sum", "mean", "mean_with_sample_weight"])
@pytest.mark.parametrize("sw", [None, 2.5, "per-sample"])
def test_c_kernel_losses_reduce_alike_on_and_off_the_tape(reduction, sw):
    rng = np.random.default_rng(7)
    y, p = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    w = rng.uniform(0.1, 2.0, 5) if sw == "per-sample" else sw
    for loss in (losses.MeanSquaredError(reduction=reduction), losses.Huber(reduction=reduction),
                 losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1,
                                           reduction=reduction)):
        yy = (y > 0).astype(float) if isinstance(loss, losses.BinaryCrossentropy) else y
        off = float(loss(yy, p, sample_weight=w))
        t = K.convert_to_tensor(p)
        with GradientTape() as tape:
            tape.watch(t)
            on = loss(yy, t, sample_weight=w)
        assert float(on) == pytest.approx(off, rel=1e-10)
        g = tape.gradient(on, t)
        fd = central_diff(lambda q: float(loss(yy, q, sample_weight=w)), p)
        np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-7)


# ------------------------------------------------------------------------ training
# (loss by class, its string name, targets, output activation, NumPy loss of y, p)
def _targets(kind, rng, n):
    if kind == "prob":
        return simplex(rng, (n, 3)).astype("float32")
    if kind == "count":
        return rng.poisson(2.0, (n, 3)).astype("float32")
    if kind == "real":
        return rng.normal(size=(n, 3)).astype("float32")
    if kind == "pct":
        return rng.uniform(1.0, 3.0, (n, 3)).astype("float32")
    if kind == "positive":
        return rng.uniform(0.0, 3.0, (n, 3)).astype("float32")
    if kind == "binary":
        return rng.integers(0, 2, (n, 3)).astype("float32")
    if kind == "onehot":
        return np.eye(3, dtype="float32")[rng.integers(0, 3, n)]
    raise AssertionError(kind)


TRAIN = [
    (losses.KLDivergence, "kld", "prob", "softmax", R.kl_divergence),
    (losses.Poisson, "poisson", "count", "softplus", R.poisson),
    (losses.LogCosh, "log_cosh", "real", "linear", R.log_cosh),
    (losses.Hinge, "hinge", "binary", "tanh", R.hinge),
    (losses.SquaredHinge, "squared_hinge", "binary", "linear", R.squared_hinge),
    (losses.CategoricalHinge, "categorical_hinge", "onehot", "linear", R.categorical_hinge),
    (losses.CosineSimilarity, "cosine_similarity", "real", "linear", R.cosine_similarity),
    (losses.MeanAbsolutePercentageError, "mape", "pct", "linear",
     R.mean_absolute_percentage_error),
    (losses.MeanSquaredLogarithmicError, "msle", "positive", "relu",
     R.mean_squared_logarithmic_error),
    (losses.BinaryFocalCrossentropy, "binary_focal_crossentropy", "binary", "sigmoid",
     R.binary_focal_crossentropy),
    (losses.CategoricalFocalCrossentropy, "categorical_focal_crossentropy", "onehot", "softmax",
     R.categorical_focal_crossentropy),
    (losses.Dice, "dice", "binary", "sigmoid", R.dice),
    (losses.Tversky, "tversky", "binary", "sigmoid", R.tversky),
]


def _model(activation, seed=0):
    fastnn.utils.set_random_seed(seed)
    return fastnn.Sequential([Input((4,)), Dense(8, activation="tanh"),
                              Dense(3, activation=activation)])


@pytest.mark.parametrize("by", ["class", "name"])
@pytest.mark.parametrize("row", TRAIN, ids=[r[1] for r in TRAIN])
def test_training_lowers_the_loss_and_evaluate_matches_numpy(row, by):
    cls, name, kind, act, ref = row
    rng = np.random.default_rng(8)
    n = 64
    x = rng.normal(size=(n, 4)).astype("float32")
    y = _targets(kind, rng, n)
    model = _model(act)
    model.compile(optimizer=fastnn.optimizers.Adam(0.02), loss=cls() if by == "class" else name)
    assert type(model.loss) is cls
    hist = model.fit(x, y, epochs=6, batch_size=16, shuffle=False, verbose=0).history["loss"]
    assert hist[-1] < hist[0], hist
    # every one of these losses has a C kernel: the engine trains the model
    assert model._engine.why is None and model._engine.plan is not None
    p = model.predict(x, verbose=0).astype(np.float64)
    # Dice and Tversky reduce over the whole batch: evaluate one batch of all samples
    whole = cls in (losses.Dice, losses.Tversky)
    got = model.evaluate(x, y, batch_size=n if whole else 16, verbose=0)
    want = np.mean(ref(y.astype(np.float64), p))
    assert got == pytest.approx(want, rel=1e-5, abs=1e-6)


def test_label_smoothing_trains_like_smoothed_labels():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(48, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 48)]
    a, b = _model("softmax"), _model("softmax")
    a.compile(optimizer="sgd", loss=losses.CategoricalCrossentropy(label_smoothing=0.3))
    b.compile(optimizer="sgd", loss="categorical_crossentropy")
    ha = a.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0).history["loss"]
    hb = b.fit(x, y * 0.7 + 0.1, epochs=3, batch_size=16, shuffle=False,
               verbose=0).history["loss"]
    assert a._engine.plan is not None and b._engine.plan is not None
    np.testing.assert_allclose(ha, hb, rtol=1e-4)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-4, atol=1e-5)


def test_ignore_class_trains_on_the_layer_path_and_evaluates_as_keras():
    rng = np.random.default_rng(10)
    x = rng.normal(size=(40, 4)).astype("float32")
    labels = rng.integers(-1, 3, 40)
    model = _model("softmax")
    loss = losses.SparseCategoricalCrossentropy(ignore_class=-1)
    model.compile(optimizer=fastnn.optimizers.Adam(0.02), loss=loss)
    hist = model.fit(x, labels, epochs=5, batch_size=40, verbose=0).history["loss"]
    assert hist[-1] < hist[0] and model._engine.why == "ignore_class"
    p = model.predict(x, verbose=0).astype(np.float64)
    got = model.evaluate(x, labels, batch_size=40, verbose=0)
    assert got == pytest.approx(_sparse_ref(labels, p, -1, None, "sum_over_batch_size"),
                                rel=1e-5)


# --------------------------------------------------------------------- bad arguments
@pytest.mark.parametrize("make,exc,match", [
    (lambda: losses.BinaryFocalCrossentropy(alpha=1.5), ValueError,
     r"BinaryFocalCrossentropy: alpha must be a finite number in \[0, 1\], got 1.5"),
    (lambda: losses.BinaryFocalCrossentropy(alpha="a"), TypeError,
     r"BinaryFocalCrossentropy: alpha must be a real number in \[0, 1\], got str 'a'"),
    (lambda: losses.BinaryFocalCrossentropy(gamma=-1), ValueError,
     r"BinaryFocalCrossentropy: gamma must be a finite number >= 0, got -1"),
    (lambda: losses.BinaryFocalCrossentropy(label_smoothing=1.2), ValueError,
     r"BinaryFocalCrossentropy: label_smoothing must be a finite number in \[0, 1\], got 1.2"),
    (lambda: losses.BinaryFocalCrossentropy(apply_class_balancing=1), TypeError,
     r"BinaryFocalCrossentropy: apply_class_balancing must be True or False, got int 1"),
    (lambda: losses.BinaryFocalCrossentropy(from_logits="yes"), TypeError,
     r"BinaryFocalCrossentropy: from_logits must be True or False, got str 'yes'"),
    (lambda: losses.CategoricalFocalCrossentropy(gamma=float("nan")), ValueError,
     r"CategoricalFocalCrossentropy: gamma must be a finite number >= 0, got nan"),
    (lambda: losses.CategoricalFocalCrossentropy(alpha=-0.1), ValueError,
     r"CategoricalFocalCrossentropy: alpha must be a finite number >= 0, got -0.1"),
    (lambda: losses.CategoricalFocalCrossentropy(alpha=[0.2, "b"]), TypeError,
     r"CategoricalFocalCrossentropy: alpha must be a real number >= 0, got str 'b'"),
    (lambda: losses.CategoricalFocalCrossentropy(alpha=[]), ValueError,
     r"CategoricalFocalCrossentropy: alpha must be a number >= 0 or a list"),
    (lambda: losses.CategoricalFocalCrossentropy(label_smoothing=-0.1), ValueError,
     r"CategoricalFocalCrossentropy: label_smoothing must be a finite number in \[0, 1\]"),
    (lambda: losses.CategoricalFocalCrossentropy(axis=1.0), TypeError,
     r"CategoricalFocalCrossentropy: axis must be an int, got float 1.0"),
    (lambda: losses.BinaryCrossentropy(label_smoothing=2), ValueError,
     r"BinaryCrossentropy: label_smoothing must be a finite number in \[0, 1\], got 2"),
    (lambda: losses.CategoricalCrossentropy(label_smoothing="0.1"), TypeError,
     r"CategoricalCrossentropy: label_smoothing must be a real number in \[0, 1\], got str"),
    (lambda: losses.CategoricalCrossentropy(axis=1.0), TypeError,
     r"CategoricalCrossentropy: axis must be an int, got float 1.0"),
    (lambda: losses.CategoricalCrossentropy(axis=3)(np.ones((2, 3)), np.ones((2, 3))),
     ValueError, r"CategoricalCrossentropy: axis 3 is out of bounds for y_pred of shape \(2, 3\)"),
    (lambda: losses.CategoricalCrossentropy(axis=1)(np.ones((2, 3, 2)), np.ones((2, 3, 4))),
     ValueError, r"CategoricalCrossentropy: y_true and y_pred must have the same shape, got "
                 r"y_true.shape=\(2, 3, 2\), y_pred.shape=\(2, 3, 4\)"),
    (lambda: losses.BinaryCrossentropy(axis=1), ValueError,
     r"BinaryCrossentropy: axis must be -1 .*got 1"),
    (lambda: losses.SparseCategoricalCrossentropy(ignore_class=0.5), TypeError,
     r"SparseCategoricalCrossentropy: ignore_class must be an int or None, got float 0.5"),
    (lambda: losses.Tversky(alpha=-1), ValueError,
     r"Tversky: alpha must be a finite number >= 0, got -1"),
    (lambda: losses.Tversky(beta=None), TypeError,
     r"Tversky: beta must be a real number >= 0, got NoneType None"),
    (lambda: losses.Dice(axis="x"), TypeError, r"Dice: axis must be an int, got str 'x'"),
    (lambda: losses.CosineSimilarity(axis=None), TypeError,
     r"CosineSimilarity: axis must be an int, got NoneType None"),
    (lambda: losses.Hinge(reduction="avg"), ValueError,
     r"Hinge: reduction must be 'sum_over_batch_size', 'sum', 'mean', "
     r"'mean_with_sample_weight', 'none' or None, got 'avg'"),
    (lambda: losses.Poisson(name=3), TypeError, r"Poisson: name must be a str or None"),
    (lambda: losses.LogCosh()([[1.0, 2.0]], [[1.0, float("nan")]]), ValueError,
     r"LogCosh: y_pred must be finite"),
    (lambda: losses.LogCosh()([[1.0, "a"]], [[1.0, 2.0]]), TypeError,
     r"LogCosh: y_true must be an array of real numbers"),
    (lambda: losses.KLDivergence()(np.ones((2, 3)), np.ones((2, 3)), sample_weight=np.ones(3)),
     ValueError, r"KLDivergence: sample_weight must have one weight per sample, shape \(2,\)"),
    (lambda: losses.get("focal"), ValueError, r"loss: unknown loss 'focal'"),
])
def test_bad_arguments_name_the_argument(make, exc, match):
    with pytest.raises(exc, match=match):
        make()


# --------------------------------------------------------------------------- saving
SAVED = [losses.KLDivergence(name="k", reduction="sum_over_batch_size"), losses.Poisson(),
         losses.LogCosh(), losses.Hinge(), losses.SquaredHinge(), losses.CategoricalHinge(),
         losses.CosineSimilarity(axis=-1), losses.MeanAbsolutePercentageError(),
         losses.MeanSquaredLogarithmicError(),
         losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.3, gamma=1.0,
                                        label_smoothing=0.1),
         losses.CategoricalFocalCrossentropy(alpha=[0.2, 0.3, 0.5], gamma=3.0),
         losses.Dice(axis=(1,)), losses.Tversky(alpha=0.2, beta=0.8, axis=1),
         losses.CategoricalCrossentropy(label_smoothing=0.2),
         losses.SparseCategoricalCrossentropy(ignore_class=-1)]


@pytest.mark.parametrize("loss", SAVED, ids=[type(l).__name__ for l in SAVED])
def test_serialize_get_round_trip(loss):
    data = json.loads(json.dumps(losses.serialize(loss)))
    again = losses.get(data)
    assert type(again) is type(loss)
    assert json.dumps(again.get_config()) == json.dumps(loss.get_config())


@pytest.mark.parametrize("loss", SAVED[:13:3] + SAVED[-2:],
                         ids=[type(l).__name__ for l in SAVED[:13:3] + SAVED[-2:]])
def test_saved_model_keeps_its_loss(loss, tmp_path):
    from fastnn.models import load_model
    rng = np.random.default_rng(11)
    x = rng.normal(size=(16, 4)).astype("float32")
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        y = rng.integers(-1, 3, 16)
    else:
        y = np.eye(3, dtype="float32")[rng.integers(0, 3, 16)]
    model = _model("softmax")
    model.compile(optimizer="adam", loss=loss)
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    model.save(tmp_path / "m.fastnn")
    again = load_model(tmp_path / "m.fastnn")
    assert type(again.loss) is type(loss)
    assert json.dumps(again.loss.get_config()) == json.dumps(loss.get_config())
    assert again.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0),
                                                            rel=1e-6)
