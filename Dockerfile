# Loa's production image: the locked dependencies and Loa's own wheel (not an editable checkout),
# run as a non-root user. Migrations are a separate one-shot step (`loa db upgrade`, see compose.yaml).
# PYTHON_IMAGE may name the same Python 3.11 base in an internal registry (--build-arg PYTHON_IMAGE=...).
ARG PYTHON_IMAGE=python:3.11-slim

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
COPY requirements.lock ./
RUN python -m venv /opt/loa && /opt/loa/bin/pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml setup.py README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
RUN /opt/loa/bin/pip wheel --no-deps --wheel-dir /dist . && /opt/loa/bin/pip install --no-deps /dist/loa-*.whl

FROM ${PYTHON_IMAGE}
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH=/opt/loa/bin:$PATH \
    LOA_ENV=production PORT=8000 WEB_CONCURRENCY=2 LOA_MEDIA_DIR=/srv/loa/media
RUN useradd --create-home --uid 10001 loa && mkdir -p /srv/loa/media && chown loa /srv/loa/media
COPY --from=build /opt/loa /opt/loa
WORKDIR /srv/loa
USER loa
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/livez' % os.environ.get('PORT', '8000'), timeout=2)"]
# DATABASE_URL and LOA_SECRET_KEY come from the environment.
CMD ["sh", "-c", "exec loa serve --host 0.0.0.0 --port ${PORT}"]
