"""`python -m afteraction` runs the command line."""

from afteraction.cli import main

main()
