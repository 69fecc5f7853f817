"""Keras 3's tests of the ReLU layer with its options, ported to fastnn.layers.

Source: keras-team/keras, `keras/src/layers/activations/relu_test.py` (ReLUTest).
`run_layer_test` is tests/conformance/layer_testing.py. Error messages are Keras' own
wording.

Not ported: the other files of `keras/src/layers/activations/` (LeakyReLU, ELU, PReLU,
Softmax, Activation), whose cases tests/test_layers.py covers.
"""
import numpy as np
import pytest

from fastnn import layers

from tests.conformance.layer_testing import assert_all_close, run_layer_test


def test_relu():
    # Keras: keras/src/layers/activations/relu_test.py::ReLUTest::test_relu
    run_layer_test(layers.ReLU, init_kwargs={"max_value": 10, "negative_slope": 1,
                                             "threshold": 0.5},
                   input_shape=(2, 3, 4), supports_masking=True,
                   assert_built_after_instantiation=True)


def test_normal_relu_correctness():
    # Keras: keras/src/layers/activations/relu_test.py::ReLUTest::test_normal_relu_correctness
    relu_layer = layers.ReLU(max_value=10, negative_slope=0.0, threshold=0)
    result = relu_layer(np.array([-10, -5, 0.0, 5, 10]))
    assert_all_close(result, np.array([0.0, 0.0, 0.0, 5.0, 10.0]))


def test_leaky_relu_correctness():
    # Keras: keras/src/layers/activations/relu_test.py::ReLUTest::test_leaky_relu_correctness
    relu_layer = layers.ReLU(max_value=10, negative_slope=0.5, threshold=0)
    result = relu_layer(np.array([-10, -5, 0.0, 5, 10]))
    assert_all_close(result, np.array([-5.0, -2.5, 0.0, 5.0, 10.0]))


def test_threshold_relu_correctness():
    # Keras: keras/src/layers/activations/relu_test.py::ReLUTest::test_threshold_relu_correctness
    relu_layer = layers.ReLU(max_value=8, negative_slope=0.0, threshold=5)
    result = relu_layer(np.array([6.0, 7.0, 0.0, 5, 10]))
    assert_all_close(result, np.array([6.0, 7.0, 0.0, 0.0, 8.0]))


@pytest.mark.parametrize("init_kwargs,msg", [
    ({"max_value": -10, "negative_slope": 1, "threshold": 0.5},
     "max_value of a ReLU layer cannot be a negative value"),
    ({"max_value": 10, "negative_slope": -10, "threshold": 0.5},
     "negative_slope of a ReLU layer cannot be None or a negative value"),
    ({"max_value": 10, "negative_slope": 1, "threshold": -10},
     "threshold of a ReLU layer cannot be None or a negative value"),
])
def test_invalid_usage(init_kwargs, msg):
    # Keras: keras/src/layers/activations/relu_test.py::ReLUTest::test_invalid_usage
    with pytest.raises(ValueError, match=msg):
        run_layer_test(layers.ReLU, init_kwargs=init_kwargs, input_shape=(2, 3, 4),
                       supports_masking=True)


def test_get_config():
    # Keras: keras/src/layers/activations/relu_test.py::ReLUTest::test_get_config
    config = layers.ReLU(max_value=5.0, negative_slope=0.2, threshold=1.0).get_config()
    assert config["max_value"] == 5.0
    assert config["negative_slope"] == 0.2
    assert config["threshold"] == 1.0


def test_get_config_default_params():
    # Keras: keras/src/layers/activations/relu_test.py::ReLUTest::test_get_config_default_params
    config = layers.ReLU().get_config()
    assert config["max_value"] is None
    assert config["negative_slope"] == 0.0
    assert config["threshold"] == 0.0


def test_from_config():
    # Keras: keras/src/layers/activations/relu_test.py::ReLUTest::test_from_config
    relu_layer = layers.ReLU(max_value=5.0, negative_slope=0.2, threshold=1.0)
    restored_layer = layers.ReLU.from_config(relu_layer.get_config())
    assert restored_layer.max_value == relu_layer.max_value
    assert restored_layer.negative_slope == relu_layer.negative_slope
    assert restored_layer.threshold == relu_layer.threshold


def test_compute_output_shape():
    # Keras: keras/src/layers/activations/relu_test.py::ReLUTest::test_compute_output_shape
    relu_layer = layers.ReLU()
    assert relu_layer.compute_output_shape((2, 3)) == (2, 3)
    assert relu_layer.compute_output_shape((4, 5, 6)) == (4, 5, 6)
    assert relu_layer.compute_output_shape((1,)) == (1,)
