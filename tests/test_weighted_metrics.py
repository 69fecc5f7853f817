"""compile(weighted_metrics=...): metrics that take the sample weights (and class
weights), next to `metrics`, which do not (Keras 3's CompileMetrics: a weighted metric
is named '<name>', or 'weighted_<name>' when an unweighted metric has that name)."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import engine, layers


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.random((40, 3)).astype(np.float32)
    y = rng.random(40).astype(np.float32)
    sw = rng.random(40).astype(np.float32) * 3
    return x, y, sw


def _regressor(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="relu"), layers.Dense(1)])


def test_values_and_names(data):
    x, y, sw = data
    m = _regressor()
    m.compile(loss="mse", optimizer="sgd", metrics=["mae"], weighted_metrics=["mae", "mse"])
    d = m.evaluate(x, y, sample_weight=sw, verbose=0, return_dict=True, batch_size=7)
    p = m.predict(x, verbose=0)[:, 0]
    err = p - y
    assert sorted(d) == ["loss", "mae", "mse", "weighted_mae"]
    np.testing.assert_allclose(d["mae"], np.mean(np.abs(err)), rtol=1e-5)
    np.testing.assert_allclose(d["weighted_mae"], np.sum(sw * np.abs(err)) / sw.sum(), rtol=1e-5)
    np.testing.assert_allclose(d["mse"], np.sum(sw * err ** 2) / sw.sum(), rtol=1e-5)
    # Keras' list order: the loss, the compiled metrics by their own names, the rest sorted
    assert m.evaluate(x, y, sample_weight=sw, verbose=0, batch_size=7) == \
        [d["loss"], d["mae"], d["mse"], d["weighted_mae"]]
    # without sample weights a weighted metric is the plain one
    d = m.evaluate(x, y, verbose=0, return_dict=True)
    assert d["weighted_mae"] == pytest.approx(d["mae"], rel=1e-12)


def test_training_is_unchanged_and_stays_on_the_engine(data):
    """The weighted metrics change the logs, never the training: the same weights as a
    model compiled without them. Both train on the C engine (the weighted metric is
    computed in Python from the outputs the engine writes)."""
    x, y, sw = data
    a, b = _regressor(), _regressor()
    a.compile(loss="mse", optimizer="adam", metrics=["mae"])
    b.compile(loss="mse", optimizer="adam", metrics=["mae"], weighted_metrics=["mae"])
    assert engine.plan_for(a, x, training=True) is not None
    ha = a.fit(x, y, sample_weight=sw, epochs=2, batch_size=8, shuffle=False, verbose=0)
    hb = b.fit(x, y, sample_weight=sw, epochs=2, batch_size=8, shuffle=False, verbose=0)
    assert b._engine.why is None and b._engine.fit_plan is not None
    assert [m.name for m in b._engine.fit_plan.py_metrics] == ["weighted_mae"]
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)
    assert ha.history["loss"] == hb.history["loss"]
    assert ha.history["mae"] == hb.history["mae"]
    assert "weighted_mae" in hb.history and "weighted_mae" not in ha.history


def test_class_weight_weighted_accuracy_value():
    rng = np.random.default_rng(3)
    x = rng.random((50, 4)).astype(np.float32)
    y = rng.integers(0, 2, 50)
    keras.utils.set_random_seed(4)
    m = keras.Sequential([keras.Input((4,)), layers.Dense(1, activation="sigmoid")])
    m.compile(loss="binary_crossentropy", optimizer=keras.optimizers.SGD(0.0),
              metrics=["accuracy"], weighted_metrics=["accuracy"])
    cw = {0: 1.0, 1: 4.0}
    h = m.fit(x, y, class_weight=cw, epochs=1, batch_size=50, verbose=0)
    p = m.predict(x, verbose=0)[:, 0]             # learning rate 0: the same weights
    right = ((p > 0.5).astype(int) == y).astype(float)
    w = np.where(y == 1, 4.0, 1.0)
    assert h.history["accuracy"][0] == pytest.approx(right.mean())
    assert h.history["weighted_accuracy"][0] == pytest.approx((w * right).sum() / w.sum())


def test_several_outputs_and_per_output_weights(data):
    x, y, sw = data
    keras.utils.set_random_seed(5)
    inp = keras.Input((3,))
    h = layers.Dense(4, activation="relu")(inp)
    m = keras.Model(inp, {"a": layers.Dense(1, name="a")(h), "b": layers.Dense(1, name="b")(h)})
    m.compile(loss={"a": "mse", "b": "mse"}, optimizer="sgd",
              metrics={"a": ["mae"], "b": ["mae"]}, weighted_metrics={"a": ["mae"], "b": ["mse"]})
    sw_b = np.ones_like(sw)
    d = m.evaluate(x, {"a": y, "b": y}, sample_weight={"a": sw, "b": sw_b}, verbose=0,
                   return_dict=True)
    assert sorted(d) == ["a_loss", "a_mae", "a_weighted_mae", "b_loss", "b_mae", "b_mse", "loss"]
    out = m.predict(x, verbose=0)
    ea, eb = out["a"][:, 0] - y, out["b"][:, 0] - y
    np.testing.assert_allclose(d["a_weighted_mae"], np.sum(sw * np.abs(ea)) / sw.sum(), rtol=1e-5)
    np.testing.assert_allclose(d["b_mse"], np.mean(eb ** 2), rtol=1e-5)


def test_compile_checks_and_saving(tmp_path, data):
    x, y, sw = data
    m = _regressor()
    with pytest.raises(ValueError, match="unknown metric 'nope'"):
        m.compile(loss="mse", weighted_metrics=["nope"])
    with pytest.raises(TypeError, match="weighted_metrics must be a list"):
        m.compile(loss="mse", weighted_metrics=3)
    m.compile(loss="mse", optimizer="adam", weighted_metrics=["mae"])
    m.fit(x, y, sample_weight=sw, epochs=1, verbose=0)
    m.save(tmp_path / "w.keras")
    r = keras.models.load_model(tmp_path / "w.keras")
    assert r.get_compile_config()["weighted_metrics"] == ["mae"]
    assert r.evaluate(x, y, sample_weight=sw, verbose=0, return_dict=True) == \
        m.evaluate(x, y, sample_weight=sw, verbose=0, return_dict=True)
