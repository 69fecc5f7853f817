"""keras.models.clone_model beyond Keras' own tests (tests/conformance/test_cloning.py):
the arguments' checks, input_tensors on a Sequential model, subclassed models made again
from their constructor's arguments or their get_config, and compile settings carried
over, as Keras 3's keras/src/models/cloning.py does them."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import layers, models
from fastnn.models import clone_model


def _seq():
    return models.Sequential([layers.Input((4,), name="inp"), layers.Dense(2, name="d")])


def test_arguments_are_checked_as_keras_checks_them():
    m = _seq()
    with pytest.raises(ValueError, match=r"unexpected keyword argument\(s\): \('foo',\)"):
        clone_model(m, foo=1)
    with pytest.raises(ValueError, match="call_function is not supported with Sequential"):
        clone_model(m, call_function=lambda layer, *a, **k: layer(*a, **k))
    with pytest.raises(ValueError, match="clone_function must be a callable, got int 3"):
        clone_model(m, clone_function=3)
    with pytest.raises(TypeError, match="recursive must be a bool, got str 'yes'"):
        clone_model(m, recursive="yes")
    with pytest.raises(TypeError, match="model must be a fastnn Sequential, functional or "
                                        "subclassed Model, got object"):
        clone_model(object())


def test_sequential_input_tensors():
    m = _seq()
    t = keras.Input((5,))
    c = clone_model(m, input_tensors=t)
    assert c.input_shape == (None, 5) and c.layers[0].name == "d"
    assert c(np.ones((3, 5), np.float32)).shape == (3, 2)
    assert clone_model(m, input_tensors=[t]).input_shape == (None, 5)
    with pytest.raises(ValueError, match="input_tensors must hold a single tensor for a "
                                         "Sequential model, got 2"):
        clone_model(m, input_tensors=[t, t])
    with pytest.raises(ValueError, match="input_tensors must be a KerasTensor, got ndarray"):
        clone_model(m, input_tensors=np.ones((1, 4)))


def test_functional_input_tensors_must_be_symbolic():
    inp = keras.Input((3,))
    m = models.Model(inp, layers.Dense(2)(inp))
    with pytest.raises(ValueError, match="all entries in input_tensors must be KerasTensors"):
        clone_model(m, input_tensors=np.ones((1, 3)))
    c = clone_model(m, input_tensors=keras.Input((3,), name="other"))
    assert c.input_names == ["other"]


def test_clone_keeps_the_name_and_compile_settings():
    inp = keras.Input((3,), name="x")
    m = models.Model(inp, layers.Dense(1, name="out")(inp), name="net")
    m.compile(optimizer=keras.optimizers.SGD(0.5), loss="mae", metrics=["mse"])
    c = clone_model(m)
    assert c.name == "net" and c.input_names == ["x"] and c.compiled
    assert c.get_compile_config() == m.get_compile_config()
    assert c.optimizer is not m.optimizer
    s = models.Sequential([layers.Dense(2)], name="s", trainable=False)
    cs = clone_model(s)
    assert cs.name == "s" and not cs.trainable and not cs.compiled


class _Subclassed(models.Model):
    def __init__(self, units=2, activation="relu", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = layers.Dense(units, activation=activation)

    def call(self, x):
        return self.dense(x)


def test_subclassed_model_is_made_again_from_its_arguments():
    """Keras records the constructor's arguments when they are plain values and makes
    the model again from them (with its name), built and compiled alike. (Keras 3.15's
    Model.__new__ drops the arguments before recording them, so its clone gets the
    defaults; fastnn keeps the arguments, docs/DIFFERENCES.md.)"""
    m = _Subclassed(3, activation="tanh", name="mine")
    x = np.ones((2, 4), np.float32)
    m(x)
    m.compile(optimizer="adam", loss="mse")
    c = clone_model(m)
    assert type(c) is _Subclassed and c.name == "mine" and c.units == 3
    assert c.dense.activation is m.dense.activation or \
        c.dense.get_config()["activation"] == "tanh"
    assert c.built and c.compiled
    c.set_weights(m.get_weights())
    np.testing.assert_array_equal(np.asarray(c(x)), np.asarray(m(x)))
    with pytest.raises(ValueError, match="clone_function and input_tensors are only supported "
                                         "for Sequential and functional models"):
        clone_model(m, clone_function=lambda layer: layer)
    with pytest.raises(ValueError, match="call_function is only supported for functional"):
        clone_model(m, call_function=lambda layer, *a, **k: layer(*a, **k))


def test_subclassed_model_with_its_own_get_config_or_none():
    class WithConfig(models.Model):
        def __init__(self, layer=None, units=2, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.dense = layer or layers.Dense(units)

        def call(self, x):
            return self.dense(x)

        def get_config(self):
            return {"units": self.units, "name": self.name}

    m = WithConfig(layers.Dense(4), units=4)
    c = clone_model(m)
    assert type(c) is WithConfig and c.units == 4 and c.name == m.name

    class NoConfig(models.Model):
        def __init__(self, layer):
            super().__init__()
            self.layer = layer

        def call(self, x):
            return self.layer(x)

    with pytest.raises(NotImplementedError, match="NoConfig was made with constructor arguments "
                                                  "other than"):
        clone_model(NoConfig(layers.Dense(2)))
