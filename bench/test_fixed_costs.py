"""fixed_costs.py keeps working: every entry point timed in a child process, for this
checkout and for another tree given with --tree."""
import os

import pytest

import fixed_costs


def test_every_entry_point_is_timed_for_each_tree(capsys, tmp_path):
    out = tmp_path / "costs.json"
    assert fixed_costs.main(["--calls", "20", "--rounds", "1", "--nets", "digits",
                             "--frameworks", "fastnn", "--tree",
                             f"{fixed_costs.REPO}:same tree", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    rows = [ln for ln in text.splitlines() if ln.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == list(fixed_costs.ENTRY_POINTS)
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert float(cells[1]) > 0 and float(cells[2]) > 0 and cells[3].endswith("×")
    assert os.path.getsize(out) > 0


def test_a_child_reports_the_tree_it_imported():
    r = fixed_costs.run_child(fixed_costs.sys.executable, "fastnn", "binary", 5,
                              fixed_costs.REPO)
    assert "error" not in r, r
    assert set(r["us"]) == set(fixed_costs.ENTRY_POINTS) and min(r["us"].values()) > 0


def test_torch_peer_when_installed():
    pytest.importorskip("torch")
    r = fixed_costs.run_child(fixed_costs.sys.executable, "torch", "digits", 5,
                              fixed_costs.REPO)
    assert "error" not in r, r
    assert min(r["us"].values()) > 0


def test_bad_arguments_are_refused():
    with pytest.raises(SystemExit):
        fixed_costs.main(["--nets", "imagenet"])
    with pytest.raises(SystemExit):
        fixed_costs.main(["--frameworks", "jax"])
    with pytest.raises(SystemExit):
        fixed_costs.main(["--calls", "0"])
