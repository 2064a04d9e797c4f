"""The ledger's pure core: the life cycle (no skipping verification, reopening), overdue, statistics."""

from __future__ import annotations

import datetime as dt
import itertools

import pandas as pd
import pytest

from liuyu.access import AccessDenied, Principal
from liuyu.manage.ledger import (
    LedgerError,
    check_code,
    check_move,
    is_overdue,
    load_machine,
    next_code,
    overdue,
    stats,
)

ADMIN = Principal("a", "admin", "basin")
FULL = ["found", "assigned", "being_fixed", "fix_submitted", "verified", "closed"]


def test_the_whole_life_cycle_is_allowed_step_by_step() -> None:
    m = load_machine()
    assert m.initial == "found"
    for a, b in itertools.pairwise(FULL):
        assert check_move(m, a, b, ADMIN).target == b


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("being_fixed", "closed"),
        ("fix_submitted", "closed"),
        ("being_fixed", "verified"),
        ("found", "verified"),
        ("found", "closed"),
        ("assigned", "fix_submitted"),
        ("reopened", "closed"),
        ("reopened", "verified"),
        ("closed", "closed"),
    ],
)
def test_verification_cannot_be_skipped(current: str, target: str) -> None:
    with pytest.raises(LedgerError, match="cannot go to"):
        check_move(load_machine(), current, target, ADMIN)


@pytest.mark.parametrize(
    ("start", "back"),
    [
        ("closed", "assigned"),
        ("closed", "being_fixed"),
        ("verified", "assigned"),
        ("verified", "being_fixed"),
    ],
)
def test_a_closed_or_verified_problem_is_reopened_then_fixed_again(start: str, back: str) -> None:
    m = load_machine()
    check_move(m, start, "reopened", ADMIN)
    check_move(m, "reopened", back, ADMIN)
    with pytest.raises(LedgerError):
        check_move(m, start, back, ADMIN)  # reopening is a recorded step of its own


def test_a_failed_verification_goes_back_to_fixing() -> None:
    assert check_move(load_machine(), "fix_submitted", "being_fixed", ADMIN).name_en == "Reject the fix"


def test_unknown_state_and_viewer_are_refused() -> None:
    m = load_machine()
    with pytest.raises(LedgerError, match="unknown state"):
        check_move(m, "found", "done", ADMIN)
    with pytest.raises(AccessDenied):
        check_move(m, "found", "assigned", Principal("v", "viewer", "basin"))


def _problems() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": [f"WT2024-{i:04d}" for i in range(1, 7)],
            "state": ["being_fixed", "fix_submitted", "found", "closed", "reopened", "assigned"],
            "deadline": ["2024-06-01", "2024-06-01", "2024-06-30", "2024-05-01", "2024-06-20", None],
            "category": ["illegal_dumping", "illegal_dumping", "illegal_fishing", "illegal_dumping",
                         "pollution_source", "illegal_fishing"],
            "jurisdiction": ["beijing", "hebei", "hebei", None, "hebei", "beijing"],
            "found_at": ["2024-05-02T08:00:00Z", "2024-05-20T08:00:00Z", "2024-06-01T08:00:00Z",
                         "2024-04-01T08:00:00Z", "2024-04-15T08:00:00Z", "2024-06-03T08:00:00Z"],
        }
    )  # fmt: skip


def test_overdue_counts_only_states_whose_clock_runs() -> None:
    late = overdue(_problems(), dt.date(2024, 6, 30))
    # 0001 being fixed, 29 days late; 0005 reopened, 10 days; 0002 submitted its fix (clock stopped),
    # 0003 is due today (not late yet), 0004 closed, 0006 has no deadline
    assert list(late["code"]) == ["WT2024-0001", "WT2024-0005"]
    assert list(late["days_overdue"]) == [29, 10]
    assert list(is_overdue(_problems(), dt.date(2024, 7, 1))) == [True, False, True, False, True, False]


def test_stats_by_category_jurisdiction_and_month() -> None:
    day = dt.date(2024, 6, 30)
    by_cat = stats(_problems(), "category", day).set_index("category")
    assert by_cat.loc["illegal_dumping", ["total", "open", "overdue", "closed", "being_fixed"]].tolist() == [
        3,
        2,
        1,
        1,
        1,
    ]
    assert by_cat.loc["illegal_fishing", "total"] == 2
    by_jur = stats(_problems(), "jurisdiction", day).set_index("jurisdiction")
    assert by_jur["total"].to_dict() == {"basin": 1, "beijing": 2, "hebei": 3}
    by_month = stats(_problems(), "month", day).set_index("month")
    assert by_month["total"].to_dict() == {"2024-04": 2, "2024-05": 2, "2024-06": 2}
    with pytest.raises(LedgerError):
        stats(_problems(), "colour", day)


def test_codes_accept_code_chinese_or_english_name() -> None:
    assert check_code("categories", "乱堆") == "illegal_dumping"
    assert check_code("categories", "Illegal fishing") == "illegal_fishing"
    assert check_code("sources", "river_chief") == "river_chief"
    with pytest.raises(LedgerError, match="unknown"):
        check_code("sources", "newspaper")


def test_next_code_counts_per_year() -> None:
    codes = pd.Series(["WT2024-0003", "WT2024-0011", "WT2023-0040"])
    assert next_code(codes, 2024) == "WT2024-0012"
    assert next_code(codes, 2025) == "WT2025-0001"
    assert next_code(pd.Series([], dtype=object), 2024) == "WT2024-0001"
