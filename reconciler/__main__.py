"""`python -m reconciler` = `reconcile`."""

from reconciler.cli import main

main()
