"""The monitoring network: stations, observed properties, series, observations."""

from liuyu.network.properties import load_properties
from liuyu.network.qc import QCFlag, describe_flags, find_gaps, load_qc_rules, run_qc
from liuyu.network.units import convert, normalize_unit, normalize_units, to_canonical
from liuyu.network.values import parse_values

__all__ = [
    "QCFlag",
    "convert",
    "describe_flags",
    "find_gaps",
    "load_properties",
    "load_qc_rules",
    "normalize_unit",
    "normalize_units",
    "parse_values",
    "run_qc",
    "to_canonical",
]
