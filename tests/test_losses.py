"""Loss kernels: value and gradient against the reference, finite differences, Keras
values, extreme inputs, determinism across threads, validation."""
import numpy as np
import pytest

from fastnn import _kernels, kernel_ops as ops
from fastnn import reference as R
from fastnn._codes import LOSSES

from cases import central_diff, tol

# (ops/reference name, from_logits)
CASES = [("sparse_categorical_crossentropy", True), ("sparse_categorical_crossentropy", False),
         ("categorical_crossentropy", True), ("categorical_crossentropy", False),
         ("binary_crossentropy", True), ("binary_crossentropy", False),
         ("mean_squared_error", False), ("mean_absolute_error", False), ("huber", False)]
IDS = [f"{n}{'-logits' if fl else ''}" for n, fl in CASES]
LOSS_SHAPES = [(1, 1), (1, 4), (7, 5), (67, 3), (3, 40)]


def _data(name, from_logits, shape, dtype, seed=0):
    """(y_true, y_pred) for a loss; probabilities stay away from the 1e-7 clip and
    regression errors away from the kinks of |e| and Huber."""
    rng = np.random.default_rng(seed)
    n, k = shape
    z = rng.normal(scale=1.5, size=shape)
    if name == "sparse_categorical_crossentropy":
        yt = rng.integers(0, k, size=n)
        yp = z if from_logits else R.softmax(z)
        return yt, yp.astype(dtype)
    if name == "categorical_crossentropy":
        yt = np.eye(k)[rng.integers(0, k, size=n)]
        # unnormalised positive probabilities: exercises the renormalisation
        yp = z if from_logits else rng.uniform(0.05, 1.0, size=shape)
        return yt.astype(dtype), yp.astype(dtype)
    if name == "categorical_focal_crossentropy":
        return _data("categorical_crossentropy", from_logits, shape, dtype, seed)
    if name == "binary_focal_crossentropy":
        return _data("binary_crossentropy", from_logits, shape, dtype, seed)
    if name == "kl_divergence":          # two distributions
        a, b = rng.uniform(0.1, 1.0, size=shape), rng.uniform(0.1, 1.0, size=shape)
        return ((a / a.sum(-1, keepdims=True)).astype(dtype),
                (b / b.sum(-1, keepdims=True)).astype(dtype))
    if name in ("poisson", "mean_squared_logarithmic_error"):    # positive predictions
        return (rng.poisson(1.5, size=shape).astype(dtype),
                rng.uniform(0.3, 3.0, size=shape).astype(dtype))
    if name == "binary_crossentropy":
        yt = rng.uniform(size=shape).round(1)
        yp = z if from_logits else rng.uniform(0.02, 0.98, size=shape)
        return yt.astype(dtype), yp.astype(dtype)
    yt = rng.normal(size=shape)
    e = rng.normal(scale=2.0, size=shape)
    e = np.where(np.abs(e) < 0.05, 0.1, e)
    e = np.where(np.abs(np.abs(e) - 1.0) < 0.05, 1.2 * np.sign(e), e)  # Huber's delta
    return yt.astype(dtype), (yt + e).astype(dtype)


@pytest.mark.parametrize("shape", LOSS_SHAPES)
@pytest.mark.parametrize("case", CASES, ids=IDS)
@pytest.mark.parametrize("weighted", [False, True], ids=["", "sw"])
def test_value_and_grad_match_reference(case, shape, weighted, dtype, threads):
    name, fl = case
    yt, yp = _data(name, fl, shape, dtype)
    sw = np.random.default_rng(9).uniform(0.1, 2.0, size=shape[0]).astype(dtype) \
        if weighted else None
    loss, grad = ops.loss_and_grad(name, yt, yp, from_logits=fl, sample_weight=sw)
    ref_loss, ref_grad = R.loss_and_grad(name, yt, yp, from_logits=fl, sample_weight=sw)
    assert isinstance(loss, float)
    assert grad.dtype == dtype and grad.shape == yp.shape
    np.testing.assert_allclose(loss, ref_loss, **tol(dtype))
    np.testing.assert_allclose(grad, ref_grad, **tol(dtype))
    per = getattr(ops, name)(yt, yp, from_logits=fl) if name.endswith("crossentropy") \
        else getattr(ops, name)(yt, yp)
    ref_per = getattr(R, name)(yt, yp, from_logits=fl) if name.endswith("crossentropy") \
        else getattr(R, name)(yt, yp)
    assert per.shape == (shape[0],) and per.dtype == dtype
    np.testing.assert_allclose(per, ref_per, **tol(dtype))


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradients_match_finite_differences(case):
    name, fl = case
    yt, yp = _data(name, fl, (4, 3), np.float64, seed=1)
    sw = np.array([0.5, 1.0, 2.0, 0.0])
    for mod in (ops, R):
        _, grad = mod.loss_and_grad(name, yt, yp, from_logits=fl, sample_weight=sw)
        fd = central_diff(lambda p: mod.loss_and_grad(name, yt, p, from_logits=fl,
                                             sample_weight=sw)[0], yp)
        np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


def test_documented_keras_values():
    yt = [[0.0, 1.0], [0.0, 0.0]]
    yp = [[0.6, 0.4], [0.4, 0.6]]
    np.testing.assert_allclose(ops.binary_crossentropy(yt, yp), [0.9162907, 0.7135582],
                               rtol=1e-6)
    np.testing.assert_allclose(ops.huber(yt, yp).mean(), 0.155, rtol=1e-6)
    np.testing.assert_allclose(ops.mse(yt, yp), [0.36, 0.26], rtol=1e-6)
    np.testing.assert_allclose(ops.mae(yt, yp), [0.6, 0.5], rtol=1e-6)
    probs = [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]
    np.testing.assert_allclose(
        ops.categorical_crossentropy([[0, 1, 0], [0, 0, 1]], probs),
        [0.0512933, 2.3025851], rtol=1e-6)
    np.testing.assert_allclose(ops.sparse_categorical_crossentropy([1, 2], probs),
                               [0.0512933, 2.3025851], rtol=1e-6)
    np.testing.assert_allclose(ops.sparse_categorical_crossentropy([[1], [2]], probs),
                               [0.0512933, 2.3025851], rtol=1e-6)


def test_probability_losses_clip_and_pass_no_gradient_where_clipped(dtype):
    yp = np.array([[0.0, 1.0]], dtype=dtype)
    loss, grad = ops.loss_and_grad("binary_crossentropy", np.array([[1.0, 0.0]]).astype(dtype), yp)
    lo, hi = dtype.type(1e-7), dtype.type(1 - 1e-7)  # the clip bounds, rounded to dtype
    np.testing.assert_allclose(loss, -0.5 * (np.log(lo) + np.log(1 - hi)), rtol=1e-5)
    np.testing.assert_array_equal(grad, 0.0)
    # one class gets (clipped) zero probability: finite loss, zero gradient in that row
    loss, grad = ops.loss_and_grad("sparse_categorical_crossentropy", [0],
                                   np.array([[0.0, 1.0]], dtype=dtype))
    np.testing.assert_allclose(loss, -np.log(1e-7), rtol=1e-5)
    np.testing.assert_array_equal(grad, 0.0)


@pytest.mark.parametrize("k", [2, 5])
def test_extreme_logits(dtype, k):
    z = np.zeros((3, k), dtype=dtype)
    z[:, 0], z[:, 1] = 1e4, -1e4
    lab = np.array([0, 1, k - 1])
    loss = ops.sparse_categorical_crossentropy(lab, z, from_logits=True)
    expected = [0.0, 2e4, 1e4] if k > 2 else [0.0, 2e4, 2e4]
    np.testing.assert_allclose(loss, expected, rtol=1e-6)
    _, grad = ops.loss_and_grad("sparse_categorical_crossentropy", lab, z, from_logits=True)
    assert np.all(np.isfinite(grad))
    onehot = np.eye(k)[lab]
    np.testing.assert_allclose(grad * 3, R.softmax(z.astype(np.float64)) - onehot, atol=1e-6)
    yb = np.array([[0.0, 1.0, 1.0, 0.0]], dtype=dtype)
    zb = np.array([[1e4, -1e4, 1e4, -1e4]], dtype=dtype)
    loss, grad = ops.loss_and_grad("binary_crossentropy", yb, zb, from_logits=True)
    np.testing.assert_allclose(loss, 5e3, rtol=1e-6)
    np.testing.assert_allclose(grad, [[0.25, -0.25, 0.0, 0.0]], atol=1e-7)


@pytest.mark.parametrize("k", [1, 3, 10])
def test_all_equal_logits(dtype, k):
    z = np.full((4, k), -7.25, dtype=dtype)
    lab = np.arange(4) % k
    loss, grad = ops.loss_and_grad("sparse_categorical_crossentropy", lab, z, from_logits=True)
    np.testing.assert_allclose(loss, np.log(k), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(grad, (1.0 / k - np.eye(k)[lab]) / 4, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_thread_count_does_not_change_results(case, dtype, set_threads):
    name, fl = case
    yt, yp = _data(name, fl, (3001, 11), dtype, seed=3)  # parallel at 2 threads
    sw = np.random.default_rng(4).uniform(size=3001).astype(dtype)
    out = []
    for n in (1, 2):
        set_threads(n)
        out.append(ops.loss_and_grad(name, yt, yp, from_logits=fl, sample_weight=sw))
    assert out[0][0] == out[1][0]
    np.testing.assert_array_equal(out[0][1], out[1][1])


def test_one_dimensional_predictions_are_a_column():
    yt = np.array([0.0, 1.0, 1.0])
    yp = np.array([0.2, 0.7, 0.9])
    per = ops.binary_crossentropy(yt, yp)
    np.testing.assert_allclose(per, R.binary_crossentropy(yt, yp), rtol=1e-12)
    loss, grad = ops.loss_and_grad("mse", yt, yp)
    assert grad.shape == (3,)
    np.testing.assert_allclose(loss, np.mean((yp - yt) ** 2), rtol=1e-12)
    assert ops.mse(yt.reshape(3, 1), yp).shape == (3,)


def test_mixed_dtypes_and_int_labels():
    yp32 = np.full((2, 3), 1 / 3, dtype=np.float32)
    assert ops.sparse_categorical_crossentropy(np.array([0, 2]), yp32).dtype == np.float32
    assert ops.categorical_crossentropy(np.eye(3)[:2], yp32).dtype == np.float64
    assert ops.categorical_crossentropy(np.eye(3, dtype=np.float32)[:2], yp32).dtype == np.float32
    assert ops.mse([[1, 2, 3], [4, 5, 6]], [[1, 2, 3], [4, 5, 6]]).dtype == np.float32


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(name="nope"), ValueError, "unknown loss 'nope'.*huber"),
    (dict(name=3), TypeError, "loss name"),
    (dict(y_true=[0, 3]), ValueError, r"y_true class indices must be in \[0, 3\)"),
    (dict(y_true=[0, -1]), ValueError, "y_true class indices"),
    (dict(y_true=[0.0, 1.5]), ValueError, "y_true must hold integer"),
    (dict(y_true=[0.0, np.nan]), ValueError, "y_true must hold integer"),
    (dict(y_true=[0, 1, 2]), ValueError, r"y_true must hold one class index.*\(3,\)"),
    (dict(y_pred=np.ones(3)), ValueError, "y_pred must be 2-D"),
    (dict(y_pred=np.ones((0, 3))), ValueError, "y_pred must not be empty"),
    (dict(y_pred=[["a", "b", "c"]] * 2), TypeError, "y_pred must be an array of real"),
    (dict(from_logits="yes"), TypeError, "from_logits must be a bool"),
    (dict(sample_weight=[1.0]), ValueError, r"sample_weight must have shape \(2,\)"),
    (dict(sample_weight=[1.0, np.inf]), ValueError, "sample_weight must be finite"),
])
def test_bad_inputs_are_rejected(kwargs, exc, match):
    args = dict(name="sparse_categorical_crossentropy", y_true=[0, 1],
                y_pred=np.full((2, 3), 1 / 3))
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        ops.loss_and_grad(args.pop("name"), **args)


def test_bad_shapes_for_elementwise_losses_and_delta():
    with pytest.raises(ValueError, match=r"y_true must have the shape of y_pred \(2, 3\)"):
        ops.mse(np.ones((3, 2)), np.ones((2, 3)))
    with pytest.raises(ValueError, match="delta must be > 0"):
        ops.huber(np.ones((2, 2)), np.ones((2, 2)), delta=0.0)
    with pytest.raises(TypeError, match="delta must be a real number"):
        ops.huber(np.ones((2, 2)), np.ones((2, 2)), delta="1")
    with pytest.raises(ValueError, match="y_pred must be 1 or 2-D"):
        ops.mse(np.ones((2, 2, 2)), np.ones((2, 2, 2)))


@pytest.mark.parametrize("code", sorted(LOSSES.values()))
def test_gradient_may_overwrite_predictions(code, dtype):
    names = {c: (n.removesuffix("_logits"), n.endswith("_logits")) for n, c in LOSSES.items()}
    name, fl = names[code]
    yt, yp = _data(name, fl, (5, 4), dtype, seed=8)
    yt2 = (yt.reshape(-1, 1) if yt.ndim == 1 else yt).astype(dtype)
    grad = np.empty_like(yp)
    per = np.empty(5, dtype)
    total = _kernels.loss(code, 1.0, yt2, yp, None, 0.2, grad, per)
    buf = yp.copy()
    per2 = np.empty(5, dtype)
    total2 = _kernels.loss(code, 1.0, yt2, buf, None, 0.2, buf, per2)
    assert total == total2
    np.testing.assert_array_equal(per, per2)
    np.testing.assert_array_equal(grad, buf)


def test_raw_binding_never_reads_out_of_bounds():
    yp = np.zeros((2, 3))
    with pytest.raises(ValueError, match="not a class index"):
        _kernels.loss(0, 0.0, np.array([[0.0], [3.0]]), yp, None, 1.0, None, None)
    with pytest.raises(ValueError, match="y_true must have shape"):
        _kernels.loss(0, 0.0, np.zeros((2, 3)), yp, None, 1.0, None, None)
    with pytest.raises(ValueError, match="grad must have shape"):
        _kernels.loss(6, 0.0, yp, yp, None, 1.0, np.zeros((3, 3)), None)
    with pytest.raises(ValueError, match="sw must have shape"):
        _kernels.loss(6, 0.0, yp, yp, np.ones(5), 1.0, None, None)
    with pytest.raises(ValueError, match="loss code"):
        _kernels.loss(99, 0.0, yp, yp, None, 1.0, None, None)


# --- the float32 AVX2 paths of the exp/log losses (loss_avx2.inc), against the reference
# and the generic path: odd widths (vector tails), rows not a multiple of 8 or of the
# 64-row block, extreme logits, aliasing, thread counts.
LOGIT_CASES = [("sparse_categorical_crossentropy", True), ("categorical_crossentropy", True),
               ("binary_crossentropy", True)]
LOGIT_IDS = [n for n, _ in LOGIT_CASES]
ODD_K = [1, 2, 3, 7, 8, 9, 10, 17, 25]


@pytest.mark.parametrize("k", ODD_K)
@pytest.mark.parametrize("case", LOGIT_CASES, ids=LOGIT_IDS)
def test_logit_losses_on_both_simd_paths_match_reference(case, k, simd_path, threads):
    name, _ = case
    for n, weighted in [(1, False), (13, True), (67, False), (133, True)]:
        yt, yp = _data(name, True, (n, k), np.float32, seed=n + k)
        yp *= np.float32(4.0)  # logits up to ~+-25: exp well away from 1
        sw = np.random.default_rng(n).uniform(0.1, 2.0, size=n).astype(np.float32) \
            if weighted else None
        loss, grad = ops.loss_and_grad(name, yt, yp, from_logits=True, sample_weight=sw)
        ref_loss, ref_grad = R.loss_and_grad(name, yt, yp, from_logits=True, sample_weight=sw)
        np.testing.assert_allclose(loss, ref_loss, **tol(np.float32))
        np.testing.assert_allclose(grad, ref_grad, **tol(np.float32))
        per = getattr(ops, name)(yt, yp, from_logits=True)
        np.testing.assert_allclose(per, getattr(R, name)(yt, yp, from_logits=True),
                                   **tol(np.float32))


def _raw(code, yt, yp, sw=None, grad=True, alias=False):
    """_kernels.loss with every output: (total, grad, per_sample, y_pred after)."""
    yt2 = np.ascontiguousarray(yt.reshape(yp.shape[0], -1), dtype=yp.dtype)
    yp = yp.copy()
    g = yp if alias else (np.empty_like(yp) if grad else None)
    per = np.empty(yp.shape[0], yp.dtype)
    total = _kernels.loss(code, 1.0, yt2, yp, sw, 0.25, g, per)
    return total, g, per


@pytest.mark.parametrize("k", [1, 2, 7, 8, 9, 10, 17])
@pytest.mark.parametrize("case", LOGIT_CASES, ids=LOGIT_IDS)
def test_logit_losses_simd_path_agrees_with_generic(case, k, set_threads):
    """The AVX2 path within a few float32 ulp of the generic one (values of every row,
    gradients), with and without weights and gradient, and with the gradient written
    over the logits (grad aliasing y_pred)."""
    name, _ = case
    code = LOSSES[name + "_logits"]
    yt, yp = _data(name, True, (75, k), np.float32, seed=k)
    yp *= np.float32(3.0)
    sw = np.random.default_rng(k).uniform(0.0, 2.0, size=75).astype(np.float32)
    out = {}
    for path in ("generic", "avx2+fma"):
        if not _kernels.set_simd_path(path):
            pytest.skip("no AVX2+FMA")
        out[path] = [_raw(code, yt, yp, w, grad, alias)
                     for w in (None, sw) for grad, alias in [(True, False), (False, False),
                                                             (True, True)]]
    # a few ulp of the terms: sigmoid(z) - y and softplus(z) - z y may cancel, so the
    # absolute part is 4 ulp of the largest term (|z| for the loss, gs (/ k) for grad)
    ulp4 = 4 * np.finfo(np.float32).eps
    gs_max = 0.25 * 2.0 / (k if name == "binary_crossentropy" else 1)
    for (t0, g0, p0), (t1, g1, p1) in zip(out["generic"], out["avx2+fma"]):
        np.testing.assert_allclose(t1, t0, rtol=2e-6)
        np.testing.assert_allclose(p1, p0, rtol=ulp4, atol=ulp4 * np.abs(yp).max())
        if g0 is not None:
            np.testing.assert_allclose(g1, g0, rtol=ulp4, atol=ulp4 * gs_max)
    # on one path, aliasing changes no bit of anything
    for w in range(2):
        a, b = out["avx2+fma"][3 * w], out["avx2+fma"][3 * w + 2]
        assert a[0] == b[0]
        np.testing.assert_array_equal(a[1], b[1])
        np.testing.assert_array_equal(a[2], b[2])
        np.testing.assert_array_equal(out["avx2+fma"][3 * w + 1][2], a[2])


@pytest.mark.parametrize("case", LOGIT_CASES, ids=LOGIT_IDS)
@pytest.mark.parametrize("k", [1, 10, 17])
def test_logit_losses_thread_count_does_not_change_results(case, k, simd_path, set_threads):
    name, _ = case
    n = 8200 // k + 3  # enough work for 2 threads; not a multiple of 8 or of 64
    yt, yp = _data(name, True, (n, k), np.float32, seed=k)
    sw = np.random.default_rng(5).uniform(size=n).astype(np.float32)
    out = []
    for nt in (1, 2):
        set_threads(nt)
        out.append(_raw(LOSSES[name + "_logits"], yt, yp, sw))
    assert out[0][0] == out[1][0]
    np.testing.assert_array_equal(out[0][1], out[1][1])
    np.testing.assert_array_equal(out[0][2], out[1][2])


@pytest.mark.parametrize("k", [3, 9, 10, 17])
def test_extreme_logits_on_both_simd_paths(k, simd_path):
    """+-1e4 never overflows; -inf on a non-target class is exp -> 0 (an -inf target
    gives an infinite loss, as Keras)."""
    z = np.zeros((11, k), dtype=np.float32)
    z[:, 0], z[:, 1] = 1e4, -1e4
    z[5:, -1] = -np.inf
    lab = np.arange(11) % 2
    total, grad, per = _raw(LOSSES["sparse_categorical_crossentropy_logits"], lab, z)
    np.testing.assert_allclose(per, np.where(lab == 0, 0.0, 2e4), rtol=1e-6)
    assert np.all(np.isfinite(grad))
    ref = 0.25 * (R.softmax(np.where(np.isinf(z), -1e30, z).astype(np.float64))
                  - np.eye(k)[lab])
    np.testing.assert_allclose(grad, ref, atol=1e-7)
    onehot = np.eye(k, dtype=np.float32)[lab]
    total, grad, per = _raw(LOSSES["categorical_crossentropy_logits"], onehot, z)
    np.testing.assert_allclose(per, np.where(lab == 0, 0.0, 2e4), rtol=1e-6)
    np.testing.assert_allclose(grad, ref, atol=1e-7)
    lab_inf = np.full(11, k - 1)  # target at -inf in rows 5..10
    _, _, per = _raw(LOSSES["sparse_categorical_crossentropy_logits"], lab_inf, z)
    assert np.all(np.isfinite(per[:5])) and np.all(per[5:] == np.inf)
    # binary: softplus and sigmoid of +-1e4 on each lane position
    zb = np.tile(np.array([1e4, -1e4, 1e4, -1e4], np.float32), (3, k))
    yb = np.tile(np.array([0.0, 1.0, 1.0, 0.0], np.float32), (3, k))
    total, grad, per = _raw(LOSSES["binary_crossentropy_logits"], yb, zb)
    np.testing.assert_allclose(per, 5e3, rtol=1e-6)
    np.testing.assert_allclose(grad, 0.25 * np.tile([1.0, -1.0, 0.0, 0.0], (3, k)) / (4 * k),
                               atol=1e-9)


@pytest.mark.parametrize("k", [1, 3, 8, 10, 17])
def test_all_equal_logits_are_exact_on_both_simd_paths(k, simd_path):
    """exp(0) is exactly 1 on both paths: the loss is log(k) rounded once, the
    gradient (gs / k) - gs y in float32."""
    z = np.full((9, k), 3.5, dtype=np.float32)
    lab = np.arange(9) % k
    for code, yt in [(LOSSES["sparse_categorical_crossentropy_logits"], lab),
                     (LOSSES["categorical_crossentropy_logits"], np.eye(k)[lab])]:
        total, grad, per = _raw(code, yt.astype(np.float32), z)
        np.testing.assert_array_equal(per, np.float32(np.log(k)))
        want = np.float32(0.25 / k) - np.float32(0.25) * np.eye(k, dtype=np.float32)[lab]
        np.testing.assert_array_equal(grad, want)


@pytest.mark.parametrize("k", [1, 3, 10, 20])
@pytest.mark.parametrize("case", LOGIT_CASES, ids=LOGIT_IDS)
def test_nan_logits_stay_in_their_row_on_both_simd_paths(case, k, simd_path):
    """A NaN logit makes its own row's loss and gradient NaN and no other row's (the
    8-rows-per-vector paths must not leak a lane into its neighbours)."""
    name, _ = case
    if name == "sparse_categorical_crossentropy" and k == 1:
        k = 2
    yt, yp = _data(name, True, (11, k), np.float32, seed=k)
    yp[3, k - 1] = np.nan
    yp[8, 0] = np.nan
    total, grad, per = _raw(LOSSES[name + "_logits"], yt, yp)
    assert np.isnan(total)
    np.testing.assert_array_equal(np.isnan(per), np.isin(np.arange(11), [3, 8]))
    assert np.all(np.isnan(grad[[3, 8]]).any(axis=1))
    assert np.all(np.isfinite(np.delete(grad, [3, 8], axis=0)))
