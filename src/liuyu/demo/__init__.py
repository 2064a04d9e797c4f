"""The demo basin: a Miyun-like workspace, synthetic except the real county boundaries."""

from liuyu.demo.build import build_demo

__all__ = ["build_demo"]
