"""Keras 3's tests of the Rescaling, CategoryEncoding, Discretization, IntegerLookup and
StringLookup layers, ported to fastnn.layers.

Source: keras-team/keras at 3422977a5e38,
`keras/src/layers/preprocessing/rescaling_test.py` (RescalingTest),
`category_encoding_test.py`, `discretization_test.py`, `integer_lookup_test.py`,
`string_lookup_test.py`. `run_layer_test` is
tests/conformance/layer_testing.py.

Not ported (out of scope): test_tf_data_compatibility and test_grain_compatibility
(tf.data and grain pipelines), test_rescaling_with_channels_first_and_vector_scale
(image data formats; a vector scale broadcasts against the last axes in fastnn, tested
in tests/test_layers_keras3.py). Hashing's tests are in test_layers_hashing.py; the
other preprocessing layers (image, text...) are out of fastnn's scope.

Not ported from category_encoding_test.py: the sparse=True cases (fastnn has no sparse
tensors: only the dense parametrization is ported), test_tf_data_compatibility, the
symbolic call with count_weights as a keras.Input (fastnn's functional API takes
symbolic tensors only as the first argument). From discretization_test.py:
test_tf_data_compatibility, test_adapt_with_grain_dataset,
test_adapt_with_infinite_generator_and_steps (fastnn's adapt reads a finite iterable
into a list first), the sparse cases of test_correctness. From integer_lookup_test.py:
test_tf_data_compatibility, test_adapt_with_steps (a tf.data dataset),
test_sparse_output and test_vocabulary_from_file (no vocabulary files).
From string_lookup_test.py (StringLookup, ported below the IntegerLookup tests):
test_adapt_with_grain_dataset, test_torch_backend_compatibility and the sparse cases
(test_sparse_inputs, test_sparse_output_in_multi_hot).
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


# -- CategoryEncoding ---------------------------------------------------------------------
import os            # noqa: E402
import tempfile      # noqa: E402

import pytest        # noqa: E402

import fastnn        # noqa: E402

CE = "keras/src/layers/preprocessing/category_encoding_test.py::CategoryEncodingTest"


def _symbolic(layer, shape, expected_shape):
    out = layer(layers.Input(batch_shape=shape, dtype="int32"))
    assert tuple(out.shape) == tuple(expected_shape)
    assert str(out.dtype) == "float32"


def test_count_output():
    # Keras: keras/src/layers/preprocessing/category_encoding_test.py::CategoryEncodingTest::test_count_output
    x = np.array([1, 2, 3, 1])
    layer = layers.CategoryEncoding(num_tokens=6, output_mode="count")
    out = layer(x)
    assert out.shape == (6,)
    assert_all_close(out, np.array([0, 2, 1, 1, 0, 0]))
    _symbolic(layer, x.shape, (6,))


def test_count_weighted_output():
    # Keras: keras/src/layers/preprocessing/category_encoding_test.py::CategoryEncodingTest::test_count_weighted_output
    x = np.array([[0, 1], [0, 0], [1, 2], [3, 1]])
    w = np.array([[0.1, 0.2], [0.1, 0.1], [0.2, 0.3], [0.4, 0.2]])
    expected = np.array([[0.1, 0.2, 0, 0, 0, 0], [0.2, 0, 0, 0, 0, 0],
                         [0, 0.2, 0.3, 0, 0, 0], [0, 0.2, 0, 0.4, 0, 0]])
    layer = layers.CategoryEncoding(num_tokens=6, output_mode="count")
    out = layer(x, count_weights=w)
    assert out.shape == (4, 6)
    assert_all_close(out, expected)


def test_batched_count_output():
    # Keras: keras/src/layers/preprocessing/category_encoding_test.py::CategoryEncodingTest::test_batched_count_output
    x = np.array([[1, 2, 3, 1], [0, 3, 1, 0]])
    layer = layers.CategoryEncoding(num_tokens=6, output_mode="count")
    out = layer(x)
    assert out.shape == (2, 6)
    assert_all_close(out, np.array([[0, 2, 1, 1, 0, 0], [2, 1, 0, 1, 0, 0]]))
    _symbolic(layer, x.shape, (2, 6))


def test_multi_hot():
    # Keras: keras/src/layers/preprocessing/category_encoding_test.py::CategoryEncodingTest::test_multi_hot
    x = np.array([3, 2, 0, 1])
    layer = layers.CategoryEncoding(num_tokens=6, output_mode="multi_hot")
    out = layer(x)
    assert out.shape == (6,)
    assert_all_close(out, np.array([1, 1, 1, 1, 0, 0]))
    _symbolic(layer, x.shape, (6,))


def test_batched_multi_hot():
    # Keras: keras/src/layers/preprocessing/category_encoding_test.py::CategoryEncodingTest::test_batched_multi_hot
    x = np.array([[3, 2, 0, 1], [3, 2, 0, 1]])
    layer = layers.CategoryEncoding(num_tokens=6, output_mode="multi_hot")
    out = layer(x)
    assert out.shape == (2, 6)
    assert_all_close(out, np.array([[1, 1, 1, 1, 0, 0]] * 2))
    _symbolic(layer, x.shape, (2, 6))
    x = np.array((4))
    layer = layers.CategoryEncoding(num_tokens=6, output_mode="multi_hot")
    assert layer(x).shape == layer.compute_output_shape(x.shape)


def test_one_hot():
    # Keras: keras/src/layers/preprocessing/category_encoding_test.py::CategoryEncodingTest::test_one_hot
    x = np.array([3, 2, 0, 1])
    expected = np.array([[0, 0, 0, 1, 0, 0], [0, 0, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0],
                         [0, 1, 0, 0, 0, 0]])
    layer = layers.CategoryEncoding(num_tokens=6, output_mode="one_hot")
    out = layer(x)
    assert_all_close(out, expected)
    assert out.shape == (4, 6)
    _symbolic(layer, x.shape, (4, 6))
    for x in (np.array([3, 2, 0, 1]), np.array([[3], [2], [0], [1]]), np.array((4,))):
        layer = layers.CategoryEncoding(num_tokens=6, output_mode="one_hot")
        assert layer(x).shape == layer.compute_output_shape(x.shape)


def test_batched_one_hot():
    # Keras: keras/src/layers/preprocessing/category_encoding_test.py::CategoryEncodingTest::test_batched_one_hot
    x = np.array([[3, 2, 0, 1], [3, 2, 0, 1]])
    expected = np.array([[[0, 0, 0, 1, 0, 0], [0, 0, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0],
                          [0, 1, 0, 0, 0, 0]]] * 2)
    layer = layers.CategoryEncoding(num_tokens=6, output_mode="one_hot")
    out = layer(x)
    assert_all_close(out, expected)
    assert out.shape == (2, 4, 6)
    _symbolic(layer, x.shape, (2, 4, 6))


def test_category_encoding_get_config():
    # Keras: keras/src/layers/preprocessing/category_encoding_test.py::CategoryEncodingTest::test_get_config
    layer = layers.CategoryEncoding(num_tokens=4, output_mode="count")
    config = layer.get_config()
    assert config["num_tokens"] == 4 and config["output_mode"] == "count"
    assert config["sparse"] is False
    revived = layers.CategoryEncoding.from_config(config)
    assert revived.num_tokens == 4 and revived.output_mode == "count"
    assert revived.sparse is False


def test_category_encoding_without_num_tokens():
    # Keras: keras/src/layers/preprocessing/category_encoding_test.py::CategoryEncodingTest::test_category_encoding_without_num_tokens
    with pytest.raises(ValueError, match=r"num_tokens must be set to use this layer"):
        layers.CategoryEncoding(output_mode="multi_hot")


def test_category_encoding_with_invalid_num_tokens():
    # Keras: keras/src/layers/preprocessing/category_encoding_test.py::CategoryEncodingTest::test_category_encoding_with_invalid_num_tokens
    for n in (0, -1):
        with pytest.raises(ValueError, match=r"`num_tokens` must be >= 1"):
            layers.CategoryEncoding(num_tokens=n, output_mode="multi_hot")


def test_category_encoding_with_unnecessary_count_weights():
    # Keras: keras/src/layers/preprocessing/category_encoding_test.py::CategoryEncodingTest::test_category_encoding_with_unnecessary_count_weights
    layer = layers.CategoryEncoding(num_tokens=4, output_mode="multi_hot")
    with pytest.raises(ValueError, match=r"`count_weights` is not used when `output_mode`"):
        layer(np.array([0, 1, 2, 3]), count_weights=np.array([0.1, 0.2, 0.3, 0.4]))


def test_invalid_output_mode_raises_error():
    # Keras: keras/src/layers/preprocessing/category_encoding_test.py::CategoryEncodingTest::test_invalid_output_mode_raises_error
    with pytest.raises(ValueError, match=r"Unknown arg for output_mode: invalid_mode"):
        layers.CategoryEncoding(num_tokens=4, output_mode="invalid_mode")


def test_encode_one_hot_single_sample():
    # Keras: keras/src/layers/preprocessing/category_encoding_test.py::CategoryEncodingTest::test_encode_one_hot_single_sample
    layer = layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")
    assert_all_close(layer(np.array([1, 2, 3, 1])),
                     np.array([[0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 1, 0, 0]]))


def test_encode_one_hot_batched_samples():
    # Keras: keras/src/layers/preprocessing/category_encoding_test.py::CategoryEncodingTest::test_encode_one_hot_batched_samples
    layer = layers.CategoryEncoding(num_tokens=4, output_mode="one_hot")
    row = [[0, 0, 0, 1], [0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]]
    assert_all_close(layer(np.array([[3, 2, 0, 1], [3, 2, 0, 1]])), np.array([row, row]))


# -- Discretization -----------------------------------------------------------------------

def test_discretization_basics():
    # Keras: keras/src/layers/preprocessing/discretization_test.py::DiscretizationTest::test_discretization_basics
    run_layer_test(layers.Discretization, init_kwargs={"bin_boundaries": [0.0, 0.5, 1.0]},
                   input_shape=(2, 3), expected_output_shape=(2, 3),
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   expected_num_losses=0, supports_masking=False, run_training_check=False)


def test_adapt_flow():
    # Keras: keras/src/layers/preprocessing/discretization_test.py::DiscretizationTest::test_adapt_flow
    layer = layers.Discretization(num_bins=4)
    layer.adapt(np.random.random((32, 3)))
    out = layer(np.array([[0.0, 0.1, 0.3]]))
    assert str(out.dtype) == "int32"
    assert len(layer.bin_boundaries) == 3


def test_adapt_with_generator():
    # Keras: keras/src/layers/preprocessing/discretization_test.py::DiscretizationTest::test_adapt_with_generator
    def data_gen():
        for _ in range(5):
            yield np.random.uniform(0, 10, size=(20,))
    layer = layers.Discretization(num_bins=4)
    layer.adapt(data_gen())
    assert len(layer.bin_boundaries) == 3
    assert layer(np.array([[1.0, 5.0, 9.0]])).shape == (1, 3)


def test_adapt_with_list_of_arrays():
    # Keras: keras/src/layers/preprocessing/discretization_test.py::DiscretizationTest::test_adapt_with_list_of_arrays
    layer = layers.Discretization(num_bins=3)
    layer.adapt([np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])])
    assert len(layer.bin_boundaries) == 2


@pytest.mark.parametrize("output_mode,input_array,expected", [
    ("int", [[-1.0, 0.0, 0.1, 0.8, 1.2]], [[0, 1, 1, 2, 3]]),
    ("one_hot", [0.1, 0.8], [[0, 1, 0, 0], [0, 0, 1, 0]]),
    ("multi_hot", [[0.1, 0.8]], [[0, 1, 1, 0]]),
    ("one_hot", [[[0.15, 0.75], [0.85, 0.45]]],
     [[[[0, 1, 0, 0], [0, 0, 1, 0]], [[0, 0, 1, 0], [0, 1, 0, 0]]]]),
    ("multi_hot", [[[0.15, 0.75], [0.85, 0.45]]], [[[0, 1, 1, 0], [0, 1, 1, 0]]]),
    ("count", [[0.1, 0.8, 0.9]], [[0, 1, 2, 0]]),
])
def test_correctness(output_mode, input_array, expected):
    # Keras: keras/src/layers/preprocessing/discretization_test.py::DiscretizationTest::test_correctness
    layer = layers.Discretization(bin_boundaries=[0.0, 0.5, 1.0], output_mode=output_mode)
    out = layer(np.array(input_array))
    assert isinstance(out, np.ndarray)
    assert_all_close(out, np.array(expected))


def test_discretization_serialization():
    # Keras: keras/src/layers/preprocessing/discretization_test.py::DiscretizationTest::test_serialization
    layer = layers.Discretization(num_bins=5)
    config = layer.get_config()
    assert layers.Discretization.from_config(config).get_config() == config
    layer.adapt(np.array([0.0, 1.0, 5.0]))
    config = layer.get_config()
    assert layers.Discretization.from_config(config).get_config() == config
    layer.adapt(np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]))
    config = layer.get_config()
    assert layers.Discretization.from_config(config).get_config() == config
    layer = layers.Discretization(bin_boundaries=[0.0, 0.35, 0.5, 1.0])
    config = layer.get_config()
    assert layers.Discretization.from_config(config).get_config() == config


def test_discretization_saving():
    # Keras: keras/src/layers/preprocessing/discretization_test.py::DiscretizationTest::test_saving
    fpath = os.path.join(tempfile.mkdtemp(), "model.keras")
    layer = layers.Discretization(bin_boundaries=[0.0, 0.35, 0.5, 1.0])
    model = fastnn.Sequential([layers.Input((2,)), layer])
    model.save(fpath)
    model = fastnn.saving.load_model(fpath)
    x = np.array([[-1.0, 0.0, 0.1, 0.2, 0.4, 0.5, 1.0, 1.2, 0.98]])
    assert_all_close(layer(x), np.array([[0, 1, 1, 1, 2, 3, 4, 4, 3]]))
    layer = layers.Discretization(num_bins=4)
    layer.adapt(np.random.random((32, 3)))
    ref_input = np.random.random((1, 2))
    ref_output = layer(ref_input)
    model = fastnn.Sequential([layers.Input((2,)), layer])
    model.save(fpath)
    model = fastnn.saving.load_model(fpath)
    assert_all_close(layer(ref_input), ref_output)
    assert_all_close(model.predict(ref_input, verbose=0), ref_output)   # fastnn: the loaded one too


def test_init_num_bins_and_bin_boundaries_raises():
    # Keras: keras/src/layers/preprocessing/discretization_test.py::DiscretizationTest::test_init_num_bins_and_bin_boundaries_raises
    with pytest.raises(ValueError, match="Both `num_bins` and `bin_boundaries`"):
        layers.Discretization(num_bins=3, bin_boundaries=[0.0, 1.0])
    with pytest.raises(ValueError, match="either `num_bins` or `bin_boundaries`"):
        layers.Discretization()


def test_call_before_adapt_raises():
    # Keras: keras/src/layers/preprocessing/discretization_test.py::DiscretizationTest::test_call_before_adapt_raises
    layer = layers.Discretization(num_bins=3)
    with pytest.raises(ValueError, match="You need .* call .*adapt"):
        layer([[0.1, 0.8, 0.9]])


def test_model_call_vs_predict_consistency():
    # Keras: keras/src/layers/preprocessing/discretization_test.py::DiscretizationTest::test_model_call_vs_predict_consistency
    layer = layers.Discretization(bin_boundaries=[-0.5, 0, 0.1, 0.2, 3], output_mode="int")
    x = np.array([[0.0, 0.15, 0.21, 0.3], [0.0, 0.17, 0.451, 7.8]])
    inputs = layers.Input(shape=(4,), dtype="float32")
    model = fastnn.Model(inputs=inputs, outputs=layer(inputs))
    call_out = np.asarray(model(x))
    predict_out = np.asarray(model.predict(x, verbose=0))
    assert_all_close(call_out, predict_out)
    assert call_out.dtype == predict_out.dtype
    assert call_out.dtype.kind == "i"


@pytest.mark.parametrize("output_mode,expected_shape", [
    ("int", (None, 3, 4)), ("one_hot", (None, 3, 4, 5)), ("multi_hot", (None, 4, 5)),
    ("count", (None, 4, 5))])
def test_symbolic_tensor_output_shape(output_mode, expected_shape):
    # Keras: keras/src/layers/preprocessing/discretization_test.py::DiscretizationTest::test_symbolic_tensor_output_shape
    layer = layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0, 5.0], output_mode=output_mode)
    sym = layer(layers.Input(shape=(3, 4)))
    assert tuple(sym.shape) == expected_shape
    eager = layer(np.random.uniform(0, 3, size=(2, 3, 4)))
    assert eager.shape[0] == 2 and sym.shape[0] is None
    assert tuple(eager.shape[1:]) == tuple(sym.shape[1:])


@pytest.mark.parametrize("output_mode,expected_shape", [
    ("int", (None, 3, 4)), ("one_hot", (None, 3, 4, 3)), ("multi_hot", (None, 4, 3)),
    ("count", (None, 4, 3))])
def test_compute_output_shape_modes(output_mode, expected_shape):
    # Keras: keras/src/layers/preprocessing/discretization_test.py::DiscretizationTest::test_compute_output_shape_modes
    layer = layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode=output_mode)
    assert layer.compute_output_shape((None, 3, 4)) == expected_shape


def test_compute_output_shape_edge_cases():
    # Keras: keras/src/layers/preprocessing/discretization_test.py::DiscretizationTest::test_compute_output_shape_edge_cases
    layer = layers.Discretization(bin_boundaries=[0.0, 1.0], output_mode="one_hot")
    assert layer.compute_output_shape((None, 5, 1)) == (None, 5, 3)
    assert layer.compute_output_shape(()) == (3,)


@pytest.mark.parametrize("batch_size", [1, 3, 5, 10])
def test_batch_dimension_consistency(batch_size):
    # Keras: keras/src/layers/preprocessing/discretization_test.py::DiscretizationTest::test_batch_dimension_consistency
    layer = layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0], output_mode="one_hot")
    eager = layer(np.random.uniform(0, 3, size=(batch_size, 4, 3)))
    sym = layer(layers.Input(shape=(4, 3)))
    assert eager.shape[0] == batch_size and sym.shape[0] is None
    assert tuple(eager.shape[1:]) == tuple(sym.shape[1:]) == (4, 3, 4)


@pytest.mark.parametrize("num_bins,output_mode,input_shape,expected_shape", [
    (3, "int", (None, 5, 4), (None, 5, 4)), (4, "one_hot", (None, 3, 2), (None, 3, 2, 4)),
    (5, "multi_hot", (None, 6, 3), (None, 3, 5)), (6, "count", (None, 4, 2), (None, 2, 6))])
def test_compute_output_shape_num_bins(num_bins, output_mode, input_shape, expected_shape):
    # Keras: keras/src/layers/preprocessing/discretization_test.py::DiscretizationTest::test_compute_output_shape_num_bins
    layer = layers.Discretization(num_bins=num_bins, output_mode=output_mode)
    assert layer.compute_output_shape(input_shape) == expected_shape


# -- IntegerLookup ------------------------------------------------------------------------

def test_integer_lookup_config():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_config
    from tests.conformance.layer_testing import run_class_serialization_test
    layer = layers.IntegerLookup(output_mode="int", vocabulary=[1, 2, 3], oov_token=1,
                                 mask_token=0)
    run_class_serialization_test(layer)


def test_integer_lookup_adapt_flow():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_adapt_flow
    adapt_data = [1, 1, 1, 2, 2, 3]
    single, batch = [1, 2, 4], [[1, 2, 4], [2, 3, 5]]
    layer = layers.IntegerLookup(output_mode="int")
    layer.adapt(adapt_data)
    assert_all_close(layer(single), np.array([1, 2, 0]))
    assert_all_close(layer(batch), np.array([[1, 2, 0], [2, 3, 0]]))
    layer = layers.IntegerLookup(output_mode="one_hot")
    layer.adapt(adapt_data)
    assert_all_close(layer(single), np.array([[0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 0]]))
    layer = layers.IntegerLookup(output_mode="multi_hot")
    layer.adapt(adapt_data)
    assert_all_close(layer(single), np.array([1, 1, 1, 0]))
    layer = layers.IntegerLookup(output_mode="tf_idf")
    layer.adapt(adapt_data)
    assert_all_close(layer(single), np.array([1.133732, 0.916291, 1.098612, 0.0]))
    layer = layers.IntegerLookup(output_mode="count")
    layer.adapt(adapt_data)
    assert_all_close(layer([1, 2, 3, 4, 1, 2, 1]), np.array([1, 3, 2, 1]))


def test_fixed_vocabulary():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_fixed_vocabulary
    layer = layers.IntegerLookup(output_mode="int", vocabulary=[1, 2, 3, 4])
    assert_all_close(layer([2, 3, 4, 5]), np.array([2, 3, 4, 0]))


def test_set_vocabulary():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_set_vocabulary
    layer = layers.IntegerLookup(output_mode="int")
    layer.set_vocabulary([1, 2, 3, 4])
    assert_all_close(layer([2, 3, 4, 5]), np.array([2, 3, 4, 0]))


def test_one_hot_output_with_higher_rank_input():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_one_hot_output_with_higher_rank_input
    x = np.array([[1, 2], [3, 0]])
    layer = layers.IntegerLookup(vocabulary=[1, 2, 3], output_mode="one_hot")
    out = layer(x)
    assert out.shape == (2, 2, 4)
    expected = np.array([[[0, 1, 0, 0], [0, 0, 1, 0]], [[0, 0, 0, 1], [1, 0, 0, 0]]])
    assert_all_close(out, expected)
    out3 = layer(np.expand_dims(x, axis=0))
    assert out3.shape == (1, 2, 2, 4)
    assert_all_close(out3, np.expand_dims(expected, axis=0))


def test_multi_hot_output_shape():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_multi_hot_output_shape
    layer = layers.IntegerLookup(vocabulary=[1, 2, 3], output_mode="multi_hot")
    assert layer(np.array([[1, 2], [3, 0]])).shape == (2, 4)


def test_count_output_shape():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_count_output_shape
    layer = layers.IntegerLookup(vocabulary=[1, 2, 3], output_mode="count")
    assert layer(np.array([[1, 2], [3, 0]])).shape == (2, 4)


def test_tf_idf_output_shape():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_tf_idf_output_shape
    layer = layers.IntegerLookup(vocabulary=[1, 2, 3], idf_weights=[1.0, 1.0, 1.0],
                                 output_mode="tf_idf")
    assert layer(np.array([[1, 2], [3, 0]])).shape == (2, 4)


def test_max_tokens():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_max_tokens
    layer = layers.IntegerLookup(output_mode="int", max_tokens=4)
    layer.adapt([1, 2, 3, 4, 5, 6, 1, 1, 2, 2])
    assert len(layer.get_vocabulary()) == 4


def test_mask_token():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_mask_token
    layer = layers.IntegerLookup(output_mode="int", vocabulary=[1, 2, 3], mask_token=0)
    assert_all_close(layer([0, 1, 2, 3]), np.array([0, 2, 3, 4]))


def test_invert():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_invert
    layer = layers.IntegerLookup(vocabulary=[10, 20, 30], invert=True)
    assert_all_close(layer([1, 2, 3, 0]), np.array([10, 20, 30, -1]))


def test_pad_to_max_tokens():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_pad_to_max_tokens
    layer = layers.IntegerLookup(vocabulary=[1, 2], output_mode="multi_hot", max_tokens=5,
                                 pad_to_max_tokens=True)
    assert layer([1, 2]).shape[-1] == 5


def test_num_oov_indices():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_num_oov_indices
    layer = layers.IntegerLookup(vocabulary=[1, 2, 3], num_oov_indices=2, output_mode="int")
    out = np.asarray(layer([1, 2, 3, 999, 1000]))
    assert_all_close(out[:3], np.array([2, 3, 4]))
    assert all(o in [0, 1] for o in out[3:])


def test_get_vocabulary():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_get_vocabulary
    layer = layers.IntegerLookup(output_mode="int")
    layer.adapt([5, 5, 5, 10, 10, 15])
    vocab = layer.get_vocabulary()
    assert vocab[0] == -1 and vocab[1] == 5


def test_invalid_max_tokens():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_invalid_max_tokens
    with pytest.raises(ValueError):
        layers.IntegerLookup(max_tokens=1)


def test_invalid_num_oov_indices():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_invalid_num_oov_indices
    with pytest.raises(ValueError):
        layers.IntegerLookup(num_oov_indices=-1)


def test_invalid_vocabulary_dtype():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_invalid_vocabulary_dtype
    with pytest.raises(ValueError):
        layers.IntegerLookup(vocabulary_dtype="int32")


def test_num_oov_indices_zero():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_num_oov_indices_zero
    layer = layers.IntegerLookup(vocabulary=[1, 2, 3], num_oov_indices=0, output_mode="int")
    assert_all_close(layer([1, 2, 3]), np.array([0, 1, 2]))


def test_oov_method_invalid_value():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_oov_method_invalid_value
    with pytest.raises(ValueError):
        layers.IntegerLookup(vocabulary=[1, 2, 3], num_oov_indices=2,
                             oov_method="invalid_method")


def test_oov_method_farmhash():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_oov_method_farmhash
    vocab = [12, 36, 1138, 42]
    layer = layers.IntegerLookup(vocabulary=vocab, num_oov_indices=2, oov_method="farmhash")
    output = np.asarray(layer(np.array([12, 36, 1138, 42, 100, 200])))
    # in-vocabulary tokens map after the num_oov_indices=2 OOV indices
    assert_all_close(output[:4], np.array([2, 3, 4, 5]))
    # OOV tokens land in [0, num_oov_indices)
    assert all(o in [0, 1] for o in output[4:])


def test_oov_method_ignored_when_single_oov_index():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_oov_method_ignored_when_single_oov_index
    layer_floormod = layers.IntegerLookup(vocabulary=[1, 2, 3], num_oov_indices=1,
                                          oov_method="floormod")
    layer_farmhash = layers.IntegerLookup(vocabulary=[1, 2, 3], num_oov_indices=1,
                                          oov_method="farmhash")
    oov_values = [99, 100, 101]
    assert_all_close(layer_floormod(oov_values), layer_farmhash(oov_values))


def test_oov_method_farmhash_output_is_correct():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_oov_method_farmhash_output_is_correct
    # Keras' expected values: tf.strings.to_hash_bucket_fast(
    #     tf.strings.as_string([100, 200, 300, 400]), num_buckets=4)
    layer = layers.IntegerLookup(vocabulary=[10, 20, 30], num_oov_indices=4,
                                 oov_method="farmhash")
    assert_all_close(layer([100, 200, 300, 400]), [3, 1, 3, 1])


def test_integer_lookup_salt_siphash():
    # Keras: keras/src/layers/preprocessing/integer_lookup_test.py::IntegerLookupTest::test_salt_siphash
    vocab = [10, 20, 30]
    layer_farmhash = layers.IntegerLookup(vocabulary=vocab, num_oov_indices=4,
                                          oov_method="farmhash")
    layer_siphash = layers.IntegerLookup(vocabulary=vocab, num_oov_indices=4,
                                         oov_method="farmhash", salt=[137, 42])
    oov_values = np.array([100, 300, 700, 1100, 1700, 2000])
    assert not np.array_equal(np.asarray(layer_farmhash(oov_values)),
                              np.asarray(layer_siphash(oov_values)))


# -- StringLookup -------------------------------------------------------------------------

def test_string_lookup_config():
    # Keras: keras/src/layers/preprocessing/string_lookup_test.py::StringLookupTest::test_config
    from tests.conformance.layer_testing import run_class_serialization_test
    layer = layers.StringLookup(output_mode="int", vocabulary=["a", "b", "c"],
                                oov_token="[OOV]", mask_token="[MASK]")
    run_class_serialization_test(layer)
    assert layer.get_config()["vocabulary"] == ["a", "b", "c"]


def test_string_lookup_vocabulary_file(tmp_path):
    # Keras: keras/src/layers/preprocessing/string_lookup_test.py::StringLookupTest::test_vocabulary_file
    # Deliberate difference (docs/DIFFERENCES.md): the vocabulary is kept in get_config
    # (Keras: None there, the tokens in an asset file of the .keras archive), so the layer
    # needs the file only when it is made.
    vocab_path = tmp_path / "vocab.txt"
    vocab_path.write_text("a\nb\nc\n")
    layer = layers.StringLookup(output_mode="int", vocabulary=str(vocab_path),
                                oov_token="[OOV]", mask_token="[MASK]", name="index")
    assert [str(v) for v in layer.get_vocabulary()] == ["[MASK]", "[OOV]", "a", "b", "c"]
    config = layer.get_config()
    assert config["vocabulary"] == ["a", "b", "c"]
    vocab_path.unlink()
    again = layers.StringLookup.from_config(config)
    assert [str(v) for v in again.get_vocabulary()] == ["[MASK]", "[OOV]", "a", "b", "c"]


def test_string_lookup_adapt_flow():
    # Keras: keras/src/layers/preprocessing/string_lookup_test.py::StringLookupTest::test_adapt_flow
    layer = layers.StringLookup(output_mode="int")
    layer.adapt(["a", "a", "a", "b", "b", "c"])
    output = layer(["b", "c", "d"])
    np.testing.assert_allclose(output, np.array([2, 3, 0]))
    assert "a" in [str(v) for v in layer.get_vocabulary()]


def test_string_lookup_adapt_with_generator():
    # Keras: keras/src/layers/preprocessing/string_lookup_test.py::StringLookupTest::test_adapt_with_generator
    def vocab_gen():
        yield ["cat", "dog"]
        yield ["bird", "cat"]

    layer = layers.StringLookup()
    layer.adapt(vocab_gen())
    vocab = [str(v) for v in layer.get_vocabulary()]
    assert "cat" in vocab and "dog" in vocab and "bird" in vocab


def test_string_lookup_adapt_with_infinite_generator_and_steps():
    # Keras: keras/src/layers/preprocessing/string_lookup_test.py::StringLookupTest::test_adapt_with_infinite_generator_and_steps
    def vocab_gen():
        while True:
            yield ["cat", "dog", "bird"]

    layer = layers.StringLookup()
    layer.adapt(vocab_gen(), steps=3)
    assert "cat" in [str(v) for v in layer.get_vocabulary()]


def test_string_lookup_fixed_vocabulary():
    # Keras: keras/src/layers/preprocessing/string_lookup_test.py::StringLookupTest::test_fixed_vocabulary
    layer = layers.StringLookup(output_mode="int", vocabulary=["a", "b", "c"])
    np.testing.assert_allclose(layer(["b", "c", "d"]), np.array([2, 3, 0]))


def test_string_lookup_set_vocabulary():
    # Keras: keras/src/layers/preprocessing/string_lookup_test.py::StringLookupTest::test_set_vocabulary
    layer = layers.StringLookup(output_mode="int")
    layer.set_vocabulary(["a", "b", "c"])
    np.testing.assert_allclose(layer(["b", "c", "d"]), np.array([2, 3, 0]))


def test_string_lookup_dataset_compatibility():
    # Keras: keras/src/layers/preprocessing/string_lookup_test.py::StringLookupTest::test_tf_data_compatibility
    # (fastnn.data.Dataset, fastnn's tf.data)
    from fastnn import data as fdata
    layer = layers.StringLookup(output_mode="int", vocabulary=["a", "b", "c"])
    ds = fdata.Dataset.from_tensor_slices(np.array(["b", "c", "d"])).batch(3).map(layer)
    np.testing.assert_allclose(np.asarray(next(iter(ds))), np.array([2, 3, 0]))


def test_string_lookup_tensor_as_vocab():
    # Keras: keras/src/layers/preprocessing/string_lookup_test.py::StringLookupTest::test_tensor_as_vocab
    # (an array as the vocabulary: fastnn's tensors are NumPy arrays)
    layer = layers.StringLookup(vocabulary=np.array(["a", "b", "c", "d"]))
    output = layer([["a", "c", "d"], ["d", "z", "b"]])
    np.testing.assert_allclose(output, np.array([[1, 3, 4], [4, 0, 2]]))


def test_string_lookup_forward_and_inverse_lookup():
    # Keras: keras/src/layers/preprocessing/string_lookup_test.py::StringLookupTest::test_torch_backend_compatibility
    # (the inverse gives a NumPy array of str, where Keras' torch backend gives a list)
    forward_lookup = layers.StringLookup(vocabulary=["a", "b", "c"], oov_token="[OOV]")
    np.testing.assert_allclose(forward_lookup(["a", "b", "[OOV]", "d"]), np.array([1, 2, 0, 0]))
    inverse_lookup = layers.StringLookup(vocabulary=["a", "b", "c"], oov_token="[OOV]",
                                         invert=True)
    assert inverse_lookup(np.array([1, 2, 0], dtype=np.int64)).tolist() == ["a", "b", "[OOV]"]


def test_string_lookup_invert_lookup_basic():
    # Keras: keras/src/layers/preprocessing/string_lookup_test.py::StringLookupTest::test_invert_lookup_basic
    layer = layers.StringLookup(vocabulary=["a", "b", "c"], invert=True)
    assert np.asarray(layer([1, 2, 0])).astype(str).tolist() == ["a", "b", "[UNK]"]


def test_string_lookup_output_mode_count_shape():
    # Keras: keras/src/layers/preprocessing/string_lookup_test.py::StringLookupTest::test_output_mode_count_shape
    layer = layers.StringLookup(vocabulary=["a", "b"], output_mode="count")
    output = layer(["a", "a", "a", "b", "b"])
    assert output.shape[-1] == len(layer.get_vocabulary())


def test_string_lookup_output_mode_multi_hot_binary():
    # Keras: keras/src/layers/preprocessing/string_lookup_test.py::StringLookupTest::test_output_mode_multi_hot_binary
    layer = layers.StringLookup(vocabulary=["a", "b"], output_mode="multi_hot")
    np.testing.assert_allclose(layer(["a", "b"]), [0, 1, 1])


def test_string_lookup_mask_token_basic():
    # Keras: keras/src/layers/preprocessing/string_lookup_test.py::StringLookupTest::test_mask_token_basic
    layer = layers.StringLookup(vocabulary=["a"], mask_token="[MASK]")
    assert int(layer(["[MASK]", "a"])[0]) == 0


def test_string_lookup_get_vocabulary_include_special_tokens_false():
    # Keras: keras/src/layers/preprocessing/string_lookup_test.py::StringLookupTest::test_get_vocabulary_include_special_tokens_false
    layer = layers.StringLookup(vocabulary=["a", "b", "c"])
    assert layer.get_vocabulary(include_special_tokens=False) == ["a", "b", "c"]


def test_string_lookup_one_hot_symbolic_output_shape_nested_input():
    # Keras: keras/src/layers/preprocessing/string_lookup_test.py::StringLookupTest::test_one_hot_symbolic_output_shape_nested_input
    layer = layers.StringLookup(max_tokens=20, num_oov_indices=4, oov_token="[UNK]",
                                vocabulary=list("abcdefghi"), output_mode="one_hot",
                                pad_to_max_tokens=True, sparse=False)
    symbolic_output = layer(layers.Input(shape=(2, 2), dtype="string"))
    assert tuple(symbolic_output.shape) == (None, 2, 2, 20)
    eager_output = layer(np.array([[["a", "b"], ["c", "d"]], [["a", "b"], ["c", "d"]]]))
    assert eager_output.shape == (2, 2, 2, 20)


def test_string_lookup_salt_siphash():
    # Keras: keras/src/layers/preprocessing/string_lookup_test.py::StringLookupTest::test_salt_siphash
    vocab = ["a", "b", "c"]
    layer_farmhash = layers.StringLookup(vocabulary=vocab, num_oov_indices=4)
    layer_siphash = layers.StringLookup(vocabulary=vocab, num_oov_indices=4, salt=[137, 42])
    oov_values = ["x", "y", "z", "w", "v", "u"]
    assert not np.array_equal(np.asarray(layer_farmhash(oov_values)),
                              np.asarray(layer_siphash(oov_values)))
