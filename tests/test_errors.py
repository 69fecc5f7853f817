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


def test_predict_never_built():
    m = Sequential([Dense(3)])
    with pytest.raises(ValueError, match=r"predict: the model was never built"):
        m.predict(X)


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
    ("optimizer", "adamm", r"unknown optimizer 'adamm'; expected one of \['adagrad', 'adam', 'adamw', 'rmsprop', 'sgd'\]"),
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


def test_compile_without_loss():
    with pytest.raises(ValueError, match="loss is required"):
        _model(compiled=False).compile(optimizer="adam")


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
@pytest.mark.parametrize("given,kind", [(_batches, "generator"), (lambda: {"in": X}, "dict"),
                                        (lambda: iter(list(X)), "list_iterator")])
def test_generators_and_dicts_are_named_as_unsupported(call, given, kind):
    """Keras' fit also takes generators, datasets and dicts of named inputs; here the
    message says so instead of "must hold real numbers, got dtype object"."""
    m = _model()
    before = m.get_weights()
    args = (given(),) if call == "predict" else (given(), Y)
    with pytest.raises(TypeError, match=rf"{call}: x must be an array of samples .*got {kind}; "
                                        r"generators, datasets and dicts of inputs are not supported"):
        getattr(m, call)(*args, verbose=0)
    _unchanged(m, before)


def test_bad_layer_arguments():
    with pytest.raises(ValueError, match="units must be a positive int, got 0"):
        Dense(0)
    with pytest.raises(TypeError, match=r"unexpected keyword argument\(s\) \['unitz'\]"):
        Dense(3, unitz=4)
    with pytest.raises(TypeError, match="must be a fastnn Layer"):
        Sequential([lambda x: x])


def test_custom_activation_cannot_train_but_can_predict():
    m = Sequential([Input((4,)), Dense(3, activation=lambda z: z * 2)])
    assert m.predict(X, verbose=0).shape == (10, 3)
    m.compile(loss="mse")
    before = m.get_weights()
    with pytest.raises(ValueError, match="custom activation"):
        m.fit(X, np.zeros((10, 3)), verbose=0)
    _unchanged(m, before)


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
    with pytest.raises(TypeError, match="x must be array-like numbers"):
        m.fit([[1.0, 2.0], [1.0]], [0, 1], verbose=0)


def test_empty_model():
    m = Sequential()
    with pytest.raises(ValueError, match="has no layers"):
        m.compile(loss="mse") or m.fit(X, Y)
    with pytest.raises(ValueError, match="has no layers"):
        m.predict(X)
    with pytest.raises(ValueError, match="has no layers"):
        m(X)


def test_compile_rejects_a_loss_reduction_fit_would_ignore():
    from fastnn import Sequential
    from fastnn.layers import Dense
    from fastnn.losses import MeanSquaredError
    model = Sequential([Dense(1)])
    with pytest.raises(ValueError, match="reduction='sum'"):
        model.compile(optimizer="sgd", loss=MeanSquaredError(reduction="sum"))
    assert not model.compiled
