"""fastnn's thread count follows OpenMP's as other OpenMP libraries do, so that
threadpoolctl, scikit-learn, joblib and Dask can limit it; fastnn.set_num_threads wins
when called; a changed OMP_NUM_THREADS is seen by fit, evaluate and predict."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import fastnn
from fastnn import _kernels, callbacks, layers

OPENMP = fastnn.build_info()["openmp"]
pytestmark = pytest.mark.skipif(not OPENMP, reason="built without OpenMP: always 1 thread")
BIG = 1e12      # work units that any team size runs in parallel


@pytest.fixture
def following():
    """fastnn follows OpenMP's count in this test; the previous setting comes back."""
    old = _kernels.num_threads_set() or None
    fastnn.set_num_threads(None)
    yield
    fastnn.set_num_threads(old)


def _run(code, **env):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, **env), timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def _model():
    fastnn.utils.set_random_seed(0)
    m = fastnn.Sequential([layers.Input((8,)), layers.Dense(4, activation="relu"),
                           layers.Dense(3)])
    m.compile("adam", fastnn.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


def test_threadpool_limits_limits_the_kernels(following):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    before = fastnn.get_num_threads()
    with threadpoolctl.threadpool_limits(1, user_api="openmp"):
        assert fastnn.get_num_threads() == 1
        assert _kernels.threads_for(BIG) == 1
    assert fastnn.get_num_threads() == before
    assert _kernels.threads_for(BIG) == (before if before > 1 else 1)


def test_threadpool_limits_can_raise_the_count_after_one_thread(following):
    """At one thread the kernels used to settle 'serial' for good; a count raised later
    (by threadpoolctl, or omp_set_num_threads) must be seen."""
    pytest.importorskip("threadpoolctl")
    out = _run("import fastnn, threadpoolctl\n"
               "from fastnn import _kernels\n"
               "print(fastnn.get_num_threads(), _kernels.threads_for(1e12))\n"
               "with threadpoolctl.threadpool_limits(3, user_api='openmp'):\n"
               "    print(fastnn.get_num_threads(), _kernels.threads_for(1e12))\n"
               "print(fastnn.get_num_threads(), _kernels.threads_for(1e12))\n",
               OMP_NUM_THREADS="1", FASTNN_PAR_MIN_WORK="1000")
    assert out == ["1", "1", "3", "3", "1", "1"]


def test_set_num_threads_wins_over_threadpool_limits_until_none(following):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    fastnn.set_num_threads(2)
    with threadpoolctl.threadpool_limits(1, user_api="openmp"):
        assert fastnn.get_num_threads() == 2
        assert _kernels.threads_for(BIG) == 2
        fastnn.set_num_threads(None)
        assert fastnn.get_num_threads() == 1
    assert _kernels.num_threads_set() == 0


def test_the_limit_of_one_thread_is_not_the_limit_of_another(following):
    """omp_set_num_threads (and so threadpoolctl) sets the calling thread's count only,
    as for every OpenMP library."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    seen = {}

    def other():
        seen["other"] = fastnn.get_num_threads()

    with threadpoolctl.threadpool_limits(1, user_api="openmp"):
        t = threading.Thread(target=other)
        t.start()
        t.join()
        seen["this"] = fastnn.get_num_threads()
    assert seen["this"] == 1
    assert seen["other"] == _kernels.get_num_threads() == fastnn.get_num_threads()


def test_omp_num_threads_at_start_up():
    assert _run("import fastnn; print(fastnn.get_num_threads())", OMP_NUM_THREADS="1") == ["1"]
    assert _run("import fastnn; print(fastnn.get_num_threads())", OMP_NUM_THREADS="3,2") == ["3"]


def test_a_changed_omp_num_threads_is_seen_by_fit_evaluate_and_predict(following, monkeypatch):
    """A worker that sets OMP_NUM_THREADS after fastnn was imported: fit/evaluate/predict
    apply it (the callback reads the kernels' count without following the variable)."""
    counts = []

    class Record(callbacks.Callback):
        def on_train_begin(self, logs=None):
            counts.append(("fit", _kernels.get_num_threads()))

        def on_test_begin(self, logs=None):
            counts.append(("evaluate", _kernels.get_num_threads()))

        def on_predict_begin(self, logs=None):
            counts.append(("predict", _kernels.get_num_threads()))

    m = _model()
    x = np.random.default_rng(0).random((40, 8), dtype=np.float32)
    y = np.arange(40) % 3
    start = _kernels.get_num_threads()
    for value, want in [("1", 1), ("2", 2), ("1", 1)]:
        monkeypatch.setenv("OMP_NUM_THREADS", value)
        counts.clear()
        m.fit(x, y, epochs=1, verbose=0, callbacks=[Record()])
        m.evaluate(x, y, verbose=0, callbacks=[Record()])
        m.predict(x, verbose=0, callbacks=[Record()])
        assert counts == [("fit", want), ("evaluate", want), ("predict", want)]
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")   # ignored, as OpenMP does
    assert fastnn.get_num_threads() == 1
    monkeypatch.undo()
    fastnn._threads.follow_env()
    _kernels.set_openmp_threads(start)   # this thread's count as before the test


def test_results_do_not_depend_on_the_limit(following):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    x = np.random.default_rng(1).random((300, 8), dtype=np.float32)
    y = np.arange(300) % 3
    runs = []
    for limit in (1, 2):
        with threadpoolctl.threadpool_limits(limit, user_api="openmp"):
            m = _model()
            m.fit(x, y, epochs=2, batch_size=64, verbose=0)
            runs.append([w.copy() for w in m.get_weights()] + [m.predict(x, verbose=0)])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


def test_set_num_threads_none_is_the_start_up_behaviour():
    assert _run("import fastnn\nfrom fastnn import _kernels\n"
                "a = _kernels.num_threads_set(); fastnn.set_num_threads(1)\n"
                "b = _kernels.num_threads_set(); fastnn.set_num_threads(None)\n"
                "print(a, b, _kernels.num_threads_set(), fastnn.get_num_threads())",
                OMP_NUM_THREADS="2") == ["0", "1", "0", "2"]
