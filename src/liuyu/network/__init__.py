"""The monitoring network: stations, observed properties, series, observations."""

from liuyu.network.properties import load_properties

__all__ = ["load_properties"]
