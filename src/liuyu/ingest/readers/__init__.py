"""Format readers behind one registry: entry points (group ``liuyu.readers``), chosen by extension + content.

>>> from liuyu.ingest.readers import open_delivery, list_layers          # doctest: +SKIP
>>> delivery = open_delivery("乡镇.zip", layer="乡镇界")                   # doctest: +SKIP
"""

from __future__ import annotations

import functools
import importlib
import os
import warnings
from importlib.metadata import entry_points
from pathlib import Path

from liuyu.errors import IngestError, LiuyuError
from liuyu.ingest.delivery import Delivery, Reader
from liuyu.ingest.readers.base import BaseReader, choose_layer
from liuyu.ingest.readers.encoding import normalise_encoding
from liuyu.ingest.safety import Archive, Sniffed, check_not_empty, extract_zip, sniff

__all__ = [
    "ENTRY_POINT_GROUP",
    "BaseReader",
    "available_readers",
    "find_reader",
    "list_layers",
    "open_delivery",
]

ENTRY_POINT_GROUP = "liuyu.readers"
_BUILTIN = {
    "shapefile": "liuyu.ingest.readers.shapefile:ShapefileReader",
    "gpkg": "liuyu.ingest.readers.gpkg:GeoPackageReader",
    "geojson": "liuyu.ingest.readers.geojson:GeoJSONReader",
    "kml": "liuyu.ingest.readers.kml:KMLReader",
    "filegdb": "liuyu.ingest.readers.filegdb:FileGDBReader",
    "dxf": "liuyu.ingest.readers.dxf:DXFReader",
    "csv": "liuyu.ingest.readers.csv_:CSVReader",
    "xlsx": "liuyu.ingest.readers.xlsx:XLSXReader",
    "geotiff": "liuyu.ingest.readers.geotiff:GeoTIFFReader",
}
_PART_HINT = "a shapefile is several files: deliver .shp, .shx, .dbf and .prj together (or zipped)"
_UNSUPPORTED = {
    ".xls": "old Excel workbooks (.xls) are not read: open it in Excel or WPS and save it as .xlsx",
    ".dwg": "AutoCAD drawings are read as DXF: in CAD, Save As → DXF",
    ".mdb": "personal geodatabases (.mdb) are not read: export the layer to GeoPackage or Shapefile",
    ".rar": "RAR archives are not opened: repack the files as a .zip",
    ".7z": "7-Zip archives are not opened: repack the files as a .zip",
    ".dbf": _PART_HINT,
    ".shx": _PART_HINT,
    ".prj": _PART_HINT,
    ".cpg": _PART_HINT,
}
_SKIP_IN_ARCHIVES = {".txt"}  # read-me files, not coordinate tables
_SKIP_DIRS = {"__MACOSX", ".git", ".svn"}


def _instantiate(obj: object, name: str) -> Reader | None:
    reader = obj() if isinstance(obj, type) else obj
    if not callable(getattr(reader, "guess_can_open", None)) or not callable(getattr(reader, "read", None)):
        message = f"reader plug-in {name!r} lacks guess_can_open/read; ignored"
        warnings.warn(message, RuntimeWarning, stacklevel=3)
        return None
    return reader  # type: ignore[return-value]


@functools.cache
def available_readers() -> tuple[Reader, ...]:
    """Every reader: third-party plug-ins first (so they may claim a format), then the built-ins.

    Built-ins are also registered as entry points in Liuyu's own pyproject.toml; they are
    listed here too so a source checkout works before ``pip install -e .`` has run.
    """
    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    plugins: list[Reader] = []
    for name, ep in found.items():
        if name in _BUILTIN and ep.value == _BUILTIN[name]:
            continue
        try:
            reader = _instantiate(ep.load(), name)
        except Exception as exc:  # a broken plug-in must not stop every ingest
            warnings.warn(f"reader plug-in {name!r} failed to load: {exc}", RuntimeWarning, stacklevel=2)
            continue
        if reader is not None:
            plugins.append(reader)
    builtins = []
    for name, target in _BUILTIN.items():
        module, attr = target.split(":")
        reader = _instantiate(getattr(importlib.import_module(module), attr), name)
        if reader is not None and name not in {getattr(p, "name", None) for p in plugins}:
            builtins.append(reader)
    return (*plugins, *builtins)


def _claims(reader: Reader, attr: str) -> tuple[str, ...]:
    """A reader's ``extensions`` or ``kinds`` (plug-ins need not declare kinds)."""
    return tuple(getattr(reader, attr, None) or ())


def _description(reader: Reader) -> str:
    return str(getattr(reader, "description", "") or getattr(reader, "name", "this format"))


def _mismatch_hint(found: Sniffed) -> str:
    if found.kind == "html":
        return "a web page was saved instead of the data (failed download or login page); download it again"
    if found.kind == "zip":
        return "if it is a zipped delivery, rename it to .zip; otherwise give it its real extension"
    for reader in available_readers():
        if found.kind in _claims(reader, "kinds") and _claims(reader, "extensions"):
            return f"if it is {found.description}, rename it to {reader.extensions[0]}"
    return "ask the agency to export the file again in one of the supported formats"


def find_reader(path: Path) -> Reader:
    """The reader for a file, by extension and content; refuses a file that is not what it says.

    Raises
    ------
    IngestError
        No reader claims the extension, or the content contradicts it (e.g. a ``.shp``
        that is an HTML page, a ``.geojson`` that is a zip), naming what it really looks like.
    """
    for reader in available_readers():
        if reader.guess_can_open(path):
            return reader
    suffix = path.suffix.lower()
    found = sniff(path)
    claimed = [r for r in available_readers() if suffix in _claims(r, "extensions")]
    if claimed:
        raise IngestError(
            f"{path.name} has the extension {suffix} but is not {_description(claimed[0])}: "
            f"it looks like {found.description}",
            hint=_mismatch_hint(found),
        )
    if suffix in _UNSUPPORTED:
        raise IngestError(f"{path.name}: {suffix} files cannot be ingested", hint=_UNSUPPORTED[suffix])
    supported = sorted({e for r in available_readers() for e in _claims(r, "extensions")} | {".zip"})
    what = suffix or "files without an extension"
    raise IngestError(
        f"{path.name}: no reader for {what} (it looks like {found.description})",
        hint="supported: " + " ".join(supported),
    )


def _check_path(path: Path) -> None:
    if not path.exists():
        raise IngestError(f"{path}: no such file or folder", hint="check the path (and the current folder)")
    if path.is_file():
        check_not_empty(path)


def _is_archive(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() == ".zip"


def open_delivery(
    path: str | os.PathLike[str], *, layer: str | None = None, encoding: str | None = None
) -> Delivery:
    """Read one layer of a delivered file (or a zip or folder of files) into a Delivery.

    Parameters
    ----------
    path : path-like
        A file in any registered format, a ``.zip`` of such files (extracted safely to a
        private temporary folder), a ``.gdb`` folder, or a folder of files.
    layer : str, optional
        The layer (GeoPackage/FileGDB layer, KML folder, CAD layer, sheet, or a file inside
        an archive holding several). Required when there is more than one.
    encoding : str, optional
        Text encoding of the attributes (e.g. ``gbk``), overriding .cpg and detection.

    Raises
    ------
    IngestError
        Anything that stops the file being read: missing, empty, unsafe, not what its
        extension says, several layers and none chosen, damaged. Never a raw traceback.
    """
    path = Path(path)
    if encoding is not None:
        normalise_encoding(encoding)
    try:
        _check_path(path)
        if _is_archive(path) or (path.is_dir() and path.suffix.lower() != ".gdb"):
            return _open_container(path, layer, encoding)
        return find_reader(path).read(path, layer=layer, encoding=encoding)
    except LiuyuError:
        raise
    except Exception as exc:
        raise IngestError(
            f"{path.name}: could not be read ({type(exc).__name__}: {exc})",
            hint="the file may be damaged or an unsupported variant; open it in QGIS to check, "
            "or ask the agency to export it again",
        ) from exc


def list_layers(path: str | os.PathLike[str]) -> list[str]:
    """The layer names ``open_delivery(path, layer=...)`` accepts (one for single-layer files)."""
    path = Path(path)
    try:
        _check_path(path)
        if _is_archive(path) or (path.is_dir() and path.suffix.lower() != ".gdb"):
            with _Container(path) as box:
                return box.labels()
        return _layers_of(find_reader(path), path)
    except LiuyuError:
        raise
    except Exception as exc:
        raise IngestError(
            f"{path.name}: its layers could not be listed ({type(exc).__name__}: {exc})",
            hint="the file may be damaged; open it in QGIS to check",
        ) from exc


def _layers_of(reader: Reader, path: Path) -> list[str]:
    layers = getattr(reader, "layers", None)
    return list(layers(path)) if callable(layers) else [path.stem]


class _Container:
    """The datasets in a zip (extracted) or a folder, each with the layers it offers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.archive: Archive | None = extract_zip(path) if path.is_file() else None
        self.root = self.archive.root if self.archive else path
        self.skipped: list[str] = []
        if self.archive is not None:
            self._name_geodatabases()
        self.datasets = self._scan()

    def _name_geodatabases(self) -> None:
        """Zipping the *contents* of a .gdb folder loses its name; GDAL needs it back."""
        for folder in [self.root, *(p for p in self.root.rglob("*") if p.is_dir())]:
            if folder.suffix.lower() == ".gdb" or not any(folder.glob("*.gdbtable")):
                continue
            target = (folder if folder != self.root else self.root / self.path.stem).with_suffix(".gdb")
            if folder == self.root:
                target.mkdir()
                for item in [p for p in folder.iterdir() if p != target]:
                    item.rename(target / item.name)
            else:
                folder.rename(target)
            return

    def __enter__(self) -> _Container:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.archive is not None:
            self.archive.cleanup()

    def member(self, dataset: Path) -> str:
        return dataset.relative_to(self.root).as_posix()

    def _scan(self) -> list[tuple[Path, Reader]]:
        found: list[tuple[Path, Reader]] = []
        for folder, dirs, files in os.walk(self.root):
            here = Path(folder)
            for d in [d for d in dirs if d.lower().endswith(".gdb")]:
                self._consider(here / d, found)
            dirs[:] = sorted(d for d in dirs if not d.lower().endswith(".gdb") and d not in _SKIP_DIRS)
            for name in sorted(files):
                self._consider(here / name, found)
        return sorted(found, key=lambda item: str(item[0]))

    def _consider(self, file: Path, found: list[tuple[Path, Reader]]) -> None:
        suffix = file.suffix.lower()
        if file.name.startswith(".") or suffix in _SKIP_IN_ARCHIVES:  # incl. macOS "._x.shp"
            return
        if suffix == ".zip":
            nested = "an archive inside the archive: unzip it and deliver its contents"
            self.skipped.append(f"{self.member(file)} ({nested})")
            return
        reader = next((r for r in available_readers() if r.guess_can_open(file)), None)
        if reader is not None:
            found.append((file, reader))
        elif any(suffix in _claims(r, "extensions") for r in available_readers()):
            self.skipped.append(f"{self.member(file)} (looks like {sniff(file).description})")

    def entries(self) -> list[tuple[str, Path, Reader, str | None]]:
        """(label, dataset, reader, inner layer) for every layer on offer."""
        if not self.datasets:
            seen = "; ".join(self.skipped) or "no data files"
            raise IngestError(
                f"{self.path.name}: no readable dataset inside ({seen})",
                hint="a delivery archive should hold the data files themselves (e.g. all parts of a "
                "shapefile, a .gpkg, a .gdb folder, .xlsx)",
            )
        out: list[tuple[str, Path, Reader, str | None]] = []
        for dataset, reader in self.datasets:
            label = self.member(dataset).rsplit(".", 1)[0]
            inner = _layers_of(reader, dataset)
            if len(inner) == 1:
                out.append((label, dataset, reader, inner[0]))
            else:
                out.extend((f"{label}:{name}", dataset, reader, name) for name in inner)
        return out

    def labels(self) -> list[str]:
        if len(self.datasets) == 1:
            dataset, reader = self.datasets[0]
            return _layers_of(reader, dataset)
        return [label for label, *_ in self.entries()]


def _open_container(path: Path, layer: str | None, encoding: str | None) -> Delivery:
    box = _Container(path)
    keep = False
    try:
        if len(box.datasets) == 1:
            dataset, reader = box.datasets[0]
            delivery = reader.read(dataset, layer=layer, encoding=encoding)
        else:
            entries = box.entries()
            chosen = choose_layer(path, [label for label, *_ in entries], layer)
            _, dataset, reader, inner = next(e for e in entries if e[0] == chosen)
            delivery = reader.read(dataset, layer=inner, encoding=encoding)
        delivery.member = box.member(dataset)
        delivery.notes.insert(0, f"{path.name}: read {delivery.member}")
        delivery.notes.extend(f"{path.name}: skipped {s}" for s in box.skipped)
        if box.archive is not None:
            delivery.source = path
            if delivery.raster is not None:
                delivery.workdir, keep = box.archive, True
        return delivery
    finally:
        if not keep:
            box.__exit__()
