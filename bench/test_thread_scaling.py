"""thread_scaling.py keeps working and reports a time per step for every count."""
import pytest

import thread_scaling


def test_thread_scaling_reports_every_count(capsys):
    import fastnn
    from fastnn import _kernels
    # Every kernel may use threads, so the engine searches on 2 threads.
    _kernels.set_par_min_work(1)
    try:
        times, teams, tried = thread_scaling.step_times([20, 8, 3], batch=16, rows=64,
                                                        threads=[1, 2], repeats=2,
                                                        policies=(True, False))
    finally:
        _kernels.set_par_min_work(0)
    assert set(times) == {(1, True), (1, False), (2, True), (2, False)}
    assert all(len(v) == 2 and min(v) > 0 for v in times.values())
    assert teams[2, False] == 2 and 1 <= teams[2, True] <= 2
    assert tried[1, True] == tried[1, False] == tried[2, False] == []   # no search
    if fastnn.build_info()["openmp"]:
        assert tried[2, True][0][0] == 2 and all(us > 0 for _, us in tried[2, True])
    assert thread_scaling.main(["--layers", "20,8,3", "--batch", "16", "--rows", "64",
                                "--repeats", "1", "--policy", "both"]) == 0
    out = capsys.readouterr().out
    assert "whole team" in out and "search, team" in out and "median" in out


def test_thread_scaling_rejects_bad_arguments():
    with pytest.raises(SystemExit, match="--threads"):
        thread_scaling.main(["--threads", "0"])
