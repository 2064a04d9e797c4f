"""Standards as data: the bundled files load, name their sources and hold DOMAIN.md's values."""

from __future__ import annotations

import math

import pytest

from liuyu.assess import available_standards, limit_for, load_standard
from liuyu.assess.standards import Standard
from liuyu.errors import ConfigError


def test_bundled_standards_load_and_name_their_sources() -> None:
    assert available_standards() == ["db11_1612_2019", "gb18918_2002", "gb3838_2002"]
    codes = {
        "gb3838_2002": "GB 3838-2002",
        "gb18918_2002": "GB 18918-2002",
        "db11_1612_2019": "DB11/1612-2019",
    }
    for name, code in codes.items():
        std = load_standard(name)
        assert std.code == code and std.title.strip() and std.confidence.strip()
    assert "GB 3838-2002" in load_standard("gb3838_2002").source
    assert "GB 18918-2002" in load_standard("gb18918_2002").source
    assert "DB11/1612-2019" in load_standard("db11_1612_2019").source


def test_gb3838_table_1() -> None:
    std = load_standard("gb3838_2002")
    table1 = [c for c, i in std.items.items() if i.table == 1]
    assert len(table1) == 24 and std.classes == ["Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ"]
    assert std.items["do"].direction == "ge" and std.items["do"].limits == [7.5, 6, 5, 3, 2]
    assert std.items["ph"].direction == "range" and std.items["ph"].range == (6.0, 9.0)
    assert std.items["water_temp"].direction == "none"
    tp = std.items["tp"].limits_by_water_type
    assert tp == {"river": [0.02, 0.1, 0.2, 0.3, 0.4], "lake_reservoir": [0.01, 0.025, 0.05, 0.1, 0.2]}
    assert std.items["tn"].water_types == ["lake_reservoir"]
    assert std.items["hg"].limits == [0.00005, 0.00005, 0.0001, 0.001, 0.001]
    assert std.items["fecal_coliform"].unit == "个/L"
    assert std.items["fecal_coliform"].limits == [200, 2000, 10000, 20000, 40000]


def test_gb3838_table_2_and_evaluation_rules() -> None:
    std = load_standard("gb3838_2002")
    table2 = {c: i.single_limit for c, i in std.items.items() if i.table == 2}
    assert table2 == {"sulfate": 250, "chloride": 250, "nitrate": 10, "fe": 0.3, "mn": 0.1}
    routine = std.evaluation["routine_items"]
    assert len(routine) == 21 and not {"water_temp", "tn", "fecal_coliform"} & set(routine)
    assert set(routine) | {"water_temp", "tn", "fecal_coliform"} == {
        c for c, i in std.items.items() if i.table == 1
    }
    assert std.evaluation["no_exceedance_multiple"] == ["water_temp", "ph", "do"]
    assert std.evaluation["priority_main_pollutants"][0] == "cyanide"


def test_gb18918_variants() -> None:
    std = load_standard("gb18918_2002")
    assert std.classes == ["一级A", "一级B", "二级", "三级"]
    assert limit_for(std, "cod", "一级A") == (50.0, True)
    assert limit_for(std, "nh3n", "一级A", "water_temp > 12").value == 5.0
    assert limit_for(std, "nh3n", "一级B", "water_temp <= 12").value == 15.0
    assert limit_for(std, "tp", "一级A", "built <= 2005-12-31").value == 1.0
    assert limit_for(std, "tp", "一级A", "built >= 2006-01-01").value == 0.5
    assert math.isnan(limit_for(std, "tn", "二级").value)
    with pytest.raises(ConfigError):
        limit_for(std, "tp", "一级A", "built in 1990")


def test_db11_1612_is_structure_only_and_unverified() -> None:
    std = load_standard("db11_1612_2019")
    assert std.verified is False and std.classes == []
    assert all(not i.verified and i.limits is None for i in std.items.values())
    got = limit_for(std, "cod", "A")
    assert math.isnan(got.value) and got.verified is False


def test_river_and_lake_limits_by_water_type() -> None:
    std = load_standard("gb3838_2002")
    assert limit_for(std, "tp", "Ⅲ", "lake_reservoir").value == 0.05
    assert limit_for(std, "tp", "Ⅲ", "river").value == 0.2


def test_errors_name_the_file_and_field() -> None:
    with pytest.raises(ConfigError, match="no standard file"):
        load_standard("gb9999")
    with pytest.raises(ConfigError, match="no item"):
        load_standard("gb3838_2002").item("unobtainium")
    raw = load_standard("gb3838_2002").model_dump()
    raw["items"]["cod"]["limits"] = [15, 20, 15, 30, 40]
    with pytest.raises(ValueError, match="non-decreasing"):
        Standard(**raw)
    raw["items"]["cod"]["limits"] = [15, 20]
    with pytest.raises(ValueError, match="2 limits for 5 classes"):
        Standard(**raw)
