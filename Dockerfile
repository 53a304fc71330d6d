# The motcua application image: gunicorn serves Django; the same image runs Celery.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

RUN groupadd --system motcua \
    && useradd --system --gid motcua --home-dir /app --no-create-home motcua

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are built into the image with the production storage (compressed, via whitenoise);
# the settings need a SECRET_KEY when DEBUG is off, so the build step gets a throwaway one.
RUN DEBUG=false SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && mkdir -p /app/media \
    && chown motcua:motcua /app/media

USER motcua
EXPOSE 8000

CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4"]
