"""A scikit-learn grid search over the digit network 64 -> 25 -> 15 -> 10.

`fastnn.wrappers.SKLearnClassifier` makes a function that builds and compiles a fastnn
model a scikit-learn classifier, so `GridSearchCV` can cross-validate it and pick its
hyperparameters. `random_state` seeds each fit (weights and shuffles): the search gives
the same `cv_results_` on every run, whatever `n_jobs` is. `n_jobs=2` runs the
candidates on two worker processes (joblib's loky backend), which give each worker
cores // n_jobs threads.

Run: python examples/sklearn_grid_search.py   (needs scikit-learn)
"""
import numpy as np
from sklearn.model_selection import GridSearchCV

from fastnn.datasets import digits
from fastnn.layers import Dense, Input
from fastnn.models import Sequential
from fastnn.optimizers import Adam
from fastnn.wrappers import SKLearnClassifier


def digit_network(X, y, learning_rate=0.01, hidden=(25, 15)):
    """64 -> 25 (relu) -> 15 (relu) -> 10 (softmax); y is one-hot, one column a class."""
    model = Sequential([Input((X.shape[1],))]
                       + [Dense(units, activation="relu") for units in hidden]
                       + [Dense(y.shape[1], activation="softmax")])
    model.compile(optimizer=Adam(learning_rate=learning_rate),
                  loss="categorical_crossentropy")
    return model


def load():
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    return (x_train / 16.0, y_train), (x_test / 16.0, y_test)


def main(epochs=15, n_jobs=1, verbose=True):
    (x_train, y_train), (x_test, y_test) = load()
    search = GridSearchCV(
        SKLearnClassifier(digit_network, fit_kwargs={"epochs": epochs, "batch_size": 32},
                          random_state=0),
        param_grid={"model_kwargs": [{"learning_rate": 0.01}, {"learning_rate": 0.001}]},
        cv=3, n_jobs=n_jobs)
    search.fit(x_train, y_train)
    test_accuracy = float(search.score(x_test, y_test))
    if verbose:
        for params, score in zip(search.cv_results_["params"],
                                 search.cv_results_["mean_test_score"]):
            print(f"{params['model_kwargs']}: mean cross-validated accuracy {score:.4f}")
        print(f"best: {search.best_params_['model_kwargs']}")
        print(f"test accuracy of the best model, refitted on all training data: "
              f"{test_accuracy:.4f}")
    return {"search": search, "test_accuracy": test_accuracy,
            "scores": np.asarray(search.cv_results_["mean_test_score"])}


if __name__ == "__main__":
    result = main()
