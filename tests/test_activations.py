"""Activation kernels against the NumPy reference, finite differences and known values."""
import numpy as np
import pytest

from fastnn import _kernels, kernel_ops as ops
from fastnn import reference as R
from fastnn._codes import ACTIVATIONS

from cases import SHAPES, tol, vjp_central_diff

NAMES = sorted(ACTIVATIONS)
ROWWISE = ("softmax", "log_softmax")
# Points where the derivative jumps: finite differences must stay away from them.
KINKS = {"relu": [0.0], "leaky_relu": [0.0], "elu": [0.0], "selu": [0.0],
         "hard_sigmoid": [-3.0, 3.0]}


def _inputs(shape, dtype, seed=0, name=None):
    z = np.random.default_rng(seed).normal(scale=2.0, size=shape)
    for k in KINKS.get(name, []):
        near = np.abs(z - k) < 0.05
        z[near] += 0.1
    return z.astype(dtype)


def _raw_forward(name, z):
    code, param = ACTIVATIONS[name]
    a = np.empty_like(z)
    _kernels.act_forward(code, param, z, a)
    return a


def _raw_backward(name, z, a, da):
    code, param = ACTIVATIONS[name]
    dz = np.empty_like(z)
    _kernels.act_backward(code, param, z, a, da, dz)
    return dz


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name", NAMES)
def test_forward_backward_match_reference(name, shape, dtype, threads):
    z = _inputs(shape, dtype, name=name)
    da = np.random.default_rng(1).normal(size=shape).astype(dtype)
    a = _raw_forward(name, z)
    ref_a = R.activation_forward(name, z)
    assert a.dtype == dtype
    np.testing.assert_allclose(a, ref_a, **tol(dtype))
    dz = _raw_backward(name, z, a, da)
    np.testing.assert_allclose(dz, R.activation_grad(name, z, ref_a, da), **tol(dtype))


@pytest.mark.parametrize("name", NAMES)
def test_both_simd_paths_match_reference_wide_range(name, simd_path):
    # float32: the AVX2 path has its own exp/tanh; odd lengths exercise the vector tails
    z = np.concatenate([np.linspace(-60, 60, 1001), np.linspace(-2, 2, 333),
                        np.logspace(-20, 1, 50), -np.logspace(-20, 1, 50)])
    if name == "exponential":
        z = z[z < 80]
    z = z.astype(np.float32).reshape(1, -1)
    a = _raw_forward(name, z)
    ref = R.activation_forward(name, z.astype(np.float64))
    # gelu's Keras formula 0.5 x (1 + erf|tanh) cancels for x << 0 in float32: the
    # error there is absolute (< 1e-7), as in Keras itself
    atol = 1e-6 if name.startswith("gelu") else 1e-30
    # softmax rows: z - max(z) is rounded to float32 before exp (relative error up to
    # ulp(|z - max|) / 2 in the result), the reference subtracts in float64
    rtol = 4e-6 if name in ROWWISE else 1e-6
    np.testing.assert_allclose(a, ref, rtol=rtol, atol=atol)
    da = np.random.default_rng(13).normal(size=z.shape).astype(np.float32)
    ref_a = R.activation_forward(name, z)  # float32, so both sides see the same a
    np.testing.assert_allclose(_raw_backward(name, z, ref_a, da),
                               R.activation_grad(name, z.astype(np.float64),
                                                 ref_a.astype(np.float64), da.astype(np.float64)),
                               rtol=1e-5, atol=1e-6)
    for rows, cols in [(7, 13), (3, 8), (1, 5)]:
        zz = _inputs((rows, cols), np.float32, seed=11, name=name)
        aa = _raw_forward(name, zz)
        np.testing.assert_allclose(aa, R.activation_forward(name, zz), **tol(np.float32))
        dd = np.random.default_rng(14).normal(size=zz.shape).astype(np.float32)
        np.testing.assert_allclose(_raw_backward(name, zz, aa, dd),
                                   R.activation_grad(name, zz, aa, dd), **tol(np.float32))


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "silu", "exponential", "gelu_tanh",
                                  "softplus", "elu", "selu"])
def test_element_result_does_not_depend_on_its_position(name, simd_path):
    z = _inputs((1, 8195), np.float32, seed=12, name=name)
    full = _raw_forward(name, z)
    full_grad = _raw_backward(name, z, full, np.ones_like(z))
    for lo, hi in [(3, 8), (5, 4101), (8190, 8195), (0, 1)]:
        part = _raw_forward(name, np.ascontiguousarray(z[:, lo:hi]))
        np.testing.assert_array_equal(part, full[:, lo:hi])
        da = np.ones_like(part)
        np.testing.assert_array_equal(_raw_backward(name, np.ascontiguousarray(z[:, lo:hi]),
                                                    part, da), full_grad[:, lo:hi])



@pytest.mark.parametrize("name", NAMES)
def test_gradients_match_finite_differences(name):
    z = _inputs((3, 4), np.float64, seed=2, name=name)
    da = np.random.default_rng(3).normal(size=z.shape)
    fd_kernel = vjp_central_diff(lambda t: _raw_forward(name, t), z, da)
    fd_ref = vjp_central_diff(lambda t: R.activation_forward(name, t), z, da)
    a = _raw_forward(name, z)
    np.testing.assert_allclose(_raw_backward(name, z, a, da), fd_kernel, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(R.activation_grad(name, z, R.activation_forward(name, z), da),
                               fd_ref, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "exponential"])
def test_extreme_inputs_stay_finite(name, dtype):
    z = np.array([[1e4, -1e4, 0.0, 50.0, -50.0, 1e-4]], dtype=dtype)
    a = _raw_forward(name, z)
    dz = _raw_backward(name, z, a, np.ones_like(z))
    assert np.all(np.isfinite(a)), a
    assert np.all(np.isfinite(dz)), dz


def test_extreme_values_are_right(dtype):
    z = np.array([[1e4, -1e4, 0.0]], dtype=dtype)
    np.testing.assert_array_equal(_raw_forward("sigmoid", z)[0], [1.0, 0.0, 0.5])
    np.testing.assert_allclose(_raw_forward("softplus", z)[0], [1e4, 0.0, np.log(2)],
                               rtol=1e-6)
    np.testing.assert_array_equal(_raw_forward("softmax", z)[0], [1.0, 0.0, 0.0])
    np.testing.assert_array_equal(_raw_forward("log_softmax", z)[0], [0.0, -2e4, -1e4])
    np.testing.assert_array_equal(_raw_forward("silu", z)[0], [1e4, 0.0, 0.0])
    np.testing.assert_allclose(_raw_forward("selu", z)[0],
                               [1e4 * R.SELU_SCALE, -R.SELU_SCALE * R.SELU_ALPHA, 0.0],
                               rtol=1e-6)


@pytest.mark.parametrize("k", [1, 2, 7, 100])
def test_all_equal_logits_give_uniform_softmax(k, dtype):
    z = np.full((3, k), 123.5, dtype=dtype)
    np.testing.assert_allclose(_raw_forward("softmax", z), 1.0 / k, rtol=1e-6)
    np.testing.assert_allclose(_raw_forward("log_softmax", z), -np.log(k), rtol=1e-6,
                               atol=1e-7)


def test_known_keras_values():
    x = np.array([-1.0, 1.0])
    np.testing.assert_allclose(ops.gelu(x), [-0.15865525, 0.84134475], rtol=1e-7)
    np.testing.assert_allclose(ops.gelu(x, approximate=True), [-0.15880801, 0.84119199],
                               rtol=1e-7)
    np.testing.assert_allclose(ops.hard_sigmoid(x), [1 / 3, 2 / 3], rtol=1e-12)
    np.testing.assert_allclose(ops.elu(x), [-0.63212056, 1.0], rtol=1e-7)
    np.testing.assert_allclose(ops.selu(x), [-1.11133074, 1.05070099], rtol=1e-7)
    np.testing.assert_allclose(ops.leaky_relu(x), [-0.2, 1.0], rtol=1e-12)
    np.testing.assert_allclose(ops.silu(x), [-0.26894142, 0.73105858], rtol=1e-7)
    np.testing.assert_allclose(ops.softsign(x), [-0.5, 0.5], rtol=1e-12)
    np.testing.assert_allclose(ops.softplus(x), [0.31326169, 1.31326169], rtol=1e-7)


@pytest.mark.parametrize("name", NAMES)
def test_thread_count_does_not_change_results(name, dtype, set_threads):
    # big enough that the kernels actually split the work over 2 threads
    z = _inputs((400, 330), dtype, seed=4, name=name)
    da = np.random.default_rng(5).normal(size=z.shape).astype(dtype)
    out = []
    for n in (1, 2):
        set_threads(n)
        a = _raw_forward(name, z)
        out.append((a, _raw_backward(name, z, a, da)))
    np.testing.assert_array_equal(out[0][0], out[1][0])
    np.testing.assert_array_equal(out[0][1], out[1][1])


@pytest.mark.parametrize("name", NAMES)
def test_in_place_forward_and_backward(name, dtype):
    z = _inputs((4, 6), dtype, seed=6, name=name)
    da = np.random.default_rng(7).normal(size=z.shape).astype(dtype)
    a = _raw_forward(name, z)
    dz = _raw_backward(name, z, a, da)
    inplace = z.copy()
    code, param = ACTIVATIONS[name]
    _kernels.act_forward(code, param, inplace, inplace)
    np.testing.assert_array_equal(inplace, a)
    g = da.copy()
    _kernels.act_backward(code, param, z, a, g, g)
    np.testing.assert_array_equal(g, dz)


def test_raw_bindings_reject_bad_codes_and_shapes():
    z = np.zeros((2, 3))
    with pytest.raises(ValueError, match="activation code"):
        _kernels.act_forward(len(ACTIVATIONS), 0.0, z, z.copy())
    with pytest.raises(ValueError, match="activation code"):
        _kernels.act_forward(-1, 0.0, z, z.copy())
    with pytest.raises(ValueError, match="a must have shape"):
        _kernels.act_forward(1, 0.0, z, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="dz must have shape"):
        _kernels.act_backward(1, 0.0, z, z, z, np.zeros((2, 2)))
    with pytest.raises(TypeError):
        _kernels.act_forward(1, 0.0, None, z)
    with pytest.raises(ValueError):  # not C-contiguous: memoryview refuses it
        _kernels.act_forward(1, 0.0, np.zeros((3, 2)).T, z)


def test_leaky_relu_and_elu_parameters_reach_the_kernel():
    x = np.array([[-2.0, 3.0]])
    np.testing.assert_allclose(ops.leaky_relu(x, negative_slope=0.3), [[-0.6, 3.0]])
    np.testing.assert_allclose(ops.elu(x, alpha=2.0), [[2 * np.expm1(-2.0), 3.0]])
    da = np.ones_like(x)
    g = ops.activation_grad("leaky_relu", x, ops.leaky_relu(x, 0.3), da, negative_slope=0.3)
    np.testing.assert_allclose(g, [[0.3, 1.0]])


def test_elu_alpha_on_both_simd_paths(simd_path):
    z = np.linspace(-20, 5, 1003).astype(np.float32).reshape(1, -1)
    code = ACTIVATIONS["elu"][0]
    a = np.empty_like(z)
    _kernels.act_forward(code, 2.5, z, a)
    np.testing.assert_allclose(a, R.elu(z.astype(np.float64), alpha=2.5), rtol=1e-6)
    dz = np.empty_like(z)
    _kernels.act_backward(code, 2.5, z, a, np.ones_like(z), dz)
    np.testing.assert_allclose(dz, np.where(z > 0, 1.0, 2.5 * np.exp(z.astype(np.float64))),
                               rtol=1e-6)
