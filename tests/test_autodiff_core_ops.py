"""keras.ops' control flow (cond, switch, while_loop, fori_loop, scan,
associative_scan, map, vectorized_map), indexing (slice, slice_update, scatter,
scatter_update, unstack, get_item, saturate_cast) and linear algebra (keras.ops.linalg),
and the keras.ops.nn / numpy / linalg namespaces.

Each function against a NumPy reference in float32 and float64, and its gradients under
a GradientTape against central finite differences in float64 (h = 1e-6, rtol 1e-6,
atol 1e-7, as tests/test_autodiff_ops.py explains), with the float32 gradients close to
the float64 ones (rtol 1e-3, atol 1e-4). The functions taking functions, and the
linalg inputs that need a structure (symmetric positive-definite, triangular), are
tested here rather than through the registry's sample kinds.
"""
import importlib
import sys
import types

import numpy as np
import pytest

import fastnn
from fastnn import ops
from fastnn import _ops_namespaces
from fastnn.autodiff import GradientTape
from fastnn.tensor import Tensor

DTYPES = [np.float32, np.float64]


def _fd(loss, args, i, h=1e-6):
    a = np.array(args[i], dtype=np.float64)
    g = np.zeros_like(a)
    for j in range(a.size):
        up, dn = a.copy(), a.copy()
        up.flat[j] += h
        dn.flat[j] -= h
        au, ad = list(args), list(args)
        au[i], ad[i] = up, dn
        g.flat[j] = (loss(*au) - loss(*ad)) / (2 * h)
    return g


def _outs(r):
    if isinstance(r, dict):
        return [r[k] for k in sorted(r)]
    if isinstance(r, (list, tuple)):
        out = []
        for v in r:
            out.extend(_outs(v))
        return out
    return [r]


def _tape_grads(f, args, diff, weights):
    ts = [np.asarray(a).view(Tensor) for a in args]
    with GradientTape() as tape:
        tape.watch([ts[i] for i in diff])
        outs = _outs(f(*ts))
        total = 0.0
        for o, w in zip(outs, weights):
            total = total + ops.sum(ops.multiply(o, ops.cast(w, o.dtype)))
    return tape.gradient(total, [ts[i] for i in diff], unconnected_gradients="zero")


def check_gradients(f, args, diff=None, seed=1):
    """Tape gradients of sum(w * f(args)) against finite differences (float64), and
    the float32 gradients against the float64 ones."""
    args64 = [np.asarray(a, np.float64) if np.asarray(a).dtype.kind == "f" else a
              for a in args]
    diff = [i for i, a in enumerate(args64) if np.asarray(a).dtype.kind == "f"] \
        if diff is None else diff
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(np.shape(o)) for o in _outs(f(*args64))]

    def loss(*a):
        return float(sum(np.sum(np.asarray(o, np.float64) * w)
                         for o, w in zip(_outs(f(*a)), weights)))
    g64 = _tape_grads(f, args64, diff, weights)
    for i, g in zip(diff, g64):
        assert g.dtype == np.float64 and g.shape == np.shape(args64[i])
        np.testing.assert_allclose(np.asarray(g), _fd(loss, args64, i), rtol=1e-6,
                                   atol=1e-7, err_msg=f"gradient of argument {i}")
    args32 = [np.asarray(a, np.float32) if np.asarray(a).dtype.kind == "f" else a
              for a in args]
    g32 = _tape_grads(f, args32, diff, weights)
    for a, b in zip(g32, g64):
        assert a.dtype == np.float32
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-3, atol=1e-4)


def rng(seed=0):
    return np.random.default_rng(seed)


def spd(n, seed=0, batch=()):
    a = rng(seed).standard_normal(batch + (n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


# ===================================================================== control flow
def test_cond_runs_only_the_chosen_branch():
    calls = []
    t = lambda: calls.append("t") or 1  # noqa: E731
    f = lambda: calls.append("f") or 2  # noqa: E731
    assert ops.cond(True, t, f) == 1
    assert ops.cond(np.array(False), t, f) == 2
    assert ops.cond(ops.convert_to_tensor([1]), t, f) == 1
    assert calls == ["t", "f", "t"]


def test_cond_returns_structures_and_differentiates_the_branch():
    x = np.array([0.3, -1.2, 2.0])
    out = ops.cond(True, lambda: {"a": ops.exp(x), "b": (x, x * 2)}, lambda: None)
    assert set(out) == {"a", "b"} and isinstance(out["b"], tuple)
    np.testing.assert_allclose(out["a"], np.exp(x))
    check_gradients(lambda v: ops.cond(ops.sum(v) > 0, lambda: ops.sin(v) * v,
                                       lambda: ops.cos(v)), [x])
    check_gradients(lambda v: ops.cond(ops.sum(v) > 0, lambda: ops.sin(v) * v,
                                       lambda: ops.cos(v)), [-x])


def test_cond_errors():
    with pytest.raises(TypeError, match="cond: true_fn should be a callable"):
        ops.cond(True, 1, lambda: 2)
    with pytest.raises(ValueError, match=r"cond: pred must be a scalar.*\(2,\)"):
        ops.cond(np.array([True, False]), lambda: 1, lambda: 2)


def test_switch_clamps_the_index_and_passes_operands():
    branches = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b]
    assert [ops.switch(i, branches, 5, 3) for i in (-4, 0, 1, 2, 9)] == [8, 8, 2, 15, 15]
    assert ops.switch(np.int32(1), branches, 5, 3) == 2
    check_gradients(lambda v: ops.switch(1, [ops.exp, ops.sin], v), [np.array([0.5, -1.0])])
    with pytest.raises(TypeError, match="switch: branches must be a non-empty list"):
        ops.switch(0, [], 1)
    with pytest.raises(TypeError, match=r"switch: branches\[1\] should be a callable"):
        ops.switch(0, [abs, 3], 1)
    with pytest.raises(TypeError, match="switch: index must be an integer scalar"):
        ops.switch(0.5, [abs], 1)


def test_while_loop_structures():
    out = ops.while_loop(lambda i: i < 10, lambda i: i + 1, 0)
    assert isinstance(out, Tensor) and out.dtype == np.int32 and int(out) == 10
    out = ops.while_loop(lambda i, j: i < 10, lambda i, j: (i + 1, j * 2), (0, 1))
    assert isinstance(out, tuple) and [int(v) for v in out] == [10, 1024]
    out = ops.while_loop(lambda i, j: i < 3, lambda i, j: [i + 1, j + 0.5], [0, 1.0])
    assert isinstance(out, tuple) and int(out[0]) == 3 and float(out[1]) == 2.5
    assert out[1].dtype == np.float32
    out = ops.while_loop(lambda d: d["a"] < 4, lambda d: {"a": d["a"] + 1, "b": d["b"] * 2},
                         {"a": 0, "b": np.ones(2)})
    assert int(out["a"]) == 4
    np.testing.assert_array_equal(out["b"], [16.0, 16.0])
    # a one-element tuple whose body returns the bare value
    out = ops.while_loop(lambda i: i < 5, lambda i: i + 2, (0,))
    assert isinstance(out, tuple) and int(out[0]) == 6


def test_while_loop_maximum_iterations_and_errors():
    assert int(ops.while_loop(lambda i: i < 10, lambda i: i + 1, 0,
                              maximum_iterations=3)) == 3
    assert int(ops.while_loop(lambda i: i < 10, lambda i: i + 1, 0,
                              maximum_iterations=0)) == 0
    with pytest.raises(ValueError, match="while_loop: maximum_iterations must be >= 0"):
        ops.while_loop(lambda i: i < 10, lambda i: i + 1, 0, maximum_iterations=-1)
    with pytest.raises(TypeError, match="while_loop: body should be a callable"):
        ops.while_loop(lambda i: i < 10, None, 0)
    with pytest.raises(ValueError, match="while_loop: the value body returns must have "
                                         "the structure"):
        ops.while_loop(lambda i, j: i < 10, lambda i, j: (i + 1,), (0, 1))
    with pytest.raises(ValueError, match="while_loop: the value cond returns must be a "
                                         "scalar"):
        ops.while_loop(lambda v: v < 3, lambda v: v + 1, np.zeros(2))


def test_while_loop_gradient():
    # x <- x * 0.9 + sin(x) while sum(x) < 6, at most 4 times
    def f(x):
        return ops.while_loop(lambda v: ops.sum(v) < 6.0, lambda v: v * 0.9 + ops.sin(v),
                              x, maximum_iterations=4)
    check_gradients(f, [np.array([0.4, 0.7, 1.1])])


def test_fori_loop():
    assert ops.fori_loop(0, 10, lambda i, s: s + i, 0) == 45
    assert ops.fori_loop(3, 3, lambda i, s: s + i, 7) == 7
    assert ops.fori_loop(ops.convert_to_tensor(0), np.int64(4),
                         lambda i, s: (s[0] + i, s[1] * 2), (0, 1)) == (6, 16)
    check_gradients(lambda x: ops.fori_loop(0, 3, lambda i, v: v * ops.cos(v) + i, x),
                    [np.array([0.2, -0.5])])
    with pytest.raises(TypeError, match="fori_loop: upper must be an integer scalar"):
        ops.fori_loop(0, 2.5, lambda i, s: s, 0)
    with pytest.raises(TypeError, match="fori_loop: body_fun should be a callable"):
        ops.fori_loop(0, 2, None, 0)


def _np_scan(f, init, xs, reverse=False):
    carry, ys = init, []
    for x in (xs[::-1] if reverse else xs):
        carry, y = f(carry, x)
        ys.append(y)
    return carry, np.stack(ys[::-1] if reverse else ys)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reverse", [False, True])
def test_scan_matches_numpy(dtype, reverse):
    xs = rng().standard_normal((5, 3)).astype(dtype)
    init = np.ones(3, dtype)

    def step(c, x):
        return c * 0.5 + x, c * x
    carry, ys = ops.scan(step, init, xs, reverse=reverse)
    want_c, want_y = _np_scan(step, init, xs, reverse)
    assert carry.dtype == dtype and ys.dtype == dtype and ys.shape == (5, 3)
    np.testing.assert_allclose(carry, want_c, rtol=1e-6)
    np.testing.assert_allclose(ys, want_y, rtol=1e-6)


def test_scan_structures_length_and_gradient():
    carry, ys = ops.scan(lambda c, x: (c + 1, c), 0, None, length=3)
    assert int(carry) == 3 and ys.dtype == np.int32
    np.testing.assert_array_equal(ys, [0, 1, 2])
    xs = {"a": np.arange(4.0), "b": (np.ones((4, 2)),)}
    carry, ys = ops.scan(lambda c, x: ({"s": c["s"] + x["a"]},
                                       [x["b"][0] * c["s"], None]), {"s": 0.0}, xs)
    assert float(carry["s"]) == 6.0 and isinstance(ys, list) and ys[1] is None
    np.testing.assert_array_equal(ys[0], np.repeat([[0.0], [0.0], [1.0], [3.0]], 2, 1))
    # no steps: the ys have a leading axis of length 0
    carry, ys = ops.scan(lambda c, x: (c + x, c * 2), np.zeros(2), np.zeros((0, 2)))
    assert ys.shape == (0, 2)

    def f(init, xs):
        return ops.scan(lambda c, x: (ops.tanh(c + x), c * x), init, xs, reverse=True)
    check_gradients(f, [np.array([0.1, -0.3]), rng(1).standard_normal((4, 2))])


def test_scan_errors():
    with pytest.raises(ValueError, match="scan: xs and length are both None"):
        ops.scan(lambda c, x: (c, c), 0)
    with pytest.raises(ValueError, match=r"scan: length \(2\) must equal the leading axis "
                                         r"length of xs \(3\)"):
        ops.scan(lambda c, x: (c, c), 0, np.zeros(3), length=2)
    with pytest.raises(ValueError, match="scan: the tensors of xs must have the same "
                                         "leading axis length"):
        ops.scan(lambda c, x: (c, c), 0, (np.zeros(3), np.zeros(2)))
    with pytest.raises(ValueError, match="scan: f must return a pair"):
        ops.scan(lambda c, x: c, 0, np.zeros(3))
    with pytest.raises(ValueError, match="scan: the carry f returns must have the "
                                         "structure"):
        ops.scan(lambda c, x: ((c, c), x), 0, np.zeros(3))
    with pytest.raises(ValueError, match="scan: unroll must be a positive integer or boolean"):
        ops.scan(lambda c, x: (c, x), 0, np.zeros(3), unroll=0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 2, 5, 8, 11])
def test_associative_scan_matches_a_running_combination(dtype, n):
    x = rng(n).standard_normal((3, n)).astype(dtype)
    np.testing.assert_allclose(ops.associative_scan(ops.add, x, axis=1),
                               np.cumsum(x, axis=1), rtol=1e-5, atol=1e-6)
    got = ops.associative_scan(ops.add, x, axis=-1, reverse=True)
    np.testing.assert_allclose(got, np.cumsum(x[:, ::-1], axis=1)[:, ::-1], rtol=1e-5,
                               atol=1e-6)
    assert got.dtype == dtype
    np.testing.assert_allclose(ops.associative_scan(ops.maximum, x, axis=1),
                               np.maximum.accumulate(x, axis=1))
    # a non-commutative associative f (2x2 matrix products) in the right order
    mats = rng(n).standard_normal((n, 2, 2)).astype(dtype)
    want, acc = [], np.eye(2, dtype=dtype)
    for m in mats:
        acc = acc @ m
        want.append(acc)
    np.testing.assert_allclose(ops.associative_scan(ops.matmul, mats), np.stack(want),
                               rtol=1e-4, atol=1e-5)
    want, acc = [], np.eye(2, dtype=dtype)
    for m in mats[::-1]:
        acc = m @ acc
        want.append(acc)
    np.testing.assert_allclose(ops.associative_scan(ops.matmul, mats, reverse=True),
                               np.stack(want[::-1]), rtol=1e-4, atol=1e-5)


def test_associative_scan_structures_gradient_and_errors():
    a, b = np.arange(5.0), np.ones((5, 2))
    out = ops.associative_scan(lambda u, v: {"a": u["a"] + v["a"], "b": u["b"] * v["b"]},
                               {"a": a, "b": b})
    np.testing.assert_array_equal(out["a"], np.cumsum(a))
    check_gradients(lambda x: ops.associative_scan(ops.multiply, x, axis=0),
                    [rng(2).uniform(0.5, 1.5, (6, 2))])
    with pytest.raises(ValueError, match="associative_scan: the tensors of elems must "
                                         "have the same length along axis 0"):
        ops.associative_scan(ops.add, (np.zeros(3), np.zeros(4)))
    with pytest.raises(ValueError, match="associative_scan: axis 2 is out of range"):
        ops.associative_scan(ops.add, np.zeros((2, 2)), axis=2)


@pytest.mark.parametrize("fn", [ops.map, ops.vectorized_map])
def test_map_and_vectorized_map(fn):
    x = rng().standard_normal((4, 3))
    np.testing.assert_allclose(fn(lambda v: ops.sum(v * v), x), np.sum(x * x, axis=1))
    out = fn(lambda v: {"a": v, "b": v * 2}, np.arange(3.0))
    np.testing.assert_array_equal(out["b"], [0.0, 2.0, 4.0])
    # a tuple of tensors: the function receives a tuple of slices
    np.testing.assert_allclose(fn(lambda p: p[0] * p[1], (x, x + 1)), x * (x + 1))
    assert fn(lambda v: v * 2, np.zeros((0, 3))).shape == (0, 3)
    check_gradients(lambda v: fn(lambda r: ops.sin(r) * ops.sum(r), v), [x])
    with pytest.raises(ValueError, match="must have the same leading axis length"):
        fn(lambda p: p, (np.zeros(3), np.zeros(4)))


# =========================================================================== slices
@pytest.mark.parametrize("dtype", DTYPES)
def test_slice(dtype):
    x = np.arange(60, dtype=dtype).reshape(3, 4, 5)
    got = ops.slice(x, [1, 0, 2], [2, 3, 3])
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, x[1:3, 0:3, 2:5])
    np.testing.assert_array_equal(ops.slice(x, np.array([0, 1, 1]), (3, 0, 4)),
                                  x[:, 1:1, 1:5])
    check_gradients(lambda v: ops.slice(v, [1, 1], [2, 2]), [rng().standard_normal((4, 3))])
    with pytest.raises(ValueError, match=r"slice: the number of dimensions in "
                                         r"`start_indices` must match the number of "
                                         r"dimensions in `inputs`: inputs has 3, "
                                         r"start_indices has 2"):
        ops.slice(x, [0, 0], [1, 1, 1])
    with pytest.raises(ValueError, match=r"slice: the number of dimensions in `inputs` "
                                         r"must match the number of dimensions in `shape`"):
        ops.slice(x, [0, 0, 0], [1, 1])
    # -1: to the end of the axis
    np.testing.assert_array_equal(ops.slice(x, [1, 2, 0], [-1, -1, 2]), x[1:, 2:, :2])
    with pytest.raises(ValueError, match="slice: the slice along axis 2 starts at 4 with "
                                         "size 3"):
        ops.slice(x, [0, 0, 4], [1, 1, 3])
    with pytest.raises(TypeError, match="slice: start_indices must hold integers"):
        ops.slice(x, [0, 0, 0.5], [1, 1, 1])


@pytest.mark.parametrize("dtype", DTYPES)
def test_slice_update(dtype):
    x = rng().standard_normal((4, 5)).astype(dtype)
    u = rng(1).standard_normal((2, 3)).astype(dtype)
    got = ops.slice_update(x, [1, 2], u)
    want = x.copy()
    want[1:3, 2:5] = u
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(x[1:3, 2:5] == u, np.zeros((2, 3), bool))  # not in place
    check_gradients(lambda a, b: ops.slice_update(a, [1, 0], b) * a,
                    [x.astype(np.float64), u.astype(np.float64)])
    # updates of another dtype take the inputs' dtype
    assert ops.slice_update(np.zeros((2, 2), np.float32), [0, 0], np.ones((1, 1),
                                                                        np.int32)).dtype \
        == np.float32
    with pytest.raises(ValueError, match="slice_update: updates must have the rank of "
                                         "inputs"):
        ops.slice_update(x, [0, 0], np.ones(3))
    with pytest.raises(ValueError, match="slice_update: the slice along axis 1"):
        ops.slice_update(x, [0, 4], np.ones((1, 2)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_scatter_adds_repeated_indices(dtype):
    idx = np.array([[0, 1], [1, 1], [0, 1], [2, 0]])
    vals = np.array([1.0, 2.0, 3.0, 4.0], dtype)
    got = ops.scatter(idx, vals, (3, 2))
    want = np.zeros((3, 2), dtype)
    np.add.at(want, (idx[:, 0], idx[:, 1]), vals)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, want)
    # partial indices: rows of the last axis
    rows = ops.scatter([[2], [0]], np.ones((2, 3), dtype), (4, 3))
    np.testing.assert_array_equal(rows, np.array([[1, 1, 1], [0, 0, 0], [1, 1, 1],
                                                  [0, 0, 0]], dtype))
    check_gradients(lambda v: ops.scatter(idx, v, (3, 2)), [vals.astype(np.float64)],
                    diff=[0])
    with pytest.raises(ValueError, match=r"scatter: values must have shape \(4,\)"):
        ops.scatter(idx, np.ones(3), (3, 2))
    with pytest.raises(ValueError, match=r"scatter: indices along axis 0 must be in "
                                         r"\[0, 2\)"):
        ops.scatter(idx, vals, (2, 2))
    with pytest.raises(TypeError, match="scatter: indices must hold integers"):
        ops.scatter(idx * 0.5, vals, (3, 2))


@pytest.mark.parametrize("dtype", DTYPES)
def test_scatter_update(dtype):
    x = rng().standard_normal((3, 4)).astype(dtype)
    idx = np.array([[0, 1], [2, 3], [0, 1]])
    u = np.array([5.0, 6.0, 7.0], dtype)
    got = ops.scatter_update(x, idx, u)
    want = x.copy()
    want[0, 1], want[2, 3] = 7.0, 6.0                 # the last write of (0, 1) wins
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, want)
    for red, ufunc in (("add", np.add), ("max", np.maximum), ("min", np.minimum),
                       ("mul", np.multiply)):
        want = x.copy()
        ufunc.at(want, (idx[:, 0], idx[:, 1]), u)
        np.testing.assert_allclose(ops.scatter_update(x, idx, u, reduction=red), want,
                                   rtol=1e-6)
    check_gradients(lambda a, b: ops.scatter_update(a, idx, b),
                    [x.astype(np.float64), u.astype(np.float64)])
    check_gradients(lambda a, b: ops.scatter_update(a, idx, b, reduction="add") * a,
                    [x.astype(np.float64), u.astype(np.float64)])
    # row updates
    rows = ops.scatter_update(np.zeros((3, 2)), [[1]], np.array([[4.0, 5.0]]))
    np.testing.assert_array_equal(rows, [[0, 0], [4, 5], [0, 0]])
    with pytest.raises(ValueError, match="scatter_update: reduction must be None, 'add'"):
        ops.scatter_update(x, idx, u, reduction="sum")
    with pytest.raises(ValueError, match=r"scatter_update: updates must have shape \(3,\)"):
        ops.scatter_update(x, idx, np.ones(2))


@pytest.mark.parametrize("reduction", ["max", "min", "mul"])
def test_scatter_update_reduction_gradients(reduction):
    x = rng(23).standard_normal((3, 4))
    idx = np.array([[0, 1], [2, 3], [0, 1], [1, 0]])
    u = rng(24).standard_normal(4) * 2
    check_gradients(lambda a, b: ops.scatter_update(a, idx, b, reduction=reduction) * a,
                    [x, u])
    if reduction == "mul":        # a zero update: the product of the others, no division
        u0 = u.copy()
        u0[0] = 0.0
        check_gradients(lambda a, b: ops.scatter_update(a, idx, b, reduction="mul"),
                        [x, u0])
    # row updates (indices of the first axis only), with a repeated row
    rows = rng(25).standard_normal((3, 4))
    if reduction == "mul":
        rows[2, 1] = 0.0
    check_gradients(lambda a, b: ops.scatter_update(a, [[2], [0], [2]], b,
                                                    reduction=reduction) * a, [x, rows])


@pytest.mark.parametrize("dtype", DTYPES)
def test_unstack(dtype):
    x = rng().standard_normal((2, 3, 4)).astype(dtype)
    for axis in (0, 1, 2, -1):
        got = ops.unstack(x, axis=axis)
        want = [np.take(x, i, axis=axis) for i in range(x.shape[axis])]
        assert isinstance(got, list) and len(got) == len(want)
        for g, w in zip(got, want):
            assert g.dtype == dtype
            np.testing.assert_array_equal(g, w)
    assert len(ops.unstack(x, num=3, axis=1)) == 3
    check_gradients(lambda v: ops.unstack(v, axis=1)[1] * ops.unstack(v)[0][:1],
                    [x.astype(np.float64)])
    with pytest.raises(ValueError, match=r"unstack: num \(2\) must equal the length of "
                                         r"axis 1 \(3\)"):
        ops.unstack(x, num=2, axis=1)
    with pytest.raises(ValueError, match="unstack: axis 3 is out of bounds"):
        ops.unstack(x, axis=3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_get_item(dtype):
    x = rng().standard_normal((4, 5)).astype(dtype)
    for key in (1, (slice(1, 3), 2), (Ellipsis, None, 0), np.array([0, 2, 2]),
                x > 0, (slice(None), [4, 0])):
        got = ops.get_item(x, key)
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, x[key])
    np.testing.assert_array_equal(ops.get_item(x, ops.convert_to_tensor([1, 3])), x[[1, 3]])
    check_gradients(lambda v: ops.get_item(v, (slice(None), [4, 0, 4])),
                    [x.astype(np.float64)])
    with pytest.raises(IndexError, match=r"get_item: the key 7 does not index a tensor "
                                         r"of shape \(4, 5\)"):
        ops.get_item(x, 7)


def test_saturate_cast():
    x = np.array([-1.0, 0.4, 255.6, 256.0, 1e10, -np.inf, np.inf], np.float32)
    np.testing.assert_array_equal(ops.saturate_cast(x, "uint8"),
                                  [0, 0, 255, 255, 255, 0, 255])
    assert ops.saturate_cast(x, "uint8").dtype == np.uint8
    got = ops.saturate_cast(x, "int32")
    info = np.iinfo(np.int32)
    # float32 cannot hold 2**31 - 1: the largest float32 below it
    assert got[4] == 2147483520 and got[5] == info.min and got[6] == 2147483520
    np.testing.assert_array_equal(ops.saturate_cast(np.array([-300, 5, 300], np.int32),
                                                    "int8"), [-128, 5, 127])
    np.testing.assert_array_equal(ops.saturate_cast(np.array([1e6, -1e6], np.float32),
                                                    "float16"), [65504.0, -65504.0])
    f64 = ops.saturate_cast(np.array([1.5], np.float32), "float64")
    assert f64.dtype == np.float64 and f64[0] == 1.5
    x16 = ops.convert_to_tensor(np.array([0.3, 1.0], np.float64))
    with GradientTape() as tape:
        tape.watch(x16)
        y = ops.sum(ops.saturate_cast(x16 * 1e5, "float32"))
    np.testing.assert_allclose(tape.gradient(y, x16), [1e5, 1e5])
    # zero where the value was limited
    big = ops.convert_to_tensor(np.array([1.0, 1e300]))
    with GradientTape() as tape:
        tape.watch(big)
        y = ops.sum(ops.saturate_cast(big * 2.0, "float32"))
    np.testing.assert_array_equal(tape.gradient(y, big), [2.0, 0.0])
    with pytest.raises(TypeError, match="saturate_cast: dtype must be a dtype"):
        ops.saturate_cast(x, object())


# ========================================================================== linalg
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(dtype, upper):
    a = spd(4, batch=(2,)).astype(dtype)
    got = ops.cholesky(a, upper=upper)
    low = np.linalg.cholesky(a)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, np.swapaxes(low, -1, -2) if upper else low, rtol=1e-5)
    # only the lower triangle is read: perturb both triangles independently
    check_gradients(lambda x: ops.cholesky(x, upper=upper), [spd(3, seed=1)])


def test_cholesky_errors():
    with pytest.raises(ValueError, match="cholesky: x must be symmetric positive-definite"):
        ops.cholesky(-np.eye(3))
    with pytest.raises(ValueError, match=r"cholesky: x must be square.*\(2, 3\)"):
        ops.cholesky(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"cholesky: x must have rank >= 2.*\(3,\)"):
        ops.cholesky(np.ones(3))
    with pytest.raises(TypeError, match="cholesky: upper must be True or False"):
        ops.cholesky(np.eye(2), upper="yes")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_inverse(dtype, upper):
    a = spd(4, seed=2, batch=(3,))
    low = np.linalg.cholesky(a)
    factor = np.swapaxes(low, -1, -2) if upper else low
    got = ops.cholesky_inverse(factor.astype(dtype), upper=upper)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, np.linalg.inv(a), rtol=1e-4, atol=1e-6)
    check_gradients(lambda f: ops.cholesky_inverse(f, upper=upper), [factor[0]])
    with pytest.raises(ValueError, match="cholesky_inverse: x must be a Cholesky factor"):
        ops.cholesky_inverse(np.zeros((2, 2)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_det_inv_solve_batched(dtype):
    a = rng(3).standard_normal((2, 3, 3)).astype(dtype) + 3 * np.eye(3, dtype=dtype)
    b = rng(4).standard_normal((2, 3, 2)).astype(dtype)
    for got, want in ((ops.det(a), np.linalg.det(a)), (ops.inv(a), np.linalg.inv(a)),
                      (ops.solve(a, b), np.linalg.solve(a, b)),
                      (ops.solve(a, b[..., 0]), np.linalg.solve(a, b[..., :1])[..., 0])):
        assert got.dtype == dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    check_gradients(ops.det, [a[0]])
    check_gradients(ops.solve, [a, b[..., 0]])
    # integers compute in float32
    assert ops.det(np.array([[2, 1], [1, 3]])).dtype == np.float32
    assert ops.inv(np.eye(2, dtype=np.int32)).dtype == np.float32
    with pytest.raises(ValueError, match=r"solve: b must have 3 rows"):
        ops.solve(a, np.ones((2, 4, 1)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lower", [False, True])
def test_solve_triangular(dtype, lower):
    a = rng(5).standard_normal((4, 4)) + 4 * np.eye(4)
    b = rng(6).standard_normal((4, 2))
    tri = np.tril(a) if lower else np.triu(a)
    got = ops.solve_triangular(a.astype(dtype), b.astype(dtype), lower=lower)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, np.linalg.solve(tri, b), rtol=1e-4, atol=1e-6)
    got = ops.solve_triangular(a, b[:, 0], lower=lower)
    np.testing.assert_allclose(got, np.linalg.solve(tri, b[:, 0]), rtol=1e-10)
    check_gradients(lambda x, y: ops.solve_triangular(x, y, lower=lower), [a, b[:, 0]])


def test_eigh_and_eig():
    a = spd(4, seed=7) - 4 * np.eye(4)
    w, v = ops.eigh(a)
    ww, vv = np.linalg.eigh(a)
    np.testing.assert_allclose(w, ww, rtol=1e-10)
    np.testing.assert_allclose(np.abs(v), np.abs(vv), rtol=1e-8, atol=1e-10)
    # eigenvectors too (a loss invariant to their signs: v v^T weighted)
    check_gradients(lambda x: ops.matmul(ops.eigh(x)[1] * ops.eigh(x)[0],
                                         ops.transpose(ops.eigh(x)[1])), [a])
    for dtype, cdt in ((np.float32, np.complex64), (np.float64, np.complex128)):
        x = np.array([[0.0, -1.0], [1.0, 0.0]], dtype)          # eigenvalues +-i
        w, v = ops.eig(x)
        assert w.dtype == cdt and v.dtype == cdt
        np.testing.assert_allclose(x @ np.asarray(v), np.asarray(v) * np.asarray(w),
                                   atol=1e-6)
        w, v = ops.eig(np.diag(np.array([1.0, 2.0], dtype)))    # real eigenvalues
        assert w.dtype == cdt
    t = ops.convert_to_tensor(x)
    with GradientTape() as tape:
        tape.watch(t)
        s = ops.sum(ops.real(ops.eig(t)[0])) if hasattr(ops, "real") else ops.eig(t)[0]
    with pytest.raises(LookupError, match="eig has no gradient"):
        tape.gradient(s, t)


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 5), (2, 4, 4)])
def test_lu_factor(shape):
    a = rng(8).standard_normal(shape)
    lu, piv = ops.lu_factor(a)
    assert piv.dtype == np.int32 and lu.shape == shape
    m, n = shape[-2:]
    k = min(m, n)
    assert piv.shape == shape[:-2] + (k,)
    for x, f, p in zip(a.reshape(-1, m, n), np.asarray(lu).reshape(-1, m, n),
                       np.asarray(piv).reshape(-1, k)):
        low = np.tril(f, -1)[:, :k] + np.eye(m, k)
        up = np.triu(f)[:k]
        perm = np.arange(m)
        for i, j in enumerate(p):                   # the row swaps, in order
            perm[[i, j]] = perm[[j, i]]
        np.testing.assert_allclose(x[perm], low @ up, atol=1e-12)
        # partial pivoting: |L| <= 1
        assert np.all(np.abs(low) <= 1 + 1e-12)
    assert ops.lu_factor(a.astype(np.float32))[0].dtype == np.float32


def test_lu_factor_matches_lapack_for_a_known_matrix():
    lu, piv = ops.lu_factor(np.array([[1.0, 2.0], [3.0, 4.0]]))
    np.testing.assert_allclose(lu, [[3.0, 4.0], [1 / 3, 2 / 3]])
    np.testing.assert_array_equal(piv, [1, 1])


@pytest.mark.parametrize("mode", ["reduced", "complete"])
@pytest.mark.parametrize("shape", [(5, 3), (3, 3), (3, 5)])
def test_qr(mode, shape):
    a = rng(9).standard_normal(shape)
    q, r = ops.qr(a, mode=mode)
    wq, wr = np.linalg.qr(a, mode=mode)
    np.testing.assert_allclose(q, wq, atol=1e-12)
    np.testing.assert_allclose(r, wr, atol=1e-12)
    assert ops.qr(a.astype(np.float32), mode=mode)[0].dtype == np.float32
    if shape[0] >= shape[1] and (mode == "reduced" or shape[0] == shape[1]):
        check_gradients(lambda x: ops.qr(x, mode=mode), [a])
    else:
        t = ops.convert_to_tensor(a)
        with GradientTape() as tape:
            tape.watch(t)
            s = ops.sum(ops.qr(t, mode=mode)[0])
        with pytest.raises(LookupError, match="qr has no gradient"):
            tape.gradient(s, t)
    with pytest.raises(ValueError, match="qr: `mode` argument value not supported. Expected one of "
                                         "{'reduced', 'complete'}. Received: mode=r"):
        ops.qr(a, mode="r")


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3), (2, 3, 2)])
def test_svd(shape):
    a = rng(10).standard_normal(shape)
    for full in (True, False):
        u, s, v = ops.svd(a, full_matrices=full)
        wu, ws, wv = np.linalg.svd(a, full_matrices=full)
        for g, w in ((u, wu), (s, ws), (v, wv)):
            np.testing.assert_allclose(g, w, atol=1e-12)
    np.testing.assert_allclose(ops.svd(a, compute_uv=False),
                               np.linalg.svd(a, compute_uv=False))
    check_gradients(lambda x: ops.svd(x, full_matrices=False), [a])
    check_gradients(lambda x: ops.svd(x, compute_uv=False), [a])
    assert ops.svd(a.astype(np.float32))[1].dtype == np.float32


@pytest.mark.parametrize("b_shape", [(5,), (5, 2)])
def test_lstsq_and_pinv(b_shape):
    a = rng(11).standard_normal((5, 3))
    b = rng(12).standard_normal(b_shape)
    np.testing.assert_allclose(ops.lstsq(a, b), np.linalg.lstsq(a, b, rcond=None)[0],
                               atol=1e-12)
    np.testing.assert_allclose(ops.pinv(a), np.linalg.pinv(a), atol=1e-12)
    check_gradients(ops.lstsq, [a, b])
    check_gradients(ops.pinv, [a.T])
    # a rank-deficient a: the minimum-norm solution, rcond as numpy's
    d = np.c_[a[:, :2], a[:, :1]]
    np.testing.assert_allclose(ops.lstsq(d, b, rcond=1e-10),
                               np.linalg.lstsq(d, b, rcond=1e-10)[0], atol=1e-10)
    np.testing.assert_allclose(ops.pinv(d, rcond=1e-10), np.linalg.pinv(d, rcond=1e-10),
                               atol=1e-10)
    assert ops.lstsq(a.astype(np.float32), b.astype(np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match=r"lstsq: b must have as many rows as a \(5\)"):
        ops.lstsq(a, np.ones(4))
    with pytest.raises(ValueError, match="lstsq: a must have rank 2"):
        ops.lstsq(np.ones((2, 5, 3)), b)


def test_matrix_rank_and_matrix_power():
    a = rng(13).standard_normal((4, 2)) @ rng(14).standard_normal((2, 4))
    r = ops.matrix_rank(a)
    assert r.dtype == np.int32 and int(r) == 2
    assert int(ops.matrix_rank(a, tol=1e3)) == 0
    np.testing.assert_array_equal(ops.matrix_rank(np.stack([np.eye(3), np.zeros((3, 3))])),
                                  [3, 0])
    m = rng(15).standard_normal((3, 3)) + 2 * np.eye(3)
    for n in (0, 1, 2, 5, -1, -3):
        np.testing.assert_allclose(ops.matrix_power(m, n), np.linalg.matrix_power(m, n),
                                   rtol=1e-10)
    assert ops.matrix_power(m.astype(np.float32), 3).dtype == np.float32
    check_gradients(lambda x: ops.matrix_power(x, 5), [m])
    with pytest.raises(TypeError, match="matrix_power: n must be an integer"):
        ops.matrix_power(m, 2.0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_norm(dtype):
    x = rng(16).standard_normal((2, 3, 4)).astype(dtype)
    for kw in ({}, {"axis": 2}, {"axis": 0, "ord": 1}, {"axis": -1, "ord": 0},
               {"axis": 1, "ord": -np.inf}, {"axis": 1, "ord": 0.5},
               {"axis": (1, 2), "ord": "fro"}, {"axis": (2, 1), "ord": "nuc"},
               {"axis": (1, 2), "ord": 2}, {"axis": (0, 2), "ord": -1},
               {"axis": (1, 2), "ord": np.inf, "keepdims": True},
               {"axis": (2, 0), "ord": -2, "keepdims": True}):
        got = ops.norm(x, **kw)
        want = np.linalg.norm(x, **kw)
        assert got.dtype == dtype and got.shape == want.shape, kw
        np.testing.assert_allclose(got, want, rtol=1e-5, err_msg=str(kw))
    assert ops.norm(np.array([[3, 4]])).dtype == np.float32
    check_gradients(lambda v: ops.norm(v, ord=2, axis=(0, 2)), [x.astype(np.float64)])
    with pytest.raises(ValueError, match="norm: a matrix norm's ord must be"):
        ops.norm(x[0], ord=3)
    with pytest.raises(ValueError, match="norm: a vector norm's ord must be"):
        ops.norm(x[0, 0], ord="fro")
    with pytest.raises(ValueError, match="norm: with axis None and ord 1, x must be 1-D "
                                         "or 2-D"):
        ops.norm(x, ord=1)


def test_jvp():
    x, t = ops.convert_to_tensor(0.1), ops.convert_to_tensor(0.2)
    out, tan = ops.jvp(ops.sin, (x,), (t,))
    np.testing.assert_allclose(out, np.sin(0.1), rtol=1e-6)
    np.testing.assert_allclose(tan, 0.2 * np.cos(0.1), rtol=1e-6)
    # several arguments, a structured output, aux data
    a = rng(17).standard_normal((3, 3))
    b = rng(18).standard_normal(3)
    ta = rng(19).standard_normal((3, 3))
    tb = rng(20).standard_normal(3)

    def f(m, v):
        y = ops.matmul(m, ops.tanh(v))
        return {"y": y, "n": ops.sum(y * y)}, "aux"
    out, tan, aux = ops.jvp(f, (a, b), (ta, tb), has_aux=True)
    assert aux == "aux"
    h = 1e-6
    up, _ = f(a + h * ta, b + h * tb)
    dn, _ = f(a - h * ta, b - h * tb)
    for k in ("y", "n"):
        np.testing.assert_allclose(out[k], f(a, b)[0][k])
        np.testing.assert_allclose(tan[k], (np.asarray(up[k]) - np.asarray(dn[k])) / (2 * h),
                                   rtol=1e-6, atol=1e-8)
    # through linalg: d det(a)[t] = det(a) tr(a^-1 t)
    _, tan = ops.jvp(ops.det, (a,), (ta,))
    np.testing.assert_allclose(tan, np.linalg.det(a) * np.trace(np.linalg.solve(a, ta)),
                               rtol=1e-8)
    with pytest.raises(ValueError, match="jvp: primals and tangents must have the same "
                                         "length"):
        ops.jvp(ops.sin, (x,), (t, t))
    with pytest.raises(ValueError, match="jvp: each tangent must have its primal's shape"):
        ops.jvp(ops.sin, (np.ones(2),), (np.ones(3),))
    with pytest.raises(TypeError, match="jvp: primals must be a tuple or list"):
        ops.jvp(ops.sin, x, (t,))


# ======================================================================= namespaces
def test_namespaces_hold_the_keras_names_fastnn_has():
    for ns, names in _ops_namespaces.KERAS_NAMES.items():
        mod = getattr(ops, ns)
        assert sys.modules[f"fastnn.ops.{ns}"] is mod
        have = [n for n in names if hasattr(ops, n)]
        assert sorted(mod.__all__) == sorted(have)
        public = {n for n in vars(mod) if not n.startswith("_")}
        assert public == set(have), ns
        for n in have:
            assert getattr(mod, n) is getattr(ops, n), (ns, n)
    assert set(ops.linalg.__all__) == set(_ops_namespaces.KERAS_NAMES["linalg"])
    assert "relu" in ops.nn.__all__ and "swish" in ops.nn.__all__
    assert "sum" in ops.numpy.__all__ and "get_item" in ops.numpy.__all__
    assert "relu" not in ops.numpy.__all__ and "sum" not in ops.nn.__all__


def test_namespaces_pick_up_functions_added_to_ops():
    fake = types.ModuleType("fake_ops")
    fake.relu = lambda x: x
    fake.det = lambda x: x
    fake.not_keras = lambda x: x
    try:
        built = _ops_namespaces.build(fake)
        assert built["nn"].relu is fake.relu and built["nn"].__all__ == ["relu"]
        assert built["linalg"].__all__ == ["det"] and built["numpy"].__all__ == []
        assert sys.modules["fake_ops.linalg"] is built["linalg"]
    finally:
        for ns in _ops_namespaces.KERAS_NAMES:
            sys.modules.pop(f"fake_ops.{ns}", None)


def test_namespaces_through_the_keras_import_paths():
    import fastnn as keras
    assert keras.ops.nn.relu is keras.ops.relu
    assert keras.ops.linalg.solve is ops.solve
    for path in ("fastnn.keras.ops.nn", "fastnn.keras.src.ops.nn", "fastnn.ops.nn"):
        assert importlib.import_module(path) is ops.nn
    assert importlib.import_module("fastnn.keras.ops.linalg") is ops.linalg
    assert importlib.import_module("fastnn.keras.ops.numpy") is ops.numpy
    from fastnn.keras.ops import linalg, nn, numpy as knp  # noqa: F401
    assert linalg is ops.linalg and nn is ops.nn and knp is ops.numpy
    from fastnn.keras.src.ops.numpy import sum as ksum
    assert ksum is ops.sum
    # the source module of core ops is still the whole of keras.ops
    assert importlib.import_module("fastnn.keras.src.ops.core") is ops
    assert fastnn.ops.while_loop is ops.while_loop


# ============================================================ on symbolic tensors
def test_functional_models_with_core_and_linalg_ops():
    """The functions whose call on zeros fails (inverses of singular matrices) or gives
    the wrong spec (slice sizes of -1, unstack's count) have their own spec rules."""
    import fastnn as keras
    x = keras.Input((3, 3))
    assert ops.inv(x).shape == (None, 3, 3)
    assert ops.cholesky(x).shape == (None, 3, 3)
    assert ops.solve(x, keras.Input((3,))).shape == (None, 3)
    assert ops.slice(x, (0, 1, 1), (-1, -1, 2)).shape == (None, 2, 2)
    assert [t.shape for t in ops.unstack(x, axis=1)] == [(None, 3)] * 3
    with pytest.raises(ValueError, match="Cannot infer argument `num`"):
        ops.unstack(x, axis=0)
    with pytest.raises(ValueError, match="inv: the last two axes of x must be known"):
        ops.inv(fastnn.KerasTensor((2, None, 3)))
    with pytest.raises(ValueError, match="cond: true_fn and false_fn must return tensors "
                                         "of the same shapes"):
        ops.cond(fastnn.KerasTensor((), dtype="bool"), lambda: ops.ones(2),
                 lambda: ops.ones(3))
    y = ops.matmul(ops.inv(x), ops.slice(x, (0, 0, 0), (-1, 3, 1)))
    model = keras.Model(x, y)
    a = spd(3, seed=21, batch=(2,)).astype(np.float32)
    np.testing.assert_allclose(model.predict(a, verbose=0),
                               np.linalg.inv(a) @ a[:, :, :1], rtol=1e-4, atol=1e-5)


def test_linalg_errors_name_the_function():
    for fn, args in ((ops.inv, (np.zeros((2, 2)),)), (ops.solve, (np.zeros((2, 2)), np.ones(2))),
                     (ops.solve_triangular, (np.zeros((2, 2)), np.ones(2))),
                     (ops.matrix_power, (np.zeros((2, 2)), -1))):
        with pytest.raises(np.linalg.LinAlgError, match=rf"{fn.__name__}: .* is singular"):
            fn(*args)
    # empty batches and matrices
    lu, piv = ops.lu_factor(np.zeros((0, 2, 2)))
    assert lu.shape == (0, 2, 2) and piv.shape == (0, 2)
    lu, piv = ops.lu_factor(np.zeros((0, 0)))
    assert lu.shape == (0, 0) and piv.shape == (0,)
    assert ops.det(np.zeros((0, 2, 2))).shape == (0,)


# ======================================================================== rearrange
@pytest.mark.parametrize("dtype", DTYPES)
def test_rearrange(dtype):
    x = rng(22).standard_normal((2, 6, 4)).astype(dtype)
    cases = [
        ("a b c -> c a b", {}, x.transpose(2, 0, 1)),
        ("a b c -> (a b) c", {}, x.reshape(12, 4)),
        ("a b c -> a (c b)", {}, x.transpose(0, 2, 1).reshape(2, 24)),
        ("a (h w) c -> a h w c", {"h": 2}, x.reshape(2, 2, 3, 4)),
        ("a (h w) c -> (w a) c h", {"w": 3},
         x.reshape(2, 2, 3, 4).transpose(2, 0, 3, 1).reshape(6, 4, 2)),
        ("a b c -> a b c", {}, x),
    ]
    for pattern, kw, want in cases:
        got = ops.rearrange(x, pattern, **kw)
        assert got.dtype == dtype and got.shape == want.shape, pattern
        np.testing.assert_array_equal(got, want)
    check_gradients(lambda v: ops.rearrange(v, "a (h w) c -> (w a) c h", w=3),
                    [x.astype(np.float64)])


def test_rearrange_errors_and_specs():
    x = np.zeros((2, 6, 4))
    for pattern, kw, msg in (
            ("a b -> b a", {}, "the input side of the pattern 'a b -> b a' has 2 axes"),
            ("a b c -> a b", {}, r"must name the same axes; only on one side: \['c'\]"),
            ("a (b c) d -> a b c d", {}, "give the lengths of all but one of the axes"),
            ("a (b c) d -> a b c d", {"b": 4}, "cannot be split"),
            ("a (b c) d -> a b c d", {"b": 2, "c": 2}, "does not match the lengths"),
            ("a b c -> a b c", {"q": 2}, r"axes_lengths names axes .* \['q'\]"),
            ("a b b -> a b b", {}, "an axis name repeats"),
            ("a (b c -> a b c", {}, r"unbalanced '\('"),
            ("... c -> c ...", {}, "axis names \\(identifiers\\) and parentheses only"),
            ("a b c", {}, "pattern must be a string 'input axes -> output axes'")):
        with pytest.raises(ValueError, match=msg):
            ops.rearrange(x, pattern, **kw)
    assert ops.rearrange(fastnn.KerasTensor((None, 6, 8)), "b (h w) c -> b c h w",
                         h=2).shape == (None, 8, 2, 3)
    assert ops.rearrange(fastnn.KerasTensor((None, 4)), "b c -> (b c)").shape == (None,)


# ============================================================= second derivatives
def _second(f, x, seed=3):
    """d/dx sum(v * d/dx sum(w * f(x))) by nested tapes, and by finite differences of
    the first-order tape gradient (h = 1e-5: rtol 1e-5, atol 1e-6, as in
    tests/test_autodiff_ops.py)."""
    r = rng(seed)
    w = [r.standard_normal(np.shape(o)) for o in _outs(f(x))]
    v = r.standard_normal(np.shape(x))

    def first(a):
        t = np.asarray(a, np.float64).view(Tensor)
        with GradientTape() as tape:
            tape.watch(t)
            total = sum(ops.sum(o * wi) for o, wi in zip(_outs(f(t)), w))
        return tape.gradient(total, t)
    t = np.asarray(x, np.float64).view(Tensor)
    with GradientTape() as outer:
        outer.watch(t)
        with GradientTape() as inner:
            inner.watch(t)
            total = sum(ops.sum(o * wi) for o, wi in zip(_outs(f(t)), w))
        g = inner.gradient(total, t)
        s = ops.sum(g * v)
    h2 = outer.gradient(s, t)
    np.testing.assert_allclose(h2, _fd(lambda a: float(np.sum(first(a) * v)), [x], 0,
                                       h=1e-5), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["cholesky", "cholesky_upper", "cholesky_inverse",
                                  "eigh_vectors", "svd_wide", "qr_square", "scan",
                                  "scatter_update_mul", "lstsq"])
def test_second_derivatives(name):
    a = spd(3, seed=30)
    f = {
        "cholesky": lambda x: ops.cholesky(x),
        "cholesky_upper": lambda x: ops.cholesky(x, upper=True),
        "cholesky_inverse": lambda x: ops.cholesky_inverse(x + 3 * np.eye(3)),
        "eigh_vectors": lambda x: ops.eigh(x)[1] * ops.eigh(x)[1],
        "svd_wide": lambda x: ops.svd(x[:2], full_matrices=False),
        "qr_square": lambda x: ops.qr(x),
        "scan": lambda x: ops.scan(lambda c, r: (ops.tanh(c * r), c * r), x[0], x[1:]),
        "scatter_update_mul": lambda x: ops.scatter_update(x, [[0, 1], [0, 1]], x[2, :2],
                                                           reduction="mul"),
        "lstsq": lambda x: ops.lstsq(x, x[:, 0] * 2 + 1),
    }[name]
    _second(f, a if name != "scan" else rng(31).standard_normal((4, 3)))
