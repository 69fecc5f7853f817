"""Ctrl-C (SIGINT) while fastnn trains, evaluates or predicts: the call stops within
0.2 s on every path, and the model it leaves is consistent: the weights and optimizer
slots hold exactly the `optimizer.iterations` steps (a replay of that many steps gives
the same bits), the History holds the epochs that ended, and training resumes.

The interrupts are real signals sent to this process at random moments
(fastnn/_interrupt.py and csrc/interrupt.h say how they are handled).
"""
import os
import signal
import threading
import time

import numpy as np
import pytest

import fastnn
from fastnn import Sequential, engine, callbacks, losses, optimizers
from fastnn.layers import Dense, Input

pytestmark = pytest.mark.skipif(not hasattr(signal, "pthread_kill"), reason="POSIX signals")


@pytest.fixture(autouse=True)
def python_sigint_handler():
    """Python's own SIGINT handler (KeyboardInterrupt) during each test, whatever the
    process inherited: a process started with SIGINT ignored (in the background of a
    script, under nohup) keeps it ignored, and then the signals these tests send would
    stop nothing and a test's endless fit would never end."""
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, old)

LATENCY_S = 0.2
N, FEATURES, CLASSES, BATCH = 1000, 32, 10, 50
STEPS = N // BATCH
RNG = np.random.default_rng(0)
X = RNG.normal(size=(N, FEATURES)).astype(np.float32)
Y = RNG.integers(0, CLASSES, N)


def python_loss(y_true, y_pred):
    """The same cross-entropy as a Python function: the engine's steps, the loss on the
    tape (engine.custom_plan_for)."""
    return fastnn.ops.sparse_categorical_crossentropy(y_true, y_pred, from_logits=True)


def make_model(optimizer="adam", loss=None):
    fastnn.utils.set_random_seed(1)
    m = Sequential([Input((FEATURES,)), Dense(128, activation="relu"),
                    Dense(128, activation="relu"), Dense(CLASSES)])
    m.compile(optimizers.get(optimizer),
              loss or losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    return m


def interrupted(call, delay):
    """Run call() in this (the main) thread and send SIGINT to the process after `delay`
    seconds; returns the seconds from the signal to the KeyboardInterrupt."""
    sent = []

    def fire():
        time.sleep(delay)
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    t = threading.Thread(target=fire)
    t.start()
    try:
        call()
    except KeyboardInterrupt:
        caught = time.perf_counter()
    else:
        t.join()
        pytest.fail("the call ended before the interrupt")
    t.join()
    return caught - sent[0]


def replay(steps, weights0, optimizer="adam", loss=None):
    """A fresh model with the same initial weights trained for exactly `steps` steps on
    the batches fit(shuffle=False) takes, in order."""
    m = make_model(optimizer, loss)
    m.set_weights(weights0)
    full, rest = divmod(steps, STEPS)
    if full:
        m.fit(X, Y, batch_size=BATCH, epochs=full, shuffle=False, verbose=0)
    for b in range(rest):
        m.train_on_batch(X[b * BATCH:(b + 1) * BATCH], Y[b * BATCH:(b + 1) * BATCH])
    return m


def assert_same_state(a, b):
    assert a.optimizer.iterations == b.optimizer.iterations
    for u, v in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(u, v)
    for u, v in zip(a.optimizer.get_state(), b.optimizer.get_state()):
        np.testing.assert_array_equal(u, v)


class EpochEnd(callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        pass


class BatchEnd(callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        pass


PATHS = {
    # nothing between epochs: many epochs per C call
    "engine, many epochs a call": dict(),
    "engine, validation in the same call": dict(validation_data=(X[:200], Y[:200])),
    # Python between epochs / between batches
    "engine, epoch callbacks": dict(callbacks=[EpochEnd()]),
    "engine, batch callbacks": dict(callbacks=[BatchEnd()]),
    "layer path": dict(layer_path=True),
    "engine, a loss written in Python": dict(loss=python_loss),
}


@pytest.mark.parametrize("path", list(PATHS))
def test_fit_stops_promptly_and_leaves_a_consistent_model(path, monkeypatch):
    kw = dict(PATHS[path])
    if kw.pop("layer_path", False):
        monkeypatch.setattr(engine, "ENABLED", False)
    loss = kw.pop("loss", None)
    delays = np.random.default_rng(len(path)).uniform(0.15, 0.4, 2)
    trained = 0
    for delay in delays:
        m = make_model(loss=loss)
        w0 = m.get_weights()
        latency = interrupted(lambda: m.fit(X, Y, batch_size=BATCH, epochs=10 ** 6,
                                            shuffle=False, verbose=0, **kw), delay)
        assert latency < LATENCY_S, f"stopped {latency:.3f} s after the signal"
        steps = m.optimizer.iterations
        trained += steps
        # History: the epochs whose steps all ran, except (as in Keras) one stopped
        # after its last step but before its end-of-epoch callbacks
        full = steps // STEPS
        recorded = len(m.history.history.get("loss", []))
        assert recorded == full or (steps % STEPS == 0 and recorded == full - 1)
        if "validation_data" in kw:
            assert len(m.history.history.get("val_loss", [])) == recorded
        assert_same_state(m, replay(steps, w0, loss=loss))
        if loss is not None:
            assert m._engine.custom_plan is not None
        # and training goes on from there
        m.fit(X, Y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        assert m.optimizer.iterations == steps + STEPS
    assert trained > 0       # (a signal during fit's preparation stops it before any step)


def test_train_on_batch_loop_interrupted_is_consistent():
    m = make_model()
    w0 = m.get_weights()

    def loop():
        while True:
            for b in range(STEPS):
                m.train_on_batch(X[b * BATCH:(b + 1) * BATCH], Y[b * BATCH:(b + 1) * BATCH])

    assert interrupted(loop, 0.15) < LATENCY_S
    assert_same_state(m, replay(m.optimizer.iterations, w0))


@pytest.mark.parametrize("what", ["predict", "evaluate"])
def test_long_inference_calls_stop_promptly(what):
    fastnn.utils.set_random_seed(2)
    m = Sequential([Input((256,)), Dense(2048, activation="relu"), Dense(2048, activation="relu"),
                    Dense(10)])
    m.compile("sgd", losses.SparseCategoricalCrossentropy(from_logits=True))
    x = np.random.default_rng(3).normal(size=(20000, 256)).astype(np.float32)
    y = np.zeros(len(x), np.int64)
    call = {"predict": lambda: [m.predict(x, verbose=0) for _ in range(100)],
            "evaluate": lambda: [m.evaluate(x, y, verbose=0) for _ in range(100)]}[what]
    assert interrupted(call, 0.3) < LATENCY_S
    # nothing was left half-done: the next call gives what a fresh call gives
    first = m.predict(x[:500], verbose=0)
    np.testing.assert_array_equal(first, m.predict(x[:500], verbose=0))


def test_a_handler_that_does_not_raise_lets_fit_finish_as_if_uninterrupted():
    ref = make_model()
    ref_hist = ref.fit(X, Y, batch_size=BATCH, epochs=60, shuffle=False, verbose=0).history
    m = make_model()
    hits = []
    old = signal.signal(signal.SIGINT, lambda s, f: hits.append(s))
    try:
        t = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT))
        t.start()
        hist = m.fit(X, Y, batch_size=BATCH, epochs=60, shuffle=False, verbose=0).history
        t.join()
    finally:
        signal.signal(signal.SIGINT, old)
    assert hits == [signal.SIGINT]
    assert hist == ref_hist
    assert_same_state(m, ref)


def test_fit_in_another_thread_runs_to_its_end_when_the_main_thread_is_interrupted():
    ref = make_model()
    ref.fit(X, Y, batch_size=BATCH, epochs=40, shuffle=False, verbose=0)
    m = make_model()
    errors = []

    def work():
        try:
            m.fit(X, Y, batch_size=BATCH, epochs=40, shuffle=False, verbose=0)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(repr(e))

    t = threading.Thread(target=work)
    t.start()
    with pytest.raises(KeyboardInterrupt):
        time.sleep(0.05)
        os.kill(os.getpid(), signal.SIGINT)
        t.join()           # interrupted here, in the main thread
    t.join()
    assert errors == []
    assert_same_state(m, ref)


def test_an_interrupted_model_saved_and_loaded_trains_on_as_the_original(tmp_path):
    m = make_model()
    interrupted(lambda: m.fit(X, Y, batch_size=BATCH, epochs=10 ** 6, shuffle=False,
                              verbose=0), 0.2)
    path = str(tmp_path / "m.fastnn")
    m.save(path)
    loaded = fastnn.models.load_model(path)
    assert_same_state(m, loaded)
    for model in (m, loaded):
        model.fit(X, Y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    assert_same_state(m, loaded)


def test_a_sigint_just_before_the_engine_hook_still_stops_fit(monkeypatch):
    """A SIGINT that arrives after fit's section has taken over Python's handler but
    before the engine's hook is installed is not in the engine's count; the section
    sees it recorded and the engine stops at its first check (it used to run the whole
    call, here 300 epochs, and raise only at the end)."""
    from fastnn import _interrupt, _kernels
    real = _kernels.sigint_hook_enter
    fired = []

    def enter_after_a_sigint():
        if not fired:
            fired.append(1)
            os.kill(os.getpid(), signal.SIGINT)
        return real()

    monkeypatch.setattr(_interrupt._kernels, "sigint_hook_enter", enter_after_a_sigint)
    m = make_model()
    with pytest.raises(KeyboardInterrupt):
        m.fit(X, Y, batch_size=BATCH, epochs=300, shuffle=False, verbose=0)
    assert fired and m.optimizer.iterations < 300 * STEPS // 2
