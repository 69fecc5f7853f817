"""Keras 3's tests of masking, ported to fastnn: the Masking layer, Embedding's
mask_zero and GlobalAveragePooling1D given a mask.

Sources: keras-team/keras at 3422977a5e38: `keras/src/layers/core/masking_test.py`
(MaskingTest), `keras/src/layers/core/embedding_test.py` (EmbeddingTest: the masking
cases), `keras/src/layers/pooling/global_average_pooling_test.py`
(GlobalAveragePoolingCorrectnessTest::test_global_average_pooling1d).
`run_layer_test` is tests/conformance/layer_testing.py.

Not ported: MaskingTest::test_masking_with_tensor (an LSTM after the Masking layer:
fastnn has no recurrent layers).
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
