"""model_kinds.py keeps working, and the model kinds that are chains of Dense layers
(nested, with residual connections, concatenations, parallel branches, several inputs or
several outputs included) lower onto the engine while the others say why not."""
import numpy as np
import pytest

import model_kinds


@pytest.mark.parametrize("kind", model_kinds.KINDS)
def test_each_kind_lowers_or_says_why(kind):
    widths = [12, 8, 6, 3]
    x, y = model_kinds._data(64, widths[0], widths[-1])
    m = model_kinds.build(kind, widths)
    m.fit(model_kinds.inputs(kind, x), model_kinds.targets(kind, y), batch_size=16, epochs=1,
          verbose=0)
    ok, why = model_kinds.lowered(m)
    if kind == "unit_norm":
        assert not ok and why
    else:
        assert ok, why


def test_chains_train_alike_whatever_the_model_kind():
    # the same layers from the same seed: the chain kinds give the Sequential's weights
    widths = [12, 8, 6, 3]
    x, y = model_kinds._data(64, widths[0], widths[-1])
    out = {}
    for kind in ("sequential", "functional", "subclassed", "custom_layer"):
        m = model_kinds.build(kind, widths)
        m.fit(x, y, batch_size=16, epochs=2, verbose=0)
        out[kind] = m.predict(x, verbose=0)
    for kind in ("functional", "subclassed", "custom_layer"):
        np.testing.assert_array_equal(out[kind], out["sequential"])


def test_the_table_and_the_profiles(capsys):
    assert model_kinds.main(["--rows", "256", "--runs", "1", "--widths", "20,16,8,3",
                             "--profile", "3"]) == 0
    text = capsys.readouterr().out
    rows = {ln.split("|")[1].strip().split(" ")[0]: [c.strip() for c in ln.split("|")[1:-1]]
            for ln in text.splitlines() if ln.startswith("| ") and "---" not in ln
            and not ln.startswith("| model")}
    assert set(rows) == set(model_kinds.KINDS)
    assert rows["sequential"][2] == "1.00×" and rows["sequential"][3] == "yes"
    assert rows["functional"][3] == rows["subclassed"][3] == "yes"
    assert rows["residual"][3] == rows["custom_layer"][3] == rows["wide_and_deep"][3] == "yes"
    assert rows["branched"][3] == rows["two_inputs"][3] == rows["residual_block"][3] == "yes"
    assert rows["normalized_inputs"][3] == rows["normalized_wide_and_deep"][3] == "yes"
    assert rows["rescaling_first"][3] == rows["input_dropout"][3] == rows["max_norm"][3] == "yes"
    assert rows["two_outputs"][3] == "yes"
    assert rows["input_layer_norm"][3] == "yes" and rows["unit_norm"][3] == "no"
    assert rows["sequential"][6] == "1.00×"      # predict, against the Sequential's
    assert all(float(r[5]) > 0 for r in rows.values())
    assert "unit_norm: one epoch under cProfile" in text


def test_bad_arguments_are_refused():
    with pytest.raises(SystemExit):
        model_kinds.main(["--widths", "10,3"])
    with pytest.raises(SystemExit):
        model_kinds.main(["--kinds", "transformer"])


def test_a_kind_alone_brings_its_references(capsys):
    assert model_kinds.main(["--rows", "64", "--runs", "1", "--widths", "12,8,6,3",
                             "--profile", "0", "--kinds", "branched"]) == 0
    text = capsys.readouterr().out
    assert "| branched (vs sequential_extra) |" in text and "| sequential |" in text


def test_the_layer_path_columns(capsys):
    assert model_kinds.main(["--rows", "64", "--runs", "1", "--widths", "12,8,6,3",
                             "--profile", "0", "--kinds", "two_inputs,max_norm",
                             "--layer-path"]) == 0
    text = capsys.readouterr().out
    rows = [ln for ln in text.split("engine off")[1].splitlines() if ln.startswith("| ")
            and "---" not in ln and not ln.startswith("| model")]
    assert {r.split("|")[1].strip() for r in rows} == {"two_inputs", "max_norm", "sequential"}
    assert all(float(r.split("|")[4].strip().rstrip("×")) > 0 for r in rows)
