"""River and basin (water system) assessment: mean-then-classify below 5 sections, proportions above."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from liuyu.assess.classify import (
    CLASS_GRADES,
    CLASS_LABELS,
    LAKE,
    RIVER,
    WORSE_THAN_V,
    Assessment,
    CensorRule,
    censored_values,
    classify,
    mean_measurements,
)
from liuyu.assess.standards import Standard

UNGRADED = "未分级"


@dataclass(frozen=True)
class BasinSettings:
    """The boundary cases of the 2011 method that DOMAIN.md §1.4.4 flags as uncertain.

    Attributes
    ----------
    min_sections : int
        Section count from which the proportion method applies (5).
    inclusive : bool
        True: ``n >= min_sections`` ("5个（含5个）以上", unverified recollection of the original,
        the default); False: ``n > min_sections`` (the Shenzhen MEEB page, "大于5个").
    heavy_rule : {"lt75", "lt60"}
        Last row of the grade table: "Ⅰ–Ⅲ < 75 % and 劣Ⅴ ≥ 40 %" (Shenzhen page, default) or
        "Ⅰ–Ⅲ < 60 % and 劣Ⅴ ≥ 40 %" (unverified recollection of the official table).
    gap : {"unclassified", "moderate", "heavy"}
        With ``heavy_rule="lt60"`` exactly one case fits no row: Ⅰ–Ⅲ = 60 % and 劣Ⅴ = 40 %
        (Ⅰ–Ⅲ ≥ 60 % and 劣Ⅴ ≥ 40 % forces both). It is reported as 未分级 by default, or
        as 中度污染 / 重度污染. With "lt75" there is no gap (劣Ⅴ ≥ 40 % implies Ⅰ–Ⅲ ≤ 60 %).
    """

    min_sections: int = 5
    inclusive: bool = True
    heavy_rule: Literal["lt75", "lt60"] = "lt75"
    gap: Literal["unclassified", "moderate", "heavy"] = "unclassified"

    def uses_proportions(self, n_sections: int) -> bool:
        """Whether ``n_sections`` sections are graded by the proportion method."""
        if self.inclusive:
            return n_sections >= self.min_sections
        return n_sections > self.min_sections


def grade_proportions(
    n_good: np.ndarray | int,
    n_worse_v: np.ndarray | int,
    n_total: np.ndarray | int,
    settings: BasinSettings | None = None,
) -> np.ndarray:
    """Grade of the section-class proportions, vectorized over many rivers or basins.

    ``n_good`` counts Ⅰ–Ⅲ sections, ``n_worse_v`` 劣Ⅴ sections, ``n_total`` all classified
    sections. Counts are compared as integers (``100·n_good ≥ 90·n_total``), so an exact 90 %
    never falls on the wrong side through floating point.

    Examples
    --------
    >>> grade_proportions([9, 8, 5], [0, 0, 4], [10, 10, 10]).tolist()
    ['优', '良好', '重度污染']
    """
    s = settings or BasinSettings()
    good, bad, n = (np.asarray(a, dtype=np.int64) * 100 for a in (n_good, n_worse_v, n_total))
    n = n // 100
    heavy_cap = 75 if s.heavy_rule == "lt75" else 60
    conditions = [
        good >= 90 * n,
        good >= 75 * n,
        bad < 20 * n,
        bad < 40 * n,
        good < heavy_cap * n,
    ]
    choices = ["优", "良好", "轻度污染", "中度污染", "重度污染"]
    gap = {"unclassified": UNGRADED, "moderate": "中度污染", "heavy": "重度污染"}[s.gap]
    graded = np.select(conditions, choices, default=gap).astype(object)
    return np.where(n > 0, graded, UNGRADED)


@dataclass(frozen=True)
class BasinAssessment:
    """Result of :func:`assess_basin`.

    ``method`` is "mean" (class and grade of the averaged indicators) or "proportion" (grade of
    the class shares; no averaged class, ``klass`` is None). ``counts`` has the number of
    sections per class label Ⅰ..劣Ⅴ; ``sections`` is every section's own classification.
    """

    method: Literal["mean", "proportion"]
    n_sections: int
    klass: int | None
    label: str
    grade: str
    counts: pd.Series
    sections: Assessment
    mean: Assessment | None


def _mean_sample(frame: pd.DataFrame, censored: CensorRule) -> pd.DataFrame:
    work = pd.DataFrame({"property_code": frame["property_code"], "value": censored_values(frame, censored)})
    mean = mean_measurements(work, ["property_code"])
    mean.insert(0, "sample_id", "mean")
    return mean


def assess_basin(
    frame: pd.DataFrame,
    water_type: pd.Series | str = RIVER,
    *,
    settings: BasinSettings | None = None,
    censored: CensorRule = "half",
    standard: Standard | None = None,
) -> BasinAssessment:
    """Assess a river or basin from one (period-aggregated) sample per section.

    ``frame`` is the long measurement frame of :func:`classify` with ``sample_id`` = section.
    Sections without any classified routine item do not count. Below the proportion threshold
    each indicator is averaged over the sections (pH via H⁺) and the mean is classified as a
    river sample (as a lake/reservoir one only if every section is one); each section's class
    is reported as well.
    """
    s = settings or BasinSettings()
    sections = classify(frame, water_type, censored=censored, standard=standard)
    cls = sections.samples["class"].dropna().astype(int).to_numpy()
    counts = pd.Series(np.bincount(cls, minlength=WORSE_THAN_V + 1)[1:], index=list(CLASS_LABELS[1:]))
    n = int(cls.size)
    if s.uses_proportions(n):
        shares = grade_proportions(int((cls <= 3).sum()), int((cls == WORSE_THAN_V).sum()), n, s)
        return BasinAssessment("proportion", n, None, "", str(shares[()]), counts, sections, None)
    if n == 0:
        return BasinAssessment("mean", 0, None, "", UNGRADED, counts, sections, None)
    kept = sections.samples.index[sections.samples["class"].notna()]
    wt = sections.samples.loc[kept, "water_type"]
    mean_type = LAKE if len(wt) and (wt == LAKE).all() else RIVER
    mean = classify(
        _mean_sample(frame[frame["sample_id"].isin(kept)], censored),
        mean_type,
        censored=censored,
        standard=standard,
    )
    k = mean.samples["class"].iloc[0]
    klass = None if pd.isna(k) else int(k)
    label, grade = (CLASS_LABELS[klass], CLASS_GRADES[klass]) if klass else ("", UNGRADED)
    return BasinAssessment("mean", n, klass, label, grade, counts, sections, mean)
