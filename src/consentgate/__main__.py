"""``python -m consentgate`` runs the command line."""

from consentgate.cli import main

main()
