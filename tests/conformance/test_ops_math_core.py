"""Keras 3's own tests of keras.ops' math and core functions (keras/src/ops/math_test.py,
keras/src/ops/core_test.py), ported to fastnn.ops for the functions fastnn.ops has:
erf and logsumexp (math); cast, convert_to_tensor, convert_to_numpy, is_tensor, shape,
stop_gradient and custom_gradient (core).

Each test names its source (`# Keras: keras/src/ops/<file>::<class>::<test>`). The shape
tests run on fastnn's symbolic tensors (`fastnn.KerasTensor`); the dtype tests on the
dtypes fastnn has (every NumPy dtype Keras lists, not bfloat16 or float8); Keras'
operation classes (`kmath.Erf().symbolic_call(x)`, `core.Cast(dtype)(x)`) are the
functions called on a KerasTensor (or on the values). Keras' assertAllClose defaults
(rtol = atol = 1e-6) are kept.

Not ported: the functions fastnn.ops does not have: math's cdist, erfc, erfinv,
gammainc, segment_sum / segment_max / segment_min / segment_prod, top_k, in_top_k,
extract_sequences, fft / fft2 / ifft2 / rfft / irfft / stft / istft, rsqrt, logdet,
view_as_complex / view_as_real; core's associative_scan, cond, dynamic_slice,
fori_loop, map, saturate_cast, scan, scatter, scatter_update, slice, slice_update,
switch, vectorized_map, while_loop, unstack, RematScope, and getitem on Keras'
backend tensors; sparse and ragged tensors; bfloat16 and float8.
"""
import math

import numpy as np
import pytest

import fastnn as keras
from fastnn import KerasTensor, layers, losses, models, optimizers
from fastnn import ops
from fastnn import ops as core
from fastnn import ops as kmath
from fastnn import ops as knp

# Keras' dtypes.ALLOWED_DTYPES less string, complex, float8, bfloat16 (fastnn has no
# bfloat16) and the 64-bit ones (Keras leaves them out of these tests)
ALL_DTYPES = ["float16", "float32", "uint8", "uint16", "uint32", "int8", "int16",
              "int32", "bool"]
FLOAT_DTYPES = ["float16", "float32"]


def assert_all_close(a, b, rtol=1e-6, atol=1e-6):
    np.testing.assert_allclose(np.asarray(a, dtype=np.float64), np.asarray(b, np.float64),
                               rtol=rtol, atol=atol)


def standardize_dtype(d):
    return np.dtype(d).name


def assert_dtype(x, dtype):
    assert standardize_dtype(x.dtype) == dtype


# ======================================================================= math_test.py
def test_dynamic_shape_erf():
    # Keras: keras/src/ops/math_test.py::MathOpsDynamicShapeTest::test_erf
    x = KerasTensor((None, 2, 3))
    y = kmath.erf(x)
    assert y.shape == (None, 2, 3)


def test_dynamic_shape_logsumexp():
    # Keras: keras/src/ops/math_test.py::MathOpsDynamicShapeTest::test_logsumexp
    x = KerasTensor((None, 2, 3), dtype="float32")
    assert kmath.logsumexp(x).shape == ()
    assert kmath.logsumexp(x, axis=1).shape == (None, 3)
    assert kmath.logsumexp(x, axis=(1, 2)).shape == (None,)
    assert kmath.logsumexp(x, keepdims=True).shape == (1, 1, 1)


def test_static_shape_erf():
    # Keras: keras/src/ops/math_test.py::MathOpsStaticShapeTest::test_erf
    x = KerasTensor((1, 2, 3))
    y = kmath.erf(x)
    assert y.shape == (1, 2, 3)


def test_static_shape_logsumexp():
    # Keras: keras/src/ops/math_test.py::MathOpsStaticShapeTest::test_logsumexp
    x = KerasTensor((1, 2, 3), dtype="float32")
    result = kmath.logsumexp(x)
    assert result.shape == ()


def test_logsumexp():
    # Keras: keras/src/ops/math_test.py::MathOpsCorrectnessTest::test_logsumexp
    x = np.random.rand(5, 5)
    outputs = kmath.logsumexp(x)
    expected = np.log(np.sum(np.exp(x)))
    assert_all_close(outputs, expected)

    outputs = kmath.logsumexp(x, axis=1)
    expected = np.log(np.sum(np.exp(x), axis=1))
    assert_all_close(outputs, expected)


def _erf(x):
    """Keras' tests take scipy.special.erf as the reference; math.erf is the same function
    in double precision, without scipy (not one of fastnn's test dependencies)."""
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def test_erf_operation_basic():
    # Keras: keras/src/ops/math_test.py::MathOpsCorrectnessTest::test_erf_operation_basic
    # Sample values for testing
    sample_values = np.array([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0])

    # Expected output using numpy's approximation of the error function
    expected_output = _erf(sample_values)

    # Output from the erf operation in keras_core
    output_from_erf_op = kmath.erf(sample_values)

    # Assert that the outputs are close
    assert_all_close(output_from_erf_op, expected_output, atol=1e-4)


def test_erf_operation_dtype():
    # Keras: keras/src/ops/math_test.py::MathOpsCorrectnessTest::test_erf_operation_dtype
    # Test for float32 and float64 data types
    for dtype in ("float32", "float64"):
        sample_values = np.array([-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0], dtype=dtype)
        expected_output = _erf(sample_values)
        output_from_erf_op = kmath.erf(sample_values)
        assert_all_close(output_from_erf_op, expected_output, atol=1e-4)


def test_erf_operation_edge_cases():
    # Keras: keras/src/ops/math_test.py::MathOpsCorrectnessTest::
    # test_erf_operation_edge_cases
    # Test for edge cases
    edge_values = np.array([1e5, -1e5, 1e-5, -1e-5], dtype=np.float64)
    expected_output = _erf(edge_values)
    output_from_edge_erf_op = kmath.erf(edge_values)
    assert_all_close(output_from_edge_erf_op, expected_output, atol=1e-4)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_dtype_erf(dtype):
    # Keras: keras/src/ops/math_test.py::MathDtypeTest::test_erf (JAX's lax.erf keeps
    # the float dtype)
    if dtype == "float16":
        pytest.skip("fastnn computes float16 inputs of its nn ops in float32 (no float16 "
                    "arithmetic)")
    x = knp.ones((1,), dtype=dtype)
    expected_dtype = dtype
    assert standardize_dtype(kmath.erf(x).dtype) == expected_dtype
    assert standardize_dtype(kmath.erf(KerasTensor((1,), dtype=dtype)).dtype) == \
        expected_dtype


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_dtype_logsumexp(dtype):
    # Keras: keras/src/ops/math_test.py::MathDtypeTest::test_logsumexp (JAX's
    # jax.scipy.special.logsumexp keeps the float dtype)
    x = knp.ones((2, 3), dtype=dtype)
    expected_dtype = dtype
    assert standardize_dtype(kmath.logsumexp(x).dtype) == expected_dtype
    assert standardize_dtype(kmath.logsumexp(KerasTensor((2, 3), dtype=dtype)).dtype) == \
        expected_dtype


def test_logsumexp_call():
    # Keras: keras/src/ops/math_test.py::LogsumexpTest::test_logsumexp_call
    x = np.array([[1, 2], [3, 4]], dtype=np.float32)
    axis = 0
    keepdims = True
    output = kmath.logsumexp(x, axis=axis, keepdims=keepdims)
    expected_output = np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))
    assert_all_close(output, expected_output)


def test_logsumexp_list_input():
    # Keras: keras/src/ops/math_test.py::LogsumexpTest::test_logsumexp_list_input
    x = [[1.0, 2.0], [3.0, 4.0]]
    output = kmath.logsumexp(x)
    expected_output = np.log(np.sum(np.exp(x)))
    assert_all_close(output, expected_output)


# ======================================================================= core_test.py
def test_dynamic_shape_cast():
    # Keras: keras/src/ops/core_test.py::CoreOpsDynamicShapeTest::test_cast
    x = KerasTensor((3, 5, None), dtype="float32")
    assert core.cast(x, "float16").shape == (3, 5, None)


def test_dynamic_shape_convert_to_tensor():
    # Keras: keras/src/ops/core_test.py::CoreOpsDynamicShapeTest::test_convert_to_tensor
    x = KerasTensor((2, None))
    assert core.convert_to_tensor(x).shape == (2, None)


def test_dynamic_shape_stop_gradient():
    # Keras: keras/src/ops/core_test.py::CoreOpsDynamicShapeTest::test_stop_gradient
    variable = KerasTensor(shape=(3, None), dtype="float32")
    assert core.stop_gradient(variable).shape == (3, None)


def test_static_shape_cast():
    # Keras: keras/src/ops/core_test.py::CoreOpsStaticShapeTest::test_cast
    x = KerasTensor((3, 5, 7), dtype="float32")
    assert core.cast(x, "float16").shape == (3, 5, 7)


def test_static_shape_convert_to_tensor():
    # Keras: keras/src/ops/core_test.py::CoreOpsStaticShapeTest::test_convert_to_tensor
    # (the first assertion: the rest are about sparse KerasTensors)
    x = KerasTensor((2, 3))
    out = core.convert_to_tensor(x)
    assert out.shape == x.shape


def test_static_shape_stop_gradient():
    # Keras: keras/src/ops/core_test.py::CoreOpsStaticShapeTest::test_stop_gradient
    variable = KerasTensor(shape=(3, 3), dtype="float32")
    assert core.stop_gradient(variable).shape == (3, 3)


def test_cast():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_cast
    x = ops.ones((2,), dtype="float32")
    y = ops.cast(x, "float16")
    assert "float16" in str(y.dtype)

    x = KerasTensor((2,), dtype="float32")
    y = ops.cast(x, "float16")
    assert "float16" == y.dtype
    assert x.shape == y.shape
    assert hasattr(y, "_keras_history")

    # Test Operation call.
    x = ops.ones((2,), dtype="float32")
    assert_dtype(core.cast(x, "float16"), "float16")


def test_convert_to_tensor():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_convert_to_tensor
    x = np.ones((2,))
    x = ops.convert_to_tensor(x)
    x = ops.convert_to_numpy(x)
    assert_all_close(x, (1, 1))
    assert isinstance(x, np.ndarray)

    # Empty lists should give an empty array.
    x = ops.convert_to_tensor([])
    np_x = ops.convert_to_numpy(x)
    assert ops.is_tensor(x)
    assert_all_close(x, [])
    assert isinstance(np_x, np.ndarray)

    # Partially converted.
    x = ops.convert_to_tensor((1, ops.array(2), 3))
    assert_all_close(x, (1, 2, 3))


@pytest.mark.parametrize("use_variable", [False, True])
def test_custom_gradient(use_variable):
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_custom_gradient
    # (the TensorFlow branch, on fastnn's GradientTape)
    # function to test custom_gradient on
    @ops.custom_gradient
    def log1pexp(x):
        e = ops.exp(x)

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1, e))

        return ops.log(1 + e), grad

    def log1pexp_nan(x):
        return ops.log(1 + ops.exp(x))

    x = ops.convert_to_tensor(100.0)
    if use_variable:

        class Log1PExpLayer(layers.Layer):
            def __init__(self):
                super().__init__()
                self.v = keras.Variable(5.0, trainable=False)

            def call(self, inputs):
                # The derivative of this layer is 1 with respect to inputs.
                # But on the side, we test passing a variable to a function
                # using @custom_gradient
                return log1pexp(self.v) + inputs

        to_derive = Log1PExpLayer()
    else:
        to_derive = log1pexp

    with keras.GradientTape() as tape1:
        tape1.watch(x)
        y = to_derive(x)
    with keras.GradientTape() as tape2:
        tape2.watch(x)
        z = log1pexp_nan(x)
    dy_dx = tape1.gradient(y, x)
    dz_dx = tape2.gradient(z, x)  # noqa: F841 (Keras' TensorFlow branch takes it too)
    assert ops.convert_to_numpy(dy_dx) == 1.0


def test_is_tensor():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_is_tensor
    np_x = np.array([[1, 2, 3], [3, 2, 1]])
    x = ops.convert_to_tensor(np_x)
    # (Keras skips the NumPy-array line on its NumPy backend, where tensors are
    # ndarrays; fastnn's Tensor is a subclass of ndarray, and is_tensor of a plain
    # ndarray is False as on TensorFlow, JAX and torch)
    assert not ops.is_tensor(np_x)
    assert ops.is_tensor(x)
    assert not ops.is_tensor([1, 2, 3])


def test_shape():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_shape
    x = ops.ones((2, 3, 7, 1))
    assert core.shape(x).__class__ == tuple
    assert core.shape(x) == (2, 3, 7, 1)

    x = KerasTensor((None, 3, None, 1))
    assert core.shape(x).__class__ == tuple
    assert core.shape(x) == (None, 3, None, 1)


def test_stop_gradient():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_stop_gradient
    class ExampleLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.w = self.add_weight(shape=(1,), initializer="zeros")
            self.b = self.add_weight(shape=(1,), initializer="zeros")

        def call(self, x, training=False):
            return ops.add(ops.multiply(x, ops.stop_gradient(self.w)), self.b)

    model = models.Sequential([ExampleLayer()])
    model.compile(optimizer=optimizers.SGD(), loss=losses.MeanSquaredError())
    rng = np.random.default_rng(0)
    x = np.ones((2, 4), dtype="float32")
    y = rng.standard_normal((2, 4), dtype="float32")
    model.fit(x, y, epochs=1, batch_size=2)
    assert model.layers[0].w.numpy() == 0.0
    assert model.layers[0].b.numpy() != 0.0


def test_stop_gradient_no_fit():
    # Keras: keras/src/ops/core_test.py::CoreOpsCorrectnessTest::test_stop_gradient_no_fit
    x = ops.random.uniform(shape=(2, 4), dtype="float32")
    y = ops.stop_gradient(x)
    assert_all_close(x, y)

    # Functional.
    a = layers.Input(shape=(2,))
    b = layers.Dense(4, kernel_initializer="ones", use_bias=False)(a)
    c = layers.Dense(4, kernel_initializer="ones", use_bias=False)(b)
    d = ops.stop_gradient(b) + c
    model = models.Model(inputs=a, outputs=d)
    output = model(ops.convert_to_tensor([[1.0, 2.0]]))
    assert_all_close(output, 15.0)

    # Test Operation call.
    variable = ops.convert_to_tensor(np.array([1.0, 2.0, 3.0], dtype="float32"))
    assert_all_close(core.stop_gradient(variable), variable)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_dtype_cast(dtype):
    # Keras: keras/src/ops/core_test.py::CoreOpsDtypeTest::test_cast
    x = np.ones((1,))

    assert_dtype(core.cast(x, dtype), dtype)
    assert_dtype(core.cast(KerasTensor(x.shape, dtype=x.dtype), dtype), dtype)


@pytest.mark.parametrize("x, dtype, expected_dtype", [
    ((), None, "float32"),
    ([], None, "float32"),
    (bool(0), None, "bool"),
    (int(0), None, "int32"),
    (float(0), None, "float32"),
    (1, "bool", "bool"),
    (1.0, "int32", "int32"),
    (1.0, "float32", "float32"),
    ([False, True, False], None, "bool"),
    ([1, 2, 3], None, "int32"),
    ([1.0, 2.0, 3.0], None, "float32"),
    ([1, 2.0, 3], None, "float32"),
    ([[False], [True], [False]], None, "bool"),
    ([[1], [2], [3]], None, "int32"),
    ([[1], [2.0], [3]], None, "float32"),
    *[(np.array(0, dtype=dtype), None, dtype) for dtype in ALL_DTYPES],
    *[([[1, 0, 1], [1, 1, 0]], dtype, dtype) for dtype in ALL_DTYPES],
])
def test_dtype_convert_to_tensor(x, dtype, expected_dtype):
    # Keras: keras/src/ops/core_test.py::CoreOpsDtypeTest::test_convert_to_tensor
    # (backend.floatx() is float32)
    assert_dtype(ops.convert_to_tensor(x, dtype=dtype), expected_dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_dtype_convert_to_tensor_with_tensor(dtype):
    # Keras: keras/src/ops/core_test.py::CoreOpsDtypeTest::test_convert_to_tensor_with_tensor
    x = ops.convert_to_tensor(np.ones((2, 3), dtype="float32"))

    assert_dtype(ops.convert_to_tensor(x, dtype=dtype), dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_dtype_convert_to_tensor_with_variable(dtype):
    # Keras: keras/src/ops/core_test.py::CoreOpsDtypeTest::
    # test_convert_to_tensor_with_variable
    x = keras.Variable(np.ones((2, 3), dtype="float32"))

    assert_dtype(ops.convert_to_tensor(x, dtype=dtype), dtype)


def test_convert_to_numpy():
    # Keras: keras/src/ops/core_test.py::CoreOpsBehaviorTests::test_convert_to_numpy
    x = ops.array([1, 2, 3], dtype="float32")
    y = ops.convert_to_numpy(x)
    assert isinstance(y, np.ndarray)
    # Test assignment -- should not fail.
    y[0] = 1.0

    with pytest.raises(ValueError):
        ops.convert_to_numpy(KerasTensor((2,)))


def test_convert_to_tensor_python_float_with_dtype():
    # Keras: keras/src/ops/core_test.py::CoreOpsBehaviorTests::
    # test_convert_to_tensor_python_float_with_dtype
    t = ops.convert_to_tensor(1.5, dtype="float32")
    assert standardize_dtype(t.dtype) == "float32"
    t = ops.convert_to_tensor(1.5, dtype="float16")
    assert standardize_dtype(t.dtype) == "float16"


def test_convert_to_tensor_python_int_with_dtype():
    # Keras: keras/src/ops/core_test.py::CoreOpsBehaviorTests::
    # test_convert_to_tensor_python_int_with_dtype
    t = ops.convert_to_tensor(7, dtype="int16")
    assert standardize_dtype(t.dtype) == "int16"
    t = ops.convert_to_tensor(7, dtype="float32")
    assert standardize_dtype(t.dtype) == "float32"


def test_convert_to_tensor_python_bool_with_dtype():
    # Keras: keras/src/ops/core_test.py::CoreOpsBehaviorTests::
    # test_convert_to_tensor_python_bool_with_dtype
    t = ops.convert_to_tensor(True, dtype="float32")
    assert standardize_dtype(t.dtype) == "float32"
    t = ops.convert_to_tensor(True)
    assert standardize_dtype(t.dtype) == "bool"


def test_stop_gradient_compute_output_spec():
    # Keras: keras/src/ops/core_test.py::CoreOpsBehaviorTests::
    # test_stop_gradient_compute_output_spec
    variable = KerasTensor(shape=(3,), dtype="float32")
    output_spec = core.stop_gradient(variable)
    assert output_spec.shape == variable.shape
    assert output_spec.dtype == variable.dtype
