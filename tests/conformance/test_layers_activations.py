"""Keras 3's tests of the activation layers (Activation, ReLU, LeakyReLU, ELU, Softmax),
ported to fastnn.layers.

Sources: keras-team/keras at 3422977a5e38, `keras/src/layers/activations/relu_test.py`
(ReLUTest), `activation_test.py` (ActivationTest), `elu_test.py` (ELUTest),
`leaky_relu_test.py` (LeakyReLUTest) and `softmax_test.py` (SoftmaxTest: the cases
without a mask). `run_layer_test` and `run_class_serialization_test` are
tests/conformance/layer_testing.py (which does not count seed generators:
test_activation_basics' expected_num_seed_generators=0 is left out). Error messages are
Keras' own wording. Tests whose names the ReLU cases already take are prefixed with the
layer (test_leaky_relu_layer_correctness, test_leaky_relu_invalid_usage, test_elu_config,
test_elu_correctness).

Elsewhere: softmax_test.py's masked cases (test_softmax_correctness_with_mask,
test_softmax_masked_values_are_zero_including_fully_masked, test_softmax_mask_*) are in
test_masking.py.

Elsewhere: `prelu_test.py` (PReLUTest::test_prelu, test_prelu_correctness) is ported in
tests/test_prelu_rmsnorm.py, with fastnn's own tests of PReLU.
"""
import numpy as np
import pytest

from fastnn import activations, layers

from tests.conformance.layer_testing import (assert_all_close, run_class_serialization_test,
                                             run_layer_test)


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


def test_activation_basics():
    # Keras: keras/src/layers/activations/activation_test.py::ActivationTest::test_activation_basics
    # (expected_num_seed_generators=0 left out: layer_testing.py does not count them)
    run_layer_test(layers.Activation, init_kwargs={"activation": "relu"}, input_shape=(2, 3),
                   expected_output_shape=(2, 3), expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0, expected_num_losses=0,
                   supports_masking=True, assert_built_after_instantiation=True)
    run_layer_test(layers.Activation, init_kwargs={"activation": activations.gelu},
                   input_shape=(2, 2), expected_output_shape=(2, 2),
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   expected_num_losses=0, supports_masking=True,
                   assert_built_after_instantiation=True)


def test_elu_config():
    # Keras: keras/src/layers/activations/elu_test.py::ELUTest::test_config
    elu_layer = layers.ELU()
    run_class_serialization_test(elu_layer)


def test_elu():
    # Keras: keras/src/layers/activations/elu_test.py::ELUTest::test_elu
    run_layer_test(layers.ELU, init_kwargs={}, input_shape=(2, 3, 4), supports_masking=True,
                   assert_built_after_instantiation=True)


def test_elu_correctness():
    # Keras: keras/src/layers/activations/elu_test.py::ELUTest::test_correctness
    def np_elu(x, alpha=1.0):
        return (x > 0) * x + (x <= 0) * alpha * (np.exp(x) - 1)

    x = np.random.random((2, 2, 5))
    elu_layer = layers.ELU()
    assert_all_close(elu_layer(x), np_elu(x))

    elu_layer = layers.ELU(alpha=0.7)
    assert_all_close(elu_layer(x), np_elu(x, alpha=0.7))


def test_leaky_relu():
    # Keras: keras/src/layers/activations/leaky_relu_test.py::LeakyReLUTest::test_leaky_relu
    run_layer_test(layers.LeakyReLU, init_kwargs={"negative_slope": 1}, input_shape=(2, 3, 4),
                   supports_masking=True, assert_built_after_instantiation=True)


def test_leaky_relu_layer_correctness():
    # Keras: keras/src/layers/activations/leaky_relu_test.py::LeakyReLUTest::test_leaky_relu_correctness
    leaky_relu_layer = layers.LeakyReLU(negative_slope=0.5)
    input = np.array([-10, -5, 0.0, 5, 10])
    expected_output = np.array([-5.0, -2.5, 0.0, 5.0, 10.0])
    result = leaky_relu_layer(input)
    assert_all_close(result, expected_output)


def test_leaky_relu_invalid_usage():
    # Keras: keras/src/layers/activations/leaky_relu_test.py::LeakyReLUTest::test_invalid_usage
    with pytest.raises(ValueError,
                       match="The negative_slope value of a Leaky ReLU layer cannot be None"):
        run_layer_test(layers.LeakyReLU, init_kwargs={"negative_slope": None},
                       input_shape=(2, 3, 4), supports_masking=True)


def test_softmax():
    # Keras: keras/src/layers/activations/softmax_test.py::SoftmaxTest::test_softmax
    run_layer_test(layers.Softmax, init_kwargs={}, input_shape=(2, 3, 4), supports_masking=True,
                   assert_built_after_instantiation=True)


def test_softmax_correctness():
    # Keras: keras/src/layers/activations/softmax_test.py::SoftmaxTest::test_softmax_correctness
    softmax_layer = layers.Softmax()
    input = np.array([[1.0, 2.0, 1.0], [1.0, 2.0, 1.0]])
    expected_output = np.array([[0.21194157, 0.5761169, 0.21194157],
                                [0.21194157, 0.5761169, 0.21194157]])
    result = softmax_layer(input)
    assert_all_close(result, expected_output)


def test_softmax_correctness_with_axis():
    # Keras: keras/src/layers/activations/softmax_test.py::SoftmaxTest::test_softmax_correctness_with_axis
    softmax_layer = layers.Softmax(axis=(1))
    input = np.array([[1.0, 2.0, 1.0], [1.0, 2.0, 1.0]])
    expected_output = np.array([[0.21194157, 0.5761169, 0.21194157],
                                [0.21194157, 0.5761169, 0.21194157]])
    result = softmax_layer(input)
    assert_all_close(result, expected_output)
