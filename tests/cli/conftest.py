"""The commands' tests plan and apply the shipped stack without its hosted callback (tests/shipped_stack.py)."""

from tests.shipped_stack import workdir  # noqa: F401  (the shipped stack without its hosted callback)
