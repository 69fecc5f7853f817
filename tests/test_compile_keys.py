"""A dict of losses or metrics whose keys name no output: compile() accepts it, as
Keras does, and the first call that computes the outputs' losses or metrics (fit,
evaluate, train_on_batch, test_on_batch) raises Keras' error: for outputs that are a
list, a ValueError "Expected keys ..."; for outputs that are a dict, a KeyError naming
the path; for metrics, a ValueError "Invalid `metrics`" - before any weight changes."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import layers


def _model(kind):
    i = keras.Input((3,))
    a = layers.Dense(1, name="output_a")(i)
    b = layers.Dense(1, name="output_b", activation="sigmoid")(i)
    return keras.Model(i, [a, b] if kind == "list" else {"output_a": a, "output_b": b})


def _y(kind):
    y1, y2 = np.full((8, 1), 0.5), np.ones((8, 1))
    return [y1, y2] if kind == "list" else {"output_a": y1, "output_b": y2}


X = np.linspace(0, 1, 24).reshape(8, 3)


def _calls(m, kind):
    y = _y(kind)
    return {"fit": lambda: m.fit(X, y, batch_size=4, verbose=0),
            "evaluate": lambda: m.evaluate(X, y, verbose=0),
            "train_on_batch": lambda: m.train_on_batch(X, y),
            "test_on_batch": lambda: m.test_on_batch(X, y)}


@pytest.mark.parametrize("call", ["fit", "evaluate", "train_on_batch", "test_on_batch"])
def test_list_outputs_dict_loss_with_an_unknown_key(call):
    m = _model("list")
    m.compile(optimizer="sgd", loss={"output_a": "mse", "output_c": "bce"})
    assert m.compiled
    before = m.get_weights()
    with pytest.raises(ValueError, match=r"Expected keys \['output_a', 'output_b'\] .*"
                                         r"found loss.keys\(\)=\['output_a', 'output_c'\]"):
        _calls(m, "list")[call]()
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("call", ["fit", "evaluate", "train_on_batch", "test_on_batch"])
def test_dict_outputs_dict_loss_with_an_unknown_key_is_a_key_error(call):
    m = _model("dict")
    m.compile(optimizer="sgd", loss={"output_a": "mse", "output_c": "bce"})
    before = m.get_weights()
    with pytest.raises(KeyError, match=r"\('output_c',\) in the `loss` argument, can't be "
                                       r"found .*\['output_a', 'output_b'\]"):
        _calls(m, "dict")[call]()
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", ["list", "dict"])
@pytest.mark.parametrize("argument", ["metrics", "weighted_metrics"])
def test_a_dict_of_metrics_with_an_unknown_key(kind, argument):
    m = _model(kind)
    m.compile(optimizer="sgd", loss="mse", **{argument: {"output_c": ["mae"]}})
    with pytest.raises(ValueError, match=rf"(?s)Invalid `{argument}`.*\['output_a', "
                                         rf"'output_b'\].*output_c"):
        m.fit(X, _y(kind), verbose=0)


def test_a_one_output_model_with_an_unknown_loss_key():
    """A one-output functional model (its output named after its last layer) given
    {'nope': 'mse'}: compile accepts it, fit raises naming the output; the right key
    trains, on the engine as any Dense chain."""
    i = keras.Input((3,))
    m = keras.Model(i, layers.Dense(1, name="out")(i))
    m.compile(optimizer="sgd", loss={"nope": "mse"})
    with pytest.raises(ValueError, match=r"Expected keys \['out'\] .*\['nope'\]"):
        m.fit(X, np.ones((8, 1)), verbose=0)
    m.compile(optimizer="sgd", loss={"out": "mse"})
    m.fit(X, np.ones((8, 1)), verbose=0)
    assert m._engine.fit_plan is not None


def test_valid_keys_and_other_structure_errors_still_fail_at_compile():
    m = _model("list")
    m.compile(optimizer="sgd", loss={"output_b": "bce", "output_a": "mse"})
    h = m.fit(X, _y("list"), verbose=0).history
    assert sorted(h) == ["loss", "output_a_loss", "output_b_loss"]
    with pytest.raises(ValueError, match=r"loss must have one entry per output"):
        m.compile(optimizer="sgd", loss=["mse", "mse", "mse"])
    with pytest.raises(ValueError, match="unknown|Unknown|could not interpret|not a"):
        m.compile(optimizer="sgd", loss={"output_c": "no_such_loss"})
