"""Token authentication for the API."""

from rest_framework.authentication import TokenAuthentication

from procedures.caching import SharedVersionedValue


def _no_tokens_yet() -> dict:
    return {}


# key -> (user, token) found so far, dropped in every process whenever a user or token changes
_known_tokens = SharedVersionedValue("motcua:api-tokens", _no_tokens_yet)


class CachedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token …`, remembering tokens already checked in this process.

    Any change to a user or a token (deactivation, new role, revoked token) drops the copies of
    every process through the shared cache, seen by other processes within a second.
    """

    def authenticate_credentials(self, key):
        known = _known_tokens.get()
        found = known.get(key)
        if found is None:
            found = super().authenticate_credentials(key)
            known[key] = found
        return found


def forget_tokens(**kwargs) -> None:
    _known_tokens.invalidate()
