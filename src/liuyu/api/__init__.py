"""The HTTP API: OGC API Features and Tiles, the web map, and Liuyu's own routes."""

from liuyu.api.app import create_app

__all__ = ["create_app"]
