"""What PostgreSQL's planner makes of a statement, for the plan tests."""

from django.db import connection


def plan_of(sql: str) -> str:
    with connection.cursor() as cursor:
        # Small test tables would be read whole; rule that out to see what the indexes allow.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())
