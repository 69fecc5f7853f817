"""ops_overhead.py: runs, prints a row per case, and refuses bad arguments."""
import pytest

import ops_overhead


def test_ops_overhead_prints_every_case(capsys):
    import fastnn
    old = fastnn._kernels.num_threads_set() or None   # None: fastnn follows OpenMP
    try:
        assert ops_overhead.main(["--number", "5", "--repeat", "2", "--threads", "1"]) == 0
    finally:
        fastnn.set_num_threads(old)
    out = capsys.readouterr().out
    labels = [label for label, _, _ in ops_overhead.cases()]
    assert len(labels) == 14
    for label in labels:
        assert f"| {label} |" in out


def test_ops_overhead_cases_compute_what_numpy_computes():
    import numpy as np
    for label, ours, theirs in ops_overhead.cases():
        np.testing.assert_allclose(np.asarray(ours()), theirs(), rtol=1e-5, atol=1e-5,
                                   err_msg=label)


@pytest.mark.parametrize("argv", [["--number", "0"], ["--repeat", "x"],
                                  ["--limit-us", "0"], ["--threads", "0"]])
def test_ops_overhead_rejects_bad_arguments(argv):
    with pytest.raises(SystemExit) as e:
        ops_overhead.main(argv)
    assert e.value.code == 2
