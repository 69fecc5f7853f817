"""Loss kernels: value and gradient against the reference, finite differences, Keras
values, extreme inputs, determinism across threads, validation."""
import numpy as np
import pytest

from fastnn import _kernels, ops
from fastnn import reference as R
from fastnn._codes import LOSSES

from cases import tol

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


def _fd(f, x, h=1e-6):
    g = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        g[idx] = (f(xp) - f(xm)) / (2 * h)
    return g


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_gradients_match_finite_differences(case):
    name, fl = case
    yt, yp = _data(name, fl, (4, 3), np.float64, seed=1)
    sw = np.array([0.5, 1.0, 2.0, 0.0])
    for mod in (ops, R):
        _, grad = mod.loss_and_grad(name, yt, yp, from_logits=fl, sample_weight=sw)
        fd = _fd(lambda p: mod.loss_and_grad(name, yt, p, from_logits=fl,
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
