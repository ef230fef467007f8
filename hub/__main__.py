"""``python -m hub``: see ``hub/cli.py``."""

from hub.cli import main

main()
