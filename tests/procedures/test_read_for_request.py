"""selectors.dossier_for_request: the detail's and the transitions' read, in one fixed
statement (prepared on PostgreSQL), giving the same instances as the ORM's scoped
queryset with its joins and prefetched components; and the token read (api.authentication)."""

import pytest
from django.db import connection
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext

from procedures import selectors
from procedures.models import DOSSIER_MACHINE, Dossier, DossierComponent, DossierState
from tests.dossiers import dossier_in, new_dossier

pytestmark = pytest.mark.django_db


def orm_read(user, code):
    return (
        selectors.dossiers_visible_to(user)
        .select_related("procedure", "unit", "handler")
        .prefetch_related(
            Prefetch(
                "components",
                queryset=DossierComponent.objects.select_related("file").order_by("position", "id"),
            )
        )
        .get(code=code)
    )


def values(obj):
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_the_read_gives_what_the_orm_gives(world):
    dossier = dossier_in(world, DossierState.APPRAISAL)  # components digitized
    Dossier.objects.filter(pk=dossier.pk).update(handler=world.specialist)
    expected = orm_read(world.specialist, dossier.code)
    with CaptureQueriesContext(connection) as queries:
        got = selectors.dossier_for_request(world.specialist, dossier.code)
        components = list(got.components.all())
        procedure, unit, handler = got.procedure, got.unit, got.handler
        files = [c.file for c in components]
    # one statement (prepared once per connection on PostgreSQL), in the query log
    assert len(queries.captured_queries) == 1
    assert all(query["sql"] for query in queries.captured_queries)
    assert values(got) == values(expected)
    assert values(procedure) == values(expected.procedure)
    assert values(unit) == values(expected.unit)
    assert handler is not None and values(handler) == values(expected.handler)
    assert [values(c) for c in components] == [values(c) for c in expected.components.all()]
    expected_files = [c.file and values(c.file) for c in expected.components.all()]
    assert [f and values(f) for f in files] == expected_files
    assert all(c.dossier is got for c in components)


def test_a_dossier_without_handler_nor_scans(world):
    dossier = new_dossier(world)  # submitted online: no handler, nothing digitized
    got = selectors.dossier_for_request(world.clerk, dossier.code)
    assert got.handler is None
    assert [c.file for c in got.components.all()] == [None] * dossier.components.count()
    assert not got.procedure.issues_result or got.result_file_id is None


def test_a_dossier_without_components(world):
    from procedures.models import DossierComponent

    dossier = new_dossier(world)
    DossierComponent.objects.filter(dossier=dossier).delete()
    got = selectors.dossier_for_request(world.clerk, dossier.code)
    assert got.pk == dossier.pk and got.code == dossier.code
    assert list(got.components.all()) == []


def test_the_read_is_scoped_to_what_the_user_may_read(world):
    dossier = new_dossier(world, unit=world.other_unit, actor=world.admin)
    assert selectors.dossier_for_request(world.clerk, dossier.code) is None
    assert selectors.dossier_for_request(world.admin, dossier.code).pk == dossier.pk
    assert selectors.dossier_for_request(world.admin, "KHONG-CO") is None
    assert Dossier.objects.filter(code=dossier.code).exists()


def test_forward_checks_the_components_read_with_the_dossier(world):
    dossier = dossier_in(world, DossierState.INTAKE)
    read = selectors.dossier_for_request(world.clerk, dossier.code)
    with CaptureQueriesContext(connection) as queries:
        allowed = "forward" in DOSSIER_MACHINE.allowed_actions(read, world.clerk)
    assert not allowed  # components not digitized yet (the new dossier's required ones)
    assert not [q for q in queries.captured_queries if "dossiercomponent" in q["sql"]]


def test_the_token_read_gives_what_the_orm_gives(world):
    from rest_framework.authtoken.models import Token

    from api.authentication import token_with_user

    key = Token.objects.create(user=world.clerk).key
    expected = Token.objects.select_related("user").get(key=key)
    with CaptureQueriesContext(connection) as queries:
        got = token_with_user(key)
        user = got.user
    assert len(queries.captured_queries) == 1
    assert values(got) == values(expected)
    assert values(user) == values(expected.user)
    assert token_with_user("0" * 40) is None


def test_list_rows_render_as_the_model_instances_do(world, api):
    """The list builds its rows from tuples (procedures.api.views.ListRow): same JSON as the
    serializer gives for the model instances, with and without a handler, open and finished."""
    from django.utils import timezone

    from procedures.api.serializers import DossierListSerializer

    dossiers = [
        dossier_in(world, DossierState.APPRAISAL),
        dossier_in(world, DossierState.INTAKE),  # handled by the clerk
        new_dossier(world),  # no handler
        dossier_in(world, DossierState.COMPLETED),
    ]
    Dossier.objects.filter(pk=dossiers[0].pk).update(due_at=timezone.now())  # overdue now
    api.as_(world.clerk)
    listed = api.get("/api/v1/dossiers/").json()["results"]
    instances = Dossier.objects.filter(pk__in=[d.pk for d in dossiers]).order_by(
        "-received_at", "-id"
    )
    expected = DossierListSerializer(instances, many=True, context={"now": timezone.now()}).data
    assert listed == expected
    assert {row["handler"] for row in listed} >= {None, "clerk"}



@pytest.mark.postgres
def test_on_postgresql_the_hot_statements_are_prepared_once_per_connection(world):
    """The dossier read (with its components) and a transition's write are parsed and planned
    once per connection, then only executed (core.rows.prepared_cursor)."""
    from documents.services import perform_action

    first = dossier_in(world, DossierState.APPRAISAL)
    second = dossier_in(world, DossierState.APPRAISAL)

    def prepared() -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
            return [row[0] for row in cursor.fetchall()]

    before = prepared()
    for dossier in (first, second):
        read = selectors.dossier_for_request(world.specialist, dossier.code)
        perform_action(dossier=read, actor=world.specialist, action="propose", opinion="Đủ")
        if dossier is first:
            after_first = prepared()
    new = [s for s in after_first if s not in before]
    assert any(
        "FROM \"procedures_dossier\" d" in s and "JOIN \"procedures_dossiercomponent\" c" in s
        for s in new
    )
    assert any(s.startswith("WITH moved AS (UPDATE \"procedures_dossier\"") for s in new)
    assert prepared() == after_first  # the second dossier ran the same statements
    assert Dossier.objects.filter(state=DossierState.APPROVAL).count() == 2
