"""Reports people read: the monthly water bulletin (HTML and PDF) built from the assessed workspace."""

from liuyu.report.monthly import MonthlyBulletin, build_monthly

__all__ = ["MonthlyBulletin", "build_monthly"]
