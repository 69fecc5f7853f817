"""thread_scaling.py keeps working and reports a time per step for every count."""
import pytest

import thread_scaling


def test_thread_scaling_reports_every_count(capsys):
    times, teams = thread_scaling.step_times([20, 8, 3], batch=16, rows=64, threads=[1, 2],
                                             repeats=2, policies=(True, False))
    assert set(times) == {(1, True), (1, False), (2, True), (2, False)}
    assert all(len(v) == 2 and min(v) > 0 for v in times.values())
    assert teams[2, False] == 2 and 1 <= teams[2, True] <= 2
    assert thread_scaling.main(["--layers", "20,8,3", "--batch", "16", "--rows", "64",
                                "--repeats", "1", "--policy", "both"]) == 0
    out = capsys.readouterr().out
    assert "whole team" in out and "search, team" in out and "median" in out


def test_thread_scaling_rejects_bad_arguments():
    with pytest.raises(SystemExit, match="--threads"):
        thread_scaling.main(["--threads", "0"])
