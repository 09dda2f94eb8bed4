"""`python -m commands` runs `reconcile`."""

from commands.reconcile import main

main()
