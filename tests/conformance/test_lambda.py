"""Keras 3's tests of the Lambda layer, ported to fastnn.layers.Lambda.

Source: keras-team/keras, `keras/src/layers/core/lambda_layer_test.py` (class LambdaTest).
Each test names its source test. `run_layer_test` is the port in
tests/conformance/test_merging.py (config round trips, build, symbolic and eager calls,
the training step of a subclassed Model around the layer; no mixed precision).

One deliberate difference: Keras 3 saves a Python lambda as its marshalled bytecode and
loads it back with `safe_mode=False`. fastnn never runs code read from a config, so
`get_config` refuses a lambda (a clear ValueError) and `from_config` refuses a
`__lambda__` config even with `safe_mode=False`. The tests that round-trip a lambda
(test_correctness, test_correctness_lambda_shape) keep their computations and assert
the refusal where Keras asserts the round trip; the refusal with the config Keras 3
writes (its `__lambda__` entry, reproduced below) is checked too.
"""
import numpy as np
import pytest

from fastnn import layers
from fastnn.autodiff import ops
from tests.conformance.test_merging import assert_all_close, run_layer_test

SRC = "keras/src/layers/core/lambda_layer_test.py"


def keras_lambda_config(layer_name="lambda"):
    """The config Keras 3 writes for Lambda(lambda x: x**2): the function as a
    '__lambda__' entry whose "code" is base64 of marshalled bytecode (a placeholder
    here: fastnn must refuse the entry without ever decoding it)."""
    return {"name": layer_name, "trainable": True, "dtype": "float32",
            "function": {"class_name": "__lambda__",
                         "config": {"code": "(base64 of marshalled bytecode)",
                                    "defaults": None, "closure": None}},
            "arguments": {}}


def test_lambda_basics():
    # keras/src/layers/core/lambda_layer_test.py::LambdaTest::test_lambda_basics
    run_layer_test(layers.Lambda, init_kwargs={"function": ops.square}, input_shape=(2, 3),
                   expected_output_shape=(2, 3), expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0, expected_num_losses=0,
                   supports_masking=False, custom_objects={"square": ops.square})
    run_layer_test(layers.Lambda,
                   init_kwargs={"function": ops.square, "mask": ops.ones((2, 3))},
                   input_shape=(2, 3, 4), expected_output_shape=(2, 3, 4),
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   expected_num_losses=0, supports_masking=True,
                   custom_objects={"square": ops.square})

    def stacker(x):
        return ops.concatenate([x, x], axis=1)

    run_layer_test(layers.Lambda, init_kwargs={"function": stacker, "output_shape": (6,)},
                   input_shape=(2, 3), expected_output_shape=(2, 6),
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   expected_num_losses=0, supports_masking=False,
                   custom_objects={"stacker": stacker})

    def stacker_shape(s):
        return (s[0], s[1] * 2)

    run_layer_test(layers.Lambda,
                   init_kwargs={"function": stacker, "output_shape": stacker_shape},
                   input_shape=(2, 3), expected_output_shape=(2, 6),
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   expected_num_losses=0, supports_masking=False,
                   custom_objects={"stacker": stacker, "stacker_shape": stacker_shape})


def test_correctness():
    # keras/src/layers/core/lambda_layer_test.py::LambdaTest::test_correctness
    layer = layers.Lambda(lambda x: x**2)
    output = layer(2 * np.ones((2, 3)))
    assert_all_close(4 * np.ones((2, 3)), output)

    # Keras: config round trip with safe_mode=False. fastnn: the lambda is refused.
    with pytest.raises(ValueError, match="Lambda: cannot serialise the function .*lambda"):
        layer.get_config()
    with pytest.raises(ValueError, match="never runs code"):
        layers.Lambda.from_config(keras_lambda_config(), safe_mode=False)


def test_from_config_fails_closed_without_safe_mode_scope():
    # keras/src/layers/core/lambda_layer_test.py::LambdaTest::
    # test_from_config_fails_closed_without_safe_mode_scope
    with pytest.raises(ValueError, match="Lambda"):
        layers.Lambda(lambda x: x**2).get_config()
    with pytest.raises(ValueError, match="Lambda"):
        layers.Lambda.from_config(keras_lambda_config())


def test_correctness_lambda_shape():
    # keras/src/layers/core/lambda_layer_test.py::LambdaTest::test_correctness_lambda_shape
    layer = layers.Lambda(lambda x: x**2, output_shape=lambda x: x)
    output = layer(2 * np.ones((2, 3)))
    assert_all_close(4 * np.ones((2, 3)), output)

    # Keras: config round trip with safe_mode=False. fastnn: the lambdas are refused.
    with pytest.raises(ValueError, match="lambda"):
        layer.get_config()
    cfg = keras_lambda_config()
    cfg["function"] = {"module": "keras.ops", "class_name": "function", "config": "square",
                       "registered_name": "square"}
    cfg["output_shape"] = keras_lambda_config()["function"]
    with pytest.raises(ValueError, match="output_shape stored as Python bytecode"):
        layers.Lambda.from_config(cfg, safe_mode=False)
