"""Keras 3's tests of the regularization layers Dropout, GaussianNoise, GaussianDropout,
AlphaDropout and ActivityRegularization, ported to fastnn.layers.

Sources: keras-team/keras at 3422977a5e38, `keras/src/layers/regularization/`
dropout_test.py (DropoutTest), gaussian_noise_test.py (GaussianNoiseTest),
gaussian_dropout_test.py (GaussianDropoutTest), alpha_dropout_test.py
(AlphaDropoutTest) and activity_regularization_test.py (ActivityRegularizationTest).
`run_layer_test` is tests/conformance/layer_testing.py; Keras'
`expected_num_seed_generators` is not asserted (fastnn's noise layers hold a NumPy
Generator, not SeedGenerator objects). Error messages are matched by fastnn's wording
(case-insensitive) with Keras' regex quoted beside it: fastnn's rate check says "rate
must be a number in [0, 1)" where Keras says "Expected a float value between 0 and 1".

Statistical tests keep Keras' seeds and tolerances; fastnn's random streams are NumPy's,
so the draws differ from Keras' but the statistics are within the same tolerances.

Not ported (out of scope): spatial_dropout_test.py (SpatialDropout1D/2D/3D: convolutional
feature maps).
"""
import numpy as np
import pytest

from fastnn import layers

from tests.conformance.layer_testing import assert_all_close, run_layer_test

RATE_MSG = r"(?i)invalid value received for argument rate"   # Keras: "Invalid value received for argument `rate`. Expected a float value between 0 and 1."
NOISE_MSG = r"(?i)invalid value received for argument noise_shape"


def _basics(cls, init_kwargs):
    run_layer_test(cls, init_kwargs=init_kwargs, input_shape=(2, 3),
                   call_kwargs={"training": True}, expected_output_shape=(2, 3),
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   expected_num_losses=0, supports_masking=True,
                   assert_built_after_instantiation=True)


# ------------------------------------------------------------------------- Dropout
def test_dropout_basics():
    # Keras: keras/src/layers/regularization/dropout_test.py::DropoutTest::test_dropout_basics
    _basics(layers.Dropout, {"rate": 0.2})


def test_dropout_rescaling():
    # Keras: keras/src/layers/regularization/dropout_test.py::DropoutTest::test_dropout_rescaling
    inputs = np.ones((20, 500))
    layer = layers.Dropout(0.5, seed=1337)
    outputs = np.asarray(layer(inputs, training=True))
    assert_all_close(np.mean(outputs), 1.0, atol=0.02)
    assert_all_close(np.max(outputs), 2.0)


@pytest.mark.parametrize("noise_shape", [(None, 1, None), (20, 1, 10)],
                         ids=["test_dropout_partial_noise_shape_dynamic",
                              "test_dropout_partial_noise_shape_static"])
def test_dropout_partial_noise_shape(noise_shape):
    # Keras: keras/src/layers/regularization/dropout_test.py::DropoutTest::test_dropout_partial_noise_shape_dynamic
    # Keras: keras/src/layers/regularization/dropout_test.py::DropoutTest::test_dropout_partial_noise_shape_static
    inputs = np.ones((20, 5, 10))
    layer = layers.Dropout(0.5, noise_shape=noise_shape)
    outputs = layer(inputs, training=True)
    assert_all_close(outputs[:, 0, :], outputs[:, 1, :])


def test_dropout_negative_rate():
    # Keras: keras/src/layers/regularization/dropout_test.py::DropoutTest::test_dropout_negative_rate
    with pytest.raises(ValueError, match=RATE_MSG):
        layers.Dropout(rate=-0.5)


def test_dropout_rate_greater_than_one():
    # Keras: keras/src/layers/regularization/dropout_test.py::DropoutTest::test_dropout_rate_greater_than_one
    with pytest.raises(ValueError, match=RATE_MSG):
        layers.Dropout(rate=1.5)


def test_validate_noise_shape_none():
    # Keras: keras/src/layers/regularization/dropout_test.py::DropoutTest::test_validate_noise_shape_none
    layer = layers.Dropout(0.5, noise_shape=None)
    assert layer.noise_shape is None


def test_validate_noise_shape_integer_tuple():
    # Keras: keras/src/layers/regularization/dropout_test.py::DropoutTest::test_validate_noise_shape_integer_tuple
    layer = layers.Dropout(0.5, noise_shape=(20, 1, 10))
    assert layer.noise_shape == (20, 1, 10)


def test_validate_noise_shape_none_values():
    # Keras: keras/src/layers/regularization/dropout_test.py::DropoutTest::test_validate_noise_shape_none_values
    layer = layers.Dropout(0.5, noise_shape=(None, 1, None))
    assert layer.noise_shape == (None, 1, None)


def test_validate_noise_shape_cast_to_a_tuple():
    # Keras: keras/src/layers/regularization/dropout_test.py::DropoutTest::test_validate_noise_shape_cast_to_a_tuple
    layer = layers.Dropout(0.5, noise_shape=[20, 1, 10])
    assert layer.noise_shape == (20, 1, 10)
    assert isinstance(layer.noise_shape, tuple)


def test_validate_noise_shape_non_iterable():
    # Keras: keras/src/layers/regularization/dropout_test.py::DropoutTest::test_validate_noise_shape_non_iterable
    with pytest.raises(ValueError, match=NOISE_MSG + r".*Expected a tuple or list of integers"):
        layers.Dropout(0.5, noise_shape="Invalid")


def test_validate_noise_shape_invalid_type():
    # Keras: keras/src/layers/regularization/dropout_test.py::DropoutTest::test_validate_noise_shape_invalid_type
    with pytest.raises(ValueError,
                       match=NOISE_MSG + r".*Expected all elements to be integers or None"):
        layers.Dropout(0.5, noise_shape=(20, 1.5, 10))


def test_validate_noise_shape_negative_value():
    # Keras: keras/src/layers/regularization/dropout_test.py::DropoutTest::test_validate_noise_shape_negative_value
    with pytest.raises(ValueError, match=NOISE_MSG + r".*Expected all dimensions to be positive "
                                                     r"integers or None"):
        layers.Dropout(0.5, noise_shape=(20, -1, 10))


def test_validate_noise_shape_zero_value():
    # Keras: keras/src/layers/regularization/dropout_test.py::DropoutTest::test_validate_noise_shape_zero_value
    with pytest.raises(ValueError, match=NOISE_MSG + r".*Expected all dimensions to be positive "
                                                     r"integers or None"):
        layers.Dropout(0.5, noise_shape=(20, 0, 10))


# ---------------------------------------------------------------------- GaussianNoise
def test_gaussian_noise_basics():
    # Keras: keras/src/layers/regularization/gaussian_noise_test.py::GaussianNoiseTest::test_gaussian_noise_basics
    _basics(layers.GaussianNoise, {"stddev": 0.2})


def test_gaussian_noise_correctness():
    # Keras: keras/src/layers/regularization/gaussian_noise_test.py::GaussianNoiseTest::test_gaussian_noise_correctness
    inputs = np.ones((20, 500))
    layer = layers.GaussianNoise(0.3, seed=1337)
    outputs = layer(inputs, training=True)
    assert_all_close(np.std(np.asarray(outputs)), 0.3, atol=0.02)


# -------------------------------------------------------------------- GaussianDropout
def test_gaussian_dropout_basics():
    # Keras: keras/src/layers/regularization/gaussian_dropout_test.py::GaussianDropoutTest::test_gaussian_dropout_basics
    _basics(layers.GaussianDropout, {"rate": 0.2})


def test_gaussian_dropout_correctness():
    # Keras: keras/src/layers/regularization/gaussian_dropout_test.py::GaussianDropoutTest::test_gaussian_dropout_correctness
    inputs = np.ones((20, 500))
    layer = layers.GaussianDropout(0.3, seed=1337)
    outputs = layer(inputs, training=True)
    assert_all_close(np.std(np.asarray(outputs)), np.sqrt(0.3 / (1 - 0.3)), atol=0.02)


# ----------------------------------------------------------------------- AlphaDropout
def test_alpha_dropout_basics():
    # Keras: keras/src/layers/regularization/alpha_dropout_test.py::AlphaDropoutTest::test_alpha_dropout_basics
    _basics(layers.AlphaDropout, {"rate": 0.2})


def test_alpha_dropout_correctness():
    # Keras: keras/src/layers/regularization/alpha_dropout_test.py::AlphaDropoutTest::test_alpha_dropout_correctness
    inputs = np.ones((20, 500)).astype("float32")
    layer = layers.AlphaDropout(0.3, seed=1337)
    outputs = layer(inputs, training=True)
    assert_all_close(np.std(np.asarray(outputs)), 1.0, atol=1e-1)


@pytest.mark.parametrize("noise_shape", [(None, 1, None), (20, 1, 10)],
                         ids=["test_alpha_dropout_partial_noise_shape_dynamic",
                              "test_alpha_dropout_partial_noise_shape_static"])
def test_alpha_dropout_partial_noise_shape(noise_shape):
    # Keras: keras/src/layers/regularization/alpha_dropout_test.py::AlphaDropoutTest::test_alpha_dropout_partial_noise_shape_dynamic
    # Keras: keras/src/layers/regularization/alpha_dropout_test.py::AlphaDropoutTest::test_alpha_dropout_partial_noise_shape_static
    inputs = np.ones((20, 5, 10))
    layer = layers.AlphaDropout(0.5, noise_shape=noise_shape)
    outputs = layer(inputs, training=True)
    assert_all_close(outputs[:, 0, :], outputs[:, 1, :])


def test_alpha_dropout_negative_rate():
    # Keras: keras/src/layers/regularization/alpha_dropout_test.py::AlphaDropoutTest::test_alpha_dropout_negative_rate
    with pytest.raises(ValueError, match=RATE_MSG):
        layers.AlphaDropout(rate=-0.5)


def test_alpha_dropout_rate_greater_than_one():
    # Keras: keras/src/layers/regularization/alpha_dropout_test.py::AlphaDropoutTest::test_alpha_dropout_rate_greater_than_one
    with pytest.raises(ValueError, match=RATE_MSG):
        layers.AlphaDropout(rate=1.5)


# ------------------------------------------------------------- ActivityRegularization
def test_activity_regularization_correctness():
    # Keras: keras/src/layers/regularization/activity_regularization_test.py::ActivityRegularizationTest::test_correctness
    layer = layers.ActivityRegularization(l1=0.2, l2=0.3)
    layer(2 * np.ones((1,)))
    assert len(layer.losses) == 1
    assert_all_close(layer.losses[0], 4 * 0.3 + 2 * 0.2)


def test_activity_regularization_basics():
    # Keras: keras/src/layers/regularization/activity_regularization_test.py::ActivityRegularizationTest::test_activity_regularization_basics
    run_layer_test(layers.ActivityRegularization, {"l1": 0.1, "l2": 0.2}, input_shape=(2, 3),
                   input_dtype="float32", expected_output_shape=(2, 3),
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   expected_num_losses=1, supports_masking=True,
                   assert_built_after_instantiation=True)
