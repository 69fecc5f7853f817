"""A Rescaling first in a model (Keras' `layers.Rescaling(1 / 255)` before a Flatten and
Dense layers, or after the Flatten, with an offset, per channel) trains, evaluates and
predicts on the C engine, which rescales each gathered batch (or each block of rows) as
the layer does: x * scale, then + offset where an offset is not 0, in the model's dtype.
The same bits as the layer path, over a few rows and over the row blocks; other
Rescalings keep the layer path."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import engine, layers


def _model(case, dtype, rate=0.0, width=40):
    keras.utils.set_random_seed(0)
    if case == "scalar_then_flatten":
        front = [layers.Rescaling(1 / 255), layers.Flatten()]
    elif case == "flatten_then_offset":
        front = [layers.Flatten(), layers.Rescaling(1 / 127.5, offset=-1)]
    elif case == "per_channel":       # one scale and offset per channel (the last axis)
        front = [layers.Rescaling(np.linspace(0.001, 0.01, 5), offset=np.arange(5) * 0.1),
                 layers.Flatten()]
    else:                             # a negative scale: -0.0 for the zeros, as the layer
        front = [layers.Rescaling(-1 / 255), layers.Flatten()]
    model = keras.Sequential([keras.Input((6, 5), dtype=dtype)] + front +
                             [layers.Dense(width, activation="relu", dtype=dtype),
                              layers.Dropout(rate, dtype=dtype),
                              layers.Dense(10, dtype=dtype)])
    model.compile(optimizer="adam", metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


CASES = ["scalar_then_flatten", "flatten_then_offset", "per_channel", "negative_scale"]


def _data(n, dtype):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 255, (n, 6, 5)).astype(dtype)
    x[:, 0, :] = 0.0                  # zeros: -0.0 after a negative scale
    return x, rng.integers(0, 10, n)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES)
def test_a_rescaling_first_trains_on_the_engine_as_on_the_layer_path(monkeypatch, case,
                                                                     dtype):
    x, y = _data(160, dtype)
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model(case, dtype, rate=0.2)
        before = m.predict(x, verbose=0)
        h = m.fit(x, y, batch_size=32, epochs=2, verbose=0).history
        assert (m._engine.fit_plan is not None) == fused, m._engine.why
        out.append((before, h, m.get_weights(), m.predict(x, verbose=0),
                    m.evaluate(x, y, verbose=0)))
    (p1, h1, w1, q1, e1), (p2, h2, w2, q2, e2) = out
    assert np.array_equal(p1, p2)
    # the same bits throughout here (the float32 loss's gradient in C and on the tape
    # agree at these sizes); a looser check would hide a wrong rescale just as well
    for key in h2:
        np.testing.assert_allclose(h1[key], h2[key], rtol=1e-12)
    np.testing.assert_allclose(e1, e2, rtol=1e-12)
    for a, b in zip(w1 + [q1], w2 + [q2]):
        np.testing.assert_allclose(a, b, rtol=1e-5 if dtype == "float32" else 1e-12,
                                   atol=1e-6 if dtype == "float32" else 1e-12)


@pytest.mark.parametrize("case", CASES)
def test_predict_over_many_rows_rescales_each_block_as_the_layer(monkeypatch, case):
    x, y = _data(1000, "float32")
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = _model(case, "float32", width=256)    # (wide enough to be packed)
        out.append(m.predict(x, batch_size=1000, verbose=0))
        assert (m._engine.plan is not None) == fused
    assert np.array_equal(out[0], out[1])


@pytest.mark.parametrize("case", ["another_dtype", "after_a_normalization",
                                  "after_a_dense_layer"])
def test_other_rescalings_keep_the_layer_path(case):
    keras.utils.set_random_seed(0)
    inp = keras.Input((6, 5), dtype="float32")
    h = layers.Flatten()(inp)
    if case == "another_dtype":       # the layer computes in float64, the model float32
        h = layers.Rescaling(0.5, dtype="float64")(h)
    elif case == "after_a_normalization":
        h = layers.Rescaling(0.5)(layers.Normalization(mean=1.0, variance=4.0)(h))
    else:
        h = layers.Rescaling(0.5)(layers.Dense(8)(h))
    m = keras.Model(inp, layers.Dense(3, dtype="float32")(h))
    m.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).random((32, 6, 5)).astype(np.float32)
    h = m.fit(x, np.zeros((32, 3), np.float32), batch_size=8, epochs=1, verbose=0).history
    assert np.isfinite(h["loss"][0])
    assert m._engine.plan is None and "Rescaling" in m._engine.why


def test_the_net_refuses_an_unknown_rescale_mode():
    from cases import net_spec
    from fastnn import _kernels
    norm = {"mean": np.zeros(1), "var": np.ones(1), "stride": 0, "invert": False,
            "rescale": 3}
    with pytest.raises(ValueError, match="rescale"):
        _kernels.FusedNet([net_spec(4, 2)], 0, 1.0, False, 2, 0,
                          {"kind": _kernels.OPT_CODES["sgd"]}, 1, np.float64, norm=norm)
