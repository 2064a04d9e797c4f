"""Water-quality assessment: standards as data, GB 3838 classification, basin grades and TLI."""

from liuyu.assess.basin import BasinSettings, assess_basin, grade_proportions
from liuyu.assess.classify import Assessment, aggregate_period, classify, round_half_even
from liuyu.assess.standards import Standard, available_standards, limit_for, load_standard
from liuyu.assess.tli import tli, tli_grade, tli_sum

__all__ = [
    "Assessment",
    "BasinSettings",
    "Standard",
    "aggregate_period",
    "assess_basin",
    "available_standards",
    "classify",
    "grade_proportions",
    "limit_for",
    "load_standard",
    "round_half_even",
    "tli",
    "tli_grade",
    "tli_sum",
]
