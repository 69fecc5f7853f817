"""Every example in examples/ runs as a script and shows what it claims."""
import contextlib
import io
import os
import runpy
import subprocess
import sys

import numpy as np
import pytest

import fastnn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
# The folder the fastnn under test is imported from: this checkout, or site-packages
# when the tests run against an installed wheel (the checkout's own fastnn/ has no
# compiled module then, and must not shadow the installed one in a child process).
FASTNN_HOME = os.path.dirname(os.path.dirname(os.path.abspath(fastnn.__file__)))


def run_example(name):
    """Run examples/<name>.py as __main__; return (its globals, what it printed)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        ns = runpy.run_path(os.path.join(EXAMPLES, name + ".py"), run_name="__main__")
    return ns, out.getvalue()


def test_every_example_is_tested():
    names = sorted(f[:-3] for f in os.listdir(EXAMPLES) if f.endswith(".py"))
    tested = sorted(n[len("test_"):] for n in globals() if n.startswith("test_") and n[5:] in names)
    assert names == tested


def test_logistic_regression():
    ns, out = run_example("logistic_regression")
    r = ns["result"]
    costs = r["costs"]
    assert all(a > b for a, b in zip(costs, costs[1:]))  # gradient descent lowers the cost
    assert costs[0] < np.log(2) and costs[-1] < 0.2
    assert r["accuracy"] >= 0.95 and "training accuracy" in out
    # The hand-written gradient is the cost's true gradient (central differences, float64).
    mod = ns
    X, y, w, b = r["X"], r["y"], r["w"], r["b"]
    dw, db = mod["gradient"](X, y, w, b)
    h = 1e-6
    for i in range(2):
        e = np.zeros(2)
        e[i] = h
        num = (mod["cost"](X, y, w + e, b) - mod["cost"](X, y, w - e, b)) / (2 * h)
        assert abs(num - dw[i]) < 1e-6
    num_b = (mod["cost"](X, y, w, b + h) - mod["cost"](X, y, w, b - h)) / (2 * h)
    assert abs(num_b - db) < 1e-6


def test_digit_0_vs_1():
    ns, out = run_example("digit_0_vs_1")
    r = ns["result"]
    p = r["probabilities"]
    assert np.all((p >= 0) & (p <= 1))  # float32 rounds sigmoid(z > 17) to exactly 1
    assert p.min() < 0.01 and p.max() > 0.99
    assert r["accuracy"] >= 0.98 and "test accuracy" in out and "Epoch 20/20" in out


def test_regression_outputs():
    ns, out = run_example("regression_outputs")
    r = ns["result"]
    lin, relu = r["linear"], r["relu"]
    assert lin["mse"] < 0.2 * lin["baseline"] and relu["mse"] < 0.2 * relu["baseline"]
    assert lin["pred"].min() < 0 < lin["pred"].max()  # the linear output covers both signs
    assert relu["pred"].min() >= 0 and relu["far"].min() >= 0  # the relu output never goes below 0
    assert lin["far"].min() < 2 * lin["y"].min()        # while the linear one extrapolates freely
    assert "linear output" in out and "relu output" in out


def test_linear_collapse():
    ns, out = run_example("linear_collapse")
    r = ns["result"]
    assert r["W"].shape == (64, 1) and r["b"].shape == (1,)
    assert r["max_abs_diff"] <= 1e-9 * max(1.0, r["scale"])
    # And the collapse is not a triviality: ReLU hidden layers are not one linear map.
    assert r["relu_residual"] > 1e-3 * r["scale"]
    assert "max |difference|" in out


def test_relu_piecewise():
    ns, out = run_example("relu_piecewise")
    r = ns["result"]
    assert r["max_err"] <= 1e-6
    x, y = r["x"][:, 0], r["y"][:, 0]
    expected = np.select([x <= 0, x <= 1, x <= 2, x <= 3], [0 * x, x, 2 * x - 1, x + 1], 4.0)
    assert np.allclose(y, expected, atol=1e-6)
    w = r["model"].get_weights()
    assert w[0].tolist() == [[1, 1, 1, 1]] and w[1].tolist() == [0, -1, -2, -3]
    assert w[2][:, 0].tolist() == [1, 1, -1, -1] and w[3].tolist() == [0]


def test_softmax_vs_logits():
    ns, out = run_example("softmax_vs_logits")
    r = ns["result"]
    assert r["acc_softmax"] >= 0.93 and r["acc_logits"] >= 0.93
    for p in (r["p_softmax"], r["p_logits"]):
        assert np.allclose(p.sum(axis=1), 1.0, atol=1e-5)
    ex = r["extreme"]
    assert ex["naive"] == float("inf")                  # softmax underflowed to 0
    assert ex["from_probs"] == pytest.approx(-np.log(1e-7), rel=1e-4)  # clipped: 16.1, not 200
    assert ex["from_logits"] == pytest.approx(ex["exact"], rel=1e-6)   # exact: 200
    assert "log-sum-exp" in out


def test_an_example_runs_as_a_separate_process():
    """`python examples/NAME.py` works from a shell (not only through runpy)."""
    env = dict(os.environ, PYTHONPATH=FASTNN_HOME + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, os.path.join(EXAMPLES, "relu_piecewise.py")],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "max |model - formula|" in proc.stdout


def test_sklearn_grid_search():
    pytest.importorskip("sklearn", reason="the example needs scikit-learn")
    ns, out = run_example("sklearn_grid_search")
    r = ns["result"]
    assert r["test_accuracy"] >= 0.9 and "test accuracy of the best model" in out
    scores = r["scores"]
    assert scores.shape == (2,) and scores.max() > 0.8
    # random_state: the same search on two worker processes gives the same scores.
    again = ns["main"](n_jobs=2, verbose=False)
    np.testing.assert_array_equal(again["scores"], scores)


@pytest.mark.slow
def test_dask_grid_search(monkeypatch):
    pytest.importorskip("distributed", reason="the example needs dask[distributed]")
    pytest.importorskip("sklearn", reason="the example needs scikit-learn")
    monkeypatch.setattr(sys, "argv", ["dask_grid_search.py"])   # no scheduler address
    ns, out = run_example("dask_grid_search")
    r = ns["result"]
    assert r["workers"] == 2 and "2 Dask workers" in out
    assert r["test_accuracy"] >= 0.9


@pytest.mark.slow
def test_ray_tune():
    pytest.importorskip("ray.tune", reason="the example needs ray[tune]")
    # In a child process: a Ray driver leaves threads and handlers behind in its
    # process, after which tests/test_interrupt.py's Ctrl-C tests hang.
    code = ("import json, runpy, sys\n"
            "ns = runpy.run_path(sys.argv[1], run_name='__main__')\n"
            "r = ns['result']\n"
            "print('RESULT', json.dumps({'curves': {str(k): v for k, v in "
            "r['curves'].items()}, 'best_config': r['best_config'], "
            "'best_accuracy': r['best_accuracy']}))\n")
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code, os.path.join(EXAMPLES, "ray_tune.py")],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    import json
    r = json.loads(next(line for line in out.splitlines()
                        if line.startswith("RESULT "))[len("RESULT "):])
    curves = {float(k): v for k, v in r["curves"].items()}
    assert sorted(curves) == [0.001, 0.01]
    assert all(len(c) == 10 for c in curves.values())     # one report per epoch
    # The faster rate wins; the held-out last fifth of the training images is harder
    # than the test set (about 0.89 after 10 epochs here, against 0.95 on the test set).
    assert r["best_config"]["learning_rate"] == 0.01 and r["best_accuracy"] >= 0.85
    assert curves[0.01][-1] > curves[0.001][-1] and curves[0.01][-1] > curves[0.01][0]
    assert r["best_accuracy"] == curves[0.01][-1]
    assert "validation accuracy per epoch" in out
