"""When kernels go parallel: the run-time calibrated threshold (csrc/common.c), its
FASTNN_PAR_MIN_WORK override and test hook, and the point of the design: results do not
depend on it (every kernel forced parallel gives bitwise what every kernel serial gives).
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import fastnn
from fastnn import engine, _kernels, kernel_ops as ops
from fastnn.layers import BatchNormalization, Dense, Dropout, Input
from fastnn import Sequential

LO, HI = 32768, 16777216       # clamp of the calibrated threshold (csrc/fnn_common.h)
DEFAULT = 65536                 # without OpenMP, or at one thread
SERIAL = 2 ** 32                # set_par_min_work value that keeps every kernel serial
OPENMP = fastnn.build_info()["openmp"]
needs_openmp = pytest.mark.skipif(not OPENMP, reason="built without OpenMP")


@pytest.fixture(autouse=True)
def _automatic_threshold(monkeypatch):
    """Each test runs without a FASTNN_PAR_MIN_WORK from the caller's environment and
    leaves the threshold automatic (the test hook released)."""
    outside = "FASTNN_PAR_MIN_WORK" in os.environ
    if outside:
        monkeypatch.delenv("FASTNN_PAR_MIN_WORK")
        _kernels.calibrate_threads()
    yield
    _kernels.set_par_min_work(0)
    if outside:
        monkeypatch.undo()
        _kernels.calibrate_threads()


@pytest.fixture
def env_threshold(monkeypatch):
    """setenv(value) for FASTNN_PAR_MIN_WORK in this process; afterwards every threshold
    derived from the test's value is dropped."""
    yield lambda value: monkeypatch.setenv("FASTNN_PAR_MIN_WORK", value)
    monkeypatch.delenv("FASTNN_PAR_MIN_WORK", raising=False)
    _kernels.calibrate_threads()


def _expected_threads(work, pmw, nt):
    """The rule of fnn_threads_for: serial below 2 * pmw, else the whole team (never a
    part of it: libgomp would retire the threads left out)."""
    return 1 if work < 2 * pmw else nt


# ------------------------------------------------------------------ the threshold
def test_threading_info_fields_are_sane(set_threads):
    if OPENMP:
        set_threads(2)
    info = _kernels.threading_info()
    assert set(info) == {"par_min_work", "fork_join_us", "unit_ns", "source",
                         "num_threads", "provisional", "calibrations"}
    calibrations = info.pop("calibrations")
    assert info["num_threads"] == fastnn.get_num_threads()
    if OPENMP:
        assert info["source"] == "calibrated"
        assert info["fork_join_us"] > 0 and info["unit_ns"] > 0 and calibrations >= 1
        assert LO <= info["par_min_work"] <= HI
        # the threshold is the one the measurement implies, unless clamped
        implied = 2 * info["fork_join_us"] * 1e3 / info["unit_ns"]
        clamped = min(max(implied, LO), HI)
        assert info["par_min_work"] == pytest.approx(clamped, rel=1e-6, abs=1)
    else:
        assert info == {"par_min_work": DEFAULT, "fork_join_us": None, "unit_ns": None,
                        "source": "default", "num_threads": 1, "provisional": False}


def test_one_thread_needs_no_calibration(set_threads):
    set_threads(1)
    info = _kernels.calibrate_threads()
    assert info["source"] == "default" and info["num_threads"] == 1
    assert info["par_min_work"] == DEFAULT and info["fork_join_us"] is None
    assert _kernels.threads_for(1e15) == 1


def test_build_info_reports_the_threshold():
    info, thr = fastnn.build_info(), _kernels.threading_info()
    assert info["par_min_work"] == thr["par_min_work"]
    assert info["threshold_source"] == thr["source"]
    assert info["fork_join_us"] == thr["fork_join_us"]


def test_calibrate_threads_measures_again(set_threads):
    if OPENMP:
        set_threads(2)
    a = _kernels.calibrate_threads()
    b = _kernels.calibrate_threads()
    assert set(a) == set(b) and a["source"] == b["source"]
    assert a["num_threads"] == b["num_threads"] == fastnn.get_num_threads()
    if OPENMP:
        # a new measurement each time (the times themselves may repeat to the ns)
        assert b["calibrations"] == a["calibrations"] + 1
        assert all(LO <= x["par_min_work"] <= HI and x["fork_join_us"] > 0 for x in (a, b))
    else:
        assert a == b


@needs_openmp
def test_each_team_size_has_its_own_calibration(set_threads):
    set_threads(2)
    _kernels.calibrate_threads()       # drops what earlier tests measured
    two = _kernels.threading_info()
    assert two["num_threads"] == 2
    set_threads(3)
    info = _kernels.threading_info()   # measured for the new team size
    assert info["num_threads"] == 3 and info["source"] == "calibrated"
    assert info["fork_join_us"] > 0
    assert info["calibrations"] == two["calibrations"] + 1
    # kernels see the new team size too: the decision made for 3 threads
    _kernels.set_par_min_work(1)
    assert _kernels.threads_for(1e9) == 3
    _kernels.set_par_min_work(0)
    set_threads(2)
    back = _kernels.threading_info()
    assert back["num_threads"] == 2 and _kernels.threads_for(1e15) == 2
    if not two["provisional"]:   # kept, not measured again (a provisional one may be)
        assert back == dict(two, calibrations=info["calibrations"])
    # calibrate_threads() measures this size again and drops the others
    fresh = _kernels.calibrate_threads()
    assert fresh["num_threads"] == 2 and fresh["calibrations"] == back["calibrations"] + 1
    set_threads(3)
    assert _kernels.threading_info()["calibrations"] == fresh["calibrations"] + 1


@needs_openmp
def test_calibrated_decision_follows_the_rule(set_threads):
    set_threads(2)
    pmw = _kernels.threading_info()["par_min_work"]
    # below 2 * LO no measurement can make a kernel parallel (the lower clamp):
    # e.g. an 8 x 32 x 25 dense layer
    assert _kernels.threads_for(8 * 32 * 25) == 1
    assert _kernels.threads_for(2 * LO - 1) == 1
    # the seed's 32 x 64 x 25 dense forward: serial unless the measured fork/join is
    # under a quarter of its serial time (it is not on the machines we measured)
    work = 32 * 64 * 25
    assert _kernels.threads_for(work) == _expected_threads(work, pmw, 2)
    # above 2 * HI every measurement makes it parallel (the upper clamp)
    assert _kernels.threads_for(2.0 * HI) == 2
    assert _kernels.threads_for(2 * pmw) == 2
    assert _kernels.threads_for(2 * pmw - 1) == 1


@needs_openmp
@pytest.mark.parametrize("pmw,work,nt", [
    (1, 1, 3), (1, 2, 3), (1, 3, 3), (1, 1e12, 3),
    (100, 199, 3), (100, 200, 3), (100, 299, 3), (100, 300, 3), (100, 1e6, 3),
    (100, 1e6, 2), (SERIAL, 1e12, 3), (SERIAL, 2.0 * SERIAL, 3),
])
def test_threads_for_with_a_fixed_threshold(set_threads, pmw, work, nt):
    set_threads(nt)
    _kernels.set_par_min_work(pmw)
    info = _kernels.threading_info()
    assert info["source"] == "set" and info["par_min_work"] == min(pmw, SERIAL - 1)
    assert _kernels.threads_for(work) == _expected_threads(work, min(pmw, SERIAL - 1), nt)


@needs_openmp
def test_provisional_decision_is_measured_again(set_threads):
    """A measurement taken on busy cores (here: far more threads than cores, where a
    region waits for a time slice) is provisional and kernels measure again after
    RECHECK_S = 2 s (csrc/common.c); a normal one is kept."""
    import time
    set_threads(min(64, 16 * (os.cpu_count() or 1)))
    info = _kernels.calibrate_threads()
    assert info["source"] == "calibrated"
    time.sleep(2.05)
    _kernels.threads_for(1e9)                 # a kernel's question, after the recheck time
    again = _kernels.threading_info()
    if info["provisional"]:
        assert again["calibrations"] == info["calibrations"] + 1
    else:
        assert again == info


def test_set_par_min_work_zero_restores_automatic(set_threads):
    if OPENMP:
        set_threads(2)
    _kernels.set_par_min_work(1234)
    assert _kernels.threading_info()["par_min_work"] == 1234
    _kernels.set_par_min_work(0)
    assert _kernels.threading_info()["source"] == ("calibrated" if OPENMP else "default")
    _kernels.set_par_min_work(-5)
    assert _kernels.threading_info()["source"] != "set"


# --------------------------------------------------------- FASTNN_PAR_MIN_WORK
_PRINT_INFO = ("from fastnn import _kernels as k; i = k.threading_info(); "
               "print(i['source'], i['par_min_work'], i['fork_join_us'], "
               "k.threads_for(2 * i['par_min_work']), k.threads_for(2 * i['par_min_work'] - 1))")


def _run_with_env(value):
    env = dict(os.environ, FASTNN_PAR_MIN_WORK=value, OMP_NUM_THREADS="2")
    out = subprocess.run([sys.executable, "-c", _PRINT_INFO], env=env, capture_output=True,
                         text=True, check=True)
    return out.stdout.split()


def test_env_override_is_honoured():
    source, pmw, fj, at2, below = _run_with_env("12345")
    assert (source, pmw, fj) == ("env", "12345", "None")
    assert (at2, below) == (("2", "1") if OPENMP else ("1", "1"))


@pytest.mark.parametrize("bad", ["abc", "0", "1e99"])
def test_env_override_bad_value_is_ignored(bad):
    source, pmw, fj, _, _ = _run_with_env(bad)
    assert source == ("calibrated" if OPENMP else "default")
    assert LO <= int(pmw) <= HI


@pytest.mark.parametrize("value,expected", [
    ("777", 777), (" 5000 ", 5000), ("1", 1), ("3e4", 30000), ("4294967295", 4294967295),
    ("", None), ("-3", None), ("0.5", None), ("nan", None), ("inf", None), ("12x", None),
    ("4294967296", None),
])
def test_env_override_parsing(env_threshold, set_threads, value, expected):
    # the variable is read at each (re)calibration, so it can be tested in-process
    if OPENMP:
        set_threads(2)
    env_threshold(value)
    info = _kernels.calibrate_threads()
    if expected is None:
        assert info["source"] == ("calibrated" if OPENMP else "default")
    else:
        assert info["source"] == "env" and info["par_min_work"] == expected
        assert info["fork_join_us"] is None and info["unit_ns"] is None


# ------------------------------------------- results do not depend on the threshold
def _both_ways(fn, set_threads, counts=(2, 3)):
    """fn() with every kernel serial, then forced parallel at each team size; returns
    the list of results (the serial one first)."""
    _kernels.set_par_min_work(SERIAL)
    out = [fn()]
    if OPENMP:
        for nt in counts:
            set_threads(nt)
            _kernels.set_par_min_work(1)
            assert _kernels.threads_for(1e6) == nt
            out.append(fn())
    return out


def _assert_bitwise(results):
    first = results[0]
    for other in results[1:]:
        assert len(other) == len(first)
        for a, b in zip(first, other):
            a, b = np.asarray(a), np.asarray(b)
            assert a.dtype == b.dtype and a.shape == b.shape
            assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("algo", ["auto", "direct", "packed"])
def test_gemm_bitwise_serial_vs_parallel(dtype, simd_path, algo, set_threads):
    shapes = [(1, 1, 1), (7, 13, 5), (33, 17, 65), (1, 100, 3), (61, 70, 129)]
    _kernels._gemm_force_path(algo)

    def run():
        res = []
        for (M, N, K) in shapes:
            for ta in (False, True):
                for tb in (False, True):
                    r = np.random.default_rng(M * 1000 + N * 10 + K)
                    A = r.standard_normal((K, M) if ta else (M, K)).astype(dtype)
                    B = r.standard_normal((N, K) if tb else (K, N)).astype(dtype)
                    C = r.standard_normal((M, N)).astype(dtype)
                    _kernels.gemm(ta, tb, A, B, C, 0.75, 0.5)
                    res.append(C)
        return res

    _assert_bitwise(_both_ways(run, set_threads))


def test_dense_bitwise_serial_vs_parallel(dtype, simd_path, set_threads):
    r = np.random.default_rng(4)
    cases = [(32, 64, 25, "relu"), (33, 15, 10, "softmax"), (5, 70, 3, "sigmoid"),
             (97, 31, 9, "tanh")]
    data = [(r.standard_normal((m, k)).astype(dtype), r.standard_normal((k, n)).astype(dtype),
             r.standard_normal(n).astype(dtype), r.standard_normal((m, n)).astype(dtype), act)
            for m, k, n, act in cases]

    def run():
        res = []
        for x, w, b, dz, act in data:
            res.extend(ops.dense_forward(x, w, b, activation=act))
            res.extend(ops.dense_backward(x, w, dz))
        return res

    _assert_bitwise(_both_ways(run, set_threads))


@pytest.mark.parametrize("name", ["relu", "sigmoid", "gelu", "softmax", "log_softmax"])
def test_activation_bitwise_serial_vs_parallel(dtype, name, set_threads):
    r = np.random.default_rng(5)
    z = (r.standard_normal((37, 19)) * 3).astype(dtype)
    da = r.standard_normal(z.shape).astype(dtype)

    def run():
        a = ops.activation_forward(name, z)
        return [a, ops.activation_grad(name, z, a, da)]

    _assert_bitwise(_both_ways(run, set_threads))


@pytest.mark.parametrize("name", ["categorical_crossentropy", "sparse_categorical_crossentropy",
                                  "binary_crossentropy", "mean_squared_error", "huber"])
def test_loss_bitwise_serial_vs_parallel(dtype, name, set_threads):
    r = np.random.default_rng(6)
    n, k = 300, 7   # several loss blocks, so the parallel path sums partials
    logits = r.standard_normal((n, k)).astype(dtype)
    if name == "sparse_categorical_crossentropy":
        y = r.integers(0, k, n)
    elif name == "categorical_crossentropy":
        y = np.eye(k, dtype=dtype)[r.integers(0, k, n)]
    elif name == "binary_crossentropy":
        y = (r.random((n, k)) < 0.5).astype(dtype)
    else:
        y = r.standard_normal((n, k)).astype(dtype)
    logits_flag = name.endswith("crossentropy")
    sw = r.random(n)

    def run():
        res = []
        for w in (None, sw):
            kw = dict(from_logits=True) if logits_flag else {}
            loss, grad = ops.loss_and_grad(name, y, logits, sample_weight=w, **kw)
            res += [np.float64(loss), grad]
        return res

    _assert_bitwise(_both_ways(run, set_threads))


def test_optimizers_bitwise_serial_vs_parallel(dtype, set_threads):
    r = np.random.default_rng(7)
    w0 = r.standard_normal(1001).astype(dtype)
    grads = [r.standard_normal(w0.shape).astype(dtype) for _ in range(3)]

    def run():
        res = []
        w, m, v = w0.copy(), np.zeros_like(w0), np.zeros_like(w0)
        for t, g in enumerate(grads, start=1):
            ops.adam_update(w, g, m, v, alpha_t=0.01 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t))
        res += [w, m, v]
        w, m = w0.copy(), np.zeros_like(w0)
        for g in grads:
            ops.sgd_update(w, g, m, lr=0.05, momentum=0.9, nesterov=True)
        res += [w, m]
        w, v = w0.copy(), np.zeros_like(w0)
        for g in grads:
            ops.rmsprop_update(w, g, v, lr=0.01)
        res += [w, v]
        w, acc = w0.copy(), np.full_like(w0, 0.1)
        for g in grads:
            ops.adagrad_update(w, g, acc, lr=0.05)
        res += [w, acc]
        return res

    _assert_bitwise(_both_ways(run, set_threads))


@pytest.mark.parametrize("M,N,K", [(32, 128, 784), (5, 1, 600), (64, 37, 1000),
                                   (1, 300, 513), (17, 10, 257), (128, 128, 784),
                                   (200, 37, 1000), (129, 300, 513)])
@pytest.mark.parametrize("act", ["relu", "softmax", "linear"])
def test_dense_with_k_blocks_over_threads_is_bitwise_serial(dtype, M, N, K, act, set_threads):
    """A layer's forward with K over one block splits the K blocks over the threads, on
    the direct path (up to 64 rows here) and on the packed one (gemm_ksplit: partial sums
    added in block order): the same bits as serial at 2, 3 and 4 threads, with a bias and
    an activation epilogue."""
    r = np.random.default_rng(M * N + K)
    x = r.standard_normal((M, K)).astype(dtype)
    W = r.standard_normal((K, N)).astype(dtype)
    b = r.standard_normal(N).astype(dtype)
    _assert_bitwise(_both_ways(lambda: [ops.dense(x, W, b, activation=act)], set_threads,
                               counts=(2, 3, 4)))


@pytest.mark.parametrize("n_in,variant", [(20, None), (600, None), (600, "clip_frozen"),
                                         (600, "batchnorm")],
                         ids=["narrow", "k_split", "global_clip_frozen_first", "batchnorm"])
def test_fit_bitwise_serial_vs_parallel(dtype, n_in, variant, set_threads):
    """Weights, history and predictions of a fit are bitwise those of the serial fit at 2
    and 3 threads; with 600 inputs the forward splits its 3 K blocks over the threads
    (the gradient and Adam split W's rows); also with global_clipnorm and the first layer
    frozen (no backward below the second); and with a BatchNormalization stage."""
    r = np.random.default_rng(8)
    x = r.standard_normal((48, n_in))
    y = r.integers(0, 5, 48)

    def run():
        fastnn.utils.set_random_seed(11)
        bn = [BatchNormalization()] if variant == "batchnorm" else []
        m = Sequential([Input((n_in,), dtype=dtype.name), Dense(16, activation="relu")] + bn
                       + [Dropout(0.25), Dense(12, activation="tanh"),
                          Dense(5, activation="softmax")])
        opt = "adam"
        if variant == "clip_frozen":
            m.layers[0].trainable = False
            opt = fastnn.optimizers.Adam(global_clipnorm=0.05)
        m.compile(optimizer=opt, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
        h = m.fit(x, y, epochs=2, batch_size=16, verbose=0)
        losses = np.array(h.history["loss"] + h.history["accuracy"])
        return m.get_weights() + [losses, m.predict(x, batch_size=16, verbose=0)]

    results = _both_ways(run, set_threads, counts=(2, 3))
    assert results[0][0].dtype == dtype
    _assert_bitwise(results)


def _worker_threads():
    return set(os.listdir("/proc/self/task"))


@needs_openmp
@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")
def test_kernels_never_shrink_the_team(set_threads):
    """A parallel region always has the whole team. libgomp retires the threads that a
    smaller team leaves out and creates new ones for the next larger team: a training
    step that mixed sizes paid that on every step (W3 on 16 cores: 2.2 ms a step against
    0.8 ms of kernels). So the same worker threads must survive kernels of every size:
    GEMMs of one piece, of fewer pieces than threads and of many, element-wise kernels,
    a loss, optimizer updates and a whole fit."""
    set_threads(4)
    _kernels.set_par_min_work(1000)   # 2,000 units: threads; 2,000..4,000 was 2 of 4
    r = np.random.default_rng(3)
    a, b = r.standard_normal((32, 32), np.float32), r.standard_normal((32, 32), np.float32)
    c = np.empty((32, 32), np.float32)
    _kernels.gemm(False, False, a, b, c)         # the team starts: 4 threads
    team = _worker_threads()
    x = r.standard_normal((48, 20)).astype(np.float32)
    y = r.integers(0, 5, 48)
    m = Sequential([Input((20,)), Dense(16, activation="relu"), Dense(5)])
    m.compile(optimizer="adam", loss=fastnn.losses.SparseCategoricalCrossentropy(from_logits=True))
    m.fit(x, y, epochs=0, verbose=0)
    # The engine's team-size search tries smaller teams on purpose, a few steps at a
    # time (tests below); here every step has the whole team.
    engine.plan_for(m, x, training=True).net.set_adapt(False)
    for _ in range(3):
        _kernels.gemm(False, False, a[:8, :16], b[:16, :20], c[:8, :20])   # 2 strips
        _kernels._gemm_force_path("packed")
        _kernels.gemm(False, False, a[:12], b[:, :16], c[:12, :16])        # 2 tiles
        _kernels._gemm_force_path("auto")
        _kernels.gemm(False, False, a, b, c)
        ops.relu(r.standard_normal((8, 300)).astype(np.float32))
        _kernels.gemm(False, False, a, b, c)
        m.fit(x, y, epochs=1, batch_size=16, verbose=0)
        # no thread created (a subset: a thread an earlier test's smaller team retired
        # may still be on its way out when `team` was read)
        assert _worker_threads() <= team


def _run_in_threads(work, n, timeout):
    """work(0) ... work(n - 1), each in its own Python thread at once; fails if one hangs."""
    import threading
    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung"


def test_kernels_from_several_python_threads_while_calibrating(set_threads):
    """The GIL is released around kernels: Python threads that compute while others
    recalibrate get the same results, and nobody waits forever."""
    if OPENMP:
        set_threads(2)
    r = np.random.default_rng(9)
    x, w = r.standard_normal((64, 96)), r.standard_normal((96, 80))
    expected = ops.matmul(x, w)
    errors = []

    def work(i):
        try:
            for j in range(30):
                if (i + j) % 3 == 0:
                    _kernels.calibrate_threads()
                if ops.matmul(x, w).tobytes() != expected.tobytes():
                    errors.append(f"thread {i} step {j}: different result")
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))

    _run_in_threads(work, 4, timeout=60)
    assert errors == []
    assert _kernels.threading_info()["source"] == ("calibrated" if OPENMP else "default")


def test_models_trained_from_several_python_threads(set_threads):
    """fit and predict release the GIL for their C calls: four models trained and run at
    once from four Python threads (their engines searching team sizes, which caps the
    team process-wide) end with the bits of the same fits run one after another."""
    if OPENMP:
        set_threads(2)
    r = np.random.default_rng(4)
    x = r.standard_normal((1024, 128)).astype(np.float32)
    y = r.integers(0, 10, 1024)

    def make(seed):
        fastnn.utils.set_random_seed(seed)
        m = Sequential([Input((128,)), Dense(128, activation="relu"), Dense(10)])
        m.compile("adam", fastnn.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
        return m

    # shuffle=False: the epoch orders come from one generator, drawn in thread order.
    fit_kw = dict(batch_size=64, epochs=2, shuffle=False, verbose=0)
    refs = [make(s) for s in range(4)]
    ref_hist = [m.fit(x, y, **fit_kw).history for m in refs]
    ref_out = [m.predict(x, verbose=0) for m in refs]
    models = [make(s) for s in range(4)]
    hist, out, errors = [None] * 4, [None] * 4, []

    def work(i):
        try:
            hist[i] = models[i].fit(x, y, **fit_kw).history
            out[i] = models[i].predict(x, verbose=0)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))

    _run_in_threads(work, 4, timeout=120)
    assert errors == []
    for i in range(4):
        assert models[i]._engine.fit_plan is not None
        assert hist[i] == ref_hist[i]
        for a, b in zip(models[i].get_weights(), refs[i].get_weights()):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(out[i], ref_out[i])


# ------------------------------------------------------- team size of the engine
def _teams(pace, n_steps, nt_all):
    return _kernels.adapt_simulate(pace, n_steps, nt_all)


def _table(paces):
    return lambda step, team: paces[team]


def test_team_search_halves_down_to_the_fastest_size_and_searches_again_later():
    # the 16-core MLP case: 4 threads fastest; 2 steps per size, 1 thread dropped after
    # one step (over 1.5x the best); below the whole team it searches again after 16
    # steps, then, the answer being the same, after 32
    t = _teams(_table({16: 1.0, 8: 0.8, 4: 0.5, 2: 0.7, 1: 1.2}), 9 + 16 + 9 + 32 + 9, 16)
    search = [16, 16, 8, 8, 4, 4, 2, 2, 1]
    assert t == search + [4] * 16 + search + [4] * 32 + search


def test_team_search_stops_at_the_first_much_slower_size():
    # W3 on 16 cores: each halving slower; 4 threads at 1.6x the best ends the search
    # after one step, so 2 and 1 are never tried, and the whole team never searches again
    t = _teams(_table({16: 1.0, 8: 1.3, 4: 1.6, 2: 3.0, 1: 6.0}), 40, 16)
    assert t == [16, 16, 8, 8, 4] + [16] * 35


def test_team_search_keeps_the_larger_size_unless_the_smaller_wins_by_ten_percent():
    t = _teams(_table({4: 1.0, 2: 0.95, 1: 2.0}), 10, 4)
    assert t == [4, 4, 2, 2, 1] + [4] * 5


def test_team_policy_goes_serial_on_busy_cores_and_back_when_they_are_free():
    # 2 threads: a neighbour takes a core at step 10 (parallel steps 3x slower, serial
    # 1.6x) and leaves at step 60. Three slow steps start a search, which picks 1 thread;
    # searched again after 16 steps (same answer: next after 32), then back to 2
    def pace(step, team):
        busy = 10 <= step < 60
        return {2: 3.0 if busy else 1.0, 1: 1.6}[team]
    t = _teams(pace, 80, 2)
    assert t == ([2, 2, 1] + [2] * 10 + [2, 2, 1, 1] + [1] * 16 + [2, 2, 1, 1] + [1] * 32
                 + [2, 2, 1] + [2] * 8)


def test_team_policy_ignores_isolated_slow_steps():
    # jitter below 2x, or fewer than three slow steps in a row, keeps the whole team
    jitter = [1.0, 1.9, 1.5, 3.0, 3.0, 1.0, 3.0, 1.1, 1.9] * 5
    t = _teams(lambda step, team: jitter[step] if team == 2 else 5.0, 45, 2)
    assert t == [2, 2, 1] + [2] * 42


def test_team_policy_searches_again_when_the_thread_count_changes():
    a = _kernels.adapt_simulate(_table({2: 1.0, 1: 3.0}), 5, 2)
    b = _kernels.adapt_simulate(_table({4: 1.0, 2: 0.5, 1: 3.0}), 6, 4)
    assert a == [2, 2, 1, 2, 2] and b == [4, 4, 2, 2, 1, 2]


def test_team_policy_reports_the_sizes_its_last_search_tried():
    teams, tried = _kernels.adapt_simulate(_table({4: 1.0, 2: 0.5, 1: 3.0}), 6, 4, tried=True)
    assert teams == [4, 4, 2, 2, 1, 2]
    assert tried == [(4, 1.0), (2, 0.5), (1, 3.0)]
    # A second search (busy cores slow the chosen size) starts the record afresh.
    pace = lambda step, team: {4: 1.0, 2: 0.5 if step < 6 else 5.0, 1: 3.0}[team]
    teams, tried = _kernels.adapt_simulate(pace, 14, 4, tried=True)
    assert teams == [4, 4, 2, 2, 1, 2, 2, 2, 2, 4, 4, 2, 4, 4]
    assert tried == [(4, 1.0), (2, 5.0)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_team_sizes_of_the_engine_change_nothing(set_threads, dtype):
    """Steps on part of the team (a search, or the size it chose) give the same bits as
    the whole team throughout: the policy changes only speed."""
    if not fastnn.build_info()["openmp"]:
        pytest.skip("no OpenMP")
    from fastnn import layers as L
    set_threads(4)
    _kernels.set_par_min_work(1)          # every kernel of the step may use threads
    try:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((300, 40)).astype(dtype)
        y = rng.integers(0, 5, 300)
        weights, states = [], []
        for adapt, team, steps in ((False, 0, 0), (True, 1, 7), (True, 2, 30), (True, 0, 0)):
            fastnn.utils.set_random_seed(1)
            m = fastnn.Sequential([L.Input((40,), dtype=np.dtype(dtype).name),
                                   L.Dense(64, activation="relu"), L.Dense(5)])
            m.compile(optimizer="adam", loss=fastnn.losses.SparseCategoricalCrossentropy(
                from_logits=True))
            m.fit(x[:32], y[:32], epochs=0, verbose=0)
            plan = engine.plan_for(m, x, training=True)
            plan.net.set_adapt(adapt, team=team, steps=steps)
            m.fit(x, y, batch_size=16, epochs=2, verbose=0)
            weights.append(m.get_weights())
            states.append(plan.net.adapt_state())
        for other in weights[1:]:
            for a, b in zip(weights[0], other):
                assert np.array_equal(a, b)
        assert states[0]["searches"] == 0 and states[0]["max_team"] == 0
        # 38 steps: the hook's 7 steps on 1 thread, then searches from the whole team
        # (how many depends on what this machine's cores do meanwhile)
        assert states[1]["searches"] >= 1 and states[1]["max_team"] == 4
        # 30 steps on 2 threads, then a search, still under way or over; on busy cores
        # the size a short search chose can run three steps in a row at under half its
        # best pace, and the engine then searches again (csrc/train.h): a second search
        # within the 8 steps left is the policy working, not a fault
        assert states[2]["searches"] in (1, 2)
        # on its own it searched from the whole team and timed the size it chose
        assert states[3]["searches"] >= 1 and states[3]["team"] in (1, 2, 4)
        assert states[3]["best_us_per_row"] > 0 or states[3]["searching"]
        tried = states[3]["tried"]   # the last search's sizes: halving from the whole team
        assert [t for t, _ in tried] == [4, 2, 1][:len(tried)]
        assert all(us > 0 for _, us in tried)
    finally:
        _kernels.set_par_min_work(0)


_SMALL_FIT = """
import sys
import numpy as np, fastnn
from fastnn import layers as L, _kernels as k
dtype = sys.argv[1]
rng = np.random.default_rng(0)
x = rng.standard_normal((300, 64)).astype(dtype)
y = rng.integers(0, 10, 300)
m = fastnn.Sequential([L.Input((64,), dtype=dtype), L.Dense(25, activation="relu"),
                       L.Dense(15, activation="relu"), L.Dense(10)])
m.compile(optimizer="adam", metrics=["accuracy"],
          loss=fastnn.losses.SparseCategoricalCrossentropy(from_logits=True))
m.fit(x, y, batch_size=32, epochs=2, verbose=0)
m.evaluate(x, y, verbose=0)
before = k.calibrations()
big = k.threads_for(1e12)
print(before, k.calibrations(), big)
"""


@needs_openmp
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_small_networks_never_measure_or_start_threads(dtype):
    """Every float32 kernel of the seed's network is below 2 * LO, serial on any machine:
    a process that trains it never pays for the measurement (nor starts the threads);
    the first larger kernel does. In float64 every operation counts twice (FNN_WORK), so
    its 32 x 64 x 25 layer (102,400 units) is worth asking about."""
    env = dict(os.environ, OMP_NUM_THREADS="2")
    env.pop("FASTNN_PAR_MIN_WORK", None)
    out = subprocess.run([sys.executable, "-c", _SMALL_FIT, dtype], env=env,
                         capture_output=True, text=True, check=True)
    before, after, big = out.stdout.split()
    assert big == "2"
    if dtype == "float32":
        assert (before, after) == ("0", "1")
    else:
        assert int(before) >= 1 and after == before


# ------------------------------------------------------------------ one model, many threads
def _shared_model(dtype=np.float32):
    fastnn.utils.set_random_seed(7)
    m = Sequential([Input((96,), dtype=dtype), Dense(256, activation="relu"),
                    BatchNormalization(), Dense(64, activation="tanh"), Dense(10)])
    m.compile("adam", fastnn.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
    r = np.random.default_rng(5)
    x = r.standard_normal((3000, 96)).astype(dtype)
    y = r.integers(0, 10, 3000)
    m.fit(x[:256], y[:256], epochs=1, verbose=0)
    return m, x, y


def _inference_calls(m, x, y):
    """Every inference method, with batch sizes that share workspaces and ones that do
    not; each returns something whose bytes identify its result."""
    return {
        "predict": lambda: m.predict(x, verbose=0),
        "predict batch 7": lambda: m.predict(x[:700], batch_size=7, verbose=0),
        "call": lambda: np.asarray(m(x[:1000])),
        "predict_on_batch": lambda: m.predict_on_batch(x[:333]),
        "evaluate": lambda: np.array(m.evaluate(x, y, verbose=0)),
        "evaluate batch 64": lambda: np.array(m.evaluate(x, y, batch_size=64, verbose=0,
                                                         return_dict=False)),
    }


@pytest.mark.parametrize("path", ["engine", "layers"])
def test_one_model_used_from_several_threads_gives_the_bits_it_gives_alone(path, monkeypatch,
                                                                           set_threads):
    """Before each call had its own workspace, threads overwrote each other's
    activations: 86-160 of 160 results were wrong."""
    if OPENMP:
        set_threads(2)
    if path == "layers":
        monkeypatch.setattr(engine, "ENABLED", False)
    m, x, y = _shared_model()
    calls = _inference_calls(m, x, y)
    expected = {name: call().tobytes() for name, call in calls.items()}
    names = sorted(calls)
    wrong, errors = [], []

    def work(i):
        try:
            for j in range(8):
                name = names[(i + j) % len(names)]
                if calls[name]().tobytes() != expected[name]:
                    wrong.append(name)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))

    _run_in_threads(work, 6, timeout=300)
    assert errors == []
    assert wrong == []


def test_test_on_batch_from_several_threads_gives_each_call_its_batch(set_threads):
    """test_on_batch returns its own batch's loss and metrics (Keras 3 resets the metrics
    at every call): from several threads at once, every call gives what one call alone
    gives."""
    if OPENMP:
        set_threads(2)
    m, x, y = _shared_model()
    alone = m.test_on_batch(x[:500], y[:500], return_dict=True)
    assert m.test_on_batch(x[:500], y[:500], return_dict=True) == alone
    errors, got = [], []

    def work(i):
        try:
            for _ in range(10):
                got.append(m.test_on_batch(x[:500], y[:500], return_dict=True))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))

    _run_in_threads(work, 4, timeout=120)
    assert errors == []
    assert len(got) == 40 and all(g == alone for g in got)


@pytest.mark.parametrize("path", ["engine", "layers"])
def test_concurrent_fits_of_one_model_run_one_after_the_other(path, monkeypatch, set_threads):
    """Training calls on one model take turns (a per-model lock): two fits from two
    threads end where the same two fits end run in turn, while predictions from other
    threads keep running (on weights as they are at that moment)."""
    if OPENMP:
        set_threads(2)
    if path == "layers":
        monkeypatch.setattr(engine, "ENABLED", False)
    ref, x, y = _shared_model()
    kw = dict(batch_size=64, epochs=2, shuffle=False, verbose=0)
    ref.fit(x, y, **kw)
    ref.fit(x, y, **kw)
    m, _, _ = _shared_model()
    errors, shapes = [], []

    def work(i):
        try:
            if i < 2:
                m.fit(x, y, **kw)
            else:
                for _ in range(5):
                    shapes.append(m.predict(x, verbose=0).shape)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(repr(e))

    _run_in_threads(work, 4, timeout=300)
    assert errors == []
    assert shapes == [(3000, 10)] * 10
    assert m.optimizer.iterations == ref.optimizer.iterations
    for a, b in zip(m.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, b)
