# The motcua application image: gunicorn serves Django; the same image runs Celery.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

RUN groupadd --system motcua \
    && useradd --system --gid motcua --home-dir /app --no-create-home motcua

# pg_dump/pg_restore for `manage.py backup`/`restore`, of the server's major version (compose
# runs postgres:16), from the PostgreSQL project's Debian repository.
ARG PG_MAJOR=16
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl ca-certificates \
    && install -d /usr/share/postgresql-common/pgdg \
    && curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
        https://www.postgresql.org/media/keys/ACCC4CF8.asc \
    && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt $(. /etc/os-release && echo "$VERSION_CODENAME")-pgdg main" \
        > /etc/apt/sources.list.d/pgdg.list \
    && apt-get update \
    && apt-get install -y --no-install-recommends "postgresql-client-${PG_MAJOR}" \
    && apt-get purge -y curl && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are built into the image with the production storage (compressed, via whitenoise);
# the settings need a SECRET_KEY when DEBUG is off, so the build step gets a throwaway one.
RUN DEBUG=false SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && mkdir -p /app/media /backups \
    && chown motcua:motcua /app/media /backups

USER motcua
EXPOSE 8000

# Workers and threads by the rule in config/gunicorn.conf.py (2 × cores + 1 gthread workers × 2
# threads; WEB_WORKERS / WEB_THREADS override), the file bench/api.py measures.
CMD ["gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi:application"]
