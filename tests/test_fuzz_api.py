"""Property-based fuzzing of the public API (hypothesis).

The rule: every public constructor and function, given an argument from a pool of nasty
values (ints beyond the float range, +-inf, nan, -0.0, 0, negatives, bools, strings,
None, empty and ragged lists, 0-d/1-d/3-d arrays, object, float16, int8, complex,
non-contiguous and read-only arrays), either refuses it with ValueError or TypeError -
a message that names the argument and is not Python's or NumPy's own - or returns a
correct result: of the right shape and dtype, finite where its inputs were, equal to
fastnn.reference where the reference has the function. A refused fit leaves the
weights and the optimizer as they were.

Everything here may reach the C kernels, where a bad argument could end the process:
each group of properties runs in a child process (`python -c`), all groups at once,
and the test of a group reports what its child printed. The examples are the same on
every run (derandomized, so a shared main stays green); FASTNN_FUZZ_RANDOM=1 draws new
ones and FASTNN_FUZZ_SCALE=<k> runs k times as many, for a longer hunt.
"""
import copy
import math
import numbers
import os
import re
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastnn
from fastnn import (activations, callbacks, initializers, layers, losses, metrics, nn,
                    optimizers, regularizers, utils)
from fastnn import kernel_ops as ops
from fastnn import reference as R
from fastnn.optimizers import schedules

from cases import tol

SCALE = float(os.environ.get("FASTNN_FUZZ_SCALE", "1"))
RANDOM = bool(os.environ.get("FASTNN_FUZZ_RANDOM"))


def fuzz(n):
    """@settings for a property: n examples (times FASTNN_FUZZ_SCALE), no deadline."""
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, derandomize=not RANDOM,
                    database=None, print_blob=True,
                    suppress_health_check=list(HealthCheck))


# ------------------------------------------------------------------------ the pool
HUGE = 10 ** 400
INF, NAN = math.inf, math.nan


def _read_only(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


# Fresh arrays each draw (some calls update arguments in place).
ARRAYS = {
    "0-d": lambda: np.array(1.5),
    "1-d": lambda: np.linspace(-2, 2, 3),
    "3-d": lambda: np.linspace(-2, 2, 24).reshape(2, 3, 4),
    "empty": lambda: np.zeros((0, 3)),
    "object": lambda: np.array([1.0, "a"], dtype=object),
    "object of floats": lambda: np.array([[0.5, 1.0, 2.0]], dtype=object),
    "float16": lambda: np.linspace(-2, 2, 6, dtype=np.float16).reshape(2, 3),
    "int8": lambda: np.arange(-3, 3, dtype=np.int8).reshape(2, 3),
    "uint64 max": lambda: np.array([[2 ** 64 - 1, 0, 1]], dtype=np.uint64),
    "bool": lambda: np.array([[True, False, True]]),
    "complex": lambda: np.ones((2, 3), np.complex128),
    "str": lambda: np.array([["a", "b", "c"]]),
    "non-contiguous": lambda: np.linspace(-2, 2, 12).reshape(2, 6)[:, ::2],
    "fortran": lambda: np.asfortranarray(np.linspace(-2, 2, 6).reshape(2, 3)),
    "read-only": lambda: _read_only(np.linspace(-2, 2, 6).reshape(2, 3)),
    "nan/inf": lambda: np.array([[np.nan, 1.0, -np.inf]]),
    "1e300": lambda: np.full((2, 3), 1e300),
    "-0.0": lambda: np.full((2, 3), -0.0),
    "float32": lambda: np.linspace(-2, 2, 6, dtype=np.float32).reshape(2, 3),
    "longdouble": lambda: np.linspace(-2, 2, 6, dtype=np.longdouble).reshape(2, 3),
}
SCALARS = [HUGE, -HUGE, 2 ** 63, -(2 ** 63) - 1, 1e300, -1e300, INF, -INF, NAN, -0.0, 0, 0.0,
           -1, 1, 2, 3, 0.5, -0.5, 5e-324, 1e-40, 1.2e-38, 0.9999999999999999, 2 ** 53,
           True, False, "a", "", "0.1", "auto", None, np.float16(1.5), np.int8(-3),
           np.float32(np.nan), np.float64(2.5), np.int64(3), np.bool_(True), 1 + 2j, b"x"]
CONTAINERS = [[], [[1.0], [1.0, 2.0]], [1, 2, 3], (1.5, -1.0), [[0.5, 1.0, 2.0]], {},
              {"a": 1}, [None], [np.nan], [HUGE], [1e300], [2.0, 1.0]]

scalars = st.sampled_from(SCALARS)
arrays = st.sampled_from(sorted(ARRAYS)).map(lambda k: ARRAYS[k]())
containers = st.sampled_from(range(len(CONTAINERS))).map(lambda i: copy.deepcopy(CONTAINERS[i]))
nasty = st.one_of(scalars, arrays, containers, st.floats(), st.integers(-2 ** 70, 2 ** 70))
# For counts that would run (or allocate) for ever when valid: no mid-size ints.
nasty_count = st.one_of(
    scalars.filter(lambda v: not (isinstance(v, (int, np.integer)) and 5 < v < 2 ** 63)),
    arrays, containers, st.floats(), st.integers(-5, 5), st.integers(2 ** 63, 2 ** 70))


# ------------------------------------------------------------------------ the rule
# Messages of Python's and NumPy's own errors: an argument that reaches them was not
# checked first.
INTERNAL = re.compile("|".join([
    r"could not convert", r"unsupported operand", r"not supported between instances",
    r"truth value of an array", r"could not be broadcast", r"cannot reshape array",
    r"object is not", r"object cannot be interpreted", r"only integer scalar arrays",
    r"unhashable type", r"invalid literal", r"\w\(\) argument", r"zero-size array",
    r"not understood", r"[Cc]annot cast", r"out of bounds for (axis|array|size|dimension)",
    r"index -?\d+ is out of bounds", r"setting an array element",
    r"has no attribute", r"must be real number, not", r"expected a sequence",
    r"Expected a bytes object", r"buffer source array",
]))


KINDS = ("initializer", "regularizer", "activation")


def rule(call, names=None):
    """call() -> (True, result), or (False, exception) for a ValueError or TypeError
    whose message names one of `names` (when given) and is not an internal one. Any
    other exception propagates and fails the property."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return True, call()
    except (ValueError, TypeError) as exc:
        msg = str(exc)
        assert msg, f"{type(exc).__name__} without a message"
        assert not INTERNAL.search(msg), f"an internal message: {type(exc).__name__}: {msg}"
        if names:
            names = (names,) if isinstance(names, str) else names
            # an initializer/regularizer/activation argument may be named by its kind
            names = tuple(names) + tuple(k for n in names for k in KINDS if n.endswith(k))
            assert any(n in msg for n in names), \
                f"the message does not name {' or '.join(names)}: {msg}"
        return False, exc


def _real_floats(x):
    """x as a float64 array when it holds real numbers, else None (for the checks)."""
    try:
        a = np.asarray(x)
        if a.dtype.kind not in "biuf":
            return None
        return a.astype(np.float64)
    except Exception:
        return None


def all_finite(*xs):
    for x in xs:
        a = _real_floats(x)
        if a is None or not np.isfinite(a).all():
            return False
    return True


def moderate(*xs, limit=1e15):
    """Every x real numbers of magnitude at most `limit`: where a squared error or a
    weighted sum cannot overflow even float32 (1e300 squared is inf, as in Keras)."""
    for x in xs:
        a = _real_floats(x)
        if a is None or not np.all(np.abs(a) <= limit):
            return False
    return True


def op_dtype(*args):
    """The dtype fastnn.ops computes in: float64 when a NumPy float64 (or wider) array or
    scalar is among the arguments, float32 otherwise."""
    for a in args:
        if isinstance(a, (np.ndarray, np.generic)) and a.dtype.kind == "f" and a.dtype.itemsize >= 8:
            return np.dtype(np.float64)
    return np.dtype(np.float32)


def as_op(a, dtype):
    with np.errstate(over="ignore"):
        return np.asarray(a).astype(dtype)


def ref0(fn, x, *args, **kw):
    """fn(x) from the reference, which takes arrays of at least one dimension."""
    if np.ndim(x) == 0:
        return np.asarray(fn(np.reshape(x, (1,)), *args, **kw)).reshape(())
    return fn(x, *args, **kw)


# Activations whose kernels map NaN to 0 where NumPy, TensorFlow and the reference keep
# NaN: none since relu, elu and selu keep it (the comparison would leave such elements out).
NAN_TO_ZERO = set()


def nan_known(name, dtype, x):
    """A mask of the elements whose NaN input the kernels give as 0 (NAN_TO_ZERO)."""
    if (name, np.dtype(dtype).type) in NAN_TO_ZERO:
        return np.isnan(np.asarray(x, np.float64))
    return None


def close(got, ref, dtype, what, skip=None):
    got, ref = np.asarray(got), np.asarray(ref)
    if skip is not None and skip.shape == got.shape == ref.shape and skip.any():
        got, ref = got[~skip], ref[~skip]
    assert got.shape == ref.shape, f"{what}: shape {got.shape}, reference {ref.shape}"
    with np.errstate(invalid="ignore", over="ignore"):
        np.testing.assert_allclose(got.astype(np.float64), ref.astype(np.float64),
                                   err_msg=what, equal_nan=True, **tol(dtype))


# Valid arrays in the layouts and dtypes a caller may pass.
LAYOUTS = ["float64", "float32", "list", "float16", "int8", "non-contiguous", "read-only",
           "fortran"]


@st.composite
def valid_array(draw, shape, lo=-3.0, hi=3.0, integers=False):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    base = rng.uniform(lo, hi, size=shape)
    if integers:
        base = np.floor(base)
    layout = draw(st.sampled_from(LAYOUTS))
    if layout == "float32":
        return base.astype(np.float32)
    if layout == "list":
        return base.tolist()
    if layout == "float16":
        return base.astype(np.float16)
    if layout == "int8":
        return np.clip(np.round(base), -128, 127).astype(np.int8)
    if layout == "non-contiguous" and len(shape):
        wide = np.repeat(base, 2, axis=-1)
        return wide[..., ::2]
    if layout == "read-only":
        return _read_only(base)
    if layout == "fortran":
        return np.asfortranarray(base)
    return base


def accepts(call):
    """Whether call() returns (no ValueError/TypeError)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call()
        return True
    except (ValueError, TypeError):
        return False


def _maybe(data, valid, arg_names, p_corrupt=0.6, fn=None, related=()):
    """valid (a dict of arguments) with one of arg_names replaced by a nasty value with
    probability p_corrupt; returns (arguments, the names a refusal may give, or None).
    A refusal names the argument, or one of `related` when the argument is among them
    (array arguments whose shapes must agree: a mismatch may be told from either side).
    With fn, no name is asked of a refusal unless fn(**valid) is accepted (else the
    uncorrupted arguments are refused already, for their own reason)."""
    if not data.draw(st.floats(0, 1)) < p_corrupt:
        return valid, None
    name = data.draw(st.sampled_from(arg_names))
    out = dict(valid)
    out[name] = data.draw(nasty, label=name)
    if fn is not None and not accepts(lambda: fn(**copy.deepcopy(valid))):
        return out, None
    return out, ((name,) + tuple(related)) if name in related else name


# ============================================================ group: ops (C kernels)
ELEMENTWISE = ["linear", "relu", "sigmoid", "tanh", "selu", "softplus", "softsign", "silu",
               "swish", "hard_sigmoid", "exponential"]


@fuzz(300)
@given(data=st.data())
def fuzz_ops_activations(data):
    name = data.draw(st.sampled_from(ELEMENTWISE + ["leaky_relu", "elu", "gelu", "softmax",
                                                    "log_softmax", "logsumexp"]))
    shape = data.draw(st.lists(st.integers(0, 4), min_size=0, max_size=3).map(tuple))
    valid = {"x": data.draw(valid_array(shape, -30, 30))}
    params = {"leaky_relu": {"negative_slope": 0.2}, "elu": {"alpha": 1.0},
              "gelu": {"approximate": data.draw(st.booleans())},
              "softmax": {"axis": -1}, "log_softmax": {"axis": -1},
              "logsumexp": {"axis": None, "keepdims": data.draw(st.booleans())}}.get(name, {})
    valid.update(params)
    args, bad = _maybe(data, valid, list(valid), fn=getattr(ops, name))
    ok, out = rule(lambda: getattr(ops, name)(**args), bad)
    if not ok:
        return
    x = args["x"]
    dt = op_dtype(x)   # the parameters (slope, alpha, axis) never set the dtype
    xc = as_op(x, dt)
    assert isinstance(out, np.ndarray) and out.dtype == dt, (type(out), getattr(out, "dtype", None))
    kw = {k: v for k, v in args.items() if k != "x"}
    if name == "logsumexp":
        ref = R.logsumexp(xc, **kw)
    elif name in ("softmax", "log_softmax") and xc.size == 0:
        assert out.shape == xc.shape
        return
    else:
        ref = ref0(getattr(R, name), xc, **kw)
    close(out, ref, dt, name, nan_known(name, dt, xc))


@fuzz(150)
@given(data=st.data())
def fuzz_ops_activation_forward_and_grad(data):
    from fastnn._codes import ACTIVATIONS
    name = data.draw(st.sampled_from(sorted(ACTIVATIONS) + ["swish"]))
    shape = data.draw(st.sampled_from([(3,), (2, 3), (1, 1), (0, 2), (2, 2, 2)]))
    z = data.draw(valid_array(shape, -5, 5))
    p = {"leaky_relu": {"negative_slope": 0.3}, "elu": {"alpha": 0.5},
         "softmax": {"axis": -1}, "log_softmax": {"axis": 0},
         "threshold": {"threshold": 0.3, "default_value": -1.0}}.get(name, {})
    args, bad = _maybe(data, dict({"name": name, "z": z}, **p), ["name", "z"] + list(p),
                       fn=ops.activation_forward)
    ok, a = rule(lambda: ops.activation_forward(**args), bad)
    if ok:
        dt = op_dtype(args["z"])
        zc = as_op(args["z"], dt)
        kw = {k: v for k, v in args.items() if k not in ("name", "z")}
        if zc.size:
            close(a, ref0(lambda t: R.activation_forward(args["name"], t, **kw), zc), dt,
                  f"forward {name}", nan_known(name, dt, zc))
    if not ok or name == "gelu_tanh":
        return
    da = data.draw(valid_array(shape, -1, 1))
    gargs, bad = _maybe(data, dict({"name": name, "z": args["z"], "a": a, "da": da}, **p),
                        ["z", "a", "da"] + list(p), fn=ops.activation_grad,
                        related=("z", "a", "da"))
    ok, dz = rule(lambda: ops.activation_grad(**gargs), bad)
    if ok:
        dt = op_dtype(gargs["z"], gargs["a"], gargs["da"])
        c = {k: as_op(gargs[k], dt) for k in ("z", "a", "da")}
        kw = {k: v for k, v in gargs.items() if k not in ("name", "z", "a", "da")}
        if c["z"].size:
            shape = c["z"].shape
            ref = R.activation_grad(name, *(np.atleast_1d(c[k]) for k in ("z", "a", "da")), **kw)
            close(dz, np.reshape(ref, shape), dt, f"grad {name}", nan_known(name, dt, c["z"]))


@fuzz(200)
@given(data=st.data())
def fuzz_ops_matmul_dense(data):
    n, k, m = (data.draw(st.integers(0, 4)) for _ in range(3))
    which = data.draw(st.sampled_from(["matmul", "dense", "dense_forward", "dense_backward"]))
    x = data.draw(valid_array((n, k)))
    w = data.draw(valid_array((k, m)))
    if which == "matmul":
        a = data.draw(st.sampled_from([x, data.draw(valid_array((k,)))]))
        b = data.draw(st.sampled_from([w, data.draw(valid_array((k,)))]))
        valid = {"a": a, "b": b}
    elif which == "dense_backward":
        valid = {"x": x, "kernel": w, "dz": data.draw(valid_array((n, m))),
                 "need_dx": data.draw(st.booleans())}
    else:
        valid = {"x": x, "kernel": w, "bias": data.draw(st.sampled_from(
            [None, data.draw(valid_array((m,)))])),
            "activation": data.draw(st.sampled_from(["linear", "relu", "tanh", "softmax", None,
                                                     activations.sigmoid]))}
    args, bad = _maybe(data, valid, list(valid), fn=getattr(ops, which),
                       related=("a", "b", "x", "kernel", "bias", "dz"))
    ok, out = rule(lambda: getattr(ops, which)(**args), bad)
    if not ok:
        return
    arrays_ = [v for key, v in args.items() if key not in ("activation", "need_dx") and v is not None]
    dt = op_dtype(*arrays_)
    c = {key: (as_op(v, dt) if key not in ("activation", "need_dx") and v is not None else v)
         for key, v in args.items()}
    if which == "matmul":
        close(out, c["a"] @ c["b"], dt, "matmul")
        assert out.dtype == dt
        return
    if which == "dense_backward":
        ref = R.dense_backward(c["x"], c["kernel"], c["dz"], c["need_dx"])
        for got, r, nm in zip(out, ref, ("dkernel", "dbias", "dx")):
            if r is None:
                assert got is None
            else:
                close(got, r, dt, nm)
        return
    act = c["activation"]
    act = "linear" if act is None else getattr(act, "_fastnn_name", act)
    if c["x"].shape[0] and c["kernel"].shape[1]:
        rz, ra = R.dense_forward(c["x"], c["kernel"], c["bias"], act)
        if which == "dense":
            close(out, ra, dt, "dense")
        else:
            close(out[0], rz, dt, "z")
            close(out[1], ra, dt, "a")


LOSS_NAMES = ["binary_crossentropy", "categorical_crossentropy",
              "sparse_categorical_crossentropy", "mean_squared_error", "mean_absolute_error",
              "huber", "mse", "mae"]


def _loss_data(data, name, n, k):
    if name == "sparse_categorical_crossentropy":
        y_true = data.draw(st.sampled_from([
            np.arange(n) % k, (np.arange(n) % k).reshape(-1, 1), (np.arange(n) % k).tolist(),
            (np.arange(n) % k).astype(np.float32)]))
    elif name in ("binary_crossentropy", "categorical_crossentropy"):
        y_true = data.draw(valid_array((n, k), 0, 1))
    else:
        y_true = data.draw(valid_array((n, k), -3, 3))
    lo, hi = (0.0, 1.0) if data.draw(st.booleans()) else (-5.0, 5.0)
    return y_true, data.draw(valid_array((n, k), lo, hi))


@fuzz(250)
@given(data=st.data())
def fuzz_ops_losses(data):
    name = data.draw(st.sampled_from(LOSS_NAMES + ["loss_and_grad"]))
    n, k = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    loss = name if name != "loss_and_grad" else data.draw(st.sampled_from(LOSS_NAMES))
    y_true, y_pred = _loss_data(data, loss, n, k)
    valid = {"y_true": y_true, "y_pred": y_pred}
    if loss in ("binary_crossentropy", "categorical_crossentropy",
                "sparse_categorical_crossentropy"):
        valid["from_logits"] = data.draw(st.booleans())
    if loss == "huber" or name == "loss_and_grad":
        valid["delta"] = data.draw(st.sampled_from([1.0, 0.5, 3]))
    if name == "loss_and_grad":
        valid["name"] = loss
        valid["sample_weight"] = data.draw(st.sampled_from(
            [None, np.linspace(0.5, 2, n), np.ones((n, 1), np.float32), [1.0] * n]))
    args, bad = _maybe(data, valid, list(valid), fn=getattr(ops, name),
                       related=("y_true", "y_pred", "sample_weight"))
    ok, out = rule(lambda: getattr(ops, name)(**args), bad)
    if not ok:
        return
    real = args.get("name", name)
    real = {"mse": "mean_squared_error", "mae": "mean_absolute_error"}.get(real, real)
    sparse = real == "sparse_categorical_crossentropy"
    dt = op_dtype(args["y_pred"]) if sparse else op_dtype(args["y_pred"], args["y_true"])
    yp = as_op(args["y_pred"], dt)
    yt = np.asarray(args["y_true"]).reshape(-1) if sparse else as_op(args["y_true"], dt)
    if not sparse:
        yt = yt.reshape(yp.shape) if yt.size == yp.size else yt
    kw = {}
    if "from_logits" in args:
        kw["from_logits"] = args["from_logits"]
    if name == "loss_and_grad":
        sw = args["sample_weight"]
        ref_l, ref_g = R.loss_and_grad(real, yt, yp, sample_weight=None if sw is None else
                                       as_op(sw, dt).reshape(-1), delta=args["delta"], **kw)
        loss_v, grad = out
        assert isinstance(loss_v, float) and grad.dtype == dt
        close(loss_v, ref_l, dt, "loss")
        close(grad, ref_g, dt, "grad")
        return
    if real == "huber":
        kw["delta"] = args["delta"]
    ref = getattr(R, real)(yt, yp, **kw)
    assert out.dtype == dt and out.shape == (yp.shape[0] if yp.ndim else 1,)
    close(out, ref, dt, real)


UPDATES = {
    "sgd_update": (("m",), dict(lr=0.05, momentum=0.9, nesterov=False, wd_lr=0.0)),
    "adam_update": (("m", "v"), dict(alpha_t=0.01, beta1=0.9, beta2=0.999, epsilon=1e-7,
                                     wd_lr=0.0)),
    "rmsprop_update": (("v", "mg", "mom"), dict(lr=0.01, rho=0.9, momentum=0.5, epsilon=1e-7,
                                                centered=True, wd_lr=0.001)),
    "adagrad_update": (("acc",), dict(lr=0.05, epsilon=1e-7, wd_lr=0.0)),
}


@fuzz(200)
@given(data=st.data())
def fuzz_ops_updates(data):
    name = data.draw(st.sampled_from(sorted(UPDATES)))
    slots, hyper = UPDATES[name]
    dt = data.draw(st.sampled_from([np.float32, np.float64]))
    shape = data.draw(st.sampled_from([(3,), (2, 3), (1,), (0,)]))
    rng = np.random.default_rng(data.draw(st.integers(0, 1000)))
    valid = {"w": rng.normal(size=shape).astype(dt), "g": rng.normal(size=shape).astype(dt)}
    for s in slots:
        valid[s] = np.abs(rng.normal(size=shape)).astype(dt) * 0.1
    valid.update(hyper)
    args, bad = _maybe(data, valid, list(valid), fn=getattr(ops, name),
                       related=("w", "g") + slots)
    before = {k: np.array(v, copy=True) for k, v in args.items() if isinstance(v, np.ndarray)}
    ok, out = rule(lambda: getattr(ops, name)(**args), bad)
    if not ok:
        for k, v in before.items():   # a refused update changes nothing
            np.testing.assert_array_equal(args[k], v, err_msg=f"{k} changed by a refused call")
        return
    assert out is None
    ref = {k: v.copy() for k, v in before.items()}
    kw = {k: v for k, v in args.items() if not isinstance(v, np.ndarray) and v is not None
          and k not in slots}
    getattr(R, name)(**{k: v for k, v in ref.items()}, **kw)
    for k in ref:
        close(args[k], ref[k], args["w"].dtype, f"{name} {k}")


# ========================================== group: activations, nn, utils (on ops)
ACT_PARAMS = {"relu": ("negative_slope", "max_value", "threshold"),
              "leaky_relu": ("negative_slope",), "elu": ("alpha",), "gelu": ("approximate",),
              "softmax": ("axis",), "log_softmax": ("axis",), "celu": ("alpha",),
              "squareplus": ("b",), "soft_shrink": ("threshold",),
              "hard_shrink": ("threshold",)}


def _sp(t):
    return np.logaddexp(t, 0.0)


# Keras 3's activations fastnn composes of autodiff ops (no C kernel): NumPy references
# (keras/src/backend/numpy/nn.py). glu, sparsemax and threshold (shape rules, required
# arguments) are tested in tests/test_activations_keras3.py.
COMPOSED_REFS = {
    "relu6": lambda x: np.minimum(np.maximum(x, 0), 6),
    "hard_silu": lambda x: x * np.clip(x / 6 + 0.5, 0, 1),
    "mish": lambda x: x * np.tanh(_sp(x)),
    "celu": lambda x, alpha=1.0: np.maximum(x, 0) + alpha * np.expm1(np.minimum(x, 0) / alpha),
    "log_sigmoid": lambda x: -_sp(-x),
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x < 1, (x + 1) ** 2 / 4, x)),
    "sparse_sigmoid": lambda x: np.where(x <= -1, 0, np.where(x >= 1, 1, (x + 1) / 2)),
    "squareplus": lambda x, b=4: (x + np.sqrt(x * x + b)) / 2,
    "soft_shrink": lambda x, threshold=0.5: np.where(
        x > threshold, x - threshold, np.where(x < -threshold, x + threshold, 0)),
    "hard_shrink": lambda x, threshold=0.5: np.where(np.abs(x) > threshold, x, 0),
    "tanh_shrink": lambda x: x - np.tanh(x),
    "hard_tanh": lambda x: np.clip(x, -1, 1),
}


def _act_dtype(x):
    """What fastnn.activations computes in: NumPy float64 (or wider) arrays and scalars
    float64, everything else float32."""
    if isinstance(x, (np.ndarray, np.generic)) and np.asarray(x).dtype.kind == "f" and \
            np.asarray(x).dtype.itemsize >= 8:
        return np.dtype(np.float64)
    return np.dtype(np.float32)


def _relu_ref(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras 3's ReLU.static_call (keras/src/activations/activations.py)."""
    with np.errstate(over="ignore", invalid="ignore"):
        if negative_slope != 0.0 and max_value is None and threshold == 0:
            return np.maximum(x, negative_slope * x) if negative_slope <= 1 else \
                np.where(x > 0, x, negative_slope * x)
        neg = np.maximum(threshold - x, 0)
        out = np.where(x > threshold, x, 0) if threshold != 0 else np.maximum(x, 0)
        if max_value is not None:
            out = np.clip(out, 0, max_value)
        if negative_slope != 0.0:
            out = out - negative_slope * neg
    return out


@fuzz(300)
@given(data=st.data())
def fuzz_activations(data):
    name = data.draw(st.sampled_from(sorted(set(activations.ALL_OBJECTS) -
                                            {"glu", "threshold", "sparsemax"})
                                     + ["swish", "hard_swish"]))
    fn = activations.get(name)
    shape = data.draw(st.sampled_from([(), (3,), (2, 3), (2, 2, 2), (0, 3)]))
    valid = {"x": data.draw(valid_array(shape, -20, 20))}
    for p in ACT_PARAMS.get(name, ()):
        valid[p] = data.draw(st.sampled_from({"negative_slope": [0.0, 0.1, 2], "max_value": [None, 1.5, 6],
                                              "threshold": [0.0, -1.0, 0.5], "alpha": [1.0, 0.3],
                                              "approximate": [False, True], "axis": [-1, 0],
                                              "b": [4, 0.5]}[p]))
    args, bad = _maybe(data, valid, list(valid), fn=fn)
    ok, out = rule(lambda: fn(**args), bad)
    if not ok:
        return
    x = args["x"]
    dt = _act_dtype(x)
    xc = as_op(x, dt)
    assert isinstance(out, np.ndarray) and out.dtype == dt and out.shape == xc.shape, \
        (getattr(out, "dtype", None), getattr(out, "shape", None), dt, xc.shape)
    assert hasattr(out, "numpy")
    kw = {k: v for k, v in args.items() if k != "x"}
    key = activations.ALIASES.get(name, name)
    if key == "relu":
        ref = _relu_ref(xc, **kw) if kw else R.relu(xc)
    elif key in COMPOSED_REFS:
        with np.errstate(over="ignore", invalid="ignore"):
            ref = COMPOSED_REFS[key](xc.astype(np.float64), **kw)
    elif key in ("softmax", "log_softmax") and xc.size == 0:
        return
    elif key in ("softmax", "log_softmax") and isinstance(kw.get("axis"), (tuple, list)):
        ax = tuple(kw["axis"])
        t = xc.astype(np.float64)
        lse = t.max(axis=ax, keepdims=True)
        lse = lse + np.log(np.exp(t - lse).sum(axis=ax, keepdims=True))
        ref = t - lse if key == "log_softmax" else np.exp(t - lse)
    else:
        ref = ref0(lambda t: R.activation_forward(key, t, **kw), xc)
    close(out, ref, dt, name, nan_known(key, dt, xc))


@fuzz(150)
@given(data=st.data())
def fuzz_nn(data):
    which = data.draw(st.sampled_from(["relu6", "leaky_relu", "sigmoid_cross_entropy_with_logits",
                                       "softmax_cross_entropy_with_logits",
                                       "sparse_softmax_cross_entropy_with_logits"]))
    n, k = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    logits = data.draw(valid_array((n, k), -10, 10))
    if which == "relu6":
        valid = {"x": logits}
    elif which == "leaky_relu":
        valid = {"features": logits, "alpha": data.draw(st.sampled_from([0.2, 0.0, 1.5]))}
    elif which == "sparse_softmax_cross_entropy_with_logits":
        valid = {"labels": np.arange(n) % k, "logits": logits}
    else:
        valid = {"labels": data.draw(valid_array((n, k), 0, 1)), "logits": logits}
    args, bad = _maybe(data, valid, list(valid), fn=getattr(nn, which),
                       related=("labels", "logits"))
    ok, out = rule(lambda: getattr(nn, which)(**args), bad)
    if not ok:
        return
    main = args.get("logits", args.get("x", args.get("features")))
    dt = _act_dtype(main) if which in ("relu6", "leaky_relu") else op_dtype(main)
    z = as_op(main, dt)
    skip = None
    if which == "relu6":
        ref = np.minimum(np.maximum(z, 0), 6)
        skip = nan_known("relu", dt, z)
    elif which == "leaky_relu":
        ref = R.leaky_relu(z, args["alpha"])
    elif which == "sparse_softmax_cross_entropy_with_logits":
        ref = R.sparse_categorical_crossentropy(np.asarray(args["labels"]).reshape(-1), z,
                                                from_logits=True)
    else:
        y = as_op(args["labels"], dt)
        if which == "sigmoid_cross_entropy_with_logits":
            ref = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        else:
            ref = -(y * R.log_softmax(z)).sum(axis=-1)
    assert out.dtype == dt, (out.dtype, dt)
    close(out, ref, dt, which, skip)


@fuzz(200)
@given(data=st.data())
def fuzz_utils(data):
    which = data.draw(st.sampled_from(["to_categorical", "set_random_seed", "seed_generator",
                                       "random.set_seed", "set_num_threads", "epoch_orders",
                                       "activations.get", "activations.serialize"]))
    if which == "to_categorical":
        labels = data.draw(st.one_of(
            st.lists(st.integers(0, 6), max_size=5),
            st.lists(st.integers(0, 6), min_size=1, max_size=5).map(lambda v: np.array(v).reshape(-1, 1)),
            st.lists(st.sampled_from([0.0, 1.0, 2.0, -0.0]), max_size=4).map(np.array),
            nasty.filter(lambda v: not (isinstance(v, int) and 1000 < abs(v) < 2 ** 63))))
        valid = {"x": labels, "num_classes": data.draw(st.sampled_from([None, 7, 10]))}
        args, bad = _maybe(data, valid, ["num_classes"], 0.4)
        if bad:
            args["num_classes"] = data.draw(nasty_count)
            if not accepts(lambda: utils.to_categorical(valid["x"])):
                bad = None    # x is refused for its own reason
        ok, out = rule(lambda: utils.to_categorical(**args), bad)
        if ok:
            lab = np.asarray(args["x"])
            if lab.ndim > 1 and lab.shape[-1] == 1:
                lab = lab.reshape(lab.shape[:-1])
            assert out.dtype == np.float64 and out.shape[:-1] == lab.shape  # Keras 3: float64 for NumPy input
            if lab.size:
                np.testing.assert_array_equal(out.sum(axis=-1), 1)
                np.testing.assert_array_equal(out.argmax(axis=-1), lab.astype(np.int64))
        return
    value = data.draw(nasty_count)
    if which == "set_num_threads":
        old = fastnn.get_num_threads()
        try:
            ok, _ = rule(lambda: fastnn.set_num_threads(value), "n")
            if ok:
                assert fastnn.get_num_threads() == value
        finally:
            fastnn.set_num_threads(old)
        return
    if which == "epoch_orders":
        count, n = data.draw(st.sampled_from([value, 2])), data.draw(st.sampled_from([value, 5]))
        ok, out = rule(lambda: utils.epoch_orders(count, n, data.draw(st.booleans())),
                       ("count", "n"))
        if ok:
            assert out.shape == (count, n)
            for row in out:
                np.testing.assert_array_equal(np.sort(row), np.arange(n))
        return
    if which == "activations.get":
        ok, out = rule(lambda: activations.get(value), "activation")
        assert not ok or callable(out)
        return
    if which == "activations.serialize":
        ok, out = rule(lambda: activations.serialize(value), "activation")
        assert not ok or isinstance(out, str)
        return
    call = {"set_random_seed": utils.set_random_seed, "seed_generator": utils.seed_generator,
            "random.set_seed": fastnn.random.set_seed}[which]
    ok, _ = rule(lambda: call(value), "seed")
    if ok:   # the same seed, the same numbers
        a = utils.get_rng().normal()
        call(value)
        assert utils.get_rng().normal() == a


# ============================================ group: optimizers and schedules
OPTIMIZER_ARGS = {
    optimizers.SGD: ("learning_rate", "momentum", "nesterov", "weight_decay", "clipnorm",
                     "clipvalue", "global_clipnorm", "name"),
    optimizers.Adam: ("learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad", "weight_decay",
                      "clipnorm", "clipvalue", "global_clipnorm", "name"),
    optimizers.AdamW: ("learning_rate", "weight_decay", "beta_1", "beta_2", "epsilon", "amsgrad",
                       "clipnorm", "clipvalue", "global_clipnorm", "name"),
    optimizers.RMSprop: ("learning_rate", "rho", "momentum", "epsilon", "centered",
                         "weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "name"),
    optimizers.Adagrad: ("learning_rate", "initial_accumulator_value", "epsilon", "weight_decay",
                         "clipnorm", "clipvalue", "global_clipnorm", "name"),
    optimizers.Adadelta: ("learning_rate", "rho", "epsilon", "weight_decay", "clipnorm",
                          "clipvalue", "global_clipnorm", "name"),
    optimizers.Lion: ("learning_rate", "beta_1", "beta_2", "weight_decay", "clipnorm",
                      "clipvalue", "global_clipnorm", "name"),
    optimizers.Ftrl: ("learning_rate", "learning_rate_power", "initial_accumulator_value",
                      "l1_regularization_strength", "l2_regularization_strength",
                      "l2_shrinkage_regularization_strength", "beta", "weight_decay",
                      "clipnorm", "clipvalue", "global_clipnorm", "name"),
}
# the options every optimizer takes from Keras' base optimizer
for _cls in OPTIMIZER_ARGS:
    OPTIMIZER_ARGS[_cls] += ("use_ema", "ema_momentum", "ema_overwrite_frequency",
                             "gradient_accumulation_steps")


def _steps_stay_finite(opt, dtype=np.float64, steps=2):
    """Steps from finite weights and gradients (a zero among them), each from fresh
    weights (the slots carry on): the weights stay finite, or the step is refused
    (ValueError naming the learning rate) and nothing changed. Only where the rate is at
    most 1e300: a step of RMSprop is about 3.2 lr, so a rate near the largest float
    overflows by arithmetic, as it would in Keras."""
    w = np.empty(4, dtype)
    b = np.empty(1, dtype)
    for _ in range(steps):
        w[...] = [1.0, -2.0, 0.0, 3.0]
        b[...] = 0.5
        before = (w.copy(), b.copy())
        ok, lr = rule(lambda: float(opt.learning_rate), ("learning rate", "learning_rate"))
        ok, _ = rule(lambda: opt.apply([np.array([0.5, 0.0, -1.0, 1e-3], dtype),
                                        np.zeros(1, dtype)], [w, b]),
                     ("learning rate", "learning_rate", "step size"))
        if not ok:
            np.testing.assert_array_equal(w, before[0])
            return
        if isinstance(lr, float) and lr <= 1e300:
            assert np.isfinite(w).all() and np.isfinite(b).all(), (opt.get_config(), w, b)


@fuzz(300)
@given(data=st.data())
def fuzz_optimizers(data):
    cls = data.draw(st.sampled_from(list(OPTIMIZER_ARGS)))
    arg = data.draw(st.sampled_from(OPTIMIZER_ARGS[cls]))
    if arg == "learning_rate" and data.draw(st.booleans()):
        v = data.draw(nasty)
        value = lambda step: v  # noqa: E731  (a callable rate giving a nasty value)
        ok, opt = rule(lambda: cls(learning_rate=value), arg)
        assert ok
        ok, lr = rule(lambda: opt.learning_rate, "learning_rate")
        assert not ok or isinstance(lr, float)
    else:
        value = data.draw(nasty, label=arg)
        ok, opt = rule(lambda: cls(**{arg: value}), arg)
        if not ok:
            return
        cfg = opt.get_config()
        assert all(v is None or isinstance(v, (bool, str, float, int)) for v in cfg.values()), cfg
        assert type(opt).from_config(cfg).get_config() == cfg
    _steps_stay_finite(opt)


SCHEDULES = {
    schedules.ExponentialDecay: (dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.96),
                                 ("initial_learning_rate", "decay_steps", "decay_rate",
                                  "staircase", "name")),
    schedules.InverseTimeDecay: (dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5),
                                 ("initial_learning_rate", "decay_steps", "decay_rate",
                                  "staircase", "name")),
    schedules.CosineDecay: (dict(initial_learning_rate=0.1, decay_steps=100, warmup_target=0.5,
                                 warmup_steps=5),
                            ("initial_learning_rate", "decay_steps", "alpha", "name",
                             "warmup_target", "warmup_steps")),
    schedules.PolynomialDecay: (dict(initial_learning_rate=0.1, decay_steps=10, cycle=True),
                                ("initial_learning_rate", "decay_steps", "end_learning_rate",
                                 "power", "cycle", "name")),
    schedules.CosineDecayRestarts: (dict(initial_learning_rate=0.1, first_decay_steps=10),
                                    ("initial_learning_rate", "first_decay_steps", "t_mul",
                                     "m_mul", "alpha", "name")),
    schedules.PiecewiseConstantDecay: (dict(boundaries=[10, 20], values=[0.1, 0.01, 0.001]),
                                       ("boundaries", "values", "name")),
}


@fuzz(300)
@given(data=st.data())
def fuzz_schedules(data):
    cls = data.draw(st.sampled_from(list(SCHEDULES)))
    valid, names = SCHEDULES[cls]
    arg = data.draw(st.sampled_from(names))
    if arg in ("boundaries", "values"):
        value = data.draw(st.one_of(nasty, st.lists(st.one_of(scalars, st.floats(),
                                                              st.integers(-50, 50)), max_size=4)))
    else:
        value = data.draw(nasty)
    ok, s = rule(lambda: cls(**dict(valid, **{arg: value})),
                 (arg, "boundaries") if arg == "values" else arg)
    if not ok:
        return
    assert cls.from_config(s.get_config()).get_config() == s.get_config()
    for step in [0, 1, 9, 10, 11, 1000, 10 ** 6, data.draw(nasty, label="step")]:
        ok, lr = rule(lambda: s(step), ("step", "learning rate"))
        if ok:
            assert isinstance(lr, numbers.Real) and math.isfinite(lr) and lr >= 0, (step, lr)
    _steps_stay_finite(optimizers.SGD(s), steps=2)
    _steps_stay_finite(optimizers.Adam(s), steps=2)


# ============================ group: initializers, regularizers, losses, metrics
INITIALIZERS = {c: a for c, a in [
    (initializers.Zeros, ()), (initializers.Ones, ()), (initializers.Constant, ("value",)),
    (initializers.RandomNormal, ("mean", "stddev", "seed")),
    (initializers.RandomUniform, ("minval", "maxval", "seed")),
    (initializers.TruncatedNormal, ("mean", "stddev", "seed")),
    (initializers.VarianceScaling, ("scale", "mode", "distribution", "seed")),
    (initializers.GlorotUniform, ("seed",)), (initializers.GlorotNormal, ("seed",)),
    (initializers.HeNormal, ("seed",)), (initializers.HeUniform, ("seed",)),
    (initializers.LecunNormal, ("seed",)), (initializers.LecunUniform, ("seed",))]}


@fuzz(300)
@given(data=st.data())
def fuzz_initializers(data):
    cls = data.draw(st.sampled_from(list(INITIALIZERS)))
    kw, bad = {}, None
    if INITIALIZERS[cls] and data.draw(st.booleans()):
        bad = data.draw(st.sampled_from(INITIALIZERS[cls]))
        kw[bad] = data.draw(nasty, label=bad)
    ok, init = rule(lambda: cls(**kw), bad)
    if not ok:
        return
    assert type(init).from_config(init.get_config()).get_config() == init.get_config()
    shape = data.draw(st.one_of(st.sampled_from([(3, 4), (5,), (), (0, 3), (2, 3, 4), [2, 2], 3]),
                                nasty_count))
    dtype = data.draw(st.sampled_from(["float32", "float64", np.float16, None, "int32",
                                       np.dtype("float32"), "complex64", "nope", 3, object]))
    ok, out = rule(lambda: init(shape, dtype=dtype), ("shape", "dtype", "value", "mean",
                                                      "stddev", "minval", "scale"))
    if not ok:
        return
    want = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    assert isinstance(out, np.ndarray) and out.shape == want
    assert out.dtype == (np.dtype(dtype) if dtype is not None else np.float32)
    assert np.isfinite(out).all()
    if getattr(init, "seed", None) is not None:
        np.testing.assert_array_equal(out, init(shape, dtype=dtype))


@fuzz(200)
@given(data=st.data())
def fuzz_regularizers(data):
    cls = data.draw(st.sampled_from([regularizers.L1, regularizers.L2, regularizers.L1L2]))
    names = {regularizers.L1: ("l1",), regularizers.L2: ("l2",),
             regularizers.L1L2: ("l1", "l2")}[cls]
    kw, bad = {}, None
    if data.draw(st.booleans()):
        bad = data.draw(st.sampled_from(names))
        kw[bad] = data.draw(nasty, label=bad)
    ok, reg = rule(lambda: cls(**kw), bad)
    if not ok:
        return
    assert type(reg).from_config(reg.get_config()).get_config() == reg.get_config()
    w = data.draw(st.one_of(valid_array((3, 2)), nasty), label="w")
    wdt = _act_dtype(w)   # converted as fastnn.ops converts
    ok, val = rule(lambda: reg(w), "w")
    if ok:
        wf = as_op(w, wdt).astype(np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            ref = (reg.l1 * np.abs(wf).sum() if reg.l1 else 0.0) + \
                (reg.l2 * np.square(wf).sum() if reg.l2 else 0.0)
        assert isinstance(val, float)
        assert val == pytest.approx(ref, rel=1e-6, nan_ok=True), (val, ref)
    ok, g = rule(lambda: reg.grad(w), "w")
    if ok:
        wt = as_op(w, wdt)
        with np.errstate(over="ignore", invalid="ignore"):
            ref = (reg.l1 * np.sign(wt) if reg.l1 else 0) + (2 * reg.l2 * wt if reg.l2 else 0)
            ref = ref + np.zeros_like(wt)
        close(g, ref, wt.dtype, "grad")


LOSS_CLASSES = {losses.BinaryCrossentropy: ("from_logits", "name", "reduction"),
                losses.CategoricalCrossentropy: ("from_logits", "name", "reduction"),
                losses.SparseCategoricalCrossentropy: ("from_logits", "name", "reduction"),
                losses.MeanSquaredError: ("name", "reduction"),
                losses.MeanAbsoluteError: ("name", "reduction"),
                losses.Huber: ("delta", "name", "reduction")}


@fuzz(250)
@given(data=st.data())
def fuzz_losses(data):
    cls = data.draw(st.sampled_from(list(LOSS_CLASSES)))
    kw, bad = {}, None
    if data.draw(st.booleans()):
        bad = data.draw(st.sampled_from(LOSS_CLASSES[cls]))
        kw[bad] = data.draw(st.one_of(nasty, st.sampled_from(["sum", "none"])), label=bad)
    ok, loss = rule(lambda: cls(**kw), bad)
    if not ok:
        return
    n, k = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    y_true, y_pred = _loss_data(data, loss._op, n, k)
    valid = {"y_true": y_true, "y_pred": y_pred,
             "sample_weight": data.draw(st.sampled_from([None, np.ones(n), 2.0]))}
    args, bad = _maybe(data, valid, list(valid), fn=loss,
                       related=("y_true", "y_pred", "sample_weight"))
    ok, out = rule(lambda: loss(**args), bad)
    if not ok:
        return
    # finite inputs in the dtype the loss computes in (y_true is cast to y_pred's)
    dt = _act_dtype(args["y_pred"])
    finite_in = all_finite(*(as_op(v, dt) if _real_floats(v) is not None else v
                             for v in (args["y_true"], args["y_pred"])))
    finite_in = finite_in and (args["sample_weight"] is None or all_finite(args["sample_weight"]))
    if isinstance(loss, (losses.CategoricalCrossentropy, losses.SparseCategoricalCrossentropy)) \
            and not loss.from_logits:
        # Keras divides each row of probabilities by its sum: a row of zeros is 0/0
        rows = _real_floats(args["y_pred"])
        finite_in = finite_in and rows.ndim == 2 and bool(np.all(rows.sum(axis=-1) != 0))
    if loss.reduction in ("none", None):
        assert isinstance(out, np.ndarray) and out.shape == (n,), getattr(out, "shape", out)
    else:
        assert isinstance(out, float)
    if finite_in and moderate(*(v for v in args.values() if v is not None)):
        assert np.isfinite(out).all(), (out, args)


METRIC_CLASSES = {metrics.Mean: ("name", "dtype"),
                  metrics.BinaryAccuracy: ("name", "dtype", "threshold"),
                  metrics.SparseCategoricalAccuracy: ("name", "dtype"),
                  metrics.CategoricalAccuracy: ("name", "dtype"),
                  metrics.MeanSquaredError: ("name", "dtype"),
                  metrics.MeanAbsoluteError: ("name", "dtype")}


@fuzz(250)
@given(data=st.data())
def fuzz_metrics(data):
    cls = data.draw(st.sampled_from(list(METRIC_CLASSES)))
    kw, bad = {}, None
    if data.draw(st.booleans()):
        bad = data.draw(st.sampled_from(METRIC_CLASSES[cls]))
        kw[bad] = data.draw(nasty, label=bad)
    ok, m = rule(lambda: cls(**kw), bad)
    if not ok:
        return
    n, k = data.draw(st.integers(1, 3)), data.draw(st.integers(1, 3))
    if cls is metrics.Mean:
        valid = {"values": data.draw(valid_array((n,)))}
    elif cls is metrics.SparseCategoricalAccuracy:
        valid = {"y_true": np.arange(n) % k, "y_pred": data.draw(valid_array((n, k), 0, 1))}
    elif cls is metrics.CategoricalAccuracy:
        valid = {"y_true": np.eye(k)[np.arange(n) % k], "y_pred": data.draw(valid_array((n, k), 0, 1))}
    else:
        valid = {"y_true": data.draw(valid_array((n, k), 0, 1, integers=True)),
                 "y_pred": data.draw(valid_array((n, k), 0, 1))}
    valid["sample_weight"] = data.draw(st.sampled_from([None, np.linspace(0.5, 1, n), 1.0]))
    args, bad = _maybe(data, valid, list(valid), fn=type(m)(**kw).update_state,
                       related=("y_true", "y_pred", "sample_weight", "values"))
    ok, _ = rule(lambda: m.update_state(**args), bad)
    r = m.result()
    assert isinstance(r, float) and hasattr(r, "numpy")
    if ok and moderate(*(v for v in args.values() if v is not None)):
        assert math.isfinite(r)
        sw = args["sample_weight"]
        if "accuracy" in m._default_name and (sw is None or np.min(sw) >= 0):
            assert 0 <= r <= 1, r
    if not ok:
        assert r == 0.0 and m.count == 0   # a refused update adds nothing



_IOU_ARGS = ("num_classes", "name", "dtype", "ignore_class", "sparse_y_true", "sparse_y_pred",
             "axis")
STATE_METRICS = {
    metrics.IoU: (dict(num_classes=3, target_class_ids=[0, 2]),
                  _IOU_ARGS + ("target_class_ids",)),
    metrics.BinaryIoU: (dict(), ("target_class_ids", "threshold", "name", "dtype")),
    metrics.MeanIoU: (dict(num_classes=3), _IOU_ARGS),
    metrics.OneHotIoU: (dict(num_classes=3, target_class_ids=[1]),
                        ("num_classes", "target_class_ids", "name", "dtype", "ignore_class",
                         "sparse_y_pred", "axis")),
    metrics.OneHotMeanIoU: (dict(num_classes=3), ("num_classes", "name", "dtype",
                                                  "ignore_class", "sparse_y_pred", "axis")),
    metrics.PearsonCorrelation: (dict(), ("name", "dtype", "axis")),
    metrics.ConcordanceCorrelation: (dict(), ("name", "dtype", "axis")),
}


@fuzz(250)
@given(data=st.data())
def fuzz_iou_correlation_metrics(data):
    """The IoU and correlation metrics: bad arguments and inputs refused naming them, a
    refused update leaves the state as it was, configs round-trip, results are finite
    (IoU within [0, 1] for non-negative weights)."""
    cls = data.draw(st.sampled_from(list(STATE_METRICS)))
    base, names = STATE_METRICS[cls]
    kw, bad = dict(base), None
    if data.draw(st.booleans()):
        bad = data.draw(st.sampled_from(names))
        kw[bad] = data.draw(nasty, label=bad)
    ok, m = rule(lambda: cls(**kw), bad)
    if not ok:
        return
    cfg = m.get_config()
    assert type(m).from_config(cfg).get_config() == cfg
    n = data.draw(st.integers(1, 4))
    iou = isinstance(m, metrics.IoU)
    valid = {"y_true": data.draw(valid_array((n, 3), 0, 3, integers=True)),
             "y_pred": data.draw(valid_array((n, 3), 0, 3, integers=iou))}
    valid["sample_weight"] = data.draw(st.sampled_from([None, np.linspace(0.5, 1, n), 2]))
    if iou and valid["sample_weight"] is not None and np.ndim(valid["sample_weight"]):
        valid["sample_weight"] = np.repeat(valid["sample_weight"], 3) \
            if m.sparse_y_true and m.sparse_y_pred else valid["sample_weight"]
    args, bad = _maybe(data, valid, list(valid), fn=type(m)(**kw).update_state,
                       related=("y_true", "y_pred", "sample_weight"))
    state = [np.array(v, copy=True) for v in m.variables]
    ok, _ = rule(lambda: m.update_state(**args), bad)
    if not ok:
        for a, b in zip(m.variables, state):
            np.testing.assert_array_equal(a, b)
    r = m.result()
    assert isinstance(r, float)
    if iou:
        assert math.isfinite(r)
        sw = args["sample_weight"]
        if ok and (sw is None or np.min(np.asarray(sw, float)) >= 0):
            assert 0 <= r <= 1 + 1e-6, r

# ================================================== group: callbacks (with fit)
def _tiny_model(seed=0, out="softmax", units=2, loss="sparse_categorical_crossentropy"):
    utils.set_random_seed(seed)
    m = fastnn.Sequential([layers.Input((3,)), layers.Dense(4, activation="relu"),
                           layers.Dense(units, activation=out)])
    m.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return m


XS = np.linspace(-1, 1, 24).reshape(8, 3).astype(np.float32)
YS = np.array([0, 1, 1, 0, 1, 0, 0, 1])

CALLBACKS = {
    callbacks.EarlyStopping: ({}, ("monitor", "min_delta", "patience", "verbose", "mode",
                                   "baseline", "restore_best_weights", "start_from_epoch")),
    callbacks.ReduceLROnPlateau: ({}, ("monitor", "factor", "patience", "verbose", "mode",
                                       "min_delta", "cooldown", "min_lr")),
    callbacks.ModelCheckpoint: ({"filepath": "ckpt.fastnn"},
                                ("filepath", "monitor", "verbose", "save_best_only",
                                 "save_weights_only", "mode", "save_freq",
                                 "initial_value_threshold")),
    callbacks.LearningRateScheduler: ({"schedule": lambda epoch, lr: lr * 0.5},
                                      ("schedule", "verbose")),
    callbacks.TerminateOnNaN: ({}, ("raise_error",)),
    callbacks.CSVLogger: ({"filename": "log.csv"}, ("filename", "separator", "append")),
    callbacks.TensorBoard: ({"log_dir": "tb_logs"}, ("log_dir", "histogram_freq", "write_graph",
                                                     "write_images", "write_steps_per_second",
                                                     "update_freq", "profile_batch",
                                                     "embeddings_freq", "embeddings_metadata")),
    callbacks.LambdaCallback: ({}, ("on_epoch_begin", "on_epoch_end", "on_train_begin",
                                    "on_train_end", "on_train_batch_begin",
                                    "on_train_batch_end")),
}


@fuzz(150)
@given(data=st.data())
def fuzz_callbacks(data):
    cls = data.draw(st.sampled_from(list(CALLBACKS)))
    valid, names = CALLBACKS[cls]
    arg = data.draw(st.sampled_from(names))
    value = data.draw(st.one_of(nasty, st.sampled_from(["val_loss", "loss", "accuracy", "max"])))
    moderate = True   # training diverges with a rate like 1e30, as it does in Keras
    if arg == "schedule" and data.draw(st.booleans()):
        v = value
        value = lambda epoch, lr: v  # noqa: E731  (a schedule giving a nasty rate)
        moderate = isinstance(v, (int, float)) and abs(v) <= 1
    kw = dict(valid, **{arg: value})
    ok, cb = rule(lambda: cls(**kw), arg)
    if not ok:
        return
    m = _tiny_model()
    before = m.get_weights()
    ok, hist = rule(lambda: m.fit(XS, YS, epochs=3, batch_size=4, validation_split=0.25,
                                  callbacks=[cb], verbose=0))
    if ok:
        assert not moderate or all(np.isfinite(w).all() for w in m.get_weights())
        assert 1 <= len(hist.history["loss"]) <= 3
    elif m.optimizer.iterations == 0:
        for a, b in zip(m.get_weights(), before):
            np.testing.assert_array_equal(a, b)


# ===================================================== group: layers' constructors
BASE = ("name", "trainable", "dtype", "input_shape", "input_dim", "batch_input_shape",
        "activity_regularizer")
LAYERS = {
    layers.Dense: ({"units": 2}, ("units", "activation", "use_bias", "kernel_initializer",
                                  "bias_initializer", "kernel_regularizer", "bias_regularizer")),
    layers.Activation: ({"activation": "relu"}, ("activation",)),
    layers.ReLU: ({}, ()),
    layers.LeakyReLU: ({}, ("negative_slope",)),
    layers.ELU: ({}, ("alpha",)),
    layers.PReLU: ({}, ("alpha_initializer", "alpha_regularizer", "alpha_constraint",
                        "shared_axes")),
    layers.Softmax: ({}, ("axis",)),
    layers.Dropout: ({"rate": 0.5}, ("rate", "noise_shape", "seed")),
    layers.BatchNormalization: ({}, ("axis", "momentum", "epsilon", "center", "scale",
                                     "beta_initializer", "gamma_initializer",
                                     "moving_mean_initializer", "moving_variance_initializer")),
    layers.Normalization: ({}, ("axis", "mean", "variance", "invert")),
    layers.Flatten: ({}, ()),
    layers.Identity: ({}, ()),
    layers.Reshape: ({"target_shape": (3,)}, ("target_shape",)),
    layers.Permute: ({"dims": (1,)}, ("dims",)),
    layers.RepeatVector: ({"n": 2}, ("n",)),
    layers.Rescaling: ({"scale": 0.5}, ("scale", "offset")),
    layers.LayerNormalization: ({}, ("axis", "epsilon", "center", "scale", "beta_initializer",
                                     "gamma_initializer")),
    layers.UnitNormalization: ({}, ("axis",)),
    layers.RMSNormalization: ({}, ("axis", "epsilon")),
    layers.GaussianNoise: ({"stddev": 0.1}, ("stddev", "seed")),
    layers.GaussianDropout: ({"rate": 0.5}, ("rate", "seed")),
    layers.AlphaDropout: ({"rate": 0.5}, ("rate", "noise_shape", "seed")),
    layers.ActivityRegularization: ({}, ("l1", "l2")),
    layers.Embedding: ({"input_dim": 5, "output_dim": 2},
                       ("input_dim", "output_dim", "embeddings_initializer",
                        "embeddings_regularizer", "mask_zero")),
    layers.GlobalAveragePooling1D: ({}, ("data_format", "keepdims")),
    layers.GlobalMaxPooling1D: ({}, ("data_format", "keepdims")),
    layers.CategoryEncoding: ({"num_tokens": 4}, ("num_tokens", "output_mode", "sparse")),
    layers.Discretization: ({"bin_boundaries": [0.0, 0.5]},
                            ("bin_boundaries", "num_bins", "epsilon", "output_mode")),
    layers.IntegerLookup: ({"vocabulary": [1, 2, 3]},
                           ("max_tokens", "num_oov_indices", "mask_token", "oov_token",
                            "vocabulary", "invert", "output_mode")),
    layers.StringLookup: ({"vocabulary": ["a", "b", "c"]},
                          ("max_tokens", "num_oov_indices", "mask_token", "oov_token",
                           "vocabulary", "invert", "output_mode", "encoding")),
    layers.Hashing: ({"num_bins": 3}, ("num_bins", "mask_value", "salt", "output_mode")),
    layers.Masking: ({}, ("mask_value",)),
}
LAYERS = {c: (v, names + BASE) for c, (v, names) in LAYERS.items()}
# layers whose call draws noise only in training
_NOISY = (layers.Dropout, layers.GaussianNoise, layers.GaussianDropout, layers.AlphaDropout)
SHAPE_ARGS = ("input_shape", "input_dim", "batch_input_shape", "shape", "batch_shape",
              "noise_shape")
# A shape: the pool, or a tuple of the pool's scalars and small ints; no mid-size ints,
# which are valid sizes of arrays too large to allocate.
nasty_shape = st.one_of(nasty_count, st.lists(
    st.one_of(nasty_count.filter(lambda v: not isinstance(v, (np.ndarray, list, tuple, dict))),
              st.integers(-1, 4)), min_size=1, max_size=3).map(tuple))


def _layer_value(data, arg):
    if arg in SHAPE_ARGS:
        return data.draw(nasty_shape, label=arg)
    return data.draw(nasty_count if arg == "units" else nasty, label=arg)
# ------------------------------------------------ known defects in others' files
# Found by this suite in the layers (fastnn/layers/) and the models' fit/predict
# (fastnn/models, fastnn/trainers), files this suite's author does not own: their owners
# were sent each case with code to reproduce it, and the properties skip exactly these
# examples until they are fixed. Delete a line once its case is fixed, and the property
# covers it again.
def _array(v):
    return isinstance(v, np.ndarray) and v.ndim > 0


def _huge_int(v):
    """A Python int that NumPy holds as an object (beyond int64/uint64)."""
    return isinstance(v, int) and not isinstance(v, bool) and not -2 ** 63 <= v < 2 ** 64


def _beyond_float32(v):
    """A finite real number too large for float32 (1e300)."""
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real) or _huge_int(v):
        return False
    return math.isfinite(float(v)) and abs(float(v)) > 3.4e38


def _not_a_dtype(v):
    try:
        np.dtype(v)
        return False
    except Exception:
        return True


def _shape_not_ints(v):
    """A shape argument holding something that is not an int (inf, 2.7, 1e300)."""
    if isinstance(v, np.ndarray) and v.ndim == 0:   # "iteration over a 0-d array"
        return True
    items = v if isinstance(v, (tuple, list)) else (v,)
    return any(not (d is None or isinstance(d, (int, np.integer))) or
               isinstance(d, (bool, np.bool_)) or _huge_int(d) for d in items) or \
        isinstance(v, (tuple, list)) and len(v) == 0


KNOWN_LAYERS = []     # (cls, arg, value) -> known defect; none are left


def layer_known(cls, arg, value):
    return any(k(cls, arg, value) for k in KNOWN_LAYERS)


@fuzz(250)
@given(data=st.data())
def fuzz_layers(data):
    cls = data.draw(st.sampled_from(list(LAYERS)))
    valid, names = LAYERS[cls]
    arg = data.draw(st.sampled_from(names))
    value = _layer_value(data, arg)
    if layer_known(cls.__name__, arg, value):
        return
    ok, layer = rule(lambda: cls(**dict(valid, **{arg: value})), arg)
    if not ok:
        return
    x = np.linspace(-1, 1, 12).reshape(4, 3).astype(np.float32)
    ok, out = rule(lambda: layer(x, training=True) if cls in _NOISY else layer(x))
    if ok:
        out = np.asarray(out)
        assert np.isfinite(out).all(), (cls.__name__, arg, value, out)
        assert out.shape[0] == 4


@fuzz(120)
@given(data=st.data())
def fuzz_input(data):
    arg = data.draw(st.sampled_from(["shape", "batch_size", "dtype", "name", "batch_shape"]))
    value = _layer_value(data, arg)
    if layer_known("Input", arg, value):
        return
    kw = dict({"shape": (3,)}, **{arg: value})
    if arg == "batch_shape":
        del kw["shape"]
    ok, inp = rule(lambda: layers.Input(**kw), (arg, "shape") if arg == "batch_shape" else arg)
    if not ok:
        return
    ok, m = rule(lambda: fastnn.Sequential([inp, layers.Dense(2)]))
    if ok:
        out = m.predict(XS, verbose=0) if m.input_shape[1:] == (3,) else None
        assert out is None or np.isfinite(out).all()


# ========================================= group: fit / predict / evaluate arguments
FIT_ARGS = ("x", "y", "batch_size", "epochs", "verbose", "validation_split", "class_weight",
            "sample_weight", "shuffle", "validation_data", "initial_epoch",
            "validation_batch_size", "validation_freq", "callbacks", "steps_per_epoch")


def _ragged(v):
    try:
        np.asarray(v)
        return False
    except ValueError:
        return True


# Known defects in the models' fit/evaluate/predict (fastnn/models, fastnn/trainers),
# reported as those of the layers are (see KNOWN_LAYERS above).
KNOWN_CALLS = [
    # fit(x={}) / evaluate(x={}): "sequential: the model takes one array of inputs, got
    # dict []" names the model, not x
    (lambda call, arg, v: arg == "x" and isinstance(v, dict) and not v),
]


def call_known(call, arg, value):
    return any(k(call, arg, value) for k in KNOWN_CALLS)


def _fit_value(data, arg):
    if arg == "epochs":
        return data.draw(nasty_count, label=arg)
    if arg == "class_weight":
        return data.draw(st.one_of(
            nasty, st.dictionaries(st.one_of(st.integers(-1, 3), scalars), st.one_of(scalars, st.floats()),
                                   max_size=3)), label=arg)
    if arg == "validation_data":
        return data.draw(st.one_of(nasty, st.tuples(st.one_of(arrays, st.just(XS)),
                                                    st.one_of(arrays, st.just(YS)))), label=arg)
    if arg == "callbacks":
        return data.draw(st.one_of(nasty, st.lists(nasty, max_size=2)), label=arg)
    if arg in ("x", "y", "sample_weight"):
        return data.draw(st.one_of(nasty, _xy_variant(arg)), label=arg)
    return data.draw(nasty, label=arg)


def _xy_variant(arg):
    """Valid-looking x, y or sample weights in every dtype and layout, some with a row
    or a value too many."""
    base = {"x": XS, "y": YS, "sample_weight": np.linspace(0.5, 2, 8)}[arg]
    return st.sampled_from([
        base.astype(np.float64), base.astype(np.float16), base.astype(np.int8),
        base.tolist(), base[:-1], np.asfortranarray(base), _read_only(base),
        np.repeat(base, 2, axis=-1)[..., ::2] if base.ndim > 1 else base[::-1],
        base.astype(np.float64) * 1e300, base.reshape(base.shape + (1,)),
        base.astype(np.bool_), base.astype(np.uint64), base.astype(np.longdouble)])


def _unchanged(m, before, what):
    for a, b in zip(m.get_weights(), before):
        np.testing.assert_array_equal(a, b, err_msg=f"a refused {what} changed the weights")
    assert m.optimizer is None or m.optimizer.iterations == 0, f"a refused {what} stepped"


@fuzz(300)
@given(data=st.data())
def fuzz_fit(data):
    arg = data.draw(st.sampled_from(FIT_ARGS))
    value = _fit_value(data, arg)
    if call_known("fit", arg, value):
        return
    kw = {"x": XS, "y": YS, "epochs": 2, "batch_size": 4, "verbose": 0}
    kw[arg] = value
    m = _tiny_model()
    before = m.get_weights()
    ok, hist = rule(lambda: m.fit(**kw), arg if arg != "callbacks" else ("callbacks", "Callback"))
    if not ok:
        _unchanged(m, before, "fit")
        return
    x = _real_floats(kw["x"])
    if x is not None and np.isfinite(x.astype(np.float32)).all():
        for w in m.get_weights():
            assert np.isfinite(w).all(), f"fit({arg}={value!r}) made the weights non-finite"
    assert isinstance(hist.history, dict)


@fuzz(300)
@given(data=st.data())
def fuzz_predict_evaluate(data):
    call = data.draw(st.sampled_from(["predict", "evaluate", "train_on_batch", "test_on_batch",
                                      "predict_on_batch", "__call__"]))
    names = {"predict": ("x", "batch_size", "verbose", "steps", "callbacks"),
             "evaluate": ("x", "y", "batch_size", "verbose", "sample_weight", "steps",
                          "callbacks", "return_dict"),
             "train_on_batch": ("x", "y", "sample_weight", "class_weight", "return_dict"),
             "test_on_batch": ("x", "y", "sample_weight", "return_dict"),
             "predict_on_batch": ("x",), "__call__": ("x",)}[call]
    arg = data.draw(st.sampled_from(names))
    value = _fit_value(data, arg)
    if call_known(call, arg, value):
        return
    kw = {"x": XS}
    if "y" in names:
        kw["y"] = YS
    if "verbose" in names:
        kw["verbose"] = 0
    kw[arg] = value
    m = _tiny_model()
    before = m.get_weights()
    ok, out = rule(lambda: getattr(m, call)(**kw), arg)
    if not ok:
        _unchanged(m, before, call)
        return
    if call in ("predict", "predict_on_batch", "__call__"):
        out = np.asarray(out)
        x = _real_floats(kw["x"])
        assert out.ndim == 2 and out.shape[1] == 2 and out.dtype == np.float32
        if x is not None and np.isfinite(x.astype(np.float32)).all():
            assert np.isfinite(out).all()
            np.testing.assert_allclose(out.sum(axis=1), 1, rtol=1e-5)
    else:
        vals = list(out.values()) if isinstance(out, dict) else np.atleast_1d(out).tolist()
        assert all(isinstance(v, float) for v in vals)
        if call != "train_on_batch":
            _unchanged(m, before, call + " (which never trains)")


# ============================================================== the pytest side
GROUPS = {
    "ops": [fuzz_ops_activations, fuzz_ops_activation_forward_and_grad, fuzz_ops_matmul_dense,
            fuzz_ops_losses, fuzz_ops_updates],
    "activations_nn_utils": [fuzz_activations, fuzz_nn, fuzz_utils],
    "optimizers_schedules": [fuzz_optimizers, fuzz_schedules],
    "initializers_regularizers_losses_metrics": [fuzz_initializers, fuzz_regularizers,
                                                 fuzz_losses, fuzz_metrics,
                                                 fuzz_iou_correlation_metrics],
    "callbacks": [fuzz_callbacks],
    "layers": [fuzz_layers, fuzz_input],
    "fit_predict_evaluate": [fuzz_fit, fuzz_predict_evaluate],
}


def run_group(name):
    """Run one group's properties here (what each child process does)."""
    fastnn.set_num_threads(1)
    warnings.simplefilter("ignore")   # the reference's overflow warnings and the like
    try:   # an argument that slips through as a huge size: MemoryError, not the OOM killer
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (8 * 2 ** 30, resource.RLIM_INFINITY))
    except (ImportError, ValueError, OSError):
        pass
    for prop in GROUPS[name]:
        t = time.perf_counter()
        prop()
        print(f"{prop.__name__}: {time.perf_counter() - t:.1f} s", flush=True)


_HERE = os.path.dirname(os.path.abspath(__file__))
_CHILDREN = {}


def _start(name, workdir):
    code = (f"import sys; sys.path.insert(0, {_HERE!r}); import test_fuzz_api as t; "
            f"t.run_group({name!r})")
    env = dict(os.environ, PYTHONFAULTHANDLER="1", OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-c", code], cwd=workdir, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope="module")
def children(request, tmp_path_factory):
    """One child per group, all started at once (only the groups selected to run)."""
    wanted = [item.callspec.params["group"] for item in request.session.items
              if item.originalname == "test_fuzz_group" and hasattr(item, "callspec")]
    for name in wanted or GROUPS:
        if name not in _CHILDREN:
            _CHILDREN[name] = _start(name, str(tmp_path_factory.mktemp(f"fuzz_{name}")))
    yield _CHILDREN
    for p in _CHILDREN.values():
        if p.poll() is None:
            p.kill()
    _CHILDREN.clear()


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_fuzz_group(group, children):
    proc = children.get(group) or _start(group, tempfile.mkdtemp())
    try:
        out, _ = proc.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        pytest.fail(f"fuzz group {group} ran past 300 s:\n{out[-6000:]}")
    if proc.returncode != 0:
        how = (f"died of signal {-proc.returncode}" if proc.returncode < 0
               else f"exited with {proc.returncode}")
        pytest.fail(f"fuzz group {group} {how}:\n{out[-12000:]}", pytrace=False)
