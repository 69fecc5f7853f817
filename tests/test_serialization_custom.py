"""Custom layer classes in configs (Sequential / Model.from_config(custom_objects=),
model_from_json, custom_object_scope, register_keras_serializable), a layer as a Dense
layer's activation, and a registered function in MeanMetricWrapper's config."""
import json

import numpy as np
import pytest

import fastnn
from fastnn import layers as L, metrics, saving
from fastnn.models import Model, Sequential, model_from_json


class Scale(L.Layer):
    """A custom layer with a weight and an argument, with its own get_config."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def _functional(dtype="float32"):
    inputs = L.Input((3,), dtype=dtype)
    x = Scale(3.0, name="scale", dtype=dtype)(inputs)
    outputs = L.Dense(2, dtype=dtype)(x)
    return Model(inputs, outputs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_functional_from_config_with_custom_objects(dtype):
    model = _functional(dtype)
    config = model.get_config()
    with pytest.raises(ValueError, match="unknown class_name 'Scale'"):
        Model.from_config(config)
    new = Model.from_config(config, custom_objects={"Scale": Scale})
    assert isinstance(new.get_layer("scale"), Scale) and new.get_layer("scale").factor == 3.0
    new.set_weights(model.get_weights())
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(dtype)
    np.testing.assert_allclose(new.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert json.dumps(new.get_config(), sort_keys=True) == json.dumps(config, sort_keys=True)


def test_sequential_from_config_and_model_from_json_with_custom_objects():
    model = Sequential([L.Input((3,)), Scale(0.5), L.Dense(2)])
    new = Sequential.from_config(model.get_config(), custom_objects={"Scale": Scale})
    assert isinstance(new.layers[0], Scale) and new.layers[0].factor == 0.5
    assert new.built
    with pytest.raises(ValueError, match="unknown class_name 'Scale'"):
        model_from_json(model.to_json())
    again = model_from_json(model.to_json(), custom_objects={"Scale": Scale})
    assert isinstance(again.layers[0], Scale)
    with saving.custom_object_scope({"Scale": Scale}):
        assert isinstance(model_from_json(model.to_json()).layers[0], Scale)
        assert isinstance(Sequential.from_config(model.get_config()).layers[0], Scale)


def test_custom_objects_argument_is_checked():
    model = Sequential([L.Input((3,)), Scale(), L.Dense(2)])
    with pytest.raises(TypeError, match="custom_objects must be a dict"):
        Sequential.from_config(model.get_config(), custom_objects=[Scale])
    with pytest.raises(TypeError, match="custom_objects must be a dict"):
        model_from_json(model.to_json(), custom_objects="Scale")
    with pytest.raises(TypeError, match="the custom object 'Scale' is .*not a Layer subclass"):
        Sequential.from_config(model.get_config(), custom_objects={"Scale": len})


def test_registered_layer_is_found_by_its_registered_name():
    @saving.register_keras_serializable(package="h4test")
    class Twice(L.Layer):
        def call(self, x):
            return x * 2.0
    try:
        model = Sequential([L.Input((2,)), Twice()])
        cfg = model.get_config()
        assert cfg["layers"][1]["registered_name"] == "h4test>Twice"
        new = Sequential.from_config(cfg)
        assert type(new.layers[0]) is Twice
        np.testing.assert_array_equal(new.predict(np.ones((1, 2), "float32"), verbose=0), 2.0)
        # a built-in layer's config holds no registered_name
        assert "registered_name" not in L.serialize(L.Dense(2))
    finally:
        saving.get_custom_objects().pop("h4test>Twice", None)
        fastnn.serialization.GLOBAL_CUSTOM_NAMES.pop(Twice, None)


def test_files_still_name_fastnn_classes_only(tmp_path):
    model = Sequential([L.Input((3,)), Scale(), L.Dense(2)])
    model.save(tmp_path / "m.fastnn")
    with saving.custom_object_scope({"Scale": Scale}):
        with pytest.raises(ValueError, match="unknown class_name 'Scale'"):
            saving.load_model(tmp_path / "m.fastnn")


# ------------------------------------------------------------------ a layer as activation
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_layer_as_activation_round_trips_and_trains_on_the_layer_path(dtype):
    model = Sequential([L.Input((3,), dtype=dtype),
                        L.Dense(4, activation=L.LeakyReLU(negative_slope=0.2, name="lr"),
                                dtype=dtype),
                        L.Dense(1, dtype=dtype)])
    cfg = model.layers[0].get_config()
    assert cfg["activation"]["class_name"] == "LeakyReLU"
    assert cfg["activation"]["module"] == "keras.layers"
    model.compile("sgd", "mse")
    x = np.random.default_rng(0).normal(size=(16, 3)).astype(dtype)
    model.fit(x, x[:, :1], epochs=1, verbose=0)
    # the engine has no kernel for a layer as activation: the layer path trains it
    assert "Python function as activation" in model._engine.why
    new = model_from_json(model.to_json())
    act = new.layers[0].activation
    assert isinstance(act, L.LeakyReLU) and act.name == "lr" and act.negative_slope == 0.2
    new.set_weights(model.get_weights())
    z = x @ model.layers[0].kernel + model.layers[0].bias
    want = np.where(z > 0, z, 0.2 * z) @ model.layers[1].kernel + model.layers[1].bias
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(new.predict(x, verbose=0), want, rtol=tol, atol=tol)
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=tol, atol=tol)


def test_activation_dict_of_an_unknown_layer_is_refused():
    with pytest.raises(ValueError, match="unknown activation"):
        L.Dense(2, activation={"class_name": "NoSuchLayer", "config": {"name": "x"}})


# ------------------------------------------------------------------ registered metric fn
def test_mean_metric_wrapper_of_a_registered_function():
    def sq(y_true, y_pred):
        return (np.asarray(y_true) - np.asarray(y_pred)) ** 2
    m = metrics.MeanMetricWrapper(fn=sq, name="sq")
    with pytest.raises(ValueError, match="register_keras_serializable"):
        m.get_config()
    saving.register_keras_serializable(package="h4test", name="sq")(sq)
    try:
        cfg = m.get_config()
        assert cfg["fn"]["config"] == "h4test>sq"
        m2 = metrics.MeanMetricWrapper.from_config(json.loads(json.dumps(cfg)))
        m2.update_state([[1.0, 2.0]], [[0.0, 0.0]])
        assert m2.result() == pytest.approx(2.5)
    finally:
        saving.get_custom_objects().pop("h4test>sq", None)
        fastnn.serialization.GLOBAL_CUSTOM_NAMES.pop(sq, None)


# ------------------------------------------------------------------ keras.ops calls in configs
def _ops_model(dtype="float32"):
    from fastnn import ops
    a = fastnn.Input((3,), name="a", dtype=dtype)
    b = fastnn.Input((3,), name="b", dtype=dtype)
    x = L.Dense(5, dtype=dtype)(a + b)
    y = ops.mean(x, axis=-1, keepdims=True)
    z = x[:, 1:3] * 2.0
    q = x[..., 0:1] - ops.max(x, axis=(1,), keepdims=True)
    out = L.Dense(2, dtype=dtype)(ops.concatenate([z, y, q], axis=-1))
    return Model([a, b], out)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ops_calls_round_trip_through_json_and_from_config(dtype):
    model = _ops_model(dtype)
    text = model.to_json()
    ops_entries = [lc for lc in json.loads(text)["config"]["layers"]
                   if lc["class_name"] == "OpLayer"]
    assert {e["config"].get("operator") or e["config"]["function"] for e in ops_entries} == \
        {"add", "mean", "getitem", "multiply", "max", "subtract", "concatenate"}
    # a tuple key stays a tuple (x[0, 1] is not x[[0, 1]])
    getitem = [e for e in ops_entries if e["config"].get("operator") == "getitem"][0]
    assert getitem["config"]["arguments"]["args"][1]["class_name"] == "__tuple__"
    for new in (model_from_json(text), Model.from_config(model.get_config())):
        assert new.to_json() == text
        new.set_weights(model.get_weights())
        rng = np.random.default_rng(0)
        x = [rng.normal(size=(4, 3)).astype(dtype), rng.normal(size=(4, 3)).astype(dtype)]
        np.testing.assert_array_equal(np.asarray(new(x)), np.asarray(model(x)))
        k0, b0 = model.layers[2].kernel, model.layers[2].bias
        h = (x[0] + x[1]) @ k0 + b0
        feats = np.concatenate([h[:, 1:3] * 2.0, h.mean(-1, keepdims=True),
                                h[:, 0:1] - h.max(1, keepdims=True)], -1)
        want = feats @ model.layers[3].kernel + model.layers[3].bias
        tol = 1e-5 if dtype == "float32" else 1e-12
        np.testing.assert_allclose(np.asarray(new(x)), want, rtol=tol, atol=tol)


def test_a_clone_keeps_the_ops_config():
    def ops_of(m):
        return [{k: v for k, v in lc["config"].items() if k != "name"}
                for lc in m.get_config()["layers"] if lc["class_name"] == "OpLayer"]
    model = _ops_model()
    clone = fastnn.models.clone_model(model)
    assert ops_of(clone) == ops_of(model) and len(ops_of(model)) == 8


def test_models_with_ops_calls_are_refused_by_model_files(tmp_path):
    model = _ops_model()
    for name in ("m.fastnn", "m.keras"):
        with pytest.raises(ValueError, match="has a keras.ops call on its tensors .*which "
                                             "model files do not hold"):
            model.save(tmp_path / name)
    # a file edited to hold one is refused when read
    import zipfile
    plain = Model(model.inputs, L.Dense(2)(model.inputs[0]))
    plain.save(tmp_path / "p.fastnn")
    with zipfile.ZipFile(tmp_path / "p.fastnn") as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    cfg = json.loads(members["config.json"])
    cfg["model"]["config"]["layers"].append(
        {"class_name": "OpLayer", "name": "add", "config": {"name": "add", "operator": "add",
                                                           "arguments": {"args": [], "kwargs": {}}},
         "inbound_nodes": []})
    members["config.json"] = json.dumps(cfg).encode()
    with zipfile.ZipFile(tmp_path / "p.fastnn", "w") as zf:
        for n, data in members.items():
            zf.writestr(n, data)
    with pytest.raises(ValueError, match=r"keras.ops call .*is read from configs"):
        saving.load_model(tmp_path / "p.fastnn")


@pytest.mark.parametrize("config, message", [
    ({"name": "x", "function": "no_such_op", "arguments": {"args": [], "kwargs": {}}},
     "function must name a keras.ops function"),
    ({"name": "x", "function": "_private", "arguments": {"args": [], "kwargs": {}}},
     "function must name a keras.ops function"),
    ({"name": "x", "operator": "eval", "arguments": {"args": [], "kwargs": {}}},
     "operator must be one of"),
    ({"name": "x", "operator": "add", "function": "add"}, "exactly one of them"),
    ({"name": "x"}, "exactly one of them"),
    ({"name": "x", "function": "add", "code": "1"}, r"unknown keys \['code'\]"),
    ({"name": "x", "function": "add", "arguments": [1]}, "arguments must be"),
])
def test_bad_ops_configs_are_refused(config, message):
    from fastnn.layers.core import OpLayer
    with pytest.raises(ValueError, match=message):
        OpLayer.from_config(config)


def test_an_unused_input_is_in_the_config():
    a, b = fastnn.Input((3,), name="a"), fastnn.Input((3,), name="b")
    model = Model({"a": a, "b": b}, L.Dense(2, name="dense")(a))
    cfg = model.get_config()
    assert cfg["input_layers"] == {"a": ["a", 0, 0], "b": ["b", 0, 0]}
    assert [lc["name"] for lc in cfg["layers"]] == ["a", "b", "dense"]     # as in Keras
    new = Model.from_config(cfg)
    assert new.get_config() == cfg
    x = {"a": np.ones((1, 3), "float32"), "b": np.zeros((1, 3), "float32")}
    new.set_weights(model.get_weights())
    np.testing.assert_array_equal(np.asarray(new(x)), np.asarray(model(x)))


def test_a_revived_op_called_with_too_few_tensors_is_refused():
    from fastnn.layers.core import OpLayer
    op = OpLayer.from_config(json.loads(json.dumps(
        _ops_model().get_config()["layers"][2]["config"])))      # add: two tensors
    assert op.get_config()["operator"] == "add"
    with pytest.raises(ValueError, match="called with 1 tensors; its config's arguments take 2"):
        op(fastnn.Input((3,)))
