"""The connection a raw SQL read uses: where the database router sends the ORM's reads.

Without read replicas that is always the primary. With DATABASE_REPLICA_URLS, a leader's or an
inspector's heavy read (config/routers.py) goes to a replica; a raw SQL read opened on
`django.db.connection` would stay on the primary.
"""

from django.db import connections, router


def read_connection(model=None):
    return connections[router.db_for_read(model)]
