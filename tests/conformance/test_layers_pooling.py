"""Keras 3's tests of the global pooling layers fastnn has, GlobalAveragePooling1D and
GlobalMaxPooling1D, ported to fastnn.layers.

Sources: keras-team/keras at 3422977a5e38,
`keras/src/layers/pooling/global_average_pooling_test.py`
(GlobalAveragePoolingBasicTest::test_global_average_pooling1d) and
`keras/src/layers/pooling/global_max_pooling_test.py`
(GlobalMaxPoolingBasicTest::test_global_max_pooling1d,
GlobalMaxPoolingCorrectnessTest::test_global_max_pooling1d). `run_layer_test` is
tests/conformance/layer_testing.py.

Elsewhere: GlobalAveragePoolingCorrectnessTest::test_global_average_pooling1d (with and
without a mask) is in test_masking.py.

Not ported: the 2-D and 3-D cases of both files (test_global_average_pooling2d / 3d,
test_global_max_pooling2d / 3d of the Basic and Correctness classes):
GlobalAveragePooling2D/3D and GlobalMaxPooling2D/3D are image and volume layers, which
fastnn leaves out with the convolutions (docs/DIFFERENCES.md).
"""
import numpy as np
import pytest

from fastnn import layers

from tests.conformance.layer_testing import assert_all_close, run_layer_test


@pytest.mark.parametrize("data_format, keepdims, input_shape, output_shape", [
    ("channels_last", False, (3, 5, 4), (3, 4)),
    ("channels_last", True, (3, 5, 4), (3, 1, 4)),
    ("channels_first", False, (3, 5, 4), (3, 5)),
])
def test_global_average_pooling1d(data_format, keepdims, input_shape, output_shape):
    # Keras: keras/src/layers/pooling/global_average_pooling_test.py::GlobalAveragePoolingBasicTest::test_global_average_pooling1d
    run_layer_test(layers.GlobalAveragePooling1D,
                   init_kwargs={"data_format": data_format, "keepdims": keepdims},
                   input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   expected_num_losses=0, supports_masking=True,
                   assert_built_after_instantiation=True)


@pytest.mark.parametrize("data_format, keepdims, input_shape, output_shape", [
    ("channels_last", False, (3, 5, 4), (3, 4)),
    ("channels_last", True, (3, 5, 4), (3, 1, 4)),
    ("channels_first", False, (3, 5, 4), (3, 5)),
])
def test_global_max_pooling1d(data_format, keepdims, input_shape, output_shape):
    # Keras: keras/src/layers/pooling/global_max_pooling_test.py::GlobalMaxPoolingBasicTest::test_global_max_pooling1d
    run_layer_test(layers.GlobalMaxPooling1D,
                   init_kwargs={"data_format": data_format, "keepdims": keepdims},
                   input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   expected_num_losses=0, supports_masking=False,
                   assert_built_after_instantiation=True)


@pytest.mark.parametrize("data_format, keepdims", [("channels_last", False),
                                                   ("channels_last", True),
                                                   ("channels_first", False),
                                                   ("channels_first", True)])
def test_global_max_pooling1d_correctness(data_format, keepdims):
    # Keras: keras/src/layers/pooling/global_max_pooling_test.py::GlobalMaxPoolingCorrectnessTest::test_global_max_pooling1d
    def np_global_max_pool1d(x, data_format, keepdims):
        steps_axis = [1] if data_format == "channels_last" else [2]
        res = np.apply_over_axes(np.max, x, steps_axis)
        if not keepdims:
            res = res.squeeze()
        return res

    inputs = np.arange(24, dtype="float32").reshape((2, 3, 4))
    layer = layers.GlobalMaxPooling1D(data_format=data_format, keepdims=keepdims)
    outputs = layer(inputs)
    expected = np_global_max_pool1d(inputs, data_format, keepdims)
    assert_all_close(outputs, expected)
