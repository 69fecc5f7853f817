"""Keras 3's own tests of keras.ops' core control flow, slicing and scattering
(keras/src/ops/core_test.py), of keras.ops.linalg (keras/src/ops/linalg_test.py) and of
rearrange (keras/src/ops/einops_test.py), ported to fastnn.ops: associative_scan, cond, fori_loop, map, saturate_cast, scan,
scatter, scatter_update, slice, slice_update, switch, vectorized_map, while_loop,
unstack and tensor indexing (core); cholesky, cholesky_inverse, det, eig, eigh, inv,
lu_factor, matrix_power, matrix_rank, norm, pinv, qr, solve, solve_triangular, svd,
lstsq and jvp (linalg).

Each test names its source (`# Keras: keras/src/ops/<file>::<class>::<test>`). The
shape tests run on fastnn's symbolic tensors (`fastnn.KerasTensor`); Keras' operation
classes called directly (`core.Scan()(f, init, xs)`, `core.SaturateCast(dtype)`) are
the functions called on the values or on a KerasTensor, and `tree.flatten` /
`tree.map_structure` are written out. Keras' assertAllClose defaults (rtol = atol =
1e-6) are kept. `keras.ops.linalg` is fastnn.ops.linalg, the module of those functions.

Not ported: the other core functions (cast, convert_to_tensor, custom_gradient,
stop_gradient, ... are in tests/conformance/test_ops_math_core.py); the operation
classes' own tests (QrOpTest's Qr(mode=...) constructor and compute_output_spec,
vectorized_map's serialization, cond's rematerialisation and output-spec mocks, the
WhileLoop class); float8 and bfloat16; TensorFlow's dynamic-scan paths and tf.function;
the OpenVINO and TPU variants; sparse and ragged tensors.
"""
import operator

import numpy as np
import pytest

from fastnn import KerasTensor
from fastnn import ops
from fastnn import ops as core
from fastnn.ops import linalg
from fastnn.ops import rearrange

# Keras' dtypes.ALLOWED_DTYPES less string, complex, float8, bfloat16 (fastnn has no
# bfloat16) and the 64-bit ones (left out of Keras' CoreOpsDtypeTest)
ALL_DTYPES = ["float16", "float32", "uint8", "uint16", "uint32", "int8", "int16",
              "int32", "bool"]


def assert_all_close(a, b, rtol=1e-6, atol=1e-6):
    a, b = np.asarray(a), np.asarray(b)
    as_type = np.complex128 if np.iscomplexobj(a) or np.iscomplexobj(b) else np.float64
    np.testing.assert_allclose(a.astype(as_type), b.astype(as_type), rtol=rtol, atol=atol)


def flatten(x):
    """tree.flatten: the leaves of a nest, dicts in sorted key order."""
    if isinstance(x, dict):
        return [v for k in sorted(x) for v in flatten(x[k])]
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in flatten(item)]
    return [x]


def map_structure(fn, x):
    if isinstance(x, dict):
        return {k: map_structure(fn, v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(map_structure(fn, v) for v in x)
    return fn(x)


# =================================================== core_test.py: dynamic shapes
def test_dynamic_shape_associative_scan():
    # Keras: keras/src/ops/core_test.py::CoreOpsDynamicShapeTest::test_associative_scan
    xs = (KerasTensor((5, None)), KerasTensor((5, None)))
    ys = core.associative_scan(f=lambda x, y: (x[0] + y[0], x[1] + y[1]), elems=xs, axis=0)
    assert ys[0].shape == (5, None)

    def _fn(x, y):
        return tuple([x[i] + y[i] for i in range(len(x))])
    ys = core.associative_scan(f=_fn, elems=xs, axis=1)
    assert ys[0].shape == (5, None)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("structured", [False, True])
def test_dynamic_shape_associative_scan_unknown_length(reverse, structured):
    # Keras: keras/src/ops/core_test.py::CoreOpsDynamicShapeTest::
    # test_associative_scan_dynamic_scan_body_unknown_length (and _structured, _reverse)
    if structured:
        xs = (KerasTensor((None, 4)), KerasTensor((None, 4)))
        ys = core.associative_scan(f=lambda a, b: (a[0] + b[0], a[1] + b[1]), elems=xs,
                                   axis=0, reverse=reverse)
        assert ys[0].shape == (None, 4) and ys[1].shape == (None, 4)
    else:
        xs = KerasTensor((None, 6))
        ys = core.associative_scan(f=operator.add, elems=xs, axis=0, reverse=reverse)
        assert ys.shape == (None, 6)


def test_dynamic_shape_fori_loop():
    # Keras: keras/src/ops/core_test.py::CoreOpsDynamicShapeTest::test_fori_loop
    def body_fun(i, x):
        return x + i
    initial_value = KerasTensor((3, 5, None))
    assert core.fori_loop(0, 10, body_fun, initial_value).shape == (3, 5, None)


@pytest.mark.parametrize("fn", ["map", "vectorized_map"])
@pytest.mark.parametrize("n", [None, 6])
def test_shape_map_and_vectorized_map(fn, n):
    # Keras: keras/src/ops/core_test.py::CoreOpsDynamicShapeTest::test_map,
    # ::test_vectorized_map, and CoreOpsStaticShapeTest::test_map, ::test_vectorized_map
    mapper = getattr(core, fn)

    def f(x):
        return x ** 2
    xs = KerasTensor((n, 5))
    assert mapper(f, xs).shape == (n, 5)

    def f2(x):
        return {"a": x ** 2, "b": x * 10}
    ys = mapper(f2, KerasTensor((n, 5)))
    assert ys["a"].shape == (n, 5) and ys["b"].shape == (n, 5)

    def f3(x):
        return x[0] + x[1]
    xs = (KerasTensor((n, 5)), KerasTensor((n, 5)))
    assert mapper(f3, xs).shape == (n, 5)


def test_dynamic_shape_saturate_cast():
    # Keras: keras/src/ops/core_test.py::CoreOpsDynamicShapeTest::test_saturate_cast
    x = KerasTensor((3, 5, None), dtype="float32")
    assert core.saturate_cast(x, "float16").shape == (3, 5, None)


def test_dynamic_shape_scan():
    # Keras: keras/src/ops/core_test.py::CoreOpsDynamicShapeTest::test_scan
    def f(carry, xs):
        xs = xs + carry
        return carry, carry
    init = KerasTensor((None,))
    xs = KerasTensor((6, None))
    carry, result = core.scan(f, init, xs)
    assert carry.shape == (None,)
    assert result.shape == (6, None)

    def f2(carry, _):
        return carry, carry
    carry, result = core.scan(f2, init, xs=None, length=3)
    assert carry.shape == (None,)
    assert result.shape == (3, None)


def test_dynamic_shape_scatter_update():
    # Keras: keras/src/ops/core_test.py::CoreOpsDynamicShapeTest::test_scatter_update
    inputs = KerasTensor((4, None))
    indices = KerasTensor((5, 2))
    updates = KerasTensor((5,))
    assert core.scatter_update(inputs, indices, updates).shape == (4, None)


def test_dynamic_shape_slice_update():
    # Keras: keras/src/ops/core_test.py::CoreOpsDynamicShapeTest::test_slice_update
    inputs = KerasTensor((4, None))
    start_indices = KerasTensor((2,))
    updates = KerasTensor((2, 2))
    assert core.slice_update(inputs, start_indices, updates).shape == (4, None)


def test_dynamic_shape_switch():
    # Keras: keras/src/ops/core_test.py::CoreOpsDynamicShapeTest::test_switch
    def fn(x, y):
        return x[:, 0], y[0, :]
    index = KerasTensor(())
    x = KerasTensor((None, 2))
    y = KerasTensor((5, None))
    result = core.switch(index, [fn], x, y)
    assert result[0].shape == (None,)
    assert result[1].shape == (None,)


@pytest.mark.parametrize("n", [None, 10])
def test_shape_while_loop(n):
    # Keras: keras/src/ops/core_test.py::CoreOpsDynamicShapeTest::test_while_loop and
    # CoreOpsStaticShapeTest::test_while_loop
    def cond(args):
        return flatten(args)[0] < 10

    def body(args):
        return map_structure(lambda x: x + 1, args)
    loop_vars = KerasTensor((n,))
    assert core.while_loop(cond, body, loop_vars).shape == (n,)


def test_dynamic_shape_unstack():
    # Keras: keras/src/ops/core_test.py::CoreOpsDynamicShapeTest::test_unstack
    x = KerasTensor((2, None, None))
    axis, num = 1, 3
    out = core.unstack(x, num=num, axis=axis)
    assert len(out) == 3
    for o in out:
        assert o.shape == (2, None)


# ==================================================== core_test.py: static shapes
def test_static_shape_associative_scan():
    # Keras: keras/src/ops/core_test.py::CoreOpsStaticShapeTest::test_associative_scan
    xs = (KerasTensor((5, 10)), KerasTensor((5, 10)))
    ys = core.associative_scan(f=lambda x, y: (x[0] + y[0], x[1] + y[1]), elems=xs, axis=0)
    assert ys[0].shape == (5, 10)

    def _fn(x, y):
        return tuple([x[i] + y[i] for i in range(len(x))])
    ys = core.associative_scan(f=_fn, elems=xs, axis=1)
    assert ys[0].shape == (5, 10)


@pytest.mark.parametrize("length", [1, 2, 3, 7, 8])
def test_static_shape_associative_scan_lengths(length):
    # Keras: keras/src/ops/core_test.py::CoreOpsStaticShapeTest::
    # test_associative_scan_dynamic_scan_body_static_length_one / _two / _three /
    # _odd_length / _even_length
    xs = KerasTensor((length, 4))
    assert core.associative_scan(f=operator.add, elems=xs, axis=0).shape == (length, 4)


def test_static_shape_cond():
    # Keras: keras/src/ops/core_test.py::CoreOpsStaticShapeTest::test_cond
    pred = KerasTensor((), dtype="bool")
    assert ops.cond(pred, lambda: ops.ones((1, 3)), lambda: ops.zeros((1, 3))).shape == (1, 3)


def test_static_shape_fori_loop():
    # Keras: keras/src/ops/core_test.py::CoreOpsStaticShapeTest::test_fori_loop
    def body_fun(i, x):
        return x + i
    initial_value = KerasTensor((3, 5, 7))
    assert core.fori_loop(0, 10, body_fun, initial_value).shape == (3, 5, 7)


def test_static_shape_saturate_cast():
    # Keras: keras/src/ops/core_test.py::CoreOpsStaticShapeTest::test_saturate_cast
    x = KerasTensor((3, 5, 7), dtype="float32")
    assert core.saturate_cast(x, "float16").shape == (3, 5, 7)


def test_static_shape_scan():
    # Keras: keras/src/ops/core_test.py::CoreOpsStaticShapeTest::test_scan
    def f(carry, xs):
        xs = xs + carry
        return carry, carry
    init = KerasTensor(())
    xs = KerasTensor((6,))
    carry, result = core.scan(f, init, xs)
    assert carry.shape == ()
    assert result.shape == (6,)

    def f2(carry, _):
        return carry, carry
    carry, result = core.scan(f2, init, xs=None, length=3)
    assert carry.shape == ()
    assert result.shape == (3,)


def test_static_shape_scatter():
    # Keras: keras/src/ops/core_test.py::CoreOpsStaticShapeTest::test_scatter
    indices = KerasTensor((5, 2))
    values = KerasTensor((5,))
    shape = (4, 4)
    assert core.scatter(indices, values, shape).shape == (4, 4)


def test_static_shape_scatter_update():
    # Keras: keras/src/ops/core_test.py::CoreOpsStaticShapeTest::test_scatter_update
    inputs = KerasTensor((4, 4))
    indices = KerasTensor((5, 2))
    updates = KerasTensor((5,))
    assert core.scatter_update(inputs, indices, updates).shape == (4, 4)
    inputs = KerasTensor((4, 4, 4))
    indices = KerasTensor((5, 2))
    updates = KerasTensor((5, 4))
    assert core.scatter_update(inputs, indices, updates).shape == (4, 4, 4)


def test_static_shape_slice():
    # Keras: keras/src/ops/core_test.py::CoreOpsStaticShapeTest::test_slice
    inputs = KerasTensor(shape=(3, 3), dtype="float32")
    start_indices = KerasTensor(shape=(2,), dtype="int32")
    shape = (2, 2)
    assert core.slice(inputs, start_indices, shape).shape == (2, 2)


def test_static_shape_slice_negative_one_shape():
    # Keras: keras/src/ops/core_test.py::CoreOpsStaticShapeTest::
    # test_slice_negative_one_shape (and _tensor_indices, _dynamic_input_shape)
    inputs = KerasTensor(shape=(3, 3), dtype="float32")
    assert core.slice(inputs, (1, 1), (-1, -1)).shape == (2, 2)
    start_indices = KerasTensor(shape=(2,), dtype="int32")
    assert core.slice(inputs, start_indices, (-1, -1)).shape == (None, None)
    inputs = KerasTensor(shape=(None, 3), dtype="float32")
    assert core.slice(inputs, (1, 1), (-1, -1)).shape == (None, 2)


def test_static_shape_slice_invalid_inputs():
    # Keras: keras/src/ops/core_test.py::CoreOpsStaticShapeTest::test_slice_invalid_inputs
    inputs = KerasTensor(shape=(3, 3), dtype="float32")
    start_indices = (1, 1)
    shape = (2, 2, 2)
    with pytest.raises(ValueError,
                       match="dimensions in `inputs` must match.* dimensions in `shape`"):
        core.slice(inputs, start_indices, shape)
    start_indices = (1, 1, 1)
    shape = (2, 2)
    with pytest.raises(ValueError,
                       match="dimensions in `start_indices` must match.* dimensions in "
                             "`inputs`"):
        core.slice(inputs, start_indices, shape)


def test_static_shape_slice_update():
    # Keras: keras/src/ops/core_test.py::CoreOpsStaticShapeTest::test_slice_update
    inputs = KerasTensor((4, 4))
    start_indices = KerasTensor((2,))
    updates = KerasTensor((2, 2))
    assert core.slice_update(inputs, start_indices, updates).shape == (4, 4)
    inputs = KerasTensor((4, 4, 4))
    start_indices = KerasTensor((3,))
    updates = KerasTensor((2, 2, 2))
    assert core.slice_update(inputs, start_indices, updates).shape == (4, 4, 4)


def test_static_shape_switch():
    # Keras: keras/src/ops/core_test.py::CoreOpsStaticShapeTest::test_switch
    def fn(x, y):
        return x[:, 0], y[0, :]
    index = KerasTensor(())
    x = KerasTensor((5, 2))
    y = KerasTensor((5, 2))
    assert core.switch(index, [fn], x, y)[0].shape == (5,)
    assert core.switch(index, [fn], x, y)[1].shape == (2,)


def test_static_shape_unstack():
    # Keras: keras/src/ops/core_test.py::CoreOpsStaticShapeTest::test_unstack
    x = KerasTensor((2, 3, 4))
    axis = 1
    out = core.unstack(x, axis=axis)
    assert len(out) == 3
    for o in out:
        assert o.shape == (2, 4)


# ====================================================== core_test.py: correctness
def test_associative_scan():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_associative_scan
    arr = np.arange(5)
    result = core.associative_scan(f=operator.add, elems=arr)
    assert_all_close(result, [0, 1, 3, 6, 10])
    result = core.associative_scan(f=operator.add, elems=arr, reverse=True)
    assert_all_close(result, [10, 10, 9, 7, 4])

    batched_arr = np.stack([arr, arr + 1, arr + 2])
    result = core.associative_scan(f=operator.add, elems=batched_arr, axis=1)
    assert_all_close(result[2], [2, 5, 9, 14, 20])
    result = core.associative_scan(f=operator.add, elems=batched_arr, axis=0)
    assert_all_close(result[:, 0], [0, 1, 3])

    elems = {"a": np.array([[0, 1, 2], [3, 4, 5]]), "b": np.array([[6, 7, 8], [9, 10, 11]])}

    def _dict_add(x, y):
        return {"a": x["a"] + y["b"], "b": x["b"] + y["b"]}
    ax0 = core.associative_scan(f=_dict_add, elems=elems, axis=0)
    assert_all_close(ax0["b"], [[6, 7, 8], [15, 17, 19]])

    # the parallel scan of Mamba
    b, l, d, n = 1, 2, 3, 4
    DB = np.random.rand(b, l, d, n)
    DA = np.random.rand(b, l, d, n)
    H_seq = np.zeros((b, d, n))
    for i in range(l):
        H_seq = DA[:, i] * H_seq + DB[:, i]

    def scan_op(ci, cj):
        a = cj[0] * ci[0]
        b = cj[0] * ci[1] + cj[1]
        return (a, b)
    inputs = (DA.transpose(1, 0, 2, 3), DB.transpose(1, 0, 2, 3))
    H_par = core.associative_scan(f=scan_op, elems=inputs)[-1][-1]
    assert_all_close(H_seq, H_par)

    # the operation called on the values
    xs = np.arange(5, dtype="float32")
    assert_all_close(core.associative_scan(operator.add, xs), ops.cumsum(xs))


def test_cond():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_cond
    t = ops.cond(True, lambda: 0, lambda: 1)
    assert t == 0
    f = ops.cond(False, lambda: 0, lambda: 1)
    assert f == 1
    f = ops.cond(False, lambda: None, lambda: None)
    assert f is None

    out = ops.cond(ops.convert_to_tensor(True), lambda: ops.ones((1, 3)),
                   lambda: ops.zeros((1, 3)))
    assert_all_close(out, ops.ones((1, 3)))
    out = ops.cond(ops.convert_to_tensor(False), lambda: ops.ones((3,)),
                   lambda: ops.zeros((3,)))
    assert_all_close(out, ops.zeros((3,)))

    with pytest.raises(ValueError):
        ops.cond(KerasTensor((), dtype="bool"), lambda: ops.ones((3,)),
                 lambda: ops.zeros((4,)))


def test_fori_loop():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_fori_loop
    def body_fun(i, x):
        return x + i
    initial_value = np.array(0)
    result = core.fori_loop(0, 10, body_fun, initial_value)
    assert_all_close(result, 45)


_GETITEM_KEYS = [
    1, (1, 2, 3), slice(1, 2), (slice(1, 2), slice(2, 3), slice(3, 4)), (slice(1, 2), None),
    (slice(1, 2), slice(2, 3), Ellipsis), (slice(1, 2), Ellipsis, slice(3, 4)),
    (None, Ellipsis, slice(3, 4), None), slice(1, 2, None), (slice(None), 2), None,
    (None, None), Ellipsis, (Ellipsis, 1), (Ellipsis, 1, 2), (Ellipsis, -1, 2),
    (Ellipsis, slice(-1, -2), 2), (Ellipsis, None, None), (None, Ellipsis, None),
    (1, 2, None, Ellipsis, None), (None, Ellipsis, 1, 2), (1, None, 2), -1, (1, -1, -2),
    slice(None, None, 2), (1, slice(None), slice(1, 4)), (slice(None), slice(1, 2), 3),
]


@pytest.mark.parametrize("key", _GETITEM_KEYS, ids=[repr(k) for k in _GETITEM_KEYS])
def test_getitem(key):
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_getitem (each of
    # its keys; also through ops.get_item)
    np_tensor = np.arange(24).reshape(2, 3, 4)
    tensor = ops.convert_to_tensor(np_tensor)
    for t in (tensor[key], ops.get_item(tensor, key)):
        n = np_tensor[key]
        assert t.shape == n.shape
        assert_all_close(t, n)


def test_getitem_with_tensor_indices():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_getitem (the
    # tensor-index cases)
    np_tensor = np.arange(24).reshape(2, 3, 4)
    tensor = ops.convert_to_tensor(np_tensor)
    index_tensor = ops.convert_to_tensor(np.array(1, dtype=np.int32))
    t = tensor[index_tensor]
    n = np_tensor[ops.convert_to_numpy(index_tensor)]
    assert t.shape == n.shape
    assert_all_close(t, n)
    t = tensor[index_tensor, 2, None]
    n = np_tensor[ops.convert_to_numpy(index_tensor), 2, None]
    assert t.shape == n.shape
    assert_all_close(t, n)
    index_tensor = ops.convert_to_tensor(np.array(-2, dtype=np.int32))
    t = tensor[index_tensor, 1]
    n = np_tensor[ops.convert_to_numpy(index_tensor), 1]
    assert t.shape == n.shape
    assert_all_close(t, n)
    index_tensor = ops.convert_to_tensor(np.array(-1, dtype=np.int32))
    t = tensor[-2, index_tensor]
    n = np_tensor[-2, ops.convert_to_numpy(index_tensor)]
    assert t.shape == n.shape
    assert_all_close(t, n)


def test_map():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_map
    def f(x):
        return x ** 2
    xs = np.arange(10)
    assert_all_close(ops.map(f, xs), xs ** 2)

    def f2(x):
        return {"a": x ** 2, "b": x * 10}
    xs = np.random.rand(2, 3, 4).astype("float32")
    outputs = ops.map(f2, xs)
    assert_all_close(outputs["a"], xs ** 2)
    assert_all_close(outputs["b"], xs * 10)

    def dict_input_fn(inputs):
        x = inputs["x"][:, 0]
        y = inputs["y"] + 1
        return {"x": x, "y": y}

    def list_input_fn(inputs):
        return [x ** 2 for x in inputs]
    xs = {"x": ops.convert_to_tensor(np.random.rand(4, 100, 3), dtype="float32"),
          "y": ops.convert_to_tensor(np.random.randint(0, 10, size=(4, 1)), dtype="int32")}
    xs1 = [ops.convert_to_tensor(np.random.rand(4, 100, 3), dtype="float32"),
           ops.convert_to_tensor(np.random.randint(0, 10, size=(4, 1)), dtype="int32")]
    ys = ops.map(dict_input_fn, xs)
    assert ys["x"].shape == (4, 100)
    assert ops.convert_to_numpy(ys["y"]).all() == ops.convert_to_numpy(xs["y"] + 1).all()
    ys = ops.map(list_input_fn, xs1)
    for x, y in zip(xs1, ys):
        assert (ops.convert_to_numpy(y)).all() == (ops.convert_to_numpy(x) ** 2).all()


def test_saturate_cast():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_saturate_cast
    x = ops.ones((2,), dtype="float32")
    y = ops.saturate_cast(x, "float16")
    assert "float16" in str(y.dtype)

    x = KerasTensor((2,), dtype="float32")
    y = ops.saturate_cast(x, "float16")
    assert y.dtype == "float16"
    assert x.shape == y.shape
    assert hasattr(y, "_keras_history")

    x = np.array([-256, 1.0, 257.0], dtype="float32")
    y = core.saturate_cast(x, "uint8")
    assert np.dtype(y.dtype).name == "uint8"
    assert_all_close(y, np.clip(x, 0, 255).astype("uint8"))


def test_scan():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_scan
    def cumsum(carry, xs):
        carry = carry + xs
        return carry, carry
    init = np.array(0, dtype="float32")
    xs = np.array([1, 2, 3, 4, 10, 20], dtype="float32")
    carry, result = core.scan(cumsum, init, xs)
    assert_all_close(carry, 40.0)
    assert_all_close(result, ops.cumsum(xs))

    carry, result = core.scan(cumsum, init, xs, reverse=True)
    assert_all_close(carry, 40.0)
    assert_all_close(result, [40, 39, 37, 34, 30, 20])

    for unroll in (True, False, 2):
        carry, result = core.scan(cumsum, init, xs, unroll=unroll)
        assert_all_close(carry, 40.0)
        assert_all_close(result, ops.cumsum(xs))

    def fibonaccis(carry, _):
        return (carry[1], carry[0] + carry[1]), None
    init = (np.array(0, dtype="float32"), np.array(1, dtype="float32"))
    (carry1, carry2), _ = core.scan(fibonaccis, init, length=6)
    assert_all_close(carry1, 8)
    assert_all_close(carry2, 13)

    def multiply_two(carry, _):
        value1 = carry["value1"]
        value2 = carry["value2"]
        return {"value1": value1 * 2, "value2": value2 * 2}, value1 * 2 + value2 * 2
    init = {"value1": 2.0, "value2": 3.0}
    carry, result = core.scan(multiply_two, init, length=3)
    assert_all_close(carry["value1"], 16)
    assert_all_close(carry["value2"], 24)
    assert_all_close(result, [10, 20, 40])

    def reduce_add(carry, xs):
        value1 = xs["value1"]
        value2 = xs["value2"]
        return carry, value1 + value2
    init = np.array(0, dtype="float32")
    xs = {"value1": np.array([1, 2, 3], dtype="float32"),
          "value2": np.array([10, 20, 30], dtype="float32")}
    _, result = core.scan(reduce_add, init, xs)
    assert_all_close(result, [11, 22, 33])


def test_scatter():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_scatter
    indices = np.array([[1], [3], [4], [7]])
    values = np.array([9, 10, 11, 12])
    assert_all_close(core.scatter(indices, values, (8,)), [0, 9, 0, 10, 11, 0, 0, 12])
    indices = np.array([[0, 1], [2, 0]])
    values = np.array([5, 10])
    assert_all_close(core.scatter(indices, values, (3, 2)), [[0, 5], [0, 0], [10, 0]])
    indices = np.array([[1], [3]])
    values = np.array([[[5, 5, 5, 5], [6, 6, 6, 6], [7, 7, 7, 7], [8, 8, 8, 8]],
                       [[5, 5, 5, 5], [6, 6, 6, 6], [7, 7, 7, 7], [8, 8, 8, 8]]])
    assert_all_close(core.scatter(indices, values, (4, 4, 4)),
                     [[[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
                      [[5, 5, 5, 5], [6, 6, 6, 6], [7, 7, 7, 7], [8, 8, 8, 8]],
                      [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
                      [[5, 5, 5, 5], [6, 6, 6, 6], [7, 7, 7, 7], [8, 8, 8, 8]]])
    indices = np.array([[2], [4]])
    values = np.array([[1, 2, 3], [4, 5, 6]])
    assert_all_close(core.scatter(indices, values, (6, 3)),
                     [[0, 0, 0], [0, 0, 0], [1, 2, 3], [0, 0, 0], [4, 5, 6], [0, 0, 0]])
    indices = np.array([[0], [0]])
    values = np.array([1, 1])
    assert_all_close(core.scatter(indices, values, (1,)), [2])
    indices = np.array([[1, 0], [0, 1]])
    values = np.array([10, 20])
    assert_all_close(core.scatter(indices, values, (2, 2)), np.array([[0, 20], [10, 0]]))


def test_scatter_update():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_scatter_update
    inputs = np.array([0, 0, 0, 0, 0, 0, 0, 0])
    indices = [[1], [3], [4], [7]]
    updates = np.array([9, 10, 11, 12])
    assert_all_close(core.scatter_update(inputs, indices, updates),
                     [0, 9, 0, 10, 11, 0, 0, 12])
    inputs = np.array([[1, 1], [1, 1], [1, 1]])
    indices = [[0, 1], [2, 0]]
    updates = np.array([5, 10])
    assert_all_close(core.scatter_update(inputs, indices, updates), [[1, 5], [1, 1], [10, 1]])
    inputs = np.ones([4, 4, 4])
    indices = [[1, 1], [2, 2]]
    updates = np.array([[0, 1, 2, 3], [3, 2, 1, 0]], dtype="float32")
    outputs = core.scatter_update(inputs, indices, updates)
    assert ops.is_tensor(outputs)
    assert_all_close(outputs[1, 1, :], [0, 1, 2, 3])
    assert_all_close(outputs[2, 2, :], [3, 2, 1, 0])
    inputs = np.array([[0, 0], [0, 0]])
    indices = np.array([[1, 0], [0, 1]])
    updates = np.array([10, 20])
    assert_all_close(core.scatter_update(inputs, indices, updates),
                     np.array([[0, 20], [10, 0]]))


def test_scatter_update_with_reduction():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::
    # test_scatter_update_with_reduction
    inputs = np.zeros((4,))
    indices = [[0], [0], [1]]
    updates = np.array([1.0, 2.0, 3.0])
    result = core.scatter_update(inputs, indices, updates, reduction="add")
    assert_all_close(result, [3.0, 3.0, 0.0, 0.0])
    inputs = np.zeros((3, 3))
    indices = [[0, 0], [1, 1], [0, 0]]
    updates = np.array([1.0, 2.0, 3.0])
    result = core.scatter_update(inputs, indices, updates, reduction="add")
    assert_all_close(result[0, 0], 4.0)
    assert_all_close(result[1, 1], 2.0)
    inputs = np.zeros((4,))
    indices = [[0], [0], [1]]
    updates = np.array([3.0, 5.0, 2.0])
    result = core.scatter_update(inputs, indices, updates, reduction="max")
    assert_all_close(result, [5.0, 2.0, 0.0, 0.0])
    inputs = np.array([10.0, 10.0, 10.0, 10.0])
    result = core.scatter_update(inputs, indices, updates, reduction="min")
    assert_all_close(result, [3.0, 2.0, 10.0, 10.0])
    inputs = np.array([2.0, 3.0, 1.0, 1.0])
    result = core.scatter_update(inputs, indices, updates, reduction="mul")
    assert_all_close(result, [30.0, 6.0, 1.0, 1.0])


def test_slice():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_slice
    inputs = np.arange(10)
    assert_all_close(core.slice(inputs, np.array([1]), np.array([4])), [1, 2, 3, 4])
    inputs = np.broadcast_to(np.arange(10), (4, 10))
    assert_all_close(core.slice(inputs, np.array([1, 1]), np.array([2, 4])),
                     [[1, 2, 3, 4], [1, 2, 3, 4]])
    inputs = np.broadcast_to(np.arange(10), (4, 4, 4, 10))
    outputs = core.slice(inputs, np.array([1, 1, 1, 1]), np.array([1, 2, 3, 4]))
    assert_all_close(outputs, np.broadcast_to(np.arange(1, 5), (1, 2, 3, 4)))
    inputs = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    assert_all_close(core.slice(inputs, np.array([1, 1]), (2, 2)), np.array([[5, 6], [8, 9]]))


def test_slice_update():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_slice_update
    inputs = np.array([0, 0, 0, 0, 0, 0, 0, 0])
    assert_all_close(core.slice_update(inputs, np.array([1]), np.array([9, 10, 11, 12])),
                     [0, 9, 10, 11, 12, 0, 0, 0])
    inputs = np.array([[1, 1], [1, 1], [1, 1]])
    assert_all_close(core.slice_update(inputs, [1, 0], np.array([[2, 2], [2, 2]])),
                     [[1, 1], [2, 2], [2, 2]])
    inputs = np.ones([4, 4, 4, 4])
    outputs = core.slice_update(inputs, [1, 1, 2, 2], np.zeros([2, 2, 2, 2]))
    assert_all_close(outputs[1:3, 1:3, 2:4, 2:4], np.zeros([2, 2, 2, 2]))
    inputs = np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    assert_all_close(core.slice_update(inputs, np.array([1, 1]), np.array([[10, 11],
                                                                          [12, 13]])),
                     np.array([[1, 2, 3], [4, 10, 11], [7, 12, 13]]))


def test_switch():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_switch
    def fn1(x, y):
        return x + y

    def fn2(x, y):
        return x - y
    x = np.random.rand(2, 3, 4).astype("float32")
    y = np.random.rand(2, 3, 4).astype("float32")
    branches = [fn1, fn2]
    assert_all_close(core.switch(0, branches, x, y), x + y)
    assert_all_close(core.switch(1, branches, x, y), x - y)
    assert_all_close(core.switch(-100, branches, x, y), x + y)
    assert_all_close(core.switch(100, branches, x, y), x - y)


def test_vectorized_map():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_vectorized_map
    def fn(x):
        return x + 1
    output = ops.vectorized_map(fn, ops.zeros((2, 3), dtype="float32"))
    assert_all_close(ops.convert_to_numpy(output), np.ones((2, 3)))

    def fn2(x):
        return ops.stack([x, x])
    output = ops.vectorized_map(fn2, ops.zeros((2, 3), dtype="float32"))
    assert_all_close(ops.convert_to_numpy(output), np.zeros((2, 2, 3)))

    def fn3(elems):
        x, y = elems
        return x + y
    output = ops.vectorized_map(fn3, [ops.ones((2, 3)), ops.ones((2, 3))])
    assert_all_close(output, 2 * np.ones((2, 3)))


@pytest.mark.parametrize("loop_vars,expected_output,maximum_iterations", [
    (np.array(0), np.array(5), 5),
    (np.array(0), np.array(10), None),
    ({"a": np.array(0), "b": (np.array(1), np.array(2))},
     {"a": np.array(5), "b": (np.array(6), np.array(7))}, 5),
    ({"a": np.array(0), "b": (np.array(1), np.array(2))},
     {"a": np.array(10), "b": (np.array(11), np.array(12))}, None),
], ids=["scalar_data_with_max", "scalar_data_no_max", "nested_data_with_max",
        "nested_data_no_max"])
def test_while_loop(loop_vars, expected_output, maximum_iterations):
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_while_loop
    def cond(args):
        return flatten(args)[0] < 10

    def body(args):
        return map_structure(lambda x: x + 1, args)
    output = core.while_loop(cond, body, loop_vars, maximum_iterations=maximum_iterations)
    for o, e in zip(flatten(output), flatten(expected_output)):
        assert_all_close(o, e)
    assert type(output) is type(expected_output) or isinstance(output, np.ndarray)


@pytest.mark.parametrize("state,output,maximum_iterations", [
    ((np.array(0), np.array(1)), (np.array(5), np.array(6)), 5),
    ((np.array(0), np.array(1)), (np.array(10), np.array(11)), None),
], ids=["with_max", "no_max"])
def test_while_loop_list_data(state, output, maximum_iterations):
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_while_loop_list_data
    def cond(*args):
        return flatten(args)[0] < 10

    def body(*args):
        return map_structure(lambda x: x + 1, args)
    state = core.while_loop(cond, body, state, maximum_iterations=maximum_iterations)
    assert isinstance(state, tuple) and len(state) == 2
    for s, o in zip(state, output):
        assert_all_close(s, o)


def test_unstack():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_unstack
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(2, 3, 4))
    x_tensor = ops.convert_to_tensor(x)
    axis = 1
    out = ops.unstack(x_tensor, axis=axis)
    out_ex = [x[:, i, :] for i in range(x.shape[axis])]
    assert len(out) == len(out_ex)
    for o, o_e in zip(out, out_ex):
        assert_all_close(ops.convert_to_numpy(o), o_e)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_saturate_cast_dtype(dtype):
    # Keras: keras/src/ops/core_test.py::CoreOpsDtypeTest::test_saturate_cast
    x = np.ones((1,))
    assert np.dtype(core.saturate_cast(x, dtype).dtype).name == dtype
    assert np.dtype(core.saturate_cast(KerasTensor(x.shape, "float64"), dtype).dtype).name \
        == dtype


# ========================================================= core_test.py: behavior
def test_associative_scan_invalid_arguments():
    # Keras: keras/src/ops/core_test.py::CoreOpsBehaviorTests::
    # test_associative_scan_invalid_arguments
    x = (np.array([1, 2]), np.array([3, 4]), np.array([5, 6, 7]))
    with pytest.raises(ValueError, match=" first dimension"):
        core.associative_scan(lambda x, y: (x[0] + y[0], x[1] + y[1]), x)
    x = (KerasTensor((None, 5)), KerasTensor((None, 4)))
    with pytest.raises(ValueError, match=" first dimension"):
        core.associative_scan(lambda x, y: (x[0] + y[0], x[1] + y[1]), x, axis=1)


def test_scan_invalid_arguments():
    # Keras: keras/src/ops/core_test.py::CoreOpsBehaviorTests::test_scan_invalid_arguments
    def cumsum(carry, xs):
        carry = carry + xs
        return carry, carry
    init = np.array(0, dtype="float32")
    xs = np.array([1, 2, 3, 4, 10, 20], dtype="float32")
    with pytest.raises(TypeError, match="should be a callable"):
        core.scan(123, init, xs)
    # (Keras' message reads "an positive integer")
    with pytest.raises(ValueError, match="must be a positive integer or boolean"):
        core.scan(cumsum, init, xs, unroll=-1)
    with pytest.raises(ValueError, match="to scan over and"):
        core.scan(cumsum, init, xs=None, length=None)


def test_slice_compute_output_spec():
    # Keras: keras/src/ops/core_test.py::CoreOpsBehaviorTests::test_slice_compute_output_spec
    inputs = KerasTensor((3, 3), dtype="float32")
    output_spec = core.slice(inputs, np.array([1, 1]), (2, 2))
    assert output_spec.shape == (2, 2)
    assert output_spec.dtype == inputs.dtype


def test_while_loop_output_spec():
    # Keras: keras/src/ops/core_test.py::CoreOpsBehaviorTests::test_while_loop_output_spec
    def cond(x):
        return True

    def body(x):
        return (x,)
    loop_vars = (KerasTensor(shape=(10,), dtype="float32"),)
    output_spec = core.while_loop(cond, body, loop_vars)
    assert output_spec[0].shape == loop_vars[0].shape
    assert output_spec[0].dtype == loop_vars[0].dtype
    loop_vars = (np.random.rand(5, 5), np.random.randint(10, size=(3, 7)))
    keras_loop_vars = [KerasTensor(v.shape, dtype=v.dtype) for v in loop_vars]
    output_specs = core.while_loop(cond, body, keras_loop_vars)
    assert output_specs[0].shape == keras_loop_vars[0].shape
    assert output_specs[0].dtype == keras_loop_vars[0].dtype
    assert output_specs[1].shape == keras_loop_vars[1].shape
    assert output_specs[1].dtype == keras_loop_vars[1].dtype


def test_unstack_unknown_axis_num():
    # Keras: keras/src/ops/core_test.py::CoreOpsBehaviorTests::test_unstack_unknown_axis_num
    x = KerasTensor((2, None, None))
    with pytest.raises(ValueError, match=r"Cannot infer argument `num` from shape"):
        core.unstack(x, axis=1)


def test_unstack_axis_out_of_range():
    # Keras: keras/src/ops/core_test.py::CoreOpsBehaviorTests::test_unstack_axis_out_of_range
    x = KerasTensor((3, 4))
    with pytest.raises(ValueError, match=r"axis 10 is out of bounds"):
        core.unstack(x, axis=10)


# ================================================= linalg_test.py: dynamic shapes
@pytest.mark.parametrize("fn", ["cholesky", "cholesky_inverse", "inv"])
def test_dynamic_shape_square_to_square(fn):
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsDynamicShapeTest::test_cholesky,
    # ::test_cholesky_inverse, ::test_inv
    f = getattr(linalg, fn)
    x = KerasTensor([None, 20, 20])
    assert f(x).shape == (None, 20, 20)
    with pytest.raises(ValueError):
        f(KerasTensor([None, None, 20]))
    with pytest.raises(ValueError):
        f(KerasTensor([None, 20, 15]))


def test_dynamic_shape_det():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsDynamicShapeTest::test_det
    assert linalg.det(KerasTensor([None, 20, 20])).shape == (None,)
    with pytest.raises(ValueError):
        linalg.det(KerasTensor([None, None, 20]))
    with pytest.raises(ValueError):
        linalg.det(KerasTensor([None, 20, 15]))


@pytest.mark.parametrize("fn", ["eig", "eigh"])
def test_dynamic_shape_eig_eigh(fn):
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsDynamicShapeTest::test_eig, ::test_eigh
    w, v = getattr(linalg, fn)(KerasTensor([None, 20, 20]))
    assert w.shape == (None, 20)
    assert v.shape == (None, 20, 20)


def test_dynamic_shape_lu_factor():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsDynamicShapeTest::test_lu_factor
    lu, p = linalg.lu_factor(KerasTensor([None, 4, 3]))
    assert lu.shape == (None, 4, 3)
    assert p.shape == (None, 3)
    lu, p = linalg.lu_factor(KerasTensor([None, 2, 3]))
    assert lu.shape == (None, 2, 3)
    assert p.shape == (None, 2)


def test_dynamic_shape_matrix_rank():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsDynamicShapeTest::test_matrix_rank
    assert linalg.matrix_rank(KerasTensor([None, 4, 5])).shape == (None,)
    assert linalg.matrix_rank(KerasTensor([None, 3, 3])).shape == (None,)
    with pytest.raises(ValueError):
        linalg.matrix_rank(KerasTensor([None]))


def test_dynamic_shape_matrix_power():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsDynamicShapeTest::test_matrix_power
    x = KerasTensor([None, 20, 20])
    assert linalg.matrix_power(x, 3).shape == (None, 20, 20)
    assert linalg.matrix_power(x, 0).shape == (None, 20, 20)
    assert linalg.matrix_power(x, -2).shape == (None, 20, 20)
    with pytest.raises(ValueError):
        linalg.matrix_power(KerasTensor([None, None, 20]), 3)
    with pytest.raises(ValueError):
        linalg.matrix_power(KerasTensor([None, 20, 15]), 3)


def test_dynamic_shape_norm():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsDynamicShapeTest::test_norm
    assert linalg.norm(KerasTensor((None, 3))).shape == ()
    x = KerasTensor((None, 3, 3))
    assert linalg.norm(x, axis=1).shape == (None, 3)
    assert linalg.norm(x, axis=1, keepdims=True).shape == (None, 1, 3)


def test_dynamic_shape_pinv():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsDynamicShapeTest::test_pinv
    assert linalg.pinv(KerasTensor([None, 4, 3])).shape == (None, 3, 4)
    assert linalg.pinv(KerasTensor([None, 20, 20])).shape == (None, 20, 20)
    with pytest.raises(ValueError):
        linalg.pinv(KerasTensor([None]))


def test_dynamic_shape_qr():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsDynamicShapeTest::test_qr
    x = KerasTensor((None, 4, 3), dtype="float32")
    for mode in ("reduced", "complete"):
        q, r = linalg.qr(x, mode=mode)
        qref, rref = np.linalg.qr(np.ones((2, 4, 3)), mode=mode)
        assert q.shape == (None,) + qref.shape[1:]
        assert r.shape == (None,) + rref.shape[1:]


def test_qr_invalid_mode():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsDynamicShapeTest::test_qr_invalid_mode
    x = np.array([[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="Expected one of {'reduced', 'complete'}."):
        linalg.qr(x, mode="invalid_mode")


@pytest.mark.parametrize("fn", ["solve", "solve_triangular"])
def test_dynamic_shape_solve(fn):
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsDynamicShapeTest::test_solve,
    # ::test_solve_triangular
    f = getattr(linalg, fn)
    a = KerasTensor([None, 20, 20])
    assert f(a, KerasTensor([None, 20, 5])).shape == (None, 20, 5)
    assert f(a, KerasTensor([None, 20])).shape == (None, 20)
    if fn == "solve_triangular":
        assert f(a, KerasTensor([None, 20, 5]), lower=True).shape == (None, 20, 5)
        assert f(a, KerasTensor([None, 20]), lower=True).shape == (None, 20)
    else:
        with pytest.raises(ValueError):
            f(KerasTensor([None, None, 20]), KerasTensor([None, 20, 5]))
    with pytest.raises(ValueError):
        f(KerasTensor([None, 20, 15]), KerasTensor([None, 20, 5]))
    with pytest.raises(ValueError):
        f(a, KerasTensor([None, None, 5]))


def test_dynamic_shape_svd():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsDynamicShapeTest::test_svd
    x = KerasTensor((None, 3, 2))
    u, s, v = linalg.svd(x)
    assert (u.shape, s.shape, v.shape) == ((None, 3, 3), (None, 2), (None, 2, 2))
    u, s, v = linalg.svd(x, full_matrices=False)
    assert (u.shape, s.shape, v.shape) == ((None, 3, 2), (None, 2), (None, 2, 2))
    assert linalg.svd(x, compute_uv=False).shape == (None, 2)


# ================================================== linalg_test.py: static shapes
def test_static_shapes():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsStaticShapeTest (each test)
    x = KerasTensor([4, 3, 3])
    for fn in ("cholesky", "cholesky_inverse", "inv"):
        assert getattr(linalg, fn)(x).shape == (4, 3, 3)
        with pytest.raises(ValueError):
            getattr(linalg, fn)(KerasTensor([10, 20, 15]))
    assert linalg.det(x).shape == (4,)
    with pytest.raises(ValueError):
        linalg.det(KerasTensor([10, 20, 15]))
    for fn in ("eig", "eigh"):
        w, v = getattr(linalg, fn)(x)
        assert w.shape == (4, 3) and v.shape == (4, 3, 3)
    lu, p = linalg.lu_factor(KerasTensor([4, 3, 3]))
    assert lu.shape == (4, 3, 3) and p.shape == (4, 3)
    assert linalg.matrix_rank(KerasTensor([4, 3, 5])).shape == (4,)
    assert linalg.matrix_power(x, 2).shape == (4, 3, 3)
    assert linalg.norm(KerasTensor((10, 3))).shape == ()
    assert linalg.pinv(KerasTensor([4, 3, 5])).shape == (4, 5, 3)
    q, r = linalg.qr(KerasTensor((4, 3), dtype="float32"), mode="reduced")
    assert q.shape == (4, 3) and r.shape == (3, 3)
    q, r = linalg.qr(KerasTensor((4, 3), dtype="float32"), mode="complete")
    assert q.shape == (4, 4) and r.shape == (4, 3)
    a = KerasTensor([4, 3, 3])
    assert linalg.solve(a, KerasTensor([4, 3, 5])).shape == (4, 3, 5)
    assert linalg.solve(a, KerasTensor([4, 3])).shape == (4, 3)
    with pytest.raises(ValueError):
        linalg.solve(a, KerasTensor([4, 4, 5]))
    assert linalg.solve_triangular(a, KerasTensor([4, 3, 5])).shape == (4, 3, 5)
    u, s, v = linalg.svd(KerasTensor((10, 3, 2)))
    assert (u.shape, s.shape, v.shape) == ((10, 3, 3), (10, 2), (10, 2, 2))


# ==================================================== linalg_test.py: correctness
def test_cholesky():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsCorrectnessTest::test_cholesky
    x_non_psd = np.random.rand(4, 3, 3).astype("float32")
    with pytest.raises(ValueError):
        linalg.cholesky(x_non_psd)
    x = np.random.rand(4, 3, 3).astype("float32")
    x_psd = np.matmul(x, x.transpose((0, 2, 1))) + 1e-5 * np.eye(3, dtype="float32")
    l_out = linalg.cholesky(x_psd, upper=False)
    l_expected = np.linalg.cholesky(x_psd)
    assert_all_close(l_out, l_expected, atol=1e-4)
    u_out = linalg.cholesky(x_psd, upper=True)
    assert_all_close(u_out, l_expected.transpose((0, 2, 1)), atol=1e-4)


@pytest.mark.parametrize("upper", [False, True], ids=["lower", "upper"])
def test_cholesky_inverse(upper):
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsCorrectnessTest::test_cholesky_inverse
    A = np.array([[4.0, 12.0, -16.0], [12.0, 37.0, -43.0], [-16.0, -43.0, 98.0]],
                 dtype="float32")
    factor = np.linalg.cholesky(A, upper=True) if upper else np.linalg.cholesky(A)
    expected_inverse = np.array([[49.36111, -13.555555, 2.111111],
                                 [-13.555555, 3.777778, -0.555556],
                                 [2.111111, -0.555556, 0.111111]], dtype="float32")
    output_inverse = linalg.cholesky_inverse(factor, upper=upper)
    assert_all_close(output_inverse, expected_inverse, atol=1e-5)


def test_det():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsCorrectnessTest::test_det
    x = np.random.rand(4, 3, 3)
    assert_all_close(linalg.det(x), np.linalg.det(x), atol=1e-5)
    with pytest.raises(ValueError):
        linalg.det(np.random.rand(4, 3, 4))


@pytest.mark.parametrize("fn", ["eig", "eigh"])
def test_eig_eigh(fn):
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsCorrectnessTest::test_eig, ::test_eigh
    x = np.random.rand(2, 3, 3)
    x = x @ x.transpose((0, 2, 1))
    w, v = map(ops.convert_to_numpy, getattr(linalg, fn)(x))
    x_reconstructed = (v * w[..., None, :]) @ v.transpose((0, 2, 1))
    assert_all_close(x_reconstructed, x, atol=1e-4)


def test_inv():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsCorrectnessTest::test_inv
    x = np.random.rand(4, 3, 3)
    x_inv = ops.convert_to_numpy(linalg.inv(x))
    assert_all_close(x @ x_inv, np.repeat(np.eye(3)[None], 4, 0), atol=1e-3)


def test_lu_factor():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsCorrectnessTest::test_lu_factor
    def _pivot_matrix(pivots, n):
        p_matrix = np.eye(n)
        for i, p in enumerate(pivots):
            identity = np.eye(n, n)
            q = identity[i, :].copy()
            identity[i, :] = identity[p, :]
            identity[p, :] = q
            p_matrix = np.dot(p_matrix, identity)
        return p_matrix

    def _reconstruct(lu, pivots, m, n):
        lower = np.tril(lu[:, : min(m, n)], -1) + np.eye(m, min(m, n))
        upper = np.triu(lu[: min(m, n)])
        return _pivot_matrix(pivots, m) @ lower @ upper

    for m, n in ((4, 4), (4, 3)):
        x = np.random.rand(m, n)
        lu, pivots = map(ops.convert_to_numpy, linalg.lu_factor(x))
        assert_all_close(_reconstruct(lu, pivots, m, n), x, atol=1e-5)
    m, n = 3, 4
    x = np.random.rand(2, m, n)
    lu, pivots = map(ops.convert_to_numpy, linalg.lu_factor(x))
    for i in range(2):
        assert_all_close(_reconstruct(lu[i], pivots[i], m, n), x[i], atol=1e-5)


_NORM_CASES = [(ndim, o, axis, keepdims) for ndim in (1, 2)
               for o in (None, "fro", "nuc", -np.inf, -2, -1, 0, 1, 2, np.inf, 3)
               for axis in (None, 1, -1, (0, 1)) for keepdims in (False, True)]


@pytest.mark.parametrize("ndim,ord,axis,keepdims", _NORM_CASES)
def test_norm(ndim, ord, axis, keepdims):
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsCorrectnessTest::test_norm (the
    # errors of Keras' non-torch backends: ValueError)
    if ndim == 1:
        x = np.random.random((5,)).astype("float32")
    else:
        x = np.random.random((5, 6)).astype("float32")
    vector_norm = (ndim == 1) or isinstance(axis, int)
    axis_out_of_bounds = ndim == 1 and (axis == 1 or isinstance(axis, tuple))
    if (axis_out_of_bounds or (vector_norm and isinstance(axis, tuple))
            or (vector_norm and ord in ("fro", "nuc"))
            or (not vector_norm and ord in (0, 3))):
        with pytest.raises(ValueError):
            linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
        return
    output = linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    expected_result = np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    assert_all_close(output, expected_result, atol=1e-5)


def test_qr():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsCorrectnessTest::test_qr
    x = np.random.random((4, 5))
    for mode in ("reduced", "complete"):
        q, r = linalg.qr(x, mode=mode)
        qref, rref = np.linalg.qr(x, mode=mode)
        assert_all_close(q, qref, atol=1e-5, rtol=1e-4)
        assert_all_close(r, rref, atol=1e-5, rtol=1e-4)


def test_solve():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsCorrectnessTest::test_solve
    x1 = np.array([[1, 2], [4, 5]], dtype="float32")
    x2 = np.array([[2, 4], [8, 10]], dtype="float32")
    assert_all_close(linalg.solve(x1, x2), np.array([[2, 0], [0, 2]], dtype="float32"))


def test_solve_triangular():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsCorrectnessTest::test_solve_triangular
    x1 = np.array([[1, 2], [0, 5]], dtype="float32")
    x2 = np.array([2, 10], dtype="float32")
    assert_all_close(linalg.solve_triangular(x1, x2, lower=True),
                     np.array([2, 2], dtype="float32"))
    assert_all_close(linalg.solve_triangular(x1, x2, lower=False),
                     np.array([-2, 2], dtype="float32"))
    x1 = np.array([[[1, 2], [0, 5]], [[1, 2], [0, 5]]], dtype="float32")
    x2 = np.array([[2, 10], [2, 10]], dtype="float32")
    assert_all_close(linalg.solve_triangular(x1, x2, lower=True),
                     np.array([[2, 2], [2, 2]], dtype="float32"))


def test_svd():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsCorrectnessTest::test_svd
    x = np.random.rand(4, 30, 20).astype("float32")
    u, s, vh = linalg.svd(x)
    x_reconstructed = (u[..., :, : s.shape[-1]] * s[..., None, :]) @ vh[..., : s.shape[-1], :]
    assert_all_close(x_reconstructed, x, atol=1e-3)
    s_no_uv = linalg.svd(x, compute_uv=False)
    assert_all_close(s_no_uv, s, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("b_rank,rcond", [(1, None), (2, None), (1, 1e-3)],
                         ids=["b_rank_1", "b_rank_2", "rcond"])
def test_lstsq(b_rank, rcond):
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsCorrectnessTest::test_lstsq
    rng = np.random.default_rng(0)
    a = rng.random((5, 7)).astype("float32")
    a_symb = KerasTensor((5, 7))
    if b_rank == 1:
        b = rng.random((5,)).astype("float32")
        b_symb = KerasTensor((5,))
    else:
        b = rng.random((5, 4)).astype("float32")
        b_symb = KerasTensor((5, 4))
    out = linalg.lstsq(a, b, rcond=rcond)
    ref_out = np.linalg.lstsq(a, b, rcond=rcond)[0]
    assert_all_close(out, ref_out, atol=1e-5)
    out_symb = linalg.lstsq(a_symb, b_symb)
    assert out_symb.shape == out.shape


def test_matrix_rank():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsCorrectnessTest::test_matrix_rank
    rng = np.random.default_rng(42)
    a_full = rng.standard_normal((6, 3)).astype("float32")
    assert int(ops.convert_to_numpy(linalg.matrix_rank(a_full))) == 3
    u = rng.standard_normal((5,)).astype("float32")
    v = rng.standard_normal((4,)).astype("float32")
    assert int(ops.convert_to_numpy(linalg.matrix_rank(np.outer(u, v)))) == 1
    batched = rng.standard_normal((2, 3, 3)).astype("float32")
    assert_all_close(ops.convert_to_numpy(linalg.matrix_rank(batched)), [3, 3])
    a_near_singular = np.array([[1.0, 2.0], [2.0, 4.000001]], dtype="float32")
    assert int(ops.convert_to_numpy(linalg.matrix_rank(a_near_singular, tol=1e-2))) == 1
    a_symb = KerasTensor((4, 3, 5), dtype="float32")
    assert linalg.matrix_rank(a_symb).shape == (4,)


def test_matrix_power():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsCorrectnessTest::test_matrix_power
    rng = np.random.default_rng(0)
    x = rng.random((4, 3, 3)).astype("float32")
    assert_all_close(linalg.matrix_power(x, 3), np.linalg.matrix_power(x, 3), atol=1e-6)
    assert_all_close(linalg.matrix_power(x, 0), np.linalg.matrix_power(x, 0), atol=1e-6)
    x_2d = rng.random((3, 3)).astype("float32")
    assert_all_close(linalg.matrix_power(x_2d, 0), np.linalg.matrix_power(x_2d, 0), atol=1e-6)
    x_inv_stable = (x + 3 * np.eye(3)).astype("float32")
    assert_all_close(linalg.matrix_power(x_inv_stable, -2),
                     np.linalg.matrix_power(x_inv_stable, -2), atol=1e-6)
    assert_all_close(linalg.matrix_power(x, 1), x, atol=1e-6)
    with pytest.raises(TypeError):
        linalg.matrix_power(x, 3.5)
    with pytest.raises(ValueError):
        linalg.matrix_power(rng.random((4, 3, 2)), 2)
    with pytest.raises(ValueError):
        linalg.matrix_power(rng.random((4,)), 2)


@pytest.mark.parametrize("shape,rcond", [((7, 4), None), ((4, 7), None), ((5, 5), None),
                                         ((7, 4), 1e-10)],
                         ids=["tall_default_rcond", "wide_default_rcond",
                              "square_default_rcond", "tall_explicit_rcond"])
def test_pinv(shape, rcond):
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsCorrectnessTest::test_pinv
    rng = np.random.default_rng(42)
    a = rng.standard_normal(shape).astype("float32")
    out = linalg.pinv(a, rcond=rcond)
    ref = np.linalg.pinv(a, rcond=rcond if rcond is not None else 1e-15)
    assert_all_close(out, ref, atol=1e-4)
    a_out = ops.matmul(ops.matmul(a, out), a)
    assert_all_close(a_out, a, atol=1e-4)
    out_symb = linalg.pinv(KerasTensor(shape, dtype="float32"))
    assert out_symb.shape == (shape[1], shape[0])


def test_pinv_batched():
    # Keras: keras/src/ops/linalg_test.py::LinalgOpsCorrectnessTest::test_pinv_batched
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 6, 4)).astype("float32")
    out = linalg.pinv(a)
    assert_all_close(out, np.linalg.pinv(a), atol=1e-4)
    assert tuple(out.shape) == (3, 4, 6)


def test_qr_call_modes():
    # Keras: keras/src/ops/linalg_test.py::QrOpTest::test_qr_call_mode_reduced,
    # ::test_qr_call_mode_complete (the function instead of the Qr class)
    test_input = np.random.rand(10, 10)
    for mode in ("reduced", "complete"):
        q, r = linalg.qr(test_input, mode=mode)
        assert q.shape == (10, 10) and r.shape == (10, 10)


def test_jvp():
    # Keras: keras/src/ops/linalg_test.py::QrOpTest::test_jvp
    a1, a2 = ops.convert_to_tensor(0.1), ops.convert_to_tensor(0.2)
    primals, tangents = linalg.jvp(ops.sin, (a1,), (a2,))
    assert_all_close(primals, 0.0998, atol=1e-4)
    assert_all_close(tangents, 0.1990, atol=1e-4)

    def f(x):
        return ops.sin(x), x ** 2
    primals_out, tangents_out, aux = linalg.jvp(f, (a1,), (a2,), has_aux=True)
    assert_all_close(primals_out, 0.0998, atol=1e-4)
    assert_all_close(tangents_out, 0.1990, atol=1e-4)
    assert_all_close(aux, 0.01, atol=1e-4)


def test_jvp_symbolic():
    # Keras: keras/src/ops/linalg_test.py::QrOpTest::test_jvp_symbolic_has_aux_false
    primals = KerasTensor((None, 7))
    tangents = KerasTensor((None, 7))

    def fun(x):
        return ops.sin(x) + ops.cos(x)
    primals_out, tangents_out = linalg.jvp(fun, (primals,), (tangents,))
    assert primals_out.shape == primals.shape
    assert tangents_out.shape == tangents.shape

    def fun2(x):
        y = ops.exp(x)
        aux = ops.mean(y, axis=-1, keepdims=True)
        return y, aux
    primals_out, tangents_out, aux = linalg.jvp(fun2, (primals,), (tangents,), has_aux=True)
    assert primals_out.shape == primals.shape
    assert tangents_out.shape == tangents.shape
    assert aux.shape == (None, 1)


# ============================================================ einops_test.py
@pytest.mark.parametrize("symbolic", [False, True])
def test_basic_rearrangement(symbolic):
    # Keras: keras/src/ops/einops_test.py::RearrangeTest::test_basic_rearrangement (and
    # _symbolic)
    if symbolic:
        x = KerasTensor((2, 3, 4))
        y = rearrange(x, "b c h -> b h c")
        assert isinstance(y, KerasTensor)
        assert y.shape == (2, 4, 3)
        return
    x = np.random.uniform(size=(2, 3, 4))
    y = rearrange(x, "b c h -> b h c")
    assert y.shape == (2, 4, 3)
    assert ops.all(ops.equal(y, ops.transpose(x, (0, 2, 1))))


def test_output_composition():
    # Keras: keras/src/ops/einops_test.py::RearrangeTest::test_output_composition
    x = np.random.uniform(size=(2, 4, 4, 3))
    y = rearrange(x, "b h w c -> (b h) w c")
    assert y.shape == (8, 4, 3)
    assert ops.all(ops.equal(y, ops.reshape(x, (8, 4, 3))))


@pytest.mark.parametrize("symbolic", [False, True])
def test_basic_decomposition_and_rearrangement(symbolic):
    # Keras: keras/src/ops/einops_test.py::RearrangeTest::
    # test_basic_decomposition_and_rearrangement (and _symbolic)
    x = KerasTensor((6, 8)) if symbolic else np.random.uniform(size=(6, 8))
    y = rearrange(x, "(h w) c -> h w c", h=2, w=3)
    assert isinstance(y, KerasTensor) == symbolic
    assert y.shape == (2, 3, 8)


@pytest.mark.parametrize("symbolic", [False, True])
def test_unchanged_shape(symbolic):
    # Keras: keras/src/ops/einops_test.py::RearrangeTest::test_unchanged_shape (and
    # _symbolic)
    x = KerasTensor((2, 3, 4)) if symbolic else ops.ones([2, 3, 4])
    y = rearrange(x, "b h c -> b h c")
    assert x.shape == y.shape
    if not symbolic:
        assert ops.all(ops.equal(y, x))
