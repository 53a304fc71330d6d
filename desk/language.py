"""The site's pages speak Vietnamese whatever the browser asks for; English only by the user's
choice. One mechanism for the desk, the leaders' dashboard and the citizens' look-up.

The choice is kept in Django's language cookie (set by `switch_language`), so it sticks across
logins on that browser. The API keeps honouring Accept-Language.
"""

from django.conf import settings
from django.utils import translation

# The desk, the printable forms it opens (procedures.urls: form 04), which citizens are handed,
# the leaders' dashboard, the citizens' look-up and rating, and the public verification page.
SITE_LANGUAGE_PREFIXES = ("/desk/", "/dossiers/", "/dashboard/", "/tra-cuu/", "/xac-thuc/")


class DeskLanguageMiddleware:
    """After LocaleMiddleware: on the site's pages, the cookie's language or the default, never
    the browser's (LocaleMiddleware then sends it as Content-Language)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/" or request.path.startswith(SITE_LANGUAGE_PREFIXES):
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            if chosen not in dict(settings.LANGUAGES):
                chosen = settings.LANGUAGE_CODE
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)
