"""Keras 3's tests of the merging layers, ported to fastnn.layers.

Source: keras-team/keras, `keras/src/layers/merging/merging_test.py`
(class MergingLayersTest). Each test names its source test, with the parameter set
(`testcase_name`) of a parameterised one. The nine parameter sets are Keras':
add, subtract, minimum, maximum, multiply, average, concat, dot_2d, dot_3d.

`run_layer_test` (keras/src/testing/test_case.py) is ported below as `run_layer_test`
with the checks fastnn can make: the config round trip (get_config / from_config and
serialize / deserialize through JSON, the same attributes after), supports_masking,
build from shapes, the symbolic call on keras.Input tensors, the eager call, weight and
loss counts, and the training step (a subclassed Model around the layer, fit on a
generator with loss sum(y_pred) and SGD). Its mixed-precision sub-check is left out:
fastnn has no mixed_float16 dtype policy (float32 and float64 only).

Skipped, with the reason on each case: the masked-input tests (fastnn has no Masking
layer and its layers carry no Keras mask), and the sparse-tensor tests (fastnn takes
dense arrays). Keras itself skips test_errors for dot_2d and dot_3d ("Masking not
supported"); those two keep Keras' skip.
"""
import json

import numpy as np
import pytest

from fastnn import layers, losses, models
from fastnn.autodiff import ops
from fastnn.layers import symbolic

SRC = "keras/src/layers/merging/merging_test.py"
NO_MASKING = ("masking: fastnn has no Masking layer and its layers carry no Keras mask "
              "(backend.get_keras_mask / set_keras_mask), so there is no masked input to "
              "merge")
NO_SPARSE = "sparse tensors: fastnn's layers take dense NumPy arrays only"
SUBCLASS_LIST_INPUT_BUG = (
    "fastnn bug (models/model.py, Model.build): a subclassed Model called on a list of "
    "arrays fails to build (TypeError: int() argument ... not 'tuple'), so Keras' training "
    "check, which wraps the layer in a subclassed Model, cannot run for a layer of "
    "several inputs")


def assert_all_close(a, b, atol=1e-6, rtol=1e-6):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                               atol=atol, rtol=rtol)


def np_dot(a, b, axes):
    # Keras' reference: the tensordot of each sample, (batch, 1) for a rank-1 result.
    if isinstance(axes, int):
        axes = (axes, axes)
    axes = [axis if axis < 0 else axis - 1 for axis in axes]
    res = np.stack([np.tensordot(a[i], b[i], axes) for i in range(a.shape[0])])
    if len(res.shape) == 1:
        res = np.expand_dims(res, axis=1)
    return res


TEST_PARAMETERS = {
    "add": dict(layer_class=layers.Add, np_op=np.add),
    "subtract": dict(layer_class=layers.Subtract, np_op=np.subtract),
    "minimum": dict(layer_class=layers.Minimum, np_op=np.minimum),
    "maximum": dict(layer_class=layers.Maximum, np_op=np.maximum),
    "multiply": dict(layer_class=layers.Multiply, np_op=np.multiply),
    "average": dict(layer_class=layers.Average,
                    np_op=lambda a, b: np.multiply(np.add(a, b), 0.5)),
    "concat": dict(layer_class=layers.Concatenate,
                   np_op=lambda a, b, **kwargs: np.concatenate((a, b), **kwargs),
                   init_kwargs={"axis": -1}, expected_output_shape=(2, 4, 10)),
    "dot_2d": dict(layer_class=layers.Dot, np_op=np_dot, init_kwargs={"axes": -1},
                   input_shape=(2, 4), expected_output_shape=(2, 1), skip_mask_test=True),
    "dot_3d": dict(layer_class=layers.Dot, np_op=np_dot, init_kwargs={"axes": -1},
                   expected_output_shape=(2, 4, 4), skip_mask_test=True),
}
NAMES = list(TEST_PARAMETERS)


def params(name):
    p = dict(TEST_PARAMETERS[name])
    p.setdefault("init_kwargs", {})
    p.setdefault("input_shape", (2, 4, 5))
    p.setdefault("expected_output_shape", (2, 4, 5))
    p.setdefault("skip_mask_test", False)
    return p


# ------------------------------------------------------------ run_layer_test, ported
def _json(config):
    """to_json_with_tuples: tuples kept apart from lists."""
    def tag(v):
        if isinstance(v, tuple):
            return {"__tuple__": [tag(x) for x in v]}
        if isinstance(v, list):
            return [tag(x) for x in v]
        if isinstance(v, dict):
            return {k: tag(x) for k, x in v.items()}
        return v
    return json.dumps(tag(config), sort_keys=True)


def _deserialize(serialized, custom_objects):
    # fastnn has no custom_object_scope: layers.deserialize resolves fastnn's own names;
    # a layer that needs custom objects gets them through its from_config.
    if custom_objects:
        cls = layers.ALL_OBJECTS[serialized["class_name"]]
        return cls.from_config(serialized["config"], custom_objects=custom_objects)
    return layers.deserialize(serialized)


def run_class_serialization_test(instance, custom_objects=None):
    cls = type(instance)
    config = instance.get_config()
    config_json = _json(config)
    ref_dir = set(dir(instance))
    if custom_objects:
        revived = cls.from_config(config, custom_objects=custom_objects)
    else:
        revived = cls.from_config(config)
    assert _json(revived.get_config()) == config_json
    assert set(dir(revived)) == ref_dir
    serialized = json.loads(json.dumps(layers.serialize(instance)))
    revived = _deserialize(serialized, custom_objects)
    assert type(revived) is cls
    assert _json(revived.get_config()) == config_json
    assert set(dir(revived)) == ref_dir
    return revived


def _is_shape(s):
    return isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s)


def _map_shapes(fn, shapes):
    if _is_shape(shapes):
        return fn(shapes)
    return type(shapes)(_map_shapes(fn, s) for s in shapes)


def create_eager_tensors(input_shape, dtype="float32"):
    rng = np.random.default_rng(0)
    return _map_shapes(lambda s: (4 * rng.standard_normal(s)).astype(dtype), input_shape)


def create_keras_tensors(input_shape, dtype="float32"):
    return _map_shapes(lambda s: layers.Input(batch_shape=s, dtype=dtype), input_shape)


class LayerModel(models.Model):
    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def call(self, x, training=False):
        return self.layer(x, training=training)


class SumLoss(losses.Loss):
    def __call__(self, y_true, y_pred, sample_weight=None):
        return ops.sum(y_pred)


def run_training_step(layer, input_data, output_data):
    model = LayerModel(layer)
    data = (input_data, output_data)

    def data_generator():
        while True:
            yield data
    model.compile(optimizer="sgd", loss=SumLoss())
    with pytest.warns(UserWarning, match="shuffle"):
        history = model.fit(data_generator(), steps_per_epoch=1, verbose=0)
    assert len(history.history["loss"]) == 1
    assert np.isfinite(history.history["loss"][0])


def run_layer_test(layer_cls, init_kwargs, input_shape, expected_output_shape,
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   expected_num_losses=0, supports_masking=None, custom_objects=None,
                   run_training_check=True):
    """keras/src/testing/test_case.py::TestCase::run_layer_test, as far as fastnn goes
    (no seed generators, no mixed precision)."""
    layer = layer_cls(**init_kwargs)
    run_class_serialization_test(layer, custom_objects)
    if supports_masking is not None:
        assert layer.supports_masking == supports_masking

    def build_asserts(layer):
        assert layer.built
        assert len(layer.trainable_weights) == expected_num_trainable_weights
        assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights

    def output_asserts(layer, output, eager):
        def ok(expected, x):
            shape = tuple(x.shape)
            return len(shape) == len(expected) and all(
                e is None or e == d for e, d in zip(expected, shape))
        if _is_shape(expected_output_shape):
            assert ok(expected_output_shape, output), (expected_output_shape, output.shape)
        else:
            flat = symbolic.tree_flatten(output)
            assert len(flat) == len(expected_output_shape)
            assert all(ok(e, x) for e, x in zip(expected_output_shape, flat))
        if eager:
            assert len(layer.losses) == expected_num_losses

    # build test
    layer = layer_cls(**init_kwargs)
    layer.build(input_shape)
    build_asserts(layer)
    # symbolic call test
    keras_tensor_inputs = create_keras_tensors(input_shape)
    layer = layer_cls(**init_kwargs)
    out = layer(keras_tensor_inputs)
    build_asserts(layer)
    for t in symbolic.tree_flatten(out):
        assert isinstance(t, symbolic.KerasTensor)
    output_asserts(layer, out, eager=False)
    # eager call test
    input_data = create_eager_tensors(input_shape)
    layer = layer_cls(**init_kwargs)
    output_data = layer(input_data)
    output_asserts(layer, output_data, eager=True)
    if run_training_check:
        run_training_step(layer, input_data, output_data)


# ------------------------------------------------------------------------- the tests
@pytest.mark.parametrize("name", NAMES)
def test_basic(name):
    # keras/src/layers/merging/merging_test.py::MergingLayersTest::test_basic (all
    # parameter sets); its training step is test_basic_training_step below.
    p = params(name)
    run_layer_test(p["layer_class"], init_kwargs=p["init_kwargs"],
                   input_shape=(p["input_shape"], p["input_shape"]),
                   expected_output_shape=p["expected_output_shape"],
                   expected_num_trainable_weights=0, expected_num_non_trainable_weights=0,
                   expected_num_losses=0, supports_masking=True, run_training_check=False)


@pytest.mark.parametrize("name", NAMES)
def test_basic_training_step(name):
    # keras/src/layers/merging/merging_test.py::MergingLayersTest::test_basic, the
    # training check of run_layer_test (a subclassed Model around the layer)
    p = params(name)
    shape = p["input_shape"]
    input_data = create_eager_tensors((shape, shape))
    layer = p["layer_class"](**p["init_kwargs"])
    run_training_step(layer, input_data, layer(input_data))


@pytest.mark.parametrize("name", NAMES)
def test_correctness_static(name):
    # keras/src/layers/merging/merging_test.py::MergingLayersTest::test_correctness_static
    p = params(name)
    input_shape, init_kwargs = p["input_shape"], p["init_kwargs"]
    batch_size, shape = input_shape[0], input_shape[1:]
    x1 = np.random.rand(*input_shape)
    x2 = np.random.rand(*input_shape)
    x3 = p["np_op"](x1, x2, **init_kwargs)

    input_1 = layers.Input(shape=shape, batch_size=batch_size)
    input_2 = layers.Input(shape=shape, batch_size=batch_size)
    layer = p["layer_class"](**init_kwargs)
    out = layer([input_1, input_2])
    model = models.Model([input_1, input_2], out)
    res = model([x1, x2])

    assert res.shape == p["expected_output_shape"]
    assert_all_close(res, x3, atol=1e-4)
    assert layer.compute_mask([input_1, input_2], [None, None]) is None
    assert layer.compute_mask([x1, x2], [None, None]) is None
    if not p["skip_mask_test"]:
        mask1 = np.ones(input_shape[:-1], dtype=np.bool_)
        mask2 = np.ones(input_shape[:-1], dtype=np.bool_)
        assert np.all(np.asarray(layer.compute_mask([x1, x2], [mask1, mask2])))


@pytest.mark.parametrize("name", NAMES)
def test_correctness_dynamic(name):
    # keras/src/layers/merging/merging_test.py::MergingLayersTest::test_correctness_dynamic
    p = params(name)
    input_shape, init_kwargs = p["input_shape"], p["init_kwargs"]
    shape = input_shape[1:]
    x1 = np.random.rand(*input_shape)
    x2 = np.random.rand(*input_shape)
    x3 = p["np_op"](x1, x2, **init_kwargs)

    input_1 = layers.Input(shape=shape)
    input_2 = layers.Input(shape=shape)
    layer = p["layer_class"](**init_kwargs)
    out = layer([input_1, input_2])
    model = models.Model([input_1, input_2], out)
    res = model([x1, x2])

    assert res.shape == p["expected_output_shape"]
    assert_all_close(res, x3, atol=1e-4)
    assert layer.compute_mask([input_1, input_2], [None, None]) is None
    if not p["skip_mask_test"]:
        # Keras passes backend.Variable(x1), backend.Variable(x2) as the masks
        from fastnn.tensor import Variable
        mask = layer.compute_mask([input_1, input_2], [Variable(x1), Variable(x2)])
        assert np.all(np.asarray(mask))


@pytest.mark.parametrize("name", NAMES)
def test_errors(name):
    # keras/src/layers/merging/merging_test.py::MergingLayersTest::test_errors
    p = params(name)
    if p["skip_mask_test"]:
        pytest.skip("Masking not supported (Keras' own skip for Dot)")
    input_shape = p["input_shape"]
    batch_size, shape = input_shape[0], input_shape[1:]
    x1 = np.random.rand(batch_size, *shape)
    input_1 = layers.Input(shape=shape, batch_size=batch_size)
    input_2 = layers.Input(shape=shape, batch_size=batch_size)
    layer = p["layer_class"](**p["init_kwargs"])

    with pytest.raises(ValueError, match="`mask` should be a list."):
        layer.compute_mask([input_1, input_2], x1)
    with pytest.raises(ValueError, match="`inputs` should be a list."):
        layer.compute_mask(input_1, [None, None])
    with pytest.raises(ValueError, match=" should have the same length."):
        layer.compute_mask([input_1, input_2], [None])


def test_subtract_layer_inputs_length_errors():
    # keras/src/layers/merging/merging_test.py::MergingLayersTest::
    # test_subtract_layer_inputs_length_errors
    shape = (4, 5)
    input_1 = layers.Input(shape=shape)
    input_2 = layers.Input(shape=shape)
    input_3 = layers.Input(shape=shape)
    with pytest.raises(ValueError, match="layer should be called on exactly 2 inputs"):
        layers.Subtract()([input_1, input_2, input_3])
    with pytest.raises(ValueError, match="layer should be called on exactly 2 inputs"):
        layers.Subtract()([input_1])


def test_dot_higher_dim():
    # keras/src/layers/merging/merging_test.py::MergingLayersTest::test_dot_higher_dim
    a_shape = (1, 3, 2)
    b_shape = (1, 1, 2, 3)
    a = layers.Input(batch_shape=a_shape)
    b = layers.Input(batch_shape=b_shape)
    c = layers.Dot(axes=(-2, -1))([a, b])
    assert c.shape == (1, 2, 1, 2)
    a = np.random.random(a_shape)
    b = np.random.random(b_shape)
    c = layers.Dot(axes=(-2, -1))([a, b])
    assert tuple(c.shape) == (1, 2, 1, 2)


@pytest.mark.skip(reason=NO_MASKING)
def test_add_with_mask():
    # keras/src/layers/merging/merging_test.py::MergingLayersTest::test_add_with_mask
    pass


@pytest.mark.skip(reason=NO_MASKING)
def test_subtract_with_mask():
    # keras/src/layers/merging/merging_test.py::MergingLayersTest::test_subtract_with_mask
    pass


@pytest.mark.skip(reason=NO_MASKING)
def test_average_with_mask():
    # keras/src/layers/merging/merging_test.py::MergingLayersTest::test_average_with_mask
    pass


@pytest.mark.skip(reason=NO_MASKING)
def test_multiply_with_mask():
    # keras/src/layers/merging/merging_test.py::MergingLayersTest::test_multiply_with_mask
    pass


@pytest.mark.skip(reason=NO_MASKING)
def test_maximum_with_mask():
    # keras/src/layers/merging/merging_test.py::MergingLayersTest::test_maximum_with_mask
    pass


@pytest.mark.skip(reason=NO_MASKING)
def test_minimum_with_mask():
    # keras/src/layers/merging/merging_test.py::MergingLayersTest::test_minimum_with_mask
    pass


@pytest.mark.skip(reason=NO_MASKING)
def test_concatenate_with_mask():
    # keras/src/layers/merging/merging_test.py::MergingLayersTest::test_concatenate_with_mask
    pass


@pytest.mark.skip(reason=NO_MASKING)
def test_concatenate_with_mask_symbolic():
    # keras/src/layers/merging/merging_test.py::MergingLayersTest::
    # test_concatenate_with_mask_symbolic
    pass


def test_concatenate_errors():
    # keras/src/layers/merging/merging_test.py::MergingLayersTest::test_concatenate_errors
    x1 = np.ones((1, 1, 1, 1, 5))
    x2 = np.ones((1, 1, 1, 1, 4))
    out = layers.Concatenate(axis=-1)([x1, x2])
    assert ops.shape(out) == (1, 1, 1, 1, 9)

    x1 = np.ones((1, 2, 1, 1, 5))
    x2 = np.ones((1, 1, 1, 1, 4))
    with pytest.raises(ValueError, match="requires inputs with matching shapes "
                                         "except for the concatenation axis"):
        layers.Concatenate(axis=-1)([x1, x2])
    x1 = np.ones((1, 2, 1, 2, 1))
    x2 = np.ones((1, 1, 1, 3, 1))
    with pytest.raises(ValueError, match="requires inputs with matching shapes "
                                         "except for the concatenation axis"):
        layers.Concatenate(axis=1)([x1, x2])


@pytest.mark.skip(reason=NO_SPARSE)
@pytest.mark.parametrize("name", NAMES)
def test_sparse(name):
    # keras/src/layers/merging/merging_test.py::MergingLayersTest::test_sparse
    pass
