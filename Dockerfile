FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 LOA_ENV=production PORT=8000
WORKDIR /srv/loa
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
RUN pip install --no-cache-dir -e . && useradd --create-home --uid 10001 loa && mkdir -p /srv/loa/media && chown loa /srv/loa/media
USER loa
ENV LOA_MEDIA_DIR=/srv/loa/media
EXPOSE 8000
# DATABASE_URL and LOA_SECRET_KEY come from the environment; migrations run on start.
CMD ["sh", "-c", "loa serve --migrate --host 0.0.0.0 --port ${PORT}"]
