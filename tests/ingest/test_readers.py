"""Vector and raster readers: round trips, encodings, broken and disguised files, the registry."""

from __future__ import annotations

import shutil
import zipfile
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from liuyu.errors import IngestError, LiuyuError
from liuyu.ingest import readers as registry
from liuyu.ingest.delivery import Delivery
from liuyu.ingest.readers import BaseReader, available_readers, list_layers, open_delivery

NAMES = ["密云水库", "白河", "潮河"]


def frame(geoms: list | None = None, crs: str | None = "EPSG:4490") -> gpd.GeoDataFrame:
    pts = geoms or [shapely.Point(116.8 + i / 10, 40.5) for i in range(3)]
    data = {"名称": NAMES[: len(pts)], "编码": [f"0{i}" for i in range(len(pts))]}
    return gpd.GeoDataFrame(data, geometry=pts, crs=crs)


def shapefile(folder: Path, name: str = "河流", *, encoding: str = "UTF-8", cpg: bool = True, **kw) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.shp"
    frame(**kw).to_file(path, encoding=encoding)
    if not cpg:
        path.with_suffix(".cpg").unlink()
    return path


def zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            if p.is_file():
                zf.write(p, p.relative_to(folder).as_posix())
    return target


def assert_helpful(exc: pytest.ExceptionInfo[BaseException]) -> None:
    assert isinstance(exc.value, LiuyuError)
    assert exc.value.hint


def assert_chinese(d: Delivery) -> None:
    assert list(d.frame.columns[:2]) == ["名称", "编码"]
    assert d.frame["名称"].tolist() == NAMES
    assert d.frame["编码"].tolist() == ["00", "01", "02"]


# --- registry -------------------------------------------------------------------------------


def test_builtin_readers_are_entry_points() -> None:
    names = {r.name for r in available_readers()}  # type: ignore[attr-defined]
    assert {"shapefile", "gpkg", "geojson", "kml", "filegdb", "dxf", "csv", "xlsx", "geotiff"} <= names
    registered = {ep.name for ep in entry_points(group="liuyu.readers")}
    if registered:  # present once the package is (re)installed
        assert "shapefile" in registered


class FooReader(BaseReader):
    name = "foo"
    format = "foo"
    extensions = (".foo",)
    kinds = ("text",)

    def read(self, path: Path, *, layer: str | None = None, encoding: str | None = None) -> Delivery:
        gdf = gpd.GeoDataFrame({"v": [path.read_text().strip()]}, geometry=[shapely.Point(117, 40)])
        return Delivery(path, "foo", gdf, np.array([1]), None, n_source_rows=1)


def test_third_party_reader_plugs_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ep = EntryPoint(name="foo", value=f"{__name__}:FooReader", group="liuyu.readers")
    monkeypatch.setattr(registry, "entry_points", lambda group: [ep] if group == "liuyu.readers" else [])
    registry.available_readers.cache_clear()
    try:
        path = tmp_path / "x.foo"
        path.write_text("hello")
        assert open_delivery(path).frame["v"].tolist() == ["hello"]
    finally:
        registry.available_readers.cache_clear()


def test_unknown_extension_lists_supported(tmp_path: Path) -> None:
    path = tmp_path / "data.abc"
    path.write_text("whatever")
    with pytest.raises(IngestError, match=r"no reader for \.abc") as exc:
        open_delivery(path)
    assert ".gpkg" in exc.value.hint and ".zip" in exc.value.hint


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="no such file") as exc:
        open_delivery(tmp_path / "nope.shp")
    assert_helpful(exc)


@pytest.mark.parametrize(
    ("name", "content", "says", "hint"),
    [
        ("rivers.shp", b"<!DOCTYPE html><html>login</html>", "HTML web page", "download it again"),
        ("rivers.shp", "名称,经度\n".encode(), "plain-text file", "rename it to .csv"),
        ("rivers.geojson", None, "ZIP archive", "rename it to .zip"),
        ("dem.tif", b'{"a": 1}', "JSON document", "rename it to .geojson"),
        ("stations.xlsx", b"a,b\n1,2\n", "plain-text file", "rename it to .csv"),
        ("rivers.gpkg", b"\x00\x00\x27\x0a" + b"\x00" * 200, "Shapefile geometry file", "rename it to .shp"),
    ],
)
def test_file_that_is_not_what_it_says(
    tmp_path: Path, name: str, content: bytes | None, says: str, hint: str
) -> None:
    path = tmp_path / name
    if content is None:
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("a.geojson", "{}")
    else:
        path.write_bytes(content)
    with pytest.raises(IngestError, match=f"looks like an? {says}") as exc:
        open_delivery(path)
    assert hint in exc.value.hint


@pytest.mark.parametrize(
    ("magic", "hint"), [(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "save it as .xlsx"), (b"AC1018", "DXF")]
)
def test_unsupported_formats_say_what_to_do(tmp_path: Path, magic: bytes, hint: str) -> None:
    path = tmp_path / ("a.xls" if magic.startswith(b"\xd0") else "a.dwg")
    path.write_bytes(magic + b"\x00" * 600)
    with pytest.raises(IngestError) as exc:
        open_delivery(path)
    assert hint in exc.value.hint


# --- shapefile ------------------------------------------------------------------------------


def test_shapefile_round_trip_with_cpg(tmp_path: Path) -> None:
    path = shapefile(tmp_path)
    d = open_delivery(path)
    assert d.format == "shapefile" and d.layer == "河流" and d.encoding == "UTF-8"
    assert_chinese(d)
    assert d.crs is not None and d.crs.to_epsg() == 4490
    assert d.rows.tolist() == [1, 2, 3] and d.n_source_rows == 3 and not d.problems
    assert list_layers(path) == ["河流"]


def test_gbk_shapefile_without_cpg_is_detected(tmp_path: Path) -> None:
    path = shapefile(tmp_path, encoding="GBK", cpg=False)
    d = open_delivery(path)
    assert_chinese(d)
    assert d.encoding == "GB18030"
    assert any("GBK" in n for n in d.notes)


def test_gbk_shapefile_with_cpg(tmp_path: Path) -> None:
    path = shapefile(tmp_path, encoding="GBK")
    assert path.with_suffix(".cpg").read_text().strip().upper() == "GBK"
    assert_chinese(open_delivery(path))


@pytest.mark.parametrize("cpg", ["936", "ANSI 936", "UTF-8"])
def test_cpg_code_pages_and_wrong_cpg(tmp_path: Path, cpg: str) -> None:
    path = shapefile(tmp_path, encoding="GBK", cpg=False)
    path.with_suffix(".cpg").write_text(cpg)
    d = open_delivery(path)
    assert_chinese(d)
    if cpg == "UTF-8":  # the .cpg lies: the bytes win, and the report says so
        assert any("the .cpg says 'UTF-8'" in n for n in d.notes)


def test_explicit_encoding_overrides(tmp_path: Path) -> None:
    path = shapefile(tmp_path, encoding="GBK", cpg=False)
    assert_chinese(open_delivery(path, encoding="gbk"))
    assert_chinese(open_delivery(path, encoding="cp936"))


def test_wrong_explicit_encoding_is_a_clear_error(tmp_path: Path) -> None:
    path = shapefile(tmp_path, encoding="GBK", cpg=False)
    with pytest.raises(IngestError, match="not valid UTF-8") as exc:
        open_delivery(path, encoding="utf-8")
    assert "gb18030" in exc.value.hint


def test_gbk_given_for_utf8_data_warns(tmp_path: Path) -> None:
    path = shapefile(tmp_path, cpg=False)
    d = open_delivery(path, encoding="gbk")
    assert any("also valid UTF-8" in n for n in d.notes)


def test_unknown_encoding_name(tmp_path: Path) -> None:
    path = shapefile(tmp_path)
    with pytest.raises(IngestError, match="unknown text encoding 'klingon'") as exc:
        open_delivery(path, encoding="klingon")
    assert_helpful(exc)


@pytest.mark.parametrize(("suffix", "what"), [(".dbf", "attribute table"), (".shx", "index")])
def test_missing_part(tmp_path: Path, suffix: str, what: str) -> None:
    path = shapefile(tmp_path)
    path.with_suffix(suffix).unlink()
    with pytest.raises(IngestError, match=f"the {suffix} file \\({what}\\) is missing") as exc:
        open_delivery(path)
    assert ".shx" in exc.value.hint and ".dbf" in exc.value.hint


def test_truncated_shp_gives_row_problems(tmp_path: Path) -> None:
    boxes = [shapely.box(116 + i, 40, 116.5 + i, 40.5).buffer(0.05) for i in range(3)]
    path = shapefile(tmp_path, geoms=boxes)
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.truncate(size - 40)
    d = open_delivery(path)
    assert d.n_source_rows == 3
    assert len(d.frame) == 2 and d.rows.tolist() == [1, 2]
    assert [p.row for p in d.problems] == [3]
    assert "truncated" in d.problems[0].reason
    assert len(d.frame) + len(d.problems) == d.n_source_rows
    assert any("header says" in n for n in d.notes)


def test_truncated_dbf_loses_no_row_silently(tmp_path: Path) -> None:
    path = shapefile(tmp_path)
    dbf = path.with_suffix(".dbf")
    header_len = int.from_bytes(dbf.read_bytes()[8:10], "little")
    record_len = int.from_bytes(dbf.read_bytes()[10:12], "little")
    with dbf.open("r+b") as fh:
        fh.truncate(header_len + record_len + 5)
    d = open_delivery(path)
    assert len(d.frame) == 1 and d.n_source_rows == 3
    assert [p.row for p in d.problems] == [2, 3] and "truncated" in d.problems[0].reason


@pytest.mark.parametrize(("suffix", "cut"), [(".dbf", 40), (".shx", 120)])
def test_truncated_headers_of_parts(tmp_path: Path, suffix: str, cut: int) -> None:
    path = shapefile(tmp_path)
    with path.with_suffix(suffix).open("r+b") as fh:
        fh.truncate(cut)
    with pytest.raises(IngestError, match=f"the \\{suffix} (index )?is truncated") as exc:
        open_delivery(path)
    assert_helpful(exc)


def test_shp_truncated_into_its_header(tmp_path: Path) -> None:
    path = shapefile(tmp_path)
    with path.open("r+b") as fh:
        fh.truncate(50)
    with pytest.raises(IngestError, match="shorter than the 100-byte shapefile header") as exc:
        open_delivery(path)
    assert_helpful(exc)


def test_zipped_shapefile_with_gbk_entry_names(tmp_path: Path) -> None:
    from test_safety import gbk_zip

    src = shapefile(tmp_path / "src", "乡镇界", encoding="GBK", cpg=False)
    parts = {f"数据/{p.name}": p.read_bytes() for p in src.parent.iterdir()}
    path = gbk_zip(tmp_path / "交付.zip", parts)
    d = open_delivery(path)
    assert_chinese(d)
    assert d.source == path and d.member == "数据/乡镇界.shp" and d.layer == "乡镇界"
    assert list_layers(path) == ["乡镇界"]


def test_zip_with_two_layers_needs_layer(tmp_path: Path) -> None:
    shapefile(tmp_path / "src", "河流")
    shapefile(tmp_path / "src", "水库")
    (tmp_path / "src" / "说明.txt").write_text("read me")
    path = zip_folder(tmp_path / "src", tmp_path / "d.zip")
    assert list_layers(path) == ["水库", "河流"]
    with pytest.raises(IngestError, match="holds 2 layers: '水库', '河流'") as exc:
        open_delivery(path)
    assert "--layer NAME" in exc.value.hint
    assert open_delivery(path, layer="河流").member == "河流.shp"


def test_folder_delivery(tmp_path: Path) -> None:
    shapefile(tmp_path / "src", "河流")
    d = open_delivery(tmp_path / "src")
    assert d.layer == "河流" and d.source.name == "河流.shp"


# --- GeoPackage, GeoJSON, KML/KMZ, FileGDB --------------------------------------------------


def test_geopackage_layers(tmp_path: Path) -> None:
    path = tmp_path / "交付.gpkg"
    frame().to_file(path, layer="河流")
    frame([shapely.box(116, 40, 117, 41)]).to_file(path, layer="流域", mode="w")
    assert sorted(list_layers(path)) == ["河流", "流域"]
    with pytest.raises(IngestError, match="holds 2 layers") as exc:
        open_delivery(path)
    assert "--layer" in exc.value.hint
    d = open_delivery(path, layer="河流")
    assert_chinese(d)
    assert d.crs is not None and d.crs.to_epsg() == 4490
    with pytest.raises(IngestError, match="no layer named '湖泊'"):
        open_delivery(path, layer="湖泊")


def test_geojson_mixed_geometry_types(tmp_path: Path) -> None:
    path = tmp_path / "混合.geojson"
    geoms = [
        shapely.Point(117, 40.5),
        shapely.LineString([(117, 40), (117.1, 40.1)]),
        shapely.box(117, 40, 117.1, 40.1),
    ]
    frame(geoms).to_file(path)
    d = open_delivery(path)
    assert_chinese(d)
    assert list(d.frame.geometry.geom_type) == ["Point", "LineString", "Polygon"]
    assert any("mixed geometry types" in n for n in d.notes)


def test_gbk_geojson_is_recoded(tmp_path: Path) -> None:
    path = tmp_path / "gbk.geojson"
    path.write_bytes(frame().to_json(ensure_ascii=False, drop_id=True).encode("gbk"))
    d = open_delivery(path)
    assert_chinese(d)
    assert d.encoding == "GB18030"


def test_kml_and_kmz(tmp_path: Path) -> None:
    kml = tmp_path / "站点.kml"
    pyogrio.write_dataframe(frame(), kml, driver="KML", layer="站点")
    d = open_delivery(kml)
    assert d.frame["名称"].tolist() == NAMES and d.crs is not None and d.crs.to_epsg() == 4326
    kmz = tmp_path / "站点.kmz"
    with zipfile.ZipFile(kmz, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(kml, "doc.kml")
    dz = open_delivery(kmz)
    assert dz.format == "kml" and dz.frame["名称"].tolist() == NAMES
    assert list_layers(kmz) == ["站点"]


def test_filegdb_folder_and_zipped(tmp_path: Path) -> None:
    gdb = tmp_path / "src" / "交付.gdb"
    gdb.parent.mkdir()
    try:
        pyogrio.write_dataframe(frame(), gdb, driver="OpenFileGDB", layer="站点")
        pyogrio.write_dataframe(
            frame([shapely.box(116, 40, 117, 41)]), gdb, driver="OpenFileGDB", layer="流域"
        )
    except Exception as exc:  # pragma: no cover - depends on the bundled GDAL
        pytest.skip(f"the bundled GDAL cannot write FileGDB: {exc}")
    assert sorted(list_layers(gdb)) == ["流域", "站点"]
    d = open_delivery(gdb, layer="站点")
    assert d.format == "filegdb"
    assert_chinese(d)
    zipped = zip_folder(gdb.parent, tmp_path / "gdb.zip")
    assert sorted(list_layers(zipped)) == ["流域", "站点"]
    dz = open_delivery(zipped, layer="站点")
    assert dz.member == "交付.gdb" and dz.source == zipped
    contents_only = zip_folder(gdb, tmp_path / "交付.zip")  # the folder's contents, not the folder
    assert open_delivery(contents_only, layer="流域").format == "filegdb"


# --- DXF ------------------------------------------------------------------------------------


def dxf(path: Path, *, codepage: str, encoding: str) -> Path:
    """A DXF written by GDAL, re-encoded as a Chinese CAD package would save it."""
    pts = [
        shapely.Point(39_500_000, 4_480_000),
        shapely.LineString([(39_500_000, 4_480_000), (39_501_000, 4_481_000)]),
    ]
    lines = [
        shapely.LineString([(39_500_500, 4_480_500), (39_500_900, 4_480_100)]),
        shapely.Point(39_502_000, 4_482_000),
    ]
    gdf = gpd.GeoDataFrame({"Layer": ["河流", "河流", "等高线", "0"]}, geometry=pts + lines)
    raw = tmp = path.with_suffix(".utf8.dxf")
    pyogrio.write_dataframe(gdf, raw, driver="DXF")
    text = tmp.read_text(encoding="utf-8").replace("ANSI_1252", codepage)
    path.write_bytes(text.encode(encoding))
    tmp.unlink()
    return path


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
@pytest.mark.parametrize(
    ("codepage", "encoding"), [("ANSI_936", "gbk"), ("ANSI_1252", "gbk"), ("ANSI_1252", "utf-8")]
)
def test_dxf_cad_layers(tmp_path: Path, codepage: str, encoding: str) -> None:
    path = dxf(tmp_path / "地形.dxf", codepage=codepage, encoding=encoding)
    assert list_layers(path) == ["0", "河流", "等高线"]
    with pytest.raises(IngestError, match="holds 3 layers"):
        open_delivery(path)
    d = open_delivery(path, layer="河流")
    assert d.format == "dxf" and d.layer == "河流" and d.crs is None
    assert d.frame["Layer"].tolist() == ["河流", "河流"]
    assert list(d.frame.geometry.geom_type) == ["Point", "LineString"]
    assert d.rows.tolist() == [1, 2] and d.n_source_rows == 2


# --- GeoTIFF --------------------------------------------------------------------------------


def geotiff(path: Path, crs: str | None = "EPSG:4548") -> Path:
    import rasterio
    from rasterio.transform import Affine

    data = np.arange(20, dtype=np.float32).reshape(4, 5)
    profile = {"driver": "GTiff", "width": 5, "height": 4, "count": 1, "dtype": "float32", "nodata": -9999}
    with rasterio.open(
        path, "w", **profile, crs=crs, transform=Affine(30, 0, 500_000, 0, -30, 4_500_000)
    ) as dst:
        dst.write(data, 1)
    return path


def test_geotiff(tmp_path: Path) -> None:
    path = geotiff(tmp_path / "dem.tif")
    d = open_delivery(path)
    assert d.format == "geotiff" and d.raster == path and d.frame.empty
    assert d.crs is not None and d.crs.to_epsg() == 4548
    assert any("5×4 cells" in n for n in d.notes)


def test_zipped_geotiff_lives_until_closed(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    geotiff(tmp_path / "src" / "dem.tif")
    path = zip_folder(tmp_path / "src", tmp_path / "dem.zip")
    d = open_delivery(path)
    assert d.raster is not None and d.raster.exists() and d.member == "dem.tif"
    d.close()
    assert not d.raster.exists()


def test_every_reader_error_is_a_liuyu_error(tmp_path: Path) -> None:
    """Garbage behind each extension (with the right magic bytes) never escapes as a traceback."""
    cases = {
        "a.gpkg": b"SQLite format 3\x00" + b"\x07" * 300,
        "a.tif": b"II*\x00" + b"\xff" * 300,
        "a.geojson": b'{"type": "FeatureCollection", "features": [',
        "a.kml": b"<kml><Document><Placemark><Point><coordinates>abc",
        "a.xlsx": zipfile.ZipFile,  # a zip that is not a workbook
    }
    for name, content in cases.items():
        path = tmp_path / name
        if content is zipfile.ZipFile:
            with zipfile.ZipFile(path, "w") as zf:
                zf.writestr("hello.txt", "x")
        else:
            path.write_bytes(content)  # type: ignore[arg-type]
        try:
            open_delivery(path)
        except LiuyuError as exc:
            assert exc.hint, name
        except Exception as exc:  # pragma: no cover - the failure this test exists for
            pytest.fail(f"{name}: raw {type(exc).__name__}: {exc}")
    shutil.rmtree(tmp_path)
