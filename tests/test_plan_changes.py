"""A batch callback that changes the model in the middle of an epoch (freezes a layer,
as fine-tuning code does) takes effect from the next step, on the C engine as on the
layer path: the engine hands the rest of the epoch over (engine.PlanChanged), and later
epochs get a plan for the model as it is. Bitwise the layer path's weights and logs."""
import numpy as np
import pytest

import fastnn as keras
from fastnn import engine, layers, ops


def mse_fn(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


class FreezeFirst(keras.callbacks.Callback):
    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_train_batch_end(self, batch, logs=None):
        if batch == self.at:
            self.model.layers[0].trainable = False


@pytest.mark.parametrize("loss", ["mse", mse_fn], ids=["builtin_loss", "python_loss"])
@pytest.mark.parametrize("shuffle", [False, True])
def test_freezing_in_a_batch_callback_matches_the_layer_path(loss, shuffle, monkeypatch):
    rng = np.random.default_rng(0)
    x, y = rng.random((64, 4)).astype("float32"), rng.random((64, 2)).astype("float32")
    out = []
    for fused in (True, False):
        monkeypatch.setattr(engine, "ENABLED", fused)
        keras.utils.set_random_seed(0)
        m = keras.Sequential([keras.Input((4,)), layers.Dense(5, activation="relu"),
                              layers.Dense(2)])
        m.compile(optimizer="adam", loss=loss, metrics=["mae"])
        w0 = m.layers[0].kernel.copy()
        h = m.fit(x, y, batch_size=8, epochs=2, shuffle=shuffle, verbose=0,
                  callbacks=[FreezeFirst(at=2)])
        out.append((m.get_weights(), h.history, w0))
    (wa, ha, _), (wb, hb, _) = out
    for a, b in zip(wa, wb):
        np.testing.assert_array_equal(a, b)
    assert ha == hb
    # frozen after the third step: the first kernel moved three steps, then no more
    assert not np.array_equal(wa[0], out[0][2])
