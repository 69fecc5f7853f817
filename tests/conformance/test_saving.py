"""Keras 3's `keras/src/saving/saving_api_test.py`, and the parts of
`keras/src/saving/saving_lib_test.py` that apply to fastnn's `.keras` / `.weights.h5`
support, ported to fastnn.

Each test names the Keras test it comes from (`# Keras: <file>::<test>`, with the
parameters of a parameterised case). Imports are adapted (`keras.src.saving.saving_api`
-> `fastnn.saving`, `keras.src.layers` -> `fastnn.layers`, `keras.src.models` ->
`fastnn.models`); `self.get_temp_dir()` is pytest's `tmp_path`; `testing.TestCase`
assertions become plain pytest / NumPy ones with Keras' tolerances. The HDF5 files
need h5py (skipped without it).

Left out (docs/DIFFERENCES.md and docs/KERAS_FILES.md give the reasons):

| Keras test | reason |
|---|---|
| saving_api_test::SaveModelTests::test_save_h5_format, LoadModelTests::test_load_h5_format, LoadWeightsTests::test_load_weights (h5 cases), test_load_weights_invalid_kwargs (its legacy file), test_load_weights_rejects_h5_external_link / _soft_link (their legacy target file) | fastnn does not write legacy `.h5` files (documented); it reads them. The link refusals are checked in tests/test_saving_keras.py |
| saving_api_test::SaveModelTests::test_save_unsupported_extension | any other ending is fastnn's own format (documented) |
| saving_api_test::LoadModelTests::test_load_model_with_custom_objects | no custom objects in files (documented) |
| saving_api_test::LoadModelTests::test_basic_load (bfloat16, float16), LoadWeightsTests::test_load_weights (bfloat16 and float16 cases) | bfloat16 and float16 weights are refused dtype policies (documented) |
| saving_lib_test: the tests of custom layers, custom models and registered objects (test_inference_after_instantiation, test_compile_preserved, test_saving_custom_assets_and_variables, test_compile_overridden_warnings_*, test_saving_preserve_unbuilt_state, test_saved_module_paths_and_class_names, test_partial_load, test_save_weights_subclassed_functional, test_safe_mode, SavingBattleTest) | no custom objects in files (documented) |
| saving_lib_test: the IO store tests (H5IOStore, ShardedH5IOStore, DiskIOStore, NpzIOStore), test_save_model_exception_raised / test_load_model_exception_raised, test_load_model_read_only_system, test_load_model_concurrently, SafeZipReadTest, SafeGetH5DatasetTest | Keras-internal classes and mocks of them; fastnn's own safety checks (bombs, links) are in tests/test_saving_keras.py and tests/test_file_fuzz.py |
| saving_lib_test::test_bidirectional_lstm_saving, test_nested_container_layer_saving and its siblings, test_legacy_h5_format, test_normalization_legacy_h5_format | recurrent layers; containers of layers in custom layers; legacy `.h5` writes |
"""
import json
import os
import pathlib
import zipfile

import numpy as np
import pytest

import fastnn as keras
from fastnn import layers
from fastnn import saving as saving_api
from fastnn.models import Model, Sequential

h5py = pytest.importorskip("h5py")

SRC = ("keras/src/saving/saving_api_test.py", "keras/src/saving/saving_lib_test.py")

def assert_all_close(actual, desired, atol=1e-6, rtol=1e-6):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(desired), atol=atol, rtol=rtol)


def assert_not_all_close(actual, desired, atol=1e-6, rtol=1e-6):
    assert not np.allclose(np.asarray(actual), np.asarray(desired), atol=atol, rtol=rtol)


def get_model(dtype=None):
    return Sequential(
        [
            layers.Dense(5, input_shape=(3,), dtype=dtype),
            layers.Softmax(),
        ]
    )


# Keras: keras/src/saving/saving_api_test.py::SaveModelTests::test_basic_saving
def test_basic_saving(tmp_path):
    """Test basic model saving and loading."""
    model = get_model()
    filepath = os.path.join(tmp_path, "test_model.keras")
    saving_api.save_model(model, filepath)

    loaded_model = saving_api.load_model(filepath)
    x = np.random.uniform(size=(10, 3))
    assert np.allclose(model.predict(x), loaded_model.predict(x))


# Keras: keras/src/saving/saving_api_test.py::SaveModelTests::test_invalid_save_format
def test_invalid_save_format():
    """Test deprecated save_format argument."""
    model = get_model()
    with pytest.raises(ValueError, match="The `save_format` argument is deprecated"):
        saving_api.save_model(model, "model.txt", save_format=True)


# Keras: keras/src/saving/saving_api_test.py::SaveModelTests::test_unsupported_arguments
def test_unsupported_arguments(tmp_path):
    """Test unsupported argument during model save."""
    model = get_model()
    filepath = os.path.join(tmp_path, "test_model.keras")
    with pytest.raises(ValueError, match=r"The following argument\(s\) are not supported"):
        saving_api.save_model(model, filepath, random_arg=True)


# Keras: keras/src/saving/saving_api_test.py::SaveModelTests::test_objects_to_skip
def test_objects_to_skip(tmp_path):
    model = Sequential(
        [
            layers.Input((3,)),
            layers.Dense(5),
            layers.Dense(5),
        ]
    )
    skip = model.layers[0]
    filepath = os.path.join(tmp_path, "test_model.weights.h5")
    saving_api.save_weights(model, filepath, objects_to_skip=[skip])
    new_model = Sequential(
        [
            layers.Input((3,)),
            layers.Dense(5),
            layers.Dense(5),
        ]
    )
    new_model.load_weights(filepath, objects_to_skip=[new_model.layers[0]])
    assert_not_all_close(
        new_model.layers[0].get_weights()[0],
        model.layers[0].get_weights()[0],
    )
    assert_all_close(
        new_model.layers[0].get_weights()[1],
        model.layers[0].get_weights()[1],
    )
    saving_api.save_weights(model, filepath)
    new_model.load_weights(filepath, objects_to_skip=[new_model.layers[0]])
    assert_not_all_close(
        new_model.layers[0].get_weights()[0],
        model.layers[0].get_weights()[0],
    )
    assert_all_close(
        new_model.layers[0].get_weights()[1],
        model.layers[0].get_weights()[1],
    )


# Keras: keras/src/saving/saving_api_test.py::LoadModelTests::test_basic_load (float32, float64)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_basic_load(tmp_path, dtype):
    """Test basic model loading."""
    model = get_model(dtype)
    filepath = os.path.join(tmp_path, "test_model.keras")
    saving_api.save_model(model, filepath)

    loaded_model = saving_api.load_model(filepath)
    x = np.random.uniform(size=(10, 3))
    assert loaded_model.weights[0].dtype == dtype
    assert np.allclose(model.predict(x), loaded_model.predict(x))


# Keras: keras/src/saving/saving_api_test.py::LoadModelTests::test_load_unsupported_format
def test_load_unsupported_format():
    """Test loading model with unsupported format."""
    with pytest.raises(ValueError, match="File format not supported"):
        saving_api.load_model("model.pkl")


# Keras: keras/src/saving/saving_api_test.py::LoadModelTests::test_load_keras_not_zip
def test_load_keras_not_zip():
    """Test loading keras file that's not a zip."""
    with pytest.raises(ValueError, match="File not found"):
        saving_api.load_model("not_a_zip.keras")


# Keras: keras/src/saving/saving_api_test.py::LoadModelTests::test_save_unzipped
def test_save_unzipped(tmp_path):
    """Test saving/loading an unzipped model dir."""
    model = get_model()

    # Test error with keras extension
    bad_filepath = os.path.join(tmp_path, "test_model.keras")
    with pytest.raises(ValueError, match="should not end in"):
        saving_api.save_model(model, bad_filepath, zipped=False)

    filepath = os.path.join(tmp_path, "test_model_dir")
    saving_api.save_model(model, filepath, zipped=False)

    assert os.path.exists(filepath)
    assert os.path.isdir(filepath)
    config_filepath = os.path.join(filepath, "config.json")
    weights_filepath = os.path.join(filepath, "model.weights.h5")
    assert os.path.exists(config_filepath)
    assert os.path.exists(weights_filepath)

    loaded_model = saving_api.load_model(filepath)
    x = np.random.uniform(size=(10, 3))
    assert np.allclose(model.predict(x), loaded_model.predict(x))


# Keras: keras/src/saving/saving_api_test.py::LoadWeightsTests::test_load_weights
# (save_format keras / weights.h5; source and destination dtype float64 / float32)
@pytest.mark.parametrize("save_format", [
    "keras", "weights.h5"])
@pytest.mark.parametrize("source_dtype", ["float64", "float32"])
@pytest.mark.parametrize("dest_dtype", ["float64", "float32"])
def test_load_weights(tmp_path, save_format, source_dtype, dest_dtype):
    """Test loading keras weights."""
    src_model = get_model(dtype=source_dtype)
    if save_format == "keras":
        filepath = os.path.join(tmp_path, "test_weights.keras")
        src_model.save(filepath)
    elif save_format == "weights.h5":
        filepath = os.path.join(tmp_path, "test_weights.weights.h5")
        src_model.save_weights(filepath)
    else:
        raise ValueError(f"Unsupported save format: {save_format}")

    dest_model = get_model(dtype=dest_dtype)
    dest_model.load_weights(filepath)

    src_weights = src_model.get_weights()
    dest_weights = dest_model.get_weights()
    for orig, loaded in zip(src_weights, dest_weights):
        assert_all_close(
            orig.astype("float32"),
            loaded.astype("float32"),
            atol=1e-3,
            rtol=1e-2,
        )


# Keras: keras/src/saving/saving_api_test.py::LoadWeightsTests::test_load_weights_invalid_kwargs
# (the .keras and .weights.h5 files; fastnn writes no legacy .h5 file)
def test_load_weights_invalid_kwargs(tmp_path):
    src_model = get_model()
    keras_filepath = os.path.join(tmp_path, "test_weights.keras")
    weight_h5_filepath = os.path.join(tmp_path, "test_weights.weights.h5")
    src_model.save(keras_filepath)
    src_model.save_weights(weight_h5_filepath)

    dest_model = get_model()
    # Test keras file.
    with pytest.raises(ValueError, match=r"only supports loading '.weights.h5' files."):
        dest_model.load_weights(keras_filepath, objects_to_skip=[])
    with pytest.raises(ValueError,
                       match=r"only supports loading legacy '.h5' or '.hdf5' files."):
        dest_model.load_weights(keras_filepath, by_name=True)
    with pytest.raises(ValueError, match=r"Invalid keyword arguments"):
        dest_model.load_weights(keras_filepath, bad_kwarg=None)
    # Test weights.h5 file.
    with pytest.raises(ValueError,
                       match=r"only supports loading legacy '.h5' or '.hdf5' files."):
        dest_model.load_weights(weight_h5_filepath, by_name=True)


# Keras: keras/src/saving/saving_api_test.py::LoadWeightsTests::test_load_weights_invalid_extension
def test_load_weights_invalid_extension():
    """Test loading weights with unsupported extension."""
    model = get_model()
    with pytest.raises(ValueError, match="File format not supported"):
        model.load_weights("invalid_extension.pkl")


# Keras: keras/src/saving/saving_api_test.py::LoadWeightsTests::test_load_weights_rejects_h5_soft_link
def test_load_weights_rejects_h5_soft_link(tmp_path):
    attacker_fpath = os.path.join(tmp_path, "softlink_attacker.h5")
    with h5py.File(attacker_fpath, "w") as f:
        real = f.create_group("real_weights")
        real.create_dataset("inner", data=np.zeros((1,)))
        f["model_weights"] = h5py.SoftLink("/real_weights")

    dest_model = get_model()
    with pytest.raises(ValueError, match="SoftLink"):
        dest_model.load_weights(attacker_fpath)


# Keras: keras/src/saving/saving_api_test.py::LoadWeightsTests::test_load_sharded_weights
def test_load_sharded_weights(tmp_path):
    src_model = get_model()
    temp_filepath = pathlib.Path(os.path.join(tmp_path, "test_weights.weights.json"))
    src_model.save_weights(temp_filepath, max_shard_size=1)
    assert len(os.listdir(temp_filepath.parent)) == 2
    src_weights = src_model.get_weights()
    dest_model = get_model()
    dest_model.load_weights(temp_filepath)
    dest_weights = dest_model.get_weights()
    for orig, loaded in zip(src_weights, dest_weights):
        assert_all_close(orig, loaded)


# ---------------------------------------------------------------- saving_lib_test.py

def my_mean_squared_error(y_true, y_pred):
    """Identical to built-in `mean_squared_error`, but as a custom fn."""
    return keras.ops.mean(keras.ops.square(y_pred - y_true), axis=-1)


def _get_basic_functional_model(compile=True):
    inputs = keras.Input(shape=(4,), batch_size=2)
    x = keras.layers.Dense(1, name="first_dense")(inputs)
    outputs = keras.layers.Dense(1, name="second_dense")(x)
    functional_model = keras.Model(inputs, outputs)
    if compile:
        functional_model.compile(
            optimizer="adam",
            loss=my_mean_squared_error,
            metrics=[keras.metrics.Hinge(), "mse"],
        )
    return functional_model


# Keras: keras/src/saving/saving_lib_test.py::SavingTest::test_metadata
# (CompileOverridingModel, a custom subclassed model, -> a basic functional model)
def test_metadata(tmp_path):
    temp_filepath = pathlib.Path(os.path.join(tmp_path, "my_model.keras"))
    model = _get_basic_functional_model(compile=False)
    model.save(temp_filepath)
    with zipfile.ZipFile(temp_filepath, "r") as z:
        with z.open("metadata.json", "r") as c:
            metadata_json = c.read()
    metadata = json.loads(metadata_json)
    assert "keras_version" in metadata
    assert "date_saved" in metadata


# Keras: keras/src/saving/saving_lib_test.py::SavingTest::test_save_load_weights_only
# (saving_lib.save_weights_only / load_weights_only, Keras-internal, -> fastnn.saving's
# save_weights / load_weights)
def test_save_load_weights_only(tmp_path):
    temp_filepath = pathlib.Path(os.path.join(tmp_path, "mymodel.weights.h5"))
    model = _get_basic_functional_model()
    ref_input = np.random.random((2, 4))
    ref_output = model.predict(ref_input)
    saving_api.save_weights(model, temp_filepath)
    model = _get_basic_functional_model()
    saving_api.load_weights(model, temp_filepath)
    assert_all_close(model.predict(ref_input), ref_output, atol=1e-6)
    # Test with Model method
    model = _get_basic_functional_model()
    model.load_weights(temp_filepath)
    assert_all_close(model.predict(ref_input), ref_output, atol=1e-6)


# Keras: keras/src/saving/saving_lib_test.py::SavingTest::test_compile_arg
def test_compile_arg(tmp_path):
    temp_filepath = os.path.join(tmp_path, "mymodel.keras")
    model = _get_basic_functional_model()
    model.compile("sgd", "mse")
    model.fit(np.random.random((2, 4)), np.random.random((2, 1)))
    saving_api.save_model(model, temp_filepath)

    model = saving_api.load_model(temp_filepath)
    assert model.compiled is True
    model = saving_api.load_model(temp_filepath, compile=False)
    assert model.compiled is False


# Keras: keras/src/saving/saving_lib_test.py::SavingAPITest::test_saving_api_errors
@pytest.mark.xfail(strict=True, reason="fastnn's own format for other endings (documented): "
                   "'mymodel.notkeras' is written, where Keras raises 'Invalid filepath "
                   "extension'")
def test_saving_api_errors(tmp_path):
    model = _get_basic_functional_model()

    # Saving API errors
    temp_filepath = os.path.join(tmp_path, "mymodel")
    with pytest.raises(ValueError, match="argument is deprecated"):
        saving_api.save_model(model, temp_filepath, save_format="keras")

    temp_filepath = os.path.join(tmp_path, "mymodel.notkeras")
    with pytest.raises(ValueError, match="Invalid filepath extension"):
        saving_api.save_model(model, temp_filepath)

    temp_filepath = os.path.join(tmp_path, "mymodel.keras")
    with pytest.raises(ValueError, match="are not supported"):
        saving_api.save_model(model, temp_filepath, invalid_arg="hello")

    # Loading API errors
    temp_filepath = os.path.join(tmp_path, "non_existent.keras")
    with pytest.raises(ValueError, match="Please ensure the file is an accessible"):
        _ = saving_api.load_model(temp_filepath)

    temp_filepath = os.path.join(tmp_path, "my_saved_model")
    with pytest.raises(ValueError, match="File format not supported"):
        _ = saving_api.load_model(temp_filepath)


# Keras: keras/src/saving/saving_lib_test.py::SavingAPITest::test_model_api_endpoint
def test_model_api_endpoint(tmp_path):
    temp_filepath = pathlib.Path(os.path.join(tmp_path, "mymodel.keras"))
    model = _get_basic_functional_model()
    ref_input = np.random.random((2, 4))
    ref_output = model.predict(ref_input)
    model.save(temp_filepath)
    model = keras.saving.load_model(temp_filepath)
    assert_all_close(model.predict(ref_input), ref_output, atol=1e-6)


# Keras: keras/src/saving/saving_lib_test.py::SavingAPITest::test_model_api_errors
# (the .notkeras case is left out: fastnn's own format, documented)
def test_model_api_errors(tmp_path):
    model = _get_basic_functional_model()

    # Saving API errors
    temp_filepath = os.path.join(tmp_path, "mymodel")
    with pytest.raises(ValueError, match="argument is deprecated"):
        model.save(temp_filepath, save_format="keras")

    temp_filepath = os.path.join(tmp_path, "mymodel.keras")
    with pytest.raises(ValueError, match="are not supported"):
        model.save(temp_filepath, invalid_arg="hello")


# Keras: keras/src/saving/saving_lib_test.py::SavingBattleTest::test_nested_functional_model_saving
def test_nested_functional_model_saving(tmp_path):
    def func(in_size=4, out_size=2, name=None):
        inputs = keras.layers.Input(shape=(in_size,))
        outputs = keras.layers.Dense(out_size)((inputs))
        return keras.Model(inputs, outputs=outputs, name=name)

    input_a, input_b = keras.Input((4,)), keras.Input((4,))
    out_a = func(out_size=2, name="func_a")(input_a)
    out_b = func(out_size=3, name="func_b")(input_b)
    model = keras.Model([input_a, input_b], outputs=[out_a, out_b])

    temp_filepath = os.path.join(tmp_path, "nested_func.keras")
    model.save(temp_filepath)
    new_model = keras.saving.load_model(temp_filepath)
    x = [np.random.random((2, 4))], np.random.random((2, 4))
    ref_out = model(x)
    out = new_model(x)
    assert_all_close(ref_out[0], out[0])
    assert_all_close(ref_out[1], out[1])


# Keras: keras/src/saving/saving_lib_test.py::SavingBattleTest::test_nested_shared_functional_model_saving
def test_nested_shared_functional_model_saving(tmp_path):
    def func(in_size=4, out_size=2, name=None):
        inputs = keras.layers.Input(shape=(in_size,))
        outputs = keras.layers.Dense(out_size)((inputs))
        return keras.Model(inputs, outputs=outputs, name=name)

    inputs = [keras.Input((4,)), keras.Input((4,))]
    func_shared = func(out_size=4, name="func_shared")
    shared_a = func_shared(inputs[0])
    shared_b = func_shared(inputs[1])
    out_a = keras.layers.Dense(2)(shared_a)
    out_b = keras.layers.Dense(2)(shared_b)
    model = keras.Model(inputs, outputs=[out_a, out_b])

    temp_filepath = os.path.join(tmp_path, "nested_shared_func.keras")
    model.save(temp_filepath)
    new_model = keras.saving.load_model(temp_filepath)
    x = [np.random.random((2, 4))], np.random.random((2, 4))
    ref_out = model(x)
    out = new_model(x)
    assert_all_close(ref_out[0], out[0])
    assert_all_close(ref_out[1], out[1])


# Keras: keras/src/saving/saving_lib_test.py::SavingTest::test_weights_sharding
# (EfficientNetB0, which fastnn does not have, -> four Dense layers of 1024 x 1024 (17 MB);
# saving_lib.save_weights_only / load_weights_only -> fastnn.saving's save_weights /
# load_weights; with 0.01 GB shards the kernels fill 2 shards, where EfficientNetB0's fill 3)
@pytest.mark.parametrize("max_shard_size, files", [(1, 2), (0.01, 3)])
def test_weights_sharding(tmp_path, max_shard_size, files):
    def model_fn():
        return Sequential([layers.Input((1024,))] + [layers.Dense(1024) for _ in range(4)])

    temp_filepath = pathlib.Path(os.path.join(tmp_path, "mymodel.weights.json"))
    model = model_fn()
    ref_input = np.random.random((1, 1024)).astype("float32")
    ref_output = model.predict(ref_input)

    # Save the sharded files.
    saving_api.save_weights(model, temp_filepath, max_shard_size=max_shard_size)
    assert "mymodel.weights.json" in os.listdir(temp_filepath.parent)
    assert len(os.listdir(temp_filepath.parent)) == files

    with open(temp_filepath, "r") as f:
        sharding_config = json.load(f)
    assert "metadata" in sharding_config
    assert "weight_map" in sharding_config

    # Instantiate new model and load the sharded files.
    model = model_fn()
    saving_api.load_weights(model, temp_filepath)
    assert_all_close(model.predict(ref_input), ref_output, atol=1e-6)
