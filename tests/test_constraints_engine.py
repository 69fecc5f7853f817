"""Keras' kernel constraints (MaxNorm, NonNeg, UnitNorm, MinMaxNorm over axis 0: one
weight vector per unit, as in the dropout networks' max-norm regularization) train on the
C engine: after each update of a Dense kernel the engine applies the constraint
(csrc/constraints.c) with the bits of fastnn's NumPy constraints, so the model trains as
on the layer path, bit for bit. Other constraints keep the layer path."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import _kernels, constraints, engine, layers


def _constraint(name):
    return {"MaxNorm": lambda: constraints.MaxNorm(0.5),
            "MaxNorm_int": lambda: constraints.MaxNorm(2),
            "NonNeg": constraints.NonNeg,
            "UnitNorm": constraints.UnitNorm,
            "MinMaxNorm": lambda: constraints.MinMaxNorm(0.2, 0.6, 0.5),
            "MinMaxNorm_default": constraints.MinMaxNorm}[name]()


def _params(con):
    name = type(con).__name__
    if name == "MaxNorm":
        return (float(con.max_value),)
    if name == "MinMaxNorm":
        return (con.min_value, con.max_value, con.rate)
    return ()


NAMES = ["MaxNorm", "MaxNorm_int", "NonNeg", "UnitNorm", "MinMaxNorm", "MinMaxNorm_default"]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 2), (3, 2), (7, 5), (64, 25), (300, 130), (2, 400)])
@pytest.mark.parametrize("name", NAMES)
def test_the_kernel_gives_the_numpy_constraints_bits(name, shape, dtype):
    """Against fastnn.constraints (NumPy), with a NaN, a -0.0 and a zero column
    entry: every bit the same."""
    rng = np.random.default_rng(hash((name, shape)) % 2**32)
    con = _constraint(name)
    for scale in (0.01, 0.3, 3.0):
        w = (rng.standard_normal(shape) * scale).astype(dtype)
        w[0, 0] = -0.0
        if shape[0] > 2:
            w[1, 1] = np.nan
        w[-1, -1] = 0.0
        ref = np.asarray(con(w.copy()), dtype)
        got = w.copy()
        _kernels.constrain(_kernels.CONSTRAINT_CODES[type(con).__name__], _params(con), got)
        assert np.array_equal(ref.view(np.uint8), got.view(np.uint8))


def test_the_kernel_refuses_one_column_and_unknown_codes():
    with pytest.raises(ValueError, match="2 columns"):
        _kernels.constrain(_kernels.CONSTRAINT_CODES["NonNeg"], (), np.ones((3, 1)))
    with pytest.raises(ValueError, match="unknown constraint code"):
        _kernels.constrain(99, (), np.ones((3, 2)))


def _model(name, dtype, optimizer="adam", frozen=False):
    keras.utils.set_random_seed(0)
    m = keras.Sequential([
        keras.Input((12,), dtype=dtype),
        layers.Dense(16, activation="relu", kernel_constraint=_constraint(name), dtype=dtype,
                     trainable=not frozen),
        layers.Dropout(0.2),
        layers.Dense(8, activation="tanh", dtype=dtype),
        layers.Dense(3, kernel_constraint=_constraint(name), dtype=dtype)])
    m.compile(optimizer=optimizer, metrics=["accuracy"],
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


def _runs(monkeypatch, build, x, y):
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        m = build()
        h = m.fit(x, y, batch_size=16, epochs=3, verbose=0).history
        assert (m._engine.fit_plan is not None) == fused, m._engine.why
        out.append((h, m.get_weights(), m.predict(x, verbose=0)))
    return out


def _data(dtype):
    rng = np.random.default_rng(0)
    return rng.standard_normal((200, 12)).astype(dtype), rng.integers(0, 3, 200)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", NAMES)
def test_a_constrained_model_trains_on_the_engine_as_on_the_layer_path(monkeypatch, name,
                                                                      dtype):
    x, y = _data(dtype)
    (h1, w1, p1), (h2, w2, p2) = _runs(monkeypatch, lambda: _model(name, dtype), x, y)
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-12)
    for a, b in zip(w1 + [p1], w2 + [p2]):
        np.testing.assert_allclose(a, b, rtol=1e-5 if dtype == "float32" else 1e-12,
                                   atol=1e-6 if dtype == "float32" else 1e-12)
    w = w1[0].astype(np.float64)
    norms = np.sqrt((w ** 2).sum(axis=0))
    if name == "MaxNorm":
        assert norms.max() <= 0.5 + 1e-6
    elif name == "NonNeg":
        assert w.min() >= 0
    elif name == "UnitNorm":
        np.testing.assert_allclose(norms, 1.0, rtol=1e-5)


@pytest.mark.parametrize("case", ["global_clipnorm", "frozen_first_layer"])
def test_the_other_update_paths_constrain_too(monkeypatch, case):
    """With global_clipnorm the engine updates every layer after all the gradients: the
    constraint follows each update there too; a frozen layer keeps its kernel as it is
    (Keras constrains the variables it trains)."""
    x, y = _data("float64")

    def build():
        if case == "global_clipnorm":
            return _model("MaxNorm", "float64", keras.optimizers.Adam(global_clipnorm=0.5))
        m = _model("MaxNorm", "float64", frozen=True)
        m.layers[0].kernel.assign(np.full((12, 16), 0.9))     # norms 3.1: not constrained
        return m
    (h1, w1, _), (h2, w2, _) = _runs(monkeypatch, build, x, y)
    np.testing.assert_allclose(h1["loss"], h2["loss"], rtol=1e-12)
    for a, b in zip(w1, w2):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    if case == "frozen_first_layer":
        assert np.all(w1[0] == 0.9)


@pytest.mark.parametrize("case", ["bias_constraint", "axis_1", "one_unit", "own_constraint",
                                  "use_ema", "gradient_accumulation"])
def test_other_constraints_keep_the_layer_path(case):
    keras.utils.set_random_seed(0)

    class Clip(constraints.Constraint):
        def __call__(self, w):
            return np.clip(w, -0.1, 0.1)

    kw = {"bias_constraint": {"bias_constraint": constraints.NonNeg()},
          "axis_1": {"kernel_constraint": constraints.MaxNorm(1.0, axis=1)},
          "own_constraint": {"kernel_constraint": Clip()}}.get(
        case, {"kernel_constraint": constraints.MaxNorm(1.0)})
    units = 1 if case == "one_unit" else 4
    opt = keras.optimizers.Adam(use_ema=case == "use_ema",
                                gradient_accumulation_steps=2 if case == "gradient_accumulation"
                                else None)
    m = keras.Sequential([keras.Input((5,)), layers.Dense(units, **kw), layers.Dense(2)])
    m.compile(optimizer=opt, loss="mse")
    rng = np.random.default_rng(0)
    h = m.fit(rng.random((32, 5)), rng.random((32, 2)), batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(h.history["loss"][0])
    assert m._engine.plan is None and "constraint" in m._engine.why


def test_a_new_constraint_rebuilds_the_plan(monkeypatch):
    x, y = _data("float64")
    m = _model("MaxNorm", "float64")
    m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    first = m._engine.fit_plan
    m.layers[0].kernel_constraint = constraints.MaxNorm(0.1)
    m.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert m._engine.fit_plan is not first
    w = m.get_weights()[0].astype(np.float64)
    assert np.sqrt((w ** 2).sum(axis=0)).max() <= 0.1 + 1e-6


@pytest.mark.parametrize("kcon, units", [(99, 4), (-1, 4), (1, 1)])
def test_the_net_refuses_a_bad_kernel_constraint(kcon, units):
    from cases import net_spec
    with pytest.raises(ValueError, match="kernel constraint"):
        _kernels.FusedNet([net_spec(4, units, kcon=kcon, kcon_param=(1.0,))], 0, 1.0, False,
                          units, 0, {"kind": _kernels.OPT_CODES["sgd"]}, 1, np.float64)
