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


@pytest.mark.parametrize("bad", [0, -2, 1.5, "2", None, True])
def test_set_num_threads_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="set_num_threads"):
        fastnn.set_num_threads(bad)


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

