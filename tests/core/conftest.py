from tests.inspections.conftest import plan, started  # noqa: F401  (fixtures)
