"""Progress output: Keras 3's bar and lines, captured from stdout."""
import io
import re

import numpy as np

import fastnn
from fastnn import Sequential
from fastnn.callbacks.base import Progbar
from fastnn.layers import Dense

X = np.random.default_rng(0).normal(size=(100, 4))
Y = np.arange(100) % 3
BAR = "━" * 20
NUM = r"\d\.\d{4}(e-\d\d)?"
TIME = r"\d+(s|ms|us)/step"


def _model():
    fastnn.utils.set_random_seed(0)
    m = Sequential([Dense(8, activation="relu"), Dense(3, activation="softmax")])
    m.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return m


def test_verbose1_not_a_tty_one_line_per_epoch(capsys):
    _model().fit(X, Y, epochs=2, batch_size=32, verbose=1)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert len(lines) == 4 and "\r" not in out and "\x1b" not in out
    pat = rf"^4/4 {BAR} \d+s {TIME} - accuracy: {NUM} - loss: {NUM}$"
    assert re.match(pat, lines[1]), lines[1]
    assert re.match(pat, lines[3]), lines[3]


def test_verbose_auto_is_1_and_single_epoch_has_no_epoch_line(capsys):
    _model().fit(X, Y, epochs=1)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("4/4 " + BAR)


def test_validation_metrics_at_epoch_end(capsys):
    _model().fit(X, Y, epochs=1, batch_size=50, validation_split=0.2, verbose=1)
    line = capsys.readouterr().out.splitlines()[0]
    assert re.match(rf"^2/2 {BAR} \d+s {TIME} - accuracy: {NUM} - loss: {NUM} - "
                    rf"val_accuracy: {NUM} - val_loss: {NUM}$", line), line


def test_loss_in_bar_is_the_history_value(capsys):
    h = _model().fit(X, Y, epochs=1, verbose=1)
    line = capsys.readouterr().out
    assert f"loss: {h.history['loss'][0]:.4f}" in line
    assert f"accuracy: {h.history['accuracy'][0]:.4f}" in line


def test_verbose2_one_line_per_epoch(capsys):
    _model().fit(X, Y, epochs=2, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and len(lines) == 4
    assert re.match(rf"^4/4 - \d+s - {TIME} - accuracy: {NUM} - loss: {NUM}$", lines[1]), lines[1]


def test_verbose0_silent(capsys):
    m = _model()
    m.fit(X, Y, epochs=2, verbose=0)
    m.evaluate(X, Y, verbose=0)
    m.predict(X, verbose=0)
    assert capsys.readouterr().out == ""


def test_evaluate_and_predict_bars(capsys):
    m = _model()
    m.fit(X, Y, verbose=0)
    m.evaluate(X, Y, verbose=1)
    m.predict(X, verbose=1)
    lines = capsys.readouterr().out.splitlines()
    assert re.match(rf"^4/4 {BAR} \d+s {TIME} - accuracy: {NUM} - loss: {NUM}$", lines[0]), lines[0]
    assert re.match(rf"^4/4 {BAR} \d+s {TIME}$", lines[1]), lines[1]


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_terminal_redraws_with_carriage_return_and_colours():
    s = _Tty()
    p = Progbar(3, stream=s, interval=0.0)
    p.update(1, {"loss": 0.5})
    p.update(2, {"loss": 0.25})
    p.update(3, {"loss": 0.125})
    out = s.getvalue()
    assert out.count("\r") == 3 and out.endswith("\n") and out.count("\n") == 1
    assert "\x1b[32m" in out and "\x1b[37m" in out  # green done, white remaining
    assert "loss: 0.1250" in out
    plain = re.sub(r"\x1b\[\d+m", "", out.split("\r")[-1])
    # spaces pad the line over a longer previous one (its step time may have had more digits)
    assert re.match(rf"^3/3 {BAR} \d+s {TIME} - loss: 0.1250 *\n$", plain), plain
    widths = [len(re.sub(r"\x1b\[\d+m", "", seg).rstrip("\n")) for seg in out.split("\r")[1:]]
    assert all(b >= a for a, b in zip(widths, widths[1:])), widths   # nothing left over


def test_number_formats():
    s = io.StringIO()
    Progbar(10, stream=s).update(10, {"loss": 0.0001234, "acc": 0.5})
    assert "loss: 1.2340e-04" in s.getvalue() and "acc: 0.5000" in s.getvalue()
    assert s.getvalue().startswith("10/10 ")
    s = io.StringIO()
    Progbar(100, stream=s).update(100)
    assert s.getvalue().startswith("100/100 " + BAR)
