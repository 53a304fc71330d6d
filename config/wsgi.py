import os

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# gunicorn runs no system checks: refuse to serve on settings that cannot be correct
# (accounts/checks.py), as `manage.py check` and `migrate` do.
_errors = [error for error in checks.run_checks(tags=["motcua"]) if error.is_serious()]
if _errors:
    raise ImproperlyConfigured("; ".join(f"{error.id}: {error.msg}" for error in _errors))
