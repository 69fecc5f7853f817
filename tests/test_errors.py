"""Every documented bad input raises a clear exception and leaves the model unchanged."""
import numpy as np
import pytest

import fastnn
from fastnn import Sequential
from fastnn.layers import Dense, Input


def _model(compiled=True, loss="sparse_categorical_crossentropy", units=3, act="softmax"):
    fastnn.utils.set_random_seed(0)
    m = Sequential([Input((4,)), Dense(5, activation="relu"), Dense(units, activation=act)])
    if compiled:
        m.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return m


X = np.random.default_rng(0).normal(size=(10, 4))
Y = np.arange(10) % 3


def _unchanged(m, before):
    for a, b in zip(m.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    assert m.optimizer is None or m.optimizer.iterations == 0


@pytest.mark.parametrize("x,y,match", [
    (X[:, :3], Y, r"x expected shape \('N', 4\) \(the model's input\), got \(10, 3\)"),
    (X.reshape(10, 2, 2), Y, r"x expected shape \('N', 4\).*got \(10, 2, 2\)"),
    (X, Y[:9], r"x and y must have the same number of samples, got x with 10 and y with 9"),
    (X, np.where(Y == 2, 3, Y), r"labels must be in \[0, 3\) for a model with 3 output units, got values in \[0, 3\]"),
    (X, np.where(Y == 2, -1, Y), r"labels must be in \[0, 3\).*\[-1, 1\]"),
    (X, Y + 0.5, r"must hold integer class labels, got non-integer values such as 0.5"),
    (np.where(X > 1.0, np.nan, X), Y, r"x must be finite, got \d+ NaN/Inf"),
    (np.where(X > 1.0, np.inf, X), Y, r"x must be finite"),
    (X, np.where(Y == 2, np.nan, Y), r"y must be finite"),
    (X[:0], Y[:0], r"x must not be empty, got shape \(0, 4\)"),
    (X, np.zeros((10, 2)), r"y for SparseCategoricalCrossentropy must be integer class labels of shape"),
])
def test_fit_bad_data(x, y, match):
    m = _model()
    before = m.get_weights()
    with pytest.raises(ValueError, match=match):
        m.fit(x, y, verbose=0)
    _unchanged(m, before)


def test_binary_labels_outside_0_1():
    m = _model(loss="binary_crossentropy", units=1, act="sigmoid")
    before = m.get_weights()
    with pytest.raises(ValueError, match=r"y for BinaryCrossentropy must be 0/1 labels.*got values in \[0, 2\]"):
        m.fit(X, Y.reshape(-1, 1), verbose=0)
    _unchanged(m, before)


def test_categorical_shape_mismatch_hint():
    m = _model(loss="categorical_crossentropy")
    with pytest.raises(ValueError, match=r"expected shape \('N', 3\).*got \(10, 1\).*SparseCategoricalCrossentropy"):
        m.fit(X, Y.reshape(-1, 1), verbose=0)


def test_fit_before_compile():
    m = _model(compiled=False)
    before = m.get_weights()
    with pytest.raises(ValueError, match=r"fit: the model must be compiled first"):
        m.fit(X, Y)
    with pytest.raises(ValueError, match=r"evaluate: the model must be compiled first"):
        m.evaluate(X, Y)
    _unchanged(m, before)


def test_unbuilt_model_stays_unbuilt_on_error():
    m = Sequential([Dense(3, activation="softmax")])
    m.compile(loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="labels must be in"):
        m.fit(X, Y + 5, verbose=0)
    assert not m.built


def test_predict_on_a_model_never_built_builds_it_from_the_data():
    """As Keras 3: the model is built for the data's shape (new weights) and predicts."""
    m = Sequential([Dense(3)])
    out = m.predict(X, verbose=0)
    assert m.built and out.shape == (len(X), 3)
    np.testing.assert_allclose(out, X @ m.layers[0].kernel + m.layers[0].bias, rtol=1e-5)
    with pytest.raises(ValueError, match=r"predict: x expected shape \('N', 4\)"):
        m.predict(np.zeros((2, 5)), verbose=0)


def test_predict_wrong_features():
    m = _model()
    with pytest.raises(ValueError, match=r"predict: x expected shape \('N', 4\).*got \(10, 5\)"):
        m.predict(np.zeros((10, 5)))
    with pytest.raises(ValueError, match=r"__call__: x expected shape"):
        m(np.zeros((2, 5)))
    # A 1-D x is taken as N samples of one feature; the message names what was given.
    with pytest.raises(ValueError, match=r"predict: x expected shape \('N', 4\).*got \(4,\)$"):
        m.predict(np.zeros(4))


@pytest.mark.parametrize("kind,arg,match", [
    ("loss", "msee", r"unknown loss 'msee'; expected one of \[.*'mse'"),
    ("optimizer", "adamm", r"unknown optimizer 'adamm'; expected one of \['adadelta', 'adagrad', 'adam', 'adamax', 'adamw', 'ftrl', 'lion', 'nadam', 'rmsprop', 'sgd'\]"),
    ("metrics", ["acc", "f1"], r"unknown metric 'f1'; expected one of \[.*'accuracy'"),
])
def test_unknown_names_at_compile(kind, arg, match):
    m = _model(compiled=False)
    kw = {"loss": "mse", kind: arg}
    with pytest.raises(ValueError, match=match):
        m.compile(**kw)
    assert not m.compiled


def test_unknown_activation():
    with pytest.raises(ValueError, match=r"unknown activation 'reluu'; expected one of \[.*'relu'"):
        Dense(3, activation="reluu")


def test_compile_without_loss_then_fit_says_what_is_missing():
    """As in Keras, compile() may leave out the loss (a model with a train_step of its
    own, or whose layers call add_loss(), needs none); fit with the built-in step on a
    model that adds no loss term raises Keras' error, before any weight changes."""
    m = _model(compiled=False)
    m.compile(optimizer="adam")
    before = m.get_weights()
    with pytest.raises(ValueError, match="No loss to compute. Provide a `loss` argument"):
        m.fit(X, Y, verbose=0)
    _unchanged(m, before)


def test_set_weights_wrong_count_and_shape():
    m = _model()
    before = m.get_weights()
    with pytest.raises(ValueError, match=r"expected 4 arrays.*got 3"):
        m.set_weights(before[:3])
    bad = [w.copy() for w in before]
    bad[2] = np.zeros((3, 5))
    with pytest.raises(ValueError, match=r"weights\[2\] \(dense_?\d*/kernel\) expected shape \(5, 3\), got \(3, 5\)"):
        m.set_weights(bad)
    bad = [w + 1 for w in before]
    bad[3] = np.zeros(4)
    with pytest.raises(ValueError, match=r"weights\[3\].*expected shape \(3,\), got \(4,\)"):
        m.set_weights(bad)
    _unchanged(m, before)  # nothing was half-written


@pytest.mark.parametrize("split", [1.0, -0.1, 1.5, "0.2"])
def test_validation_split_range(split):
    m = _model()
    before = m.get_weights()
    with pytest.raises(ValueError, match=r"validation_split must be a float in \[0, 1\), got"):
        m.fit(X, Y, validation_split=split, verbose=0)
    _unchanged(m, before)


def test_validation_data_checked_before_training():
    m = _model()
    before = m.get_weights()
    with pytest.raises(ValueError, match=r"validation_data\[1\] labels must be in \[0, 3\)"):
        m.fit(X, Y, validation_data=(X, Y + 3), verbose=0)
    with pytest.raises(ValueError, match=r"validation_data\[0\] expected shape"):
        m.fit(X, Y, validation_data=(X[:, :2], Y), verbose=0)
    _unchanged(m, before)


@pytest.mark.parametrize("kw,match", [
    ({"batch_size": 0}, r"batch_size must be an int >= 1, got 0"),
    ({"epochs": -1}, r"epochs must be an int >= 0, got -1"),
    ({"verbose": 3}, r"verbose must be 0, 1, 2 or 'auto', got 3"),
    ({"sample_weight": np.ones(9)}, r"sample_weight must have shape \(10,\), got \(9,\)"),
    ({"class_weight": {0: 1.0, 1: 2.0}}, r"class_weight must give a weight for every class in y; missing \[2\]"),
])
def test_fit_bad_arguments(kw, match):
    m = _model()
    before = m.get_weights()
    with pytest.raises(ValueError, match=match):
        m.fit(X, Y, **kw)
    _unchanged(m, before)


def test_non_numeric_inputs():
    m = _model()
    with pytest.raises(TypeError, match="x must hold real numbers"):
        m.fit(np.array([["a"] * 4] * 10), Y, verbose=0)


def _batches():
    while True:
        yield X, Y


@pytest.mark.parametrize("call", ["fit", "evaluate", "predict"])
def test_generators_and_dicts_are_taken_as_keras_takes_them(call):
    """A generator of (x, y) batches, with steps: fit trains, evaluate and predict give
    what the arrays give; a generator given targets as well is refused as Keras refuses
    it, naming y, and leaves the model as it was."""
    m = _model()
    before = m.get_weights()
    if call != "predict":
        with pytest.raises(ValueError, match="`y` should not be passed"):
            getattr(m, call)(_batches(), Y, steps=2, verbose=0) if call == "evaluate" \
                else m.fit(_batches(), Y, steps_per_epoch=2, verbose=0)
        _unchanged(m, before)
    if call == "fit":
        m.fit(_batches(), steps_per_epoch=2, epochs=2, verbose=0)
        assert m.optimizer.iterations == 4
    elif call == "evaluate":
        assert m.evaluate(_batches(), steps=3, verbose=0) == pytest.approx(
            m.evaluate(X, Y, verbose=0))
    else:
        np.testing.assert_array_equal(m.predict(iter([X[:6], X[6:]]), verbose=0),
                                      m.predict(X, verbose=0))
        np.testing.assert_array_equal(m.predict({"in": X}, verbose=0), m.predict(X, verbose=0))
        with pytest.raises(ValueError, match="one array of inputs"):
            m.predict({"a": X, "b": X}, verbose=0)


def test_bad_layer_arguments():
    with pytest.raises(ValueError, match="units must be a positive int, got 0"):
        Dense(0)
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['unitz'\]"):
        Dense(3, unitz=4)
    # a ValueError, as Keras raises for what is not a layer
    with pytest.raises(ValueError, match="layer must be a fastnn Layer"):
        Sequential([lambda x: x])


def test_a_custom_activation_trains_through_the_tape():
    """A Python function as activation is differentiated by the tape (it was refused
    before autodiff): one SGD step on mse matches the step computed by hand."""
    m = Sequential([Input((4,)), Dense(3, activation=lambda z: z * 2)])
    assert m.predict(X, verbose=0).shape == (10, 3)
    m.compile(optimizer=fastnn.optimizers.SGD(0.1), loss="mse")
    w, b = [a.astype(np.float64) for a in m.get_weights()]
    x = X.astype(np.float32).astype(np.float64)
    t = np.ones((10, 3))
    pred = 2 * (x @ w + b)
    g = 2 * (pred - t) / t.size * 2          # d mean((pred - t)^2) / dz
    m.fit(X, t, batch_size=10, shuffle=False, verbose=0)
    np.testing.assert_allclose(m.get_weights()[0], w - 0.1 * x.T @ g, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.get_weights()[1], b - 0.1 * g.sum(0), rtol=1e-5, atol=1e-6)


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=-3, max_value=5), min_size=10, max_size=10))
def test_sparse_labels_property(labels):
    # fit succeeds exactly when every label is in [0, 3); otherwise nothing changes.
    m = _model()
    before = m.get_weights()
    y = np.array(labels)
    if y.min() >= 0 and y.max() < 3:
        m.fit(X, y, epochs=1, verbose=0)
        assert m.optimizer.iterations == 1
    else:
        with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
            m.fit(X, y, epochs=1, verbose=0)
        _unchanged(m, before)


def test_ragged_input():
    m = _model()
    with pytest.raises(TypeError, match="x must be an array of real numbers with rows of equal length"):
        m.fit([[1.0, 2.0], [1.0]], [0, 1], verbose=0)


def test_empty_model():
    m = Sequential()
    with pytest.raises(ValueError, match="has no layers"):
        m.compile(loss="mse") or m.fit(X, Y)
    with pytest.raises(ValueError, match="has no layers"):
        m.predict(X)
    with pytest.raises(ValueError, match="has no layers"):
        m(X)


def test_compile_rejects_a_loss_reduction_training_cannot_use():
    # "none" gives one value per sample (fit trains on "sum" and the others as Keras does)
    from fastnn import Sequential
    from fastnn.layers import Dense
    from fastnn.losses import MeanSquaredError
    model = Sequential([Dense(1)])
    with pytest.raises(ValueError, match="reduction='none'"):
        model.compile(optimizer="sgd", loss=MeanSquaredError(reduction="none"))
    assert not model.compiled


# ------------------------------------------------ constructors and functions' arguments
# Each bad argument is refused with ValueError/TypeError naming it: never an
# OverflowError (10**400), IndexError or AttributeError from inside, and never accepted
# to turn the weights into NaN later (inf/nan hyper-parameters).
import math  # noqa: E402

from fastnn import (activations, callbacks, initializers, losses, metrics,  # noqa: E402
                    nn, optimizers, regularizers, utils)
from fastnn import kernel_ops as ops  # noqa: E402
from fastnn.optimizers import schedules  # noqa: E402

HUGE = 10 ** 400
INF, NAN = math.inf, math.nan
ONES = np.ones((2, 3))


def _w():
    return np.ones(3)


@pytest.mark.parametrize("call,exc,match", [
    # ops: scalar arguments beyond the float range
    (lambda: ops.sgd_update(_w(), _w(), lr=HUGE), ValueError, r"lr must be finite, got 10000000\.\.\. \(an int of 401 digits\)"),
    (lambda: ops.sgd_update(_w(), _w(), momentum=HUGE), ValueError, "momentum must be finite"),
    (lambda: ops.adam_update(_w(), _w(), _w(), _w(), alpha_t=HUGE), ValueError, "alpha_t must be finite"),
    (lambda: ops.rmsprop_update(_w(), _w(), _w(), rho=HUGE), ValueError, "rho must be finite"),
    (lambda: ops.adagrad_update(_w(), _w(), _w(), epsilon=-HUGE), ValueError, "epsilon must be finite"),
    (lambda: ops.huber(ONES, ONES, delta=HUGE), ValueError, "delta must be finite"),
    (lambda: ops.elu(ONES, alpha=HUGE), ValueError, "alpha must be finite"),
    (lambda: ops.leaky_relu(ONES, negative_slope=-HUGE), ValueError, "negative_slope must be finite"),
    (lambda: ops.relu([HUGE, 1]), ValueError, "x must hold finite real numbers, got an int too large"),
    # activations
    (lambda: activations.elu(ONES, alpha=HUGE), ValueError, "alpha must be finite"),
    (lambda: activations.elu(-HUGE), ValueError, "x must hold finite real numbers, got an int too large"),
    (lambda: activations.relu(ONES, max_value=NAN), ValueError, "relu: max_value must be a finite number"),
    (lambda: activations.relu(ONES, threshold="0"), TypeError, "relu: threshold must be a real number"),
    (lambda: activations.gelu(ONES, approximate="no"), TypeError, "approximate must be a bool"),
    (lambda: activations.get({"config": 5}), TypeError, "activation: a config dict must name the activation"),
    (lambda: activations.softmax(np.array(1.0)), ValueError, "x must have at least 1 dimension for softmax"),
    (lambda: ops.activation_forward(3, ONES), TypeError, "name must be an activation name"),
    (lambda: ops.activation_forward("nope", ONES), ValueError, "name: unknown activation 'nope'"),
    (lambda: ops.dense(ONES, np.ones((3, 2)), activation=3), TypeError, "activation must be an activation name"),
    (lambda: ops.loss_and_grad("nope", ONES, ONES), ValueError, "name must be a loss name, got unknown loss 'nope'"),
    (lambda: nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 5], logits=ONES), ValueError,
     r"labels class indices must be in \[0, 3\) for logits with 3 columns"),
    (lambda: nn.leaky_relu([["a"]]), TypeError, "features must be an array of real numbers"),
    (lambda: nn.leaky_relu(ONES, alpha=INF), ValueError, "leaky_relu: alpha must be a finite number"),
    (lambda: nn.sigmoid_cross_entropy_with_logits(logits=ONES), TypeError, "labels is required, got None"),
    (lambda: nn.softmax_cross_entropy_with_logits(np.ones(3), ONES), ValueError,
     r"labels must have the shape of logits \(2, 3\), got \(3,\)"),
    # optimizers: every hyper-parameter
    (lambda: optimizers.SGD(learning_rate=HUGE), ValueError, r"SGD: learning_rate must be a finite number in \[0, 3\.40282e\+38\], got 10000000\.\.\."),
    (lambda: optimizers.SGD(momentum=HUGE), ValueError, r"SGD: momentum must be a finite number in \[0, 1\]"),
    (lambda: optimizers.SGD(learning_rate=1e300), ValueError, r"SGD: learning_rate must be a finite number in \[0, 3.40282e\+38\], got 1e\+300"),
    (lambda: optimizers.SGD(clipnorm=HUGE), ValueError, "SGD: clipnorm must be a finite number > 0"),
    (lambda: optimizers.SGD(nesterov="yes"), TypeError, "SGD: nesterov must be True or False, got str 'yes'"),
    (lambda: optimizers.SGD(momentum=5e-324), ValueError, "SGD: momentum must be 0 or at least 2.2250738585072014e-308"),
    (lambda: optimizers.RMSprop(momentum=5e-324), ValueError, "RMSprop: momentum must be 0 or at least"),
    (lambda: ops.sgd_update(_w(), _w(), _w(), momentum=5e-324), ValueError, "momentum must be 0 or at least"),
    (lambda: optimizers.SGD(3e38, weight_decay=10.0).apply([np.ones(2, np.float32)],
                                                           [np.ones(2, np.float32)]),
     ValueError, r"SGD.apply: the learning rate 3e\+38 \(times weight_decay: 3e\+39\) is beyond float32's largest"),
    (lambda: optimizers.SGD(name=3), TypeError, "SGD: name must be a str or None, got int 3"),
    (lambda: optimizers.Adam(beta_1=NAN), ValueError, r"Adam: beta_1 must be a finite number in \[0, 1\), got nan"),
    (lambda: optimizers.Adam(beta_2=HUGE), ValueError, "Adam: beta_2 must be a finite number"),
    (lambda: optimizers.Adam(epsilon=INF), ValueError, "Adam: epsilon must be a finite number >= 0, got inf"),
    (lambda: optimizers.Adam(epsilon=0.0), ValueError, r"Adam: epsilon must be >= 1\.17549e-38 .*0/0 = NaN"),
    (lambda: optimizers.Adam(epsilon=1e-40), ValueError, "Adam: epsilon must be >= 1.17549e-38"),
    (lambda: optimizers.Adam(amsgrad="no"), TypeError, "Adam: amsgrad must be True or False"),
    (lambda: optimizers.AdamW(weight_decay=HUGE), ValueError, "AdamW: weight_decay must be a finite number"),
    (lambda: optimizers.AdamW(weight_decay=-INF), ValueError, "AdamW: weight_decay must be a finite number"),
    (lambda: optimizers.RMSprop(rho=HUGE), ValueError, "RMSprop: rho must be a finite number"),
    (lambda: optimizers.RMSprop(momentum=NAN), ValueError, "RMSprop: momentum must be a finite number"),
    (lambda: optimizers.RMSprop(epsilon=0), ValueError, "RMSprop: epsilon must be >= 1.17549e-38"),
    (lambda: optimizers.RMSprop(centered=1), TypeError, "RMSprop: centered must be True or False"),
    (lambda: optimizers.Adagrad(initial_accumulator_value=HUGE), ValueError, "Adagrad: initial_accumulator_value must be a finite"),
    (lambda: optimizers.Adagrad(initial_accumulator_value=0.0, epsilon=0.0), ValueError,
     "Adagrad: epsilon or initial_accumulator_value must be >= 1.17549e-38"),
    (lambda: optimizers.Adagrad(epsilon=HUGE), ValueError, "Adagrad: epsilon must be a finite number"),
    (lambda: optimizers.Adadelta(rho=1.5), ValueError, r"Adadelta: rho must be a finite number in \[0, 1\], got 1.5"),
    (lambda: optimizers.Adadelta(rho=-0.1), ValueError, r"Adadelta: rho must be a finite number in \[0, 1\], got -0.1"),
    (lambda: optimizers.Adadelta(rho="0.9"), TypeError, "Adadelta: rho must be a real number"),
    (lambda: optimizers.Adadelta(epsilon=-1e-7), ValueError, "Adadelta: epsilon must be a finite number >= 0, got -1e-07"),
    (lambda: optimizers.Adadelta(epsilon=0.0), ValueError, "Adadelta: epsilon must be >= 1.17549e-38"),
    (lambda: optimizers.Lion(beta_1=0.0), ValueError, r"Lion: beta_1 must be a finite number in \(0, 1\], got 0.0"),
    (lambda: optimizers.Lion(beta_1=1.1), ValueError, r"Lion: beta_1 must be a finite number in \(0, 1\], got 1.1"),
    (lambda: optimizers.Lion(beta_2=NAN), ValueError, r"Lion: beta_2 must be a finite number in \[0, 1\], got nan"),
    (lambda: optimizers.Lion(beta_2=[0.9]), TypeError, "Lion: beta_2 must be a real number"),
    (lambda: optimizers.AdamW(amsgrad=None), TypeError, "AdamW: amsgrad must be True or False"),
    # schedules
    (lambda: schedules.ExponentialDecay(HUGE, 10, 0.9), ValueError, "ExponentialDecay: initial_learning_rate must be a finite number in \\[0, 3.40282e\\+38\\]"),
    (lambda: schedules.ExponentialDecay(INF, 10, 0.9), ValueError, r"initial_learning_rate must be a finite number in \[0, 3.40282e\+38\], got inf"),
    (lambda: schedules.ExponentialDecay(0.1, NAN, 0.9), ValueError, "ExponentialDecay: decay_steps must be a finite number > 0, got nan"),
    (lambda: schedules.ExponentialDecay(0.1, INF, 0.9), ValueError, "decay_steps must be a finite number > 0"),
    (lambda: schedules.ExponentialDecay(0.1, 10, HUGE), ValueError, "ExponentialDecay: decay_rate must be a finite number >= 0"),
    (lambda: schedules.ExponentialDecay(0.1, 10, -0.5), ValueError, "decay_rate must be a finite number >= 0, got -0.5"),
    (lambda: schedules.ExponentialDecay(0.1, 10, 0.9, staircase="yes"), TypeError, "staircase must be True or False"),
    (lambda: schedules.ExponentialDecay(0.1, 10, 0.9)(HUGE), ValueError, "ExponentialDecay: step must be a finite number >= 0"),
    (lambda: schedules.ExponentialDecay(0.1, 10, 0.9)(-1), ValueError, "step must be a finite number >= 0, got -1"),
    (lambda: schedules.ExponentialDecay(0.1, 1, 2.0)(5000), ValueError,
     r"ExponentialDecay: the learning rate at step 5000 is not a number in \[0, 3.40282e\+38\] \(float32's largest\): .* = inf"),
    (lambda: schedules.InverseTimeDecay(0.1, 10, NAN), ValueError, "InverseTimeDecay: decay_rate must be a finite number"),
    (lambda: schedules.InverseTimeDecay(0.1, 10, -0.5), ValueError, "InverseTimeDecay: decay_rate must be a finite number >= 0"),
    (lambda: schedules.InverseTimeDecay(0.1, 10, 0.5)(HUGE), ValueError, "step must be a finite number"),
    (lambda: schedules.CosineDecay(HUGE, 10), ValueError, "CosineDecay: initial_learning_rate must be a finite number"),
    (lambda: schedules.CosineDecay(0.1, 10, alpha=HUGE), ValueError, "CosineDecay: alpha must be a finite number"),
    (lambda: schedules.CosineDecay(0.1, 10, alpha=-1.0), ValueError, "CosineDecay: alpha must be a finite number >= 0"),
    (lambda: schedules.CosineDecay(0.1, 10)(HUGE), ValueError, "CosineDecay: step must be a finite number"),
    (lambda: schedules.PiecewiseConstantDecay([10, INF], [0.1, 0.01, 0.001]), ValueError,
     r"PiecewiseConstantDecay: boundaries\[1\] must be a finite number, got inf"),
    (lambda: schedules.PiecewiseConstantDecay([10], [0.1, NAN]), ValueError, r"values\[1\] must be a finite number in \[0, 3.40282e\+38\], got nan"),
    (lambda: schedules.PiecewiseConstantDecay([20, 10], [0.1, 0.01, 0.001]), ValueError,
     r"boundaries must be strictly increasing, got boundaries\[0\]=20 and boundaries\[1\]=10"),
    (lambda: schedules.PiecewiseConstantDecay(10, [0.1, 0.01]), TypeError, "boundaries must be a list of numbers, got int 10"),
    (lambda: schedules.PolynomialDecay(0.1, 0), ValueError, "PolynomialDecay: decay_steps must be a finite number > 0, got 0"),
    (lambda: schedules.PolynomialDecay(0.1, 10, end_learning_rate=-1.0), ValueError, r"PolynomialDecay: end_learning_rate must be a finite number in \[0, 3.40282e\+38\]"),
    (lambda: schedules.PolynomialDecay(0.1, 10, power=-1.0), ValueError, "PolynomialDecay: power must be a finite number >= 0"),
    (lambda: schedules.PolynomialDecay(0.1, 10, cycle=1), TypeError, "PolynomialDecay: cycle must be True or False"),
    (lambda: schedules.PolynomialDecay(0.1, 10)(-1), ValueError, "PolynomialDecay: step must be a finite number >= 0"),
    (lambda: schedules.CosineDecay(0.1, 10, warmup_target=-0.1), ValueError, r"CosineDecay: warmup_target must be a finite number in \[0, 3.40282e\+38\], got -0.1"),
    (lambda: schedules.CosineDecay(0.1, 10, warmup_target="0.1"), TypeError, "CosineDecay: warmup_target must be a real number"),
    (lambda: schedules.CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=-1), ValueError, "CosineDecay: warmup_steps must be a finite number >= 0"),
    (lambda: schedules.CosineDecayRestarts(0.1, 0), ValueError, "CosineDecayRestarts: first_decay_steps must be a finite number > 0"),
    (lambda: schedules.CosineDecayRestarts(0.1, 10, t_mul=0.0), ValueError, "CosineDecayRestarts: t_mul must be a finite number > 0"),
    (lambda: schedules.CosineDecayRestarts(0.1, 10, m_mul=-1.0), ValueError, "CosineDecayRestarts: m_mul must be a finite number >= 0"),
    (lambda: schedules.CosineDecayRestarts(0.1, 10, alpha=NAN), ValueError, "CosineDecayRestarts: alpha must be a finite number"),
    (lambda: schedules.CosineDecayRestarts(0.1, 10, t_mul=0.5)(20), ValueError,
     r"CosineDecayRestarts: at step 20 the restarts are over: with t_mul = 0.5 < 1 all periods together last first_decay_steps / \(1 - t_mul\) = 20 steps"),
    # initializers
    (lambda: initializers.Constant(HUGE), ValueError, r"Constant: value must be a finite number, got 10000000\.\.\."),
    (lambda: initializers.Constant(INF), ValueError, "Constant: value must be a finite number, got inf"),
    (lambda: initializers.Constant(1e300)((2, 2)), ValueError, r"Constant: value=1e\+300 would give values that are not finite in float32"),
    (lambda: initializers.RandomNormal(mean=-INF), ValueError, "RandomNormal: mean must be a finite number, got -inf"),
    (lambda: initializers.RandomNormal(stddev=NAN), ValueError, "RandomNormal: stddev must be a finite number >= 0"),
    (lambda: initializers.RandomNormal(stddev=-1.0), ValueError, "RandomNormal: stddev must be a finite number >= 0"),
    (lambda: initializers.RandomNormal(seed=-1), ValueError, "RandomNormal: seed must be an int >= 0"),
    (lambda: initializers.RandomNormal(seed=1.5), TypeError, "RandomNormal: seed must be an int >= 0 or None"),
    (lambda: initializers.RandomNormal(stddev=1e300)((2, 2)), ValueError, "RandomNormal: mean=0.0 and stddev=1e.300 give values that are not finite in float32"),
    (lambda: initializers.TruncatedNormal(mean=HUGE), ValueError, "TruncatedNormal: mean must be a finite number"),
    (lambda: initializers.RandomUniform(maxval=INF), ValueError, "RandomUniform: maxval must be a finite number"),
    (lambda: initializers.RandomUniform(-1e308, 1e308), ValueError, "RandomUniform: maxval - minval must be a finite number"),
    (lambda: initializers.RandomUniform(1.0, 0.0), ValueError,
     "RandomUniform: maxval - minval must be a finite number >= 0, got minval=1.0, maxval=0.0"),
    (lambda: initializers.VarianceScaling(scale=INF), ValueError, "VarianceScaling: scale must be a finite number > 0, got inf"),
    (lambda: initializers.VarianceScaling(mode=["fan_in"]), TypeError, "VarianceScaling: mode must be one of 'fan_in'"),
    (lambda: initializers.GlorotUniform(seed="1"), TypeError, "GlorotUniform: seed must be an int"),
    (lambda: initializers.RandomNormal()(None), TypeError, "RandomNormal: shape must be a tuple of ints >= 0, got NoneType None"),
    (lambda: initializers.Zeros()((2, -1)), ValueError, r"Zeros: shape\[1\] must be an int >= 0, got -1"),
    (lambda: initializers.GlorotUniform()((2, 2), dtype="int8"), TypeError, "GlorotUniform: dtype must be a floating-point dtype"),
    # regularizers (Keras' validate_float_arg)
    (lambda: regularizers.L1L2(l1=INF), ValueError, "L1L2: l1 must be a finite number >= 0, got inf"),
    (lambda: regularizers.L2(HUGE), ValueError, "L2: l2 must be a finite number >= 0"),
    (lambda: regularizers.L1("0.1"), TypeError, "L1: l1 must be a real number >= 0, got str"),
    (lambda: regularizers.L2(0.1)(HUGE), ValueError, "L2: w must hold finite real numbers"),
    (lambda: regularizers.L2(0.1).grad("w"), TypeError, "L2: w must be an array of real numbers"),
    # losses, metrics
    (lambda: losses.Huber(delta=HUGE), ValueError, "Huber: delta must be a finite number > 0"),
    (lambda: losses.Huber(delta=INF), ValueError, "Huber: delta must be a finite number > 0, got inf"),
    (lambda: losses.BinaryCrossentropy(from_logits="yes"), TypeError, "BinaryCrossentropy: from_logits must be True or False"),
    (lambda: losses.MeanSquaredError(reduction=np.array([1])), ValueError, "reduction must be 'sum_over_batch_size'"),
    (lambda: losses.MeanSquaredError()(ONES, [[HUGE] * 3] * 2), ValueError, "MeanSquaredError: y_pred must hold finite real numbers"),
    (lambda: losses.MeanSquaredError()(ONES, ONES, sample_weight=np.ones(3)), ValueError,
     r"MeanSquaredError: sample_weight must have one weight per sample, shape \(2,\)"),
    (lambda: losses.MeanSquaredError()(ONES, ONES, sample_weight=[1.0, NAN]), ValueError, "sample_weight must be finite"),
    (lambda: losses.SparseCategoricalCrossentropy()([0, NAN], ONES), ValueError, "y_true must hold integer class indices"),
    (lambda: losses.get(np.array([1])), ValueError, "loss: expected a loss name"),
    (lambda: metrics.BinaryAccuracy(threshold=HUGE), ValueError, r"BinaryAccuracy: threshold must be a finite number in \(0, 1\)"),
    (lambda: metrics.BinaryAccuracy(threshold=NAN), ValueError, r"threshold must be a finite number in \(0, 1\), got nan"),
    (lambda: metrics.Mean().update_state(HUGE), ValueError, "Mean.update_state: values must hold finite real numbers"),
    (lambda: metrics.Mean().update_state([1.0, 2.0], sample_weight=[1.0, 2.0, 3.0]), ValueError,
     r"Mean.update_state: sample_weight must broadcast to the per-sample values \(2,\)"),
    (lambda: metrics.MeanSquaredError().update_state(np.ones(3), ONES), ValueError,
     r"MeanSquaredError.update_state: y_true must have the shape of y_pred \(2, 3\)"),
    (lambda: metrics.SparseCategoricalAccuracy().update_state([0, NAN], ONES), ValueError,
     r"y_true must hold class indices \(finite integers\)"),
    (lambda: metrics.CategoricalAccuracy().update_state([0, 1], ONES), ValueError,
     "CategoricalAccuracy.update_state: y_true must have the shape of y_pred"),
    (lambda: metrics.Mean(name=1), TypeError, "Mean: name must be a str or None"),
    (lambda: metrics.SparseCategoricalAccuracy().update_state([0], []), ValueError,
     r"y_pred must have a last axis of class scores \(at least one class\), got shape \(0,\)"),
    (lambda: metrics.CategoricalAccuracy().update_state(np.zeros((2, 0)), np.zeros((2, 0))), ValueError,
     "CategoricalAccuracy.update_state: y_pred must have a last axis of class scores"),
    # callbacks
    (lambda: callbacks.EarlyStopping(baseline=HUGE), ValueError, "EarlyStopping: baseline must be a finite number"),
    (lambda: callbacks.EarlyStopping(baseline=NAN), ValueError, "EarlyStopping: baseline must be a finite number"),
    (lambda: callbacks.EarlyStopping(monitor=0), TypeError, "EarlyStopping: monitor must be a str, got int 0"),
    (lambda: callbacks.EarlyStopping(patience=-1), ValueError, "EarlyStopping: patience must be an int >= 0, got -1"),
    (lambda: callbacks.EarlyStopping(patience=2.5), TypeError, "EarlyStopping: patience must be an int"),
    (lambda: callbacks.EarlyStopping(min_delta=INF), ValueError, "EarlyStopping: min_delta must be a finite number"),
    (lambda: callbacks.EarlyStopping(mode=None), TypeError, "EarlyStopping: mode must be one of 'auto', 'min', 'max'"),
    (lambda: callbacks.EarlyStopping(start_from_epoch=-1), ValueError, "start_from_epoch must be an int >= 0"),
    (lambda: callbacks.EarlyStopping(restore_best_weights="yes"), TypeError, "restore_best_weights must be True or False"),
    (lambda: callbacks.ReduceLROnPlateau(factor=NAN), ValueError, "ReduceLROnPlateau: factor must be a finite number >= 0, got nan"),
    (lambda: callbacks.ReduceLROnPlateau(factor=-0.5), ValueError, "ReduceLROnPlateau: factor must be a finite number >= 0"),
    (lambda: callbacks.ReduceLROnPlateau(factor=2.0), ValueError, "does not support a factor >= 1.0"),
    (lambda: callbacks.ReduceLROnPlateau(min_lr=INF), ValueError, "ReduceLROnPlateau: min_lr must be a finite number >= 0"),
    (lambda: callbacks.ReduceLROnPlateau(min_lr=-1.0), ValueError, "ReduceLROnPlateau: min_lr must be a finite number >= 0"),
    (lambda: callbacks.ReduceLROnPlateau(min_delta=NAN), ValueError, "ReduceLROnPlateau: min_delta must be a finite number"),
    (lambda: callbacks.ReduceLROnPlateau(patience=None), TypeError, "ReduceLROnPlateau: patience must be an int"),
    (lambda: callbacks.ReduceLROnPlateau(cooldown=-1), ValueError, "ReduceLROnPlateau: cooldown must be an int >= 0"),
    (lambda: callbacks.ReduceLROnPlateau(min_lr_=0.1), TypeError, r"unexpected keyword argument\(s\) \['min_lr_'\]"),
    (lambda: callbacks.ModelCheckpoint("m.fastnn", initial_value_threshold=INF), ValueError,
     "ModelCheckpoint: initial_value_threshold must be a finite number"),
    (lambda: callbacks.ModelCheckpoint(None), TypeError, "ModelCheckpoint: filepath must be a str or a path"),
    (lambda: callbacks.ModelCheckpoint(""), ValueError, "ModelCheckpoint: filepath must name a file, got ''"),
    (lambda: callbacks.CSVLogger(""), ValueError, "CSVLogger: filename must name a file, got ''"),
    (lambda: callbacks.ModelCheckpoint("m.fastnn", save_freq=np.array(["epoch"])), ValueError, "save_freq must be 'epoch' or a positive int"),
    (lambda: callbacks.ModelCheckpoint("m.fastnn", save_best_only="yes"), TypeError, "save_best_only must be True or False"),
    (lambda: callbacks.LearningRateScheduler(lambda e: 0.1, verbose=-1), ValueError, "LearningRateScheduler: verbose must be an int >= 0"),
    (lambda: callbacks.TerminateOnNaN(raise_error="yes"), TypeError, "TerminateOnNaN: raise_error must be True or False"),
    (lambda: callbacks.CSVLogger("log.csv", separator=";;"), TypeError, "CSVLogger: separator must be a one-character str"),
    (lambda: callbacks.LambdaCallback(on_epoch_end=3), TypeError, "LambdaCallback: on_epoch_end must be a function or None"),
    # utils
    (lambda: utils.to_categorical([3], num_classes=2), ValueError,
     "to_categorical: x holds class index 3, which needs num_classes > 3, got num_classes=2"),
    (lambda: utils.to_categorical([1e300]), ValueError, "to_categorical: x holds class index 1e.300"),
    (lambda: utils.to_categorical([HUGE]), ValueError, "to_categorical: x must hold finite real numbers"),
    (lambda: utils.to_categorical([1], num_classes=0), ValueError, r"num_classes must be an int in \[1, 2147483648\], got 0"),
    (lambda: utils.to_categorical([1], num_classes=2.0), TypeError, r"num_classes must be an int in \[1, 2147483648\] or None"),
    (lambda: utils.set_random_seed(NAN), ValueError, "set_random_seed: seed must be a non-negative int, got nan"),
    (lambda: fastnn.random.set_seed(-HUGE), ValueError, r"set_seed: seed must be a non-negative int, got -1000000\.\.\."),
])
def test_bad_arguments_are_refused_by_name(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_learning_rate_scheduler_refuses_a_rate_beyond_the_floats():
    m = _model()
    before = m.get_weights()
    # an int is not a float (Keras' rule), however large
    cb = callbacks.LearningRateScheduler(lambda epoch, lr: 10 ** 400)
    with pytest.raises(ValueError, match="should be a float .*got int .* at epoch 0"):
        m.fit(X, Y, epochs=2, verbose=0, callbacks=[cb])
    _unchanged(m, before)
    cb = callbacks.LearningRateScheduler(lambda epoch, lr: float("inf"))
    with pytest.raises(ValueError, match="schedule returned an invalid learning rate .* at epoch 0"):
        m.fit(X, Y, epochs=2, verbose=0, callbacks=[cb])
    _unchanged(m, before)
    with pytest.raises(ValueError, match=r"learning_rate must be a finite number in \[0, 3.40282e\+38\]"):
        m.fit(X, Y, epochs=2, verbose=0, callbacks=[callbacks.LearningRateScheduler(lambda e, lr: 1e300)])
    _unchanged(m, before)


def test_read_only_and_python_inputs_of_ops_and_activations():
    """A read-only array went to the kernels as is ("buffer source array is read-only");
    Python lists compute in float32 (Keras' floatx) in activations and nn as in ops."""
    x = np.linspace(-2, 2, 6).reshape(2, 3)
    x.flags.writeable = False
    np.testing.assert_array_equal(ops.relu(x), np.maximum(x, 0))
    np.testing.assert_allclose(ops.matmul(x, x.T), x @ x.T)
    np.testing.assert_allclose(ops.mse(x, x * 0), (x * x).mean(axis=1))
    assert activations.relu([1.0, -1.0]).dtype == np.float32
    assert activations.relu(np.float16([1.0])).dtype == np.float32
    assert activations.relu(np.array([1.0])).dtype == np.float64
    assert nn.sigmoid_cross_entropy_with_logits(labels=[[1.0]], logits=[[0.5]]).dtype == np.float32
    assert type(ops.logsumexp(np.array(2.0))) is np.ndarray


def test_early_stopping_monitor_is_checked_before_fit():
    """EarlyStopping(monitor=0) used to fail inside fit with AttributeError."""
    with pytest.raises(TypeError, match="EarlyStopping: monitor must be a str"):
        _model().fit(X, Y, epochs=2, verbose=0, callbacks=[callbacks.EarlyStopping(monitor=0)])


def test_epsilon_zero_would_have_made_nan_from_a_zero_gradient():
    """The reason epsilon must be a normal float32 number: with 0 (or a denormal, which
    the kernels flush to 0) a zero gradient gives 0/0 in the update."""
    w = np.ones(3, np.float32)
    optimizers.Adam(epsilon=float(np.finfo(np.float32).tiny)).apply([np.zeros(3, np.float32)], [w])
    np.testing.assert_array_equal(w, 1.0)
    w = np.ones(3, np.float32)
    optimizers.Adagrad(initial_accumulator_value=0.0).apply([np.zeros(3, np.float32)], [w])
    np.testing.assert_array_equal(w, 1.0)


def test_a_schedule_that_overflows_stops_fit_before_nan_weights():
    """A decay_rate above 1 overflows after enough steps: the schedule raises instead of
    handing inf to the update, on the engine and the layer path alike."""
    m = _model(compiled=False)
    m.compile(optimizer=optimizers.SGD(schedules.ExponentialDecay(0.01, 1, 1e30)),
              loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="ExponentialDecay: the learning rate at step"):
        m.fit(X, Y, epochs=40, batch_size=2, verbose=0)
    assert all(np.isfinite(w).all() for w in m.get_weights())


def test_schedule_values_and_configs_are_unchanged_by_the_checks():
    s = schedules.PiecewiseConstantDecay([10, 20], [1, 0.5, 0.1])
    assert s.get_config() == {"boundaries": [10, 20], "values": [1, 0.5, 0.1],
                              "name": "PiecewiseConstant"}
    assert [s(0), s(10), s(11), s(21)] == [1, 1, 0.5, 0.1]
    e = schedules.ExponentialDecay(0.1, 10, 0.5)
    assert e.get_config()["decay_steps"] == 10 and type(e.get_config()["decay_steps"]) is int
    assert e(np.int64(10)) == pytest.approx(0.05) and e(np.array(20.0)) == pytest.approx(0.025)
    assert schedules.ExponentialDecay(0.1, 1, 2.0)(10) == pytest.approx(102.4)
    assert schedules.CosineDecay(0.1, 10, alpha=0.5)(10) == pytest.approx(0.05)


def test_to_categorical_edges():
    np.testing.assert_array_equal(utils.to_categorical([0, 2], num_classes=3),
                                  [[1, 0, 0], [0, 0, 1]])
    np.testing.assert_array_equal(utils.to_categorical([[1], [0]]), [[0, 1], [1, 0]])
    assert utils.to_categorical([]).shape == (0, 0)
    # Keras 3's dtype: float64 (np.zeros), whatever the labels' dtype
    assert utils.to_categorical(np.array([1.0, 0.0], np.float32), 2).dtype == np.float64


def test_reduce_lr_on_plateau_keras2_epsilon():
    with pytest.warns(UserWarning, match="epsilon"):
        cb = callbacks.ReduceLROnPlateau(epsilon=0.5)
    assert cb.min_delta == 0.5


@pytest.mark.parametrize("rows", [10, 200])     # a few labels (checked in Python), many (NumPy)
@pytest.mark.parametrize("y_of,match", [
    (lambda y: y + 0.25, r"non-integer values such as 0.25"),
    (lambda y: np.where(np.arange(y.size) == y.size - 1, 2.5, y), r"non-integer values such as 2.5"),
    (lambda y: np.where(y == 2, 7, y), r"labels must be in \[0, 3\).*got values in \[0\.0, 7\.0\]"),
    (lambda y: np.where(y == 1, -2, y), r"labels must be in \[0, 3\).*got values in \[-2\.0, 2\.0\]"),
])
def test_sparse_label_checks_either_side_of_the_python_pass(rows, y_of, match):
    x = np.random.default_rng(1).normal(size=(rows, 4))
    y = (np.arange(rows) % 3).astype(np.float64)
    m = _model()
    before = m.get_weights()
    with pytest.raises(ValueError, match=match):
        m.fit(x, y_of(y), verbose=0)
    _unchanged(m, before)


@pytest.mark.parametrize("rows", [10, 200])
def test_ignore_class_labels_are_outside_the_range_check(rows):
    from fastnn import losses
    x = np.random.default_rng(2).normal(size=(rows, 4))
    y = np.where(np.arange(rows) % 4 == 0, -1, np.arange(rows) % 3)
    m = _model()
    m.compile(optimizer="adam", loss=losses.SparseCategoricalCrossentropy(ignore_class=-1))
    m.fit(x, y, verbose=0)                                  # -1 is ignored, not refused
    m.fit(x, np.full(rows, -1), verbose=0)                  # every label ignored
    with pytest.raises(ValueError, match=r"\(or ignore_class=-1\).*got values in \[-1, 5\]|"
                                         r"\(or ignore_class=-1\).*got values in \[0, 5\]"):
        m.fit(x, np.where(np.arange(rows) == 1, 5, y), verbose=0)


@pytest.mark.parametrize("rows", [10, 200])     # a few labels (checked in Python), many (NumPy)
@pytest.mark.parametrize("bad,match", [(2, r"\[0, 2\]"), (-1, r"\[-1, 1\]"), (1.5, r"\[0\.0, 1\.5\]")])
def test_binary_label_range_either_side_of_the_python_pass(rows, bad, match):
    x = np.random.default_rng(5).normal(size=(rows, 4))
    y = (np.arange(rows) % 2).reshape(-1, 1)
    y = np.where(np.arange(rows).reshape(-1, 1) == rows // 2, bad, y)
    m = _model(loss="binary_crossentropy", units=1, act="sigmoid")
    before = m.get_weights()
    with pytest.raises(ValueError, match=r"must be 0/1 labels.*got values in " + match):
        m.fit(x, y, verbose=0)
    _unchanged(m, before)
    m.fit(x, np.clip(y, 0, 1), verbose=0)       # in range: trains
