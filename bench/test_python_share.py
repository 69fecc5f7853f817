"""python_share.py keeps working and measures the engine it claims to."""
import python_share


def test_python_share_measures_the_fused_calls(capsys):
    total, in_c, calls = python_share.measure("W2", runs=1, scale=0.05)
    assert calls >= 1 and 0 < in_c < total
    assert python_share.main(["--workloads", "W1", "--runs", "1", "--scale", "0.05"]) == 0
    assert "W1: fit" in capsys.readouterr().out
