"""Search that ignores case and Vietnamese accents ("nguyen van" finds "Nguyễn Văn").

PostgreSQL folds with translate() over a fixed table of accented letters (no extension needed);
SQLite calls a Python function registered on each connection. Both fold to lower-case ASCII.
"""

import unicodedata

from django.db.backends.signals import connection_created
from django.db.models import Func, TextField


def _build_table() -> tuple[str, str]:
    accented, plain = [], []
    for code in range(0x00C0, 0x1EFA):
        char = chr(code)
        base = unicodedata.normalize("NFD", char)[0]
        if base != char and base.isascii() and base.isalpha():
            accented.append(char)
            plain.append(base.lower())
    accented += ["Đ", "đ"]
    plain += ["d", "d"]
    return "".join(accented), "".join(plain)


ACCENTED, PLAIN = _build_table()
_FOLD = str.maketrans(ACCENTED, PLAIN)


def fold(text: str) -> str:
    """Lower-case ASCII: the same folding the database applies in FoldedText."""
    return unicodedata.normalize("NFC", text or "").translate(_FOLD).lower()


class FoldedText(Func):
    """The expression's text without accents, in lower case."""

    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"LOWER(TRANSLATE({sql}, %s, %s))", [*params, ACCENTED, PLAIN]

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"motcua_fold({sql})", params

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"LOWER({sql})", params


def _register(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("motcua_fold", 1, fold, deterministic=True)


def register_sqlite_function():
    connection_created.connect(_register, dispatch_uid="desk.search.fold")


def search_dossiers(queryset, text: str):
    """By code (its beginning) when the text looks like one, else by the applicant's name."""
    text = " ".join((text or "").split())
    if not text:
        return queryset
    if any(ch.isdigit() for ch in text) and " " not in text:
        return queryset.filter(code__startswith=text.upper())
    return queryset.annotate(folded_name=FoldedText("applicant_full_name")).filter(
        folded_name__contains=fold(text)
    )
