"""callbacks.BackupAndRestore: a fit that stops (an exception, Ctrl-C, a killed process)
and is run again with the callback continues from its last backup, and from an epoch's
backup it ends with the very weights, optimizer state and random stream of a run that
was never interrupted. Keras' own tests (keras/src/callbacks/backup_and_restore_test.py)
check the epoch it resumes from; these check the bits as well.
"""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fastnn
from fastnn import Model, Sequential, callbacks, optimizers, saving
from fastnn.layers import Dense, Dropout, Input, Layer

N, FEATURES, CLASSES = 240, 12, 4
RNG = np.random.default_rng(0)
X = RNG.normal(size=(N, FEATURES)).astype(np.float32)
Y = RNG.integers(0, CLASSES, N)
EPOCHS = 6


class Crash(Exception):
    pass


class CrashAt(callbacks.Callback):
    """Raises `error` at the end of epoch `epoch` (after the callbacks before it ran)."""

    def __init__(self, epoch, error=Crash):
        super().__init__()
        self.epoch, self.error = epoch, error

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise self.error("stopped on purpose")


class Doubler(Layer):
    """A layer the C engine does not know: the model trains on the layer path."""

    def call(self, x):
        return x * 2.0


def sequential(dropout=0.0, optimizer=None):
    fastnn.utils.set_random_seed(7)
    layers = [Input((FEATURES,)), Dense(16, activation="relu")]
    if dropout:
        layers.append(Dropout(dropout))
    layers.append(Dense(CLASSES))
    m = Sequential(layers)
    m.compile(optimizer or optimizers.Adam(0.01), "sparse_categorical_crossentropy",
              metrics=["accuracy"])
    return m


def layer_path():
    fastnn.utils.set_random_seed(7)
    inp = Input((FEATURES,))
    h = Dropout(0.2)(Dense(16, activation="relu")(Doubler()(inp)))
    m = Model(inp, Dense(CLASSES)(h))
    m.compile(optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def uninterrupted(make, **fit):
    m = make()
    h = m.fit(X, Y, batch_size=32, epochs=EPOCHS, verbose=0, **fit)
    return m, h


def resumed(make, tmp_path, crash_epoch, error=Crash, extra=(), **fit):
    backup = str(tmp_path / "backup")
    m = make()
    with pytest.raises(error):
        m.fit(X, Y, batch_size=32, epochs=EPOCHS, verbose=0,
              callbacks=[callbacks.BackupAndRestore(backup), *extra, CrashAt(crash_epoch, error)],
              **fit)
    assert os.path.exists(os.path.join(backup, "training_state.fastnn"))
    m = make()     # as a new run of the same script builds it
    h = m.fit(X, Y, batch_size=32, epochs=EPOCHS, verbose=0,
              callbacks=[callbacks.BackupAndRestore(backup), *extra], **fit)
    assert not os.path.exists(backup)    # removed once fit completed
    return m, h


def assert_same_training(a, b):
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert a.optimizer.iterations == b.optimizer.iterations
    for sa, sb in zip(a.optimizer.get_state(), b.optimizer.get_state()):
        np.testing.assert_array_equal(sa, sb)
    assert float(a.optimizer.learning_rate) == float(b.optimizer.learning_rate)


@pytest.mark.parametrize("make", [sequential, lambda: sequential(dropout=0.3), layer_path],
                         ids=["engine", "engine-dropout", "layer-path"])
@pytest.mark.parametrize("crash_epoch", [0, 2, 4])
def test_resume_after_a_crash_gives_the_uninterrupted_bits(tmp_path, make, crash_epoch):
    full, hf = uninterrupted(make)
    rng_after_full = fastnn.utils.get_rng().bit_generator.state
    again, hr = resumed(make, tmp_path, crash_epoch)
    assert_same_training(full, again)
    assert fastnn.utils.get_rng().bit_generator.state == rng_after_full
    # History holds the epochs this fit ran, and their logs are the uninterrupted ones.
    assert hr.epoch == list(range(crash_epoch + 1, EPOCHS))
    for k, values in hr.history.items():
        assert values == hf.history[k][crash_epoch + 1:], k


def test_resume_after_ctrl_c(tmp_path):
    full, _ = uninterrupted(sequential)
    again, h = resumed(sequential, tmp_path, 1, error=KeyboardInterrupt)
    assert_same_training(full, again)
    assert h.epoch == list(range(2, EPOCHS))


def test_resume_in_a_new_process(tmp_path):
    """The real use: the process dies (here: exits without cleaning up) and the script
    runs again."""
    script = textwrap.dedent(f"""
        import os, sys
        import numpy as np
        import fastnn
        from fastnn import Sequential, callbacks
        from fastnn.layers import Dense, Input
        rng = np.random.default_rng(0)
        x = rng.normal(size=(200, 8)).astype(np.float32)
        y = rng.integers(0, 3, 200)
        fastnn.utils.set_random_seed(3)
        m = Sequential([Input((8,)), Dense(16, activation="relu"), Dense(3)])
        m.compile("adam", "sparse_categorical_crossentropy")
        class Die(callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if sys.argv[1] == "die" and epoch == 2:
                    os._exit(3)
        cbs = [callbacks.BackupAndRestore(sys.argv[2])] if sys.argv[2] != "-" else []
        h = m.fit(x, y, epochs=5, verbose=0, callbacks=cbs + [Die()])
        np.save(sys.argv[3], np.concatenate([w.ravel() for w in m.get_weights()]))
        print(h.epoch)
    """)
    path = tmp_path / "run.py"
    path.write_text(script)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    backup = str(tmp_path / "bk")

    def run(*args):
        return subprocess.run([sys.executable, str(path), *args], env=env,
                              capture_output=True, text=True, timeout=120)

    ref = run("live", "-", str(tmp_path / "ref.npy"))
    assert ref.returncode == 0, ref.stderr
    died = run("die", backup, str(tmp_path / "x.npy"))
    assert died.returncode == 3, died.stderr
    again = run("live", backup, str(tmp_path / "again.npy"))
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "[3, 4]"
    np.testing.assert_array_equal(np.load(tmp_path / "ref.npy"), np.load(tmp_path / "again.npy"))


def test_a_changed_learning_rate_is_restored(tmp_path):
    """A callback's change of the learning rate is part of the training state."""
    def halve(epoch, lr):
        return lr / 2 if epoch else lr
    sched = [callbacks.LearningRateScheduler(halve)]
    full = sequential()
    full.fit(X, Y, batch_size=32, epochs=EPOCHS, verbose=0, callbacks=sched)
    again, _ = resumed(sequential, tmp_path, 3, extra=sched)
    assert_same_training(full, again)


def test_generator_input_resumes_from_the_epoch(tmp_path):
    def batches():
        while True:
            for i in range(0, N, 40):
                yield X[i:i + 40], Y[i:i + 40]
    full = sequential()
    full.fit(batches(), steps_per_epoch=N // 40, epochs=EPOCHS, verbose=0, shuffle=False)
    backup = str(tmp_path / "b")
    m = sequential()
    with pytest.raises(Crash):
        m.fit(batches(), steps_per_epoch=N // 40, epochs=EPOCHS, verbose=0, shuffle=False,
              callbacks=[callbacks.BackupAndRestore(backup), CrashAt(2)])
    m = sequential()
    h = m.fit(batches(), steps_per_epoch=N // 40, epochs=EPOCHS, verbose=0, shuffle=False,
              callbacks=[callbacks.BackupAndRestore(backup)])
    assert h.epoch == [3, 4, 5]
    assert_same_training(full, m)


def test_batch_backups_restore_that_batch_and_rerun_its_epoch(tmp_path):
    """save_freq=n: as in Keras, the backup of batch b of epoch e restores the weights
    of that moment, and fit starts epoch e again."""
    backup = str(tmp_path / "b")
    m = sequential()

    class CrashMidEpoch(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            # 8 batches an epoch, a backup every 5: the 4th is of the 20th step,
            # the 4th batch of epoch 2
            if m.optimizer.iterations == 20:
                raise Crash()
    with pytest.raises(Crash):
        m.fit(X, Y, batch_size=32, epochs=EPOCHS, verbose=0,
              callbacks=[callbacks.BackupAndRestore(backup, save_freq=5), CrashMidEpoch()])
    saved = m.get_weights()
    steps = m.optimizer.iterations
    m2 = sequential()
    epoch, batch = saving.load_training_state(m2, os.path.join(backup, "training_state.fastnn"))
    assert (epoch, batch) == (2, 4)
    assert m2.optimizer.iterations == steps
    for a, b in zip(saved, m2.get_weights()):
        np.testing.assert_array_equal(a, b)
    m3 = sequential()
    h = m3.fit(X, Y, batch_size=32, epochs=EPOCHS, verbose=0,
               callbacks=[callbacks.BackupAndRestore(backup, save_freq=5)])
    assert h.epoch == [2, 3, 4, 5]
    assert m3.optimizer.iterations == steps + 4 * 8


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    backup = tmp_path / "b"
    m = sequential()
    with pytest.raises(Crash):
        m.fit(X, Y, batch_size=32, epochs=EPOCHS, verbose=0,
              callbacks=[callbacks.BackupAndRestore(str(backup), double_checkpoint=True),
                         CrashAt(2)])
    latest = backup / "training_state.fastnn"
    assert (backup / "training_state.fastnn.bkp").exists()
    latest.write_bytes(latest.read_bytes()[:100])          # a torn file
    m = sequential()
    h = m.fit(X, Y, batch_size=32, epochs=EPOCHS, verbose=0,
              callbacks=[callbacks.BackupAndRestore(str(backup), double_checkpoint=True)])
    assert h.epoch == [2, 3, 4, 5]     # from the backup of epoch 1's end


def test_a_torn_backup_without_a_previous_one_raises(tmp_path):
    backup = tmp_path / "b"
    m = sequential()
    with pytest.raises(Crash):
        m.fit(X, Y, epochs=3, verbose=0,
              callbacks=[callbacks.BackupAndRestore(str(backup)), CrashAt(0)])
    latest = backup / "training_state.fastnn"
    latest.write_bytes(latest.read_bytes()[:100])
    m = sequential()
    before = m.get_weights()
    with pytest.raises(ValueError, match="training_state.fastnn"):
        m.fit(X, Y, epochs=3, verbose=0, callbacks=[callbacks.BackupAndRestore(str(backup))])
    for a, b in zip(before, m.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_backup_of_another_model_is_refused_and_changes_nothing(tmp_path):
    backup = tmp_path / "b"
    m = sequential()
    with pytest.raises(Crash):
        m.fit(X, Y, epochs=3, verbose=0,
              callbacks=[callbacks.BackupAndRestore(str(backup)), CrashAt(0)])
    fastnn.utils.set_random_seed(1)
    other = Sequential([Input((FEATURES,)), Dense(8), Dense(CLASSES)])
    other.compile("adam", "sparse_categorical_crossentropy")
    before = other.get_weights()
    rng = fastnn.utils.get_rng().bit_generator.state
    with pytest.raises(ValueError, match="shape"):
        other.fit(X, Y, epochs=3, verbose=0, callbacks=[callbacks.BackupAndRestore(str(backup))])
    for a, b in zip(before, other.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert other.optimizer.iterations == 0
    # (the plan for the fit drew no random numbers: no dropout)
    assert fastnn.utils.get_rng().bit_generator.state == rng
    # another optimizer's slots do not fit either
    m = sequential(optimizer=optimizers.RMSprop(centered=True))
    with pytest.raises(ValueError, match="slot"):
        m.fit(X, Y, epochs=3, verbose=0, callbacks=[callbacks.BackupAndRestore(str(backup))])


def test_end_of_fit_removes_only_the_backups(tmp_path):
    backup = tmp_path / "b"
    backup.mkdir()
    (backup / "notes.txt").write_text("mine")
    m = sequential()
    m.fit(X, Y, epochs=2, verbose=0, callbacks=[callbacks.BackupAndRestore(str(backup))])
    assert sorted(os.listdir(backup)) == ["notes.txt"]
    m.fit(X, Y, epochs=2, verbose=0,
          callbacks=[callbacks.BackupAndRestore(str(backup), delete_checkpoint=False)])
    assert sorted(os.listdir(backup)) == ["notes.txt", "training_state.fastnn"]


def test_a_finished_backup_is_not_resumed_past_its_epochs(tmp_path):
    """Keras: a backup at the last epoch makes the next fit run no epoch."""
    backup = str(tmp_path / "b")
    m = sequential()
    m.fit(X, Y, epochs=2, verbose=0,
          callbacks=[callbacks.BackupAndRestore(backup, delete_checkpoint=False)])
    h = m.fit(X, Y, epochs=2, verbose=0, callbacks=[callbacks.BackupAndRestore(backup)])
    assert h.epoch == []
    # and a later fit without the callback counts from its own initial_epoch again
    assert m.fit(X, Y, epochs=1, verbose=0).epoch == [0]


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(backup_dir=""), ValueError, "backup_dir"),
    (dict(backup_dir=3), TypeError, "backup_dir"),
    (dict(backup_dir=b"x"), TypeError, "backup_dir"),
    (dict(backup_dir="x", save_freq=0), ValueError, "save_freq"),
    (dict(backup_dir="x", save_freq="batch"), ValueError, "save_freq"),
    (dict(backup_dir="x", save_freq=True), ValueError, "save_freq"),
    (dict(backup_dir="x", double_checkpoint="yes"), TypeError, "double_checkpoint"),
    (dict(backup_dir="x", delete_checkpoint=None), TypeError, "delete_checkpoint"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        callbacks.BackupAndRestore(**kwargs)


def test_the_backup_file_is_checked_like_a_model_file(tmp_path):
    """A tampered training section is refused by name, before anything is assigned."""
    import json
    import zipfile
    m = sequential()
    path = str(tmp_path / "s.fastnn")
    saving.save_training_state(m, path, epoch=2)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    for field, value, match in [("epoch", -1, "training.epoch"),
                                ("epoch", 2.5, "training.epoch"),
                                ("learning_rate", -1.0, "learning_rate"),
                                ("rng", {"bit_generator": "MT19937"}, "training.rng"),
                                ("rng", {"bit_generator": "PCG64", "state": {}}, "training.rng")]:
        cfg = json.loads(members["config.json"])
        cfg["training"][field] = value
        bad = str(tmp_path / f"bad-{field}.fastnn")
        with zipfile.ZipFile(bad, "w") as z:
            for n, data in members.items():
                z.writestr(n, json.dumps(cfg) if n == "config.json" else data)
        with pytest.raises(ValueError, match=match):
            saving.load_training_state(m, bad)
    # a weights-only file is not a backup
    m.save_weights(str(tmp_path / "w.fastnn"))
    with pytest.raises(ValueError, match="fastnn.training"):
        saving.load_training_state(m, str(tmp_path / "w.fastnn"))
    # ... and a backup holds weights load_weights can read
    m2 = sequential()
    m2.load_weights(path)
