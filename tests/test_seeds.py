"""The lecture's TensorFlow snippets (/work/shared/seeds/*.txt) run on fastnn end to end.

Each snippet is kept below as the slide shows it. Only two kinds of change are made:
- the import rewrite the project promises, done by string replacement in `rewrite()`:
  "tensorflow.keras" -> "fastnn", then "tensorflow" -> "fastnn";
- repairs of text the slide export garbled (marked "# slide fix:" with what was wrong).
The snippets then run with exec() on the bundled digits (or small synthetic data) and we
check what they produce.
"""
import contextlib
import io
import os

import numpy as np
import pytest

from fastnn.datasets import digits


def rewrite(code):
    return code.replace("tensorflow.keras", "fastnn").replace("tensorflow", "fastnn")


def run(code, **namespace):
    ns = dict(namespace)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(rewrite(code), "<seed snippet>", "exec"), ns)
    ns["_stdout"] = out.getvalue()
    return ns


# ---------------------------------------------------------------------------------------------
# Slide "ACTIVATION FUNCTION IN TENSORFLOW": three output-activation choices. The slide's side
# labels ("binary classification", "regression y ±", "regression y≥0") sit inside the code
# box; they become comments.
ACTIVATION_SNIPPET = """
import tensorflow as tf
from tensorflow.keras import Sequential
from tensorflow.keras.layers import Dense
                                          # binary classification   (slide fix: side label)
model = Sequential([
    Dense (units = 25, activation='relu'),
    Dense (units = 15, activation='relu'),
    Dense(units = 1 , activation='sigmoid')])
                                          # regression y ±          (slide fix: side label)
model = Sequential([
    Dense (units = 25, activation='relu'),
    Dense (units = 15, activation='relu'),
    Dense(units = 1 , activation='linear')])
model = Sequential([
                                          # regression y≥0          (slide fix: side label)
    Dense (units = 25, activation='relu'),
    Dense (units = 15, activation='relu'),
    Dense(units = 1 , activation='relu')])
"""

# Slide "TENSORFLOW IMPLEMENTATION": softmax output, SparseCategoricalCrossentropy().
SOFTMAX_SNIPPET = """
import tensorflow as tf
from tensorflow.keras import Sequential
from tensorflow.keras.layers import Dense
model = Sequential([
    Dense (units = 25, activation='relu'),
    Dense (units = 15, activation='relu'),
    Dense(units = 10, activation='softmax')])
from tensorflow.keras.losses import SparseCategoricalCrossentropy  # slide fix: wrapped over 2 lines
model.compile(loss=SparseCategoricalCrossentropy())
model.fit(X, Y, epochs = 100)
"""

# Slide "TENSORFLOW IMPLEMENTATION (MORE ACCURATE)": linear output + from_logits=True.
LOGITS_SNIPPET = """
import tensorflow as tf
from tensorflow.keras import Sequential
from tensorflow.keras.layers import Dense
model = Sequential([
    Dense (units = 25, activation='relu'),
    Dense (units = 15, activation='relu'),               # slide fix: lost the closing quote and ')'
    Dense (units = 10, activation='linear')])           # slide fix: lost the closing ')])'
from tensorflow.keras.losses import SparseCategoricalCrossentropy  # slide fix: wrapped over 2 lines
model.compile(
   loss=SparseCategoricalCrossentropy(from_logits=True))  # slide fix: "SparseCategoricalCrossentrop (from logits=True)"
model.fit(X, Y, epochs = 100)
logit = model(X)
f_x = tf.nn.softmax(logit)                                 # slide fix: "f x" lost its underscore
"""


# Slide "Logistic Regression": plain NumPy, no imports to rewrite; x is one sample.
LOGISTIC_SNIPPET = """
z = np.dot(w, x) + b

f_x = 1/(1+np.exp(-z))
w = w - alpha * dj_dw
b = b - alpha * dj_db
"""

SEEDS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "seeds")
SEEDS_DIRS = [SEEDS_DIR, "/work/shared/seeds"]


def _seed_text():
    for d in SEEDS_DIRS:
        if os.path.isdir(d):
            return "\n".join(open(os.path.join(d, f), encoding="utf-8").read()
                             for f in sorted(os.listdir(d)) if f.endswith(".txt"))
    return None


@pytest.mark.parametrize("snippet", [ACTIVATION_SNIPPET, SOFTMAX_SNIPPET, LOGITS_SNIPPET, LOGISTIC_SNIPPET],
                         ids=["activation", "softmax", "logits", "logistic"])
def test_snippets_are_the_slides_text(snippet):
    """Every line not marked as a slide fix is on the slides as it stands here."""
    text = _seed_text()
    if text is None:
        pytest.skip("the seed slides (../shared/seeds) are not next to this checkout")
    slide_lines = {line.strip() for line in text.splitlines()}
    for line in snippet.splitlines():
        if line.strip() and "slide fix" not in line:
            assert line.strip() in slide_lines, line


def test_logistic_regression_snippet_matches_fastnn_ops():
    from fastnn import kernel_ops as ops
    rng = np.random.default_rng(0)
    x, w0, b0 = rng.normal(size=4), rng.normal(size=4), 0.3
    ns = {"np": np, "x": x, "w": w0, "b": b0, "alpha": 0.1, "dj_dw": np.full(4, 2.0), "dj_db": -1.0}
    exec(LOGISTIC_SNIPPET, ns)
    assert ns["z"] == pytest.approx(float(ops.matmul(x[None, :], w0[:, None])[0, 0]) + b0, rel=1e-12)
    assert ns["f_x"] == pytest.approx(float(ops.sigmoid(np.array([ns["z"]]))[0]), rel=1e-12)
    assert np.allclose(ns["w"], w0 - 0.2) and ns["b"] == pytest.approx(b0 + 0.1)


def test_rewrite_touches_only_imports():
    code = rewrite(SOFTMAX_SNIPPET)
    assert "tensorflow" not in code
    assert "import fastnn as tf" in code and "from fastnn.layers import Dense" in code
    assert "from fastnn.losses import" in code
    # Everything else is the slide's text.
    assert code.replace("fastnn", "X") == SOFTMAX_SNIPPET.replace("tensorflow.keras", "X").replace("tensorflow", "X")


def _activation_models():
    """Exec the imports plus each of the three model definitions; return the three models."""
    parts = ACTIVATION_SNIPPET.split("model = Sequential(")
    head, bodies = parts[0], parts[1:]
    assert len(bodies) == 3
    return [run(head + "model = Sequential(" + body)["model"] for body in bodies]


def _digits01():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    keep, keep_t = y_train <= 1, y_test <= 1
    return x_train[keep] / 16.0, y_train[keep], x_test[keep_t] / 16.0, y_test[keep_t]


def test_activation_snippet_models_and_training():
    from fastnn.utils import set_random_seed
    set_random_seed(0)
    binary, linear, relu = _activation_models()
    for m, act in zip((binary, linear, relu), ("sigmoid", "linear", "relu")):
        assert [l.units for l in m.layers] == [25, 15, 1]
        assert m.layers[-1].get_config()["activation"] == act
        assert [l.get_config()["activation"] for l in m.layers[:2]] == ["relu", "relu"]

    # Binary classification: is this digit a 1? sigmoid output in (0, 1).
    x, y, xt, yt = _digits01()
    binary.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    binary.fit(x, y, epochs=10, verbose=0)
    p = binary.predict(xt, verbose=0)
    assert p.shape == (len(yt), 1) and np.all((p > 0) & (p < 1))
    assert np.mean((p[:, 0] >= 0.5) == yt) >= 0.97

    # Regression with targets of both signs: the linear output reaches negative values.
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(256, 3))
    y_pm = (2 * X[:, 0] - X[:, 1])[:, None]
    linear.compile(optimizer="adam", loss="mse")
    h = linear.fit(X, y_pm, epochs=30, verbose=0)
    pred = linear.predict(X, verbose=0)
    assert h.history["loss"][-1] < 0.1 * np.var(y_pm)
    assert pred.min() < -1.0 and pred.max() > 1.0

    # Regression with y >= 0: the relu output is never negative.
    y_pos = (1 + X[:, 0] ** 2 + X[:, 1])[:, None] + 1.0
    relu.compile(optimizer="adam", loss="mse")
    h = relu.fit(X, y_pos, epochs=30, verbose=0)
    pred = relu.predict(rng.uniform(-3, 3, size=(500, 3)), verbose=0)
    assert pred.min() >= 0.0
    assert h.history["loss"][-1] < 0.25 * np.var(y_pos)


@pytest.fixture(scope="module")
def digit_data():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    return x_train, y_train, x_test, y_test


def test_softmax_snippet_trains_the_digit_network(digit_data):
    from fastnn.utils import set_random_seed
    set_random_seed(0)
    X, Y, x_test, y_test = digit_data
    ns = run(SOFTMAX_SNIPPET, X=X, Y=Y)
    model = ns["model"]
    # compile() without an optimizer means RMSprop, as in Keras.
    assert type(model.optimizer).__name__ == "RMSprop"
    assert model.count_params() == 1625 + 390 + 160
    # verbose='auto' drew the progress bar: 100 epochs, each ending with its loss.
    assert ns["_stdout"].count("Epoch ") >= 100 and "Epoch 100/100" in ns["_stdout"]
    assert "loss:" in ns["_stdout"]
    p = model.predict(x_test, verbose=0)
    assert np.allclose(p.sum(axis=1), 1.0, atol=1e-5)
    assert np.mean(np.argmax(p, axis=1) == y_test) >= 0.93
    assert np.mean(np.argmax(model.predict(X, verbose=0), axis=1) == Y) >= 0.97


def test_logits_snippet_more_accurate_variant(digit_data):
    import fastnn
    from fastnn.utils import set_random_seed
    set_random_seed(0)
    X, Y, x_test, y_test = digit_data
    ns = run(LOGITS_SNIPPET, X=X, Y=Y)
    model, logit, f_x = ns["model"], ns["logit"], ns["f_x"]
    assert isinstance(logit, np.ndarray) and logit.shape == (len(X), 10)
    # The model outputs unbounded logits; tf.nn.softmax turns them into probabilities.
    assert logit.min() < 0 and logit.max() > 1
    assert np.allclose(f_x.sum(axis=1), 1.0, atol=1e-5) and f_x.min() >= 0
    e = np.exp(logit.astype(np.float64) - logit.max(axis=1, keepdims=True))
    assert np.allclose(f_x, e / e.sum(axis=1, keepdims=True), atol=1e-6)
    assert np.mean(np.argmax(f_x, axis=1) == Y) >= 0.97
    test_pred = fastnn.nn.softmax(model(x_test))
    assert np.mean(np.argmax(test_pred, axis=1) == y_test) >= 0.93
