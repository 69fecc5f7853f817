"""fastnn.wrappers: the scikit-learn estimators, and grid searches over them on joblib's
worker processes, on a Dask cluster and on Ray.

Keras' own tests of the wrappers (and scikit-learn's estimator checks) are in
tests/conformance/test_sklearn_wrapper.py; these test what fastnn adds or does
differently: random_state, clone keeping fit_kwargs, partial_fit, predict_proba, the
binary decision_function, label encoding, argument errors, and the scale-out.
"""
import functools
import os
import subprocess
import sys

import numpy as np
import pytest

sklearn = pytest.importorskip("sklearn")
import joblib  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

import fastnn  # noqa: E402
from fastnn import utils  # noqa: E402
from fastnn.datasets import digits  # noqa: E402
from fastnn.layers import Dense, Input  # noqa: E402
from fastnn.losses import CategoricalCrossentropy  # noqa: E402
from fastnn.models import Sequential  # noqa: E402
from fastnn.wrappers import SKLearnClassifier, SKLearnRegressor, SKLearnTransformer  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mlp(X, y, hidden=8, activation="softmax", loss="categorical_crossentropy",
        learning_rate=0.01):
    """X.shape[1] -> hidden (relu) -> y.shape[1]."""
    model = Sequential([Input((X.shape[1],)), Dense(hidden, activation="relu"),
                        Dense(y.shape[1], activation=activation)])
    model.compile(optimizer=fastnn.optimizers.Adam(learning_rate=learning_rate), loss=loss)
    return model


def digit_network(X, y, learning_rate=0.01):
    """The digit network 64 -> 25 -> 15 -> 10."""
    model = Sequential([Input((X.shape[1],)), Dense(25, activation="relu"),
                        Dense(15, activation="relu"),
                        Dense(y.shape[1], activation="softmax")])
    model.compile(optimizer=fastnn.optimizers.Adam(learning_rate=learning_rate),
                  loss="categorical_crossentropy")
    return model


def epochs_scorer(estimator, X, y):
    """A scorer that reports how many epochs the candidate was trained."""
    return estimator.epoch_


def elsewhere_scorer(estimator, X, y, main_pid):
    """1 where the scoring (and so the fit before it) ran outside process main_pid."""
    return float(os.getpid() != main_pid)


def scoring_elsewhere():
    return {"accuracy": "accuracy",
            "elsewhere": functools.partial(elsewhere_scorer, main_pid=os.getpid())}


def threads_scorer(estimator, X, y):
    """A scorer that reports the thread count of the process it runs in."""
    return fastnn.get_num_threads()


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    centers = np.array([[0, 0, 0, 0], [3, 3, 0, 0], [0, 3, 3, 3]], dtype=np.float64)
    y = rng.integers(0, 3, 150)
    X = centers[y] + rng.normal(size=(150, 4))
    return X, y


@pytest.fixture(scope="module")
def digits_data():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    return (x_train / 16.0, y_train), (x_test / 16.0, y_test)


def digits_search(n_jobs=1, epochs=5, scoring=None, refit=True):
    return GridSearchCV(
        SKLearnClassifier(digit_network, fit_kwargs={"epochs": epochs}, random_state=0),
        param_grid={"model_kwargs": [{"learning_rate": 0.01}, {"learning_rate": 0.003}]},
        cv=2, n_jobs=n_jobs, scoring=scoring, refit=refit)


# --------------------------------------------------------------------------- imports
def test_import_fastnn_does_not_import_sklearn():
    code = ("import sys, fastnn, fastnn.wrappers\n"
            "assert 'sklearn' not in sys.modules, 'import fastnn imported sklearn'\n"
            "fastnn.wrappers.SKLearnClassifier\n"
            "assert 'sklearn' in sys.modules\n")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_without_sklearn_the_error_says_what_to_install():
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "import fastnn.wrappers\n"
            "try:\n"
            "    fastnn.wrappers.SKLearnRegressor\n"
            "except ImportError as e:\n"
            "    print(e)\n")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "SKLearnRegressor requires scikit-learn: pip install scikit-learn" in proc.stdout


def test_a_model_with_a_python_loss_is_refused_with_what_to_do(blobs):
    X, y = blobs
    model = Sequential([Input((4,)), Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss=lambda t, p: fastnn.ops.mean((t - p) ** 2))
    with pytest.raises(ValueError, match="pass a function that builds and compiles"):
        SKLearnClassifier(model).fit(X, y)
    assert SKLearnClassifier(model, warm_start=True).fit(X, y).model_ is model


def test_keras_import_path_gives_the_same_classes():
    from fastnn.keras.wrappers import SKLearnClassifier as Keras_path
    assert Keras_path is SKLearnClassifier
    with pytest.raises(AttributeError, match="no attribute 'SKLearnNothing'"):
        fastnn.wrappers.SKLearnNothing


# --------------------------------------------------------------------------- clone
def test_clone_keeps_fit_kwargs_and_fit_leaves_them_unchanged(blobs):
    X, y = blobs
    fit_kwargs = {"epochs": 3, "batch_size": 16}
    est = SKLearnClassifier(mlp, model_kwargs={"hidden": 4}, fit_kwargs=fit_kwargs,
                            random_state=1)
    copy = clone(est)
    assert copy.get_params()["fit_kwargs"] == {"epochs": 3, "batch_size": 16}
    assert copy.get_params()["random_state"] == 1
    assert copy.get_params()["model_kwargs"] == {"hidden": 4}
    est.fit(X, y, epochs=2)          # fit's own keyword wins, for this fit only
    assert est.epoch_ == 2 and len(est.history_["loss"]) == 2
    assert fit_kwargs == {"epochs": 3, "batch_size": 16}
    assert est.fit_kwargs is fit_kwargs
    assert clone(est).fit(X, y).epoch_ == 3


def test_grid_search_trains_every_candidate_with_its_fit_kwargs(blobs):
    # Keras 3.15's clone drops fit_kwargs: each candidate would train model.fit's
    # default single epoch. Here the scorer reads the epochs each candidate trained.
    X, y = blobs
    search = GridSearchCV(SKLearnClassifier(mlp, fit_kwargs={"epochs": 3}, random_state=0),
                          param_grid={"model_kwargs": [{"hidden": 4}, {"hidden": 6}]},
                          scoring=epochs_scorer, cv=2, refit=False)
    search.fit(X, y)
    assert search.cv_results_["mean_test_score"].tolist() == [3, 3]
    search = GridSearchCV(SKLearnClassifier(mlp, random_state=0),
                          param_grid={"fit_kwargs": [{"epochs": 2}, {"epochs": 4}]},
                          scoring=epochs_scorer, cv=2, refit=False)
    search.fit(X, y)
    assert search.cv_results_["mean_test_score"].tolist() == [2, 4]


def test_clone_copies_a_model_instance(blobs):
    X, y = blobs
    model = mlp(X, np.eye(3)[y])
    before = [w.copy() for w in model.get_weights()]
    est = SKLearnClassifier(model, warm_start=True, fit_kwargs={"epochs": 1})
    copy = clone(est)
    assert copy.model is not model and copy.model.get_compile_config() == \
        model.get_compile_config()
    copy.fit(X, y)               # warm_start: trains the clone's own model in place
    assert copy.model_ is copy.model and copy.model_ is not model
    for w, b in zip(model.get_weights(), before):    # the original is untouched
        np.testing.assert_array_equal(w, b)
    cold = SKLearnClassifier(model, fit_kwargs={"epochs": 1}).fit(X, y)
    assert cold.model_ is not model
    assert cold.model_.get_compile_config() == model.get_compile_config()
    for w, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, b)


# --------------------------------------------------------------------------- random_state
def weights(est):
    return [w.copy() for w in est.model_.get_weights()]


def test_random_state_makes_fits_reproducible(blobs):
    X, y = blobs
    make = lambda seed: SKLearnClassifier(mlp, fit_kwargs={"epochs": 3},  # noqa: E731
                                          random_state=seed).fit(X, y)
    a, b, c = make(5), make(5), make(6)
    for wa, wb in zip(weights(a), weights(b)):
        np.testing.assert_array_equal(wa, wb)
    assert any(not np.array_equal(wa, wc) for wa, wc in zip(weights(a), weights(c)))
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_random_state_equals_seeding_fastnn_by_hand_and_restores_the_generator(blobs):
    X, y = blobs
    before = utils.get_rng().bit_generator.state
    est = SKLearnClassifier(mlp, fit_kwargs={"epochs": 2, "batch_size": 16},
                            random_state=11).fit(X, y)
    assert utils.get_rng().bit_generator.state == before   # the caller's stream untouched
    onehot = np.eye(3, dtype=np.float32)[y]
    utils.seed_generator(11)
    model = mlp(X, onehot)
    model.fit(X, onehot, epochs=2, batch_size=16, verbose=0)
    for w_est, w_hand in zip(weights(est), model.get_weights()):
        np.testing.assert_array_equal(w_est, w_hand)


def test_random_state_accepts_a_randomstate(blobs):
    X, y = blobs
    a = SKLearnClassifier(mlp, random_state=np.random.RandomState(3)).fit(X, y)
    b = SKLearnClassifier(mlp, random_state=np.random.RandomState(3)).fit(X, y)
    for wa, wb in zip(weights(a), weights(b)):
        np.testing.assert_array_equal(wa, wb)


# --------------------------------------------------------------------------- partial_fit
def test_partial_fit_trains_one_epoch_on_the_same_model(blobs):
    X, y = blobs
    est = SKLearnClassifier(mlp, fit_kwargs={"epochs": 7}, random_state=0)
    est.partial_fit(X, y)
    model, first = est.model_, weights(est)
    assert est.epoch_ == 1 and len(est.history_["loss"]) == 1
    est.partial_fit(X, y)
    assert est.model_ is model and est.epoch_ == 2 and len(est.history_["loss"]) == 2
    assert any(not np.array_equal(a, b) for a, b in zip(first, weights(est)))
    # The same calls with the same seed give the same model.
    again = SKLearnClassifier(mlp, fit_kwargs={"epochs": 7}, random_state=0)
    again.partial_fit(X, y).partial_fit(X, y)
    for wa, wb in zip(weights(est), weights(again)):
        np.testing.assert_array_equal(wa, wb)
    # Its first epoch is fit's first epoch.
    one = SKLearnClassifier(mlp, fit_kwargs={"epochs": 1}, random_state=0).fit(X, y)
    two = SKLearnClassifier(mlp, random_state=0).partial_fit(X, y)
    for wa, wb in zip(weights(one), weights(two)):
        np.testing.assert_array_equal(wa, wb)
    with pytest.raises(TypeError, match="partial_fit trains one epoch"):
        est.partial_fit(X, y, epochs=3)


def test_partial_fit_classes(blobs):
    X, y = blobs
    est = SKLearnClassifier(mlp, random_state=0)
    first = y < 2                       # the first batch lacks class 2
    est.partial_fit(X[first], y[first], classes=[0, 1, 2])
    assert est.classes_.tolist() == [0, 1, 2] and est.model_.output_shape[-1] == 3
    est.partial_fit(X[~first], y[~first])
    assert est.epoch_ == 2
    with pytest.raises(ValueError, match=r"labels not in classes_.*\[7\]"):
        est.partial_fit(X[:3], np.array([0, 7, 1]))
    with pytest.raises(ValueError, match="classes must equal classes_"):
        est.partial_fit(X, y, classes=[0, 1, 2, 3])
    with pytest.raises(ValueError, match="features"):
        est.partial_fit(X[:, :3], y)
    assert est.epoch_ == 2                   # the refused calls trained nothing


# --------------------------------------------------------------------------- classifier
def test_string_labels_predict_proba_and_decision_function(blobs):
    X, y = blobs
    names = np.array(["cat", "ant", "bee"])[y]
    est = SKLearnClassifier(mlp, fit_kwargs={"epochs": 30}, random_state=0).fit(X, names)
    assert est.classes_.tolist() == ["ant", "bee", "cat"]
    assert est.n_features_in_ == 4
    pred = est.predict(X)
    assert pred.dtype.kind == "U" and set(pred) <= {"ant", "bee", "cat"}
    assert est.score(X, names) > 0.9
    proba = est.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert (est.classes_[proba.argmax(axis=1)] == pred).all()
    decision = est.decision_function(X)
    assert decision.shape == (150, 3)
    assert (est.classes_[decision.argmax(axis=1)] == pred).all()


def test_binary_decision_function_is_one_column(blobs):
    X, y = blobs
    keep = y < 2
    labels = np.where(y[keep] == 1, "yes", "no")
    est = SKLearnClassifier(mlp, fit_kwargs={"epochs": 20}, random_state=0)
    est.fit(X[keep], labels)
    decision = est.decision_function(X[keep])
    assert decision.shape == (keep.sum(),)
    np.testing.assert_array_equal(est.classes_[(decision > 0).astype(int)],
                                  est.predict(X[keep]))
    proba = est.predict_proba(X[keep])
    np.testing.assert_allclose(decision, proba[:, 1] - proba[:, 0], atol=1e-6)


def test_predict_proba_of_logits_is_their_softmax(blobs):
    X, y = blobs
    est = SKLearnClassifier(mlp, model_kwargs={
        "activation": "linear", "loss": CategoricalCrossentropy(from_logits=True)},
        fit_kwargs={"epochs": 10}, random_state=0).fit(X, y)
    logits = est.model_.predict(X, verbose=0).astype(np.float64)
    expected = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(est.predict_proba(X), expected, rtol=1e-12)
    assert (est.predict(X) == logits.argmax(axis=1)).all()


def test_predict_proba_refuses_outputs_that_are_not_probabilities(blobs):
    X, y = blobs
    est = SKLearnClassifier(mlp, model_kwargs={"activation": "linear", "loss": "mse"},
                            fit_kwargs={"epochs": 1}, random_state=0).fit(X, y)
    if (est.model_.predict(X, verbose=0) >= 0).all():   # pragma: no cover
        pytest.skip("this seed gave no negative output")
    with pytest.raises(ValueError, match="not probabilities.*from_logits=True"):
        est.predict_proba(X)


def test_warm_start_trains_on(blobs):
    X, y = blobs
    est = SKLearnClassifier(mlp, warm_start=True, fit_kwargs={"epochs": 2}, random_state=0)
    est.fit(X, y)
    model = est.model_
    est.fit(X, y)
    assert est.model_ is model and est.epoch_ == 4 and len(est.history_["loss"]) == 4
    with pytest.raises(ValueError, match="labels not in classes_"):
        est.fit(X, y + 1)
    cold = SKLearnClassifier(mlp, fit_kwargs={"epochs": 2}, random_state=0)
    cold.fit(X, y)
    first = cold.model_
    assert cold.fit(X, y).model_ is not first and cold.epoch_ == 2


def test_sample_weight(blobs):
    X, y = blobs
    w = np.where(y == 0, 0.0, 1.0)
    est = SKLearnClassifier(mlp, fit_kwargs={"epochs": 2}, random_state=0)
    est.fit(X, y, sample_weight=w)
    assert est.classes_.tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="sample_weight leaves one class only"):
        est.fit(X, y, sample_weight=(y == 1).astype(float))
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(150,\)"):
        est.fit(X, y, sample_weight=np.ones(3))
    with pytest.raises(ValueError, match="non-negative"):
        est.fit(X, y, sample_weight=-np.ones(150))


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("kwargs, error, match", [
    ({"model": "mlp"}, TypeError, "model must be a compiled fastnn Model or a callable"),
    ({"model": mlp, "warm_start": "yes"}, TypeError, "warm_start must be True or False"),
    ({"model": mlp, "model_kwargs": [1]}, TypeError, "model_kwargs must be a dict"),
    ({"model": mlp, "fit_kwargs": "epochs=3"}, TypeError, "fit_kwargs must be a dict"),
    ({"model": mlp, "fit_kwargs": {"sample_weight": None}}, TypeError,
     "sample_weight is an argument of fit itself"),
    ({"model": mlp, "random_state": -1}, ValueError, "random_state must be a non-negative"),
    ({"model": mlp, "random_state": 1.5}, TypeError, "random_state must be None"),
    ({"model": mlp, "random_state": True}, TypeError, "random_state must be None"),
    ({"model": lambda X, y: "not a model"}, TypeError,
     "must return a fastnn Model, it returned 'not a model'"),
    ({"model": lambda X, y: Sequential([Dense(3)])}, ValueError,
     "must be compiled with a loss and an optimizer"),
    ({"model": mlp, "model_kwargs": {"depth": 3}}, TypeError, "depth"),
])
def test_bad_arguments_raise_naming_them(blobs, kwargs, error, match):
    X, y = blobs
    with pytest.raises(error, match=match):
        SKLearnClassifier(**kwargs).fit(X, y)


def test_model_kwargs_with_a_model_instance_are_refused(blobs):
    X, y = blobs
    model = mlp(X, np.eye(3)[y])
    with pytest.raises(ValueError, match="model_kwargs are passed to a model-building"):
        SKLearnClassifier(model, model_kwargs={"hidden": 3}).fit(X, y)
    uncompiled = Sequential([Input((4,)), Dense(3, activation="softmax")])
    with pytest.raises(ValueError, match="must be compiled"):
        SKLearnClassifier(uncompiled).fit(X, y)


def test_bad_targets(blobs):
    X, y = blobs
    est = SKLearnClassifier(mlp, random_state=0)
    with pytest.raises(ValueError, match="one class only"):
        est.fit(X, np.zeros(150, dtype=int))
    with pytest.raises(ValueError, match="Unknown label type"):
        est.fit(X, np.linspace(0, 1, 150))
    with pytest.raises(ValueError, match="Input y contains NaN|contains NaN"):
        SKLearnRegressor(mlp).fit(X, np.full(150, np.nan))


def test_a_failed_fit_leaves_the_estimator_as_it_was(blobs):
    X, y = blobs
    est = SKLearnClassifier(mlp, fit_kwargs={"epochs": 1}, random_state=0).fit(X, y)
    state = {k: v for k, v in vars(est).items() if k.endswith("_")}
    with pytest.raises(ValueError, match="one class only"):
        est.fit(X[:, :2], np.zeros(150, dtype=int))
    assert est.n_features_in_ == 4 and est.classes_.tolist() == [0, 1, 2]
    assert {k: v for k, v in vars(est).items() if k.endswith("_")}.keys() == state.keys()
    assert est.model_ is state["model_"]
    est.predict(X)                                   # still usable


# --------------------------------------------------------------------------- regressor, transformer
def test_regressor_shapes_and_dtype():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    y = X @ np.array([1.0, -2.0, 0.5])
    reg = SKLearnRegressor(mlp, model_kwargs={"activation": "linear", "loss": "mse",
                                              "hidden": 16, "learning_rate": 0.02},
                           fit_kwargs={"epochs": 60}, random_state=0).fit(X, y)
    pred = reg.predict(X)
    assert pred.shape == (120,) and pred.dtype == np.float64
    assert reg.score(X, y) > 0.9
    y2 = np.stack([y, -y], axis=1)
    reg2 = clone(reg).fit(X, y2)
    assert reg2.predict(X).shape == (120, 2)


def test_transformer_in_a_pipeline(blobs):
    from sklearn.linear_model import LogisticRegression
    X, y = blobs
    onehot = np.eye(3)[y]
    pipe = make_pipeline(
        SKLearnTransformer(mlp, model_kwargs={"hidden": 8}, fit_kwargs={"epochs": 20},
                           random_state=0),
        LogisticRegression())
    with pytest.raises(ValueError, match="requires y"):
        SKLearnTransformer(mlp).fit(X)
    # The transformer trains on the one-hot labels, the logistic regression on its
    # three outputs.
    pipe.steps[0][1].fit(X, onehot)
    features = pipe.steps[0][1].transform(X)
    assert features.shape == (150, 3)
    pipe.steps[1][1].fit(features, y)
    assert pipe.score(X, y) > 0.9


# --------------------------------------------------------------------------- scale-out
def test_digits_grid_search_reaches_90_percent(digits_data):
    (x_train, y_train), (x_test, y_test) = digits_data
    search = digits_search(epochs=8).fit(x_train, y_train)
    assert search.score(x_test, y_test) >= 0.9
    assert search.best_estimator_.model_.count_params() == \
        64 * 25 + 25 + 25 * 15 + 15 + 15 * 10 + 10


def test_joblib_worker_processes_give_the_same_results(digits_data, monkeypatch):
    (x_train, y_train), _ = digits_data
    serial = digits_search(n_jobs=1).fit(x_train, y_train)
    # loky gives each of its n_jobs workers cpu_count() // n_jobs threads through
    # OMP_NUM_THREADS (unless the parent sets it): fastnn reads it at import.
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    parallel = digits_search(n_jobs=2, scoring={**scoring_elsewhere(),
                                                "threads": threads_scorer},
                             refit="accuracy").fit(x_train, y_train)
    assert parallel.cv_results_["mean_test_elsewhere"].tolist() == [1.0, 1.0]
    np.testing.assert_array_equal(parallel.cv_results_["mean_test_accuracy"],
                                  serial.cv_results_["mean_test_score"])
    expected = max(joblib.cpu_count() // 2, 1)
    assert parallel.cv_results_["mean_test_threads"].tolist() == [expected, expected]


@pytest.mark.slow
def test_dask_cluster_gives_the_same_results(digits_data):
    distributed = pytest.importorskip("distributed", reason="needs dask[distributed]")
    (x_train, y_train), _ = digits_data
    serial = digits_search(n_jobs=1).fit(x_train, y_train)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        on_dask = digits_search(n_jobs=-1, scoring=scoring_elsewhere(), refit="accuracy")
        with joblib.parallel_config("dask"):
            on_dask.fit(x_train, y_train)
        assert len(client.scheduler_info()["workers"]) == 2
    assert on_dask.cv_results_["mean_test_elsewhere"].tolist() == [1.0, 1.0]
    np.testing.assert_array_equal(on_dask.cv_results_["mean_test_accuracy"],
                                  serial.cv_results_["mean_test_score"])


RAY_SEARCH = """
import json, sys
import joblib, ray
from ray.util.joblib import register_ray
sys.path.insert(0, sys.argv[1])
import test_wrappers_sklearn as here
from fastnn.datasets import digits
(x_train, y_train), _ = digits.load_data()
ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
ray.cloudpickle.register_pickle_by_value(here)   # Ray's workers lack the tests folder
register_ray()
search = here.digits_search(n_jobs=2, scoring=here.scoring_elsewhere(), refit="accuracy")
with joblib.parallel_config("ray"):
    search.fit(x_train / 16.0, y_train)
ray.shutdown()
print("RESULT", json.dumps({k: search.cv_results_[k].tolist()
                            for k in ("mean_test_accuracy", "mean_test_elsewhere")}))
"""


@pytest.mark.slow
def test_ray_joblib_backend_gives_the_same_results(digits_data):
    pytest.importorskip("ray", reason="needs ray")
    import json
    (x_train, y_train), _ = digits_data
    serial = digits_search(n_jobs=1).fit(x_train, y_train)
    # Ray runs in a child process: a Ray driver leaves threads and handlers behind in
    # its process, after which tests/test_interrupt.py's Ctrl-C tests hang.
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", RAY_SEARCH, os.path.dirname(__file__)],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    on_ray = json.loads(next(line for line in proc.stdout.splitlines()
                             if line.startswith("RESULT "))[len("RESULT "):])
    assert on_ray["mean_test_elsewhere"] == [1.0, 1.0]
    np.testing.assert_array_equal(on_ray["mean_test_accuracy"],
                                  serial.cv_results_["mean_test_score"])
