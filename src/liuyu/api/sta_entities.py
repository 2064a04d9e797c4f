"""The SensorThings entity sets over Liuyu's network: filterable properties, relations, JSON shapes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from liuyu.api.sta_filter import Column
from liuyu.store.gpkg_binary import decode

OM_MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
SENSOR_METADATA = {
    "lab": "Grab samples analysed in a laboratory (monthly water-quality sections)",
    "auto": "Automatic online monitor (water-quality station or sewage-plant outlet, HJ 212)",
    "gauge": "Hydrological gauge: rain gauge, stage or discharge station",
}


@dataclass(frozen=True)
class Relation:
    """A navigation property: the target set and the SQL condition on it, bound to a parent field."""

    target: str
    condition: str
    parent_field: str
    many: bool


@dataclass(frozen=True)
class EntitySet:
    name: str
    columns: dict[str, Column]
    relations: dict[str, Relation]
    to_json: Callable[[dict[str, Any]], dict[str, Any]]
    string_ids: bool = False


def _thing(row: dict[str, Any]) -> dict[str, Any]:
    keys = ("code", "kind", "agency", "river", "role", "water_type", "target_class", "jurisdiction")
    return {
        "name": row["name"],
        "description": f"{row['name']} ({row['code']})",
        "properties": {k: row[k] for k in keys},
    }


def _point(row: dict[str, Any]) -> dict[str, Any] | None:
    blob = row["geom"]  # a GeoPackage blob, or plain WKB from PostGIS (ST_AsBinary)
    geom = decode([blob])[0] if blob is None or bytes(blob[:2]) == b"GP" else shapely.from_wkb(bytes(blob))
    if geom is None or geom.is_empty:
        return None
    # CGCS2000 and WGS 84 agree to centimetres: the stored lon/lat serve as CRS84 as they are.
    return {"type": "Point", "coordinates": [round(float(geom.x), 7), round(float(geom.y), 7)]}


def _location(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": row["name"],
        "description": f"Location of station {row['code']}",
        "encodingType": "application/geo+json",
        "location": _point(row),
    }


def _feature(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": row["name"],
        "description": f"Water body sampled at station {row['code']}",
        "encodingType": "application/geo+json",
        "feature": _point(row),
    }


def _interval(row: dict[str, Any]) -> str | None:
    return None if row["time_first"] is None else f"{row['time_first']}/{row['time_last']}"


def _datastream(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": row["name"],
        "description": f"{row['property_name_zh'] or row['property_code']} at {row['station_code']}, "
        f"method {row['sensor_id']}",
        "unitOfMeasurement": {
            "name": row["unit"],
            "symbol": row["unit"],
            "definition": f"urn:liuyu:unit:{row['unit']}" if row["unit"] else None,
        },
        "observationType": OM_MEASUREMENT,
        "phenomenonTime": _interval(row),
        "properties": {k: row[k] for k in ("station_code", "property_code", "method")},
    }


def _observed_property(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": row["name"],
        "description": row["name_zh"],
        "definition": row["definition"] or f"urn:liuyu:property:{row['id']}",
        "properties": {
            "name_zh": row["name_zh"],
            "unit": row["unit"],
            "aliases": json.loads(row["aliases"] or "[]"),
        },
    }


def _sensor(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": row["id"],
        "description": SENSOR_METADATA.get(row["id"], "Method not recorded"),
        "encodingType": "text/plain",
        "metadata": SENSOR_METADATA.get(row["id"], "Method not recorded"),
    }


def _result(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and np.isnan(value)) else value


def _historical_location(row: dict[str, Any]) -> dict[str, Any]:
    return {"time": row["time_iso"]}


def _observation(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "phenomenonTime": row["phenomenon_iso"],
        "resultTime": None,  # not recorded: samples and gauges give only the phenomenon time
        "result": _result(row["result"]),
        "resultQuality": {"censor": row["censor"], "qc_flag": row["qc_flag"]},
        "parameters": {"raw": row["raw"], "revision": row["revision"]},
    }


_THING_COLUMNS: dict[str, Column] = {
    "id": ("e.id", "number"),
    "name": ("e.name", "text"),
    "description": ("e.name", "text"),
    **{
        f"properties/{k}": (f"e.{k}", "text")
        for k in ("code", "kind", "agency", "river", "role", "water_type", "target_class", "jurisdiction")
    },
}
_OBS_OF_STATION = "e.datastream_id IN (SELECT series_id FROM series WHERE station_code = ?)"
_STATION_OF_SERIES = "e.code = (SELECT station_code FROM series WHERE series_id = ?)"

ENTITY_SETS: dict[str, EntitySet] = {
    "Things": EntitySet(
        "Things",
        {**_THING_COLUMNS, "Locations/location": ("e.geom", "geometry")},
        {
            "Locations": Relation("Locations", "e.id = ?", "id", True),
            "HistoricalLocations": Relation("HistoricalLocations", "e.thing_id = ?", "id", True),
            "Datastreams": Relation("Datastreams", "e.station_code = ?", "code", True),
        },
        _thing,
    ),
    "Locations": EntitySet(
        "Locations",
        {**_THING_COLUMNS, "location": ("e.geom", "geometry")},
        {
            "Things": Relation("Things", "e.id = ?", "id", True),
            "HistoricalLocations": Relation("HistoricalLocations", "e.thing_id = ?", "id", True),
        },
        _location,
    ),
    "HistoricalLocations": EntitySet(
        "HistoricalLocations",
        {"id": ("e.id", "number"), "time": ("e.time", "time"), "Thing/id": ("e.thing_id", "number")},
        {
            "Thing": Relation("Things", "e.id = ?", "thing_id", False),
            "Locations": Relation("Locations", "e.id = ?", "thing_id", True),
        },
        _historical_location,
    ),
    "FeaturesOfInterest": EntitySet(
        "FeaturesOfInterest",
        {**_THING_COLUMNS, "feature": ("e.geom", "geometry")},
        {"Observations": Relation("Observations", _OBS_OF_STATION, "code", True)},
        _feature,
    ),
    "Datastreams": EntitySet(
        "Datastreams",
        {
            "id": ("e.id", "number"),
            "name": ("e.name", "text"),
            "unitOfMeasurement/symbol": ("e.unit", "text"),
            "Thing/id": ("e.thing_id", "number"),
            "ObservedProperty/id": ("e.property_code", "text"),
            "Sensor/id": ("e.sensor_id", "text"),
            **{f"properties/{k}": (f"e.{k}", "text") for k in ("station_code", "property_code", "method")},
        },
        {
            "Thing": Relation("Things", "e.id = ?", "thing_id", False),
            "Sensor": Relation("Sensors", "e.id = ?", "sensor_id", False),
            "ObservedProperty": Relation("ObservedProperties", "e.id = ?", "property_code", False),
            "Observations": Relation("Observations", "e.datastream_id = ?", "id", True),
        },
        _datastream,
    ),
    "Observations": EntitySet(
        "Observations",
        {
            "id": ("e.id", "number"),
            "result": ("e.result", "number"),
            "phenomenonTime": ("e.phenomenon_time", "time"),
            "resultQuality/censor": ("e.censor", "text"),
            "resultQuality/qc_flag": ("e.qc_flag", "number"),
            "parameters/raw": ("e.raw", "text"),
            "Datastream/id": ("e.datastream_id", "number"),
        },
        {
            "Datastream": Relation("Datastreams", "e.id = ?", "datastream_id", False),
            "FeatureOfInterest": Relation("FeaturesOfInterest", _STATION_OF_SERIES, "datastream_id", False),
        },
        _observation,
    ),
    "ObservedProperties": EntitySet(
        "ObservedProperties",
        {
            "id": ("e.id", "text"),
            "name": ("e.name", "text"),
            "definition": ("e.definition", "text"),
            "properties/name_zh": ("e.name_zh", "text"),
        },
        {"Datastreams": Relation("Datastreams", "e.property_code = ?", "id", True)},
        _observed_property,
        string_ids=True,
    ),
    "Sensors": EntitySet(
        "Sensors",
        {"id": ("e.id", "text"), "name": ("e.id", "text")},
        {"Datastreams": Relation("Datastreams", "e.sensor_id = ?", "id", True)},
        _sensor,
        string_ids=True,
    ),
}
