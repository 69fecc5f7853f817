"""Keras 3's `keras/src/models/sequential_test.py`, ported to fastnn.

Each test names the Keras test it comes from (`# Keras: <file>::<test>`). Imports are
adapted (`keras.src.layers` -> `fastnn.layers`, `backend.KerasTensor` ->
`fastnn.layers.symbolic.KerasTensor`), `testing.TestCase` assertions become plain
pytest / NumPy ones with Keras' tolerances (`assertAllClose`: atol = rtol = 1e-6).

Adaptations, applied the same way in every conformance file:
- Error messages: the exception type Keras raises is asserted as it is; where fastnn's
  message says the same thing in other words, the `match=` regex is fastnn's phrase
  and the Keras regex is quoted beside it (listed in tests/conformance/README.md).
- Keras-internal attributes (`model._functional`, ...) are not asserted on.
- Convolutions are out of scope: where a test only uses a `Conv2D(4, 3,
  padding="same")` to make a layer with weights and a known output shape, a
  `Dense(4)` (the same output shape on channels-last data) stands in, as noted there.

Not ported (out of scope for fastnn by design):

| Keras test | reason |
|---|---|
| test_basic_flow_as_a_submodel | `TimeDistributed` is a sequence (RNN-family) wrapper; fastnn has no sequence layers |

Skipped part way (`pytest.skip` in the test): test_serialization_with_lambda_layer, after its
call, at `model.save` of a Python lambda (Keras stores bytecode and loads it with
`safe_mode=False`; fastnn never runs code read from a file, by design).
"""
import json
import pickle

import numpy as np
import pytest

import fastnn
from fastnn import layers
from fastnn.layers import Input
from fastnn.layers.symbolic import KerasTensor
from fastnn.models import Model, Sequential

SRC = "keras/src/models/sequential_test.py"


def assert_all_close(actual, desired, atol=1e-6, rtol=1e-6):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(desired), atol=atol, rtol=rtol)


def run_class_serialization_test(instance, custom_objects=None):
    """Keras' TestCase.run_class_serialization_test, on fastnn's public API: the
    get_config / from_config round trip gives the same JSON config and an object with
    the same attributes; the serialized form (to_json / model_from_json, fastnn's
    serialize_keras_object) round-trips to the same config. Both run inside a
    custom_object_scope of `custom_objects`, as Keras' do."""
    cls = instance.__class__
    config = instance.get_config()
    config_json = json.dumps(config, sort_keys=True)
    ref_dir = dir(instance)[:]
    with fastnn.saving.custom_object_scope(custom_objects):
        revived = cls.from_config(config)
    assert json.dumps(revived.get_config(), sort_keys=True) == config_json
    assert set(ref_dir) == set(dir(revived))
    with fastnn.saving.custom_object_scope(custom_objects):
        revived = fastnn.models.model_from_json(instance.to_json())
    assert json.dumps(revived.get_config(), sort_keys=True) == config_json
    new_dir = dir(revived)[:]
    assert set(ref_dir) == set(new_dir)
    return revived


# Keras: keras/src/models/sequential_test.py::test_basic_flow_with_input
def test_basic_flow_with_input(capsys):
    model = Sequential(name="seq")
    model.add(Input(shape=(2,), batch_size=3))
    model.add(layers.Dense(4))
    model.add(layers.Dense(5))
    model.summary()

    assert len(model.layers) == 2
    assert model.built
    assert len(model.weights) == 4

    # Test eager call
    x = np.random.random((3, 2))
    y = model(x)
    # (Keras also checks type(model._functional) is Functional: internal.)
    assert y.shape == (3, 5)

    # Test symbolic call
    x = KerasTensor((3, 2))
    y = model(x)
    assert y.shape == (3, 5)

    # Test `layers` constructor arg
    model = Sequential(
        layers=[
            Input(shape=(2,), batch_size=3),
            layers.Dense(4),
            layers.Dense(5),
        ]
    )
    assert len(model.layers) == 2
    assert model.built
    assert len(model.weights) == 4

    x = np.random.random((3, 2))
    y = model(x)
    assert y.shape == (3, 5)

    # Test pop
    model.pop()
    assert len(model.layers) == 1
    assert model.built
    assert len(model.weights) == 2

    x = np.random.random((3, 2))
    y = model(x)
    assert y.shape == (3, 4)


# Keras: keras/src/models/sequential_test.py::test_legacy_flow_with_input_shape
def test_legacy_flow_with_input_shape():
    model = Sequential(name="seq")
    model.add(layers.Dense(4, input_shape=(2,)))
    model.add(layers.Dense(5))

    assert len(model.layers) == 2
    assert model.built
    assert len(model.weights) == 4

    # Input_dim works too
    model = Sequential(name="seq")
    model.add(layers.Dense(4, input_dim=2))
    model.add(layers.Dense(5))

    assert len(model.layers) == 2
    assert model.built
    assert len(model.weights) == 4

    # Subsequent input_shapes are ignored
    model = Sequential(name="seq")
    model.add(layers.Dense(4, input_shape=(2,)))
    model.add(layers.Dense(5, input_shape=(3, 4)))

    assert len(model.layers) == 2
    assert model.built
    assert len(model.weights) == 4


# Keras: keras/src/models/sequential_test.py::test_basic_flow_deferred
def test_basic_flow_deferred(capsys):
    model = Sequential(name="seq")
    model.add(layers.Dense(4))
    model.add(layers.Dense(5))
    model.summary()

    assert len(model.layers) == 2

    # Test eager call
    x = np.random.random((3, 2))
    y = model(x)
    assert model.built
    model.summary()

    assert y.shape == (3, 5)

    # Test symbolic call
    x = KerasTensor((3, 2))
    y = model(x)
    assert y.shape == (3, 5)

    # Test `layers` constructor arg
    model = Sequential(
        layers=[
            layers.Dense(4),
            layers.Dense(5),
        ]
    )
    x = np.random.random((3, 2))
    y = model(x)
    assert y.shape == (3, 5)

    # Test pop
    model.pop()
    assert len(model.layers) == 1
    assert model.built
    assert len(model.weights) == 2

    x = np.random.random((3, 2))
    y = model(x)
    assert y.shape == (3, 4)


# Keras: keras/src/models/sequential_test.py::test_basic_flow_with_functional_model_as_first_layer
# (Conv2D(4, 3, padding="same") -> Dense(4): the same output shape (None, 16, 16, 4).)
def test_basic_flow_with_functional_model_as_first_layer(capsys):
    # Build functional model
    inputs = Input((16, 16, 3))
    outputs = layers.Dense(4)(inputs)
    functional_model = Model(inputs=inputs, outputs=outputs)

    model = Sequential([functional_model, layers.Flatten(), layers.Dense(1)])
    model.summary()
    assert len(model.layers) == 3
    assert model.built
    for layer in model.layers:
        assert layer.built

    # Test eager call
    x = np.random.random((1, 16, 16, 3))
    y = model(x)
    assert tuple(y.shape) == (1, 1)

    # Test symbolic call
    x = KerasTensor((1, 16, 16, 3))
    y = model(x)
    assert y.shape == (1, 1)


# Keras: keras/src/models/sequential_test.py::test_basic_flow_with_sequential_model_as_first_layer
# (Conv2D(4, 3, padding="same") -> Dense(4): the same output shape (None, 16, 16, 4).)
def test_basic_flow_with_sequential_model_as_first_layer(capsys):
    # Build sequential model
    sequential_model = Sequential([Input((16, 16, 3)), layers.Dense(4)])

    model = Sequential([sequential_model, layers.Flatten(), layers.Dense(1)])
    model.summary()
    assert len(model.layers) == 3
    assert model.built
    for layer in model.layers:
        assert layer.built

    # Test eager call
    x = np.random.random((1, 16, 16, 3))
    y = model(x)
    assert tuple(y.shape) == (1, 1)

    # Test symbolic call
    x = KerasTensor((1, 16, 16, 3))
    y = model(x)
    assert y.shape == (1, 1)


# Keras: keras/src/models/sequential_test.py::test_dict_inputs
def test_dict_inputs(capsys):
    seen = []

    class DictLayer(layers.Layer):
        def call(self, inputs):
            seen.append(type(inputs))
            assert isinstance(inputs, dict)
            return inputs

    model = Sequential([DictLayer()])
    x = {"a": np.random.random((3, 2)), "b": np.random.random((3, 2))}
    y = model(x)
    assert type(y) is dict
    assert seen and all(t is dict for t in seen)
    model.summary()


# Keras: keras/src/models/sequential_test.py::test_list_inputs
def test_list_inputs(capsys):
    seen = []

    class ListLayer(layers.Layer):
        def call(self, inputs):
            seen.append(type(inputs))
            assert isinstance(inputs, list)
            return inputs

    model = Sequential([ListLayer()])
    x = [np.random.random((3, 2)), np.random.random((3, 2))]
    y = model(x)
    assert type(y) is list
    assert seen and all(t is list for t in seen)
    model.summary()


# Keras: keras/src/models/sequential_test.py::test_nested_sequential
def test_nested_sequential():
    # https://github.com/keras-team/keras/issues/20203
    model = Sequential()
    model.add(Input(shape=(16,)))
    Sequential([model])


# Keras: keras/src/models/sequential_test.py::test_errors
def test_errors():
    # Trying to pass 2 Inputs
    model = Sequential()
    model.add(Input(shape=(2,), batch_size=3))
    # Keras: "already been configured"
    with pytest.raises(ValueError, match="Input can only be the first"):
        model.add(Input(shape=(2,), batch_size=3))
    with pytest.raises(ValueError, match="Input can only be the first"):
        model.add(layers.InputLayer(shape=(2,), batch_size=3))

    # Same name 2x
    model = Sequential()
    model.add(layers.Dense(2, name="dense"))
    # Keras: "should have unique names"
    with pytest.raises(ValueError, match="names must be unique"):
        model.add(layers.Dense(2, name="dense"))

    # No layers
    model = Sequential()
    x = np.random.random((3, 2))
    with pytest.raises(ValueError, match="no layers"):
        model(x)

    # Build conflict
    model = Sequential()
    model.add(Input(shape=(2,), batch_size=3))
    model.add(layers.Dense(2))
    # Keras: "already been configured"
    with pytest.raises(ValueError, match=r"expected input shape \(3, 2\), got \(3, 4\)"):
        model.build((3, 4))
    # But this works
    model.build((3, 2))


# Keras: keras/src/models/sequential_test.py::test_shape_inference_failure
def test_shape_inference_failure(capsys):
    class DynamicLayer(layers.Layer):
        def call(self, inputs):
            return inputs + 1.0

        def compute_output_spec(self, *args, **kwargs):
            raise NotImplementedError

    model = Sequential([DynamicLayer()])
    x = np.random.random((3, 2))
    y = model(x)
    assert_all_close(y, x + 1)
    model.summary()


# Keras: keras/src/models/sequential_test.py::test_serialization
def test_serialization():
    # Unbuilt deferred
    model = Sequential(name="seq")
    model.add(layers.Dense(4))
    model.add(layers.Dense(5))
    revived = run_class_serialization_test(model)
    assert len(revived.layers) == 2

    # Built deferred
    model.build((2, 3))
    revived = run_class_serialization_test(model)
    assert len(revived.layers) == 2

    # Regular
    model = Sequential(name="seq")
    model.add(Input(shape=(2,), batch_size=3))
    model.add(layers.Dense(4))
    model.add(layers.Dense(5))
    model.add(layers.Dense(6))
    revived = run_class_serialization_test(model)
    assert len(revived.layers) == 3

    # Weird
    class DictLayer(layers.Layer):
        def call(self, inputs):
            assert isinstance(inputs, dict)
            return inputs

    model = Sequential([DictLayer()])
    revived = run_class_serialization_test(
        model, custom_objects={"DictLayer": DictLayer}
    )
    assert len(revived.layers) == 1


# Keras: keras/src/models/sequential_test.py::test_serialization_with_lambda_layer
def test_serialization_with_lambda_layer(tmp_path):
    # https://github.com/keras-team/keras/issues/20074
    inputs = np.random.random(size=(1, 10, 4)).astype("float32")
    CONV_WIDTH = 3
    model = Sequential([layers.Lambda(lambda x: x[:, -CONV_WIDTH:, :])])
    outputs = model(inputs)
    assert_all_close(outputs, inputs[:, -CONV_WIDTH:, :])   # (fastnn: the call runs)
    pytest.skip("out of scope by design: saving a Lambda that wraps a Python lambda; "
                "Keras stores its bytecode (loaded with safe_mode=False), fastnn never "
                "runs code read from a file")

    save_path = f"{tmp_path}/model.keras"
    model.save(save_path)
    revived = fastnn.saving.load_model(save_path, safe_mode=False)
    revived_outputs = revived(inputs)
    assert len(revived.layers) == 1
    assert_all_close(revived_outputs, outputs)


# Keras: keras/src/models/sequential_test.py::test_functional_properties
def test_functional_properties():
    model = Sequential(name="seq")
    inputs = Input(shape=(2,))
    model.add(inputs)
    model.add(layers.Dense(4))

    assert model.inputs == [inputs]
    assert model.outputs == [model.layers[-1].output]
    assert model.input_shape == (None, 2)
    assert model.output_shape == (None, 4)


# Keras: keras/src/models/sequential_test.py::test_training_arg
def test_training_arg():
    class CustomLayer(layers.Layer):
        def call(self, inputs, training=False):
            return inputs * 0.0 if training else inputs

    model = Sequential([CustomLayer()])
    assert_all_close(model(np.ones((4, 20))), 1.0)
    assert_all_close(model(np.ones((4, 20)), training=False), 1.0)
    assert_all_close(model(np.ones((4, 20)), training=True), 0.0)


# Keras: keras/src/models/sequential_test.py::test_pickleable
def test_pickleable():
    model = Sequential(name="seq")
    model.add(layers.Dense(4))

    result = pickle.loads(pickle.dumps(model))
    assert len(result.layers) == 1


# Keras: keras/src/models/sequential_test.py::test_bad_layer
def test_bad_layer():
    model = Sequential(name="seq")
    # Keras: "Only instances of"
    with pytest.raises(ValueError, match="must be a fastnn Layer"):
        model.add({})

    model = Sequential(name="seq")

    class BadLayer(layers.Layer):
        def call(self, inputs, training):
            return inputs

    model.add(BadLayer())
    with pytest.raises(ValueError, match="can only have a single.*positional"):
        model.build((None, 2))


# Keras: keras/src/models/sequential_test.py::test_compute_output_shape
def test_compute_output_shape():
    layer = Sequential([layers.Dense(4), layers.Dense(8)])
    output_shape = layer.compute_output_shape((1, 2))
    assert output_shape == (1, 8)


# Keras: keras/src/models/sequential_test.py::test_hasattr
def test_hasattr():
    model = Sequential()
    assert not hasattr(model, "input_shape")
    assert not hasattr(model, "output_shape")
    assert not hasattr(model, "inputs")
    assert not hasattr(model, "outputs")

    model = Sequential([layers.Input((4,)), layers.Dense(8)])
    assert hasattr(model, "input_shape")
    assert hasattr(model, "output_shape")
    assert hasattr(model, "inputs")
    assert hasattr(model, "outputs")


# Keras: keras/src/models/sequential_test.py::test_layers_setter
def test_layers_setter():
    model = Sequential()
    # Keras: r"Use `add\(\)` and `pop\(\)`"
    with pytest.raises(AttributeError, match="layers"):
        model.layers = [layers.Dense(4)]
