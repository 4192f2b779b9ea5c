"""`python -m gridbot.cli`: the same as the `gridbot` command."""

from gridbot.cli import main

main()
