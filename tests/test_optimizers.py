"""Optimizer kernels: trajectories against the reference and hand-computed Keras values,
determinism across threads, validation of the in-place arguments."""
import math
import platform

import numpy as np
import pytest

from fastnn import kernel_ops as ops
from fastnn import reference as R

from cases import tol

# name -> (slot names with their initial value, keyword arguments). Adagrad's
# accumulator starts at 0.1 as in Keras.
CONFIGS = {
    "sgd": ("sgd_update", {}, dict(lr=0.05)),
    "sgd_wd": ("sgd_update", {}, dict(lr=0.05, wd_lr=0.01)),
    "momentum": ("sgd_update", {"m": 0.0}, dict(lr=0.05, momentum=0.9)),
    "nesterov": ("sgd_update", {"m": 0.0}, dict(lr=0.05, momentum=0.9, nesterov=True,
                                                wd_lr=0.001)),
    "adam": ("adam_update", {"m": 0.0, "v": 0.0}, dict()),
    "adamw": ("adam_update", {"m": 0.0, "v": 0.0}, dict(wd_lr=0.004 * 0.01)),
    "rmsprop": ("rmsprop_update", {"v": 0.0}, dict(lr=0.01)),
    "rmsprop_centered_momentum": ("rmsprop_update", {"v": 0.0, "mg": 0.0, "mom": 0.0},
                                  dict(lr=0.01, momentum=0.5, centered=True)),
    "rmsprop_momentum_wd": ("rmsprop_update", {"v": 0.0, "mom": 0.0},
                            dict(lr=0.01, momentum=0.9, wd_lr=0.002)),
    "adagrad": ("adagrad_update", {"acc": 0.1}, dict(lr=0.05)),
    "nadam": ("nadam_update", {"m": 0.0, "v": 0.0}, dict()),
    "nadam_wd": ("nadam_update", {"m": 0.0, "v": 0.0}, dict(wd_lr=0.004 * 0.01)),
    "adamax": ("adamax_update", {"m": 0.0, "u": 0.0}, dict()),
    "adamax_wd": ("adamax_update", {"m": 0.0, "u": 0.0}, dict(wd_lr=0.004 * 0.01)),
    "adam_amsgrad": ("adam_update", {"m": 0.0, "v": 0.0, "vhat": 0.0}, dict()),
    "adamw_amsgrad": ("adam_update", {"m": 0.0, "v": 0.0, "vhat": 0.0},
                      dict(beta1=0.8, beta2=0.95, wd_lr=0.004 * 0.01)),
    "adadelta": ("adadelta_update", {"ag": 0.0, "ad": 0.0}, dict(lr=1.0)),
    "adadelta_wd": ("adadelta_update", {"ag": 0.0, "ad": 0.0},
                    dict(lr=0.5, rho=0.8, epsilon=1e-6, wd_lr=0.004 * 0.5)),
    "lion": ("lion_update", {"m": 0.0}, dict(lr=0.01)),
    "lion_wd": ("lion_update", {"m": 0.0}, dict(lr=0.01, beta1=0.8, beta2=0.95,
                                                 wd_lr=0.004 * 0.01)),
}


def _alpha(lr, t, b1=0.9, b2=0.999):
    return lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)


def _extra(fname, t, lr=0.01):
    """The step-dependent arguments the optimizer classes compute for step t."""
    if fname == "adam_update":
        return dict(alpha_t=_alpha(lr, t))
    if fname == "nadam_update":
        c_m, c_g = R.nadam_factors(t)
        return dict(lr=lr, c_m=c_m, c_g=c_g, d2=1 - 0.999 ** t)
    if fname == "adamax_update":
        return dict(lr=lr, d1=1 - 0.9 ** t)
    return {}


def _trajectory(mod, config, w0, grads):
    fname, slots, kw = CONFIGS[config]
    w = w0.copy()
    s = {k: np.full_like(w0, v) for k, v in slots.items()}
    for t, g in enumerate(grads, start=1):
        getattr(mod, fname)(w, g, **s, **kw, **_extra(fname, t))
    return w, s


@pytest.mark.parametrize("shape", [(1,), (7, 3), (1000,)])
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_trajectory_matches_reference(config, shape, dtype, threads):
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=shape).astype(dtype)
    grads = [rng.normal(size=shape).astype(dtype) for _ in range(5)]
    w, s = _trajectory(ops, config, w0, grads)
    rw, rs = _trajectory(R, config, w0, grads)
    assert w.dtype == dtype
    np.testing.assert_allclose(w, rw, **tol(dtype))
    for k in s:
        np.testing.assert_allclose(s[k], rs[k], **tol(dtype))
    assert not np.array_equal(w, w0)


def _steps(fname, n=3, **kw):
    w = np.array([1.0])
    g = np.array([1.0])
    for t in range(1, n + 1):
        getattr(ops, fname)(w, g, **kw, **_extra(fname, t, 0.1))
    return w[0]


def test_known_values_by_hand():
    assert _steps("sgd_update", lr=0.1) == pytest.approx(0.7, abs=1e-15)
    assert _steps("sgd_update", m=np.zeros(1), lr=0.1, momentum=0.9) == \
        pytest.approx(0.439, abs=1e-12)
    assert _steps("sgd_update", m=np.zeros(1), lr=0.1, momentum=0.9, nesterov=True) == \
        pytest.approx(0.1951, abs=1e-12)
    assert _steps("adam_update", m=np.zeros(1), v=np.zeros(1)) == \
        pytest.approx(0.7000007226, abs=1e-9)
    assert _steps("rmsprop_update", v=np.zeros(1), lr=0.01) == \
        pytest.approx(0.9262262066, abs=1e-9)
    assert _steps("rmsprop_update", n=2, v=np.zeros(1), mg=np.zeros(1), mom=np.zeros(1),
                  lr=0.01, momentum=0.5, centered=True) == pytest.approx(0.924509399, abs=1e-9)
    assert _steps("adagrad_update", acc=np.full(1, 0.1), lr=0.1) == \
        pytest.approx(0.7788510086, abs=1e-9)
    # Adamax with g = 1: m / (1 - b1^t) = 1 and u = 1 every step, so each step is
    # lr / (1 + eps)
    assert _steps("adamax_update", m=np.zeros(1), u=np.zeros(1)) == \
        pytest.approx(1 - 3 * 0.1 / (1 + 1e-7), abs=1e-12)
    # Nadam, one step with g = 1: m = 0.1, v = 0.001, v_hat = 1, and m_hat =
    # u2 m / (1 - u1 u2) + (1 - u1) / (1 - u1), u_k = 0.9 (1 - 0.5 * 0.96^k)
    u1, u2 = 0.9 * (1 - 0.5 * 0.96), 0.9 * (1 - 0.5 * 0.96 ** 2)
    m_hat = u2 * 0.1 / (1 - u1 * u2) + 1.0
    assert _steps("nadam_update", n=1, m=np.zeros(1), v=np.zeros(1)) == \
        pytest.approx(1 - 0.1 * m_hat / (1 + 1e-7), abs=1e-12)
    # AMSGrad with g = 1, 0: v falls at step 2 (0.001 -> 0.000999), vhat keeps 0.001
    w, m, v, vh = np.array([1.0]), np.zeros(1), np.zeros(1), np.zeros(1)
    for t, g in ((1, 1.0), (2, 0.0)):
        ops.adam_update(w, np.array([g]), m, v, _alpha(0.1, t), vhat=vh)
    assert v[0] == pytest.approx(0.000999, abs=1e-15) and vh[0] == pytest.approx(0.001, abs=1e-15)
    m2 = 0.09
    den = math.sqrt(0.001) + 1e-7       # both steps divide by sqrt(vhat) = sqrt(0.001)
    assert w[0] == pytest.approx(1 - _alpha(0.1, 1) * 0.1 / den - _alpha(0.1, 2) * m2 / den,
                                 abs=1e-12)
    # Adadelta, one step with g = 1 (lr 1, rho 0.95): ag = 0.05,
    # d = -sqrt(eps) / sqrt(0.05 + eps), ad = 0.05 d^2
    w, ag, ad = np.array([1.0]), np.zeros(1), np.zeros(1)
    ops.adadelta_update(w, np.ones(1), ag, ad, lr=1.0)
    d = -math.sqrt(1e-7) / math.sqrt(0.05 + 1e-7)
    assert ag[0] == pytest.approx(0.05, abs=1e-16) and ad[0] == pytest.approx(0.05 * d * d, rel=1e-14)
    assert w[0] == pytest.approx(1 + d, abs=1e-15)
    # Lion: sign steps of lr; m = 0.99 m + 0.01 g; a zero update direction moves nothing
    assert _steps("lion_update", m=np.zeros(1), lr=0.1) == pytest.approx(0.7, abs=1e-15)
    w, m = np.array([1.0, 2.0]), np.array([1.0, 0.0])
    ops.lion_update(w, np.array([-1.0, 0.0]), m, lr=0.1, beta1=0.5, beta2=0.75)
    assert w.tolist() == [1.0, 2.0] and m.tolist() == [0.5, 0.0]
    # AdamW's decoupled decay alone (g = 0): w -= w * weight_decay * lr
    w = np.array([2.0])
    ops.adam_update(w, np.zeros(1), np.zeros(1), np.zeros(1), alpha_t=0.001,
                    wd_lr=0.004 * 0.001)
    assert w[0] == pytest.approx(2.0 * (1 - 4e-6), abs=1e-15)


def _subnormal(a):
    a = np.asarray(a)
    return (a != 0) & (np.abs(a) < np.finfo(a.dtype).tiny)


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64", "i386", "i686"),
                    reason="flushing is x86-only")
@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_denormals_are_flushed_to_zero(config, dtype, threads):
    """As TensorFlow runs its kernels: a slot decaying below the smallest normal number
    becomes 0 (IEEE arithmetic, the reference's, would leave a slow denormal), a
    denormal gradient reads as 0; the caller's floating-point mode is left as it was."""
    fname, slots, kw = CONFIGS[config]
    tiny = np.finfo(dtype).tiny
    n = 70001                                   # parallel at 2 threads
    g = np.full(n, tiny / 4, dtype)             # denormal
    results = {}
    for mod in (ops, R):
        w = np.zeros(n, dtype)
        s = {k: np.full(n, tiny if k != "acc" else 0.1, dtype) for k in slots}
        extra = _extra(fname, 1, 0.001)
        with np.errstate(under="ignore"):
            getattr(mod, fname)(w, g, **s, **kw, **extra)
        results[mod] = (w, s)
    w, s = results[ops]
    for a in [w, *s.values()]:
        assert not _subnormal(a).any()
    rw, rs = results[R]
    assert any(_subnormal(a).any() for a in [rw, *rs.values()])   # IEEE would keep some
    # the mode was restored: NumPy in this thread still makes denormals
    assert _subnormal(np.array([tiny], dtype) / 4).all()


@pytest.mark.parametrize("config", sorted(CONFIGS))
def test_thread_count_does_not_change_results(config, dtype, set_threads):
    rng = np.random.default_rng(1)
    w0 = rng.normal(size=70001).astype(dtype)  # parallel at 2 threads
    grads = [rng.normal(size=w0.shape).astype(dtype) for _ in range(2)]
    out = []
    for n in (1, 2):
        set_threads(n)
        out.append(_trajectory(ops, config, w0, grads))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    for k in out[0][1]:
        np.testing.assert_array_equal(out[0][1][k], out[1][1][k])


def test_bad_arguments_are_rejected_and_nothing_is_updated():
    w = np.ones((3, 2), dtype=np.float32)
    g = np.ones((3, 2), dtype=np.float32)
    m = np.zeros((3, 2), dtype=np.float32)
    cases = [
        (lambda: ops.sgd_update(w, g.astype(np.float64)), TypeError, "g must have w's dtype"),
        (lambda: ops.sgd_update(w, np.ones((2, 3), np.float32)), ValueError,
         r"g must have w's shape \(3, 2\)"),
        (lambda: ops.sgd_update(w, np.ones((3, 4), np.float32)[:, ::2]), ValueError,
         "g must be C-contiguous"),
        (lambda: ops.sgd_update(w.tolist(), g), TypeError, "w must be a numpy.ndarray"),
        (lambda: ops.sgd_update(w.astype(np.int32), g.astype(np.int32)), TypeError,
         "w must be float32 or float64"),
        (lambda: ops.sgd_update(w, g, momentum=0.9), ValueError, "m .* is required"),
        (lambda: ops.sgd_update(w, g, m, lr=float("nan")), ValueError, "lr must be finite"),
        (lambda: ops.sgd_update(w, g, m, lr="0.1"), TypeError, "lr must be a real number"),
        (lambda: ops.sgd_update(w, g, m, momentum=0.9, nesterov=1), TypeError,
         "nesterov must be a bool"),
        (lambda: ops.adam_update(w, g, m, np.zeros(6, np.float32), 0.1), ValueError,
         "v must have w's shape"),
        (lambda: ops.rmsprop_update(w, g, m, centered=True), ValueError, "mg .* required"),
        (lambda: ops.rmsprop_update(w, g, m, momentum=0.5), ValueError, "mom .* required"),
        (lambda: ops.adagrad_update(w, g, m.astype(np.float64)), TypeError,
         "acc must have w's dtype"),
        (lambda: ops.nadam_update(w, g, m, np.zeros(6, np.float32), 0.1, 1.0, 1.0, 0.1),
         ValueError, "v must have w's shape"),
        (lambda: ops.nadam_update(w, g, m, m.copy(), 0.1, 1.0, 1.0, 0.0), ValueError,
         r"d2 \(1 - beta2\*\*t\) must be > 0"),
        (lambda: ops.nadam_update(w, g, m, m.copy(), 0.1, float("inf"), 1.0, 0.1),
         ValueError, "c_m must be finite"),
        (lambda: ops.adamax_update(w, g, m, m.astype(np.float64), 0.1, 0.1), TypeError,
         "u must have w's dtype"),
        (lambda: ops.adamax_update(w, g, m, m.copy(), 0.1, -0.5), ValueError,
         r"d1 \(1 - beta1\*\*t\) must be > 0"),
        (lambda: ops.adam_update(w, g, m, m.copy(), 0.1, vhat=np.zeros(6, np.float32)),
         ValueError, "vhat must have w's shape"),
        (lambda: ops.adadelta_update(w, g, m, m.astype(np.float64)), TypeError,
         "ad must have w's dtype"),
        (lambda: ops.adadelta_update(w, g, m, m.copy(), rho="0.9"), TypeError,
         "rho must be a real number"),
        (lambda: ops.adadelta_update(w, g, m, m.copy(), epsilon=-1.0), ValueError,
         "epsilon must be"),
        (lambda: ops.lion_update(w, g, None), TypeError, "m must be a numpy.ndarray"),
        (lambda: ops.lion_update(w, g, m, lr=float("inf")), ValueError, "lr must be finite"),
    ]
    for call, exc, match in cases:
        with pytest.raises(exc, match=match):
            call()
    np.testing.assert_array_equal(w, 1.0)
    np.testing.assert_array_equal(m, 0.0)
    ro = np.ones(3)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="w must be writeable"):
        ops.adagrad_update(ro, np.ones(3), np.zeros(3))
