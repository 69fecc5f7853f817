"""keras.config.set_max_epochs / set_max_steps_per_epoch (and their getters, and the
KERAS_MAX_EPOCHS / KERAS_MAX_STEPS_PER_EPOCH environment variables): debugging caps on
fit's epochs and on the batches of every epoch of fit, evaluate and predict, each cut
announced by a warning, as in Keras 3. The *_on_batch calls are never cut."""
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import fastnn as keras
from fastnn import backend


@pytest.fixture(autouse=True)
def no_caps():
    yield
    keras.config.set_max_epochs(None)
    keras.config.set_max_steps_per_epoch(None)


class _no_warning:
    """Any warning inside the block fails the test."""

    def __enter__(self):
        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc):
        self._cm.__exit__(*exc)
        return False


def _model(dtype="float32"):
    m = keras.Sequential([keras.Input((4,)),
                          keras.layers.Dense(1, kernel_initializer="ones", dtype=dtype)])
    m.compile(keras.optimizers.SGD(0.01), "mse")
    return m


def _data(dtype="float32"):
    x = (np.arange(320.0).reshape(80, 4) / 320).astype(dtype)
    return x, np.ones((80, 1), dtype)


def test_getters_setters_and_bad_values():
    assert keras.config.max_epochs() is None and keras.config.max_steps_per_epoch() is None
    keras.config.set_max_epochs(2)
    keras.config.set_max_steps_per_epoch(np.int64(3))
    assert keras.config.max_epochs() == 2 and backend.max_epochs() == 2
    assert keras.config.max_steps_per_epoch() == 3
    assert type(keras.config.max_steps_per_epoch()) is int
    for bad, err in ((-1, ValueError), (1.5, TypeError), ("2", TypeError), (True, TypeError)):
        with pytest.raises(err, match="set_max_epochs: max_epochs must be an int"):
            keras.config.set_max_epochs(bad)
        with pytest.raises(err, match="set_max_steps_per_epoch: max_steps_per_epoch must be"):
            keras.config.set_max_steps_per_epoch(bad)
    assert keras.config.max_epochs() == 2 and keras.config.max_steps_per_epoch() == 3
    keras.config.set_max_epochs(0)        # 0: no cap, as Keras reads it
    keras.config.set_max_steps_per_epoch(None)
    x, y = _data()
    assert len(_model().fit(x, y, epochs=3, verbose=0).history["loss"]) == 3


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fit_runs_the_capped_epochs_and_steps_as_a_shorter_run(dtype):
    """Capped to 2 epochs of 3 batches, fit trains as fit(steps_per_epoch=3,
    epochs=2) does: the same weights, the same logs."""
    x, y = _data(dtype)
    ref = _model(dtype)
    want = ref.fit(x, y, batch_size=8, epochs=2, steps_per_epoch=3, shuffle=False,
                   verbose=0).history
    m = _model(dtype)
    keras.config.set_max_epochs(2)
    keras.config.set_max_steps_per_epoch(3)
    with pytest.warns(UserWarning) as record:
        got = m.fit(x, y, batch_size=8, epochs=5, shuffle=False, verbose=0).history
    messages = [str(w.message) for w in record]
    assert "Limiting epochs to 2" in messages
    assert "Limiting steps_per_epoch to 3" in messages
    assert got == want
    for a, b in zip(m.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == np.dtype(dtype)
    # fewer epochs than the cap: no cut, no warning about epochs
    keras.config.set_max_steps_per_epoch(None)
    with _no_warning():
        assert len(m.fit(x, y, epochs=1, verbose=0).history["loss"]) == 1


def test_evaluate_and_predict_are_capped_and_on_batch_calls_are_not():
    x, y = _data()
    m = _model()
    full = m.evaluate(x[:24], y[:24], batch_size=8, verbose=0)
    keras.config.set_max_steps_per_epoch(3)
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 3"):
        assert m.predict(x, batch_size=8, verbose=0).shape == (24, 1)
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 3"):
        assert m.evaluate(x, y, batch_size=8, verbose=0) == pytest.approx(full, rel=1e-7)
    with _no_warning():
        assert m.predict_on_batch(x).shape == (80, 1)
        np.testing.assert_allclose(m.test_on_batch(x, y),
                                   np.mean((m.predict_on_batch(x) - 1.0) ** 2), rtol=1e-6)
        m.train_on_batch(x, y)


def test_validation_reads_the_same_capped_batches_every_epoch():
    """As Keras' evaluate restarts its iterator: the validation of each epoch reads
    the first (capped) batches of validation_data."""
    x, y = _data()
    m = _model()
    keras.config.set_max_epochs(2)
    keras.config.set_max_steps_per_epoch(3)
    with pytest.warns(UserWarning):
        h = m.fit(x, y, batch_size=8, epochs=2, validation_data=(x, y), shuffle=False,
                  verbose=0).history
    keras.config.set_max_steps_per_epoch(None)
    keras.config.set_max_epochs(None)
    np.testing.assert_allclose(h["val_loss"][1], m.evaluate(x[:24], y[:24], verbose=0),
                               rtol=1e-6)
    assert h["val_loss"][1] != pytest.approx(m.evaluate(x[24:48], y[24:48], verbose=0))


def test_environment_variables_set_the_caps():
    # (the fastnn under test, wherever pytest runs from)
    root = os.path.dirname(os.path.dirname(os.path.abspath(keras.__file__)))
    env = dict(os.environ, KERAS_MAX_EPOCHS="2", KERAS_MAX_STEPS_PER_EPOCH="1",
               PYTHONPATH=root)
    code = ("import fastnn, numpy as np, warnings; warnings.simplefilter('ignore');"
            "print(fastnn.config.max_epochs(), fastnn.config.max_steps_per_epoch());"
            "m = fastnn.Sequential([fastnn.Input((2,)), fastnn.layers.Dense(1)]);"
            "m.compile('sgd', 'mse');"
            "h = m.fit(np.ones((40, 2)), np.ones((40, 1)), batch_size=4, epochs=9, verbose=0);"
            "print(len(h.history['loss']))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2", "1", "2"]
    env["KERAS_MAX_EPOCHS"] = "many"
    out = subprocess.run([sys.executable, "-c", "import fastnn"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "KERAS_MAX_EPOCHS must be an int >= 0, got 'many'" in out.stderr
