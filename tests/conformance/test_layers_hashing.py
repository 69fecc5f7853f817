"""Keras 3's tests of the Hashing layer, ported to fastnn.layers.

Source: keras-team/keras at 3422977a5e38, `keras/src/layers/preprocessing/hashing_test.py`
(HashingTest). Keras' expected bins are real FarmHash / SipHash values (what TensorFlow's
to_hash_bucket_fast / to_hash_bucket_strong give), asserted as they are.

Not ported: the tf.SparseTensor cases (test_hash_sparse_input_farmhash,
test_hash_sparse_input_mask_value_farmhash, test_hash_sparse_int_input_farmhash,
test_hash_sparse_input_siphash, test_hash_sparse_int_input_siphash: fastnn has no sparse
tensors) and the ragged ones, which Keras itself keeps commented out.
test_tf_data_compatibility runs on fastnn.data.Dataset.
"""
import numpy as np
import pytest

import fastnn
from fastnn import layers, models
from fastnn.autodiff import ops

from tests.conformance.layer_testing import assert_all_close, run_class_serialization_test

SRC = "keras/src/layers/preprocessing/hashing_test.py::HashingTest"


class ArrayLike:
    def __init__(self, values):
        self.values = values

    def __array__(self, dtype=None, copy=None):
        return np.array(self.values)


def test_config():
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_config
    layer = layers.Hashing(num_bins=8, output_mode="int")
    run_class_serialization_test(layer)


def test_correctness():
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_correctness
    layer = layers.Hashing(num_bins=3)
    inp = [["A"], ["B"], ["C"], ["D"], ["E"]]
    output = layer(inp)
    assert ops.is_tensor(output)
    assert_all_close(output, np.array([[1], [0], [1], [1], [2]]))

    layer = layers.Hashing(num_bins=3, mask_value="")
    inp = [["A"], ["B"], [""], ["C"], ["D"]]
    output = layer(inp)
    assert ops.is_tensor(output)
    assert_all_close(output, np.array([[1], [1], [0], [2], [2]]))

    layer = layers.Hashing(num_bins=3, salt=[133, 137])
    inp = [["A"], ["B"], ["C"], ["D"], ["E"]]
    output = layer(inp)
    assert ops.is_tensor(output)
    assert_all_close(output, np.array([[1], [2], [1], [0], [2]]))

    layer = layers.Hashing(num_bins=3, salt=133)
    inp = [["A"], ["B"], ["C"], ["D"], ["E"]]
    output = layer(inp)
    assert ops.is_tensor(output)
    assert_all_close(output, np.array([[0], [0], [2], [1], [0]]))


def test_tf_data_compatibility():
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_tf_data_compatibility
    # (fastnn.data.Dataset, fastnn's tf.data)
    from fastnn import data as fdata
    layer = layers.Hashing(num_bins=3)
    inp = [["A"], ["B"], ["C"], ["D"], ["E"]]
    ds = fdata.Dataset.from_tensor_slices(inp).batch(5).map(layer)
    output = np.asarray(next(iter(ds)))
    assert_all_close(output, np.array([[1], [0], [1], [1], [2]]))


@pytest.mark.parametrize("data_fn", [list, tuple, np.array, ArrayLike],
                         ids=["list", "tuple", "numpy", "array_like"])
def test_tensor_like_inputs(data_fn):
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_tensor_like_inputs
    input_data = data_fn([0, 1, 2, 3, 4])
    expected_output = [1, 0, 1, 0, 2]
    layer = layers.Hashing(num_bins=3)
    output_data = layer(input_data)
    assert_all_close(output_data, expected_output)


def test_hash_single_bin():
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_hash_single_bin
    layer = layers.Hashing(num_bins=1)
    inp = np.asarray([["A"], ["B"], ["C"], ["D"], ["E"]])
    output = layer(inp)
    assert_all_close(output, [[0], [0], [0], [0], [0]])


def test_hash_dense_input_farmhash():
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_hash_dense_input_farmhash
    layer = layers.Hashing(num_bins=2)
    inp = np.asarray([["omar"], ["stringer"], ["marlo"], ["wire"], ["skywalker"]])
    output = layer(inp)
    assert_all_close(output, [[0], [0], [1], [0], [0]])


def test_hash_dense_input_mask_value_farmhash():
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_hash_dense_input_mask_value_farmhash
    empty_mask_layer = layers.Hashing(num_bins=3, mask_value="")
    omar_mask_layer = layers.Hashing(num_bins=3, mask_value="omar")
    inp = np.asarray([["omar"], ["stringer"], ["marlo"], ["wire"], ["skywalker"]])
    empty_mask_output = empty_mask_layer(inp)
    omar_mask_output = omar_mask_layer(inp)
    # one more than test_hash_dense_input_farmhash (bin 0 is reserved for the mask)
    assert_all_close(empty_mask_output, [[1], [1], [2], [1], [1]])
    # 'omar' maps to 0
    assert_all_close(omar_mask_output, [[0], [1], [2], [1], [1]])


def test_hash_dense_list_input_farmhash():
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_hash_dense_list_input_farmhash
    layer = layers.Hashing(num_bins=2)
    inp = [["omar"], ["stringer"], ["marlo"], ["wire"], ["skywalker"]]
    output = layer(inp)
    assert_all_close(output, [[0], [0], [1], [0], [0]])

    inp = ["omar", "stringer", "marlo", "wire", "skywalker"]
    output = layer(inp)
    assert_all_close(output, [0, 0, 1, 0, 0])


def test_hash_dense_int_input_farmhash():
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_hash_dense_int_input_farmhash
    layer = layers.Hashing(num_bins=3)
    inp = np.asarray([[0], [1], [2], [3], [4]])
    output = layer(inp)
    assert_all_close(output, [[1], [0], [1], [0], [2]])


def test_hash_dense_input_siphash():
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_hash_dense_input_siphash
    layer = layers.Hashing(num_bins=2, salt=[133, 137])
    inp = np.asarray([["omar"], ["stringer"], ["marlo"], ["wire"], ["skywalker"]])
    output = layer(inp)
    # different from FarmHash
    assert_all_close(output, [[0], [1], [0], [1], [0]])

    layer_2 = layers.Hashing(num_bins=2, salt=[211, 137])
    output_2 = layer_2(inp)
    # different from (133, 137)
    assert_all_close(output_2, [[1], [0], [1], [0], [1]])


def test_hash_dense_int_input_siphash():
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_hash_dense_int_input_siphash
    layer = layers.Hashing(num_bins=3, salt=[133, 137])
    inp = np.asarray([[0], [1], [2], [3], [4]])
    output = layer(inp)
    assert_all_close(output, [[1], [1], [2], [0], [1]])


def test_invalid_inputs():
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_invalid_inputs
    with pytest.raises(ValueError, match="cannot be `None`"):
        layers.Hashing(num_bins=None)
    with pytest.raises(ValueError, match="cannot be `None`"):
        layers.Hashing(num_bins=-1)
    with pytest.raises(ValueError, match="can only be a tuple of size 2"):
        layers.Hashing(num_bins=2, salt="string")
    with pytest.raises(ValueError, match="can only be a tuple of size 2"):
        layers.Hashing(num_bins=2, salt=[1])
    with pytest.raises(ValueError, match="can only be a tuple of size 2"):
        layers.Hashing(num_bins=1, salt=[133, 137, 177])


@pytest.mark.parametrize("mode", ["int", "one_hot", "multi_hot", "count"])
@pytest.mark.parametrize("input_shape", [(4,), (4, 1), (3, 4)])
def test_compute_output_shape(mode, input_shape):
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_compute_output_shape
    # compute_output_shape works without building the layer and agrees with the call
    layer = layers.Hashing(num_bins=5, output_mode=mode)
    cos = tuple(layer.compute_output_shape((None,) + input_shape))
    actual = tuple(layer(layers.Input(shape=input_shape)).shape)
    assert cos == actual


def test_one_hot_output():
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_one_hot_output
    input_array = np.array([0, 1, 2, 3, 4])
    expected_output = [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0],
                       [0.0, 0.0, 1.0]]
    expected_output_shape = (None, 3)
    inputs = layers.Input(shape=(1,), dtype="int32")
    layer = layers.Hashing(num_bins=3, output_mode="one_hot")
    outputs = layer(inputs)
    assert outputs.shape == expected_output_shape
    model = models.Model(inputs, outputs)
    output_data = model(input_array)
    assert_all_close(output_data, expected_output)


def test_multi_hot_output():
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_multi_hot_output
    input_array = np.array([[0, 1, 2, 3, 4]])
    expected_output = [[1.0, 1.0, 1.0]]
    expected_output_shape = (None, 3)
    inputs = layers.Input(shape=(None,), dtype="int32")
    layer = layers.Hashing(num_bins=3, output_mode="multi_hot")
    outputs = layer(inputs)
    assert outputs.shape == expected_output_shape
    model = models.Model(inputs, outputs)
    output_data = model(input_array)
    assert_all_close(output_data, expected_output)


@pytest.mark.parametrize("input_value, expected_output, expected_output_shape", [
    ([0, 1, 2, 3, 4], [2.0, 2.0, 1.0], (3,)),
    ([[0, 1, 2, 3, 4]], [[2.0, 2.0, 1.0]], (None, 3)),
], ids=["1d_input", "2d_input"])
def test_count_output(input_value, expected_output, expected_output_shape):
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_count_output
    input_array = np.array(input_value)
    if input_array.ndim == 1:
        symbolic_sample_shape = ()
    elif input_array.ndim == 2:
        symbolic_sample_shape = (None,)
    else:
        raise TypeError("Unknown `symbolic_sample_shape`")
    inputs = layers.Input(shape=symbolic_sample_shape, dtype="int32")
    layer = layers.Hashing(num_bins=3, output_mode="count")
    outputs = layer(inputs)
    assert outputs.shape == expected_output_shape
    output_data = layer(input_array)
    assert_all_close(output_data, expected_output)


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_int_output_dtype(dtype):
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_int_output_dtype
    input_data = layers.Input(batch_size=16, shape=(4,), dtype="string")
    layer = layers.Hashing(num_bins=3, output_mode="int", dtype=dtype)
    output = layer(input_data)
    assert output.dtype == dtype


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_one_hot_output_dtype(dtype):
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_one_hot_output_dtype
    input_data = layers.Input(batch_size=16, shape=(1,), dtype="string")
    layer = layers.Hashing(num_bins=3, output_mode="one_hot", dtype=dtype)
    output = layer(input_data)
    assert output.dtype == dtype


def test_config_with_custom_name():
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_config_with_custom_name
    layer = layers.Hashing(num_bins=2, name="hashing")
    config = layer.get_config()
    layer_1 = layers.Hashing.from_config(config)
    assert layer_1.name == layer.name


def test_saving(tmp_path):
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_saving
    input_data = np.array(["omar", "stringer", "marlo", "wire", "skywalker"])
    inputs = layers.Input(shape=(), dtype="string")
    outputs = layers.Hashing(num_bins=100)(inputs)
    model = models.Model(inputs=inputs, outputs=outputs)
    original_output_data = model(input_data)
    output_path = str(tmp_path / "keras_model.keras")
    model.save(output_path)
    loaded_model = fastnn.saving.load_model(output_path)
    assert model is not loaded_model
    new_output_data = loaded_model(input_data)
    assert_all_close(new_output_data, original_output_data)


@pytest.mark.parametrize("input_data, expected", [
    ([1, 2, 3], [1, 1, 1]),
    ([[1], [2], [3]], [[1], [1], [1]]),
    ([[1, 2], [2, 3], [3, 4]], [[1, 1], [1, 1], [1, 1]]),
    ([[[1], [2]], [[2], [3]], [[3], [4]]], [[[1], [1]], [[1], [1]], [[1], [1]]]),
], ids=["list_input", "list_input_2d", "list_input_2d_multiple", "list_input_3d"])
def test_hash_list_input(input_data, expected):
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_hash_list_input
    layer = layers.Hashing(num_bins=2)
    out_data = layer(input_data)
    assert_all_close(out_data, expected)


def test_hashing_invalid_num_bins():
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_hashing_invalid_num_bins
    with pytest.raises(ValueError,
                       match="The `num_bins` for `Hashing` cannot be `None` or non-positive"):
        layers.Hashing(num_bins=None)
    with pytest.raises(ValueError,
                       match="The `num_bins` for `Hashing` cannot be `None` or non-positive"):
        layers.Hashing(num_bins=0)


def test_hashing_invalid_output_mode():
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_hashing_invalid_output_mode
    with pytest.raises(ValueError,
                       match="Invalid value for argument `output_mode`. Expected one of"):
        layers.Hashing(num_bins=3, output_mode="unsupported_mode")


def test_hashing_invalid_dtype_for_int_mode():
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_hashing_invalid_dtype_for_int_mode
    with pytest.raises(ValueError,
                       match='When `output_mode="int"`, `dtype` should be an integer type,'):
        layers.Hashing(num_bins=3, output_mode="int", dtype="float32")


def test_hashing_sparse_with_int_mode():
    # Keras: keras/src/layers/preprocessing/hashing_test.py::HashingTest::test_hashing_sparse_with_int_mode
    with pytest.raises(ValueError, match="`sparse` may only be true if `output_mode` is"):
        layers.Hashing(num_bins=3, output_mode="int", sparse=True)

