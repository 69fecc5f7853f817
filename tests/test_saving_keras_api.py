"""Keras 3's saving API around the files (fastnn.saving): load_weights from a .keras
model file, a missing file (FileNotFound: both a ValueError, as Keras raises, and a
FileNotFoundError), objects_to_skip and load_weights' keyword checks."""
import os
import zipfile

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

import fastnn
from fastnn import layers as L, saving

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "keras")


def _model(dtype="float32", units=4):
    return fastnn.models.Sequential([L.Input((3,), dtype=dtype), L.Dense(units, dtype=dtype),
                                     L.Dense(2, activation="relu", dtype=dtype)])


def _trained_bias(model, seed=0):
    """Give the biases values other than their zero initialisation."""
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape).astype(w.dtype) for w in model.get_weights()])
    return model


# ------------------------------------------------------------------ .keras -> load_weights
def test_load_weights_from_a_keras_made_model_file():
    path = os.path.join(FIXTURES, "functional_rmsprop.keras")
    saved = fastnn.models.load_model(path, compile=False)
    fresh = fastnn.models.model_from_json(saved.to_json())
    assert not all(np.array_equal(a, b) for a, b in zip(fresh.get_weights(), saved.get_weights()))
    fresh.load_weights(path)
    for a, b in zip(fresh.get_weights(), saved.get_weights()):
        np.testing.assert_array_equal(a, b)
    x = np.load(path + ".x.npy")
    np.testing.assert_allclose(fresh.predict(x, verbose=0), np.load(path + ".pred.npy"),
                               rtol=0, atol=1e-6)


@pytest.mark.parametrize("src, dst", [("float32", "float64"), ("float64", "float32"),
                                      ("float64", "float64")])
def test_load_weights_from_keras_file_across_dtypes(tmp_path, src, dst):
    m = _trained_bias(_model(src))
    m.save(tmp_path / "m.keras")
    d = _model(dst)
    d.load_weights(tmp_path / "m.keras")
    for a, b in zip(m.get_weights(), d.get_weights()):
        assert b.dtype == np.dtype(dst)
        np.testing.assert_allclose(a.astype(dst), b, rtol=1e-6)


def test_load_weights_from_keras_file_of_another_architecture_changes_nothing(tmp_path):
    _model().save(tmp_path / "m.keras")
    d = _model(units=5)
    before = d.get_weights()
    with pytest.raises(ValueError, match=r"m.keras: model.weights.h5: .*shape"):
        d.load_weights(tmp_path / "m.keras")
    for a, b in zip(before, d.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_load_weights_from_a_fastnn_file_named_keras(tmp_path):
    m = _trained_bias(_model())
    m.save(tmp_path / "m.fastnn")
    os.replace(tmp_path / "m.fastnn", tmp_path / "old.keras")
    d = _model()
    d.load_weights(tmp_path / "old.keras")
    for a, b in zip(m.get_weights(), d.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_load_weights_from_a_keras_file_that_is_not_a_zip(tmp_path):
    (tmp_path / "x.keras").write_bytes(b"not a zip at all")
    with pytest.raises(ValueError, match="not a readable ZIP"):
        _model().load_weights(tmp_path / "x.keras")


# ------------------------------------------------------------------ missing files
@pytest.mark.parametrize("name, message", [
    ("m.keras", r"File not found: filepath=.*m\.keras\. Please ensure the file is an "
                r"accessible `\.keras` zip file"),
    ("m.fastnn", r"File not found: filepath=.*m\.fastnn\. \(File format not supported"),
    ("m.h5", r"File not found: filepath=.*m\.h5"),
])
def test_missing_model_file_is_both_value_and_file_not_found_error(tmp_path, name, message):
    with pytest.raises(saving.FileNotFound, match=message) as e:
        saving.load_model(tmp_path / name)
    assert isinstance(e.value, ValueError) and isinstance(e.value, FileNotFoundError)
    assert str(e.value).startswith("load_model: ")


@pytest.mark.parametrize("name", ["w.weights.h5", "w.keras", "w.bin", "w.h5"])
def test_missing_weights_file_is_both_value_and_file_not_found_error(tmp_path, name):
    m = _model()
    before = m.get_weights()
    with pytest.raises(ValueError, match="load_weights: File not found") as e:
        m.load_weights(tmp_path / name)
    assert isinstance(e.value, FileNotFoundError)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_directory_is_still_refused_as_one(tmp_path):
    with pytest.raises(IsADirectoryError):
        saving.load_model(tmp_path)


# ------------------------------------------------------------------ objects_to_skip
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_objects_to_skip_on_save_leaves_the_layer_out(tmp_path, dtype):
    m = _trained_bias(_model(dtype))
    path = tmp_path / "w.weights.h5"
    m.save_weights(path, objects_to_skip=[m.layers[1]])
    with h5py.File(path, "r") as f:
        assert "layers/dense" in f and "layers/dense_1" not in f
    d = _model(dtype)
    before = d.get_weights()
    # The file lacks the second layer: loading it needs that layer skipped too.
    with pytest.raises(ValueError, match="layers/dense_1/vars holds 0 arrays"):
        d.load_weights(path)
    d.load_weights(path, objects_to_skip=[d.layers[1]])
    got = d.get_weights()
    np.testing.assert_array_equal(got[0], m.get_weights()[0])
    np.testing.assert_array_equal(got[1], m.get_weights()[1])
    np.testing.assert_array_equal(got[2], before[2])
    np.testing.assert_array_equal(got[3], before[3])


def test_objects_to_skip_on_load_keeps_the_layer(tmp_path):
    m = _trained_bias(_model())
    path = tmp_path / "w.weights.h5"
    m.save_weights(path)
    d = _model()
    kept = [w.copy() for w in d.layers[0].get_weights()]
    d.load_weights(path, objects_to_skip=[d.layers[0]])
    for a, b in zip(kept, d.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(m.layers[1].get_weights(), d.layers[1].get_weights()):
        np.testing.assert_array_equal(a, b)
    # The model itself: nothing is read.
    e = _model()
    before = e.get_weights()
    e.load_weights(path, objects_to_skip=[e])
    for a, b in zip(before, e.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_objects_to_skip_of_another_model_is_refused(tmp_path):
    m = _model()
    path = tmp_path / "w.weights.h5"
    other = _model()
    with pytest.raises(ValueError, match="objects_to_skip holds 'dense.*which is not one of the "
                                         "layers of model"):
        m.save_weights(path, objects_to_skip=[other.layers[0]])
    m.save_weights(path)
    with pytest.raises(ValueError, match="not one of the layers"):
        m.load_weights(path, objects_to_skip=[other.layers[0]])
    with pytest.raises(TypeError, match="objects_to_skip must be a list"):
        m.load_weights(path, objects_to_skip=m.layers[0])


def test_objects_to_skip_only_for_keras_weights_files(tmp_path):
    m = _model()
    with pytest.raises(ValueError, match=r"objects_to_skip is supported for Keras 3 "
                                         r"'\.weights\.h5' files"):
        m.save_weights(tmp_path / "w.bin", objects_to_skip=[m.layers[0]])
    m.save_weights(tmp_path / "w.bin")
    with pytest.raises(ValueError, match=r"`objects_to_skip` only supports loading "
                                         r"'\.weights\.h5' files"):
        m.load_weights(tmp_path / "w.bin", objects_to_skip=[m.layers[0]])


# ------------------------------------------------------------------ keyword checks
def test_load_weights_keyword_checks(tmp_path):
    m = _model()
    m.save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match=r"Invalid keyword arguments: \{'bad': 1\}"):
        m.load_weights(tmp_path / "w.weights.h5", bad=1)
    with pytest.raises(ValueError, match="skip_mismatch=True is not supported"):
        m.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    with pytest.raises(ValueError, match=r"`by_name` only supports loading legacy '\.h5'"):
        m.load_weights(tmp_path / "w.weights.h5", by_name=False)
    legacy = os.path.join(FIXTURES, "legacy.h5")
    with pytest.raises(ValueError, match="by_name=True is not supported"):
        m.load_weights(legacy, by_name=True)
    with pytest.raises(ValueError, match=r"`objects_to_skip` only supports"):
        m.load_weights(legacy, objects_to_skip=[])
    # The keyword checks come before the file is looked at, as in Keras.
    with pytest.raises(ValueError, match="Invalid keyword arguments"):
        m.load_weights(tmp_path / "missing.weights.h5", bad=1)


# ------------------------------------------------------------------ unzipped model directories
def _unzipped(keras_file, directory):
    """The members of a .keras file as Keras' save_model(zipped=False) lays them out."""
    os.makedirs(os.path.join(directory, "assets"))
    with zipfile.ZipFile(keras_file) as zf:
        for name in ("config.json", "metadata.json", "model.weights.h5"):
            with open(os.path.join(directory, name), "wb") as f:
                f.write(zf.read(name))
    return directory


def test_keras_made_model_directory_loads(tmp_path):
    name = os.path.join(FIXTURES, "sequential_adam.keras")
    d = _unzipped(name, tmp_path / "m")
    model = saving.load_model(d)
    np.testing.assert_allclose(model.predict(np.load(name + ".x.npy"), verbose=0),
                               np.load(name + ".pred.npy"), rtol=0, atol=1e-6)
    assert type(model.optimizer).__name__ == "Adam" and model.optimizer.iterations == 12


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_model_directory_round_trip_resumes_training(tmp_path, dtype):
    m = _model(dtype)
    m.compile("adam", "mse")
    x = np.random.default_rng(1).normal(size=(8, 3)).astype(dtype)
    y = np.random.default_rng(2).normal(size=(8, 2)).astype(dtype)
    m.fit(x, y, epochs=2, verbose=0)
    m.save(tmp_path / "d", zipped=False)
    assert sorted(os.listdir(tmp_path / "d")) == ["assets", "config.json", "metadata.json",
                                                   "model.weights.h5"]
    assert os.listdir(tmp_path / "d" / "assets") == []
    r = saving.load_model(tmp_path / "d")
    assert r.optimizer.iterations == m.optimizer.iterations
    m.fit(x, y, epochs=1, verbose=0, shuffle=False)
    r.fit(x, y, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(m.get_weights(), r.get_weights()):
        assert b.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(a, b)
    # overwrite=False refuses a directory that holds a model
    with pytest.raises(FileExistsError, match="holds a model and overwrite=False"):
        m.save(tmp_path / "d", zipped=False, overwrite=False)
    (tmp_path / "f").write_bytes(b"x")
    with pytest.raises(FileExistsError, match="is not a directory"):
        m.save(tmp_path / "f", zipped=False)


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "extra.bin").write_bytes(b"x"), r"holds members \['extra.bin'\]"),
    (lambda d: (d / "assets" / "vocab.txt").write_text("a"), "assets directory is not empty"),
    (lambda d: os.remove(d / "model.weights.h5"), "no model.weights.h5 file"),
    (lambda d: (os.remove(d / "model.weights.h5"),
                os.symlink(d / "config.json", d / "model.weights.h5")),
     "'model.weights.h5' is not a regular file"),
    (lambda d: (d / "model.weights.h5").write_bytes(b"not hdf5"),
     "model.weights.h5 is not a readable HDF5 file"),
])
def test_damaged_model_directories_are_refused(tmp_path, damage, message):
    _model().save(tmp_path / "d", zipped=False)
    damage(tmp_path / "d")
    with pytest.raises(ValueError, match=message):
        saving.load_model(tmp_path / "d")


# ------------------------------------------------------------------ sharded weights
SHARDED = os.path.join(FIXTURES, "sharded")


def _sharded_architecture():
    return fastnn.models.Sequential([L.Input((3,)), L.Dense(5, activation="relu"),
                                     L.Dense(300, activation="tanh"), L.Dense(2)])


def test_keras_made_sharded_weights_load():
    m = _sharded_architecture()
    m.load_weights(os.path.join(SHARDED, "w.weights.json"))
    x = np.load(os.path.join(SHARDED, "x.npy"))
    np.testing.assert_allclose(m.predict(x, verbose=0), np.load(os.path.join(SHARDED, "pred.npy")),
                               rtol=0, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sharded_weights_round_trip_split_as_keras_splits(tmp_path, dtype):
    m = fastnn.models.Sequential([L.Input((3,), dtype=dtype), L.Dense(5, dtype=dtype),
                                  L.Dense(300, dtype=dtype), L.Dense(2, dtype=dtype)])
    m.compile("adam", "mse")
    m.fit(np.ones((4, 3), dtype), np.ones((4, 2), dtype), verbose=0)
    itemsize = np.dtype(dtype).itemsize
    path = tmp_path / "w.weights.json"
    m.save_weights(path, max_shard_size=1)      # one shard (1 GB)
    assert sorted(os.listdir(tmp_path)) == ["w.weights.json", "w_00000.weights.h5"]
    # shards of 1500 values: dense_1's kernel (5 x 300) fills one alone
    m.save_weights(path, max_shard_size=1500 * itemsize / 1024 ** 3)
    import json
    cfg = json.loads(path.read_text())
    assert cfg["weight_map"]["/layers/dense/vars"] == ["w_00000.weights.h5"]
    assert cfg["weight_map"]["/layers/dense_1/vars"] == ["w_00001.weights.h5", "w_00002.weights.h5"]
    d = fastnn.models.Sequential([L.Input((3,), dtype=dtype), L.Dense(5, dtype=dtype),
                                  L.Dense(300, dtype=dtype), L.Dense(2, dtype=dtype)])
    d.load_weights(path)
    for a, b in zip(m.get_weights(), d.get_weights()):
        np.testing.assert_array_equal(a, b)
    e = fastnn.models.Sequential([L.Input((3,), dtype=dtype), L.Dense(5, dtype=dtype),
                                  L.Dense(300, dtype=dtype), L.Dense(2, dtype=dtype)])
    kept = [w.copy() for w in e.layers[1].get_weights()]
    e.load_weights(path, objects_to_skip=[e.layers[1]])
    for a, b in zip(kept, e.layers[1].get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(e.layers[0].get_weights()[0], m.layers[0].get_weights()[0])


def test_sharded_weights_argument_checks(tmp_path):
    m = _model()
    with pytest.raises(ValueError, match="The filename must end in `.weights.json` when "
                                         "`max_shard_size` is specified"):
        m.save_weights(tmp_path / "w.bin", max_shard_size=1)
    with pytest.raises(TypeError, match="max_shard_size must be a number of gigabytes"):
        m.save_weights(tmp_path / "w.weights.json", max_shard_size="1GB")
    with pytest.raises(ValueError, match="max_shard_size must be a number of gigabytes > 0"):
        m.save_weights(tmp_path / "w.weights.json", max_shard_size=0)
    with pytest.raises(ValueError, match=r"layers/dense/vars/0 takes 48 bytes, more than "
                                         r"max_shard_size \(10 bytes\)"):
        m.save_weights(tmp_path / "w.weights.json", max_shard_size=10 / 1024 ** 3)
    with pytest.warns(UserWarning, match="renamed .*w.weights.json"):
        m.save_weights(tmp_path / "w.weights.h5", max_shard_size=1)
    assert os.path.exists(tmp_path / "w.weights.json")
    assert not os.path.exists(tmp_path / "w.weights.h5")


@pytest.mark.parametrize("edit, message", [
    (lambda p: p.write_text("[1, 2]"), "expected a JSON object with a 'weight_map'"),
    (lambda p: p.write_text('{"weight_map": {"/layers/dense/vars": ["../x.weights.h5"]}}'),
     "shards are .h5 files beside the map"),
    (lambda p: p.write_text('{"weight_map": {"/layers/dense/vars": ["nope.weights.h5"]}}'),
     "the shard 'nope.weights.h5' it names does not exist"),
    (lambda p: p.write_text('{"weight_map": {"/layers/dense/vars": 3}}'),
     "must name shard files"),
    (lambda p: p.write_bytes(b"\xff\xfe"), "not UTF-8"),
    (lambda p: p.write_text("{nope"), "not JSON"),
])
def test_hostile_sharded_maps_are_refused(tmp_path, edit, message):
    m = _model()
    path = tmp_path / "w.weights.json"
    m.save_weights(path, max_shard_size=1)
    edit(path)
    before = m.get_weights()
    with pytest.raises(ValueError, match=message):
        m.load_weights(path)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_sharded_map_missing_a_layer_is_refused(tmp_path):
    import json
    m = _model()
    path = tmp_path / "w.weights.json"
    m.save_weights(path, max_shard_size=1)
    cfg = json.loads(path.read_text())
    del cfg["weight_map"]["/layers/dense_1/vars"]
    path.write_text(json.dumps(cfg))
    with pytest.raises(ValueError, match="layers/dense_1/vars holds 0 arrays"):
        m.load_weights(path)


def test_fastnn_weights_named_weights_json_still_load(tmp_path):
    m = _trained_bias(_model())
    m.save_weights(tmp_path / "w.weights.json")        # no max_shard_size: fastnn's format
    d = _model()
    d.load_weights(tmp_path / "w.weights.json")
    for a, b in zip(m.get_weights(), d.get_weights()):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ models used as layers
def _nested(dtype="float32"):
    def block(out_size, name):
        inputs = fastnn.Input((4,), dtype=dtype)
        x = L.Dense(6, activation="relu", dtype=dtype)(inputs)
        return fastnn.Model(inputs, L.Dense(out_size, dtype=dtype)(x), name=name)
    a, b = fastnn.Input((4,), dtype=dtype), fastnn.Input((4,), dtype=dtype)
    out_a = L.Dense(1, dtype=dtype)(block(2, "block_a")(a))
    return fastnn.Model([a, b], [out_a, block(3, "block_b")(b)])


def _predict(model, x):
    return np.concatenate([np.asarray(t) for t in model.predict([x, x], verbose=0)], 1)


def test_keras_made_nested_functional_model_loads():
    name = os.path.join(FIXTURES, "nested_functional.keras")
    m = saving.load_model(name)
    x = np.load(name + ".x.npy")
    np.testing.assert_allclose(_predict(m, x), np.load(name + ".pred.npy"), rtol=0, atol=1e-6)
    assert [type(l).__name__ for l in m.layers if isinstance(l, fastnn.Model)] == \
        ["Functional", "Functional"]
    assert m.optimizer.iterations == 4
    fresh = _nested()
    fresh.load_weights(name)
    np.testing.assert_allclose(_predict(fresh, x), np.load(name + ".pred.npy"), rtol=0, atol=1e-6)


@pytest.mark.parametrize("ending", ["keras", "fastnn"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_nested_functional_round_trip_resumes_training(tmp_path, ending, dtype):
    m = _nested(dtype)
    m.compile("adam", ["mse", "mse"])
    x = np.random.default_rng(3).normal(size=(8, 4)).astype(dtype)
    y = [x[:, :1], x[:, :3]]
    m.fit([x, x], y, epochs=2, verbose=0)
    m.save(tmp_path / f"m.{ending}")
    r = saving.load_model(tmp_path / f"m.{ending}")
    np.testing.assert_array_equal(_predict(r, x), _predict(m, x))
    assert r.get_config() == m.get_config()
    m.fit([x, x], y, epochs=1, verbose=0, shuffle=False)
    r.fit([x, x], y, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(m.get_weights(), r.get_weights()):
        assert b.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(a, b)


def test_nested_functional_weights_file_layout_and_skipping(tmp_path):
    m = _trained_bias(_nested())
    path = tmp_path / "w.weights.h5"
    m.save_weights(path)
    with h5py.File(path, "r") as f:
        assert f["layers/functional/vars"].attrs["name"] == "block_a"
        assert f["layers/functional/layers/dense_1/vars/0"].shape == (6, 2)
        assert f["layers/functional_1/layers/dense/vars/0"].shape == (4, 6)
    d = _nested()
    inner = d.get_layer("block_a")
    kept = [w.copy() for w in inner.get_weights()]
    d.load_weights(path, objects_to_skip=[inner])       # the model and all its layers
    for a, b in zip(kept, inner.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(m.get_layer("block_b").get_weights(), d.get_layer("block_b").get_weights()):
        np.testing.assert_array_equal(a, b)


def test_nested_models_in_keras_files_refusals(tmp_path):
    s = fastnn.models.Sequential([L.Input((4,)), L.Dense(2)])
    inputs = fastnn.Input((4,))
    outer = fastnn.Model(inputs, s(inputs))
    for name in ("m.keras", "m.fastnn"):
        with pytest.raises(ValueError, match="uses the Sequential model 'sequential.*' as a "
                                             "layer, which model files do not hold"):
            outer.save(tmp_path / name)
    # nesting deeper than 16 is refused when read
    import json
    m = _nested()
    m.save(tmp_path / "n.keras")
    with zipfile.ZipFile(tmp_path / "n.keras") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    cfg = json.loads(members["config.json"])
    entry = cfg["config"]["layers"][1]
    assert entry["class_name"] == "Functional"
    deep = entry
    for _ in range(17):
        deep = {**entry, "config": {**entry["config"], "layers": [deep]}}
    cfg["config"]["layers"][1] = deep
    members["config.json"] = json.dumps(cfg).encode()
    with zipfile.ZipFile(tmp_path / "deep.keras", "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    with pytest.raises(ValueError, match="models nest more than 16 deep"):
        saving.load_model(tmp_path / "deep.keras")


def test_nested_layers_weights_are_counted_before_they_are_made(tmp_path):
    """A file whose nested model asks for more weights than the file holds is refused
    before the nested layer's weights exist (fastnn's own format and .keras)."""
    import json
    for ending in ("fastnn", "keras"):
        m = _nested()
        path = tmp_path / f"m.{ending}"
        m.save(path)
        with zipfile.ZipFile(path) as zf:
            members = {n: zf.read(n) for n in zf.namelist()}
        cfg = json.loads(members["config.json"])
        spec = cfg["model"] if ending == "fastnn" else cfg
        inner = [lc for lc in spec["config"]["layers"] if lc["class_name"] == "Functional"][0]
        dense = [lc for lc in inner["config"]["layers"] if lc["class_name"] == "Dense"][0]
        dense["config"]["units"] = 10 ** 9
        members["config.json"] = json.dumps(cfg).encode()
        with zipfile.ZipFile(path, "w") as zf:
            for n, data in members.items():
                zf.writestr(n, data)
        with pytest.raises(ValueError, match="weight values, the file holds"):
            saving.load_model(path)
