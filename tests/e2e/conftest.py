"""End-to-end tests reuse the callback tests' deployment (sandbox + stack + mcp-server + oauth-callback)."""

from tests.callback.conftest import deployment, stack  # noqa: F401
from tests.shipped_stack import workdir  # noqa: F401  (the shipped stack without its hosted callback)
