"""The API test client and the error-shape check shared by every app's API tests."""

from rest_framework.test import APIClient


class Client(APIClient):
    def as_(self, user):
        """Authenticate every following request as `user`."""
        self.force_authenticate(user=user)
        return self


def error_of(response) -> dict:
    """The `error` object of a response, after checking the one error shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    return body["error"]
