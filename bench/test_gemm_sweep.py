"""gemm_sweep.py: the shapes it covers, a measurement on small shapes, the table, and
errors for bad arguments."""
import numpy as np
import pytest

import gemm_sweep


def test_sweep_covers_the_squares_and_one_training_step():
    shapes = gemm_sweep.sweep_shapes(4096)
    squares = [s for s in shapes if s[0].endswith("^3")]
    assert [s[1] for s in squares] == list(gemm_sweep.SQUARE)
    assert {64, 1000, 1024, 1040, 2048, 4096} <= {s[1] for s in squares}
    step = gemm_sweep.mlp_shapes()
    # forward, dW for each of the 3 layers, dX for the last 2
    assert len(step) == 8 and shapes[len(squares):] == step
    assert ("forward 128x784 . 784x512", 128, 784, 512, False, False) in step
    assert ("dW 784x128 . 128x512 (x^T dz)", 784, 128, 512, True, False) in step
    assert ("dX 128x10 . 10x256 (dz W^T)", 128, 10, 256, False, True) in step
    assert all(s[1] <= 512 for s in gemm_sweep.sweep_shapes(512) if s[0].endswith("^3"))


@pytest.mark.parametrize("ta, tb", [(False, False), (True, False), (False, True)])
def test_measure_times_both_and_agrees_with_numpy(ta, tb):
    r = gemm_sweep.measure(16, 24, 8, ta, tb, np.float32, seconds=0.001, rounds=2, pause=0)
    assert r["fastnn"] > 0 and r["numpy"] > 0
    assert 0 < r["fastnn_min"] <= r["fastnn"] and 0 < r["numpy_min"] <= r["numpy"]
    assert r["max_rel_diff"] < 1e-5


def test_main_prints_a_table_row_per_shape(capsys):
    assert gemm_sweep.main(["--only", "64,forward 128x256 . 256x10", "--seconds", "0.001",
                            "--rounds", "1", "--pause", "0"]) == 0
    out = capsys.readouterr().out
    assert "| 64^3 | 64x64x64 |" in out and "| forward 128x256 . 256x10 |" in out
    assert out.count("\n| ") == 3            # header and two rows


@pytest.mark.parametrize("argv", [["--max-size", "0"], ["--seconds", "-1"],
                                  ["--pause", "-1"], ["--only", "nothing"],
                                  ["--dtype", "int8"]])
def test_main_rejects_bad_arguments(argv):
    with pytest.raises(SystemExit) as e:
        gemm_sweep.main(argv)
    assert e.value.code == 2
