"""`python -m kubedrift` runs the command line."""

from kubedrift.cli.main import run

run()
