import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api():
    """An API client; `api.as_(user)` authenticates as that user."""

    class Client(APIClient):
        def as_(self, user):
            self.force_authenticate(user=user)
            return self

    return Client()


def error_of(response):
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]
