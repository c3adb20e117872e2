# syntax=docker/dockerfile:1
# Casepath: one image for web (gunicorn), worker and beat (celery) and the one-shot migration.

# --- the bpmn-js bundle, built from the lock file -------------------------------------------------
FROM node:20-slim AS assets
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web/assets web/assets
RUN npm run build

# --- the application ----------------------------------------------------------------------------------
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CASEPATH_INSTANCE_DIR=/app/instance \
    CASEPATH_WORKFLOWS_DIR=/app/workflows
# WeasyPrint (outgoing documents as PDF) needs pango, and the documents need a font with Cyrillic:
# DejaVu, which the PDF embeds. Nothing else is added to the slim image.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
       fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin casepath
WORKDIR /app
COPY pyproject.toml README.md ./
COPY engine engine
COPY web web
COPY tasks tasks
COPY cli cli
COPY --from=assets /src/web/static/dist web/static/dist
RUN pip install ".[s3]" && rm -rf build *.egg-info
# Pathways and forms are read from here (they are versioned with the code, deployed by coordinators).
COPY workflows workflows
RUN mkdir -p /app/instance && chown casepath:casepath /app/instance
USER casepath
EXPOSE 8000
# The access log names paths without query strings, and no log line carries an exception's message.
CMD ["gunicorn", "-c", "python:web.gunicorn_conf", "web.wsgi:app"]
