"""fastnn.constraints (keras.constraints): Keras' formulas against NumPy, constraints
applied after each optimizer update (layer path; the C engine refuses constrained
weights), saving round trips, bad arguments."""
import numpy as np
import pytest

import fastnn
from fastnn import constraints, layers

EPS = 1e-7


def _ref(name, w, axis=0, **kw):
    w = np.asarray(w, np.float64)
    if name == "non_neg":
        return np.maximum(w, 0)
    norms = np.sqrt(np.sum(w * w, axis=axis, keepdims=True))
    if name == "unit_norm":
        return w / (EPS + norms)
    if name == "max_norm":
        return w * np.clip(norms, 0, kw.get("max_value", 2)) / (EPS + norms)
    desired = kw.get("rate", 1.0) * np.clip(norms, kw.get("min_value", 0.0),
                                            kw.get("max_value", 1.0)) \
        + (1 - kw.get("rate", 1.0)) * norms
    return w * desired / (EPS + norms)


CASES = [("max_norm", constraints.MaxNorm, {}), ("max_norm", constraints.MaxNorm,
                                                {"max_value": 0.7, "axis": 1}),
         ("non_neg", constraints.NonNeg, {}), ("unit_norm", constraints.UnitNorm, {}),
         ("unit_norm", constraints.UnitNorm, {"axis": 1}),
         ("min_max_norm", constraints.MinMaxNorm, {}),
         ("min_max_norm", constraints.MinMaxNorm,
          {"min_value": 0.5, "max_value": 2.0, "rate": 0.7, "axis": 1})]


@pytest.mark.parametrize("dtype,rtol", [("float32", 1e-6), ("float64", 1e-12)])
@pytest.mark.parametrize("name,cls,kw", CASES)
def test_matches_numpy(name, cls, kw, dtype, rtol):
    w = np.random.default_rng(0).normal(scale=3, size=(5, 7)).astype(dtype)
    w[:, 0] = 0.0                                   # a zero column: no division by zero
    out = cls(**kw)(w)
    assert out.dtype == np.dtype(dtype) and out.shape == w.shape
    np.testing.assert_allclose(out, _ref(name, w, **kw), rtol=rtol, atol=rtol)
    assert np.all(np.isfinite(out))


def test_names_and_get():
    for name, cls in [("max_norm", constraints.MaxNorm), ("non_neg", constraints.NonNeg),
                      ("unit_norm", constraints.UnitNorm),
                      ("min_max_norm", constraints.MinMaxNorm),
                      ("MaxNorm", constraints.MaxNorm)]:
        assert type(constraints.get(name)) is cls
    assert constraints.get(None) is None
    c = constraints.MaxNorm(3)
    assert constraints.get(c) is c
    assert type(constraints.get(constraints.UnitNorm)) is constraints.UnitNorm
    fn = lambda w: w  # noqa: E731
    assert constraints.get(fn) is fn
    assert constraints.max_norm is constraints.MaxNorm
    assert fastnn.keras.constraints.NonNeg is constraints.NonNeg
    assert constraints.serialize(c) == {"class_name": "MaxNorm",
                                        "config": {"max_value": 3, "axis": 0}}
    back = constraints.get(constraints.serialize(constraints.MinMaxNorm(0.1, 0.9, 0.5, 1)))
    assert back.get_config() == {"min_value": 0.1, "max_value": 0.9, "rate": 0.5, "axis": 1}
    assert constraints.serialize(None) is None


def test_bad_arguments():
    with pytest.raises(ValueError, match="Could not interpret constraint"):
        constraints.get("typo")
    with pytest.raises(ValueError, match="Could not interpret constraint"):
        constraints.get(3)
    with pytest.raises(ValueError, match="unknown class_name"):
        constraints.get({"class_name": "Nope", "config": {}})
    with pytest.raises(TypeError, match="max_value"):
        constraints.MaxNorm("2")
    with pytest.raises(ValueError, match="max_value"):
        constraints.MaxNorm(-1.0)
    with pytest.raises(TypeError, match="axis"):
        constraints.UnitNorm(axis=0.5)
    with pytest.raises(ValueError, match="must be >= min_value"):
        constraints.MinMaxNorm(min_value=2.0, max_value=1.0)
    with pytest.raises(ValueError, match="rate"):
        constraints.MinMaxNorm(rate=-0.1)
    with pytest.raises(ValueError, match="out of range"):
        constraints.UnitNorm(axis=2)(np.ones((2, 3)))
    with pytest.raises(ValueError, match="cannot serialise"):
        constraints.serialize(lambda w: w)
    with pytest.raises(ValueError, match="Could not interpret"):
        layers.Dense(2, kernel_constraint="typo")


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 6)).astype("float32")
    y = x @ rng.normal(scale=3, size=(6, 2)).astype("float32")
    return x, y


@pytest.mark.parametrize("kc,bc,check", [
    (constraints.MaxNorm(0.5), None,
     lambda k, b: np.sqrt((k.astype(np.float64) ** 2).sum(0)).max() <= 0.5 + 1e-6),
    ("non_neg", "non_neg", lambda k, b: k.min() >= 0 and b.min() >= 0),
    ("unit_norm", None,
     lambda k, b: np.allclose(np.sqrt((k.astype(np.float64) ** 2).sum(0)), 1, atol=1e-5)),
    (constraints.MinMaxNorm(0.2, 0.4), constraints.MaxNorm(0.1, axis=0),
     lambda k, b: np.all(np.abs(np.sqrt((k.astype(np.float64) ** 2).sum(0)) - 0.3) <= 0.1 + 1e-6)
     and np.abs(b).max() <= 0.1 + 1e-6),
])
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_fit_keeps_the_constraint_on_either_path(kc, bc, check, optimizer):
    """A kernel constraint alone trains on the C engine (tests/test_constraints_engine.py
    checks its bits against the layer path); with a bias constraint the model takes the
    layer path. Either way the constraint holds after training."""
    x, y = _data()
    fastnn.utils.set_random_seed(0)
    model = fastnn.Sequential([fastnn.Input((6,)),
                               layers.Dense(8, kernel_constraint=kc, bias_constraint=bc),
                               layers.Dense(2)])
    model.compile(optimizer=optimizer, loss="mse")
    history = model.fit(x, y, epochs=4, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    if bc is None:
        assert model._engine.fit_plan is not None, model._engine.why
    else:
        assert model._engine.why == f"a bias constraint on {model.layers[0].name!r} (the " \
                                    "engine constrains kernels only)"
    dense = model.layers[0]
    assert check(np.asarray(dense.kernel), np.asarray(dense.bias))


def test_constraint_applied_after_each_update_as_keras():
    """One SGD step by hand: w <- constraint(w - lr * g), the update then the projection."""
    x, y = _data()
    fastnn.utils.set_random_seed(0)
    dense = layers.Dense(2, kernel_constraint=constraints.MaxNorm(0.3))
    model = fastnn.Sequential([fastnn.Input((6,)), dense])
    model.compile(optimizer=fastnn.optimizers.SGD(0.1), loss="mse")
    k0, b0 = np.array(dense.kernel, np.float64), np.array(dense.bias, np.float64)
    xb, yb = x[:32].astype(np.float64), y[:32].astype(np.float64)
    err = xb @ k0 + b0 - yb
    gk = xb.T @ err * 2 / err.size
    model.fit(x[:32], y[:32], epochs=1, batch_size=32, shuffle=False, verbose=0)
    want = _ref("max_norm", k0 - 0.1 * gk, max_value=0.3)
    np.testing.assert_allclose(np.asarray(dense.kernel), want, rtol=1e-5, atol=1e-6)


def test_custom_loop_apply_gradients_applies_the_constraint():
    dense = layers.Dense(3, kernel_constraint="non_neg")
    dense.build((None, 4))
    assert dense.kernel.constraint is dense.kernel_constraint
    assert dense.bias.constraint is None
    opt = fastnn.optimizers.SGD(1.0)
    opt.apply_gradients([(np.ones((4, 3), np.float32) * 10, dense.kernel),
                         (np.ones(3, np.float32), dense.bias)])
    assert np.asarray(dense.kernel).min() == 0.0
    np.testing.assert_array_equal(dense.bias, -np.ones(3, np.float32))


def test_add_weight_takes_a_constraint():
    layer = layers.Layer()
    w = layer.add_weight(shape=(2, 2), initializer="ones", constraint="unit_norm")
    assert isinstance(w.constraint, constraints.UnitNorm)


def test_engine_trains_without_constraints():
    x, y = _data()
    model = fastnn.Sequential([fastnn.Input((6,)), layers.Dense(8), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    assert model._engine.why is None


def test_saving_round_trip(tmp_path):
    x, y = _data()
    model = fastnn.Sequential([
        fastnn.Input((6,)),
        layers.Dense(8, kernel_constraint=constraints.MinMaxNorm(0.1, 0.9, 0.5, 0),
                     bias_constraint="non_neg"),
        layers.Dense(2, kernel_constraint=constraints.UnitNorm(axis=1))])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    cfg = model.layers[0].get_config()
    assert cfg["kernel_constraint"] == {"class_name": "MinMaxNorm", "config": {
        "min_value": 0.1, "max_value": 0.9, "rate": 0.5, "axis": 0}}
    assert cfg["bias_constraint"] == {"class_name": "NonNeg", "config": {}}
    assert layers.Dense(2).get_config()["kernel_constraint"] is None
    path = tmp_path / "c.keras"
    model.save(path)
    back = fastnn.models.load_model(path)
    np.testing.assert_array_equal(back.predict(x, verbose=0), model.predict(x, verbose=0))
    assert back.layers[0].get_config() == cfg
    assert isinstance(back.layers[1].kernel.constraint, constraints.UnitNorm)
    back.fit(x, y, epochs=1, verbose=0)
    assert np.asarray(back.layers[0].bias).min() >= 0
    clone = layers.Dense.from_config(cfg)
    assert isinstance(clone.kernel_constraint, constraints.MinMaxNorm)
