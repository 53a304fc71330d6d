from tests.processes import own_redis  # noqa: F401  (fixture)
