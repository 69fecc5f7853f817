"""engine_coverage.py keeps working: every variant timed on both paths, the engine
taking each of them."""
import pytest

import engine_coverage


def test_every_variant_is_timed_on_both_paths_and_runs_on_the_engine(capsys):
    times, why = engine_coverage.step_times(epochs=1, repeats=1)
    assert set(times) == {(v, e) for v in engine_coverage.VARIANTS for e in (True, False)}
    assert all(len(t) == 1 and t[0] > 0 for t in times.values())
    assert why == {v: None for v in engine_coverage.VARIANTS}
    assert engine_coverage.main(["--epochs", "1", "--repeats", "1"]) == 0
    assert "bn_before_activation" in capsys.readouterr().out


def test_bad_arguments_are_refused():
    with pytest.raises(SystemExit):
        engine_coverage.main(["--repeats", "0"])
