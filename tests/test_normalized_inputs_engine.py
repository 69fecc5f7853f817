"""Keras' structured-data models: one Normalization (or Rescaling) per input, then a
Concatenate of all the inputs, then Dense layers. The engine joins the inputs' rows in
the Concatenate's order and applies the layers as one leading stage on the joined rows,
each layer's statistics (or scale and offset) in its input's columns and the identity in
the columns of an input without one. Checked: such models lower, with inputs of one
column or several, given as a list or a dict, joined in another order than the inputs',
with statistics adapted or given; they train, evaluate and predict with the layer path's
bits (predict's row blocks, the batch calls, validation data, an adapt() between two
calls); the models the engine refuses say which layer and train as before; and a
saved model loads and lowers again."""
import numpy as np
import pytest

import fastnn as keras
from cases import assert_reloads_alike, engine_and_layer_path_runs
from fastnn import engine, layers

# The inputs' widths (in the order of model.inputs) of each case, the order the
# Concatenate joins them in, and the layer on each input ("norm": adapted, "given":
# mean= and variance=, "scalar": adapted with axis=None, "inv" / "inv_given": invert=True,
# "scale": a Rescaling without offset, "offset": one with an offset per feature, None: the
# input as it is).
CASES = {
    # Keras' example: a feature per input, each adapted, joined in their order
    "one_column_inputs": ({"age": 1, "fare": 1, "hours": 1, "score": 1},
                          ["age", "fare", "hours", "score"],
                          {"age": "norm", "fare": "norm", "hours": "norm", "score": "norm"}),
    # inputs of several columns in a dict, joined in another order
    "wide_inputs_in_another_order": ({"a": 3, "b": 2, "c": 4}, ["c", "a", "b"],
                                     {"a": "given", "b": "scalar", "c": "norm"}),
    "some_inputs_as_they_are": ({"a": 1, "b": 2, "c": 1, "d": 3}, ["d", "b", "a", "c"],
                                {"a": "norm", "b": None, "c": "given", "d": None}),
    "inverted": ({"a": 3, "b": 2, "c": 1}, ["b", "c", "a"],
                 {"a": "inv", "b": "inv_given", "c": None}),
    "rescaled": ({"a": 3, "b": 2, "c": 2}, ["a", "c", "b"],
                 {"a": "scale", "b": "offset", "c": None}),
    "rescaled_without_offsets": ({"a": 1, "b": 1, "c": 2}, ["b", "a", "c"],
                                 {"a": "scale", "b": "negative_scale", "c": None}),
}
# the cases whose inputs are a list (the others: a dict by name)
_AS_LIST = ("one_column_inputs", "some_inputs_as_they_are", "rescaled_without_offsets")


def _data(case, n=240, dtype="float64", seed=1):
    """Inputs of other scales and means each, with exact zeros (and -0.0), and 0/1 labels."""
    widths = CASES[case][0]
    rng = np.random.default_rng(seed)
    x = {}
    for i, (name, w) in enumerate(widths.items()):
        a = rng.standard_normal((n, w)) * 10 ** (i - 1) + 3 * i
        a[::7] = 0.0
        a[3::7] = -0.0
        x[name] = a.astype(dtype)
    return x, (rng.random(n) > 0.5).astype(dtype)


def _front(kind, name, data, dtype):
    """The layer `kind` on input `name` (adapted on data[name]), or None."""
    w = data[name].shape[1]
    if kind in ("norm", "scalar", "inv"):
        layer = layers.Normalization(axis=None if kind == "scalar" else -1,
                                     invert=kind == "inv", dtype=dtype, name=f"norm_{name}")
        layer.adapt(data[name])
        return layer
    if kind in ("given", "inv_given"):
        return layers.Normalization(mean=np.linspace(-1, 2, w), variance=np.linspace(0.5, 4, w),
                                    invert=kind == "inv_given", dtype=dtype, name=f"norm_{name}")
    if kind == "scale":
        return layers.Rescaling(1 / 255, dtype=dtype, name=f"rescale_{name}")
    if kind == "negative_scale":
        return layers.Rescaling(-0.3, dtype=dtype, name=f"rescale_{name}")
    if kind == "offset":
        return layers.Rescaling(np.linspace(0.1, 0.2, w), offset=-1.0, dtype=dtype,
                                name=f"rescale_{name}")
    return None


def _model(case, dtype="float64", data=None, fronts=None, units=32, rate=0.5):
    """The case's model as Keras' structured-data examples make it: an Input per
    feature (group), a Normalization (or Rescaling) on each, a Concatenate, a Dense
    layer, Dropout and a sigmoid output. fronts: the layers on the inputs instead of the
    case's (name -> kind)."""
    widths, order, kinds = CASES[case]
    data = _data(case, dtype=dtype)[0] if data is None else data
    keras.utils.set_random_seed(0)
    inputs = {name: keras.Input(shape=(w,), name=name, dtype=dtype)
              for name, w in widths.items()}
    encoded = {}
    for name, kind in (fronts or kinds).items():
        layer = _front(kind, name, data, dtype)
        encoded[name] = inputs[name] if layer is None else layer(inputs[name])
    x = layers.Concatenate(dtype=dtype)([encoded[name] for name in order])
    x = layers.Dense(units, activation="relu", dtype=dtype)(x)
    x = layers.Dropout(rate, dtype=dtype)(x)
    out = layers.Dense(1, activation="sigmoid", dtype=dtype)(x)
    model = keras.Model(list(inputs.values()) if case in _AS_LIST else inputs, out)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _assert_lowered(m):
    plan = m._engine.plan
    assert m._engine.why is None and plan is not None, m._engine.why
    # the inputs' layers come first in the chain the engine runs, as one stage on the
    # joined rows (one input part)
    assert any(layer is not None for layer in m._chain_pre()) and plan.parts == ()


def _assert_same_bits(a, b):
    """Two runs of (predictions before, history, weights, predictions after, evaluate)."""
    assert np.array_equal(a[0], b[0])
    assert a[1] == b[1]
    assert len(a[2]) == len(b[2])
    assert all(np.array_equal(u, v) for u, v in zip(a[2], b[2]))
    assert np.array_equal(a[3], b[3])
    assert a[4] == b[4]


def _runs(monkeypatch, build, x, y, epochs=3, batch_size=32):
    """The model build() makes fitted on the engine (asserted) and on the layer path."""
    return engine_and_layer_path_runs(monkeypatch, build, x, y, epochs=epochs,
                                      batch_size=batch_size, lowered=_assert_lowered)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", list(CASES))
def test_inputs_normalized_then_joined_train_on_the_engine_as_on_the_layer_path(
        monkeypatch, case, dtype):
    x, y = _data(case, dtype=dtype)
    if case == "some_inputs_as_they_are":   # a list of arrays (the other cases: a dict by
        x = list(x.values())                # name, for a list of inputs or a dict of them)
    runs = _runs(monkeypatch, lambda: _model(case, dtype), x, y)
    _assert_same_bits(*runs)


def test_one_column_inputs_take_a_dict_of_columns(monkeypatch):
    """Keras' example fits on dict(dataframe): one 1-D array per input of one column."""
    x, y = _data("one_column_inputs")
    columns = {k: v[:, 0] for k, v in x.items()}
    runs = _runs(monkeypatch, lambda: _model("one_column_inputs"), columns, y)
    _assert_same_bits(*runs)


@pytest.mark.parametrize("case", ["wide_inputs_in_another_order", "inverted", "rescaled"])
def test_predict_and_evaluate_over_many_rows_take_the_row_blocks_as_the_layer_path(
        monkeypatch, case):
    x, y = _data(case, n=1000, dtype="float32")
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model(case, "float32", units=256)       # (wide enough to be packed)
        out.append((m.predict(x, batch_size=1000, verbose=0),
                    m.evaluate(x, y, batch_size=1000, verbose=0)))
        assert (m._engine.plan is not None) == fused, m._engine.why
    assert np.array_equal(out[0][0], out[1][0])
    assert out[0][1] == out[1][1]


def test_the_batch_calls_validation_data_and_a_dataset_run_on_the_engine(monkeypatch):
    """train_on_batch, test_on_batch, predict_on_batch, validation_data and a Dataset of
    (dict of features, labels), as Keras' structured-data example feeds its model."""
    case = "wide_inputs_in_another_order"
    x, y = _data(case)
    vx, vy = _data(case, n=50, seed=2)
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model(case)
        logs = [m.train_on_batch({k: v[i:i + 40] for k, v in x.items()}, y[i:i + 40])
                for i in range(0, 120, 40)]
        if fused:
            _assert_lowered(m)
        logs.append(m.test_on_batch(x, y))
        pred = m.predict_on_batch(x)
        h = m.fit(x, y, batch_size=16, epochs=2, verbose=0, validation_data=(vx, vy)).history
        ds = keras.data.Dataset.from_tensor_slices((x, y)).batch(24)
        h2 = m.fit(ds, epochs=1, shuffle=False, verbose=0).history
        out.append((logs, pred, h, h2, m.get_weights()))
    assert out[0][0] == out[1][0]
    assert np.array_equal(out[0][1], out[1][1])
    assert out[0][2] == out[1][2] and "val_loss" in out[0][2]
    assert out[0][3] == out[1][3]
    assert all(np.array_equal(a, b) for a, b in zip(out[0][4], out[1][4]))


class _AdaptAfterFirstEpoch(keras.callbacks.Callback):
    def __init__(self, layer, data):
        super().__init__()
        self.layer, self.data = layer, data

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            self.layer.adapt(self.data)


def test_an_adapt_between_calls_is_seen_as_on_the_layer_path(monkeypatch):
    """The engine copies each input's adapted statistics into the joined stage: a new
    adapt() (in a callback between epochs, or between two calls) or set_weights is seen,
    as on the layer path."""
    case = "wide_inputs_in_another_order"
    x, y = _data(case)
    other, _ = _data(case, seed=5)
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model(case)
        norm = m.get_layer("norm_c")
        h = m.fit(x, y, batch_size=32, epochs=3, verbose=0,
                  callbacks=[_AdaptAfterFirstEpoch(norm, other["c"] * 3 + 1)]).history
        assert (m._engine.plan is not None) == fused, m._engine.why
        m.get_layer("norm_b").adapt(other["b"] - 2)
        p1 = m.predict(x, verbose=0)
        weights = m.get_weights()
        weights = [w * 2 + 1 if w.shape == norm.adapt_mean.shape
                   and np.array_equal(w, norm.adapt_mean) else w for w in weights]
        m.set_weights(weights)
        out.append((h, p1, m.predict(x, verbose=0), m.evaluate(x, y, verbose=0)))
    assert out[0][0] == out[1][0]
    for a, b in zip(out[0][1:], out[1][1:]):
        assert np.array_equal(a, b)
    assert not np.array_equal(out[0][1], out[0][2])     # (the new mean was taken)


@pytest.mark.parametrize("case", list(CASES))
def test_the_joined_stage_gives_each_layers_bits_signs_of_zeros_included(case):
    """The values the engine's leading stage takes, applied to the joined rows as the C
    stage computes them (csrc/train_impl.inc, fnn_input_norm: (x - mean) / s, mean + x * s
    with invert, x * s, then + offset for a Rescaling with one), give the Concatenate's
    output of the layer path bit for bit, -0.0 included (an input without a layer keeps
    its -0.0; so does a Rescaling's product without an offset)."""
    dtype = np.float32
    x, _ = _data(case, n=70, dtype="float32")
    x["c" if "c" in x else "age"][5, 0] = -0.0
    m = _model(case, "float32", data=x)
    norm = engine._joined_input_norm(m, np.dtype(dtype))
    norm.pop("sync")
    order = [m.inputs[i].name for i in m._join_order()]
    joined = np.concatenate([x[name] for name in order], axis=1)
    mean, var = norm["mean"], norm["var"]
    with np.errstate(all="ignore"):
        if norm["rescale"]:
            got = joined * var
            if norm["rescale"] == 2:
                got = got + mean
        else:
            s = np.maximum(np.sqrt(var), dtype(1e-7))
            got = mean + joined * s if norm["invert"] else (joined - mean) / s
    concat = m.get_layer(index=[type(la).__name__ for la in m.layers].index("Concatenate"))
    probe = keras.Model(m.inputs, concat.output)
    want = probe.predict([x[t.name] for t in m.inputs], verbose=0)
    assert got.dtype == want.dtype == dtype
    assert np.array_equal(got, want) and np.array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("case, fronts, named", [
    # a Normalization on one input and a Rescaling on another: one kind of stage
    ("wide_inputs_in_another_order", {"a": "norm", "b": "scale", "c": None},
     ["'norm_a' (Normalization)", "'rescale_b' (Rescaling)"]),
    # invert=True on one input and not on another
    ("inverted", {"a": "inv", "b": "given", "c": None}, ["'norm_a'", "'norm_b'"]),
])
def test_inputs_the_engine_does_not_join_train_on_the_layer_path_with_a_reason(
        monkeypatch, case, fronts, named):
    x, y = _data(case)
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model(case, fronts=fronts)
        before = m.predict(x, verbose=0)
        h = m.fit(x, y, batch_size=32, epochs=2, verbose=0).history
        assert m._engine.plan is None
        if fused:
            assert all(n in m._engine.why for n in named), m._engine.why
        out.append((before, h, m.get_weights(), m.predict(x, verbose=0),
                    m.evaluate(x, y, verbose=0)))
    _assert_same_bits(*out)


@pytest.mark.parametrize("case", ["normalization_of_another_dtype",
                                  "rescaling_of_another_dtype"])
def test_a_layer_of_another_dtype_keeps_the_layer_path(case):
    keras.utils.set_random_seed(0)
    a, b = keras.Input((2,), name="a"), keras.Input((3,), name="b")
    if case == "normalization_of_another_dtype":
        front = layers.Normalization(mean=1.0, variance=4.0, dtype="float64", name="front")
    else:
        front = layers.Rescaling(0.5, dtype="float64", name="front")
    h = layers.Concatenate()([b, front(a)])
    m = keras.Model([a, b], layers.Dense(1)(layers.Dense(4, activation="relu")(h)))
    m.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    x = [rng.random((32, 2), np.float32), rng.random((32, 3), np.float32)]
    h = m.fit(x, rng.random((32, 1), np.float32), batch_size=8, epochs=2, verbose=0).history
    assert np.all(np.isfinite(h["loss"]))
    assert m._engine.plan is None and "'front'" in m._engine.why


@pytest.mark.parametrize("case", ["one_column_inputs", "rescaled"])
def test_a_saved_model_loads_and_lowers_again(case, tmp_path):
    x, y = _data(case)
    m = _model(case)
    m.fit(x, y, batch_size=32, epochs=2, verbose=0)
    _assert_lowered(m)
    pred = m.predict(x, verbose=0)
    r = assert_reloads_alike(m, x, pred, tmp_path)
    _assert_lowered(r)
    assert np.array_equal(r.predict(x, verbose=0), pred)


def test_a_custom_loss_trains_such_a_model_on_the_engine(monkeypatch):
    """A loss written in Python: the network's steps in C (the joined stage too), the
    loss on the tape."""
    case = "some_inputs_as_they_are"
    x, y = _data(case)

    def squared(y_true, y_pred):
        return keras.ops.mean(keras.ops.square(y_true - y_pred))

    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model(case)
        m.compile(optimizer="adam", loss=squared)
        h = m.fit(x, y[:, None], batch_size=32, epochs=2, verbose=0).history
        assert (m._engine.custom_plan is not None) == fused
        out.append((h, m.get_weights(), m.predict(x, verbose=0)))
    np.testing.assert_allclose(out[0][0]["loss"], out[1][0]["loss"], rtol=1e-12)
    for a, b in zip(out[0][1] + [out[0][2]], out[1][1] + [out[1][2]]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


# Models whose inputs are each taken by a layer of their own (not joined first), some
# through a Normalization or Rescaling: HOML's wide-and-deep model (chapter 10: the wide
# input's Normalization joined late, the deep input's before two Dense layers), with an
# auxiliary output, and other fronts. The engine reads the inputs as parts side by side
# and applies the layers as one stage in each part's columns.
def _wide_and_deep(dtype, fronts=("norm", "norm"), aux=False):
    rng = np.random.default_rng(3)
    data = {"wide": (rng.standard_normal((240, 5)) * 4 + 2).astype(dtype),
            "deep": (rng.standard_normal((240, 6)) * 0.3 - 1).astype(dtype)}
    data["wide"][::9] = -0.0
    keras.utils.set_random_seed(0)
    wide = keras.Input(shape=(5,), name="wide", dtype=dtype)
    deep = keras.Input(shape=(6,), name="deep", dtype=dtype)
    t = {}
    for name, inp, kind in (("wide", wide, fronts[0]), ("deep", deep, fronts[1])):
        layer = _front(kind, name, data, dtype)
        t[name] = inp if layer is None else layer(inp)
    h1 = layers.Dense(30, activation="relu", dtype=dtype)(t["deep"])
    h2 = layers.Dense(30, activation="relu", dtype=dtype)(h1)
    concat = layers.Concatenate(dtype=dtype)([t["wide"], h2])
    out = layers.Dense(1, dtype=dtype, name="main")(concat)
    if aux:
        model = keras.Model([wide, deep], [out, layers.Dense(1, dtype=dtype, name="aux")(h2)])
        model.compile(loss=("mse", "mse"), loss_weights=(0.9, 0.1), optimizer="adam",
                      metrics=["RootMeanSquaredError", "RootMeanSquaredError"])
    else:
        model = keras.Model([wide, deep], out)
        model.compile(loss="mse", optimizer="adam", metrics=["RootMeanSquaredError"])
    y = (data["wide"][:, :1] * 0.3 + data["deep"][:, 1:2]).astype(dtype)
    return model, [data["wide"], data["deep"]], ((y, y) if aux else y)


def _assert_parts_lowered(m):
    plan = m._engine.plan
    assert m._engine.why is None and plan is not None, m._engine.why
    assert plan.parts == (5, 6) and any(layer is not None for layer in m._chain_pre())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("fronts, aux", [
    (("norm", "norm"), False), (("norm", "norm"), True),      # HOML's two models
    (("given", None), False), (("inv", "inv_given"), False),
    (("scale", "offset"), True), ((None, "scalar"), False)])
def test_inputs_normalized_and_taken_apart_train_on_the_engine_as_on_the_layer_path(
        monkeypatch, dtype, fronts, aux):
    _, x, y = _wide_and_deep(dtype, fronts, aux)
    runs = engine_and_layer_path_runs(
        monkeypatch, lambda: _wide_and_deep(dtype, fronts, aux)[0], x, y, epochs=3,
        batch_size=32, lowered=_assert_parts_lowered)
    (p1, h1, w1, q1, e1), (p2, h2, w2, q2, e2) = runs
    for a, b in ((p1, p2), (q1, q2)):
        a, b = (a, b) if aux else ([a], [b])
        assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert h1 == h2 and e1 == e2
    assert all(np.array_equal(u, v) for u, v in zip(w1, w2))


def test_inputs_taken_apart_predict_over_many_rows_and_see_an_adapt(monkeypatch):
    """predict's row blocks on the parts, and an adapt() between two calls."""
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m, x, y = _wide_and_deep("float32", aux=True)
        big = [np.tile(a, (5, 1)) for a in x]
        first = m.predict(big, batch_size=1000, verbose=0)
        wide_norm = next(layer for layer in m.layers if layer.name == "norm_wide")
        wide_norm.adapt(x[0][:40] * 3)
        h = m.fit(x, y, batch_size=16, epochs=2, verbose=0).history
        if fused:
            _assert_parts_lowered(m)
        out.append((first, m.predict(big, batch_size=1000, verbose=0), h))
    for a, b in zip(out[0][:2], out[1][:2]):
        assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert out[0][2] == out[1][2]


def test_an_input_read_through_its_normalization_and_as_it_is_keeps_the_layer_path(
        monkeypatch):
    """The engine holds one copy of each input: normalised for every layer or for none."""
    def build():
        m, x, y = _wide_and_deep("float64")
        wide, deep = m.inputs
        norm = layers.Normalization(mean=1.0, variance=4.0, dtype="float64")
        h = layers.Dense(4, activation="relu", dtype="float64")(norm(wide))
        h = layers.Concatenate(dtype="float64")([h, wide])
        m2 = keras.Model([wide, deep], layers.Dense(1, dtype="float64")(
            layers.Concatenate(dtype="float64")([h, deep])))
        m2.compile(loss="mse", optimizer="adam")
        return m2, x, y
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m, x, y = build()
        h = m.fit(x, y, batch_size=32, epochs=2, verbose=0).history
        assert m._engine.plan is None
        out.append((h, m.get_weights()))
    assert out[0][0] == out[1][0]
    assert all(np.array_equal(u, v) for u, v in zip(out[0][1], out[1][1]))
