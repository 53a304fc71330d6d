"""The Content Security Policy header (Django 5.2 has no CSP support of its own)."""

from django.conf import settings


class ContentSecurityPolicyMiddleware:
    """Adds `Content-Security-Policy: settings.CONTENT_SECURITY_POLICY` to every response.

    The default allows scripts only from this site's files: no inline `<script>` blocks, no
    `on…=` attributes, no `javascript:` URLs (tests/config/test_security.py checks the pages).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
