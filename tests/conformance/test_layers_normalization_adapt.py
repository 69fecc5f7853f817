"""Keras 3's tests of the Normalization preprocessing layer (with adapt), ported to
fastnn.layers.

Source: keras-team/keras at 3422977a5e38,
`keras/src/layers/preprocessing/normalization_test.py` (NormalizationTest).
`run_layer_test` is tests/conformance/layer_testing.py. Adaptations: `tf.data.Dataset` is
`fastnn.data.Dataset` (imported as `tf_data`), `backend.convert_to_tensor` is
`fastnn.autodiff.ops.convert_to_tensor`, `backend.convert_to_numpy` is `np.asarray`,
`PyDataset` is `fastnn.trainers.data_adapters.PyDataset`.

Skipped: test_call_on_meta_device_after_built (torch's meta device) and
test_adapt_grain_dataset (grain pipelines): other backends' specifics.
"""
import numpy as np
import pytest

from fastnn import data as tf_data
from fastnn import layers
from fastnn.autodiff import ops
from fastnn.trainers.data_adapters import PyDataset

from tests.conformance.layer_testing import assert_all_close, run_layer_test

def test_normalization_basics():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_normalization_basics
    run_layer_test(
        layers.Normalization,
        init_kwargs={
            "axis": -1,
        },
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=3,
        expected_num_losses=0,
        supports_masking=True,
    )
    run_layer_test(
        layers.Normalization,
        init_kwargs={
            "axis": -1,
            "mean": np.array([0.5, 0.2, -0.1]),
            "variance": np.array([0.1, 0.2, 0.3]),
        },
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        expected_num_losses=0,
        supports_masking=True,
    )
    run_layer_test(
        layers.Normalization,
        init_kwargs={
            "axis": -1,
            "mean": np.array([0.5, 0.2, -0.1]),
            "variance": np.array([0.1, 0.2, 0.3]),
            "invert": True,
        },
        input_shape=(2, 3),
        expected_output_shape=(2, 3),
        expected_num_trainable_weights=0,
        expected_num_non_trainable_weights=0,
        expected_num_losses=0,
        supports_masking=True,
    )

@pytest.mark.parametrize("input_type", ["np", "tensor", "tf.data"])
def test_normalization_adapt(input_type):
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_normalization_adapt
    x = np.random.random((32, 4))
    if input_type == "np":
        data = x
    elif input_type == "tensor":
        data = ops.convert_to_tensor(x)
    elif input_type == "tf.data":
        data = tf_data.Dataset.from_tensor_slices(x).batch(8)
    else:
        raise NotImplementedError(input_type)

    layer = layers.Normalization()
    layer.adapt(data)
    assert layer.built
    output = layer(x)
    output = np.asarray(output)
    assert_all_close(np.var(output, axis=0), 1.0, atol=1e-5)
    assert_all_close(np.mean(output, axis=0), 0.0, atol=1e-5)

    # Test in high-dim and with tuple axis.
    x = np.random.random((32, 4, 3, 5))
    if input_type == "np":
        data = x
    elif input_type == "tensor":
        data = ops.convert_to_tensor(x)
    elif input_type == "tf.data":
        data = tf_data.Dataset.from_tensor_slices(x).batch(8)

    layer = layers.Normalization(axis=(1, 2))
    layer.adapt(data)
    assert layer.built
    output = layer(x)
    output = np.asarray(output)
    assert_all_close(np.var(output, axis=(0, 3)), 1.0, atol=1e-5)
    assert_all_close(np.mean(output, axis=(0, 3)), 0.0, atol=1e-5)

@pytest.mark.skip(reason="torch only: the meta device")
def test_call_on_meta_device_after_built():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_call_on_meta_device_after_built
    layer = layers.Normalization()
    data = np.random.random((32, 4))
    layer.adapt(data)
    layer(data)

def test_normalization_with_mean_only_raises_error():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_normalization_with_mean_only_raises_error
    # Test error when only `mean` is provided
    with pytest.raises(ValueError, match="both `mean` and `variance` must be set"):
        layers.Normalization(mean=0.5)

def test_normalization_with_variance_only_raises_error():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_normalization_with_variance_only_raises_error
    # Test error when only `variance` is provided
    with pytest.raises(ValueError, match="both `mean` and `variance` must be set"):
        layers.Normalization(variance=0.1)

def test_normalization_axis_too_high():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_normalization_axis_too_high
    with pytest.raises(ValueError, match="All `axis` values must be in the range"):
        layer = layers.Normalization(axis=3)
        layer.build((2, 2))

def test_normalization_axis_too_low():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_normalization_axis_too_low
    with pytest.raises(ValueError, match="All `axis` values must be in the range"):
        layer = layers.Normalization(axis=-4)
        layer.build((2, 3, 4))

def test_normalization_unknown_axis_shape():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_normalization_unknown_axis_shape
    with pytest.raises(ValueError, match="All `axis` values to be kept"):
        layer = layers.Normalization(axis=1)
        layer.build((None, None))

def test_normalization_adapt_with_incompatible_shape():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_normalization_adapt_with_incompatible_shape
    layer = layers.Normalization(axis=-1)
    initial_shape = (10, 5)
    layer.build(initial_shape)
    new_shape_data = np.random.random((10, 3))
    with pytest.raises(ValueError, match="an incompatible shape"):
        layer.adapt(new_shape_data)

def test_tf_data_compatibility():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_tf_data_compatibility
    x = np.random.random((32, 3))
    ds = tf_data.Dataset.from_tensor_slices(x).batch(1)

    # With built-in values
    layer = layers.Normalization(
        mean=[0.1, 0.2, 0.3], variance=[0.1, 0.2, 0.3], axis=-1
    )
    layer.build((None, 3))
    for output in ds.map(layer).take(1):
        output.numpy()

    # With adapt flow
    layer = layers.Normalization(axis=-1)
    layer.adapt(
        np.random.random((32, 3)),
    )
    for output in ds.map(layer).take(1):
        output.numpy()

def test_normalization_with_scalar_mean_var():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_normalization_with_scalar_mean_var
    input_data = np.array([[1, 2, 3]], dtype="float32")
    layer = layers.Normalization(mean=3.0, variance=2.0)
    layer(input_data)

@pytest.mark.parametrize("pydataset_type", ["x", "x_and_y", "x_y_and_weights"])
def test_adapt_pydataset_compat(pydataset_type):
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_adapt_pydataset_compat
    import fastnn as keras

    class CustomDataset(PyDataset):
        def __len__(self):
            return 100

        def __getitem__(self, idx):
            x = np.random.rand(32, 32, 3)
            y = np.random.randint(0, 10, size=(1,))
            weights = np.random.randint(0, 10, size=(1,))
            if pydataset_type == "x":
                return x
            elif pydataset_type == "x_and_y":
                return x, y
            elif pydataset_type == "x_y_and_weights":
                return x, y, weights
            else:
                raise NotImplementedError(pydataset_type)

    normalizer = keras.layers.Normalization()
    normalizer.adapt(CustomDataset())
    assert normalizer.built
    assert normalizer.mean is not None
    assert normalizer.variance is not None
    assert normalizer.mean.shape[-1] == 3
    assert normalizer.variance.shape[-1] == 3
    sample_input = np.random.rand(1, 32, 32, 3)
    output = normalizer(sample_input)
    assert output.shape == (1, 32, 32, 3)

def test_broadcast_non_scalar_middle_axis():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_broadcast_non_scalar_middle_axis
    """
    Tests mean/variance that are not scalars and require
    expanding dims on non-kept axes (the 'general case').
    """
    # (Batch=2, Height=4, Width=5, Channels=3)
    input_shape = (2, 4, 5, 3)
    # We want to normalize only across the 'Width' (axis 2)
    axis = 2
    custom_mean = np.arange(1, 6, dtype="float32")  # shape (5,)
    custom_var = np.ones((5,), dtype="float32")
    layer = layers.Normalization(
        axis=axis, mean=custom_mean, variance=custom_var
    )
    layer.build(input_shape)

    # The expected broadcast shape should be (1, 1, 5, 1)
    assert tuple(layer.mean.shape) == (1, 1, 5, 1)
    assert_all_close(layer.mean[0, 0, :, 0], custom_mean)

def test_broadcast_multiple_axes():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_broadcast_multiple_axes
    """
    Tests keeping multiple axes, e.g., (Height, Width) but not Channels.
    """
    # Batch=None, Height=10, Width=13, Channels=3
    input_shape = (None, 10, 13, 3)
    axis = (1, 2)

    custom_mean = np.zeros((10, 13), dtype="float32")
    custom_var = np.ones((10, 13), dtype="float32")

    layer = layers.Normalization(
        axis=axis, mean=custom_mean, variance=custom_var
    )
    layer.build(input_shape)

    # The expected broadcast shape should be (1, 10, 13, 1)
    assert tuple(layer.mean.shape) == (1, 10, 13, 1)

def test_broadcast_partial_keep_axis():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_broadcast_partial_keep_axis
    """
    Test mean has fewer dims than kept axes (right-to-left alignment).

    This covers the case where axis=(1, 2) but mean is 1D, meaning it
    should align with axis 2 and broadcast across axis 1.
    """
    # Batch=2, H=7, W=5, C=3
    input_shape = (2, 7, 5, 3)
    axis = (1, 2)

    custom_mean = np.array([1.0, 2.0, 3.0, 4.0, 5.0], dtype="float32")
    custom_var = np.ones((5,), dtype="float32")

    layer = layers.Normalization(
        axis=axis, mean=custom_mean, variance=custom_var
    )
    layer.build(input_shape)
    assert tuple(layer.mean.shape) == (1, 7, 5, 1)

    # Verify alignment and broadcasting
    expected_values = np.reshape(custom_mean, (1, 1, 5, 1))

    assert_all_close(layer.mean[:, 0:1, :, :], expected_values)
    assert_all_close(layer.mean[:, 6:7, :, :], expected_values)

def test_scalar_broadcast():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_scalar_broadcast
    """
    Ensures the scalar case still broadcasts to the full rank.
    """
    input_shape = (3, 7)  # (Batch=3, Features=7)
    layer = layers.Normalization(axis=-1, mean=5.0, variance=1.0)
    layer.build(input_shape)

    # The expected broadcast shape should be (1, 7)
    assert tuple(layer.mean.shape) == (1, 7)
    assert_all_close(layer.mean, [[5.0] * 7])

def test_adapt_list_of_batches():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_adapt_list_of_batches
    x = np.random.random((32, 4)).astype("float32")
    batches = [x[:8], x[8:16], x[16:24], x[24:32]]
    layer = layers.Normalization(axis=-1)
    layer.adapt(batches)
    assert layer.built
    output = layer(x)
    output = np.asarray(output)
    assert_all_close(np.var(output, axis=0), 1.0, atol=1e-5)
    assert_all_close(np.mean(output, axis=0), 0.0, atol=1e-5)

def test_adapt_generator():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_adapt_generator
    x = np.random.random((32, 4)).astype("float32")

    def batch_gen():
        for i in range(0, 32, 8):
            yield x[i : i + 8]

    layer = layers.Normalization(axis=-1)
    layer.adapt(batch_gen())
    assert layer.built
    output = layer(x)
    output = np.asarray(output)
    assert_all_close(np.var(output, axis=0), 1.0, atol=1e-5)
    assert_all_close(np.mean(output, axis=0), 0.0, atol=1e-5)

def test_adapt_iterable_same_result_as_ndarray():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_adapt_iterable_same_result_as_ndarray
    x = np.random.random((64, 5)).astype("float32")
    list_of_batches = [x[i : i + 16] for i in range(0, 64, 16)]
    layer_list = layers.Normalization(axis=-1)
    layer_list.adapt(list_of_batches)
    layer_ndarray = layers.Normalization(axis=-1)
    layer_ndarray.adapt(x)
    out_list = layer_list(x[:10])
    out_ndarray = layer_ndarray(x[:10])
    out_list = np.asarray(out_list)
    out_ndarray = np.asarray(out_ndarray)
    assert_all_close(out_list, out_ndarray, atol=1e-5)

def test_adapt_iterable_with_tuples():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_adapt_iterable_with_tuples
    x = np.random.random((24, 3)).astype("float32")
    batches = [(x[i : i + 8], np.zeros(8)) for i in range(0, 24, 8)]
    layer = layers.Normalization(axis=-1)
    layer.adapt(batches)
    assert layer.built
    output = layer(x)
    output = np.asarray(output)
    assert_all_close(np.var(output, axis=0), 1.0, atol=1e-5)
    assert_all_close(np.mean(output, axis=0), 0.0, atol=1e-5)

def test_adapt_iterable_axis_none():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_adapt_iterable_axis_none
    x = np.random.random((20, 2, 3)).astype("float32")
    batches = [x[i : i + 5] for i in range(0, 20, 5)]
    layer = layers.Normalization(axis=None)
    layer.adapt(batches)
    assert layer.built
    output = layer(x)
    output = np.asarray(output)
    assert_all_close(np.var(output), 1.0, atol=1e-5)
    assert_all_close(np.mean(output), 0.0, atol=1e-5)

def test_adapt_empty_iterable_raises():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_adapt_empty_iterable_raises
    layer = layers.Normalization(axis=-1)
    with pytest.raises(ValueError, match="empty iterable"):
        layer.adapt([])

def test_adapt_empty_generator_raises():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_adapt_empty_generator_raises
    layer = layers.Normalization(axis=-1)

    def empty_gen():
        yield from ()

    with pytest.raises(ValueError, match="empty iterable"):
        layer.adapt(empty_gen())

def test_adapt_iterable_incompatible_shape_raises():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_adapt_iterable_incompatible_shape_raises
    x1 = np.random.random((8, 4)).astype("float32")
    x2 = np.random.random((8, 6)).astype("float32")

    def bad_gen():
        yield x1
        yield x2

    layer = layers.Normalization(axis=-1)
    with pytest.raises(ValueError, match="incompatible shape"):
        layer.adapt(bad_gen())

def test_adapt_iterable_batch_without_shape_raises():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_adapt_iterable_batch_without_shape_raises
    layer = layers.Normalization(axis=-1)

    def gen_no_shape():
        yield 42

    with pytest.raises(TypeError, match="`.shape`"):
        layer.adapt(gen_no_shape())

def test_adapt_iterable_single_batch():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_adapt_iterable_single_batch
    x = np.random.random((16, 4)).astype("float32")
    layer = layers.Normalization(axis=-1)
    layer.adapt([x])
    assert layer.built
    output = layer(x)
    output = np.asarray(output)
    assert_all_close(np.var(output, axis=0), 1.0, atol=1e-5)
    assert_all_close(np.mean(output, axis=0), 0.0, atol=1e-5)

def test_adapt_iterable_high_dim_axis_tuple():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_adapt_iterable_high_dim_axis_tuple
    x = np.random.random((32, 4, 3, 5)).astype("float32")
    batches = [x[i : i + 8] for i in range(0, 32, 8)]
    layer = layers.Normalization(axis=(1, 2))
    layer.adapt(batches)
    assert layer.built
    output = layer(x)
    output = np.asarray(output)
    assert_all_close(np.var(output, axis=(0, 3)), 1.0, atol=1e-5)
    assert_all_close(np.mean(output, axis=(0, 3)), 0.0, atol=1e-5)

def test_adapt_iterator_of_batches():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_adapt_iterator_of_batches
    x = np.random.random((24, 3)).astype("float32")
    list_of_batches = [x[i : i + 6] for i in range(0, 24, 6)]
    layer = layers.Normalization(axis=-1)
    layer.adapt(iter(list_of_batches))
    assert layer.built
    output = layer(x)
    output = np.asarray(output)
    assert_all_close(np.var(output, axis=0), 1.0, atol=1e-5)
    assert_all_close(np.mean(output, axis=0), 0.0, atol=1e-5)

def test_adapt_grain_dataset():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_adapt_grain_dataset
    pytest.skip("grain pipelines: not a fastnn data source")
    grain = pytest.importorskip("grain")
    x = np.random.random((24, 3)).astype("float32")
    ds = grain.MapDataset.source(x).to_iter_dataset().batch(8)
    layer = layers.Normalization(axis=-1)
    layer.adapt(ds)
    assert layer.built
    output = layer(x)
    output = np.asarray(output)
    assert_all_close(np.var(output, axis=0), 1.0, atol=1e-5)
    assert_all_close(np.mean(output, axis=0), 0.0, atol=1e-5)

def test_adapt_tf_dataset_with_labels():
    # Keras: keras/src/layers/preprocessing/normalization_test.py::NormalizationTest::test_adapt_tf_dataset_with_labels
    """Normalization.adapt should support supervised tf.data.Dataset."""
    x = np.ones((32, 3), dtype="float32")
    y = np.ones((32,), dtype="int32")

    dataset = tf_data.Dataset.from_tensor_slices((x, y)).batch(8)

    layer = layers.Normalization()
    layer.adapt(dataset)

    mean = np.asarray(layer.mean).squeeze()
    var = np.asarray(layer.variance).squeeze()

    np.testing.assert_allclose(mean, np.ones(3))
    np.testing.assert_allclose(var, np.zeros(3))
