"""peak.py and the FMA-peak kernel behind it: a positive figure where the ISA exists,
clear errors for bad arguments."""
import pytest

import fastnn
from fastnn import _kernels

import peak

X86 = fastnn.build_info()["simd_best"] != "generic"


@pytest.mark.skipif(not X86, reason="needs AVX2+FMA")
def test_fma_peak_is_a_positive_figure_and_peak_py_prints_it(capsys):
    assert _kernels.fma_peak(1, "avx2", 0.01) > 0
    assert set(peak.peaks([1, 2], "avx2", 0.01, tries=1)) == {1, 2}
    assert peak.main(["--threads", "1", "--seconds", "0.01"]) == 0
    assert "threads:" in capsys.readouterr().out


@pytest.mark.parametrize("kwargs, name", [({"threads": -1}, "threads"),
                                          ({"isa": "sse"}, "isa"),
                                          ({"seconds": 0.0}, "seconds"),
                                          ({"seconds": 11.0}, "seconds")])
def test_fma_peak_rejects_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=name):
        _kernels.fma_peak(**kwargs)


def test_peak_py_rejects_bad_arguments():
    with pytest.raises(SystemExit, match="--seconds"):
        peak.main(["--seconds", "0"])
    with pytest.raises(SystemExit, match="--threads"):
        peak.main(["--threads", "0"])
