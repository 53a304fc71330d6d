"""Model instances from a row of a fixed, hand-written SELECT: what the ORM's select_related
gives, without compiling the query on every call.

A hot read (one dossier for a request, the token of a request) asks the same question every
time; building the SQL with the ORM costs more CPU than the database spends answering it. Such a
read writes its SQL once from the models' columns (`select_list`) and turns each row into the same
instances the ORM would (`Joined.build`: the backend's and the fields' converters applied,
`Model.from_db`), so the rest of the code cannot tell.
"""


def select_list(models, quote) -> str:
    """`alias.column, ...` of every concrete field of each (model, alias), in field order."""
    return ", ".join(
        f"{alias}.{quote(field.column)}"
        for model, alias in models
        for field in model._meta.concrete_fields
    )


class Joined:
    """Turns a row selected with `select_list(models)` into one instance per model (None where
    an outer join found no row)."""

    def __init__(self, models):
        self.models = models
        self.layout = None

    def _prepare(self, connection):
        layout = []
        for model, alias in self.models:
            fields = model._meta.concrete_fields
            converters = []
            for index, field in enumerate(fields):
                column = field.get_col(alias)
                found = connection.ops.get_db_converters(column) + field.get_db_converters(
                    connection
                )
                if found:
                    converters.append((index, column, found))
            key = [f.primary_key for f in fields].index(True)
            layout.append((model, [f.attname for f in fields], key, converters))
        return layout

    def build(self, row, connection) -> list:
        if self.layout is None:
            self.layout = self._prepare(connection)
        built, start = [], 0
        for model, attnames, key, converters in self.layout:
            values = list(row[start : start + len(attnames)])
            start += len(attnames)
            if values[key] is None:  # outer join without a row
                built.append(None)
                continue
            for index, column, found in converters:
                for convert in found:
                    values[index] = convert(values[index], column, connection)
            built.append(model.from_db(connection.alias, attnames, values))
        return built
