"""Every keras.ops function of fastnn.autodiff (the registry, fastnn/autodiff/registry.py):
forward against its NumPy reference in both float dtypes, first derivatives against
central finite differences in float64, second derivatives (nested tapes) against finite
differences of the first, and the float32 gradients against the float64 ones.

Tolerances. Central differences with step h have truncation error h^2 |f'''| / 6 and
rounding error ~ u |f| / h (u = 2.2e-16). With h = 1e-6 and |f|, |f'''| of order 10 on
these inputs (values within a few units), both stay below 1e-9, so rtol 1e-6 with
atol 1e-7 leaves a margin of 100. For second derivatives the difference quotient is of
tape gradients with h = 1e-5: truncation ~1e-9, rounding ~1e-11 per unit of gradient:
rtol 1e-5, atol 1e-6. float32 results carry u32 = 6e-8 per operation and at most a few
dozen operations and a condition number of ~10 here: rtol 1e-4 (forward, unless the
registry names a looser one for an op whose float32 kernel uses a polynomial
approximation) and, for the gradients compared with float64 ones, rtol 1e-3 with atol
1e-4 (sums of up to 24 terms of magnitude ~10).
"""
import numpy as np
import pytest

from fastnn.tensor import Tensor
from fastnn.autodiff import GradientTape, REGISTRY
from fastnn.autodiff.registry import FLOAT_KINDS

DEFAULT_SHAPE = (3, 4)


def _distinct(rng, shape, offset):
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.37 - 0.18 * n + offset +
            rng.uniform(-0.02, 0.02, n)).reshape(shape)


def _sample(kind, shape, rng, dtype, k_next, n_distinct):
    if kind == "x":
        a = rng.standard_normal(shape)
    elif kind == "pos":
        a = rng.uniform(0.5, 2.0, shape)
    elif kind == "unit":
        a = rng.uniform(-0.9, 0.9, shape)
    elif kind == "gt1":
        a = rng.uniform(1.2, 3.0, shape)
    elif kind == "nz":
        a = rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    elif kind == "prob":
        a = rng.uniform(0.05, 0.95, shape)
    elif kind == "distinct":
        a = _distinct(rng, shape, 0.13 * n_distinct)
    elif kind == "simplex":
        a = rng.uniform(0.1, 1.0, shape)
        a = a / a.sum(axis=-1, keepdims=True)
    elif kind == "onehot":
        a = np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])]
    elif kind == "spd":
        m = rng.standard_normal(shape)
        a = m @ np.swapaxes(m, -1, -2) / shape[-1] + np.eye(shape[-1])
    elif kind == "labels":
        return rng.integers(0, k_next, shape)
    elif kind == "int":
        return rng.integers(0, 3, shape)
    elif kind == "bool":
        return rng.random(shape) > 0.5
    else:
        raise AssertionError(f"unknown sample kind {kind!r}")
    return a.astype(dtype)


def _args(spec, dtype, seed=0):
    rng = np.random.default_rng(seed)
    shapes = spec.shapes or (DEFAULT_SHAPE,) * len(spec.args)
    out = []
    n_distinct = 0
    for i, (kind, shape) in enumerate(zip(spec.args, shapes)):
        k_next = shapes[i + 1][-1] if i + 1 < len(shapes) else 0
        out.append(_sample(kind, shape, rng, dtype, k_next, n_distinct))
        n_distinct += kind == "distinct"
    return out


def _cases():
    for name, spec in sorted(REGISTRY.items()):
        for i, case in enumerate(spec.cases):
            yield pytest.param(spec, case, id=f"{name}-{i}")


CASES = list(_cases())
GRAD_CASES = [c for c in CASES if c.values[0].grad]
NOGRAD_CASES = [c for c in CASES if not c.values[0].grad]


def _outputs(r):
    return list(r) if isinstance(r, (list, tuple)) else [r]


def test_registry_is_complete():
    """Each registered op names a NumPy reference and sample kinds the tests know."""
    assert len(REGISTRY) >= 100
    known = FLOAT_KINDS | {"labels", "int", "bool"}
    for name, spec in REGISTRY.items():
        assert spec.ref is not None, name
        assert set(spec.args) <= known, (name, spec.args)
        assert spec.shapes is None or len(spec.shapes) == len(spec.args), name


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("spec,case", CASES)
def test_forward_matches_numpy(spec, case, dtype):
    args = _args(spec, dtype)
    got = _outputs(spec.fn(*args, **case))
    want = _outputs(spec.ref(*args, **case))
    assert len(got) == len(want)
    rtol = spec.rtol if dtype == np.float32 else 1e-12
    for g, w in zip(got, want):
        assert isinstance(g, Tensor), type(g)
        w = np.asarray(w)
        assert g.shape == w.shape
        if w.dtype.kind in "fc":
            assert g.dtype == w.dtype
            np.testing.assert_allclose(np.asarray(g), w, rtol=rtol,
                                       atol=rtol * max(1.0, float(np.abs(w).max(initial=0))))
        else:
            np.testing.assert_array_equal(np.asarray(g), w)


def _loss_fn(spec, case, weights):
    def loss(*args):
        outs = _outputs(spec.fn(*args, **case))
        total = 0.0
        for o, w in zip(outs, weights):
            total = total + np.sum(np.asarray(o, np.float64) * w)
        return total
    return loss


def _weights(spec, case, args, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(np.shape(o)) for o in _outputs(spec.fn(*args, **case))]


def _tape_grads(spec, case, args, weights, diff):
    """Gradients of sum(op(args) * weights) with respect to args[i] for i in diff."""
    ts = [Tensor.__new__(Tensor, np.shape(a)) if False else np.asarray(a).view(Tensor)
          for a in args]
    with GradientTape() as tape:
        tape.watch([ts[i] for i in diff])
        outs = _outputs(spec.fn(*ts, **case))
        target = [o for o in outs]
    grads = tape.gradient(target, [ts[i] for i in diff],
                          output_gradients=[w.astype(np.asarray(o).dtype)
                                            for w, o in zip(weights, outs)],
                          unconnected_gradients="zero")
    return grads


def _fd(loss, args, i, h=1e-6):
    a = np.array(args[i], dtype=np.float64)
    g = np.zeros_like(a)
    for j in range(a.size):
        up = a.copy()
        up.flat[j] += h
        dn = a.copy()
        dn.flat[j] -= h
        au = list(args)
        au[i] = up
        ad = list(args)
        ad[i] = dn
        g.flat[j] = (loss(*au) - loss(*ad)) / (2 * h)
    return g


def _diff_args(spec):
    return [i for i, k in enumerate(spec.args) if k in FLOAT_KINDS]


@pytest.mark.parametrize("spec,case", GRAD_CASES)
def test_gradient_matches_finite_differences(spec, case):
    args = _args(spec, np.float64)
    weights = _weights(spec, case, args)
    diff = _diff_args(spec)
    grads = _tape_grads(spec, case, args, weights, diff)
    loss = _loss_fn(spec, case, weights)
    for i, g in zip(diff, grads):
        assert isinstance(g, Tensor) and g.shape == np.shape(args[i])
        assert g.dtype == np.float64
        np.testing.assert_allclose(np.asarray(g), _fd(loss, args, i), rtol=1e-6, atol=1e-7,
                                   err_msg=f"{spec.name}: gradient of argument {i}")


@pytest.mark.parametrize("spec,case", GRAD_CASES)
def test_float32_gradient_has_the_source_dtype(spec, case):
    args64 = _args(spec, np.float64)
    args32 = _args(spec, np.float32)
    weights = _weights(spec, case, args64)
    diff = _diff_args(spec)
    g64 = _tape_grads(spec, case, args64, weights, diff)
    g32 = _tape_grads(spec, case, args32, weights, diff)
    for a, b in zip(g32, g64):
        assert a.dtype == np.float32
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-3, atol=1e-4)


@pytest.mark.parametrize("spec,case", GRAD_CASES)
def test_second_derivatives_through_nested_tapes(spec, case):
    """d/dx of sum(v * d/dx sum(w * op(x))): the outer tape records the inner tape's
    backward pass; compared with finite differences of first-order tape gradients."""
    args = _args(spec, np.float64)
    weights = _weights(spec, case, args)
    diff = _diff_args(spec)
    rng = np.random.default_rng(2)
    vs = [rng.standard_normal(np.shape(args[i])) for i in diff]

    def inner_dot(*a):                     # sum_i v_i . grad_i, first order only
        gs = _tape_grads(spec, case, a, weights, diff)
        return sum(float(np.sum(np.asarray(g) * v)) for g, v in zip(gs, vs))

    ts = [np.asarray(a).view(Tensor) for a in args]
    with GradientTape() as outer:
        outer.watch([ts[i] for i in diff])
        with GradientTape() as inner:
            inner.watch([ts[i] for i in diff])
            outs = _outputs(spec.fn(*ts, **case))
        gs = inner.gradient(outs, [ts[i] for i in diff], output_gradients=weights,
                            unconnected_gradients="zero")
        s = sum(np.sum(g * v) for g, v in zip(gs, vs))
    second = outer.gradient(s, [ts[i] for i in diff], unconnected_gradients="zero")
    for i, h2 in zip(diff, second):
        np.testing.assert_allclose(np.asarray(h2), _fd(inner_dot, args, i, h=1e-5),
                                   rtol=1e-5, atol=1e-6,
                                   err_msg=f"{spec.name}: second derivative, argument {i}")


@pytest.mark.parametrize("spec,case", NOGRAD_CASES)
def test_non_differentiable_ops_record_nothing(spec, case):
    args = _args(spec, np.float64)
    diff = _diff_args(spec)
    ts = [np.asarray(a).view(Tensor) for a in args]
    with GradientTape(persistent=True) as tape:
        tape.watch([ts[i] for i in diff])
        outs = _outputs(spec.fn(*ts, **case))
    for o in outs:
        for i in diff:
            assert tape.gradient(o, ts[i]) is None
            z = tape.gradient(o, ts[i], unconnected_gradients="zero")
            np.testing.assert_array_equal(np.asarray(z), np.zeros(np.shape(args[i])))
