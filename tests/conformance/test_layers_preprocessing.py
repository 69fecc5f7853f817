"""Keras 3's tests of the Rescaling layer, ported to fastnn.layers.

Source: keras-team/keras at 3422977a5e38,
`keras/src/layers/preprocessing/rescaling_test.py` (RescalingTest). `run_layer_test` is
tests/conformance/layer_testing.py.

Not ported (out of scope): test_tf_data_compatibility and test_grain_compatibility
(tf.data and grain pipelines), test_rescaling_with_channels_first_and_vector_scale
(image data formats; a vector scale broadcasts against the last axes in fastnn, tested
in tests/test_layers_keras3.py). The other preprocessing layers (image, text,
category encodings, hashing, discretization...) are out of fastnn's scope.
"""
import numpy as np

from fastnn import layers

from tests.conformance.layer_testing import assert_all_close, run_layer_test

SRC = "keras/src/layers/preprocessing/rescaling_test.py::RescalingTest"


def _basic(init_kwargs, input_dtype=None):
    run_layer_test(layers.Rescaling, init_kwargs=init_kwargs, input_shape=(2, 3),
                   input_dtype=input_dtype, expected_output_shape=(2, 3),
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   expected_num_losses=0, supports_masking=True)


def test_rescaling_basics():
    # Keras: keras/src/layers/preprocessing/rescaling_test.py::RescalingTest::test_rescaling_basics
    _basic({"scale": 1.0 / 255, "offset": 0.5})


def test_rescaling_dtypes():
    # Keras: keras/src/layers/preprocessing/rescaling_test.py::RescalingTest::test_rescaling_dtypes
    _basic({"scale": 2, "offset": 0.5})                      # int scale
    _basic({"scale": 1.0, "offset": 2})                      # int offset
    _basic({"scale": 1.0 / 255, "offset": 0.5}, "int16")     # int inputs


def test_rescaling_correctness():
    # Keras: keras/src/layers/preprocessing/rescaling_test.py::RescalingTest::test_rescaling_correctness
    layer = layers.Rescaling(scale=1.0 / 255, offset=0.5)
    x = np.random.random((3, 10, 10, 3)) * 255
    out = layer(x)
    assert_all_close(out, x / 255 + 0.5)


def test_numpy_args():
    # Keras: keras/src/layers/preprocessing/rescaling_test.py::RescalingTest::test_numpy_args
    _basic({"scale": np.array(1.0 / 255.0), "offset": np.array(0.5)})
