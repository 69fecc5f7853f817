"""Every import path a Keras or TensorFlow program writes (with `tensorflow` or
`keras` changed to `fastnn`) gives the same objects; TensorFlow's module-level idioms
and keras.backend work; a feature fastnn lacks is named with what to use instead."""
import importlib
import logging

import numpy as np
import pytest

import fastnn

MODULES = ["layers", "models", "losses", "metrics", "optimizers", "optimizers.schedules",
           "callbacks", "activations", "initializers", "regularizers", "utils", "backend",
           "datasets", "ops", "saving"]
PREFIXES = ["fastnn.keras.", "fastnn.keras.src.", "fastnn.python.keras."]


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("module", MODULES)
def test_every_public_name_is_the_same_object_through_every_path(prefix, module):
    real = importlib.import_module(f"fastnn.{module}")
    alias = importlib.import_module(prefix + module)
    assert alias is real
    names = getattr(real, "__all__", None) or [n for n in dir(real) if not n.startswith("_")]
    for name in names:
        assert getattr(alias, name) is getattr(real, name), name


def test_a_dense_from_tf_keras_paths_goes_into_a_sequential_from_another():
    from fastnn.keras.layers import Dense
    from fastnn.keras.models import Sequential
    from fastnn.keras.src.layers import Input
    model = Sequential([Input((3,)), Dense(2)])        # used to be refused: two copies
    assert isinstance(model.layers[0], fastnn.layers.Dense)
    assert fastnn.keras.Sequential is Sequential is fastnn.Sequential
    assert fastnn.keras.layers.Dense is Dense


def test_tensorflow_tensor_functions():
    tf = fastnn
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    assert x.dtype == np.float32
    assert float(tf.reduce_mean(x)) == 2.5
    np.testing.assert_array_equal(tf.reduce_sum(x, axis=0), [4.0, 6.0])
    np.testing.assert_array_equal(tf.concat([x, x], axis=0).shape, (4, 2))
    np.testing.assert_array_equal(tf.stack([x, x]).shape, (2, 2, 2))
    np.testing.assert_array_equal(tf.expand_dims(x, 0).shape, (1, 2, 2))
    np.testing.assert_allclose(tf.linspace(0.0, 1.0, 5), [0, 0.25, 0.5, 0.75, 1])
    np.testing.assert_array_equal(tf.add_n([x, x, x]), 3 * np.asarray(x))
    np.testing.assert_array_equal(tf.one_hot([0, 2], 3), [[1, 0, 0], [0, 0, 1]])
    assert tf.argmax(x, axis=1).dtype == np.int64
    np.testing.assert_allclose(tf.math.square(x), np.square(x))


def test_gradient_tape_variable_and_function_from_the_top_level():
    tf = fastnn
    w = tf.Variable(np.array([1.0, 2.0]))

    @tf.function
    def loss_fn():
        return tf.reduce_sum(w * w)
    with tf.GradientTape() as tape:
        loss = loss_fn()
    np.testing.assert_allclose(tape.gradient(loss, w), [2.0, 4.0])


def test_tensorflow_idioms_are_documented_no_ops_or_map_onto_fastnn(set_threads):
    tf = fastnn
    tf.autograph.set_verbosity(0)
    assert tf.get_logger() is logging.getLogger("fastnn")
    assert tf.executing_eagerly()
    assert tf.config.list_physical_devices("GPU") == []
    assert len(tf.config.list_physical_devices("CPU")) == 1
    tf.config.threading.set_intra_op_parallelism_threads(1)
    assert fastnn.get_num_threads() == 1
    assert tf.config.threading.get_intra_op_parallelism_threads() == 1
    assert tf.version.VERSION == fastnn.__version__
    with pytest.raises(ValueError, match="level"):
        tf.autograph.set_verbosity(-1)


def test_keras_backend_settings():
    backend = fastnn.keras.backend
    assert backend.floatx() == "float32" and backend.epsilon() == 1e-7
    backend.set_floatx("float64")
    try:
        m = fastnn.Sequential([fastnn.Input((3,)), fastnn.layers.Dense(2)])
        assert m.dtype == "float64" and m.layers[0].kernel.dtype == np.float64
    finally:
        backend.set_floatx("float32")
    with pytest.raises(ValueError, match="float32' or 'float64"):
        backend.set_floatx("float16")
    fastnn.layers.Dense(2)
    backend.clear_session()
    assert fastnn.layers.Dense(2).name == "dense"       # names start afresh
    assert backend.backend() == "fastnn"


@pytest.mark.parametrize("where,name,words", [
    (fastnn, "distribute", "CPU cores"), (fastnn.layers, "Conv2D", "Dense"),
    (fastnn.layers, "LSTM", "recurrent"), (fastnn.layers, "SimpleRNN", "recurrent"),
    (fastnn, "lite", "model.save"), (fastnn.layers, "NoSuchLayer", "no attribute"),
])
def test_missing_features_say_what_to_use(where, name, words):
    with pytest.raises(AttributeError, match=words):
        getattr(where, name)
