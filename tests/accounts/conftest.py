import pytest

from accounts.services import unlock

CLIENT = "127.0.0.1"  # REMOTE_ADDR of Django's test clients


@pytest.fixture(autouse=True)
def _no_address_lock():
    """Failures from the test client's address are counted in the cache, shared by tests."""
    unlock(address=CLIENT)
    yield
    unlock(address=CLIENT)
