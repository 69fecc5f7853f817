"""The structures a functional model takes and gives, as Keras 3 has them: what
Model(inputs, outputs) accepts (KerasTensors only, in nested lists, tuples and dicts,
kept as given in its config), what a call accepts (the same structure, a dict by
name, a list of one for one input; None and wrong shapes refused by input name, in a
call and in fit / evaluate / predict), and model.layers listing layers only (the
keras.ops calls on the graph's tensors are operations: the summary, the picture and
clone_model still have them)."""
import json

import numpy as np
import pytest

import fastnn as keras
from fastnn import layers, ops
from fastnn.models import Functional, model_from_json

RNG = np.random.default_rng(0)


def _dense_ref(layer, x):
    """The layer's output in NumPy: its inputs cast to its dtype first, as the layer
    casts them (float64 inputs to a float32 layer are rounded before the product)."""
    kernel, bias = layer.get_weights()
    return np.asarray(x, kernel.dtype) @ kernel + bias


# ---------------------------------------------------------------- Model(inputs, outputs)
@pytest.mark.parametrize("where", ["inputs", "outputs"])
@pytest.mark.parametrize("bad", ["a_name", 3.0, None])
def test_a_non_tensor_in_inputs_or_outputs_is_a_value_error_naming_it(where, bad):
    a = keras.Input((3,), name="a")
    out = layers.Dense(2)(a)
    args = {"inputs": {"a": bad}, "outputs": out} if where == "inputs" else \
        {"inputs": a, "outputs": [out, bad]}
    with pytest.raises(ValueError, match=rf"Model: {where} must be symbolic tensors made by "
                                         rf"keras.Input and layer calls, got {type(bad).__name__}"):
        Functional(**args)


def test_a_layer_object_as_output_says_to_call_it():
    with pytest.raises(ValueError, match="outputs must be symbolic tensors.*got Dense.*call the "
                                         "layer on a tensor"):
        keras.Model(keras.Input((3,)), layers.Dense(2))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_tuple_outputs_round_trip_through_the_config_as_a_tuple(dtype):
    a = keras.Input((3,), name="a", dtype=dtype)
    h = layers.Dense(5, dtype=dtype)(a)
    model = Functional(a, (layers.Dense(4, dtype=dtype)(h), layers.Dense(2, dtype=dtype)(h)))
    config = model.get_config()
    assert isinstance(config["output_layers"], tuple) and len(config["output_layers"]) == 2
    again = Functional.from_config(config)
    again.set_weights(model.get_weights())
    x = RNG.random((6, 3)).astype(dtype)
    out, ref = again(x), model(x)
    assert isinstance(out, tuple) and isinstance(ref, tuple)
    for o, r in zip(out, ref):
        assert np.asarray(o).dtype == dtype
        np.testing.assert_array_equal(np.asarray(o), np.asarray(r))
    assert isinstance(again(keras.Input((3,), dtype=dtype)), tuple)
    # JSON has no tuples: through JSON the outputs come back as a list, as in Keras
    via_json = model_from_json(model.to_json())
    assert isinstance(via_json(x), list)


def test_the_config_keeps_the_nesting_the_model_was_made_with():
    a = keras.Input((3,), name="a")
    dense = layers.Dense(4, name="d")
    out = dense(a)
    for inputs, refs in ((a, ["a", 0, 0]), ([a], [["a", 0, 0]]), ([[a]], [[["a", 0, 0]]])):
        model = Functional(inputs, [out])
        config = model.get_config()
        assert config["input_layers"] == refs
        assert config["output_layers"] == [["d", 0, 0]]
        text = model.to_json()
        again = model_from_json(text)
        assert again.to_json() == text
        assert again.get_config()["input_layers"] == refs
        # the model still takes and gives one array
        again.set_weights(model.get_weights())
        x = RNG.random((2, 3))
        np.testing.assert_allclose(np.asarray(again(x)), _dense_ref(dense, x), rtol=1e-6)
        np.testing.assert_allclose(np.asarray(again([x])), _dense_ref(dense, x), rtol=1e-6)


# ---------------------------------------------------------------- calling the model
def _two_dicts():
    i1, i2, i3 = keras.Input((1,), name="i1"), keras.Input((2,), name="i2"), \
        keras.Input((3,), name="i3")
    d1, d2, d3 = layers.Dense(1), layers.Dense(2), layers.Dense(3)
    model = keras.Model({"1": i1, "others": {"2": i2, "3": i3}},
                        {"1": d1(i1), "others": {"2": d2(i2), "3": d3(i3)}})
    return model, (d1, d2, d3)


def test_nested_dicts_of_inputs_and_outputs(tmp_path):
    model, (d1, d2, d3) = _two_dicts()
    x = {"1": RNG.random((4, 1)), "others": {"2": RNG.random((4, 2)), "3": RNG.random((4, 3))}}
    out = model(x)
    assert set(out) == {"1", "others"} and set(out["others"]) == {"2", "3"}
    np.testing.assert_allclose(np.asarray(out["1"]), _dense_ref(d1, x["1"]), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(out["others"]["2"]),
                               _dense_ref(d2, x["others"]["2"]), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(out["others"]["3"]),
                               _dense_ref(d3, x["others"]["3"]), rtol=1e-6)
    sym = model({"1": keras.Input((1,)), "others": {"2": keras.Input((2,)),
                                                    "3": keras.Input((3,))}})
    assert sym["others"]["3"].shape == (None, 3)
    path = tmp_path / "nested.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    again = loaded(x)
    for got, ref in ((again["1"], out["1"]), (again["others"]["2"], out["others"]["2"]),
                     (again["others"]["3"], out["others"]["3"])):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(ref))
    with pytest.raises(ValueError, match=r"missing inputs \['3'\]"):
        model({"1": x["1"], "others": {"2": x["others"]["2"]}})
    with pytest.raises(ValueError, match=r"expected a dict of inputs with keys \['2', '3'\] "
                                         r"\(the model takes 2 named input\(s\)"):
        model({"1": x["1"], "others": [x["others"]["2"], x["others"]["3"]]})


def test_bad_inputs_are_value_errors_saying_what_the_model_expects():
    a = keras.Input((4,), name="a")
    one = Functional(a, layers.Dense(2)(a))
    with pytest.raises(ValueError, match=r"expects 1 input, got a list of 2 items"):
        one([np.zeros((2, 4)), np.zeros((2, 4))])
    with pytest.raises(ValueError, match=r"expects 1 input, named 'a'; got a dict with keys "
                                         r"\['b'\]"):
        one({"b": np.zeros((2, 4))})
    b = keras.Input((4,), name="b")
    out = layers.Dense(2)(ops.add(a, b))
    listed = Functional([a, b], out)
    with pytest.raises(ValueError, match=r"expects 2 inputs \(a list\), got ndarray of shape "
                                         r"\(2, 3\)"):
        listed(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"the input 'a' expected shape=\(None, 4\), found "
                                         r"shape=\(2, 3\)"):
        listed([np.zeros((2, 3)), np.zeros((2, 4))])
    named = Functional({"a": a, "b": b}, out)
    with pytest.raises(ValueError, match=r"expected a dict of inputs with keys \['a', 'b'\] "
                                         r"\(the model takes 2 named input\(s\) with keys"):
        named(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"the input 'b' expected shape=\(None, 4\), found "
                                         r"shape=\(2, 5\)"):
        named({"a": np.zeros((2, 4)), "b": np.zeros((2, 5))})
    # the right structures still compute the same thing
    x, y = RNG.random((3, 4)), RNG.random((3, 4))
    np.testing.assert_array_equal(np.asarray(listed([x, y])), np.asarray(named({"a": x, "b": y})))
    np.testing.assert_array_equal(np.asarray(listed({"a": x, "b": y})),
                                  np.asarray(named({"a": x, "b": y})))


def test_none_for_an_input_is_refused_by_name():
    a, b = keras.Input((2,), name="input1"), keras.Input((2,), name="input2")
    model = keras.Model({"input1": a, "input2": b}, layers.Add()([a, b]))
    with pytest.raises(ValueError, match="the input 'input2' is not optional, but None was passed"):
        model({"input1": np.ones((2, 2)), "input2": None})
    listed = keras.Model([a, b], layers.Add()([a, b]))
    with pytest.raises(ValueError, match="the input 'input1' is not optional"):
        listed([None, np.ones((2, 2))])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="the input 'input2' is not optional"):
        model.fit({"input1": np.ones((4, 2)), "input2": None}, np.ones((4, 2)), verbose=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_one_input_model_takes_its_array_in_a_list_of_one_and_refuses_none(dtype):
    def make():
        keras.utils.set_random_seed(4)
        x = keras.Input((3,), name="x", dtype=dtype)
        return keras.Model(x, layers.Dense(1, dtype=dtype)(layers.Dense(4, dtype=dtype)(x)))
    x, y = RNG.random((16, 3)).astype(dtype), RNG.random((16, 1)).astype(dtype)
    ref, model = make(), make()
    for m in (ref, model):
        m.compile(optimizer="sgd", loss="mse")
    h_ref = ref.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    h = model.fit([x], y, batch_size=4, epochs=2, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h["loss"], h_ref["loss"], rtol=1e-6)
    for w, w_ref in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(w, w_ref, rtol=1e-6)
    np.testing.assert_allclose(model.predict([x], verbose=0), ref.predict(x, verbose=0),
                               rtol=1e-6)
    assert model.evaluate([x], y, verbose=0) == pytest.approx(ref.evaluate(x, y, verbose=0))
    for call in (lambda: model.fit([None], y, verbose=0),
                 lambda: model.evaluate([None], y, verbose=0),
                 lambda: model.predict([None], verbose=0),
                 lambda: model([None])):
        with pytest.raises(ValueError, match="the input 'x' is not optional, but None was "
                                             "passed"):
            call()
    with pytest.raises(ValueError, match="expects 1 input, got a list of 2 items"):
        model.fit([x, x], y, verbose=0)


# ---------------------------------------------------------------- model.layers
def _with_ops():
    a = keras.Input((3,), name="input_a")
    b = keras.Input((3,), name="input_b")
    x = layers.Dense(5, name="dense_1")(a + b)
    out = layers.Dense(4, name="dense_2")(ops.relu(x))
    return keras.Model([a, b], out)


def test_model_layers_lists_layers_not_the_ops_on_its_tensors():
    model = _with_ops()
    assert [layer.name for layer in model.layers] == ["input_a", "input_b", "dense_1", "dense_2"]
    assert model.get_layer(index=2).name == "dense_1"
    with pytest.raises(ValueError, match="no layer named 'add"):
        model.get_layer(name=model._graph_layers[2].name)
    assert len(model.weights) == 4
    # the summary still shows every operation of the graph, as Keras' does
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "(OpLayer)" in text and "dense_1[0][0]" in text and "Total params: 44" in text


def test_a_model_with_ops_clones_and_trains_and_is_drawn_whole():
    from fastnn.visualization import _graph_of
    model = _with_ops()
    clone = keras.models.clone_model(model)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    clone.set_weights(model.get_weights())
    x = [RNG.random((5, 3)), RNG.random((5, 3))]
    d1, d2 = model.get_layer("dense_1"), model.get_layer("dense_2")
    ref = _dense_ref(d2, np.maximum(_dense_ref(d1, x[0] + x[1]), 0))
    np.testing.assert_allclose(np.asarray(model(x)), ref, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(clone(x)), ref, rtol=1e-5)
    drawn, edges, _ = _graph_of(model)
    assert len(drawn) == 6 and len(edges) == 5       # the two ops are boxes too
    model.compile(optimizer="sgd", loss="mse")
    before = model.evaluate(x, ref + 1.0, verbose=0)
    model.fit(x, ref + 1.0, epochs=5, verbose=0)
    assert model.evaluate(x, ref + 1.0, verbose=0) < before


def test_predict_on_batch_takes_a_structure_of_inputs():
    """predict_on_batch of a two-input model takes the list of arrays (it used to refuse
    it as a ragged array) and gives predict's outputs; a model's own predict_step is
    what it runs, as in Keras."""
    a, b = keras.Input((2,)), keras.Input((3,))
    m = keras.Model([a, b], layers.Add()([layers.Dense(2)(a), layers.Dense(2)(b)]))
    x = [np.ones((3, 2), np.float32), np.arange(9, dtype=np.float32).reshape(3, 3)]
    out = m.predict_on_batch(x)
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, m.predict(x, verbose=0))
    np.testing.assert_array_equal(m.predict_on_batch({a.name: x[0], b.name: x[1]}), out)

    class Doubled(keras.Sequential):
        def predict_step(self, data):
            return super().predict_step(data) * 2

    d = Doubled([keras.Input((2,)), layers.Dense(1)])
    xs = np.ones((4, 2), np.float32)
    np.testing.assert_allclose(d.predict_on_batch(xs), 2 * d(xs).numpy())


def test_a_dict_of_inputs_with_extra_entries_warns_and_ignores_them():
    import warnings
    a, b = keras.Input((2,), name="a"), keras.Input((3,), name="b")
    m = keras.Model({"a": a, "b": b}, layers.Dense(1)(layers.Concatenate()([a, b])))
    x = {"a": np.ones((4, 2), np.float32), "b": np.ones((4, 3), np.float32)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")         # no warning for the inputs it takes
        want = m(x)
    with pytest.warns(UserWarning, match=r"doesn't match the expected structure(.|\n)*\['c'\]"):
        got = m(dict(x, c=np.zeros((4, 5))))
    np.testing.assert_array_equal(got, want)
