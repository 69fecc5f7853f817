"""Keras 3's tests of masking, ported to fastnn: the Masking layer, Embedding's
mask_zero and GlobalAveragePooling1D given a mask.

Sources: keras-team/keras at 3422977a5e38: `keras/src/layers/core/masking_test.py`
(MaskingTest), `keras/src/layers/core/embedding_test.py` (EmbeddingTest: the masking
cases), `keras/src/layers/pooling/global_average_pooling_test.py`
(GlobalAveragePoolingCorrectnessTest::test_global_average_pooling1d),
`keras/src/layers/normalization/batch_normalization_test.py` (the masked cases:
the masked part of test_correctness, test_input_fully_masked,
test_bachnorm_ignore_masked_values), `keras/src/layers/activations/softmax_test.py`
(the masked cases). `run_layer_test` is tests/conformance/layer_testing.py.

Not ported: MaskingTest::test_masking_with_tensor (an LSTM after the Masking layer:
fastnn has no recurrent layers); test_correctness's axis=1 cases (BatchNormalization
normalises the last axis only); the synchronized=True case of test_input_fully_masked
(TensorFlow only).
"""
import numpy as np
import pytest

from fastnn import layers, models
from tests.conformance.layer_testing import run_layer_test


def test_masking_basics():
    # Keras: keras/src/layers/core/masking_test.py::MaskingTest::test_masking_basics
    run_layer_test(layers.Masking, init_kwargs={"mask_value": 0.0}, input_shape=(2, 3, 2),
                   expected_output_shape=(2, 3, 2), expected_num_trainable_weights=0,
                   expected_num_non_trainable_weights=0, expected_num_losses=0,
                   supports_masking=True, assert_built_after_instantiation=True)


def test_masking_correctness():
    # Keras: keras/src/layers/core/masking_test.py::MaskingTest::test_masking_correctness
    x = np.array([[[0.0, 0.0], [1.0, 2.0], [0.0, 0.0]],
                  [[2.0, 2.0], [0.0, 0.0], [2.0, 1.0]]])
    expected_mask = [[False, True, False], [True, False, True]]
    layer = layers.Masking(mask_value=0.0)
    np.testing.assert_allclose(layer.compute_mask(x), expected_mask)
    seen = []

    class TestLayer(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.supports_masking = True

        def compute_output_shape(self, input_shape):
            return input_shape

        def call(self, inputs, mask=None):
            assert mask is not None
            np.testing.assert_allclose(mask, expected_mask)
            seen.append(True)
            return inputs

    model = models.Sequential([layers.Masking(mask_value=0.0), TestLayer()])
    model(x)
    assert seen                 # the layer's call did run with the mask


@pytest.mark.parametrize("mask_zero", [False, True])
def test_embedding_masking_basics(mask_zero):
    # Keras: keras/src/layers/core/embedding_test.py::EmbeddingTest::test_embedding_basics
    run_layer_test(layers.Embedding, init_kwargs={"input_dim": 5, "output_dim": 4,
                                                  "mask_zero": mask_zero},
                   # Keras' eager int64 inputs lie in [0, 3) (testing.create_eager_tensors)
                   input_data=np.random.default_rng(0).integers(0, 3, (2, 3)),
                   expected_output_shape=(2, 3, 4),
                   expected_num_trainable_weights=1, expected_num_non_trainable_weights=0,
                   expected_num_losses=0, supports_masking=mask_zero)


def test_embedding_masking():
    # Keras: keras/src/layers/core/embedding_test.py::EmbeddingTest::test_masking
    layer = layers.Embedding(input_dim=3, output_dim=2, mask_zero=True)
    layer.build()
    out = layer.compute_mask(np.array(([2, 1, 0])))
    np.testing.assert_allclose(out, np.array([True, True, False]))


def test_embedding_compute_mask_no_masking():
    # Keras: keras/src/layers/core/embedding_test.py::EmbeddingTest::test_compute_mask_no_masking
    layer = layers.Embedding(input_dim=3, output_dim=2, mask_zero=False)
    assert layer.compute_mask(np.array([2, 1, 0])) is None


@pytest.mark.parametrize("data_format, keepdims", [("channels_last", False),
                                                   ("channels_last", True),
                                                   ("channels_first", False),
                                                   ("channels_first", True)])
def test_global_average_pooling1d_with_mask(data_format, keepdims):
    # Keras: keras/src/layers/pooling/global_average_pooling_test.py::GlobalAveragePoolingCorrectnessTest::test_global_average_pooling1d
    def np_gap1d(x, data_format, keepdims, mask=None):
        steps_axis = 1 if data_format == "channels_last" else 2
        if mask is not None:
            mask = np.expand_dims(mask, 2 if data_format == "channels_last" else 1)
            x = x * mask
            res = np.sum(x, axis=steps_axis) / np.sum(mask, axis=steps_axis)
        else:
            res = np.mean(x, axis=steps_axis)
        if keepdims:
            res = np.expand_dims(res, axis=steps_axis)
        return res

    inputs = np.arange(24, dtype="float32").reshape((2, 3, 4))
    layer = layers.GlobalAveragePooling1D(data_format=data_format, keepdims=keepdims)
    np.testing.assert_allclose(layer(inputs), np_gap1d(inputs, data_format, keepdims),
                               rtol=1e-6)
    if data_format == "channels_last":
        mask = np.array([[1, 1, 0], [0, 1, 0]], dtype="int32")
    else:
        mask = np.array([[1, 1, 0, 0], [0, 1, 0, 1]], dtype="int32")
    np.testing.assert_allclose(layer(inputs, mask),
                               np_gap1d(inputs, data_format, keepdims, mask), rtol=1e-6)


# -- BatchNormalization with a mask --------------------------------------------------------

@pytest.mark.parametrize("input_shape", [(5, 2, 3), (5, 3, 3, 2)])
@pytest.mark.parametrize("moving_mean_initializer", ["zeros", "ones"])
@pytest.mark.parametrize("moving_variance_initializer", ["zeros", "ones"])
def test_batch_normalization_correctness_masked(input_shape, moving_mean_initializer,
                                                moving_variance_initializer):
    # Keras: keras/src/layers/normalization/batch_normalization_test.py::BatchNormalizationTest::test_correctness
    # (axis=-1; the masked part)
    layer = layers.BatchNormalization(axis=-1, momentum=0,
                                      moving_mean_initializer=moving_mean_initializer,
                                      moving_variance_initializer=moving_variance_initializer)
    x = np.random.normal(loc=5.0, scale=10.0, size=input_shape)
    out = x
    for _ in range(3):
        out = layer(x, training=True)
    out = (np.asarray(out) - np.asarray(layer.beta)) / np.asarray(layer.gamma)
    np.testing.assert_allclose(np.mean(out, axis=tuple(range(len(input_shape) - 1))), 0.0,
                               atol=1e-3)
    x[:, 1, :] = 0.0
    unmasked_out = layer(x, training=False)
    masked = layers.Masking()(x)
    masked_out = layer(masked, training=False)
    np.testing.assert_allclose(unmasked_out, masked_out, atol=1e-6, rtol=1e-6)
    unmasked_out = layer(x, training=False)
    x[:, 1, :] = 0.0
    masked = layers.Masking()(x)
    masked_out = layer(masked, training=True)
    assert not np.allclose(unmasked_out, masked_out, atol=1e-6, rtol=1e-6)


def test_batch_normalization_input_fully_masked():
    # Keras: keras/src/layers/normalization/batch_normalization_test.py::BatchNormalizationTest::test_input_fully_masked
    norm = layers.BatchNormalization(scale=False, center=False)
    x = np.zeros((4, 5))
    mask = np.zeros((4,), dtype=np.float32)
    y = norm(x, mask=mask, training=True)
    np.testing.assert_allclose(y, np.zeros_like(x, dtype=np.float32), atol=1e-6)


@pytest.mark.parametrize("mask_value", [0.0, 0.1, 1])
def test_bachnorm_ignore_masked_values(mask_value):
    # Keras: keras/src/layers/normalization/batch_normalization_test.py::BatchNormalizationTest::test_bachnorm_ignore_masked_values
    # (run_eagerly: fastnn always runs eagerly, one case per mask value)
    from fastnn import losses
    padded_data = np.array([[[1, 5], [2, 5], [mask_value, mask_value],
                             [mask_value, mask_value]] for _ in range(10)], dtype="float32")
    inputs = layers.Input((None, 2))
    masked = layers.Masking(mask_value=mask_value)(inputs)
    normed = layers.BatchNormalization(momentum=0.0)(masked)
    model = models.Model(inputs, normed)
    model.compile("rmsprop", loss=losses.MeanSquaredError())
    model.fit(x=padded_data, y=padded_data, batch_size=10, epochs=5, verbose=0)
    np.testing.assert_allclose(model.layers[2].moving_mean, [1.5, 5.0], atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(model.layers[2].moving_variance, [0.25, 0.0], atol=1e-6,
                               rtol=1e-6)


# -- the Softmax layer with a mask ---------------------------------------------------------

def test_softmax_correctness_with_mask():
    # Keras: keras/src/layers/activations/softmax_test.py::SoftmaxTest::test_softmax_correctness_with_mask
    softmax_layer = layers.Softmax(axis=(1, 0))
    inp = np.array([[1.0, 2.0, 1.0], [1.0, 2.0, 1.0]])
    mask = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    expected = np.array([[0.21194154, 0.0, 0.21194154], [0.0, 0.57611686, 0.0]])
    np.testing.assert_allclose(softmax_layer(inp, mask=mask), expected, atol=1e-6, rtol=1e-6)


def test_softmax_masked_values_are_zero_including_fully_masked():
    # Keras: keras/src/layers/activations/softmax_test.py::SoftmaxTest::test_softmax_masked_values_are_zero_including_fully_masked
    softmax_layer = layers.Softmax()
    inp = np.array([[1.0, 2.0, 5.0, 1.0], [1.0, 1.0, 1.0, 1.0], [3.0, 1.0, 2.0, 4.0]],
                   dtype=np.float32)
    mask = np.array([[True, True, False, False], [False, False, False, False],
                     [True, True, True, True]], dtype=bool)
    expected = np.array([[0.268941, 0.731059, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0],
                         [0.236883, 0.032059, 0.087144, 0.643914]])
    np.testing.assert_allclose(softmax_layer(inp, mask=mask), expected, atol=1e-6, rtol=1e-6)


def test_softmax_mask_broadcastable():
    # Keras: keras/src/layers/activations/softmax_test.py::SoftmaxTest::test_softmax_mask_broadcastable
    result = layers.Softmax()(np.array([[1.0, 2.0, 1.0], [3.0, 4.0, 5.0]]),
                              mask=np.array([[1.0, 0.0, 1.0]]))
    np.testing.assert_allclose(np.asarray(result)[:, 1], [0.0, 0.0], atol=1e-6)


def test_softmax_mask_broadcastable_fewer_dims():
    # Keras: keras/src/layers/activations/softmax_test.py::SoftmaxTest::test_softmax_mask_broadcastable_fewer_dims
    result = layers.Softmax(axis=-1)(np.array([[1.0, 2.0, 1.0], [3.0, 4.0, 5.0]]),
                                     mask=np.array([1.0, 0.0, 1.0]))
    np.testing.assert_allclose(np.asarray(result)[:, 1], [0.0, 0.0], atol=1e-6)


def test_softmax_mask_shape_mismatch():
    # Keras: keras/src/layers/activations/softmax_test.py::SoftmaxTest::test_softmax_mask_shape_mismatch
    with pytest.raises(ValueError, match="broadcastable"):
        layers.Softmax()(np.array([[1.0, 2.0, 1.0]]),
                         mask=np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]))


def test_softmax_mask_too_many_dims():
    # Keras: keras/src/layers/activations/softmax_test.py::SoftmaxTest::test_softmax_mask_too_many_dims
    with pytest.raises(ValueError, match="must not have more dimensions"):
        layers.Softmax()(np.array([[1.0, 2.0, 1.0]]), mask=np.array([[[1.0, 0.0, 1.0]]]))
