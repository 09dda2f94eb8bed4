"""Reaching sandbox function URLs (`https://<id>.lambda-url.<region>.on.aws/`) the way a browser would reach AWS's:
an httpx transport that sends requests for those names to the sandbox's loopback port, Host header unchanged,
and everything else where it was going. The client still sees https URLs (cookies marked Secure come back)."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from sandbox.lambda_urls import HOST


class FunctionUrlTransport(httpx.BaseTransport):
    def __init__(self, sandbox_url: str) -> None:
        parts = urlsplit(sandbox_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if HOST.fullmatch(request.url.host):  # a copy: the client keeps the https URL for its cookies
            url = request.url.copy_with(scheme="http", host=self.host, port=self.port)
            request = httpx.Request(
                request.method, url, headers=request.headers, stream=request.stream, extensions=request.extensions
            )
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def client(sandbox_url: str, **options: object) -> httpx.Client:
    return httpx.Client(transport=FunctionUrlTransport(sandbox_url), **options)  # type: ignore[arg-type]
