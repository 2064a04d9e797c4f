"""Liuyu (流域): one map and one monitoring network for a river-basin water-source authority."""

from liuyu.errors import LiuyuError
from liuyu.workspace import Workspace, find_workspace
from liuyu.workspace import init_workspace as init
from liuyu.workspace import open_workspace as open

__version__ = "0.1.0"
__all__ = ["LiuyuError", "Workspace", "__version__", "find_workspace", "init", "open"]
