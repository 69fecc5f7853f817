"""Targets for only the outputs that have a loss (Keras 3): a model of several outputs
compiled with loss=[None, 'mse', None] takes one array (or a list of one) for the one
output with a loss; as many targets as outputs with a loss go to those in order. Any
other count of targets is refused, naming the outputs."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import layers


def _model(dtype):
    i = keras.Input((2,), dtype=dtype)
    outs = [layers.Dense(k, kernel_initializer="ones", dtype=dtype, name=f"o{k}")(i)
            for k in (3, 2, 1)]
    return keras.Model(i, outs)


X = np.linspace(0, 1, 16).reshape(8, 2)


@pytest.mark.filterwarnings("ignore:.*gradients do not exist")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_one_array_for_the_one_output_with_a_loss(dtype):
    m = _model(dtype)
    x = X.astype(dtype)
    m.compile(optimizer=keras.optimizers.SGD(0.0), loss=[None, "mse", None],
              metrics=[None, ["mae"], None])
    out = np.asarray(m.predict(x, verbose=0)[1], np.float64)      # x0 + x1, twice
    y = np.zeros((8, 2), dtype)
    tol = 1e-6 if dtype == "float32" else 1e-12
    for given in (y, [y]):
        logs = m.evaluate(x, given, batch_size=8, verbose=0, return_dict=True)
        np.testing.assert_allclose(logs["loss"], np.mean(out ** 2), rtol=tol)
        np.testing.assert_allclose(logs["o2_mae"], np.mean(np.abs(out)), rtol=tol)
    h = m.fit(x, y, batch_size=4, shuffle=False, verbose=0).history
    np.testing.assert_allclose(h["loss"][0], np.mean(out ** 2), rtol=tol)   # lr 0


def test_as_many_targets_as_outputs_with_a_loss_go_in_order():
    m = _model("float64")
    m.compile(optimizer="sgd", loss=["mse", None, "mae"])
    p3, _, p1 = (np.asarray(p) for p in m.predict(X, verbose=0))
    logs = m.evaluate(X, [np.zeros((8, 3)), np.ones((8, 1))], batch_size=8, verbose=0,
                      return_dict=True)
    np.testing.assert_allclose(logs["o3_loss"], np.mean(p3 ** 2), rtol=1e-12)
    np.testing.assert_allclose(logs["o1_loss"], np.mean(np.abs(p1 - 1)), rtol=1e-12)
    np.testing.assert_allclose(logs["loss"], logs["o3_loss"] + logs["o1_loss"], rtol=1e-12)


def test_other_counts_of_targets_are_refused():
    m = _model("float64")
    m.compile(optimizer="sgd", loss=["mse", None, "mae"])
    with pytest.raises(ValueError, match=r"y must be a list or a dict of arrays, one per output "
                                         r"\['o3', 'o2', 'o1'\], got ndarray"):
        m.evaluate(X, np.zeros((8, 3)), verbose=0)
    m.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"y must hold one array per output \(3: "):
        m.fit(X, [np.zeros((8, 3)), np.zeros((8, 2))], verbose=0)
