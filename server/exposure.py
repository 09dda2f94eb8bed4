"""Names tests/server/conftest.py imports from here, from before server/ took the callback's shape (issue 20):
the Host/Origin check is in server/hardening.py, `http_app` in server/app.py. Remove once no one imports it."""

from __future__ import annotations

from server.app import http_app
from server.hardening import transport_security

__all__ = ["http_app", "transport_security"]
