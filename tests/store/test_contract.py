"""The Store contract: every backend must pass these, unchanged."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import shapely

from conftest import township_frame
from liuyu.catalog import get_category
from liuyu.errors import SchemaError, StoreError, VersionError
from liuyu.store import Provenance, Scope

TOWNSHIPS = get_category("townships")
PROV = Provenance(
    user="tester",
    agency="测绘院",
    jurisdiction=None,
    source_name="t.shp",
    source_checksum="abc",
    licence="CC-BY-4.0",
    note="first",
)


def _by_code(frame):
    return frame.set_index("code").sort_index()


def test_write_then_read_current(store):
    src = township_frame()
    info = store.write_layer(TOWNSHIPS, src, PROV)
    assert info is not None and info.version == 1 and info.n_added == 12 and info.n_features == 12
    got = _by_code(store.read_layer(TOWNSHIPS))
    exp = _by_code(src)
    assert list(got.index) == list(exp.index)
    assert got["name"].tolist() == exp["name"].tolist()
    assert np.allclose(got["area_km2"].to_numpy(), exp["area_km2"].to_numpy())
    assert shapely.equals(
        got.geometry.values, shapely.multipolygons(exp.geometry.values, indices=np.arange(12))
    ).all()
    assert got.geometry.geom_type.eq("MultiPolygon").all()
    assert got.crs.to_epsg() == 4490


def test_identical_rewrite_makes_no_version(store):
    store.write_layer(TOWNSHIPS, township_frame(), PROV)
    assert store.write_layer(TOWNSHIPS, township_frame(), PROV) is None
    # what the store hands back is also identical content
    assert store.write_layer(TOWNSHIPS, store.read_layer(TOWNSHIPS), PROV) is None
    assert [v.version for v in store.versions("townships")] == [1]


def _second_delivery():
    v2 = township_frame()
    v2.loc[v2["code"] == "110118003", "name"] = "新名称"  # changed attribute
    v2.loc[v2["code"] == "110118005", "geometry"] = shapely.box(117.0, 40.0, 117.1, 40.1)  # moved
    v2 = v2[v2["code"] != "110118007"]  # removed
    extra = township_frame(1, seed=9)
    extra["code"] = "110118099"
    return pd.concat([v2, extra], ignore_index=True).set_crs("EPSG:4490", allow_override=True)


def test_new_version_diff_and_as_of(store):
    store.write_layer(TOWNSHIPS, township_frame(), PROV)
    info = store.write_layer(TOWNSHIPS, _second_delivery(), PROV)
    assert (info.version, info.n_added, info.n_changed, info.n_removed) == (2, 1, 2, 1)
    d = store.diff(TOWNSHIPS, 1, 2)
    assert d.added == ["110118099"] and d.removed == ["110118007"]
    assert d.changed == ["110118003", "110118005"]
    assert store.diff(TOWNSHIPS, 2, 2).is_empty
    old = _by_code(store.read_layer(TOWNSHIPS, version=1))
    assert len(old) == 12 and old.loc["110118003", "name"] == "乡镇3" and "110118099" not in old.index
    new = _by_code(store.read_layer(TOWNSHIPS))
    assert len(new) == 12 and new.loc["110118003", "name"] == "新名称" and "110118007" not in new.index
    assert store.count(TOWNSHIPS) == 12 and store.count(TOWNSHIPS, version=1) == 12


def test_rollback_restores_content_as_new_version(store):
    store.write_layer(TOWNSHIPS, township_frame(), PROV)
    store.write_layer(TOWNSHIPS, _second_delivery(), PROV)
    info = store.rollback(TOWNSHIPS, 1, Provenance(user="admin"))
    assert info.version == 3 and info.provenance.kind == "rollback"
    assert store.diff(TOWNSHIPS, 1, 3).is_empty
    assert not store.diff(TOWNSHIPS, 2, 3).is_empty
    assert _by_code(store.read_layer(TOWNSHIPS)).loc["110118003", "name"] == "乡镇3"
    # the history is still there: version 2 reads as it was
    assert _by_code(store.read_layer(TOWNSHIPS, version=2)).loc["110118003", "name"] == "新名称"


def test_versions_keep_provenance(store):
    store.write_layer(TOWNSHIPS, township_frame(), PROV)
    (v,) = store.versions("townships")
    p = v.provenance
    assert (p.user, p.agency, p.source_name, p.source_checksum, p.licence, p.note) == (
        "tester",
        "测绘院",
        "t.shp",
        "abc",
        "CC-BY-4.0",
        "first",
    )
    assert v.created_at.endswith("Z")
    log = store.audit_log(target="townships")
    assert len(log) == 1 and log.iloc[0]["user"] == "tester"


def test_unknown_version_is_a_clear_error(store):
    store.write_layer(TOWNSHIPS, township_frame(), PROV)
    with pytest.raises(VersionError, match="no version 5"):
        store.read_layer(TOWNSHIPS, version=5)
    with pytest.raises(VersionError):
        store.diff(TOWNSHIPS, 1, 2)


def test_scoped_write_replaces_one_jurisdiction_only(store):
    store.write_layer(TOWNSHIPS, township_frame(), PROV)
    hebei = township_frame()
    hebei = hebei[hebei["jurisdiction"] == "hebei"].iloc[:3].copy()
    hebei["name"] = "河北更新"
    info = store.write_layer(TOWNSHIPS, hebei, PROV, scope=Scope(jurisdiction="hebei"))
    assert (info.n_changed, info.n_removed, info.scope) == (3, 3, "hebei")
    cur = store.read_layer(TOWNSHIPS)
    assert (cur["jurisdiction"] == "beijing").sum() == 6  # Beijing untouched
    assert set(cur.loc[cur["jurisdiction"] == "hebei", "name"]) == {"河北更新"}
    beijing_row = township_frame().iloc[[0]]
    with pytest.raises(StoreError, match="another jurisdiction"):
        store.write_layer(TOWNSHIPS, beijing_row, PROV, scope=Scope(jurisdiction="hebei"))


def test_duplicate_keys_are_refused(store):
    frame = township_frame()
    frame.loc[1, "code"] = frame.loc[0, "code"]
    with pytest.raises(SchemaError, match="share a key"):
        store.write_layer(TOWNSHIPS, frame, PROV)
    assert store.current_version("townships") is None


def test_bbox_read_uses_the_index(store):
    store.write_layer(TOWNSHIPS, township_frame(), PROV)
    got = store.read_layer(TOWNSHIPS, bbox=(116.81, 40.41, 116.84, 40.44))
    assert got["code"].tolist() == ["110118000"]
    assert len(store.read_layer(TOWNSHIPS, jurisdiction="hebei")) == 6


def test_unmapped_columns_are_kept_in_extra(store):
    frame = township_frame(2)
    frame["人口"] = [100, 200]
    store.write_layer(TOWNSHIPS, frame, PROV)
    got = _by_code(store.read_layer(TOWNSHIPS))
    assert got["extra"].tolist() == ['{"人口": 100}', '{"人口": 200}']


def test_observations_append_is_idempotent(store):
    t = pd.date_range("2024-07-01", periods=48, freq="h", tz="Asia/Shanghai")
    obs = pd.DataFrame(
        {
            "station_code": "30501000",
            "property_code": "rainfall",
            "phenomenon_time": t,
            "value": np.arange(48, dtype=float),
            "censor": "",
            "raw": [str(i) for i in range(48)],
            "method": "gauge",
        }
    )
    assert store.append_observations(obs, PROV) == 48
    assert store.append_observations(obs, PROV) == 0
    got = store.read_observations(station_code="30501000", start=dt.datetime(2024, 7, 1, tzinfo=dt.UTC))
    assert str(got["phenomenon_time"].dt.tz) == "UTC"
    # 2024-07-01 00:00 Asia/Shanghai is 2024-06-30 16:00 UTC: 8 hourly values fall before the start
    assert len(got) == 40 and got["value"].iloc[0] == 8.0
    assert store.series()["n"].tolist() == [48]
    naive = obs.assign(phenomenon_time=obs["phenomenon_time"].dt.tz_localize(None))
    with pytest.raises(SchemaError, match="timezone"):
        store.append_observations(naive, PROV)


def test_bbox_query_tests_geometry_not_envelope(store):
    """OGC API Features: a bbox selects features whose geometry intersects it, not their envelope."""
    from liuyu.store.query import BBox, FeatureQuery

    frame = township_frame(2)
    # an L-shaped township whose envelope covers the box's corner but whose geometry does not
    frame.loc[1, "geometry"] = shapely.Polygon(
        [(117.0, 40.0), (117.1, 40.0), (117.1, 40.01), (117.01, 40.01), (117.01, 40.1), (117.0, 40.1)]
    )
    store.write_layer(TOWNSHIPS, frame, PROV)
    query = FeatureQuery(where=BBox(117.05, 40.05, 117.09, 40.09), limit=10)
    assert store.count_features(TOWNSHIPS, query) == 0
    assert len(store.query_features(TOWNSHIPS, query).keys) == 0
    touching = FeatureQuery(where=BBox(117.05, 40.005, 117.09, 40.09), limit=10)
    assert store.count_features(TOWNSHIPS, touching) == 1
