"""Analyses: zonal overlay and raster zonal statistics, slope, cross-analyses, network coverage.

The pure cores (:mod:`.zonal`, :mod:`.raster_zonal`, :mod:`.slope`, :mod:`.coverage`) take
frames and arrays; :mod:`.run`, :mod:`.cross` and :mod:`.coverage_run` run them on a workspace,
record parameters and input versions, and store the derived layers.
"""

from liuyu.analysis.raster_zonal import zonal_raster
from liuyu.analysis.results import AnalysisResult
from liuyu.analysis.zonal import zonal_area

__all__ = ["AnalysisResult", "zonal_area", "zonal_raster"]
