"""`python -m gridbot`: the same as the `gridbot` command."""

from gridbot.cli import main

main()
