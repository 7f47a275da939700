# Mailroom's container image. Build: `docker build -t mailroom .`; run and configure: docs/deploy.md.
# Two stages: the first installs the locked dependencies and Mailroom into /app/.venv with uv;
# the second is a slim Python with that virtualenv, the email templates and a non-root user.

ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /src
# Dependencies first, from the lock file only, so this layer is reused until uv.lock changes.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --frozen --no-dev --no-install-project
COPY bot ./bot
COPY cards ./cards
COPY emulator ./emulator
RUN uv sync --frozen --no-dev --no-editable

FROM ${PYTHON_IMAGE}
RUN useradd --system --uid 10001 --user-group --no-create-home --home-dir /app mailroom \
    && mkdir -p /data \
    && chown mailroom:mailroom /data
COPY --from=build /app/.venv /app/.venv
COPY templates /app/templates
WORKDIR /app
# The SQLite database lives on the /data volume; set MAILROOM_DATABASE_URL to use PostgreSQL.
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    MAILROOM_DATABASE_URL=sqlite:////data/mailroom.db \
    MAILROOM_LOG_FORMAT=json
USER mailroom
VOLUME ["/data"]
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3978'), timeout=4)"]
CMD ["mailroom", "serve"]
