# syntax=docker/dockerfile:1
# mcp-server in a container, for hosting it somewhere other than AgentCore Runtime (which takes the
# zip that `reconcile apply` builds instead). Slim, non-root, and multi-arch: both base images are
# published for linux/amd64 and linux/arm64, and nothing below is architecture-specific:
#
#   docker buildx build --platform linux/amd64,linux/arm64 -f docker/mcp-server.Dockerfile -t mcp-server .
#   docker run -p 8000:8000 -v "$PWD/config.json:/config/config.json:ro" mcp-server --allowed-host mcp.example.com
#
# Only server/ and handoff/ are copied (the packages mcp-server imports; tests/containers checks this);
# dependencies come from uv.lock, frozen.
ARG PYTHON_VERSION=3.12

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/venv
WORKDIR /src
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY handoff ./handoff
COPY server ./server

FROM python:${PYTHON_VERSION}-slim-bookworm
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src/handoff /app/handoff
COPY --from=build /src/server /app/server
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MCP_SERVER_CONFIG=/config/config.json \
    MCP_SERVER_HOST=0.0.0.0
WORKDIR /app
# Without a DynamoDB table in config.json the programs share a SQLite file: put it on this volume, in both
# containers, with -e OAUTH_SESSION_STORE=/state/oauth-sessions.sqlite3 (the default is beside config.json).
RUN mkdir -m 0700 /state && chown 10001 /state
VOLUME ["/state"]
USER 10001
EXPOSE 8000
ENTRYPOINT ["python", "-m", "server"]
