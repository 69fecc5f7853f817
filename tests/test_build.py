"""The extension is built as DESIGN.md says: OpenMP state, SIMD dispatch, threads."""
import os
import subprocess
import sys

import pytest

import fastnn
from fastnn import _kernels


def test_build_info_reports_openmp_threads_and_simd():
    info = fastnn.build_info()
    assert isinstance(info["openmp"], bool)
    assert info["num_threads"] >= 1
    assert info["simd"] in ("generic", "avx2+fma")
    if not info["openmp"]:
        assert info["num_threads"] == 1


def test_set_num_threads_round_trip():
    old = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(1)
        assert fastnn.get_num_threads() == 1
        if fastnn.build_info()["openmp"]:
            fastnn.set_num_threads(3)
            assert fastnn.get_num_threads() == 3
    finally:
        fastnn.set_num_threads(old)


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", True, 100_000, 10**12])
def test_set_num_threads_rejects_bad_values(bad):
    old = fastnn.get_num_threads()
    with pytest.raises(ValueError, match=rf"set_num_threads: n must be an int in \[1, "
                                         rf"{fastnn.MAX_THREADS}\] .*or None, got {bad!r}"):
        fastnn.set_num_threads(bad)
    assert fastnn.get_num_threads() == old


def test_set_num_threads_accepts_the_limit():
    old = fastnn.get_num_threads()
    try:
        fastnn.set_num_threads(fastnn.MAX_THREADS)
        assert fastnn.get_num_threads() == (fastnn.MAX_THREADS if fastnn.build_info()["openmp"]
                                            else 1)
    finally:
        fastnn.set_num_threads(old)


def test_omp_num_threads_past_the_limit_is_capped_with_a_warning():
    """OMP_NUM_THREADS=100000 used to end the process at the first parallel kernel
    (libgomp: "Thread creation failed", or a segfault)."""
    if not fastnn.build_info()["openmp"]:
        pytest.skip("built without OpenMP")
    # FASTNN_PAR_MIN_WORK: the product below runs on the whole team whatever 64 threads
    # on this machine cost.
    env = dict(os.environ, OMP_NUM_THREADS="100000", FASTNN_PAR_MIN_WORK="1000")
    code = ("import warnings, numpy as np\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    import fastnn\n"
            "print(fastnn.get_num_threads(), fastnn.MAX_THREADS)\n"
            "print([str(x.message) for x in w])\n"
            "from fastnn import _kernels\n"
            "a = np.ones((256, 256), np.float32)\n"
            "assert _kernels.threads_for(256.0 ** 3) == fastnn.MAX_THREADS\n"
            "print(float((a @ a).sum()), float(fastnn.ops.matmul(a, a).sum()))\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    n, limit = map(int, lines[0].split())
    assert n == limit == fastnn.MAX_THREADS
    assert "OMP_NUM_THREADS='100000'" in lines[1] and f"using {limit}" in lines[1]
    ref, got = map(float, lines[2].split())
    assert got == ref == 256.0 ** 3


def test_omp_num_threads_env_is_honoured():
    if not fastnn.build_info()["openmp"]:
        pytest.skip("built without OpenMP")
    env = dict(os.environ, OMP_NUM_THREADS="3")
    out = subprocess.run([sys.executable, "-c", "import fastnn; print(fastnn.get_num_threads())"],
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "3"


def test_generic_simd_path_can_be_forced():
    best = _kernels.simd_best()
    try:
        assert _kernels.set_simd_path("generic")
        assert fastnn.build_info()["simd"] == "generic"
    finally:
        _kernels.set_simd_path(best)
    assert fastnn.build_info()["simd"] == best

