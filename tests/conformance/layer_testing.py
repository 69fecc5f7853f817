"""keras/src/testing/test_case.py::TestCase::run_layer_test, ported for the layer
conformance files (test_layers_*.py), as far as fastnn goes: the config round trip
(get_config / from_config and serialize / deserialize through JSON), supports_masking,
build from shapes, the symbolic call on keras.Input tensors, the eager call (output
shape, values, losses), the stateless layers built at instantiation, and the training
step (a subclassed Model around the layer, fit on a generator with loss sum(y_pred) and
SGD). Left out: the seed-generator count (fastnn's noise layers hold a NumPy Generator,
not Keras' SeedGenerator objects), the mixed-precision check (fastnn has no
mixed_float16 policy), sparse and ragged inputs, and the torch parameter count."""
import json

import numpy as np
import pytest

from fastnn import layers, losses, models
from fastnn.autodiff import ops
from fastnn.layers import symbolic


def assert_all_close(a, b, atol=1e-6, rtol=1e-6):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                               atol=atol, rtol=rtol)


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


def run_class_serialization_test(instance):
    cls = type(instance)
    config = instance.get_config()
    config_json = _json(config)
    ref_dir = set(dir(instance))
    revived = cls.from_config(config)
    assert _json(revived.get_config()) == config_json
    assert set(dir(revived)) == ref_dir
    serialized = json.loads(json.dumps(layers.serialize(instance)))
    revived = layers.deserialize(serialized)
    assert type(revived) is cls
    assert _json(revived.get_config()) == config_json
    assert set(dir(revived)) == ref_dir
    return revived


def _is_shape(s):
    return isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s)


def create_eager_tensors(input_shape, dtype="float32"):
    rng = np.random.default_rng(0)
    if dtype.startswith("int"):
        return rng.integers(0, 100, input_shape).astype(dtype)
    return (4 * rng.standard_normal(input_shape)).astype(dtype)


def create_keras_tensors(input_shape, dtype="float32"):
    return layers.Input(batch_shape=input_shape, dtype=dtype if dtype.startswith("float")
                        else "float32")


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


def run_layer_test(layer_cls, init_kwargs=None, input_shape=None, input_dtype=None,
                   input_data=None, call_kwargs=None, expected_output_shape=None,
                   expected_output=None, expected_num_trainable_weights=None,
                   expected_num_non_trainable_weights=None, expected_num_losses=None,
                   supports_masking=None, run_training_check=True,
                   assert_built_after_instantiation=False, atol=1e-6, rtol=1e-6):
    init_kwargs = init_kwargs or {}
    call_kwargs = call_kwargs or {}
    input_dtype = input_dtype or "float32"
    if input_data is not None or input_shape is not None:
        if input_data is None:
            input_data = create_eager_tensors(input_shape, input_dtype)
        layer = layer_cls(**init_kwargs)
        layer(input_data, **call_kwargs)
        if expected_num_trainable_weights is None:
            expected_num_trainable_weights = len(layer.trainable_weights)
        if expected_num_non_trainable_weights is None:
            expected_num_non_trainable_weights = len(layer.non_trainable_weights)

    layer = layer_cls(**init_kwargs)
    run_class_serialization_test(layer)
    if supports_masking is not None:
        assert layer.supports_masking == supports_masking

    def build_asserts(layer):
        assert layer.built
        assert len(layer.trainable_weights) == expected_num_trainable_weights
        assert len(layer.non_trainable_weights) == expected_num_non_trainable_weights

    def output_asserts(layer, output, eager):
        if expected_output_shape is not None:
            shape = tuple(output.shape)
            assert len(shape) == len(expected_output_shape) and all(
                e is None or e == d for e, d in zip(expected_output_shape, shape)), \
                (expected_output_shape, shape)
        if eager:
            if expected_output is not None:
                assert_all_close(expected_output, output, atol=atol, rtol=rtol)
            if expected_num_losses is not None:
                assert len(layer.losses) == expected_num_losses

    if input_data is None:
        return
    build_shape = input_shape if input_shape is not None else tuple(input_data.shape)
    layer = layer_cls(**init_kwargs)
    layer.build(build_shape)
    build_asserts(layer)
    # symbolic call test
    keras_tensor_inputs = create_keras_tensors(
        build_shape, input_dtype if input_shape is not None else str(input_data.dtype))
    layer = layer_cls(**init_kwargs)
    out = layer(keras_tensor_inputs, **call_kwargs)
    build_asserts(layer)
    assert isinstance(out, symbolic.KerasTensor)
    output_asserts(layer, out, eager=False)
    if assert_built_after_instantiation:
        layer = layer_cls(**init_kwargs)
        assert layer.built, f"{layer_cls.__name__} is stateless: built after instantiation"
    # eager call test
    layer = layer_cls(**init_kwargs)
    output_data = layer(input_data, **call_kwargs)
    output_asserts(layer, output_data, eager=True)
    if run_training_check:
        run_training_step(layer, input_data, output_data)
