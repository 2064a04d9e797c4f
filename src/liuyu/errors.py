"""One exception family for Liuyu: every message says what is wrong, where, and what to do."""

from __future__ import annotations


class LiuyuError(Exception):
    """Base of all Liuyu errors; the CLI prints these without a traceback.

    Parameters
    ----------
    message : str
        What went wrong and where (file, row, field, key).
    hint : str, optional
        What the user should do about it.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if hint is None else f"{message}\n  → {hint}")


class ConfigError(LiuyuError, ValueError):
    """The workspace configuration (liuyu.toml) is missing, malformed or inconsistent."""


class WorkspaceError(LiuyuError, FileNotFoundError):
    """No workspace where one was expected, or a folder that cannot become one."""


class StoreError(LiuyuError, RuntimeError):
    """The store file is corrupt, foreign, or a write could not complete."""


class CategoryError(LiuyuError, KeyError):
    """An unknown category code, or a category definition file that is invalid."""

    def __str__(self) -> str:  # KeyError quotes its argument; we want the plain message
        return Exception.__str__(self)


class CRSError(LiuyuError, ValueError):
    """An unknown or unusable coordinate reference system."""


class SchemaError(LiuyuError, ValueError):
    """Data does not fit the schema of its category."""


class VersionError(LiuyuError, LookupError):
    """A layer version that does not exist."""


class IngestError(LiuyuError, ValueError):
    """A delivered file cannot be read or ingested as a whole (unreadable, unsafe, no CRS, ...)."""
