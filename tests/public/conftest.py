import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    """The public throttles and the metrics reading cache count in the cache."""
    cache.clear()
    yield
    cache.clear()
