"""Keras 3's `keras/src/models/cloning_test.py`, ported to fastnn.

Each test names the Keras test it comes from (`# Keras: <file>::<test>`, with the
parameters of a parameterised case). Imports are adapted (`keras.src.layers` ->
`fastnn.layers`, `keras.src.models` -> `fastnn.models`, `keras.src.models.cloning.
clone_model` -> `fastnn.models.clone_model`); `testing.TestCase` assertions become plain
pytest / NumPy ones with Keras' tolerances (`assertAllClose`: atol = rtol = 1e-6).

Adaptations:
- Convolutions are out of scope: Keras' "cnn" models use `Conv1D(2, 2, padding="same")`
  only as a layer with weights on `(7, 3)` inputs; a `Dense(2)` (the same output shape
  on channels-last data, `(None, 7, 2)`) stands in, as in test_sequential.py.
- `model._flatten_layers()` (a Keras-internal method) is the helper `_flatten_layers`
  below, with Keras' order: the model, then its layers depth first.
- `keras.tree.assert_same_structure` is the small equivalent below (Keras 3's rule:
  lists, tuples and dicts each match only their own kind).

Nothing is left out.
"""
import collections

import numpy as np
import pytest

from fastnn import layers, models
from fastnn.models import clone_model

SRC = "keras/src/models/cloning_test.py"


def assert_all_close(actual, desired, atol=1e-6, rtol=1e-6):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(desired), atol=atol, rtol=rtol)


def _flatten(structure):
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _flatten(item)]
    if isinstance(structure, dict):
        return [leaf for k in sorted(structure) for leaf in _flatten(structure[k])]
    return [structure]


def assert_same_structure(a, b):
    """keras.tree.assert_same_structure."""
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)) or set(a) != set(b):
            raise ValueError(f"The two structures don't have the same nested structure: "
                             f"{a!r} and {b!r}")
        for k in a:
            assert_same_structure(a[k], b[k])
    elif isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        if type(a) is not type(b) or len(a) != len(b):
            raise ValueError(f"The two structures don't have the same nested structure: "
                             f"{a!r} and {b!r}")
        for x, y in zip(a, b):
            assert_same_structure(x, y)


def _sublayers(layer):
    if isinstance(layer, models.Model):
        return list(layer.layers)
    return []


def _flatten_layers(model):
    """Keras' Layer._flatten_layers(include_self=True, recursive=True)."""
    out = [model]
    seen = set()
    queue = collections.deque(_sublayers(model))
    while queue:
        layer = queue.popleft()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        out.append(layer)
        queue.extendleft(_sublayers(layer))
    return out


def get_mlp_functional_model(shared_layers=False):
    inputs = layers.Input(shape=(3,))
    x = layers.Dense(2)(inputs)
    if shared_layers:
        layer = layers.Dense(2, name="shared")
        x = layer(x)
        x = layer(x)
    outputs = layers.Dense(2)(x)
    model = models.Model(inputs, outputs)
    return model


def get_nested_functional_model():
    inputs = layers.Input(shape=(4,))
    x = layers.Dense(3)(inputs)
    mlp = get_mlp_functional_model()
    x = mlp(x)
    outputs = layers.Dense(2)(x)
    model = models.Model(inputs, outputs)
    return model


def get_nested_sequential_model():
    model = models.Sequential()
    model.add(layers.Dense(2))
    model.add(get_sequential_model(explicit_input=False))
    model.add(layers.Dense(2))
    return model


def get_doubly_nested_functional_model():
    """Outer -> middle (Functional) -> inner (Functional), 3 nesting levels."""
    inputs = layers.Input(shape=(5,))
    x = layers.Dense(4)(inputs)
    middle = get_nested_functional_model()  # already contains an inner mlp
    x = middle(x)
    outputs = layers.Dense(2)(x)
    return models.Model(inputs, outputs)


def get_doubly_nested_sequential_model():
    """Outer -> middle (Sequential) -> inner (Sequential), 3 nesting levels."""
    model = models.Sequential()
    model.add(layers.Dense(3))
    model.add(get_nested_sequential_model())
    model.add(layers.Dense(2))
    return model


def get_cnn_functional_model(shared_layers=False):
    # Conv1D(2, 2, padding="same") -> Dense(2): see the module docstring
    inputs = layers.Input(shape=(7, 3))
    x = layers.Dense(2)(inputs)
    if shared_layers:
        layer = layers.Dense(2, name="shared")
        x = layer(x)
        x = layer(x)
    outputs = layers.Dense(2)(x)
    model = models.Model(inputs, outputs)
    return model


def get_sequential_model(explicit_input=True):
    model = models.Sequential()
    if explicit_input:
        model.add(layers.Input(shape=(3,)))
    model.add(layers.Dense(2))
    model.add(layers.Dense(2))
    return model


def get_cnn_sequential_model(explicit_input=True):
    # Conv1D(2, 2, padding="same") -> Dense(2): see the module docstring
    model = models.Sequential()
    if explicit_input:
        model.add(layers.Input(shape=(7, 3)))
    model.add(layers.Dense(2))
    model.add(layers.Dense(2))
    return model


def get_subclassed_model():
    class ExampleModel(models.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.d1 = layers.Dense(2)
            self.d2 = layers.Dense(2)

        def call(self, x):
            return self.d2(self.d1(x))

    return ExampleModel()


def assert_models_equal(model1, model2, ref_input):
    result1 = model1(ref_input)
    result2 = model2(ref_input)
    for r1, r2 in zip(_flatten(result1), _flatten(result2)):
        assert_all_close(np.asarray(r1), np.asarray(r2))


def assert_weights_equal(model1, model2):
    for a, b in zip(model1.weights, model2.weights):
        assert_all_close(a.numpy(), b.numpy())


# Keras: keras/src/models/cloning_test.py::CloneModelTest::test_cloning_correctness
# (mlp_functional, cnn_functional, sequential, deferred_sequential, subclassed)
@pytest.mark.parametrize("model_fn,is_conv", [
    (get_mlp_functional_model, False),
    (get_cnn_functional_model, True),
    (get_sequential_model, False),
    (lambda: get_sequential_model(explicit_input=False), False),
    (get_subclassed_model, False),
], ids=["mlp_functional", "cnn_functional", "sequential", "deferred_sequential",
        "subclassed"])
def test_cloning_correctness(model_fn, is_conv):
    ref_input = np.random.random((2, 7, 3) if is_conv else (2, 3))
    model = model_fn()
    new_model = clone_model(model)
    model(ref_input)  # Maybe needed to build the model
    new_model(ref_input)  # Maybe needed to build the model
    new_model.set_weights(model.get_weights())
    assert_models_equal(model, new_model, ref_input)


# Keras: keras/src/models/cloning_test.py::CloneModelTest::test_custom_clone_function
# (mlp_functional, cnn_functional, sequential)
@pytest.mark.parametrize("model_fn", [
    get_mlp_functional_model, get_cnn_functional_model, get_sequential_model,
], ids=["mlp_functional", "cnn_functional", "sequential"])
def test_custom_clone_function(model_fn):
    def clone_function(layer):
        config = layer.get_config()
        config["name"] = f"{config['name']}_custom"
        return layer.__class__.from_config(config)

    model = model_fn()
    new_model = clone_model(model, clone_function=clone_function)
    for l1, l2 in zip(model.layers, new_model.layers):
        if not isinstance(l1, layers.InputLayer):
            assert l2.name == f"{l1.name}_custom"


# Keras: keras/src/models/cloning_test.py::CloneModelTest::test_input_tensors
# (cnn_functional, cnn_sequential, cnn_sequential_noinputlayer)
@pytest.mark.parametrize("model_fn", [
    get_cnn_functional_model,
    get_cnn_sequential_model,
    lambda: get_cnn_sequential_model(explicit_input=False),
], ids=["cnn_functional", "cnn_sequential", "cnn_sequential_noinputlayer"])
def test_input_tensors(model_fn):
    ref_input = np.random.random((2, 7, 3))
    model = model_fn()
    model(ref_input)  # Maybe needed to get model inputs if no Input layer
    input_tensor = model.inputs[0]
    new_model = clone_model(model, input_tensors=input_tensor)
    assert_same_structure(model.inputs, new_model.inputs)
    assert_same_structure(model.outputs, new_model.outputs)


# Keras: keras/src/models/cloning_test.py::CloneModelTest::test_shared_layers_cloning
def test_shared_layers_cloning():
    model = get_mlp_functional_model(shared_layers=True)
    new_model = clone_model(model)
    assert len(new_model.layers) == 4


# Keras: keras/src/models/cloning_test.py::CloneModelTest::test_structured_io_cloning
def test_structured_io_cloning():
    x = layers.Input((3,))
    y = layers.Input((3,))
    z1 = x + y
    z2 = layers.Dense(5)(z1)
    inputs = dict(x=x, y=y)
    outputs = dict(z1=z1, z2=z2)
    model0 = models.Model(inputs, outputs)

    model = clone_model(model0)
    assert_same_structure(model.input, inputs)
    assert_same_structure(model.output, outputs)

    model = clone_model(model0, input_tensors=inputs)
    assert_same_structure(model.input, inputs)
    assert_same_structure(model.output, outputs)

    with pytest.raises(
        ValueError,
        match="`input_tensors` must have the same structure as model.input",
    ):
        model = clone_model(model0, input_tensors=(x, y))


# Keras: keras/src/models/cloning_test.py::CloneModelTest::test_call_fn
def test_call_fn():
    model = get_mlp_functional_model(shared_layers=False)

    def call_function(layer, *args, **kwargs):
        out = layer(*args, **kwargs)
        if isinstance(layer, layers.Dense):
            out = layers.Dropout(0.5)(out)
        return out

    new_model = clone_model(
        model,
        clone_function=lambda x: x,  # Reuse the same layers.
        call_function=call_function,
    )
    assert len(model.layers) == 3
    assert len(new_model.layers) == 5
    assert isinstance(new_model.layers[2], layers.Dropout)
    assert isinstance(new_model.layers[4], layers.Dropout)
    ref_input = np.random.random((2, 3))
    assert_models_equal(model, new_model, ref_input)


# Keras: keras/src/models/cloning_test.py::CloneModelTest::test_recursive
def test_recursive():
    model = get_nested_functional_model()

    def call_function(layer, *args, **kwargs):
        out = layer(*args, **kwargs)
        if isinstance(layer, layers.Dense):
            out = layers.Dropout(0.5)(out)
        return out

    new_model = clone_model(
        model,
        clone_function=lambda x: x,  # Reuse the same layers.
        call_function=call_function,
        recursive=True,
    )
    assert len(_flatten_layers(model)) == 8
    assert len(_flatten_layers(new_model)) == 12
    assert isinstance(new_model.layers[3].layers[2], layers.Dropout)
    assert isinstance(new_model.layers[3].layers[4], layers.Dropout)
    ref_input = np.random.random((2, 4))
    assert_models_equal(model, new_model, ref_input)

    # Sequential.
    def clone_function(layer):
        layer = layer.__class__.from_config(layer.get_config())
        layer.flag = True
        return layer

    model = get_nested_sequential_model()
    new_model = clone_model(
        model,
        clone_function=clone_function,
        recursive=True,
    )
    ref_input = np.random.random((2, 3))
    model(ref_input)  # Maybe needed to build the model
    new_model(ref_input)  # Maybe needed to build the model
    new_model.set_weights(model.get_weights())
    assert_models_equal(model, new_model, ref_input)
    for l1, l2 in zip(_flatten_layers(model), _flatten_layers(new_model)):
        if isinstance(l2, layers.Dense):
            assert not hasattr(l1, "flag")
            assert hasattr(l2, "flag")


# Keras: keras/src/models/cloning_test.py::CloneModelTest::test_recursive_multi_level
def test_recursive_multi_level():
    # Functional: 3 nesting levels (outer -> middle -> inner).
    model = get_doubly_nested_functional_model()

    def clone_function(layer):
        layer = layer.__class__.from_config(layer.get_config())
        layer.flag = True
        return layer

    new_model = clone_model(
        model,
        clone_function=clone_function,
        recursive=True,
    )
    ref_input = np.random.random((2, 5))
    model(ref_input)
    new_model(ref_input)
    new_model.set_weights(model.get_weights())
    assert_models_equal(model, new_model, ref_input)

    # Every Dense in the deepest level should have been cloned
    # (i.e. clone_function was applied), not shared.
    for l1, l2 in zip(_flatten_layers(model), _flatten_layers(new_model)):
        if isinstance(l2, layers.Dense):
            assert not hasattr(l1, "flag")
            assert hasattr(l2, "flag")

    # Sequential: 3 nesting levels.
    model = get_doubly_nested_sequential_model()
    new_model = clone_model(
        model,
        clone_function=clone_function,
        recursive=True,
    )
    ref_input = np.random.random((2, 5))
    model(ref_input)
    new_model(ref_input)
    new_model.set_weights(model.get_weights())
    assert_models_equal(model, new_model, ref_input)

    for l1, l2 in zip(_flatten_layers(model), _flatten_layers(new_model)):
        if isinstance(l2, layers.Dense):
            assert not hasattr(l1, "flag")
            assert hasattr(l2, "flag")


# Keras: keras/src/models/cloning_test.py::CloneModelTest::test_compiled_model_cloning
def test_compiled_model_cloning():
    model = models.Sequential()
    model.add(layers.Input((3,)))
    model.add(layers.Dense(5, activation="relu"))
    model.add(layers.Dense(1, activation="sigmoid"))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    cloned_model = clone_model(model)
    assert model.compiled == cloned_model.compiled
