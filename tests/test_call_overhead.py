"""The cheaper paths of fit / predict / *_on_batch keep every check and every hook:
bad arrays still raise errors naming the argument, predict without callbacks returns
what predict with them returns, and a callback list hands hooks to callbacks added
after a hook was first looked up."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import engine, layers
from fastnn.callbacks.base import CallbackList, History, _overrides


def _model(n_in=6):
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((n_in,)), layers.Dense(8, activation="relu"),
                          layers.Dense(3)])
    m.compile(optimizer="adam",
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    return m


class Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_predict_begin(self, logs=None):
        self.calls.append("predict_begin")

    def on_predict_batch_end(self, batch, logs=None):
        self.calls.append(("predict_batch_end", batch))

    def on_predict_end(self, logs=None):
        self.calls.append("predict_end")

    def on_train_batch_end(self, batch, logs=None):
        self.calls.append(("train_batch_end", batch))


def test_predict_without_callbacks_gives_what_predict_with_them_gives():
    m = _model()
    x = np.random.default_rng(1).random((40, 6)).astype("float32")
    quiet = m.predict(x, verbose=0)
    rec = Recorder()
    heard = m.predict(x, batch_size=8, verbose=0, callbacks=[rec])
    np.testing.assert_array_equal(quiet, heard)
    assert m._engine.plan is not None
    assert rec.calls[0] == "predict_begin" and rec.calls[-1] == "predict_end"
    assert ("predict_batch_end", 4) in rec.calls      # 40 rows in batches of 8


def test_predict_without_callbacks_on_the_layer_path(monkeypatch):
    monkeypatch.setattr(engine, "ENABLED", False)
    m = _model()
    x = np.random.default_rng(1).random((10, 6)).astype("float32")
    out = m.predict(x, verbose=0)
    assert out.shape == (10, 3) and m._engine.plan is None


def test_fit_epoch_by_epoch_still_calls_batch_hooks():
    m = _model()
    x = np.random.default_rng(1).random((24, 6)).astype("float32")
    y = np.arange(24) % 3
    rec = Recorder()
    m.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[rec])
    assert rec.calls.count(("train_batch_end", 2)) == 2
    assert m._engine.user_batch_hooks is True


@pytest.mark.parametrize("call", ["predict", "fit", "predict_on_batch", "train_on_batch",
                                  "evaluate"])
def test_arrays_of_the_wrong_kind_or_shape_are_refused_naming_x(call):
    m = _model()
    y = np.zeros(4, dtype=np.int64)
    bad_dtype = np.array([["a"] * 6] * 4)
    bad_shape = np.zeros((4, 5), np.float32)
    bad_rank = np.zeros((4, 6, 2), np.float32)    # ((4, 6, 1): Keras drops the last axis)
    for x, err, words in ((bad_dtype, TypeError, "real numbers"),
                          (bad_shape, ValueError, "expected shape"),
                          (bad_rank, ValueError, "expected shape")):
        args = (x,) if call in ("predict", "predict_on_batch") else (x, y)
        kwargs = {"verbose": 0} if call in ("predict", "fit", "evaluate") else {}
        with pytest.raises(err, match=words) as info:
            getattr(m, call)(*args, **kwargs)
        assert "x" in str(info.value)


def test_labels_of_the_wrong_kind_are_refused_naming_y():
    m = _model()
    x = np.zeros((4, 6), np.float32)
    with pytest.raises(TypeError, match="y must hold real numbers"):
        m.fit(x, np.array(["a", "b", "c", "d"]), verbose=0)
    with pytest.raises(ValueError, match=r"y labels must be in \[0, 3\)"):
        m.fit(x, np.array([0, 1, 2, 3]), verbose=0)


def test_a_callback_list_without_callbacks_hands_hooks_to_ones_added_later():
    cbl = CallbackList()
    cbl.on_epoch_end(0, {"loss": 1.0})          # nobody to call: nothing happens
    cbl.on_train_batch_end(0, {"loss": 1.0})
    hist = History()
    cbl.append(hist)
    cbl.on_epoch_end(1, {"loss": 0.5})
    assert hist.epoch == [1] and hist.history == {"loss": [0.5]}
    with pytest.raises(AttributeError):
        cbl.on_something_else


def test_overrides_sees_class_and_instance_hooks_and_their_aliases():
    class OnBatch(keras.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            pass

    plain = keras.callbacks.Callback()
    assert not _overrides(plain, "on_train_batch_end")
    assert _overrides(OnBatch(), "on_train_batch_end")        # Keras' alias
    assert not _overrides(OnBatch(), "on_test_batch_end")
    inst = keras.callbacks.Callback()
    inst.on_train_batch_begin = lambda batch, logs=None: None
    assert _overrides(inst, "on_train_batch_begin")
    inst2 = keras.callbacks.Callback()
    inst2.on_batch_begin = lambda batch, logs=None: None
    assert _overrides(inst2, "on_train_batch_begin")
    assert not _overrides(History(), "on_train_batch_end")
    assert _overrides(History(), "on_epoch_end")
