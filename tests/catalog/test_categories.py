"""The shipped categories and code lists: complete, self-consistent and unambiguous to ingest."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from importlib import resources

import pytest

from liuyu.catalog import get_category, load_categories, load_codelists
from liuyu.errors import CategoryError

EXPECTED = {
    "basin", "counties", "townships", "villages", "rivers", "reservoirs",
    "river_management_ranges", "reservoir_protection_ranges", "small_watersheds", "contours",
    "protection_zones", "steep_slopes", "land_use", "spatial_planning",
    "forest_subcompartments", "soil_erosion", "dem", "stations", "sewage_facilities",
    "village_meshes",
    "analysis_zonal", "cross_hotspots", "network_gaps",  # derived by `liuyu analyze` (issue 7)
}  # fmt: skip
RASTERS = {"soil_erosion", "dem"}
COVERAGES = {"basin", "counties", "townships", "small_watersheds"}
GROUPS = {"boundaries", "water", "terrain", "land", "protection", "network", "settlements", "analysis"}
# A field's name suffix promises its unit; the data files must keep that promise.
SUFFIX_UNITS = {
    "_km2": "km2", "_m2": "m2", "_km": "km", "_m": "m", "_ha": "ha", "_m3": "m3",
    "_m3d": "m3/d", "_1e8m3": "1e8 m3", "_deg": "deg", "_cm": "cm",
}  # fmt: skip

CATEGORIES = load_categories()
CODELISTS = load_codelists()


def _normalise(name: str) -> str:
    """How ingest compares column names: NFKC (full-width to half-width), casefold, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name).casefold())


def _toml_files(folder: str) -> dict[str, dict]:
    root = resources.files("liuyu.catalog").joinpath(folder)
    return {
        item.name: tomllib.loads(item.read_text(encoding="utf-8"))
        for item in root.iterdir()
        if item.name.endswith(".toml")
    }


def test_exactly_the_twenty_categories_load():
    assert set(CATEGORIES) == EXPECTED


@pytest.mark.parametrize("folder", ["categories", "codelists"])
def test_file_name_is_the_code(folder):
    files = _toml_files(folder)
    assert files
    for name, data in files.items():
        assert name == f"{data['code']}.toml"


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_category_basics(code):
    cat = get_category(code)
    assert cat.code == code
    assert cat.group in GROUPS
    assert cat.name_zh and cat.name_en
    assert cat.description_zh and cat.description_en
    assert cat.coverage == (code in COVERAGES)


def test_rasters_have_no_fields_and_say_their_unit():
    assert {c for c, cat in CATEGORIES.items() if cat.is_raster} == RASTERS
    for code in RASTERS:
        cat = CATEGORIES[code]
        assert cat.fields == ()
        assert cat.key is None
    assert "t/(km²·a)" in CATEGORIES["soil_erosion"].description_en
    assert " m " in CATEGORIES["dem"].description_en


@pytest.mark.parametrize("code", sorted(EXPECTED - RASTERS))
def test_key_field_exists_and_is_required(code):
    cat = CATEGORIES[code]
    assert cat.key is not None
    key = cat.field(cat.key)
    assert key.required
    assert key.type == "string"


@pytest.mark.parametrize("code", sorted(EXPECTED - RASTERS))
def test_names_and_aliases_are_unambiguous(code):
    seen: dict[str, str] = {}
    for f in CATEGORIES[code].fields:
        own = _normalise(f.name)
        normalised = [_normalise(a) for a in f.aliases]
        assert own not in normalised, f"{code}.{f.name} lists its own name as an alias"
        assert len(set(normalised)) == len(normalised), f"{code}.{f.name} repeats an alias"
        for n in [own, *normalised]:
            assert n not in seen, f"{code}: {n!r} names both {seen[n]} and {f.name}"
            seen[n] = f.name


def test_no_category_has_a_jurisdiction_field():
    for cat in CATEGORIES.values():
        assert "jurisdiction" not in cat.field_names


@pytest.mark.parametrize("code", sorted(EXPECTED - RASTERS))
def test_units_match_name_suffixes(code):
    for f in CATEGORIES[code].fields:
        for suffix, unit in SUFFIX_UNITS.items():
            if f.name.endswith(suffix):
                assert f.unit == unit, f"{code}.{f.name} has unit {f.unit!r}, expected {unit!r}"
                assert f.type == "float"
                break


def test_referenced_codelists_exist_and_none_is_orphaned():
    referenced = {f.codelist for cat in CATEGORIES.values() for f in cat.fields if f.codelist is not None}
    assert referenced == set(CODELISTS)
    for code in referenced:
        cl = CODELISTS[code]
        assert cl.values, f"code list {code} is empty"
        assert cl.source.strip()
        for key, (zh, en) in cl.values.items():
            assert key.strip() and zh.strip() and en.strip(), f"{code}: incomplete entry {key!r}"


def test_codelist_fields_are_strings():
    for cat in CATEGORIES.values():
        for f in cat.fields:
            if f.codelist is not None:
                assert f.type == "string", f"{cat.code}.{f.name}"


def test_land_survey_uses_the_third_survey_classes():
    values = CODELISTS["land_survey"].values
    assert values["0101"][0] == "水田"
    assert values["0103"][0] == "旱地"
    assert values["00"][0] == "湿地"
    assert values["05H1"][0] == "商业服务业设施用地"
    assert values["08H1"][0] == "机关团体新闻出版用地"
    assert values["08H2"][0] == "科教文卫用地"
    assert values["1006"][0] == "农村道路"
    assert values["1001"][0] == "铁路用地"
    # GB/T 21010-2017 second-level codes that the third survey merged away
    for merged in ("0501", "0502", "0801", "0802", "0803"):
        assert merged not in values
    first_level = [k for k in values if len(k) == 2]
    assert len(first_level) == 13


def test_code_lists_named_in_the_brief():
    assert list(CODELISTS["water_class"].values) == ["I", "II", "III", "IV", "V", "worse_than_V"]
    assert CODELISTS["water_class"].values["worse_than_V"][0] == "劣Ⅴ"
    assert set(CODELISTS["protection_zone_grade"].values) == {"1", "2", "quasi"}
    lines = {
        "ecological_protection_redline",
        "permanent_basic_farmland",
        "urban_development_boundary",
    }
    assert lines <= set(CODELISTS["spatial_planning_zone"].values)
    assert set(CODELISTS["station_kind"].values) == {
        "rain", "flow", "level", "water_quality", "auto_water_quality", "ecology",
        "soil_conservation", "sewage_outfall", "rural_sewage",
    }  # fmt: skip
    assert set(CODELISTS["station_role"].values) == {
        "provincial_boundary", "county_boundary", "reservoir_inflow", "reservoir_outflow",
        "reservoir", "control", "background", "other",
    }  # fmt: skip
    assert set(CODELISTS["water_type"].values) == {"river", "lake_reservoir"}
    contour_zh = {zh for zh, _ in CODELISTS["contour_type"].values.values()}
    assert {"计曲线", "首曲线", "间曲线", "助曲线"} <= contour_zh


def test_delivery_aliases_reach_the_right_field():
    def by_alias(code: str, alias: str) -> str:
        cat = CATEGORIES[code]
        hits = [f.name for f in cat.fields if _normalise(alias) in map(_normalise, f.aliases)]
        assert len(hits) == 1, f"{code}: {alias!r} matches {hits}"
        return hits[0]

    assert by_alias("land_use", "dlbm") == "class_code"
    assert by_alias("land_use", "ＴＢＭＪ") == "area_m2"  # full-width letters
    assert by_alias("stations", "STCD") == "code"
    assert by_alias("stations", "lgtd") == "longitude"
    assert by_alias("stations", "LTTD") == "latitude"
    assert by_alias("forest_subcompartments", "YBD") == "canopy_closure"
    assert by_alias("counties", "XZQDM") == "code"
    assert by_alias("protection_zones", "保护区 级别") == "grade"


def test_required_fields_of_the_brief():
    assert CATEGORIES["contours"].field("elevation_m").required
    assert CATEGORIES["contours"].field("elevation_m").unit == "m"
    assert CATEGORIES["rivers"].field("order").type == "integer"
    assert CATEGORIES["rivers"].field("target_class").codelist == "water_class"
    assert CATEGORIES["stations"].field("established").type == "date"
    assert CATEGORIES["sewage_facilities"].field("standard").codelist == "discharge_standard"
    assert CATEGORIES["land_use"].key == "parcel_id"


def test_unknown_category_lists_the_known_ones():
    with pytest.raises(CategoryError) as excinfo:
        get_category("nope")
    message = str(excinfo.value)
    assert "nope" in message
    for code in EXPECTED:
        assert code in message
    assert isinstance(excinfo.value, KeyError)
