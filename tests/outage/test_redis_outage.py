"""Redis (cache and broker) stopped in the middle of the work: users do not notice, and the
notices queued meanwhile are sent once it is back. A redis-server of the test's own, never the
shared one."""

import os
import time

import pytest
from django.test import Client as DjangoClient
from rest_framework.authtoken.models import Token

from procedures import tasks
from procedures.models import Notice, NoticeKind, NoticeStatus
from tests.api_client import Client
from tests.processes import start_worker, stop, wait_for_worker
from tests.tasks.conftest import broker, database_url, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

APPLICANT = {
    "full_name": "Trần Thị Dung",
    "id_number": "022190005678",
    "phone": "0987654321",
    "email": "dung@example.vn",
    "address": "Tổ 5, khu 3, Hồng Gai",
}
SLOWEST = 3.0  # seconds a request may take while Redis is down


@pytest.fixture
def redis_cache(settings, own_redis):
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": own_redis.url,
            "KEY_PREFIX": "outage-test",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return own_redis


@pytest.fixture
def worker(own_redis, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": own_redis.url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "CONN_MAX_AGE": "0",
    }
    log = tmp_path / "worker.log"
    process = start_worker(env=env, log_path=log, name="outage")
    try:
        with broker(own_redis.url):
            wait_for_worker(process, log)
            yield process, log
    finally:
        stop(process)


class Timed:
    """Every request made through it, with its status and how long it took."""

    def __init__(self):
        self.seen: list[tuple[str, int, float]] = []

    def __call__(self, label, send):
        started = time.monotonic()
        response = send()
        self.seen.append((label, response.status_code, time.monotonic() - started))
        return response


def test_users_do_not_notice_a_redis_outage_and_notices_go_out_when_it_is_back(
    world, redis_cache, worker
):
    worker_process, worker_log = worker
    api, admin_browser, citizen = Client(), DjangoClient(), Client()
    timed = Timed()

    def get_token():
        return timed(
            "token",
            lambda: api.post(
                "/api/v1/auth/token/",
                {"username": "clerk", "password": "s3cret-pass-123"},
                format="json",
            ),
        )

    def register():
        response = timed(
            "register",
            lambda: api.post(
                "/api/v1/dossiers/",
                {
                    "procedure": world.procedure.code,
                    "unit": world.unit.code,
                    "channel": "online",
                    "applicant": APPLICANT,
                },
                format="json",
            ),
        )
        return response.json()["code"] if response.status_code == 201 else None

    # Redis is up: the usual work.
    token = get_token().json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    before = register()

    redis_cache.stop()

    assert get_token().status_code == 200  # the same token, read from the database
    codes = [register() for _ in range(5)]
    assert all(codes)
    for code in codes:
        accepted = timed("accept", lambda code=code: api.post(f"/api/v1/dossiers/{code}/accept/"))
        assert accepted.json()["state"] == "intake"
    assert timed("list", lambda: api.get("/api/v1/dossiers/")).status_code == 200
    assert timed("detail", lambda: api.get(f"/api/v1/dossiers/{before}/")).status_code == 200
    assert (
        timed(
            "wrong token",
            lambda: Client().get("/api/v1/units/", HTTP_AUTHORIZATION="Token nope"),
        ).status_code
        == 401
    )
    lookup = f"/api/v1/public/dossiers/{codes[0]}/"
    assert timed("look-up", lambda: citizen.get(lookup, {"id_last4": "5678"})).status_code == 200
    assert timed("look-up", lambda: citizen.get(lookup, {"id_last4": "0000"})).status_code == 404
    login = timed(
        "admin login",
        lambda: admin_browser.post(
            "/admin/login/?next=/admin/",
            {"username": "clerk", "password": "s3cret-pass-123"},
        ),
    )
    assert login.status_code == 302
    assert timed("admin page", lambda: admin_browser.get("/admin/")).status_code == 200
    revoked = timed("revoke", lambda: api.post("/api/v1/auth/token/revoke/"))
    assert revoked.status_code == 204
    assert not Token.objects.filter(key=token).exists()

    assert [label for label, status, _ in timed.seen if status >= 500] == []
    assert max(seconds for *_, seconds in timed.seen) < SLOWEST, timed.seen
    receipts = Notice.objects.filter(kind=NoticeKind.RECEIPT, dossier__code__in=codes)
    assert receipts.count() == 5
    assert set(receipts.values_list("status", flat=True)) == {NoticeStatus.PENDING}

    redis_cache.start()

    def periodic_job_published():
        """beat's next run of the notice job reaches the broker"""
        try:
            tasks.send_pending_notices.delay()
        except Exception:  # the publisher's pooled connection may still be the dead one
            return False
        return True

    wait_until(periodic_job_published, timeout=30)

    def receipts_sent():
        """the 5 receipts queued during the outage are sent"""
        return set(receipts.values_list("status", flat=True)) == {NoticeStatus.SENT}

    wait_until(receipts_sent, timeout=90)
    assert worker_process.poll() is None, worker_log.read_text()
    assert "Unrecoverable error" not in worker_log.read_text()
