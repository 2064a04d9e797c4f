"""TLI(Σ): the DOMAIN.md §2 test vectors, renormalised weights and the grade boundaries."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from liuyu.assess import tli, tli_grade, tli_sum
from liuyu.assess.tli import tli_parameter


def test_hulun_lake_2011_and_2012_with_four_parameters() -> None:
    parts = {
        "chla": np.array([37.749, 48.321]),
        "tp": np.array([69.802, 60.681]),
        "tn": np.array([68.909, 66.362]),
        "sd": np.array([81.743, 77.199]),
    }
    got = tli_sum(parts)
    assert round(float(got[0]), 3) == 61.837
    assert round(float(got[1]), 3) == 61.607
    assert tli_grade(got).tolist() == ["中度富营养", "中度富营养"]


def test_own_check_with_five_parameters() -> None:
    out = tli({"chla": [10.0], "tp": [0.05], "tn": [1.0], "sd": [1.0], "codmn": [4.0]}).iloc[0]
    parts = [out["tli_chla"], out["tli_tp"], out["tli_tn"], out["tli_sd"], out["tli_codmn"]]
    assert [round(v, 2) for v in parts] == [50.01, 45.71, 54.53, 51.18, 37.98]
    assert round(out["tli"], 2) == 48.02
    assert out["grade"] == "中营养" and out["n_parameters"] == 5


def test_weights_renormalise_over_the_parameters_present() -> None:
    frame = pd.DataFrame(
        {"chla": [10.0, 10.0], "tp": [0.05, 0.05], "tn": [1.0, 1.0], "sd": [1.0, 1.0], "codmn": [4.0, np.nan]}
    )
    out = tli(frame)
    four = (1.0 * 50.006074 + 0.7056 * 45.709308 + 0.6724 * 54.53 + 0.6889 * 51.18) / 3.0669
    assert out["tli"].iloc[1] == pytest.approx(four, abs=1e-4)
    assert out["n_parameters"].tolist() == [5, 4]
    only_chla = tli({"chla": [10.0], "tp": [np.nan]})
    assert only_chla["tli"].iloc[0] == pytest.approx(50.006074, abs=1e-6)


def test_nothing_measured_gives_no_tli() -> None:
    out = tli({"chla": [np.nan], "tp": [np.nan]})
    assert math.isnan(out["tli"].iloc[0]) and out["grade"].iloc[0] == ""
    assert math.isnan(float(tli_parameter("sd", 0.0)))


def test_grade_boundaries() -> None:
    values = [29.999, 30.0, 50.0, 50.001, 60.0, 60.001, 70.0, 70.001]
    assert tli_grade(values).tolist() == [
        "贫营养",
        "中营养",
        "中营养",
        "轻度富营养",
        "轻度富营养",
        "中度富营养",
        "中度富营养",
        "重度富营养",
    ]
