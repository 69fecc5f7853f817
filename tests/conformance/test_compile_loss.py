"""Keras 3's tests of its compiled loss over structures (keras/src/trainers/
compile_utils_test.py, CompileLossTest), ported to the model level: Keras builds its
internal CompileLoss on given y_true / y_pred; here a functional model whose outputs
are its inputs passed through (Identity layers), in the same structure, is compiled
with the test's loss and evaluated on the test's arrays, so that the loss evaluate
reports is the value Keras' test asserts. (Keras' output_names, given to CompileLoss
there, are the names of the layers giving the outputs here.)"""
from collections import namedtuple

import numpy as np
import pytest

import fastnn
from fastnn import layers

SRC = "keras/src/trainers/compile_utils_test.py"

Y_TRUE = {
    "a": {
        "c": np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]),
        "d": np.array([[0.7, 0.8], [0.9, 1.0], [1.1, 1.2]]),
    },
    "b": np.array([[0.7, 0.8], [0.9, 1.0], [1.1, 1.2]]),
}
Y_PRED = {
    "a": {
        "c": np.array([[1.2, 1.1], [1.0, 0.9], [0.8, 0.7]]),
        "d": np.array([[0.6, 0.5], [0.4, 0.3], [0.2, 0.1]]),
    },
    "b": np.array([[0.6, 0.5], [0.4, 0.3], [0.2, 0.1]]),
}


def _passing_through(pack):
    """A model taking inputs c, d, b (2 columns each) and giving them back as
    pack(c, d, b)."""
    ins = {k: fastnn.Input((2,), name=k) for k in ("c", "d", "b")}
    outs = {k: layers.Identity(name=k + "_out")(v) for k, v in ins.items()}
    return fastnn.Model(ins, pack(outs["c"], outs["d"], outs["b"]))


def _inputs(c, d, b):
    return {"c": c, "d": d, "b": b}


def _nested_dict(c, d, b):
    return {"a": {"c": c, "d": d}, "b": b}


# Keras: keras/src/trainers/compile_utils_test.py::test_struct_loss
def test_struct_loss():
    model = _passing_through(_nested_dict)
    model.compile(optimizer="sgd", loss={"a": {"c": "mse", "d": "mae"}})
    x = _inputs(Y_PRED["a"]["c"], Y_PRED["a"]["d"], Y_PRED["b"])
    value = model.evaluate(x, Y_TRUE, verbose=0, return_dict=True)["loss"]
    np.testing.assert_allclose(value, 1.07666, atol=1e-5)


# Keras: keras/src/trainers/compile_utils_test.py::test_struct_loss_invalid_weights
def test_struct_loss_invalid_weights():
    model = _passing_through(_nested_dict)
    model.compile(optimizer="sgd", loss={"a": {"c": "mse", "d": "mae"}}, loss_weights=[1])
    x = _inputs(Y_PRED["a"]["c"], Y_PRED["a"]["d"], Y_PRED["b"])
    with pytest.raises(ValueError, match="must match the"):
        model.evaluate(x, Y_TRUE, verbose=0)


# Keras: keras/src/trainers/compile_utils_test.py::test_struct_loss_indice_path
def test_struct_loss_indice_path():
    model = _passing_through(lambda c, d, b: {"a": (c, d), "b": b})
    model.compile(optimizer="sgd", loss={"a": ["mse", "mae"]})
    y_true = {"a": (Y_TRUE["a"]["c"], Y_TRUE["a"]["d"]), "b": Y_TRUE["b"]}
    x = _inputs(Y_PRED["a"]["c"], Y_PRED["a"]["d"], Y_PRED["b"])
    value = model.evaluate(x, y_true, verbose=0, return_dict=True)["loss"]
    np.testing.assert_allclose(value, 1.07666, atol=1e-5)


# Keras: keras/src/trainers/compile_utils_test.py::test_struct_loss_namedtuple
def test_struct_loss_namedtuple():
    Point = namedtuple("Point", ["x", "y"])
    model = _passing_through(lambda c, d, b: {"a": Point(c, d), "b": b})
    model.compile(optimizer="sgd", loss={"a": Point("mse", "mae")})
    y_true = {"a": Point(Y_TRUE["a"]["c"], Y_TRUE["a"]["d"]), "b": Y_TRUE["b"]}
    x = _inputs(Y_PRED["a"]["c"], Y_PRED["a"]["d"], Y_PRED["b"])
    value = model.evaluate(x, y_true, verbose=0, return_dict=True)["loss"]
    np.testing.assert_allclose(value, 1.07666, atol=1e-5)


# Keras: keras/src/trainers/compile_utils_test.py::test_struct_loss_invalid_path
def test_struct_loss_invalid_path():
    model = _passing_through(_nested_dict)
    model.compile(optimizer="sgd", loss={"a": {"c": "mse"}, "b": {"d": "mae"}})
    x = _inputs(Y_PRED["a"]["c"], Y_PRED["a"]["d"], Y_PRED["b"])
    with pytest.raises(KeyError, match="can't be found in the model's output"):
        model.evaluate(x, Y_TRUE, verbose=0)


# Keras: keras/src/trainers/compile_utils_test.py::test_y_true_partial_y_pred_span
# (the outputs zeros, ones, twos: each input passed through.)
@pytest.mark.parametrize("loss_conf", [
    ["mse", None, None],
    [None, "mse", None],
    [None, None, "mse"],
    [None, "mse", "mse"],
    ["mse", None, "mse"],
])
def test_y_true_partial_y_pred_span(loss_conf):
    model = _passing_through(lambda c, d, b: [c, d, b])
    ones = np.ones((320, 2))
    zeros = np.zeros((320, 2))
    twos = np.ones((320, 2)) * 2
    y_pred = [zeros, ones, twos]
    y_true = [y for y, loss in zip(y_pred, loss_conf) if loss is not None]
    y_true = y_true[0] if len(y_true) == 1 else y_true
    model.compile(optimizer="sgd", loss=loss_conf)
    x = _inputs(*y_pred)
    # twice, as Keras' test calls its compiled loss before and after it is built
    for _ in range(2):
        loss = model.evaluate(x, y_true, verbose=0, return_dict=True)["loss"]
        assert loss == 0.0
