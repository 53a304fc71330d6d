"""Schemathesis over the OpenAPI schema, as every role and anonymous: no 5xx, and every documented
response matches its schema.

Each API operation gets `FUZZ_EXAMPLES` generated cases (default 90, about 5,300 in all), half
fitting the schema and half not; path parameters are random or point at real objects (a dossier
in each state, the unit, the procedure, an inspection in progress with a sample and a finding).
The six roles and anonymous take turns sending the cases. Generation is
derandomized so that CI is repeatable; `bench/fuzz.sh` runs the random, longer version against a
live gunicorn.
"""

import os
import time
from collections import Counter
from datetime import timedelta

import hypothesis.strategies as st
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from inspections import services as inspections
from tests.dossiers import dossier_in

EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "90"))
MINIMUM_CASES = int(os.environ.get("FUZZ_MINIMUM_CASES", "5000"))
ROLES = ("clerk", "specialist", "approver", "inspector", "leader", "admin")
CHECKS = [not_a_server_error, response_schema_conformance]


def fuzz_world(world) -> dict:
    """Real objects for the path parameters, and a token per role."""
    at = timezone.now() - timedelta(days=3)
    dossiers = {
        state: dossier_in(world, state, at=at)
        for state in ("submitted", "intake", "appraisal", "approval", "signing", "completed")
    }
    inspection = inspections.create_inspection(
        actor=world.inspector,
        unit=world.unit,
        kind="regular",
        lead=world.inspector,
        period_start=(at - timedelta(days=30)).date(),
        period_end=timezone.localdate(),
        planned_start=timezone.localdate(),
        planned_end=timezone.localdate() + timedelta(days=30),
        scope="Thủ tục hộ tịch",
    )
    inspection = inspections.start_inspection(inspection=inspection, actor=world.inspector)
    sampled = inspections.draw_sample(inspection=inspection, actor=world.inspector, size=3, seed=1)
    finding = inspections.record_finding(
        inspection=inspection,
        actor=world.inspector,
        staff=world.clerk,
        kind="other",
        severity="minor",
        description="Thiếu phiếu kiểm soát.",
        dossiers=[dossiers["completed"]],
    )
    intake = dossiers["intake"]
    return {
        "dossier_codes": [d.code for d in dossiers.values()],
        "component_ids": list(intake.components.values_list("pk", flat=True)),
        "unit_codes": [world.unit.code, world.other_unit.code],
        "procedure_codes": [world.procedure.code],
        "inspection_ids": [inspection.pk],
        "finding_ids": [finding.pk],
        "sampled_codes": [s.dossier.code for s in sampled],
        "tokens": {role: Token.objects.create(user=getattr(world, role)).key for role in ROLES},
    }


def real_path_parameters(path: str, objects: dict):
    """A strategy for path parameters naming real objects, or None when the path has none."""
    choices = {}
    if path.startswith("/api/v1/dossiers/{code}") or path.startswith("/api/v1/public/"):
        choices["code"] = objects["dossier_codes"]
    elif path.startswith("/api/v1/units/{code}"):
        choices["code"] = objects["unit_codes"]
    elif path.startswith("/api/v1/procedures/{code}"):
        choices["code"] = objects["procedure_codes"]
    elif path.startswith("/api/v1/inspections/findings/{id}"):
        choices["id"] = objects["finding_ids"]
    elif path.startswith("/api/v1/inspections/{id}"):
        choices["id"] = objects["inspection_ids"]
    if "{component_id}" in path:
        choices["component_id"] = objects["component_ids"]
    if "{dossier_code}" in path:
        choices["dossier_code"] = objects["sampled_codes"]
    if not choices:
        return None
    return st.fixed_dictionaries({name: st.sampled_from(vals) for name, vals in choices.items()})


def case_strategy(operation):
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )


@pytest.fixture
def connection_kept_between_requests():
    """The WSGI app closes the database connection after each request, as in production; here it
    holds the test's transaction, so keep it (as Django's test client does)."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.usefixtures("connection_kept_between_requests")
def test_fuzzing_the_api_as_every_role_finds_no_server_error_and_no_schema_mismatch(world):
    objects = fuzz_world(world)
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    identities = (*ROLES, "anonymous")
    sent: Counter = Counter()
    spent: Counter = Counter()
    started = time.perf_counter()
    failures: list[str] = []

    for result in schema.get_all_operations():
        operation = result.ok()

        real = real_path_parameters(operation.path, objects)

        @given(
            case=case_strategy(operation),
            real=st.none() if real is None else st.one_of(st.none(), real),
        )
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],  # no shrinking: identities take turns
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case, real):
            identity = identities[sum(sent.values()) % len(identities)]
            if real is not None:
                case.path_parameters = {**(case.path_parameters or {}), **real}
            headers = {}
            if identity != "anonymous":
                headers["Authorization"] = f"Token {objects['tokens'][identity]}"
            started = time.perf_counter()
            response = case.call(headers=headers)
            sent[identity] += 1
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except BaseException as error:
                error.add_note(f"sent as {identity}")
                raise
            spent["requests"] += time.perf_counter() - started

        try:
            fuzz()
        except BaseException as error:  # one operation's failures must not hide the others'
            if isinstance(error, KeyboardInterrupt | SystemExit):
                raise
            notes = " ".join(getattr(error, "__notes__", []))
            failures.append(f"{operation.method.upper()} {operation.path}: {error} {notes}")

    total = time.perf_counter() - started
    print(
        f"\nfuzzing: {sum(sent.values())} cases in {total:.0f} s "
        f"({spent['requests']:.0f} s sending and checking), per identity {dict(sent)}"
    )
    assert failures == []
    assert sum(sent.values()) >= MINIMUM_CASES
    assert set(sent) == set(identities)
