"""fit and evaluate start each loop with every compiled metric's reset_state(), as
Keras' reset_metrics() does: fastnn's own metrics restart at each epoch, and a subclass
whose reset_state() keeps its state goes on accumulating (Keras allows both)."""
import numpy as np

import fastnn as keras
from fastnn import layers


class KeepsState(keras.metrics.MeanSquaredError):
    def __init__(self):
        super().__init__(name="kept_mse")

    def reset_state(self):
        pass


def test_a_metric_that_keeps_its_state_accumulates_over_epochs():
    rng = np.random.default_rng(0)
    x, y = rng.random((40, 3)).astype(np.float32), rng.random((40, 1)).astype(np.float32)
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    m.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse", metrics=["mse", KeepsState()])
    h = m.fit(x, y, epochs=3, batch_size=40, shuffle=False, verbose=0)
    # learning rate 0: every epoch's batch is the same, so the running mean of the
    # metric that keeps its state equals each epoch's own value as well
    np.testing.assert_allclose(h.history["kept_mse"], h.history["mse"], rtol=1e-6)
    kept = m._metrics[1]
    assert kept.count == 3 * 40          # three epochs' samples, not one
    # evaluate continues from there too; the plain mse starts afresh
    m.evaluate(x, y, verbose=0)
    assert kept.count == 4 * 40 and m._metrics[0].count == 40


def test_the_kept_metric_is_the_running_mean_of_every_epoch():
    rng = np.random.default_rng(1)
    x, y = rng.random((40, 3)).astype(np.float32), rng.random((40, 1)).astype(np.float32)
    keras.utils.set_random_seed(1)
    m = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    m.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse", metrics=["mse", KeepsState()])
    h = m.fit(x, y, epochs=4, batch_size=40, shuffle=False, verbose=0)
    mse = np.array(h.history["mse"])           # one batch an epoch: its value before the step
    assert len(set(np.round(mse, 6))) == 4
    np.testing.assert_allclose(h.history["kept_mse"], np.cumsum(mse) / np.arange(1, 5),
                               rtol=1e-6)


def test_metrics_held_by_the_model_are_logged_and_reset():
    """Keras tracks Metric attributes of a model into model.metrics: fit logs them and
    resets them at every epoch."""
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(1)
            self.seen = keras.metrics.Sum(name="seen") if hasattr(keras.metrics, "Sum") \
                else keras.metrics.Mean(name="seen")

        def call(self, x):
            return self.d(x)

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
            self.seen.update_state(np.float32(len(x)))
            return super().compute_loss(x, y, y_pred, sample_weight)

    rng = np.random.default_rng(2)
    x, y = rng.random((40, 3)).astype(np.float32), rng.random((40, 1)).astype(np.float32)
    m = Net()
    m.compile(optimizer="sgd", loss="mse")
    h = m.fit(x, y, epochs=2, batch_size=10, verbose=0).history
    assert m.seen in m.metrics
    # four batches of 10 an epoch: a Mean gives 10, a Sum 40, each epoch afresh
    want = [40.0, 40.0] if type(m.seen).__name__ == "Sum" else [10.0, 10.0]
    assert h["seen"] == want


import pytest  # noqa: E402

from fastnn import engine  # noqa: E402


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("epochs", [1, 2, 12])
def test_get_metrics_result_holds_the_last_loop_loss(monkeypatch, fused, epochs):
    """As in Keras: model.metrics' "loss" tracker is left holding the last epoch's loss
    after fit, the validation's when fit validates, and evaluate's after evaluate."""
    monkeypatch.setattr(engine, "ENABLED", fused)
    rng = np.random.default_rng(4)
    x, y = rng.random((30, 3)).astype(np.float32), rng.integers(0, 3, 30)
    keras.utils.set_random_seed(4)
    m = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="relu"), layers.Dense(3)])
    m.compile(optimizer="adam", metrics=["accuracy"],
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    h = m.fit(x, y, epochs=epochs, batch_size=8, verbose=0).history
    assert m.get_metrics_result() == {"loss": h["loss"][-1], "accuracy": h["accuracy"][-1]}
    assert m.get_metrics_result()["loss"] > 0
    h = m.fit(x, y, epochs=epochs, batch_size=8, verbose=0, validation_data=(x[:10], y[:10])).history
    assert m.get_metrics_result() == {"loss": h["val_loss"][-1], "accuracy": h["val_accuracy"][-1]}
    loss, acc = m.evaluate(x, y, verbose=0)
    assert m.get_metrics_result() == {"loss": loss, "accuracy": acc}
