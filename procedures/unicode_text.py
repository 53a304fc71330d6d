"""Stored text brought to NFC, the form the API normalizes input to (api/input.py).

Rows written before input was normalized may hold names in decomposed form (NFD), which an NFC
search does not find. `normalize_stored_text` rewrites them: one set-based UPDATE per table on
PostgreSQL (`normalize(col, NFC)`), row by row elsewhere. Text columns with a unique constraint
are rewritten only where the NFC value is not already taken, so the migration never fails on a
duplicate.
"""

import unicodedata

from django.db import models

APPS = ("procedures", "digitization", "inspections")


def text_columns(model) -> tuple[list, list]:
    """(plain, unique) text fields of a model that hold free text (not choices)."""
    plain, unique = [], []
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.CharField | models.TextField) or field.choices:
            continue
        (unique if field.unique else plain).append(field)
    return plain, unique


def normalize_stored_text(apps, schema_editor) -> None:
    connection = schema_editor.connection
    in_sql = connection.vendor == "postgresql" and _utf8(connection)
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            if model._meta.proxy or not model._meta.managed:
                continue
            plain, unique = text_columns(model)
            if in_sql:
                _normalize_in_sql(connection, model, plain, unique)
            elif plain or unique:
                _normalize_rows(model, plain, unique)


def _utf8(connection) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_encoding")
        return cursor.fetchone()[0].upper() in ("UTF8", "UTF-8")


def _normalize_in_sql(connection, model, plain, unique) -> None:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        if plain:
            columns = [quote(field.column) for field in plain]
            sets = ", ".join(f"{c} = normalize({c}, NFC)" for c in columns)
            where = " OR ".join(f"{c} IS NOT NFC NORMALIZED" for c in columns)
            cursor.execute(f"UPDATE {table} SET {sets} WHERE {where}")
        for field in unique:
            c = quote(field.column)
            cursor.execute(
                f"UPDATE {table} AS t SET {c} = normalize(t.{c}, NFC) "
                f"WHERE t.{c} IS NOT NFC NORMALIZED AND NOT EXISTS "
                f"(SELECT 1 FROM {table} AS o WHERE o.{c} = normalize(t.{c}, NFC))"
            )


def _nfc(value):
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


def _normalize_rows(model, plain, unique) -> None:
    names = [field.attname for field in plain + unique]
    changed = []
    for row in model._base_manager.only("pk", *names).iterator(chunk_size=2000):
        dirty = False
        for field in plain:
            value = getattr(row, field.attname)
            if _nfc(value) != value:
                setattr(row, field.attname, _nfc(value))
                dirty = True
        for field in unique:
            value = getattr(row, field.attname)
            if _nfc(value) != value and not model._base_manager.filter(
                **{field.attname: _nfc(value)}
            ).exists():
                setattr(row, field.attname, _nfc(value))
                dirty = True
        if dirty:
            changed.append(row)
    if changed:
        model._base_manager.bulk_update(changed, names, batch_size=500)
