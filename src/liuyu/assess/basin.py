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


# --- lakes and reservoirs: several points of one water body --------------------------------------
LakeAveraging = Literal["time_then_space", "pooled"]


def water_body_means(
    frame: pd.DataFrame,
    water_body: pd.Series,
    *,
    averaging: LakeAveraging = "time_then_space",
    censored: CensorRule = "half",
) -> pd.DataFrame:
    """One mean sample per water body from the samples of its points, ready for :func:`classify`.

    The 2011 method (shared/DOMAIN.md §1.4.6, [U] for the exact wording) averages each item
    over time per point, then over the points of the lake or reservoir: ``"time_then_space"``,
    the default, so that a point sampled more often does not weigh more. ``"pooled"`` takes
    one mean of all samples of all points instead (the two differ when the points have
    different numbers of samples). Censored values are substituted first; pH is averaged as
    H⁺ at both steps.

    ``frame`` has ``section_id``, ``property_code``, ``value`` (and ``censor``); ``water_body``
    maps section_id to its water body (sections not in it are left out). Returns
    ``sample_id`` (= water body), ``property_code``, ``value``, ``n`` (samples), ``n_points``.
    """
    body = water_body.reindex(frame["section_id"]).to_numpy()
    work = pd.DataFrame(
        {
            "water_body": body,
            "section_id": frame["section_id"].to_numpy(),
            "property_code": frame["property_code"].to_numpy(),
            "value": censored_values(frame, censored),
        }
    )[pd.notna(body)]
    keys = ["water_body", "property_code"]
    points = work.groupby(keys)["section_id"].nunique().rename("n_points")
    if averaging == "pooled":
        out = mean_measurements(work, keys)
    else:
        per_point = mean_measurements(work, ["water_body", "section_id", "property_code"])
        out = mean_measurements(per_point, keys)
        out["n"] = per_point.groupby(keys)["n"].sum().to_numpy()  # same sorted groups
    out = out.join(points, on=keys).rename(columns={"water_body": "sample_id"})
    return out[["sample_id", "property_code", "value", "n", "n_points"]]


def assess_water_bodies(
    frame: pd.DataFrame,
    water_body: pd.Series,
    *,
    averaging: LakeAveraging = "time_then_space",
    censored: CensorRule = "half",
    target: pd.Series | None = None,
    standard: Standard | None = None,
) -> Assessment:
    """Class of each lake or reservoir from its points (:func:`water_body_means`), as a lake sample.

    Lake/reservoir limits apply (TP, TN); a river-type reservoir is a river: give its sections
    the water type "river" and leave them out of ``water_body``. ``target`` is per water body.
    """
    means = water_body_means(frame, water_body, averaging=averaging, censored=censored)
    return classify(means, LAKE, target=target, censored=censored, standard=standard)
