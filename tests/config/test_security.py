"""Production security settings: HTTPS, HSTS, a Content Security Policy the pages pass, and a
clean `check --deploy`."""

import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.utils import timezone

from tests.documents.test_signing import approver  # noqa: F401
from tests.documents.test_verification import issued  # noqa: F401
from tests.dossiers import dossier_in
from tests.tasks.test_apologies import late
from tests.tasks.test_apologies import post as post_apology

ROOT = Path(__file__).resolve().parents[2]


def production_env(**overrides) -> dict:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_", "CACHE_", "BROKER_", "SECURE_"))
    }
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="motcua.example.gov.vn",
        # Nothing connects to them during the checks.
        DATABASE_URL="postgres://motcua:secret@127.0.0.1:1/motcua",
        REDIS_URL="redis://127.0.0.1:1/0",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def run(args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_check_deploy_is_clean_with_production_settings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_https_redirect_and_hsts_are_on_by_default_when_debug_is_off():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "bool(s.CONTENT_SECURITY_POLICY))"
    )
    assert run(["-c", code], production_env()).stdout.split() == [
        "True",
        "31536000",
        "True",
        "True",
    ]
    debugging = run(["-c", code], production_env(DEBUG="true")).stdout.split()
    assert debugging[:2] == ["False", "0"]


def test_a_per_process_cache_is_refused_with_debug_off():
    no_redis = production_env(REDIS_URL=None)

    check = run(["manage.py", "check"], no_redis)
    assert check.returncode != 0
    assert "motcua.E001" in check.stderr + check.stdout
    # gunicorn runs no checks: the WSGI application refuses to load
    wsgi = run(["-c", "import config.wsgi"], no_redis)
    assert wsgi.returncode != 0
    assert "motcua.E001" in wsgi.stderr
    assert run(["-c", "import config.wsgi"], production_env()).returncode == 0


@pytest.mark.django_db
def test_plain_http_is_redirected_and_https_answers_with_hsts(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    plain = client.get("/admin/login/")
    secure = client.get("/admin/login/", secure=True)

    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/admin/login/"
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


# --- Content Security Policy -----------------------------------------------------------------


class InlineScripts(HTMLParser):
    """Collects what a `script-src 'self'` policy blocks: inline scripts, handlers, js: URLs."""

    DATA_TYPES = {"application/json", "application/ld+json", "text/template"}

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}={value}>")
        script_type = (values.get("type") or "").lower()
        self._in_inline_script = (
            tag == "script" and "src" not in values and script_type not in self.DATA_TYPES
        )

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.found.append(f"<script>{data.strip()[:60]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_inline_script = False


def inline_scripts(html: str) -> list[str]:
    parser = InlineScripts()
    parser.feed(html)
    return parser.found


def test_the_inline_script_finder_finds_them():
    html = (
        '<script>alert(1)</script><button onclick="x()">a</button>'
        '<a href="javascript:void(0)">b</a><script src="/static/x.js"></script>'
        '<script type="application/json">{"a": 1}</script>'
    )
    assert len(inline_scripts(html)) == 3


@pytest.mark.django_db
def test_the_pages_carry_the_policy_and_no_inline_script(client, api, world):
    dossier = dossier_in(world, "intake")
    apologized = late(world)
    assert post_apology(api, world.clerk, apologized).status_code == 201
    pages = {
        None: ["/admin/login/"],
        world.admin: [
            "/admin/",
            "/admin/procedures/dossier/",
            f"/admin/procedures/dossier/{dossier.pk}/change/",
            "/admin/procedures/user/",
            "/admin/procedures/user/add/",
            f"/admin/procedures/user/{world.clerk.pk}/change/",
            f"/admin/procedures/user/{world.clerk.pk}/password/",
            "/admin/procedures/unit/add/",
            "/admin/procedures/procedure/add/",
            "/admin/procedures/notice/",
            "/admin/inspections/inspection/",
            "/admin/inspections/inspection/add/",
            "/admin/accounts/loginlock/",
            "/admin/django_celery_beat/periodictask/add/",
            "/dashboard/",
            f"/dossiers/{apologized.code}/apology/",
            "/api/docs/",
        ],
        world.clerk: [f"/admin/procedures/dossier/{dossier.pk}/change/"],
        world.leader: ["/dashboard/"],
    }
    policy = None
    for user, urls in pages.items():
        if user is None:
            client.logout()
        else:
            client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            policy = response["Content-Security-Policy"]
            assert re.search(r"script-src 'self'(;|$)", policy), url
            assert inline_scripts(response.content.decode()) == [], url
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]


@pytest.mark.django_db
def test_the_pages_people_use_carry_the_policy_and_no_inline_script(
    client,
    world,
    issued,  # noqa: F811
):
    """The desk, the citizens' look-up and rating, the dashboard's unit and dossier pages and the
    public verification page: what each shows (its GET, or the page a POST answers with)."""
    handled = dossier_in(world, "intake")
    completed = dossier_in(world, "completed", at=timezone.now() - timedelta(hours=2))
    proof = {"ma": completed.code, "so_cuoi": "1234"}  # tests.dossiers: ID number 022090001234
    pages = [
        (None, "get", "/desk/login/", None, 200),
        (None, "get", "/tra-cuu/", None, 200),
        (None, "get", f"/tra-cuu/?ma={completed.code}", None, 200),
        (None, "post", "/tra-cuu/", proof, 200),
        (None, "post", "/tra-cuu/", {"ma": completed.code, "so_cuoi": "0000"}, 404),
        (None, "post", "/tra-cuu/danh-gia/", {**proof, "muc_do": "satisfied"}, 200),
        (None, "get", f"/xac-thuc/{issued.dossier.code}/", None, 200),
        (world.clerk, "get", "/desk/", None, 200),
        (world.clerk, "get", f"/desk/dossiers/{handled.code}/", None, 200),
        (world.clerk, "get", "/desk/register/", None, 200),
        (world.clerk, "get", f"/desk/dossiers/{handled.code}/forms/02/", None, 409),
        (world.clerk, "post", f"/desk/dossiers/{handled.code}/scans/", {}, 400),
        (world.clerk, "get", "/desk/password/", None, 200),
        (world.leader, "get", f"/desk/dossiers/{handled.code}/", None, 200),
        (world.leader, "get", f"/dashboard/don-vi/{world.unit.code}/", None, 200),
        (world.leader, "get", f"/dashboard/ho-so/{handled.code}/", None, 200),
        (world.inspector, "get", f"/dashboard/ho-so/{handled.code}/", None, 200),
    ]
    for user, method, url, data, status in pages:
        if user is None:
            client.logout()
        else:
            client.force_login(user)
        response = getattr(client, method)(url, data)
        assert response.status_code == status, url
        assert "text/html" in response["Content-Type"], url
        assert re.search(r"script-src 'self'(;|$)", response["Content-Security-Policy"]), url
        assert inline_scripts(response.content.decode()) == [], (method, url)
