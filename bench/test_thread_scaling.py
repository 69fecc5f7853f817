"""thread_scaling.py keeps working and reports a time per step for every count."""
import pytest

import thread_scaling


def test_thread_scaling_reports_every_count(capsys):
    times = thread_scaling.step_times([20, 8, 3], batch=16, rows=64, threads=[1, 2], repeats=2)
    assert set(times) == {1, 2} and all(len(v) == 2 and min(v) > 0 for v in times.values())
    assert thread_scaling.main(["--layers", "20,8,3", "--batch", "16", "--rows", "64",
                                "--repeats", "1"]) == 0
    assert "threads: median" in capsys.readouterr().out


def test_thread_scaling_rejects_bad_arguments():
    with pytest.raises(SystemExit, match="--threads"):
        thread_scaling.main(["--threads", "0"])
