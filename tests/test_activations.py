"""Activation kernels against the NumPy reference, finite differences and known values."""
import numpy as np
import pytest

from fastnn import _kernels, ops
from fastnn import reference as R
from fastnn._codes import ACTIVATIONS

from conftest import SHAPES, tol

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


def _fd_grad(f, z, da, h=1e-6):
    """Central differences of sum(f(z) * da) with respect to each element of z."""
    g = np.empty_like(z)
    for idx in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[idx] += h
        zm[idx] -= h
        g[idx] = np.sum((f(zp) - f(zm)) * da) / (2 * h)
    return g


@pytest.mark.parametrize("name", NAMES)
def test_gradients_match_finite_differences(name):
    z = _inputs((3, 4), np.float64, seed=2, name=name)
    da = np.random.default_rng(3).normal(size=z.shape)
    fd_kernel = _fd_grad(lambda t: _raw_forward(name, t), z, da)
    fd_ref = _fd_grad(lambda t: R.activation_forward(name, t), z, da)
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
