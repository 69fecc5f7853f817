"""step_profile.py keeps working: every kernel of a W3 step is timed, and the fit's step."""
import step_profile


def test_step_profile_times_every_kernel_and_the_step(capsys):
    names = [name for name, us in step_profile.kernel_times(repeats=1)]
    for kernel in ("forward 0", "forward 2", "loss", "backward 0", "backward 2", "adam 0",
                   "relu backward 0", "numpy: x @ W0"):
        assert any(n.startswith(kernel) for n in names), kernel
    assert step_profile.main(["--repeats", "1", "--scale", "0.01"]) == 0
    out = capsys.readouterr().out
    assert "kernels, sum" in out and "fit step, policy on" in out and "policy off" in out
    assert "phase forward 0" in out and "phase update 2" in out


def test_step_profile_times_a_digit_network_step_by_phase(capsys):
    assert step_profile.main(["--workload", "W2", "--scale", "0.02"]) == 0
    out = capsys.readouterr().out
    assert "kernels, sum" not in out and "fit step, policy off" in out
    assert "phase forward 0" in out and "phase update 2" in out and "phase loss" in out


def test_step_profile_times_a_mixed_bfloat16_step_and_restores_the_policy(capsys):
    from fastnn import mixed_precision
    before = mixed_precision.global_policy().name
    assert step_profile.main(["--policy", "mixed_bfloat16", "--scale", "0.01"]) == 0
    out = capsys.readouterr().out
    assert "dtype policy mixed_bfloat16" in out and "kernels, sum" not in out
    assert "phase forward 0" in out and "phase update 2" in out
    assert mixed_precision.global_policy().name == before
