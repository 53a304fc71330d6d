"""Sign-in lock-outs on the API token and the admin login, and how an administrator lifts them."""

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.models import LoginLock
from tests.api_client import error_of

pytestmark = pytest.mark.django_db

RIGHT = "s3cret-pass-123"  # tests.factories.UserFactory


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 5
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 20
    settings.LOGIN_LOCK_MINUTES = 15


def token(api, username, password, address="127.0.0.1"):
    return api.post(
        "/api/v1/auth/token/",
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=address,
    )


def admin_login(client, username, password):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(api, world):
    assert [token(api, "clerk", f"wrong-{n}").status_code for n in range(5)] == [400] * 5

    response = token(api, "clerk", RIGHT)

    assert response.status_code == 429
    error = error_of(response)
    assert error["code"] == "login_locked"
    assert "tài khoản bị tạm khóa" in error["message"]  # Vietnamese by default
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    lock = LoginLock.objects.get(user=world.clerk)
    assert lock.failures == 5 and lock.locked_until > timezone.now()
    # other accounts are not affected
    assert token(api, "specialist", RIGHT).status_code == 200


def test_the_lock_ends_after_its_time(api, world):
    for n in range(5):
        token(api, "clerk", f"wrong-{n}")
    assert token(api, "clerk", RIGHT).status_code == 429

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        response = token(api, "clerk", RIGHT)

    assert response.status_code == 200
    assert not LoginLock.objects.filter(user=world.clerk).exists()


def test_a_success_clears_the_failures_and_old_failures_stop_counting(api, world):
    for n in range(4):
        token(api, "clerk", f"wrong-{n}")
    assert token(api, "clerk", RIGHT).status_code == 200
    for n in range(4):
        token(api, "clerk", f"wrong-{n}")
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        token(api, "clerk", "wrong-again")  # the four before are too old: 1 failure
        assert token(api, "clerk", RIGHT).status_code == 200


def test_wrong_passwords_from_one_address_lock_it_whatever_the_usernames(api, world, settings):
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 3
    for name in ("nobody", "ghost", "clerk"):
        assert token(api, name, "guess", address="10.9.9.9").status_code == 400

    response = token(api, "specialist", RIGHT, address="10.9.9.9")

    assert response.status_code == 429
    assert "từ địa chỉ này" in error_of(response)["message"]
    # another address is not held back; the account itself is not locked
    assert token(api, "specialist", RIGHT, address="10.9.9.10").status_code == 200


def test_the_admin_login_counts_failures_and_refuses_a_locked_account(client, api, world):
    world.admin.set_password(RIGHT)
    world.admin.save()
    for n in range(5):
        response = admin_login(client, "admin", f"wrong-{n}")
        assert response.status_code == 200  # the form again, with its error

    response = admin_login(client, "admin", RIGHT)

    assert response.status_code == 200
    assert "tài khoản bị tạm khóa" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # the API door is locked too: one lock per account
    assert token(api, "admin", RIGHT).status_code == 429


def test_an_administrator_unlocks_an_account_with_the_command(api, world):
    for n in range(5):
        token(api, "clerk", f"wrong-{n}")
    assert token(api, "clerk", RIGHT).status_code == 429

    call_command("unlock_login", "clerk")

    assert token(api, "clerk", RIGHT).status_code == 200


def test_an_administrator_unlocks_an_address_with_the_command(api, world, settings):
    settings.LOGIN_MAX_FAILURES_PER_ADDRESS = 1
    token(api, "nobody", "guess", address="10.8.8.8")
    assert token(api, "clerk", RIGHT, address="10.8.8.8").status_code == 429

    call_command("unlock_login", "--address", "10.8.8.8")

    assert token(api, "clerk", RIGHT, address="10.8.8.8").status_code == 200


def test_an_administrator_unlocks_accounts_in_the_admin(client, api, world):
    for n in range(5):
        token(api, "clerk", f"wrong-{n}")
    lock = LoginLock.objects.get(user=world.clerk)
    client.force_login(world.admin)

    listing = client.get("/admin/accounts/loginlock/")
    assert listing.status_code == 200 and "clerk" in listing.content.decode()
    response = client.post(
        "/admin/accounts/loginlock/",
        {"action": "unlock_accounts", "_selected_action": [lock.pk]},
    )

    assert response.status_code == 302
    assert not LoginLock.objects.exists()
    assert token(api, "clerk", RIGHT).status_code == 200


def test_only_administrators_see_the_locks_in_the_admin(client, world):
    client.force_login(world.leader)
    assert client.get("/admin/accounts/loginlock/").status_code == 403
