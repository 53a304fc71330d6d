"""The desk speaks Vietnamese whatever the browser asks for; English only by the user's choice.

The choice is kept in Django's language cookie (set by `switch_language`), so it sticks across
logins on that browser. The API keeps honouring Accept-Language.
"""

from django.conf import settings
from django.utils import translation

# The desk, and the printable forms it opens (procedures.urls: form 04), which citizens are handed.
DESK_PREFIXES = ("/desk/", "/dossiers/")


class DeskLanguageMiddleware:
    """After LocaleMiddleware: on desk pages, the cookie's language or the default, never the
    browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/" or request.path.startswith(DESK_PREFIXES):
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            if chosen not in dict(settings.LANGUAGES):
                chosen = settings.LANGUAGE_CODE
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)
