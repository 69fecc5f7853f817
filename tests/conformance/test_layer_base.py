"""Keras 3's tests of the base Layer, ported to fastnn.layers.Layer (the parts about a
plain layer's behaviour fastnn supports: add_weight defaults, trainable flags, losses,
training argument propagation, activity regularization, config).

Source: keras-team/keras at 3422977a5e38, `keras/src/layers/layer_test.py` (LayerTest).
Adaptations: `backend.convert_to_numpy` is `np.asarray`; `keras.ops` is
`fastnn.autodiff.ops`. Keras internals are not asserted on: test_trainable_init_arg's
`layer._trainable_variables` / `_non_trainable_variables` lines, and in
test_trainable_setting the `backend.random.SeedGenerator` of the inner layer and the
`non_trainable_variables` counts that include its state (fastnn's layers hold no
SeedGenerator objects).

Ported elsewhere: test_mixed_precision and test_dtype_policy_setter
(test_dtype_policies.py). Not ported (this time box): test_compute_output_spec,
test_positional_arg_error, test_not_implemented_error, test_rng_seed_tracking,
test_layer_tracking, test_metric_tracking, test_build_on_call, test_masking,
test_end_to_end_masking, test_masking_with_explicit_kwarg_propagation, test_stateless_call,
test_build_signature_errors, test_training_arg_not_specified, test_tracker_locking,
test_init_after_state_tracking, test_add_weight_string_as_first_positional_arg,
test_remove_weight, test_pickle_layer, test_serialize_dtype,
test_custom_layer_add_weight_in_*_name, test_layer_variable_tracking_correct,
test_signature_default_training_does_not_leak, the call-context-argument tests. Out of
scope: remat (test_*remat*), quantization (test_quantized_layer_with_remat,
test_gptq_quantization_by_setting_dtype), autocast (test_autocast*,
test_keras_mask_with_autocast), torch (test_torch_params_create_deterministic), complex
dtypes (test_complex_dtype_support).
"""
import numpy as np
import pytest

from fastnn import layers, models
from fastnn.autodiff import ops

from tests.conformance.layer_testing import assert_all_close

SRC = "keras/src/layers/layer_test.py::LayerTest"


def test_activity_regularization():
    # Keras: keras/src/layers/layer_test.py::LayerTest::test_activity_regularization
    class ActivityRegularizer(layers.Layer):
        def call(self, x):
            return x

    layer = ActivityRegularizer(activity_regularizer="l1")
    layer(np.ones((1,)))
    assert len(layer.losses) == 1
    assert_all_close(layer.losses[0], 0.01)

    # losses are reset upon call
    layer(np.ones((1,)))
    assert len(layer.losses) == 1
    assert_all_close(layer.losses[0], 0.01)

    # KerasTensors are no op
    layer = ActivityRegularizer(activity_regularizer="l1")
    layer(layers.Input(batch_shape=(2, 2)))
    assert len(layer.losses) == 0


@pytest.mark.parametrize("batch_size", [0, 1, 5, 10])
def test_activity_regularization_batch_normalization(batch_size):
    # Keras: keras/src/layers/layer_test.py::LayerTest::test_activity_regularization_batch_normalization
    class SimpleLayer(layers.Layer):
        def call(self, x):
            return x

    layer = SimpleLayer(activity_regularizer="l2")
    layer(ops.ones((batch_size, 5)) * 2.0)
    assert len(layer.losses) == 1
    expected_loss = 0.0 if batch_size == 0 else 0.2
    assert_all_close(layer.losses[0], expected_loss)


def test_add_loss():
    # Keras: keras/src/layers/layer_test.py::LayerTest::test_add_loss
    class LossLayer(layers.Layer):
        def call(self, x):
            self.add_loss(ops.sum(x))
            return x

    layer = LossLayer()
    layer(np.ones((1,)))
    assert len(layer.losses) == 1
    assert_all_close(layer.losses[0], 1.0)

    # losses are reset upon call
    layer = LossLayer()
    layer(np.ones((1,)))
    assert len(layer.losses) == 1
    assert_all_close(layer.losses[0], 1.0)

    # It works inside a model
    model = models.Sequential([layer])
    model(np.ones((1,)))
    assert len(model.losses) == 1
    assert_all_close(model.losses[0], 1.0)

    # It works recursively in nested models
    model = models.Sequential([model])
    model(np.ones((1,)))
    assert len(model.losses) == 1
    assert_all_close(model.losses[0], 1.0)


def test_training_arg_value_resolution():
    # Keras: keras/src/layers/layer_test.py::LayerTest::test_training_arg_value_resolution
    # Check that even if `training` is not passed
    # to an inner layer, the outer value gets propagated
    # in __call__.
    class TrainingLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.dp = layers.Dropout(0.9)

        def call(self, x, training=False):
            return self.dp(x)

    layer = TrainingLayer()
    x = np.ones((4, 4))
    y = layer(x)
    assert ops.min(y) == 1
    y = layer(x, training=True)
    assert ops.min(y) == 0

    # Check that it still works one level deeper.
    class WrappedTrainingLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.dp = TrainingLayer()

        def call(self, x, training=False):
            return self.dp(x)

    layer = WrappedTrainingLayer()
    x = np.ones((4, 4))
    y = layer(x)
    assert ops.min(y) == 1
    y = layer(x, training=True)
    assert ops.min(y) == 0

    # Check that if `training` is passed
    # to an inner layer in call(), the explicitly
    # passed value is what the layer sees.
    class TrainingLayerExplicit(layers.Layer):
        def __init__(self):
            super().__init__()
            self.dp = layers.Dropout(0.9)

        def call(self, x, training=False):
            return self.dp(x, training=True)

    layer = TrainingLayerExplicit()
    x = np.ones((4, 4))
    y = layer(x, training=False)
    assert ops.min(y) == 0

    # Test that layer interruption does not cause
    # the call context to linger
    class BadLayer(layers.Layer):
        def call(self, x, training=False):
            raise RuntimeError("oops!")

    x = np.ones((4, 4))
    layer = BadLayer()
    try:
        # training=True will be recorded
        # in the call context
        layer(x, training=True)
    except RuntimeError:
        pass
    layer = TrainingLayer()
    # But this layer call should not see it
    y = layer(x)
    assert ops.min(y) == 1


def test_trainable_setting():
    # Keras: keras/src/layers/layer_test.py::LayerTest::test_trainable_setting
    # (without the SeedGenerator and the non_trainable_variables counts holding it)
    class NonTrainableWeightsLayer(layers.Layer):
        def build(self, _):
            self.w1 = self.add_weight(shape=(), initializer="ones", trainable=True)
            self.w2 = self.add_weight(shape=(), initializer="ones", trainable=False)

        def call(self, inputs):
            return inputs

    class NestedNonTrainableWeightsLayer(layers.Layer):
        def build(self, _):
            self.w1 = self.add_weight(shape=(), initializer="ones", trainable=True)
            self.w2 = self.add_weight(shape=(), initializer="ones", trainable=False)
            self.nested = NonTrainableWeightsLayer()
            self.nested.build(None)

        def call(self, inputs):
            return inputs

    layer = NestedNonTrainableWeightsLayer()
    layer.build(None)
    assert len(layer.trainable_weights) == 2
    assert len(layer.trainable_variables) == 2
    assert len(layer.non_trainable_weights) == 2

    layer.trainable = False
    assert len(layer.trainable_weights) == 0
    assert len(layer.trainable_variables) == 0
    assert len(layer.non_trainable_weights) == 4
    assert not layer.w1.trainable
    assert not layer.nested.w1.trainable

    layer.trainable = True
    assert len(layer.trainable_weights) == 2
    assert len(layer.trainable_variables) == 2
    assert len(layer.non_trainable_weights) == 2
    assert layer.w1.trainable
    assert layer.nested.w1.trainable

    layer = NestedNonTrainableWeightsLayer(trainable=False)
    layer.build(None)
    assert len(layer.trainable_weights) == 0
    assert len(layer.trainable_variables) == 0
    assert len(layer.non_trainable_weights) == 4

    layer.trainable = True
    assert len(layer.trainable_weights) == 2
    assert len(layer.trainable_variables) == 2
    assert len(layer.non_trainable_weights) == 2


def test_add_weight_defaults():
    # Keras: keras/src/layers/layer_test.py::LayerTest::test_add_weight_defaults
    class MyLayer(layers.Layer):
        def __init__(self):
            super().__init__()
            self.w1 = self.add_weight()
            self.w2 = self.add_weight(dtype="int32", trainable=False)
            self.w3 = self.add_weight(dtype="bool", trainable=False)
            self.w4 = self.add_weight(dtype="int32", shape=(2, 2), trainable=False)
            self.w5 = self.add_weight(initializer="ones", shape=(2, 2))

    layer = MyLayer()
    assert layer.w1.shape == ()
    assert layer.w1.dtype == "float32"

    assert layer.w2.shape == ()
    assert layer.w2.dtype == "int32"
    assert_all_close(np.asarray(layer.w2), 0)

    assert layer.w3.shape == ()
    assert layer.w3.dtype == "bool"
    assert_all_close(np.asarray(layer.w3), False)

    assert layer.w4.shape == (2, 2)
    assert layer.w4.dtype == "int32"
    assert_all_close(np.asarray(layer.w4), np.zeros((2, 2)))

    assert layer.w5.shape == (2, 2)
    assert layer.w5.dtype == "float32"
    assert_all_close(np.asarray(layer.w5), np.ones((2, 2)))


def test_trainable_init_arg_validation():
    # Keras: keras/src/layers/layer_test.py::LayerTest::test_trainable_init_arg_validation
    with pytest.raises(ValueError, match="to be a boolean"):
        layers.Dense(2, trainable="yes")
    with pytest.raises(ValueError, match="to be a boolean"):
        layers.Dense(2, trainable=1)
    with pytest.raises(ValueError, match="to be a boolean"):
        layers.Dense(2, trainable=None)


def test_trainable_init_arg():
    # Keras: keras/src/layers/layer_test.py::LayerTest::test_trainable_init_arg
    # (not the _trainable_variables / _non_trainable_variables lines: Keras internals)
    inputs = layers.Input(shape=(1,))
    layer = layers.Dense(2, trainable=False)
    outputs = layer(inputs)
    model = models.Model(inputs, outputs)

    assert not layer.trainable
    assert len(layer.trainable_weights) == 0
    assert len(model.trainable_weights) == 0
    assert len(model.non_trainable_weights) == 2

    layer.trainable = True
    assert layer.trainable
    assert len(layer.trainable_weights) == 2
    assert len(model.trainable_weights) == 2
    assert len(model.non_trainable_weights) == 0


def test_serialize_activity_regularizer():
    # Keras: keras/src/layers/layer_test.py::LayerTest::test_serialize_activity_regularizer
    layer = layers.Dense(2, activity_regularizer="l2")
    config = layer.get_config()
    assert "activity_regularizer" in config
    new_layer = layers.Dense.from_config(config)
    assert new_layer.activity_regularizer.__class__.__name__ == "L2"

    layer = layers.Dense(2)
    config = layer.get_config()
    assert "activity_regularizer" not in config


# ---------------------------------------------------------------------------------------
# Automatic configs of layers that define no get_config(). Source: keras-team/keras,
# `keras/src/ops/operation_test.py` (OperationTest.test_serialization_*auto_config and
# test_failing_serialization_*). Keras runs them on Operation subclasses; a Layer's
# get_config is Operation's plus the layer's trainable flag and dtype, so the expected
# configs carry those two as well (fastnn's dtype: the policy's name).

class _CustomConstructor(layers.Layer):
    def __init__(self, alpha, *, beta=1.0, name=None):
        super().__init__(name=name)
        self.alpha = alpha
        self.beta = beta


class _CustomConstructorNoName(layers.Layer):
    def __init__(self, alpha, beta=1.0):
        super().__init__()
        self.alpha = alpha
        self.beta = beta


class _KwargsInConstructor(layers.Layer):
    def __init__(self, alpha, beta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha
        self.beta = beta


class _ArgsInConstructor(layers.Layer):
    def __init__(self, alpha, *args, name=None):
        super().__init__(name=name)
        self.alpha = alpha


_LAYER_PART = {"trainable": True, "dtype": "float32"}


@pytest.mark.parametrize("cls", [_CustomConstructor, _KwargsInConstructor])
def test_serialization_custom_constructor_with_name_auto_config(cls):
    # (a constructor that takes name but no **kwargs cannot take the layer's trainable
    # and dtype back: from_config is given the rest, as Keras' from_config would fail)
    def revive(config):
        if cls is _CustomConstructor:
            config = {k: v for k, v in config.items() if k not in _LAYER_PART}
        return cls.from_config(config)

    op = cls(alpha=0.2, name="test_op")
    config = op.get_config()
    assert config == {"alpha": 0.2, "beta": 1.0, "name": "test_op", **_LAYER_PART}
    revived = revive(config)
    assert revived.get_config() == config
    assert revived.name == op.name

    op = cls(alpha=0.2, beta=0.0)         # the made-up name is kept too
    config = op.get_config()
    assert config == {"alpha": 0.2, "beta": 0.0, "name": op.name, **_LAYER_PART}
    revived = revive(config)
    assert revived.get_config() == config
    assert revived.name == op.name


def test_a_constructor_without_kwargs_cannot_take_the_layer_part_back():
    # as in Keras: the automatic config holds trainable and dtype, which such a
    # constructor does not accept
    config = _CustomConstructor(alpha=0.2).get_config()
    with pytest.raises(TypeError):
        _CustomConstructor.from_config(config)


def test_serialization_custom_constructor_with_no_name_auto_config():
    op = _CustomConstructorNoName(alpha=0.2)
    config = op.get_config()
    assert config == {"alpha": 0.2, "beta": 1.0, **_LAYER_PART}
    revived = _CustomConstructorNoName.from_config(
        {k: v for k, v in config.items() if k not in _LAYER_PART})
    assert revived.get_config() == config


def test_failing_serialization_non_serializable_auto_config():
    class NonSerializable:
        pass

    op = _CustomConstructor(alpha=NonSerializable(), name="test_op")
    with pytest.raises(NotImplementedError):
        op.get_config()


def test_failing_serialization_custom_constructor_with_args_auto_config():
    op = _ArgsInConstructor(0.2, "a", "b", "c", name="test_op")
    with pytest.raises(NotImplementedError):
        op.get_config()


def test_a_layer_with_an_automatic_config_is_made_again_from_the_model_config():
    # (not in Keras' tests: what the recorded arguments are for) the layer made again
    # from the model's JSON with its own arguments
    import fastnn as keras

    class Scale(layers.Layer):
        def __init__(self, factor, offsets=(0.0, 0.0), **kwargs):
            super().__init__(**kwargs)
            self.factor, self.offsets = factor, offsets

        def call(self, x):
            return x * self.factor + np.asarray(self.offsets, "float32")

    model = keras.Sequential([keras.Input((2,)), Scale(3.0, offsets=[1.0, -1.0])])
    x = np.array([[1.0, 2.0]], "float32")
    again = keras.models.model_from_json(model.to_json(), custom_objects={"Scale": Scale})
    assert again.layers[0].factor == 3.0 and again.layers[0].offsets == [1.0, -1.0]
    np.testing.assert_array_equal(again.predict(x, verbose=0), [[4.0, 5.0]])
