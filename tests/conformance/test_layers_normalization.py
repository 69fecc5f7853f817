"""Keras 3's tests of LayerNormalization and UnitNormalization, ported to fastnn.layers.

Sources: keras-team/keras at 3422977a5e38,
`keras/src/layers/normalization/layer_normalization_test.py` (LayerNormalizationTest)
and `unit_normalization_test.py` (UnitNormalizationTest). `run_layer_test` is
tests/conformance/layer_testing.py. Error messages are matched by fastnn's wording
(case-insensitive) with Keras' regex quoted beside it.

Not ported (out of scope): test_large_value_within_autocast_scope (float16 autocast
scopes: mixed precision). The other files of the folder: batch_normalization_test.py
(BatchNormalization, which fastnn had before, tested in tests/test_batchnorm.py),
group_normalization_test.py and spectral_normalization_test.py (convolutional-network
layers). rms_normalization_test.py (RMSNormalization) is ported in
tests/test_prelu_rmsnorm.py, with fastnn's own tests of the layer.
"""
import numpy as np
import pytest

from fastnn import layers, regularizers
from fastnn.autodiff import ops

from tests.conformance.layer_testing import assert_all_close, run_layer_test

LN = "keras/src/layers/normalization/layer_normalization_test.py::LayerNormalizationTest"
UN = "keras/src/layers/normalization/unit_normalization_test.py::UnitNormalizationTest"


@pytest.mark.parametrize("init_kwargs,input_shape,trainable,num_losses", [
    ({"gamma_regularizer": regularizers.L2(0.01), "beta_regularizer": regularizers.L2(0.01)},
     (3, 4, 2), 2, 2),
    ({"gamma_initializer": "ones", "beta_initializer": "ones"}, (3, 4, 2), 2, 0),
    ({"scale": False, "center": False}, (3, 3), 0, 0),
    ({"rms_scaling": True}, (3, 3), 1, 0),
    ({"axis": (-3, -2, -1)}, (2, 8, 8, 3), 2, 0),
    ({}, (1, 0, 10), 2, 0),
], ids=["regularizers", "initializers", "no_scale_no_center", "rms_scaling", "three_axes",
        "empty"])
@pytest.mark.filterwarnings("ignore:You passed `rms_scaling=True`")
def test_ln_basics(init_kwargs, input_shape, trainable, num_losses):
    # Keras: keras/src/layers/normalization/layer_normalization_test.py::LayerNormalizationTest::test_ln_basics
    if 0 in input_shape:
        # Keras' training check fits on an empty batch, which fastnn's fit refuses
        # ("x must not be empty"); the rest of the case runs
        run_training_check = False
    else:
        run_training_check = True
    run_layer_test(layers.LayerNormalization, init_kwargs=init_kwargs, input_shape=input_shape,
                   expected_output_shape=input_shape, expected_num_trainable_weights=trainable,
                   expected_num_non_trainable_weights=0, expected_num_losses=num_losses,
                   supports_masking=True, run_training_check=run_training_check)


def test_invalid_axis():
    # Keras: keras/src/layers/normalization/layer_normalization_test.py::LayerNormalizationTest::test_invalid_axis
    with pytest.raises(TypeError,
                       match="(?i)Expected an int or a list/tuple of ints for the argument 'axis'"):
        layers.LayerNormalization(axis={"axis": -1})


def test_out_of_bounds_axis():
    # Keras: keras/src/layers/normalization/layer_normalization_test.py::LayerNormalizationTest::test_out_of_bounds_axis
    x = np.zeros((2, 4), dtype="float32")
    for axis in (2, 99, -3, -99):
        with pytest.raises(ValueError, match="is out of bounds"):
            layers.LayerNormalization(axis=axis)(x)
    with pytest.raises(ValueError, match="is out of bounds"):
        layers.LayerNormalization(axis=[0, 99])(x)
    with pytest.raises(ValueError, match="is out of bounds"):
        layers.LayerNormalization(axis=99).build((2, 4))
    with pytest.raises(ValueError, match="is out of bounds"):
        layers.LayerNormalization(axis=99).compute_output_shape((2, 4))


def test_duplicate_axis():
    # Keras: keras/src/layers/normalization/layer_normalization_test.py::LayerNormalizationTest::test_duplicate_axis
    x = np.zeros((2, 4), dtype="float32")
    with pytest.raises(ValueError, match="(?i)Duplicate axes"):
        layers.LayerNormalization(axis=[-1, 1])(x)
    with pytest.raises(ValueError, match="(?i)Duplicate axes"):
        layers.LayerNormalization(axis=[1, 1])(x)


def test_axis_is_canonicalized():
    # Keras: keras/src/layers/normalization/layer_normalization_test.py::LayerNormalizationTest::test_axis_is_canonicalized
    layer = layers.LayerNormalization(axis=-1)
    layer.build((2, 4))
    assert layer.axis == [1]


def test_correctness():
    # Keras: keras/src/layers/normalization/layer_normalization_test.py::LayerNormalizationTest::test_correctness
    layer = layers.LayerNormalization(dtype="float32")
    layer.build(input_shape=(2, 2, 2))
    inputs = np.random.normal(loc=5.0, scale=10.0, size=(1000, 2, 2, 2)).astype("float32")
    out = layer(inputs)
    out = ops.subtract(out, layer.beta)
    out = ops.divide(out, layer.gamma)
    assert_all_close(ops.mean(out), 0.0, atol=1e-1)
    assert_all_close(ops.std(out), 1.0, atol=1e-1)


def test_output():
    # Keras: keras/src/layers/normalization/layer_normalization_test.py::LayerNormalizationTest::test_output
    layer = layers.LayerNormalization(dtype="float32", beta_initializer="ones",
                                      gamma_initializer="ones")
    inputs = np.arange(5).astype("float32")[None, :]
    out = layer(inputs)
    assert_all_close(out, [[-0.41386, 0.29307, 1.0, 1.70693, 2.41386]], atol=1e-6, rtol=1e-5)


def test_output_with_rms_scaling():
    # Keras: keras/src/layers/normalization/layer_normalization_test.py::LayerNormalizationTest::test_output_with_rms_scaling
    with pytest.warns(UserWarning, match="rms_scaling"):
        layer = layers.LayerNormalization(dtype="float32", rms_scaling=True,
                                          gamma_initializer="ones")
    inputs = np.arange(5).astype("float32")[None, :]
    out = layer(inputs)
    assert_all_close(out, [[0.0, 0.70693, 1.41386, 2.12079, 2.82772]], atol=1e-6, rtol=1e-5)


def test_unsorted_axis():
    # Keras: keras/src/layers/normalization/layer_normalization_test.py::LayerNormalizationTest::test_unsorted_axis
    x = np.random.randn(2, 3, 4).astype("float32")
    layer_sorted = layers.LayerNormalization(axis=[-2, -1])
    layer_unsorted = layers.LayerNormalization(axis=[-1, -2])
    out_sorted = layer_sorted(x)
    out_unsorted = layer_unsorted(x)
    assert out_sorted.shape == (2, 3, 4)
    assert out_unsorted.shape == (2, 3, 4)
    assert_all_close(out_sorted, out_unsorted)


def squared_l2_norm(x):
    x = np.asarray(x)
    return np.sum(x ** 2)


@pytest.mark.parametrize("axis,input_shape", [(-1, (2, 3)), ((1, 2), (1, 3, 3))])
def test_un_basics(axis, input_shape):
    # Keras: keras/src/layers/normalization/unit_normalization_test.py::UnitNormalizationTest::test_un_basics
    run_layer_test(layers.UnitNormalization, init_kwargs={"axis": axis},
                   input_shape=input_shape, expected_output_shape=input_shape,
                   supports_masking=True, assert_built_after_instantiation=True)


def test_un_invalid_axis():
    # Keras: keras/src/layers/normalization/unit_normalization_test.py::UnitNormalizationTest::test_invalid_axis
    with pytest.raises(TypeError, match="(?i)Invalid value for `?axis`? argument: expected an "
                                        "int or a list/tuple of ints."):
        layers.UnitNormalization(axis={"axis": -1})


def test_un_correctness():
    # Keras: keras/src/layers/normalization/unit_normalization_test.py::UnitNormalizationTest::test_correctness
    layer = layers.UnitNormalization(axis=-1)
    inputs = np.random.normal(size=(2, 3))
    outputs = layer(inputs)
    assert_all_close(squared_l2_norm(outputs[0, :]), 1.0)
    assert_all_close(squared_l2_norm(outputs[1, :]), 1.0)

    layer = layers.UnitNormalization(axis=(1, 2))
    inputs = np.random.normal(size=(2, 3, 3))
    outputs = layer(inputs)
    assert_all_close(squared_l2_norm(outputs[0, :, :]), 1.0)
    assert_all_close(squared_l2_norm(outputs[1, :, :]), 1.0)

    layer = layers.UnitNormalization(axis=1)
    inputs = np.random.normal(size=(2, 3, 2))
    outputs = layer(inputs)
    assert_all_close(squared_l2_norm(outputs[0, :, 0]), 1.0)
    assert_all_close(squared_l2_norm(outputs[1, :, 0]), 1.0)
    assert_all_close(squared_l2_norm(outputs[0, :, 1]), 1.0)
    assert_all_close(squared_l2_norm(outputs[1, :, 1]), 1.0)
