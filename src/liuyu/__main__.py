"""`python -m liuyu` is the `liuyu` command."""

from liuyu.cli import main

main()
