"""Tuning the digit network with Ray Tune: a function trainable, reporting per epoch.

Each trial builds the network 64 -> hidden (relu) -> 15 (relu) -> 10 (softmax) with its
configuration (learning rate, hidden width), trains it with `model.fit` (the last 20%
of the training images held out for validation), and a fastnn callback reports the
validation accuracy to Tune at the end of every epoch, so Tune sees
each trial's curve (and a scheduler such as ASHA could stop poor trials early). The
trials run in Ray's worker processes, two at a time here (`num_cpus=2`).

The same `ray.init` also lets scikit-learn's searches run on Ray:
`ray.util.joblib.register_ray()` and then `with joblib.parallel_config("ray"):
GridSearchCV(SKLearnClassifier(...), ...).fit(X, y)`.

Run: python examples/ray_tune.py   (needs ray[tune])
"""
import tempfile

import ray
from ray import tune

from fastnn.callbacks import Callback
from fastnn.datasets import digits
from fastnn.layers import Dense, Input
from fastnn.models import Sequential
from fastnn.optimizers import Adam
from fastnn.utils import seed_generator


class ReportToTune(Callback):
    """Report the epoch's validation accuracy and loss to Ray Tune."""

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        tune.report({"epoch": epoch + 1, "val_accuracy": float(logs["val_accuracy"]),
                     "val_loss": float(logs["val_loss"])})


def train_digits(config):
    """A Tune function trainable: one trial, config["epochs"] epochs."""
    seed_generator(config.get("seed", 0))
    (x_train, y_train), _ = digits.load_data()   # the test images stay unseen
    model = Sequential([Input((64,)), Dense(config["hidden"], activation="relu"),
                        Dense(15, activation="relu"), Dense(10, activation="softmax")])
    model.compile(optimizer=Adam(learning_rate=config["learning_rate"]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train / 16.0, y_train, epochs=config["epochs"], batch_size=32,
              validation_split=0.2, callbacks=[ReportToTune()], verbose=0)


def main(epochs=10, verbose=True):
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        with tempfile.TemporaryDirectory() as storage:
            tuner = tune.Tuner(
                tune.with_resources(train_digits, {"cpu": 1}),
                param_space={"learning_rate": tune.grid_search([0.01, 0.001]),
                             "hidden": 25, "epochs": epochs},
                tune_config=tune.TuneConfig(metric="val_accuracy", mode="max"),
                run_config=tune.RunConfig(storage_path=storage, verbose=0))
            results = tuner.fit()
            best = results.get_best_result()
            curves = {r.config["learning_rate"]: list(r.metrics_dataframe["val_accuracy"])
                      for r in results}
    finally:
        if started_here:
            ray.shutdown()
    if verbose:
        for lr, curve in curves.items():
            print(f"learning_rate={lr}: validation accuracy per epoch "
                  + " ".join(f"{a:.3f}" for a in curve))
        print(f"best: learning_rate={best.config['learning_rate']}, validation accuracy "
              f"{best.metrics['val_accuracy']:.4f}")
    return {"curves": curves, "best_config": best.config,
            "best_accuracy": float(best.metrics["val_accuracy"])}


if __name__ == "__main__":
    result = main()
