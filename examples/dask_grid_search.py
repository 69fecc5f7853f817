"""The digit network's grid search, with its candidates trained on a Dask cluster.

scikit-learn runs the fits of `GridSearchCV` through joblib; inside
`joblib.parallel_config("dask")` joblib hands them to the Dask cluster that a
`dask.distributed.Client` is connected to. Each fit is small (the digit network trains
an epoch in milliseconds) and runs whole on one worker: the cluster spreads the
candidates and folds, not the training of one model. With `random_state` set the
results equal those of `n_jobs=1` on one machine.

By default the example starts a `LocalCluster` of two worker processes on this machine.
On several machines, start a scheduler and workers from a shell::

    dask scheduler                                   # on one machine: prints tcp://HOST:8786
    dask worker tcp://HOST:8786 --nthreads 1         # on every machine that computes

(each worker's Python needs fastnn and scikit-learn installed) and pass the scheduler's
address: ``python examples/dask_grid_search.py tcp://HOST:8786``. ``--nthreads 1``
gives each worker process one task at a time; fastnn's kernels then use the cores set
by ``OMP_NUM_THREADS`` in the worker's environment.

Run: python examples/dask_grid_search.py [SCHEDULER_ADDRESS]   (needs dask[distributed]
and scikit-learn)
"""
import sys

import joblib
import numpy as np
from dask.distributed import Client, LocalCluster
from sklearn.model_selection import GridSearchCV

from fastnn.datasets import digits
from fastnn.layers import Dense, Input
from fastnn.models import Sequential
from fastnn.optimizers import Adam
from fastnn.wrappers import SKLearnClassifier


def digit_network(X, y, learning_rate=0.01):
    """64 -> 25 (relu) -> 15 (relu) -> 10 (softmax)."""
    model = Sequential([Input((X.shape[1],)), Dense(25, activation="relu"),
                        Dense(15, activation="relu"),
                        Dense(y.shape[1], activation="softmax")])
    model.compile(optimizer=Adam(learning_rate=learning_rate),
                  loss="categorical_crossentropy")
    return model


def make_search(epochs):
    return GridSearchCV(
        SKLearnClassifier(digit_network, fit_kwargs={"epochs": epochs}, random_state=0),
        param_grid={"model_kwargs": [{"learning_rate": 0.01}, {"learning_rate": 0.003}]},
        cv=3)


def main(scheduler=None, epochs=10, verbose=True):
    (x_train, y_train), (x_test, y_test) = digits.load_data()
    x_train, x_test = x_train / 16.0, x_test / 16.0
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        scheduler = cluster
    try:
        with Client(scheduler) as client:
            workers = len(client.scheduler_info()["workers"])
            search = make_search(epochs)
            with joblib.parallel_config("dask"):
                search.fit(x_train, y_train)
    finally:
        if cluster is not None:
            cluster.close()
    test_accuracy = float(search.score(x_test, y_test))
    if verbose:
        print(f"{workers} Dask workers")
        for params, score in zip(search.cv_results_["params"],
                                 search.cv_results_["mean_test_score"]):
            print(f"{params['model_kwargs']}: mean cross-validated accuracy {score:.4f}")
        print(f"test accuracy of the best model: {test_accuracy:.4f}")
    return {"search": search, "workers": workers, "test_accuracy": test_accuracy,
            "scores": np.asarray(search.cv_results_["mean_test_score"])}


if __name__ == "__main__":
    result = main(sys.argv[1] if len(sys.argv) > 1 else None)
