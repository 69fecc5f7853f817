"""The loss kernels added to the fused engine's loss head (csrc/losses.h): KLDivergence,
Poisson, LogCosh, Hinge, SquaredHinge, CategoricalHinge, CosineSimilarity, MAPE, MSLE,
the binary and categorical focal cross-entropies (probabilities and logits), Dice and
Tversky (one value for the whole batch), and label smoothing inside the binary /
categorical cross-entropy kernels; the reductions in training.

- the codes: fastnn._codes.LOSSES is read from the extension, one name per C code;
- each kernel, float32 and float64: per-sample values against the NumPy references
  (fastnn/reference.py), the weighted total and the scaled, weighted gradient against
  the per-sample values and gradients, the gradient against central differences
  (float64) and float32 against float64;
- against Keras: values and gradients that Keras 3.15.1 computed (torch backend,
  float64 inputs, autograd) for the same inputs, stored in
  tests/fixtures/keras/losses.npz (make_loss_fixtures.py beside it writes it); Keras
  rounds a few of its float64 steps through float32 (the mean over an axis, the hinge
  labels), so the agreement is to float32's precision (values rtol 5e-7, gradients
  5e-6: most gradients agree to 1e-15);
- the engine: a small Dense model compiled with each loss trains on the engine
  (``model._engine.why`` None) bitwise like the layer path
  (``monkeypatch.setattr(fastnn.engine, "ENABLED", False)``), weights, history and
  evaluate(), float32 and float64, with sample weights; options a kernel does not take
  refuse the engine and still train on the layer path.

Tolerances: the references compute the same formulas in NumPy: float64 agrees to
rounding (rtol 1e-10), float32 to a few ulps (rtol 2e-5, atol 2e-6 scaled by the loss's
magnitude). Central differences (h = 1e-6, float64) of values of order 1: rtol 1e-5,
atol 1e-7. Inputs stay away from the kinks (hinge margins, clips at epsilon).
"""
import os

import numpy as np
import pytest

import fastnn
from fastnn import _kernels, engine, losses, reference as R
from fastnn._codes import LOSSES
from fastnn.layers import Dense, Input

from cases import away_from, central_diff, simplex

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "keras",
                       "losses.npz")


# ------------------------------------------------------------------------------ data
def _data(kind, rng, shape=(7, 4)):
    if kind == "prob":
        return simplex(rng, shape), simplex(rng, shape)
    if kind == "count":
        return rng.poisson(1.5, shape).astype(float), rng.uniform(0.3, 3.0, shape)
    if kind == "real":
        return rng.normal(size=shape), rng.normal(size=shape)
    if kind == "pct":
        y = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
        return y, y + away_from(rng.normal(size=shape), 0.0)
    if kind == "positive":
        return rng.uniform(0.0, 3.0, shape), rng.uniform(0.1, 3.0, shape)
    if kind in ("sign", "binsign"):     # hinge labels -1 / 1 or 0 / 1, margins away from 1
        y = rng.choice([-1.0, 1.0], shape)
        p = away_from(y * rng.normal(scale=1.5, size=shape), 1.0) * y
        return ((y + 1) / 2 if kind == "binsign" else y), p
    if kind == "onehot":                # categorical hinge: margins away from 0
        y = np.eye(shape[-1])[rng.integers(0, shape[-1], shape[0])]
        p = rng.permutation(np.prod(shape)).reshape(shape) * 0.37 / np.prod(shape) * 5
        pos, neg = np.sum(y * p, -1), np.max((1 - y) * p, -1)
        return y, p + y * np.where(np.abs(neg - pos + 1) < 0.05, 0.2, 0)[:, None]
    if kind == "binary":
        return rng.integers(0, 2, shape).astype(float), rng.uniform(0.05, 0.95, shape)
    if kind == "soft":
        return rng.uniform(size=shape).round(1), rng.uniform(0.05, 0.95, shape)
    if kind == "logits":
        return rng.integers(0, 2, shape).astype(float), rng.normal(scale=2.0, size=shape)
    if kind == "cat":
        y = np.eye(shape[-1])[rng.integers(0, shape[-1], shape[0])]
        return y, rng.uniform(0.05, 1.0, shape)
    if kind == "catlogits":
        y = np.eye(shape[-1])[rng.integers(0, shape[-1], shape[0])]
        return y, rng.normal(scale=2.0, size=shape)
    raise AssertionError(kind)


def _bce_smoothed(ls, from_logits):
    return lambda t, p: R.binary_crossentropy(t * (1 - ls) + 0.5 * ls, p, from_logits)


def _cce_smoothed(ls, from_logits):
    return lambda t, p: R.categorical_crossentropy(t * (1 - ls) + ls / t.shape[-1], p,
                                                   from_logits)


# (id, kernel name, parameters (csrc/losses.h fnn_loss_params), reference, data kind)
KERNELS = [
    ("kld", "kl_divergence", (), R.kl_divergence, "prob"),
    ("poisson", "poisson", (), R.poisson, "count"),
    ("log_cosh", "log_cosh", (), R.log_cosh, "real"),
    ("hinge", "hinge", (), R.hinge, "sign"),
    ("hinge_01_labels", "hinge", (), R.hinge, "binsign"),
    ("squared_hinge", "squared_hinge", (), R.squared_hinge, "sign"),
    ("squared_hinge_01_labels", "squared_hinge", (), R.squared_hinge, "binsign"),
    ("categorical_hinge", "categorical_hinge", (), R.categorical_hinge, "onehot"),
    ("cosine", "cosine_similarity", (), R.cosine_similarity, "real"),
    ("mape", "mean_absolute_percentage_error", (), R.mean_absolute_percentage_error, "pct"),
    ("msle", "mean_squared_logarithmic_error", (), R.mean_squared_logarithmic_error,
     "positive"),
    ("bfce", "binary_focal_crossentropy", (0.25, 2.0, 0.0, 0.0),
     R.binary_focal_crossentropy, "binary"),
    ("bfce_balanced_smoothed", "binary_focal_crossentropy", (0.4, 1.5, 0.2, 1.0),
     lambda t, p: R.binary_focal_crossentropy(t, p, True, 0.4, 1.5, False, 0.2), "binary"),
    ("bfce_gamma0", "binary_focal_crossentropy", (0.25, 0.0, 0.0, 0.0),
     lambda t, p: R.binary_focal_crossentropy(t, p, gamma=0.0), "binary"),
    ("bfce_logits", "binary_focal_crossentropy_logits", (0.25, 3.0, 0.0, 0.0),
     lambda t, p: R.binary_focal_crossentropy(t, p, gamma=3.0, from_logits=True), "logits"),
    ("bfce_logits_balanced_smoothed", "binary_focal_crossentropy_logits", (0.7, 2.0, 0.1, 1.0),
     lambda t, p: R.binary_focal_crossentropy(t, p, True, 0.7, 2.0, True, 0.1), "logits"),
    ("cfce", "categorical_focal_crossentropy", (0.25, 2.0, 0.0, 0.0),
     R.categorical_focal_crossentropy, "cat"),
    ("cfce_smoothed", "categorical_focal_crossentropy", (0.5, 1.5, 0.2, 0.0),
     lambda t, p: R.categorical_focal_crossentropy(t, p, 0.5, 1.5, False, 0.2), "cat"),
    ("cfce_logits", "categorical_focal_crossentropy_logits", (0.3, 1.0, 0.1, 0.0),
     lambda t, p: R.categorical_focal_crossentropy(t, p, 0.3, 1.0, True, 0.1), "catlogits"),
    ("cfce_alpha_per_class", "categorical_focal_crossentropy",
     (0.0, 2.0, 0.0, 0.0, [0.1, 0.2, 0.3, 0.4]),
     lambda t, p: R.categorical_focal_crossentropy(t, p, [0.1, 0.2, 0.3, 0.4]), "cat"),
    ("cfce_logits_alpha_per_class", "categorical_focal_crossentropy_logits",
     (0.0, 1.0, 0.1, 0.0, [0.4, 0.3, 0.2, 0.1]),
     lambda t, p: R.categorical_focal_crossentropy(t, p, [0.4, 0.3, 0.2, 0.1], 1.0, True, 0.1),
     "catlogits"),
    ("bce_smoothed", "binary_crossentropy", (0.0, 0.0, 0.3, 0.0), _bce_smoothed(0.3, False),
     "soft"),
    ("bce_logits_smoothed", "binary_crossentropy_logits", (0.0, 0.0, 0.3, 0.0),
     _bce_smoothed(0.3, True), "logits"),
    ("cce_smoothed", "categorical_crossentropy", (0.0, 0.0, 0.2, 0.0),
     _cce_smoothed(0.2, False), "cat"),
    ("cce_logits_smoothed", "categorical_crossentropy_logits", (0.0, 0.0, 0.2, 0.0),
     _cce_smoothed(0.2, True), "catlogits"),
    # one value for the whole call (every row's value)
    ("dice", "dice", (), R.dice, "binary"),
    ("dice_soft", "dice", (), R.dice, "soft"),
    ("tversky", "tversky", (0.3, 0.7, 0.0, 0.0), lambda t, p: R.tversky(t, p, 0.3, 0.7),
     "binary"),
    ("tversky_default", "tversky", (0.5, 0.5, 0.0, 0.0), R.tversky, "soft"),
]
WHOLE = ("dice", "tversky")
KIDS = [c[0] for c in KERNELS]


def _run(name, params, yt, yp, sw=None, scale=1.0):
    """(total, gradient, per-sample values) of the kernel `name` on yt, yp (their dtype);
    params may end with the alpha of each class (a list) after the 4 numbers."""
    yt, yp = np.ascontiguousarray(yt), np.ascontiguousarray(yp)
    grad, per = np.empty_like(yp), np.empty(yp.shape[0], yp.dtype)
    params, ca = tuple(params), None
    if params and isinstance(params[-1], list):
        params, ca = params[:-1], params[-1]
    total = _kernels.loss(LOSSES[name], 0.0, yt, yp, sw, scale, grad, per, params=params,
                          class_alpha=ca)
    return total, grad, per


def _tol(dtype, scale=1.0):
    return dict(rtol=2e-5, atol=2e-6 * scale) if np.dtype(dtype) == np.float32 else \
        dict(rtol=1e-10, atol=1e-12 * scale)


# ------------------------------------------------------------------------------ codes
def test_each_c_code_has_exactly_one_name():
    codes = list(LOSSES.values())
    assert len(codes) == len(set(codes)) == _kernels.LOSS_COUNT
    assert set(codes) == set(range(_kernels.LOSS_COUNT))
    assert LOSSES == _kernels.LOSS_CODES
    for name in ("kl_divergence", "binary_focal_crossentropy_logits", "huber"):
        assert name in LOSSES


def test_a_focal_alpha_per_class_must_match_the_classes():
    y, p = np.eye(3)[[0, 2]], np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"CategoricalFocalCrossentropy: alpha must hold one "
                                         r"weight per class \(3 for predictions of 3 "
                                         r"classes\), got 2"):
        losses.CategoricalFocalCrossentropy(alpha=[0.5, 0.5])(y, p)
    with pytest.raises(ValueError, match=r"class_alpha must hold one number per class \(3\), "
                                         r"got 2"):
        _kernels.loss(LOSSES["categorical_focal_crossentropy"], 0.0, y, p, None, 1.0, None,
                      None, class_alpha=[0.5, 0.5])


def test_a_bad_code_or_too_many_parameters_are_refused():
    y = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"loss code must be in \[0, "):
        _kernels.loss(_kernels.LOSS_COUNT, 0.0, y, y, None, 1.0, None, None)
    with pytest.raises(ValueError, match="params must hold at most 4 numbers, got 5"):
        _kernels.loss(0 + LOSSES["poisson"], 0.0, y, y, None, 1.0, None, None,
                      params=(0, 0, 0, 0, 0))


# ---------------------------------------------------------------------------- kernels
@pytest.mark.parametrize("case", KERNELS, ids=KIDS)
def test_kernel_matches_numpy_reference(case, dtype, threads):
    _, name, params, ref, kind = case
    rng = np.random.default_rng(11)
    yt64, yp64 = _data(kind, rng)
    yt, yp = yt64.astype(dtype), yp64.astype(dtype)
    total, grad, per = _run(name, params, yt, yp)
    want = ref(yt.astype(np.float64), yp.astype(np.float64))
    scale = float(np.max(np.abs(want)))
    np.testing.assert_allclose(per, want, **_tol(dtype, scale))
    assert total == pytest.approx(float(np.sum(per.astype(np.float64))), rel=1e-6)
    # sample weights and the gradient's scale: w_i * scale * the unweighted gradient
    sw = rng.uniform(0.1, 2.0, yp.shape[0]).astype(dtype)
    total_w, grad_w, per_w = _run(name, params, yt, yp, sw=sw, scale=0.25)
    np.testing.assert_array_equal(per_w, per)
    assert total_w == pytest.approx(float(np.sum(sw.astype(np.float64) * per)), rel=1e-6)
    if name in WHOLE:
        # one value L for the call: the gradient is scale * sum(w) * dL/dp, and the
        # unweighted one n * dL/dp
        want_w = grad.astype(np.float64) * (0.25 * np.sum(sw, dtype=np.float64) / len(sw))
    else:
        want_w = grad * (sw[:, None] * dtype.type(0.25))
    np.testing.assert_allclose(grad_w, want_w, rtol=1e-6 if dtype == np.float32 else 1e-14,
                               atol=0)


@pytest.mark.parametrize("case", KERNELS, ids=KIDS)
def test_kernel_gradient_matches_finite_differences(case):
    _, name, params, _, kind = case
    yt, yp = _data(kind, np.random.default_rng(12))
    _, grad, _ = _run(name, params, yt, yp)
    fd = central_diff(lambda q: float(np.sum(_run(name, params, yt, q)[2])), yp)
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("case", KERNELS, ids=KIDS)
def test_float32_gradient_matches_float64(case):
    _, name, params, _, kind = case
    yt, yp = _data(kind, np.random.default_rng(13))
    g32 = _run(name, params, yt.astype(np.float32), yp.astype(np.float32))[1]
    g64 = _run(name, params, yt, yp)[1]
    np.testing.assert_allclose(g32, g64, rtol=1e-3, atol=1e-4 * max(1.0, np.abs(g64).max()))


@pytest.mark.parametrize("case", KERNELS, ids=KIDS)
def test_gradient_may_overwrite_the_predictions(case, dtype):
    _, name, params, _, kind = case
    yt, yp = (a.astype(dtype) for a in _data(kind, np.random.default_rng(14)))
    total, grad, per = _run(name, params, yt, yp)
    buf = yp.copy()
    per2 = np.empty_like(per)
    ca = params[-1] if params and isinstance(params[-1], list) else None
    total2 = _kernels.loss(LOSSES[name], 0.0, yt, buf, None, 1.0, buf, per2,
                           params=params[:4], class_alpha=ca)
    assert total2 == total
    np.testing.assert_array_equal(per2, per)
    np.testing.assert_array_equal(buf, grad)


@pytest.mark.parametrize("case", KERNELS, ids=KIDS)
def test_threads_change_no_bit(case, set_threads):
    """Rows in blocks of a fixed size, summed in a fixed order: 1 thread and 2 give the
    same bits (500 rows: several blocks)."""
    _, name, params, _, kind = case
    rng = np.random.default_rng(16)
    out = []
    for dt in (np.float32, np.float64):
        yt, yp = (a.astype(dt) for a in _data(kind, rng, (500, 4)))
        sw = rng.uniform(0.1, 2.0, 500).astype(dt)
        for n_threads in (1, 2):
            set_threads(n_threads)
            out.append(_run(name, params, yt, yp, sw=sw, scale=1 / 500))
        (t1, g1, p1), (t2, g2, p2) = out[-2:]
        assert t1 == t2
        np.testing.assert_array_equal(g1, g2)
        np.testing.assert_array_equal(p1, p2)


def test_hinge_labels_are_converted_only_when_all_are_0_or_1():
    """Keras' convert_binary_labels_to_hinge looks at all the labels of the call: one
    label outside {0, 1} keeps every label as it is."""
    y = np.array([[0.0, 1.0], [1.0, 1.0]])
    p = np.array([[0.3, -0.4], [0.8, 2.0]])
    for name, ref in (("hinge", R.hinge), ("squared_hinge", R.squared_hinge)):
        np.testing.assert_allclose(_run(name, (), y, p)[2], ref(y, p), rtol=1e-14)
        y2 = np.vstack([y, [[-1.0, 1.0]]])
        p2 = np.vstack([p, [[0.1, 0.1]]])
        got = _run(name, (), y2, p2)[2]
        np.testing.assert_allclose(got, ref(y2, p2), rtol=1e-14)
        assert got[0] != _run(name, (), y, p)[2][0]   # row 0 read as labels 0 / 1 now


def test_label_smoothing_zero_is_the_unsmoothed_kernel_bitwise():
    rng = np.random.default_rng(15)
    for name, kind in (("binary_crossentropy", "soft"), ("binary_crossentropy_logits", "logits"),
                       ("categorical_crossentropy", "cat"),
                       ("categorical_crossentropy_logits", "catlogits")):
        for dt in (np.float32, np.float64):
            yt, yp = (a.astype(dt) for a in _data(kind, rng, (70, 5)))
            a = _run(name, (0.0, 0.0, 0.0, 0.0), yt, yp)
            b = _kernels.loss(LOSSES[name], 1.0, yt, yp, None, 1.0, np.empty_like(yp),
                              np.empty(70, dt))
            assert a[0] == b


# ------------------------------------------------------------------------------ Keras
def _keras_cases():
    if not os.path.exists(FIXTURE):
        return []
    with np.load(FIXTURE) as f:
        names = sorted({k.rsplit(".", 1)[0] for k in f.files})
    return names


# fixture case -> (kernel name, parameters)
KERAS_KERNELS = {
    "kl_divergence": ("kl_divergence", ()),
    "poisson": ("poisson", ()),
    "log_cosh": ("log_cosh", ()),
    "hinge_binary": ("hinge", ()),
    "hinge_sign": ("hinge", ()),
    "squared_hinge": ("squared_hinge", ()),
    "categorical_hinge": ("categorical_hinge", ()),
    "cosine_similarity": ("cosine_similarity", ()),
    "mean_absolute_percentage_error": ("mean_absolute_percentage_error", ()),
    "mean_squared_logarithmic_error": ("mean_squared_logarithmic_error", ()),
    "binary_focal_crossentropy": ("binary_focal_crossentropy", (0.25, 2.0, 0.0, 0.0)),
    "binary_focal_crossentropy_balanced_smoothed": ("binary_focal_crossentropy",
                                                    (0.4, 1.5, 0.2, 1.0)),
    "binary_focal_crossentropy_logits": ("binary_focal_crossentropy_logits",
                                         (0.25, 3.0, 0.0, 0.0)),
    "categorical_focal_crossentropy": ("categorical_focal_crossentropy", (0.25, 2.0, 0.0, 0.0)),
    "categorical_focal_crossentropy_alpha_per_class": (
        "categorical_focal_crossentropy", (0.0, 1.5, 0.0, 0.0, [0.1, 0.2, 0.3, 0.4])),
    "categorical_focal_crossentropy_logits_smoothed": ("categorical_focal_crossentropy_logits",
                                                       (0.3, 1.0, 0.1, 0.0)),
    "binary_crossentropy_smoothed": ("binary_crossentropy", (0.0, 0.0, 0.3, 0.0)),
    "binary_crossentropy_logits_smoothed": ("binary_crossentropy_logits", (0.0, 0.0, 0.3, 0.0)),
    "categorical_crossentropy_smoothed": ("categorical_crossentropy", (0.0, 0.0, 0.2, 0.0)),
    "categorical_crossentropy_logits_smoothed": ("categorical_crossentropy_logits",
                                                 (0.0, 0.0, 0.2, 0.0)),
    "dice": ("dice", ()),
    "tversky": ("tversky", (0.3, 0.7, 0.0, 0.0)),
}


def test_the_keras_fixture_holds_every_case():
    assert sorted(KERAS_KERNELS) == _keras_cases()


@pytest.mark.parametrize("case", sorted(KERAS_KERNELS))
def test_kernel_matches_keras(case, dtype):
    name, params = KERAS_KERNELS[case]
    with np.load(FIXTURE) as f:
        yt, yp, per, grad = (f[f"{case}.{k}"] for k in ("y_true", "y_pred", "per", "grad"))
    _, g, p = _run(name, params, yt.astype(dtype), yp.astype(dtype))
    if name in WHOLE:      # Keras: the one value and its gradient; here every row's
        g = g / len(p)
    if dtype == np.float64:
        # Keras 3.15.1 on torch rounds some float64 steps through float32 (its mean over
        # an axis, the hinge labels, normalize): agreement to float32's precision there
        np.testing.assert_allclose(p, per, rtol=5e-7, atol=1e-9)
        np.testing.assert_allclose(g, grad, rtol=5e-6, atol=1e-9)
    else:
        np.testing.assert_allclose(p, per, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(g, grad, rtol=1e-4, atol=1e-5)


# ----------------------------------------------------------------- engine vs layer path
def _targets(kind, rng, n, k=3):
    if kind == "prob":
        return simplex(rng, (n, k))
    if kind == "count":
        return rng.poisson(2.0, (n, k)).astype(float)
    if kind == "real":
        return rng.normal(size=(n, k))
    if kind == "pct":
        return rng.uniform(1.0, 3.0, (n, k))
    if kind == "positive":
        return rng.uniform(0.0, 3.0, (n, k))
    if kind == "binary":
        return rng.integers(0, 2, (n, k)).astype(float)
    if kind == "soft":
        return rng.uniform(size=(n, k)).round(1)
    if kind == "onehot":
        return np.eye(k)[rng.integers(0, k, n)]
    raise AssertionError(kind)


# (id, loss maker, output activation, targets)
TRAIN = [
    ("kld", lambda: losses.KLDivergence(), "softmax", "prob"),
    ("poisson", lambda: losses.Poisson(), "softplus", "count"),
    ("log_cosh", lambda: losses.LogCosh(), "linear", "real"),
    ("hinge", lambda: losses.Hinge(), "tanh", "binary"),
    ("squared_hinge", lambda: losses.SquaredHinge(), "linear", "binary"),
    ("categorical_hinge", lambda: losses.CategoricalHinge(), "linear", "onehot"),
    ("cosine", lambda: losses.CosineSimilarity(), "linear", "real"),
    ("mape", lambda: losses.MeanAbsolutePercentageError(), "linear", "pct"),
    ("msle", lambda: losses.MeanSquaredLogarithmicError(), "relu", "positive"),
    ("bfce", lambda: losses.BinaryFocalCrossentropy(), "sigmoid", "binary"),
    ("bfce_balanced_smoothed", lambda: losses.BinaryFocalCrossentropy(
        apply_class_balancing=True, alpha=0.4, gamma=1.5, label_smoothing=0.2), "sigmoid",
     "binary"),
    ("bfce_logits", lambda: losses.BinaryFocalCrossentropy(from_logits=True, gamma=3.0),
     "linear", "binary"),
    ("cfce", lambda: losses.CategoricalFocalCrossentropy(), "softmax", "onehot"),
    ("cfce_logits_smoothed", lambda: losses.CategoricalFocalCrossentropy(
        alpha=0.5, gamma=1.0, from_logits=True, label_smoothing=0.1), "linear", "onehot"),
    ("cfce_alpha_per_class", lambda: losses.CategoricalFocalCrossentropy(
        alpha=[0.2, 0.3, 0.5], gamma=1.5), "softmax", "onehot"),
    ("bce_smoothed", lambda: losses.BinaryCrossentropy(label_smoothing=0.2), "sigmoid", "soft"),
    ("bce_logits_smoothed", lambda: losses.BinaryCrossentropy(from_logits=True,
                                                              label_smoothing=0.2),
     "linear", "soft"),
    # probabilities not from a sigmoid / softmax: the kernels on probabilities
    ("bce_probs_smoothed", lambda: losses.BinaryCrossentropy(label_smoothing=0.1),
     "hard_sigmoid", "soft"),
    ("cce_probs_smoothed", lambda: losses.CategoricalCrossentropy(label_smoothing=0.1),
     "sigmoid", "onehot"),
    ("cce_smoothed", lambda: losses.CategoricalCrossentropy(label_smoothing=0.3), "softmax",
     "onehot"),
    ("cce_logits_smoothed", lambda: losses.CategoricalCrossentropy(from_logits=True,
                                                                   label_smoothing=0.3),
     "linear", "onehot"),    ("dice", lambda: losses.Dice(), "sigmoid", "binary"),
    ("tversky", lambda: losses.Tversky(alpha=0.3, beta=0.7), "softmax", "onehot"),
]
TIDS = [c[0] for c in TRAIN]


def _fit(make, act, kind, dtype, fused, monkeypatch, metrics=()):
    monkeypatch.setattr(engine, "ENABLED", fused)
    rng = np.random.default_rng(21)
    # 64 rows in batches of 16: the layer path logs each batch's loss * 16 (exact),
    # where a ragged last batch of n rows could round (l / n) * n off l by an ulp
    n = 64
    x = rng.normal(size=(n, 5)).astype(dtype)
    y = _targets(kind, rng, n).astype(dtype)
    sw = rng.uniform(0.2, 2.0, n).astype(dtype)
    fastnn.utils.set_random_seed(4)
    model = fastnn.Sequential([Input((5,)), Dense(8, activation="tanh", dtype=dtype),
                               Dense(3, activation=act, dtype=dtype)])
    model.compile(optimizer=fastnn.optimizers.Adam(0.01), loss=make(), metrics=list(metrics))
    hist = model.fit(x, y, sample_weight=sw, epochs=3, batch_size=16, shuffle=False,
                     verbose=0).history
    ev = model.evaluate(x, y, sample_weight=sw, batch_size=32, verbose=0)
    return model, hist, ev


@pytest.mark.parametrize("case", TRAIN, ids=TIDS)
def test_engine_trains_bitwise_like_the_layer_path(case, dtype, monkeypatch):
    _, make, act, kind = case
    a, ha, ea = _fit(make, act, kind, dtype, True, monkeypatch)
    assert a._engine.why is None and a._engine.plan is not None
    b, hb, eb = _fit(make, act, kind, dtype, False, monkeypatch)
    assert b._engine.plan is None
    assert ha == hb
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)
    assert ea == eb
    assert np.all(np.isfinite(ha["loss"]))


def test_engine_metrics_follow_a_new_loss(monkeypatch):
    make = lambda: losses.CategoricalFocalCrossentropy()   # noqa: E731
    a, ha, _ = _fit(make, "softmax", "onehot", "float32", True, monkeypatch,
                    metrics=["categorical_accuracy", "mse"])
    assert a._engine.why is None
    b, hb, _ = _fit(make, "softmax", "onehot", "float32", False, monkeypatch,
                    metrics=["categorical_accuracy", "mse"])
    assert ha["categorical_accuracy"] == hb["categorical_accuracy"]
    np.testing.assert_allclose(ha["mse"], hb["mse"], rtol=1e-6)
    assert ha["loss"] == hb["loss"]


@pytest.mark.parametrize("make, why", [
    (lambda: losses.CosineSimilarity(axis=0), "options its C kernel does not take"),
    (lambda: losses.CategoricalFocalCrossentropy(axis=0),
     "options its C kernel does not take"),
    (lambda: losses.Dice(axis=1), "options its C kernel does not take"),
    (lambda: losses.Tversky(axis=-1), "options its C kernel does not take"),
])
def test_options_the_kernels_do_not_take_train_on_the_layer_path(make, why, monkeypatch):
    rng = np.random.default_rng(22)
    x = rng.normal(size=(48, 5)).astype("float32")
    y = np.eye(3, dtype="float32")[rng.integers(0, 3, 48)]
    fastnn.utils.set_random_seed(5)
    model = fastnn.Sequential([Input((5,)), Dense(8, activation="tanh"),
                               Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss=make())
    hist = model.fit(x, y, epochs=2, batch_size=48, shuffle=False, verbose=0).history["loss"]
    assert why in model._engine.why
    assert np.all(np.isfinite(hist))


def test_focal_from_logits_after_a_nonlinear_output_refuses_the_engine():
    rng = np.random.default_rng(23)
    x = rng.normal(size=(32, 5)).astype("float32")
    y = rng.integers(0, 2, (32, 3)).astype("float32")
    model = fastnn.Sequential([Input((5,)), Dense(3, activation="sigmoid")])
    model.compile(optimizer="sgd", loss=losses.BinaryFocalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert model._engine.why == "from_logits loss after a non-linear output"


def test_a_subclass_with_its_own_call_is_differentiated_on_the_tape():
    class Doubled(losses.LogCosh):
        def call(self, y_true, y_pred):
            return 2.0 * super().call(y_true, y_pred)

    rng = np.random.default_rng(24)
    y, p = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    assert Doubled()._op is None and losses.LogCosh()._op == "log_cosh"
    assert float(Doubled()(y, p)) == pytest.approx(2 * float(losses.LogCosh()(y, p)),
                                                   rel=1e-12)


# ------------------------------------------------------------------------ reductions
def _reduction_model(loss, lr=0.0, seed=6):
    fastnn.utils.set_random_seed(seed)
    model = fastnn.Sequential([Input((5,)), Dense(3, activation="softmax")])
    model.compile(optimizer=fastnn.optimizers.SGD(lr), loss=loss)
    return model


@pytest.mark.parametrize("reduction", ["sum", "mean_with_sample_weight"])
@pytest.mark.parametrize("make, ref", [
    (losses.KLDivergence, R.kl_divergence),
    (losses.MeanSquaredError, lambda t, p: np.mean((t - p) ** 2, axis=-1)),
    # one alpha per class
    (lambda reduction: losses.CategoricalFocalCrossentropy(alpha=[0.2, 0.3, 0.5],
                                                           reduction=reduction),
     lambda t, p: R.categorical_focal_crossentropy(t, p, [0.2, 0.3, 0.5])),
])
def test_other_reductions_train_on_the_layer_path_as_keras(make, ref, reduction):
    """Keras trains on the loss as its reduction gives it: the batch sum for "sum", the
    weighted sum over the sum of the weights for "mean_with_sample_weight"; the logged
    loss is the batches' losses averaged by batch size. The engine refuses them."""
    rng = np.random.default_rng(25)
    x = rng.normal(size=(40, 5)).astype("float64")
    y = simplex(rng, (40, 3))
    sw = rng.uniform(0.2, 2.0, 40)
    model = _reduction_model(make(reduction=reduction))
    x32 = x.astype("float32")
    hist = model.fit(x32, y.astype("float32"), sample_weight=sw.astype("float32"),
                     batch_size=16, epochs=1, shuffle=False, verbose=0).history["loss"]
    assert model._engine.why == f"loss reduction {reduction!r}"
    p = model.predict(x32, verbose=0).astype(np.float64)
    y32, sw32 = y.astype("float32").astype(np.float64), sw.astype("float32").astype(np.float64)
    want, n = 0.0, 0
    for b in range(0, 40, 16):
        t, q, w = y32[b:b + 16], p[b:b + 16], sw32[b:b + 16]
        total = np.sum(w * ref(t, q))
        value = total if reduction == "sum" else total / w.sum()
        want += value * len(t)
        n += len(t)
    assert hist[0] == pytest.approx(want / n, rel=1e-5)


def test_a_summed_loss_steps_like_the_mean_with_the_rate_times_the_batch():
    rng = np.random.default_rng(26)
    x = rng.normal(size=(32, 5)).astype("float64")
    y = simplex(rng, (32, 3))
    a = _reduction_model(losses.KLDivergence(reduction="sum"), lr=0.01)
    b = _reduction_model(losses.KLDivergence(), lr=0.01 * 32)
    for m in (a, b):
        m.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
    assert a._engine.why == "loss reduction 'sum'" and b._engine.why is None
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(u, v, rtol=1e-5, atol=1e-7)


def test_mean_is_the_batch_mean_on_the_engine(monkeypatch):
    make_mean = lambda: losses.Poisson(reduction="mean")   # noqa: E731
    a, ha, ea = _fit(make_mean, "softplus", "count", "float32", True, monkeypatch)
    assert a._engine.why is None
    b, hb, eb = _fit(losses.Poisson, "softplus", "count", "float32", True, monkeypatch)
    assert ha == hb and ea == eb


def test_reduction_none_cannot_train():
    model = fastnn.Sequential([Input((5,)), Dense(3)])
    with pytest.raises(ValueError, match=r"compile: a loss with reduction='none' gives one "
                                         r"value per sample, and training needs one number"):
        model.compile(optimizer="sgd", loss=losses.LogCosh(reduction="none"))


def test_shapes_the_kernels_do_not_take_are_computed_on_the_tape_as_keras():
    """One vector is one sample (a loss over a row gives one value for it), and targets
    that broadcast against the predictions broadcast, as in Keras."""
    y, p = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 1.0])
    assert float(losses.CosineSimilarity()(y, p)) == pytest.approx(
        float(R.cosine_similarity(y, p)), rel=1e-12)
    t, q = simplex(np.random.default_rng(27), (2, 3)), np.array([[0.2, 0.3, 0.5]])
    assert float(losses.KLDivergence()(t, q)) == pytest.approx(
        float(np.mean(R.kl_divergence(t, np.broadcast_to(q, t.shape)))), rel=1e-12)
    # the kernel's own reading of one vector (training on a 1-D output): one sample
    value, grad = losses.KLDivergence().loss_and_grad(t[0], q[0])
    assert value == pytest.approx(float(R.kl_divergence(t[0], q[0])), rel=1e-12)
    assert grad.shape == (3,)
