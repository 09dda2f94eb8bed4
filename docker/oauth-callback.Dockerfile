# syntax=docker/dockerfile:1
# oauth-callback in a container, behind a TLS-terminating proxy at the stack's CALLBACK_URL (README,
# "Security model"). Slim, non-root, and multi-arch: both base images are published for linux/amd64
# and linux/arm64, and nothing below is architecture-specific:
#
#   docker buildx build --platform linux/amd64,linux/arm64 -f docker/oauth-callback.Dockerfile -t oauth-callback .
#   docker run -p 8080:8080 -e OAUTH_CALLBACK_SECRET -v "$PWD/config.json:/config/config.json:ro" oauth-callback
#
# Only callback/ and handoff/ are copied (the packages oauth-callback imports; tests/containers checks
# this); dependencies come from uv.lock, frozen.
ARG PYTHON_VERSION=3.12

FROM python:${PYTHON_VERSION}-slim-bookworm AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/venv
WORKDIR /src
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY handoff ./handoff
COPY callback ./callback

FROM python:${PYTHON_VERSION}-slim-bookworm
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src/handoff /app/handoff
COPY --from=build /src/callback /app/callback
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    OAUTH_CALLBACK_CONFIG=/config/config.json \
    OAUTH_CALLBACK_HOST=0.0.0.0
WORKDIR /app
# Without a DynamoDB table in config.json the programs share a SQLite file: put it on this volume, in both
# containers, with -e OAUTH_SESSION_STORE=/state/oauth-sessions.sqlite3 (the default is beside config.json).
RUN mkdir -m 0700 /state && chown 10001 /state
VOLUME ["/state"]
USER 10001
EXPOSE 8080
ENTRYPOINT ["python", "-m", "callback"]
