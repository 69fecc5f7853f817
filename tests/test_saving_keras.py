"""Keras files (fastnn.saving_keras): Keras 3's .keras and .weights.h5 both ways, legacy
Keras 2 .h5 read, and the refusal of hostile files.

The files under tests/fixtures/keras/ were written by Keras 3.15.1 (make_fixtures.py
beside them, with the predictions Keras made), so reading is checked without Keras
installed. The test that real Keras reads fastnn's files runs Keras in a subprocess:
with the interpreter named by the environment variable FASTNN_KERAS_PYTHON, or this
one when it can import keras; it is skipped otherwise.
"""
import io
import json
import os
import subprocess
import sys
import textwrap
import warnings
import zipfile

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

import fastnn
from fastnn import layers as L, optimizers, saving, saving_keras

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "keras")


def fixture(name):
    return os.path.join(FIXTURES, name)


def expected(name, what):
    return np.load(fixture(f"{name}.{what}.npy"))


# ------------------------------------------------------------------ Keras-made files
# (file, optimizer class, its step count: batches per epoch x epochs in make_fixtures.py)
KERAS_MODELS = [("sequential_adam.keras", "Adam", 4 * 3),
                ("functional_rmsprop.keras", "RMSprop", 3 * 2),
                ("sgd_momentum.keras", "SGD", 5 * 2),
                ("legacy.h5", "Adam", 4 * 2),
                ("loss_scale.keras", "LossScaleOptimizer", 5)]


@pytest.mark.parametrize("name, opt, steps", KERAS_MODELS)
def test_keras_made_models_predict_and_train_on_as_in_keras(name, opt, steps):
    model = fastnn.models.load_model(fixture(name))
    x = expected(name, "x")
    np.testing.assert_allclose(model.predict(x, verbose=0), expected(name, "pred"), rtol=0, atol=1e-6)
    assert type(model.optimizer).__name__ == opt
    assert model.optimizer.iterations == steps
    # One more step from the restored slots gives Keras' next weights.
    model.train_on_batch(x, expected(name, "y"))
    assert model.optimizer.iterations == steps + 1
    np.testing.assert_allclose(model.predict(x, verbose=0), expected(name, "step"), rtol=0, atol=1e-6)


def test_a_loss_scale_optimizer_keeps_its_scale_both_ways(tmp_path):
    """A Keras-made LossScaleOptimizer (growth every 2 finite steps, 5 steps taken)
    loads with its step counter and dynamic scale; fastnn writes them back in Keras'
    layout (its own four variables, then the inner optimizer's, which Keras also writes
    alone under optimizer/inner_optimizer) and reads them again."""
    h5py = pytest.importorskip("h5py")
    m = fastnn.models.load_model(fixture("loss_scale.keras"))
    opt = m.optimizer
    assert (opt.step_counter, float(opt.dynamic_scale), opt.dynamic_growth_steps) == \
        (1, 2.0 ** 17, 2)
    assert type(opt.inner_optimizer).__name__ == "Adam" and opt.iterations == 5
    path = str(tmp_path / "again.keras")
    m.save(path)
    with zipfile.ZipFile(path) as z, h5py.File(io.BytesIO(z.read("model.weights.h5"))) as f:
        assert len(f["optimizer/vars"]) == 4 + 2 + 2 * 4
        assert len(f["optimizer/inner_optimizer/vars"]) == 2 + 2 * 4
        assert float(f["optimizer/vars/3"][()]) == 2.0 ** 17
    again = fastnn.models.load_model(path)
    assert (again.optimizer.step_counter, float(again.optimizer.dynamic_scale)) == (1, 2.0 ** 17)
    x, y = expected("loss_scale.keras", "x"), expected("loss_scale.keras", "y")
    for model in (m, again):
        model.train_on_batch(x, y)       # the second finite step: the scale doubles
        assert (model.optimizer.step_counter, float(model.optimizer.dynamic_scale)) == \
            (0, 2.0 ** 18)
    assert all(np.array_equal(a, b) for a, b in zip(m.get_weights(), again.get_weights()))


def test_keras_made_models_keep_their_settings():
    m = fastnn.models.load_model(fixture("sgd_momentum.keras"))
    assert (m.optimizer.momentum, m.optimizer.nesterov) == (0.9, True)
    assert m.optimizer.learning_rate == pytest.approx(0.05)
    assert m.metrics_names[0] == "loss"
    f = fastnn.models.load_model(fixture("functional_rmsprop.keras"))
    assert isinstance(f, fastnn.models.Functional)
    assert (f.optimizer.momentum, f.optimizer.centered) == (0.5, True)
    assert [l.name for l in f.layers][:3] == ["features", "a", "b"]
    s = fastnn.models.load_model(fixture("sequential_adam.keras"), compile=False)
    assert not s.compiled
    assert [type(l).__name__ for l in s.layers] == ["Normalization", "Dense", "BatchNormalization",
                                                   "Activation", "Dense"]


def _weights_architecture():
    return fastnn.models.Sequential([L.Input((6,)), L.Normalization(), L.Dense(8, activation="relu"),
                                     L.BatchNormalization(), L.Activation("tanh"), L.Dense(3)])


def test_keras_weights_file_loads_into_the_same_architecture():
    name = "sequential.weights.h5"
    m = _weights_architecture()
    m.load_weights(fixture(name))
    np.testing.assert_allclose(m.predict(expected(name, "x"), verbose=0), expected(name, "pred"),
                               rtol=0, atol=1e-6)


def test_weights_file_of_another_architecture_is_refused_and_changes_nothing():
    m = fastnn.models.Sequential([L.Input((6,)), L.Normalization(), L.Dense(9, activation="relu"),
                                  L.BatchNormalization(), L.Activation("tanh"), L.Dense(3)])
    before = [w.copy() for w in m.get_weights()]
    with pytest.raises(ValueError, match=r"layers/dense/vars/0 has shape \(6, 8\), the weight "
                                         r"it is read into has \(6, 9\)"):
        m.load_weights(fixture("sequential.weights.h5"))
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_legacy_h5_weights_load_with_load_weights():
    name = "legacy.h5"
    m = fastnn.models.Sequential([L.Input((5,)), L.Dense(7, activation="relu"),
                                  L.BatchNormalization(), L.Dense(3)])
    m.load_weights(fixture(name))
    np.testing.assert_allclose(m.predict(expected(name, "x"), verbose=0), expected(name, "pred"),
                               rtol=0, atol=1e-6)


def _keras2_file(path):
    """A file laid out as tf.keras 2 wrote model.save("x.h5"): a functional model in Keras
    2's config format (batch_input_shape, node lists), weights named "kernel:0", a Keras 2
    optimizer config and its optimizer_weights (which Keras 3's layout does not match)."""
    rng = np.random.default_rng(5)
    w = {n: rng.normal(size=s).astype("float32") for n, s in
         [("dense/kernel:0", (4, 3)), ("dense/bias:0", (3,)),
          ("dense_1/kernel:0", (4, 3)), ("dense_1/bias:0", (3,))]}
    dense = {"units": 3, "activation": "linear", "use_bias": True, "trainable": True,
             "dtype": "float32", "kernel_initializer": {"class_name": "GlorotUniform",
                                                        "config": {"seed": None}},
             "bias_initializer": {"class_name": "Zeros", "config": {}},
             "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
             "kernel_constraint": None, "bias_constraint": None}
    config = {"class_name": "Functional", "config": {"name": "model", "layers": [
        {"class_name": "InputLayer", "name": "input_1", "inbound_nodes": [],
         "config": {"batch_input_shape": [None, 4], "dtype": "float32", "sparse": False,
                    "ragged": False, "name": "input_1"}},
        {"class_name": "Dense", "name": "dense", "config": dict(dense, name="dense"),
         "inbound_nodes": [[["input_1", 0, 0, {}]]]},
        {"class_name": "Dense", "name": "dense_1", "config": dict(dense, name="dense_1"),
         "inbound_nodes": [[["input_1", 0, 0, {}]]]},
        {"class_name": "Add", "name": "add", "config": {"name": "add", "trainable": True,
                                                        "dtype": "float32"},
         "inbound_nodes": [[["dense", 0, 0, {}], ["dense_1", 0, 0, {}]]]}],
        "input_layers": [["input_1", 0, 0]], "output_layers": [["add", 0, 0]]}}
    training = {"loss": "mse", "metrics": [[{"class_name": "MeanMetricWrapper",
                                             "config": {"name": "mae", "dtype": "float32",
                                                        "fn": "mean_absolute_error"}}]],
                "weighted_metrics": None, "loss_weights": None,
                "optimizer_config": {"class_name": "Adam", "config": {
                    "name": "Adam", "weight_decay": None, "clipnorm": None,
                    "global_clipnorm": None, "clipvalue": None, "use_ema": False,
                    "ema_momentum": 0.99, "ema_overwrite_frequency": None, "jit_compile": True,
                    "is_legacy_optimizer": False, "learning_rate": 0.0005, "beta_1": 0.9,
                    "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}}}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = "2.13.1"
        f.attrs["backend"] = "tensorflow"
        f.attrs["model_config"] = json.dumps(config)
        f.attrs["training_config"] = json.dumps(training)
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([b"input_1", b"dense", b"dense_1", b"add"])
        for layer in ("input_1", "dense", "dense_1", "add"):
            names = [n for n in w if n.startswith(layer + "/")]
            lg = g.create_group(layer)
            lg.attrs["weight_names"] = np.array([n.encode() for n in names], dtype="S")
            for n in names:
                lg.create_dataset(n, data=w[n])
        o = f.create_group("optimizer_weights")
        o.attrs["weight_names"] = np.array([b"Adam/iter:0", b"Adam/m/dense/kernel:0"])
        o.create_dataset("Adam/iter:0", data=np.int64(7))
        o.create_dataset("Adam/m/dense/kernel:0", data=np.zeros((4, 3), "f4"))
    return w


def test_keras2_legacy_h5_model_loads(tmp_path):
    path = tmp_path / "k2.h5"
    w = _keras2_file(path)
    with pytest.warns(UserWarning, match="skipping the optimizer state: it is not laid out as "
                                         "Keras 3 writes it"):
        m = fastnn.models.load_model(path)
    x = np.random.default_rng(1).normal(size=(5, 4)).astype("float32")
    want = x @ w["dense/kernel:0"] + w["dense/bias:0"] + x @ w["dense_1/kernel:0"] + w["dense_1/bias:0"]
    np.testing.assert_allclose(m.predict(x, verbose=0), want, rtol=1e-6, atol=1e-6)
    assert type(m.optimizer).__name__ == "Adam" and m.optimizer.learning_rate == 0.0005
    assert m.optimizer.iterations == 0
    m.fit(x, want, epochs=1, verbose=0)          # compiled: trains on
    fresh = fastnn.models.load_model(path, compile=False)
    assert not fresh.compiled
    fresh.load_weights(path)                       # load_weights reads the same file


def test_keras2_optimizer_argument_in_use_is_refused(tmp_path):
    path = tmp_path / "k2.h5"
    _keras2_file(path)
    with h5py.File(path, "a") as f:
        tc = json.loads(f.attrs["training_config"])
        tc["optimizer_config"]["config"]["decay"] = 0.01
        f.attrs["training_config"] = json.dumps(tc)
    with pytest.raises(ValueError, match=r"Adam with decay=0.01: fastnn has no such feature"):
        fastnn.models.load_model(path)


# ------------------------------------------------------------------ fastnn round trips
def _data(n=40, d=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)).astype("float32"), rng.integers(0, classes, n)


def _sequential():
    return fastnn.models.Sequential([L.Input((6,)), L.Normalization(), L.Dense(5, activation="relu"),
                                     L.BatchNormalization(), L.Dropout(0.25), L.Activation("elu"),
                                     L.Dense(3)])


OPTIMIZERS = [
    lambda: optimizers.SGD(0.05), lambda: optimizers.SGD(0.05, momentum=0.8),
    lambda: optimizers.SGD(0.05, momentum=0.8, nesterov=True),
    lambda: optimizers.Adam(0.01), lambda: optimizers.Adam(0.01, amsgrad=True),
    lambda: optimizers.AdamW(0.01, weight_decay=0.01, amsgrad=True),
    lambda: optimizers.RMSprop(0.01), lambda: optimizers.RMSprop(0.01, momentum=0.5, centered=True),
    lambda: optimizers.Adagrad(0.05), lambda: optimizers.Adadelta(1.0), lambda: optimizers.Adamax(0.01),
    lambda: optimizers.Nadam(0.01), lambda: optimizers.Lion(0.001),
    lambda: optimizers.Adam(optimizers.schedules.ExponentialDecay(0.01, 3, 0.5)),
]


@pytest.mark.parametrize("make_opt", OPTIMIZERS)
def test_keras_file_round_trip_resumes_training_exactly(tmp_path, make_opt):
    x, y = _data()
    m = _sequential()
    m.layers[0].adapt(x)
    m.compile(optimizer=make_opt(), loss=fastnn.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    m.fit(x, y, epochs=2, batch_size=16, verbose=0)
    path = tmp_path / "m.keras"
    m.save(path)
    r = fastnn.models.load_model(path)
    assert r.optimizer.get_config() == m.optimizer.get_config()
    for a, b in zip(r.optimizer.get_state(), m.optimizer.get_state()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(r.get_weights(), m.get_weights()):
        np.testing.assert_array_equal(a, b)
    for model in (m, r):          # the same dropout masks for both
        fastnn.utils.set_random_seed(3)
        model.train_on_batch(x[:16], y[:16])
    for a, b in zip(r.get_weights(), m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_keras_file_layout_is_keras_own(tmp_path):
    """config.json and model.weights.h5 as Keras' saving_lib writes them."""
    x, y = _data()
    m = _sequential()
    m.layers[0].adapt(x)
    m.compile(optimizer=optimizers.Adam(amsgrad=True), loss="sparse_categorical_crossentropy")
    m.fit(x, y, epochs=1, batch_size=20, verbose=0)
    path = tmp_path / "m.keras"
    m.save(path)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["config.json", "metadata.json", "model.weights.h5"]
        config = json.loads(zf.read("config.json"))
        meta = json.loads(zf.read("metadata.json"))
        h5 = h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r")
    assert meta["keras_version"] == saving_keras.KERAS_VERSION and "date_saved" in meta
    assert (config["module"], config["class_name"]) == ("keras", "Sequential")
    dense = config["config"]["layers"][2]
    assert dense["module"] == "keras.layers" and dense["registered_name"] is None
    assert dense["config"]["dtype"]["class_name"] == "DTypePolicy"
    assert dense["config"]["kernel_initializer"]["module"] == "keras.initializers"
    assert config["compile_config"]["optimizer"]["class_name"] == "Adam"
    groups = sorted(k for k in h5["layers"])
    assert groups == ["activation", "batch_normalization", "dense", "dense_1", "dropout",
                      "normalization"]
    assert [h5[f"layers/batch_normalization/vars/{i}"].shape for i in range(4)] == [(5,)] * 4
    assert h5["layers/dense/vars"].attrs["name"] == m.layers[1].name
    bn = m.layers[2]
    np.testing.assert_array_equal(h5["layers/batch_normalization/vars/2"][()], bn.moving_mean)
    # optimizer: iteration, learning rate, then m, v interleaved per variable, velocity_hat
    opt = h5["optimizer/vars"]
    n = len(m.trainable_weights)
    assert len(opt) == 2 + 3 * n
    assert opt["0"][()] == 2 and opt["1"][()] == np.float32(0.001)
    slots = m.optimizer.slots_for(m.trainable_weights)
    np.testing.assert_array_equal(opt["2"][()], slots[0]["m"])
    np.testing.assert_array_equal(opt["3"][()], slots[0]["v"])
    np.testing.assert_array_equal(opt["4"][()], slots[1]["m"])
    np.testing.assert_array_equal(opt[str(2 + 2 * n)][()], slots[0]["velocity_hat"])
    h5.close()


def test_functional_round_trip_and_weights_file(tmp_path):
    x, y = _data(d=5)
    inp = L.Input((5,), name="inp")
    a = L.Dense(4, activation="relu")(inp)
    b = L.Dense(4)(inp)
    h = L.Add()([a, b])
    out = L.Dense(3)(L.Concatenate()([h, a]))
    m = fastnn.models.Model(inp, out)
    m.compile(optimizer="rmsprop", loss=fastnn.losses.SparseCategoricalCrossentropy(from_logits=True))
    m.fit(x, y, epochs=1, verbose=0)
    m.save(tmp_path / "f.keras")
    r = fastnn.models.load_model(tmp_path / "f.keras")
    np.testing.assert_array_equal(r.predict(x, verbose=0), m.predict(x, verbose=0))
    m.save_weights(tmp_path / "f.weights.h5")
    with h5py.File(tmp_path / "f.weights.h5", "r") as f:
        assert sorted(f["layers"]) == ["add", "concatenate", "dense", "dense_1", "dense_2",
                                       "input_layer"]
    fresh = fastnn.models.Model.from_config(m.get_config())
    fresh.load_weights(tmp_path / "f.weights.h5")
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), m.predict(x, verbose=0))


def test_other_suffixes_keep_fastnn_format(tmp_path):
    x, y = _data()
    m = _sequential()
    m.build((None, 6))
    m.save(tmp_path / "m.fastnn")
    with zipfile.ZipFile(tmp_path / "m.fastnn") as zf:
        assert json.loads(zf.read("config.json"))["format"] == saving.MODEL_FORMAT
    m.save_weights(tmp_path / "w.bin")
    with zipfile.ZipFile(tmp_path / "w.bin") as zf:
        assert json.loads(zf.read("config.json"))["format"] == saving.WEIGHTS_FORMAT


def test_fastnn_files_named_keras_by_older_versions_still_load(tmp_path):
    x, _ = _data()
    m = _sequential()
    m.build((None, 6))
    m.save(tmp_path / "m.fastnn")
    os.replace(tmp_path / "m.fastnn", tmp_path / "old.keras")
    r = fastnn.models.load_model(tmp_path / "old.keras")
    np.testing.assert_array_equal(r.predict(x, verbose=0), m.predict(x, verbose=0))


@pytest.mark.parametrize("name", ["m.h5", "m.HDF5"])
def test_legacy_hdf5_is_not_written(tmp_path, name):
    m = _sequential()
    m.build((None, 6))
    with pytest.raises(ValueError, match="does not write Keras' legacy HDF5 format"):
        m.save(tmp_path / name)
    with pytest.raises(ValueError, match="does not write Keras' legacy HDF5 format"):
        m.save_weights(tmp_path / name)
    assert not os.path.exists(tmp_path / name)


def _double(t):
    return t * 2


class _Sub(fastnn.models.Model):
    def __init__(self):
        super().__init__()
        self.dense = L.Dense(2)

    def call(self, x):
        return self.dense(x)


def test_subclassed_models_weights_use_fastnn_format(tmp_path):
    """Keras programs save a subclassed model's weights as .weights.h5 and load them back:
    fastnn writes its own format under that name (with a warning: Keras cannot read it)
    and reads it back; a Keras HDF5 file is refused for a subclassed model by name."""
    m = _Sub()
    m(np.zeros((1, 3), "float32"))
    before = [w.copy() for w in m.get_weights()]
    with pytest.warns(UserWarning, match="subclassed model _Sub go in fastnn's own format"):
        m.save_weights(tmp_path / "s.weights.h5")
    for w in m.weights:
        w[...] = 0
    m.load_weights(tmp_path / "s.weights.h5")
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)
    seq = fastnn.models.Sequential([L.Input((3,)), L.Dense(2)])
    seq.save_weights(tmp_path / "k.weights.h5")                 # Keras' HDF5 layout
    with pytest.raises(TypeError, match="Sequential and functional models only, got the "
                                        "subclassed model _Sub"):
        m.load_weights(tmp_path / "k.weights.h5")
    m.save_weights(tmp_path / "s.weights.fastnn")      # fastnn's format takes any model
    m.load_weights(tmp_path / "s.weights.fastnn")


def test_lambda_layers_are_not_written_to_keras_files(tmp_path):
    m = fastnn.models.Sequential([L.Input((3,)), L.Lambda(_double), L.Dense(2)])
    with pytest.raises(ValueError, match="a Lambda layer holds Python code"):
        m.save(tmp_path / "l.keras")


def test_missing_h5py_is_named(tmp_path, monkeypatch):
    m = _sequential()
    m.build((None, 6))
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(ImportError, match="needs the package h5py"):
        m.save(tmp_path / "m.keras")


# ------------------------------------------------------------------ Keras-only arguments
def _rewrite_keras(src, dst, edit_config=None, edit_h5=None, extra=None):
    """Copy the .keras file src to dst with config.json and/or model.weights.h5 edited."""
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    if edit_config:
        cfg = json.loads(members["config.json"])
        edit_config(cfg)
        members["config.json"] = json.dumps(cfg).encode()
    if edit_h5:
        buf = io.BytesIO(members["model.weights.h5"])
        with h5py.File(buf, "a") as f:
            edit_h5(f)
        members["model.weights.h5"] = buf.getvalue()
    members.update(extra or {})
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    return dst


def _layer_cfg(cfg, i):
    return cfg["config"]["layers"][i]["config"]


SEQ = "sequential_adam.keras"       # layers: InputLayer, Normalization, Dense, BN, Activation, Dense


@pytest.mark.parametrize("edit, message", [
    (lambda c: _layer_cfg(c, 3).__setitem__("synchronized", True),
     r"BatchNormalization: synchronized is not supported by fastnn, got True"),
    (lambda c: _layer_cfg(c, 2).__setitem__("quantization_config", {"mode": "int8"}),
     r"Dense with quantization_config=\{'mode': 'int8'\}"),
    (lambda c: _layer_cfg(c, 2).__setitem__("lora_rank", 4), r"Dense with lora_rank=4"),
    (lambda c: _layer_cfg(c, 0).__setitem__("ragged", True), r"InputLayer with ragged=True"),
    (lambda c: _layer_cfg(c, 2)["kernel_initializer"]["config"].__setitem__("input_axes", [0]),
     r"GlorotUniform with input_axes=\[0\]"),
    (lambda c: _layer_cfg(c, 2)["dtype"]["config"].__setitem__("name", "mixed_float16"),
     r"the policy 'mixed_float16' is not supported by fastnn: fastnn has no float16 kernels"),
    (lambda c: _layer_cfg(c, 2).__setitem__("kernel_constraint",
                                            {"module": "keras.constraints", "class_name": "NonNeg",
                                             "config": {}, "registered_name": None}), None),
])
def test_keras_only_arguments_are_read_only_at_their_defaults(tmp_path, edit, message):
    path = _rewrite_keras(fixture(SEQ), tmp_path / "m.keras", edit_config=edit)
    if message is None:      # a feature fastnn has: read
        m = fastnn.models.load_model(path)
        assert type(m.layers[1].kernel_constraint).__name__ == "NonNeg"
        return
    with pytest.raises(ValueError, match=message):
        fastnn.models.load_model(path)


def test_preprocessing_layer_configs_as_keras_writes_them():
    """IntegerLookup's config as Keras 3.15 writes it (with the derived vocabulary_size);
    Discretization written without the trainable flag its Keras class does not take."""
    conv = saving_keras._Converter()
    keras_cfg = {"module": "keras.layers", "class_name": "IntegerLookup", "registered_name": None,
                 "config": {"name": "integer_lookup", "trainable": True,
                            "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                      "config": {"name": "float32"}, "registered_name": None},
                            "invert": False, "max_tokens": None, "num_oov_indices": 1,
                            "oov_token": -1, "mask_token": None, "output_mode": "int",
                            "sparse": False, "pad_to_max_tokens": False,
                            "vocabulary_dtype": "int64", "idf_weights": None,
                            "vocabulary": [1, 2, 3], "vocabulary_size": 4,
                            "oov_method": "floormod", "salt": None}}
    layer = L.deserialize(conv.obj("layer", keras_cfg, "layer"))
    assert layer.get_vocabulary() == [-1, 1, 2, 3]
    m = fastnn.models.Sequential([L.Input((3,)), L.Discretization(bin_boundaries=[0.0, 1.0])])
    cfg = saving_keras._model_to_keras(m)["config"]["layers"][1]["config"]
    assert "trainable" not in cfg and cfg["bin_boundaries"] == [0.0, 1.0]


# ------------------------------------------------------------------ hostile files
@pytest.mark.parametrize("edit, message", [
    (lambda c: c["config"]["layers"][2].__setitem__("module", "os"), r"module 'os' is not Keras'"),
    (lambda c: c["config"]["layers"][2].__setitem__("class_name", "Evil"),
     r"'Evil' is not a layer fastnn has"),
    (lambda c: c["config"]["layers"][2].__setitem__("registered_name", "my_package>Dense"),
     r"registered_name 'my_package>Dense' names a custom object"),
    (lambda c: c["config"]["layers"].insert(2, {
        "module": "keras.layers", "class_name": "Lambda", "registered_name": None,
        "config": {"name": "l", "function": {"class_name": "__lambda__",
                                              "config": {"code": "4wEAAAAAAAAA"}}}}),
     r"__lambda__ object \(Python bytecode\)"),
    (lambda c: c["config"]["layers"].insert(2, {
        "module": "keras.layers", "class_name": "Lambda", "registered_name": None,
        "config": {"name": "l", "function": "abs"}}), r"Lambda object, which holds Python code"),
    (lambda c: c["compile_config"]["loss"].__setitem__("module", "builtins"),
     r"module 'builtins' is not Keras'"),
    (lambda c: c["compile_config"]["optimizer"].__setitem__("class_name", "Evil"),
     r"'Evil' is not a optimizer fastnn has"),
    (lambda c: c.__setitem__("class_name", "MyModel"), r"must be a Keras Sequential or Functional"),
    (lambda c: _layer_cfg(c, 2).__setitem__("exec", "print(1)"),
     r"layers\[2\].*unexpected keyword argument.*exec"),
    (lambda c: _layer_cfg(c, 2).__setitem__("units", 10 ** 9),
     r"the layers so far need .* weight values, the file holds"),
    (lambda c: _layer_cfg(c, 0).__setitem__("batch_shape", [None, 10 ** 14]),
     r"100000000000000 values per sample"),
])
def test_hostile_configs_are_refused(tmp_path, edit, message):
    path = _rewrite_keras(fixture(SEQ), tmp_path / "m.keras", edit_config=edit)
    with pytest.raises(ValueError, match=message):
        fastnn.models.load_model(path)


@pytest.mark.parametrize("text, message", [
    ('{"class_name": "Sequential", "config": {"layers": [], "x": NaN}}', r"is NaN"),
    ("[" * 100 + "]" * 100, r"nests deeper than 64"),
    ("[" * 5000 + "]" * 5000, r"config.json is not valid JSON \(RecursionError"),
    ('{"a": 1e400}', r"overflows a float"),
    ("\xff\xfe", r"not UTF-8 JSON"),
])
def test_bad_json_is_refused(tmp_path, text, message):
    path = tmp_path / "m.keras"
    with zipfile.ZipFile(fixture(SEQ)) as src, zipfile.ZipFile(path, "w") as dst:
        for n in src.namelist():
            data = src.read(n)
            dst.writestr(n, text.encode("latin-1") if n == "config.json" else data)
    with pytest.raises(ValueError, match=message):
        fastnn.models.load_model(path)


def _soft_link(f):
    del f["layers/dense/vars/0"]
    f["layers/dense/vars/0"] = h5py.SoftLink("/layers/dense_1/vars/0")


def _external_link(f):
    del f["layers/dense/vars/0"]
    f["layers/dense/vars/0"] = h5py.ExternalLink("/etc/passwd", "/x")


def _external_dataset(f):
    del f["layers/dense/vars/0"]
    f.create_dataset("layers/dense/vars/0", shape=(6, 8), dtype="f4", external=[("/dev/zero", 0, 192)])


def _virtual_dataset(f):
    del f["layers/dense/vars/0"]
    layout = h5py.VirtualLayout(shape=(6, 8), dtype="f4")
    layout[:] = h5py.VirtualSource("other.h5", "data", shape=(6, 8))
    f["layers/dense/vars"].create_virtual_dataset("0", layout)


def _compressed(f):
    data = f["layers/dense/vars/0"][()]
    del f["layers/dense/vars/0"]
    f.create_dataset("layers/dense/vars/0", data=data, compression="gzip")


def _unallocated(f):          # a declared shape with no data behind it
    del f["layers/dense/vars/0"]
    f.create_dataset("layers/dense/vars/0", shape=(6, 8), dtype="f4")


def _shape_bomb(f):
    del f["layers/dense/vars/0"]
    f.create_dataset("layers/dense/vars/0", shape=(10 ** 6, 10 ** 6), dtype="f8")


def _strings(f):
    del f["layers/dense/vars/1"]
    f.create_dataset("layers/dense/vars/1", data=np.array([b"x"] * 8))


def _nan(f):
    f["layers/dense/vars/1"][0] = np.nan


def _extra_var(f):
    f.create_dataset("layers/dense/vars/2", data=np.zeros(3, "f4"))


def _cycle(f):
    f["layers/dense/loop"] = f["layers"]


def _committed_type(f):
    f["layers/dense/t"] = np.dtype("f4")


def _int_kernel(f):
    del f["layers/dense/vars/0"]
    f.create_dataset("layers/dense/vars/0", data=np.zeros((6, 8), "i4"))


def _bad_iteration(f):
    del f["optimizer/vars/0"]
    f.create_dataset("optimizer/vars/0", data=np.int64(-3))


def _negative_velocity(f):
    v = f["optimizer/vars/3"]        # Adam: m, v of the first trainable weight
    v[...] = -np.abs(v[()]) - 1


@pytest.mark.parametrize("edit, message", [
    (_soft_link, r"/layers/dense/vars/0 is a SoftLink; only hard links are read"),
    (_external_link, r"is a ExternalLink; only hard links are read"),
    (_external_dataset, r"stored in external files; refused"),
    (_virtual_dataset, r"virtual dataset"),
    (_compressed, r"filtered \(compressed\)"),
    (_unallocated, r"declares 192 bytes and stores 0"),
    (_shape_bomb, r"has shape \(1000000, 1000000\), the weight it is read into has \(6, 8\)"),
    (_strings, r"only numbers are read"),
    (_extra_var, r"layers/dense/vars holds 3 arrays, layer 'dense' \(Dense\) has 2 weights"),
    (_cycle, r"links back to a group met before"),
    (_committed_type, r"is a Datatype; only groups and datasets are read"),
    (_int_kernel, r"has type int32, the weight it is read into is float32"),
    (_bad_iteration, r"step count.* must be in \[0, 2\*\*53\)"),
    (_negative_velocity, r"is a sum of squares, so it cannot be negative"),
])
def test_hostile_weights_are_refused(tmp_path, edit, message):
    path = _rewrite_keras(fixture(SEQ), tmp_path / "m.keras", edit_h5=edit)
    with pytest.raises(ValueError, match=message):
        fastnn.models.load_model(path)


def test_diverged_weights_load_with_a_warning(tmp_path):
    """NaN in a weight (a model saved after it diverged) loads as Keras loads it."""
    path = _rewrite_keras(fixture(SEQ), tmp_path / "m.keras", edit_h5=_nan)
    with pytest.warns(RuntimeWarning, match="hold NaN or Inf"):
        m = fastnn.models.load_model(path)
    bias = [l for l in m.layers if l.name == "dense"][0].get_weights()[1]
    assert np.isnan(bias[0]) and np.isfinite(bias[1:]).all()


def test_optimizer_state_of_another_size_is_skipped_with_a_warning(tmp_path):
    """As Keras: the model loads, the optimizer starts afresh."""
    def drop_last(f):
        del f[f"optimizer/vars/{len(f['optimizer/vars']) - 1}"]
    path = _rewrite_keras(fixture(SEQ), tmp_path / "m.keras", edit_h5=drop_last)
    with pytest.warns(UserWarning, match="skipping the optimizer state: the file holds 13 "
                                         "optimizer variables, Adam keeps 14"):
        m = fastnn.models.load_model(path)
    assert m.optimizer.iterations == 0 and not m.optimizer.built
    np.testing.assert_allclose(m.predict(expected(SEQ, "x"), verbose=0), expected(SEQ, "pred"),
                               rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", [SEQ, "legacy.h5", "sequential.weights.h5"])
def test_damaged_hdf5_bytes_give_value_errors(tmp_path, name):
    """Bytes flipped anywhere in the HDF5 data: the load succeeds (values changed) or
    raises ValueError naming the file, never another exception from h5py."""
    rng = np.random.default_rng(7)
    if name.endswith(".keras"):
        with zipfile.ZipFile(fixture(name)) as zf:
            members = {n: zf.read(n) for n in zf.namelist()}
        data = members["model.weights.h5"]
    else:
        data = open(fixture(name), "rb").read()
    path = tmp_path / name
    for trial in range(40):
        b = bytearray(data)
        for i in rng.integers(0, len(b), size=int(rng.integers(1, 9))):
            b[i] = int(rng.integers(0, 256))
        if name.endswith(".keras"):
            with zipfile.ZipFile(path, "w") as zf:
                for n, d in dict(members, **{"model.weights.h5": bytes(b)}).items():
                    zf.writestr(n, d)
        else:
            path.write_bytes(bytes(b))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                if name.endswith("weights.h5"):
                    _weights_architecture().load_weights(path)
                else:
                    fastnn.models.load_model(path)
            except ValueError as e:
                assert str(path) in str(e)


def test_hostile_weights_file_leaves_the_model_untouched(tmp_path):
    src = tmp_path / "w.weights.h5"
    with open(fixture("sequential.weights.h5"), "rb") as f:
        src.write_bytes(f.read())
    with h5py.File(src, "a") as f:
        del f["layers/dense_1/vars/1"]
        f.create_dataset("layers/dense_1/vars/1", data=np.zeros(7, "f4"))
    m = _weights_architecture()
    before = [w.copy() for w in m.get_weights()]
    with pytest.raises(ValueError, match="shape"):
        m.load_weights(src)
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_zip_bomb_and_foreign_members_are_refused(tmp_path):
    bomb = tmp_path / "bomb.keras"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", "{}")
        zf.writestr("model.weights.h5", b"\0" * (40 << 20))
    with pytest.raises(ValueError, match="more than 100 times the file's"):
        fastnn.models.load_model(bomb)
    assets = _rewrite_keras(fixture(SEQ), tmp_path / "a.keras", extra={"assets/vocab.txt": b"a"})
    with pytest.raises(ValueError, match=r"holds members \['assets/vocab.txt'\]"):
        fastnn.models.load_model(assets)
    with zipfile.ZipFile(tmp_path / "e.keras", "w", zipfile.ZIP_BZIP2) as zf:
        zf.writestr("config.json", "{}")
    with pytest.raises(ValueError, match="compression method 12"):
        fastnn.models.load_model(tmp_path / "e.keras")
    (tmp_path / "t.keras").write_bytes(open(fixture(SEQ), "rb").read()[:1000])
    with pytest.raises(ValueError, match="not a readable ZIP archive"):
        fastnn.models.load_model(tmp_path / "t.keras")


def test_hostile_legacy_h5_is_refused(tmp_path):
    path = tmp_path / "m.h5"
    path.write_bytes(open(fixture("legacy.h5"), "rb").read())
    with h5py.File(path, "a") as f:
        del f.attrs["model_config"]
    with pytest.raises(ValueError, match="has no model_config attribute"):
        fastnn.models.load_model(path)
    path.write_bytes(open(fixture("legacy.h5"), "rb").read())
    with h5py.File(path, "a") as f:
        cfg = json.loads(f.attrs["model_config"])
        cfg["config"]["layers"][1]["class_name"] = "__lambda__"
        f.attrs["model_config"] = json.dumps(cfg)
    with pytest.raises(ValueError, match="__lambda__ object"):
        fastnn.models.load_model(path)
    path.write_bytes(open(fixture("legacy.h5"), "rb").read())
    with h5py.File(path, "a") as f:
        first = f["model_weights"].attrs["layer_names"][0]
        kernel = f["model_weights"][first].attrs["weight_names"][0]
        g = f["model_weights"][first]
        del g[kernel]
        g[kernel] = h5py.SoftLink("/nowhere")
    with pytest.raises(ValueError, match="is a SoftLink"):
        fastnn.models.load_model(path)


# ------------------------------------------------------------------ real Keras reads ours
def _keras_python():
    exe = os.environ.get("FASTNN_KERAS_PYTHON")
    if exe:
        return exe
    pytest.importorskip("keras", reason="Keras is not installed; set FASTNN_KERAS_PYTHON to "
                                        "a Python that has Keras 3 to run this test")
    return sys.executable


KERAS_CHECK = textwrap.dedent("""
    import json, sys
    import h5py, zipfile, io
    import numpy as np
    import keras
    out = {}
    for name in sys.argv[1:]:
        x, y = np.load(name + ".x.npy"), np.load(name + ".y.npy")
        m = keras.saving.load_model(name, safe_mode=True)
        r = {"diff": float(np.abs(m.predict(x, verbose=0) - np.load(name + ".pred.npy")).max()),
             "iterations": int(m.optimizer.iterations.numpy()),
             "optimizer": type(m.optimizer).__name__}
        # the optimizer's variables are the file's (Keras skips them when they do not fit)
        with zipfile.ZipFile(name) as zf:
            with h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
                saved = [f[f"optimizer/vars/{i}"][()] for i in range(len(f["optimizer/vars"]))]
        have = [v.numpy() for v in m.optimizer.variables]
        r["same_state"] = len(saved) == len(have) and all(
            np.array_equal(np.asarray(a, np.float64), np.asarray(b, np.float64))
            for a, b in zip(saved, have))
        m.train_on_batch(x[:16], y[:16])
        r["step"] = float(np.abs(m.predict(x, verbose=0) - np.load(name + ".step.npy")).max())
        m.fit(x, y, epochs=1, batch_size=32, verbose=0)
        r["after"] = int(m.optimizer.iterations.numpy())
        out[name] = r
    print(json.dumps(out))
""")


def _no_dropout():
    return fastnn.models.Sequential([L.Input((6,)), L.Dense(5, activation="relu"),
                                     L.BatchNormalization(), L.Activation("elu"), L.Dense(3)])


def _many_layers():
    """fastnn's layers that Keras 3 has (without TensorFlow), in one model."""
    return fastnn.models.Sequential([
        L.Input((6,)), L.Rescaling(0.5, offset=0.1), L.Dense(8), L.LeakyReLU(0.2),
        L.LayerNormalization(), L.ReLU(), L.Reshape((4, 2)), L.Permute((2, 1)),
        L.PReLU(alpha_initializer="random_uniform", shared_axes=[1]), L.Flatten(),
        L.UnitNormalization(), L.RMSNormalization(epsilon=1e-3), L.PReLU(),
        L.Dense(6, kernel_regularizer="l2", kernel_constraint="max_norm",
                activity_regularizer=fastnn.regularizers.L1(0.01)),
        L.ELU(), L.GaussianNoise(0.1), L.GaussianDropout(0.1), L.AlphaDropout(0.1),
        L.ActivityRegularization(0.01), L.RepeatVector(2), L.GlobalAveragePooling1D(),
        L.Softmax(), L.Identity(), L.Discretization(bin_boundaries=[0.1, 0.2]),
        L.Dense(3, activation="gelu")])


def test_real_keras_loads_fastnn_keras_files(tmp_path):
    """Keras 3 loads fastnn's .keras files with safe_mode on, predicts the same, holds the
    optimizer's step count and slots, takes the step fastnn takes and trains on."""
    exe = _keras_python()
    fastnn.utils.set_random_seed(0)
    (xd, yd), _ = fastnn.datasets.digits.load_data()
    xd = xd / 16.0
    digits = fastnn.models.Sequential([L.Input((64,)), L.Dense(25, activation="relu"),
                                       L.Dense(15, activation="relu"), L.Dense(10)])
    x, y = _data(n=64)
    norm = fastnn.models.Sequential([L.Input((6,)), L.Normalization(), L.Dense(5, activation="relu"),
                                     L.BatchNormalization(), L.Dropout(0.25), L.Activation("elu"),
                                     L.Dense(3)])
    norm.layers[0].adapt(x)
    cases = [("digits", digits, optimizers.Adam(0.001), xd, yd, False),
             ("norm", norm, optimizers.Adam(amsgrad=True), x, y, False)]
    cases += [(f"opt{i}", _no_dropout(), make(), x, y, True) for i, make in enumerate(OPTIMIZERS)]
    cases.append(("layers", _many_layers(), optimizers.Nadam(), x, y, False))
    names, models = [], []
    for name, model, opt, xs, ys, check_step in cases:
        model.compile(optimizer=opt, loss=fastnn.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        model.fit(xs, ys, epochs=2, batch_size=16, verbose=0)
        path = str(tmp_path / f"{name}.keras")
        model.save(path)
        np.save(path + ".x.npy", xs)
        np.save(path + ".y.npy", ys)
        np.save(path + ".pred.npy", model.predict(xs, verbose=0))
        model.train_on_batch(xs[:16], ys[:16])
        np.save(path + ".step.npy", model.predict(xs, verbose=0))
        names.append(path)
        models.append((model, check_step))
    env = dict(os.environ, KERAS_BACKEND=os.environ.get("KERAS_BACKEND", "torch"))
    proc = subprocess.run([exe, "-c", KERAS_CHECK, *names], capture_output=True, text=True,
                          env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    for path, (model, check_step) in zip(names, models):
        r = result[path]
        assert r["diff"] <= 1e-6, (path, r)
        assert r["optimizer"] == type(model.optimizer).__name__
        assert r["iterations"] == model.optimizer.iterations - 1, (path, r)
        assert r["same_state"], (path, r)
        # One training step (no dropout: deterministic) from the loaded state: the
        # gradients are float32 sums in another order than torch's (a few ulps apart), and
        # Adam-like updates divide them by sqrt(v), which passes relative differences on
        # at full size; outputs of size ~1-5 (ulp up to 4.8e-7) then differ by a few ulps.
        if check_step:
            assert r["step"] <= 1e-5, (path, type(model.optimizer).__name__, r)
        assert r["after"] > r["iterations"]
