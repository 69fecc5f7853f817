"""Whole-training benchmarks W1-W4 (see workloads.py): fastnn and the NumPy reference side by side
in one run, one pytest-benchmark group per workload.

    python -m pytest bench/test_bench_training.py                  # full size, ~1-2 min
    python -m pytest bench -q --benchmark-disable                  # smoke: tiny, seconds
    FASTNN_BENCH_SCALE=0.2 python -m pytest bench/test_bench_training.py

Each round trains a fresh model (built in the untimed setup) with the same seed; the
timed part is one ``fit`` call (W1-W3) or one ``predict`` call (W4), exactly as a Keras
user writes them. extra_info carries the test accuracy, the test loss and rows/s.
Assertions are about learning, never about time: the held-out loss must drop, and at
full scale the test accuracy must reach the workload's floor (W1 0.98, W2 0.90,
W3 0.70) for both fastnn and the reference.
"""
import math

import numpy as np
import pytest

from frameworks import RUNNERS, available, keras_api
from numpy_mlp import NumpyMLP
from workloads import WORKLOADS, get_workload, load_data, samples_per_second

BENCHED = ("fastnn", "numpy")
# Rounds per framework: W1/W2 fits take milliseconds on fastnn and the host's speed drifts
# by tens of percent from one second to the next, so their medians need more of them
# (NumPy's W2 round is ~0.35 s: 9 rounds stay under 4 s).
ROUNDS = {"W1": 9, "W2": 9, "W3": 3, "W4": 5}

_DATA = {}


def _data(workload):
    key = (workload.name, workload.scale)
    if key not in _DATA:
        _DATA.clear()              # keep one data set alive: W3/W4's is 188 MB
        _DATA[key] = load_data(workload)
    return _DATA[key]


def _require(framework):
    if not available(framework):
        pytest.skip(f"{framework} is not importable here (fastnn needs its Keras API: "
                    "Sequential, layers.Dense/Input, optimizers.Adam, losses)")


def _median_seconds(benchmark):
    stats = getattr(benchmark, "stats", None)
    return stats.stats.median if stats is not None else None


@pytest.mark.parametrize("framework", BENCHED)
@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_workload(benchmark, name, framework, bench_scale):
    _require(framework)
    w = get_workload(name, bench_scale)
    d = _data(w)
    benchmark.group = f"{name}: {w.title}" + (f" (scale {w.scale})" if w.scale < 1 else "")
    runners = []

    def setup():
        runner = RUNNERS[framework](w, d, seed=0)
        runner.loss_before = runner.test_loss()          # untimed
        runners.append(runner)
        return (runner,), {}

    benchmark.pedantic(lambda r: r.run(), setup=setup, rounds=ROUNDS[name],
                       iterations=1, warmup_rounds=0)
    r = runners[-1]
    seconds = _median_seconds(benchmark)
    info = {"framework": framework, "scale": w.scale, "rows": len(d.x_train),
            "epochs": w.epochs, "batch_size": w.batch_size}
    if seconds:
        info["samples_per_s"] = round(samples_per_second(w, d, seconds))

    if w.kind == "fit":
        acc, loss_after = r.test_accuracy(), r.test_loss()
        info.update(test_accuracy=acc, test_loss=loss_after, test_loss_before=r.loss_before,
                    final_train_loss=r.final_loss())
        benchmark.extra_info.update(info)
        assert math.isfinite(loss_after)
        assert loss_after < r.loss_before, "training did not lower the held-out loss"
        if w.scale == 1.0:
            assert acc >= w.min_accuracy, f"{name} {framework}: test accuracy {acc}"
    else:
        benchmark.extra_info.update(info)
        out = np.asarray(r.outputs)
        assert out.shape == (len(d.x_train), w.n_outputs)
        if framework == "fastnn":
            # fastnn's predict computes what the reference computes with its weights.
            ref = NumpyMLP(w.n_features, w.layers, w.loss)
            ref.set_weights(r.get_weights())
            want = ref.predict(d.x_train[:4096], batch_size=w.batch_size)
            scale = float(np.abs(want).max())
            np.testing.assert_allclose(out[:4096], want, rtol=1e-4, atol=1e-5 * scale)
        assert np.isfinite(out).all()


# -- per-step overhead: a 1->1 network, batch 1 ---------------------------------------
def _overhead_data(steps):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((steps, 1)).astype(np.float32)
    return x, (2.0 * x + 1.0).astype(np.float32)


def _fastnn_step_model():
    api = keras_api("fastnn")
    api["set_random_seed"](0)
    model = api["Sequential"]([api["Input"](shape=(1,)), api["Dense"](1)])
    model.compile(optimizer=api["Adam"](learning_rate=1e-3), loss="mse")
    return model


@pytest.mark.parametrize("framework", BENCHED)
def test_step_overhead(benchmark, framework, bench_scale):
    """The fixed cost of one training step: fit over ``steps`` single-row batches of a
    1->1 linear network (MSE, Adam), reported as microseconds per step."""
    _require(framework)
    steps = max(100, round(20000 * bench_scale))
    x, y = _overhead_data(steps)
    benchmark.group = "step overhead: 1->1 Dense, batch 1, Adam, MSE"
    models = []

    def setup():
        if framework == "fastnn":
            model = _fastnn_step_model()
        else:
            model = NumpyMLP(1, [(1, "linear")], "mse", seed=0)
        models.append(model)
        return (model,), {}

    def fit(model):
        if framework == "fastnn":
            return model.fit(x, y, batch_size=1, epochs=1, verbose=0)
        return model.fit(x, y, batch_size=1, epochs=1)

    benchmark.pedantic(fit, setup=setup, rounds=5, iterations=1)
    seconds = _median_seconds(benchmark)
    benchmark.extra_info.update(framework=framework, steps=steps)
    if seconds:
        benchmark.extra_info["us_per_step"] = round(seconds / steps * 1e6, 3)
    model = models[-1]
    weights = [np.asarray(p) for p in model.get_weights()]
    # y = 2x + 1 from w = glorot, b = 0: every step moves both towards (2, 1).
    assert np.isfinite(weights[0]).all() and weights[1][0] > 0.0
