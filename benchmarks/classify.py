"""Benchmark: GB 3838 classification of 10,000,000 samples × 21 routine items, against a numpy floor.

Liuyu's side is the engine behind ``liuyu.assess.classify``: ``classify_matrix`` (every item of
every sample, with DO's "not less than", the pH range, river vs lake/reservoir TP per sample and
missing values) then ``worst_class`` over the routine items. The floor, measured in the same run
on the same values, is plain numpy: one ``np.searchsorted`` per item against its limits, then the
maximum over items (no missing values, no directions, no water types). Target (issue 6): at least
half the floor's speed, i.e. a printed ratio ≥ 0.5. The values are kept in memory, column-major
(about 1.7 GB for 10M samples); the long-frame pivot of ``classify`` is not timed.

    python benchmarks/classify.py [--n 10000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from liuyu.assess.classify import RIVER, classify_matrix, worst_class
from liuyu.assess.standards import load_standard

TARGET = 0.5


def make_values(n: int, codes: list[str], seed: int = 6) -> tuple[np.ndarray, np.ndarray]:
    """Values spread around each item's limits (1 % missing), and a lake/reservoir mask (30 %)."""
    std = load_standard("gb3838_2002")
    rng = np.random.default_rng(seed)
    values = np.empty((n, len(codes)), order="F")
    for j, code in enumerate(codes):
        item = std.items[code]
        rows = item.limit_rows() or [[6.0, 9.0]]
        lo, hi = min(rows[0]), max(rows[0])
        col = rng.uniform(lo * 0.5, hi * 1.3, n)
        col[rng.random(n) < 0.01] = np.nan
        values[:, j] = col
    return values, rng.random(n) < 0.3


def floor_limits(codes: list[str]) -> list[np.ndarray]:
    std = load_standard("gb3838_2002")
    out = []
    for code in codes:
        item = std.items[code]
        if item.limits_by_water_type is not None:
            out.append(np.asarray(item.limits_by_water_type[RIVER]))
        else:
            out.append(np.asarray(item.limits if item.limits is not None else item.range))
    return out


def floor(values: np.ndarray, limits: list[np.ndarray]) -> np.ndarray:
    worst = np.zeros(values.shape[0], dtype=np.intp)
    for j, lim in enumerate(limits):
        np.maximum(worst, np.searchsorted(lim, values[:, j]), out=worst)
    return worst


def liuyu_side(values: np.ndarray, codes: list[str], lake: np.ndarray) -> np.ndarray:
    classes = classify_matrix(values, codes, lake)
    return worst_class(classes, range(len(codes)))


def best_of(repeat: int, fn: Callable[..., object], *args: object) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000_000, help="number of samples")
    ap.add_argument("--repeat", type=int, default=3, help="runs per side; the best is kept")
    args = ap.parse_args()
    codes = list(load_standard("gb3838_2002").evaluation["routine_items"])
    t0 = time.perf_counter()
    values, lake = make_values(args.n, codes)
    print(f"{args.n:,} samples × {len(codes)} items generated in {time.perf_counter() - t0:.1f} s")
    limits = floor_limits(codes)
    t_floor = best_of(args.repeat, floor, values, limits)
    t_liuyu = best_of(args.repeat, liuyu_side, values, codes, lake)
    rate_floor, rate_liuyu = args.n / t_floor, args.n / t_liuyu
    ratio = rate_liuyu / rate_floor
    print(f"numpy floor (searchsorted per item, max): {t_floor:8.3f} s  {rate_floor:14,.0f} samples/s")
    print(f"liuyu classify_matrix + worst_class:      {t_liuyu:8.3f} s  {rate_liuyu:14,.0f} samples/s")
    verdict = "met" if ratio >= TARGET else "NOT met"
    print(f"ratio liuyu/floor: {ratio:.2f} (target ≥ {TARGET}: {verdict})")


if __name__ == "__main__":
    main()
