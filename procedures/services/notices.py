"""The notice outbox: who is told what, and sending it by email.

A notice is a row written in the transaction of the event it reports (a transition, an apology,
a deadline flag), so it exists exactly when the event does. After the commit the sender is woken:
one `send_new_notices` task sends every notice not tried yet, and a burst of notices wakes it
once (a key on the Redis broker, set if absent, marks a sender as woken; the task removes it as
it starts, so a notice committed after that wakes the next one). If the broker is down the row
simply stays pending, and the periodic `send_pending_notices` job sends it (and retries failures
with backoff) once workers run again. Subject and body are written when the notice is sent, in
the site language, and kept.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError as BrokerUnavailable
from redis.exceptions import RedisError

from procedures.models import (
    STEP_STATES,
    Dossier,
    Notice,
    NoticeChannel,
    NoticeKind,
    NoticeStatus,
    Role,
    User,
)

logger = logging.getLogger(__name__)

# A new notice is left to its own task this long before the periodic job may pick it up too.
FRESH_NOTICE_GRACE = timedelta(minutes=2)
# After the n-th failed attempt the next one waits RETRY_BASE * 4**(n-1), at most RETRY_MAX;
# after MAX_ATTEMPTS failures the notice is marked failed (about 5.5 hours in all).
RETRY_BASE = timedelta(minutes=1)
RETRY_MAX = timedelta(hours=4)
MAX_ATTEMPTS = 6
# Deadline flags older than this get no notice any more (e.g. after a long outage).
DEADLINE_NOTICE_WINDOW = timedelta(days=3)
# The broker key marking a sender as woken, and how long it holds if its task is lost (a purged
# queue): the notices of that time are then sent by the next wake-up or the periodic job.
WAKE_KEY = "motcua:notices:woken"
WAKE_SECONDS = 10

SUBJECTS = {
    NoticeKind.RECEIPT: _("Dossier %(code)s has been received"),
    NoticeKind.SUPPLEMENT_REQUEST: _("Dossier %(code)s: papers to supplement"),
    NoticeKind.RESULT_READY: _("Dossier %(code)s: the result is ready"),
    NoticeKind.APOLOGY: _("Dossier %(code)s: apology and new appointment"),
    NoticeKind.OVERDUE: _("Dossier %(code)s is overdue"),
    NoticeKind.DUE_SOON: _("Dossier %(code)s is due soon"),
}
BODIES = {
    NoticeKind.RECEIPT: _(
        "%(unit)s has received your dossier %(code)s (%(procedure)s). "
        "The result is due on %(appointment)s."
    ),
    NoticeKind.SUPPLEMENT_REQUEST: _(
        "%(unit)s asks you to supplement your dossier %(code)s (%(procedure)s): %(reason)s. "
        "The processing time is paused until the papers are supplied."
    ),
    NoticeKind.RESULT_READY: _(
        "The result of your dossier %(code)s (%(procedure)s) is ready at %(unit)s."
    ),
    NoticeKind.APOLOGY: _(
        "%(unit)s apologizes: your dossier %(code)s (%(procedure)s) was not settled by "
        "%(due)s. Reason: %(reason)s. The new appointment for the result is %(appointment)s."
    ),
    NoticeKind.OVERDUE: _(
        "Dossier %(code)s (%(procedure)s) of %(unit)s passed its due date %(due)s "
        "at the step %(state)s. An apology letter (form 04) must be issued to the citizen."
    ),
    NoticeKind.DUE_SOON: _(
        "Dossier %(code)s (%(procedure)s) of %(unit)s is due on %(due)s and is at the step "
        "%(state)s."
    ),
}


# --- writing notices ------------------------------------------------------------------------


def notice_values(
    *, kind: str, at: datetime, dossier=None, recipient=None, send_from: datetime | None = None
) -> dict:
    """The column values (by attname) of a new notice: the one way notice rows are built.

    `dossier` gives the dossier and, unless `recipient` is given, the applicant's email.
    `send_from` is when the periodic job may send it (default: after the grace left to the
    notice's own task).
    The transitions insert these values with their own statement (core.engine), the other
    writers with the ORM, and the deadline job as the constants of its INSERT ... SELECT.
    """
    return {
        "id": uuid.uuid4(),
        "kind": str(kind),
        "channel": NoticeChannel.EMAIL.value,
        "recipient": dossier.applicant_email if recipient is None else recipient,
        "dossier_id": dossier.pk if dossier is not None else None,
        "subject": "",
        "body": "",
        "status": NoticeStatus.PENDING.value,
        "attempts": 0,
        "last_error": "",
        "created_at": at,
        "next_attempt_at": send_from or at + FRESH_NOTICE_GRACE,
        "sent_at": None,
    }


def notify_citizen(*, dossier: Dossier, kind: str, at: datetime) -> Notice | None:
    """Write a notice to the applicant in the current transaction and queue it after commit."""
    if not dossier.applicant_email:
        return None
    notice = Notice.objects.create(**notice_values(kind=kind, dossier=dossier, at=at))
    queue_delivery(notice.pk)
    return notice


def queue_delivery(notice_id) -> None:
    """After the commit, wake the sender; a broker outage leaves the notice pending."""
    transaction.on_commit(lambda: wake_sender(notice_id))


def wake_sender(notice_id) -> None:
    """Queue a `send_new_notices` task unless one is queued and not started yet (it will find
    notice `notice_id`, committed before it starts). The broker down: the notice is due at once
    for the periodic job."""
    from procedures.tasks import send_new_notices

    woken = False
    try:
        woken = _mark_woken()
        if woken:
            send_new_notices.delay()
    except (BrokerUnavailable, RedisError) as error:
        logger.warning(
            "Broker unavailable, notice %s left for the periodic job: %s", notice_id, error
        )
        if woken:
            sender_started()  # the mark would hold back the next notices' wake-up
        # Due at once: the periodic job is now the only one that will send it.
        Notice.objects.filter(pk=notice_id, status=NoticeStatus.PENDING).update(
            next_attempt_at=timezone.now()
        )


def _mark_woken() -> bool:
    """Mark a sender as woken on the Redis broker; False if one already was. Without a Redis
    broker (tasks run eagerly, or the demo's folder queue) every notice wakes one."""
    broker = _redis_broker()
    if broker is None:
        return True
    return bool(broker.set(WAKE_KEY, "1", nx=True, ex=WAKE_SECONDS))


def sender_started() -> None:
    """The woken sender starts: a notice committed from now on wakes the next one."""
    broker = _redis_broker()
    if broker is None:
        return
    try:
        broker.delete(WAKE_KEY)
    except RedisError as error:  # the mark expires by itself
        logger.warning("Broker unavailable, the sender's mark left to expire: %s", error)


def _redis_broker():
    """A client of the Redis broker tasks are published to now, or None when they are not (run
    eagerly, or the demo's folder queue): where the sender's mark is kept."""
    conf = _celery().conf
    if conf.task_always_eager or not str(conf.broker_url).startswith(("redis://", "rediss://")):
        return None
    return _broker_redis(conf.broker_url)


def _celery():
    from celery import current_app

    return current_app


_redis_clients = {}


def _broker_redis(url: str):
    """A Redis client for the broker at `url`, kept for the process (its pool reconnects, and
    starts afresh in a forked process); it fails fast, as publishing does."""
    import redis

    client = _redis_clients.get(url)
    if client is None:
        client = _redis_clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=1, socket_timeout=1
        )
    return client


def queue_deadline_notices(*, now: datetime | None = None) -> int:
    """Notices to the handler and the unit's approvers of dossiers flagged overdue or due soon.

    One set-based INSERT ... SELECT per kind; a dossier already noticed since it was flagged
    is skipped, so running it again adds nothing. Returns how many notices were written.
    """
    now = now or timezone.now()
    written = 0
    for kind, flag, extra in (
        (NoticeKind.OVERDUE, "overdue_since", ""),
        (NoticeKind.DUE_SOON, "due_soon_since", "AND d.overdue_since IS NULL"),
    ):
        written += _insert_deadline_notices(kind=kind, flag=flag, extra=extra, now=now)
    return written


def _insert_deadline_notices(*, kind: NoticeKind, flag: str, extra: str, now: datetime) -> int:
    """INSERT ... SELECT of one kind: the handler and the approvers, as a UNION of two joins."""
    quote = connection.ops.quote_name
    notices = quote(Notice._meta.db_table)
    dossiers = quote(Dossier._meta.db_table)
    users = quote(User._meta.db_table)
    new_id = (
        "gen_random_uuid()" if connection.vendor == "postgresql" else "lower(hex(randomblob(16)))"
    )
    since = Notice._meta.get_field("created_at").get_db_prep_save(
        now - DEADLINE_NOTICE_WINDOW, connection
    )
    states = [state.value for state in STEP_STATES]
    # Flagged within the window, still in a step, not yet noticed since it was flagged.
    owed = f"""
        d.{flag} >= %s AND d.state IN ({", ".join(["%s"] * len(states))}) {extra}
        AND u.is_active AND u.email <> ''
        AND NOT EXISTS (SELECT 1 FROM {notices} n
                        WHERE n.dossier_id = d.id AND n.kind = %s AND n.created_at >= d.{flag})
    """
    owed_params = [since, *states, kind.value]
    # Every column but the three each row has its own of: constants from notice_values.
    constants = {
        name: value
        for name, value in notice_values(kind=kind, recipient="", at=now, send_from=now).items()
        if name not in ("id", "recipient", "dossier_id")
    }
    columns = ", ".join(
        quote(Notice._meta.get_field(name).column)
        for name in ("id", "recipient", "dossier_id", *constants)
    )
    sql = f"""
        INSERT INTO {notices} ({columns})
        SELECT {new_id}, r.email, r.dossier_id, {", ".join(["%s"] * len(constants))}
        FROM (
            SELECT d.id AS dossier_id, u.email AS email
            FROM {dossiers} d JOIN {users} u ON u.id = d.handler_id
            WHERE {owed}
            UNION
            SELECT d.id, u.email
            FROM {dossiers} d JOIN {users} u ON u.unit_id = d.unit_id AND u.role = %s
            WHERE {owed}
        ) r
    """
    params = [
        *(
            Notice._meta.get_field(name).get_db_prep_save(value, connection)
            for name, value in constants.items()
        ),
        *owed_params,
        Role.APPROVER.value,
        *owed_params,
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# --- sending --------------------------------------------------------------------------------


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failure."""
    return min(RETRY_BASE * 4 ** max(attempts - 1, 0), RETRY_MAX)


@dataclass(frozen=True)
class Delivery:
    status: str  # the notice's status afterwards, or "skipped" (not pending, or being sent)
    retry_in: timedelta | None = None  # after a failure, when to try again


def deliver_notice(*, notice_id, now: datetime | None = None, mail_connection=None) -> Delivery:
    """Send one pending notice by email and record the outcome.

    The row is locked while sending and other workers skip it, so a notice is sent once however
    many tasks or periodic runs reach it. A failure is recorded with the time of the next
    attempt; after MAX_ATTEMPTS the notice is marked failed.
    """
    with transaction.atomic():
        notice = (
            Notice.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("dossier__procedure", "dossier__unit")
            .filter(pk=notice_id, status=NoticeStatus.PENDING)
            .first()
        )
        if notice is None:
            return Delivery("skipped")
        now = now or timezone.now()
        notice.subject, notice.body = render_notice(notice)
        notice.attempts += 1
        try:
            EmailMessage(
                subject=notice.subject,
                body=notice.body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[notice.recipient],
                connection=mail_connection,
            ).send()
        except Exception as error:  # whatever the mail backend raises: record it, retry later
            logger.warning("Notice %s not sent (attempt %s): %s", notice.pk, notice.attempts, error)
            notice.last_error = f"{type(error).__name__}: {error}"[:2000]
            retry_in = retry_delay(notice.attempts) if notice.attempts < MAX_ATTEMPTS else None
            if retry_in is None:
                notice.status = NoticeStatus.FAILED
            else:
                notice.next_attempt_at = now + retry_in
            notice.save()
            return Delivery(notice.status, retry_in)
        notice.status = NoticeStatus.SENT
        notice.sent_at = now
        notice.last_error = ""
        notice.save()
        return Delivery(notice.status)


def send_pending_notices(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Send up to `limit` pending notices whose time has come, over one mail connection.

    The periodic job calls it every few minutes; what is left waits for the next run, and a
    notice failing again waits for its own next attempt time. Returns how many were sent.
    """
    now = now or timezone.now()
    due = list(
        Notice.objects.filter(status=NoticeStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    if due:
        with get_connection() as mail_connection:
            for notice_id in due:
                delivery = deliver_notice(notice_id=notice_id, mail_connection=mail_connection)
                sent += delivery.status == NoticeStatus.SENT
    return sent


def deliver_new_notices(*, batch: int = 200):
    """Send every pending notice not tried yet, over one mail connection, oldest first; yields
    (notice id, Delivery) for each. One another worker is sending is skipped, once."""
    skipped = set()
    with get_connection() as mail_connection:
        while True:
            ids = list(
                Notice.objects.filter(status=NoticeStatus.PENDING, attempts=0)
                .exclude(pk__in=skipped)
                .order_by("next_attempt_at")
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                return
            for notice_id in ids:
                delivery = deliver_notice(notice_id=notice_id, mail_connection=mail_connection)
                if delivery.status == "skipped":
                    skipped.add(notice_id)
                yield notice_id, delivery


def render_notice(notice: Notice) -> tuple[str, str]:
    """Subject and body in the site language, from the dossier as it is now."""
    dossier = notice.dossier
    with translation.override(settings.LANGUAGE_CODE):
        values = {
            "code": dossier.code,
            "procedure": dossier.procedure.name,
            "unit": dossier.unit.name,
            "state": str(dossier.get_state_display()),
            "due": _moment(dossier.due_at),
            "appointment": _moment(dossier.appointment),
            "reason": _reason(notice),
        }
        return str(SUBJECTS[notice.kind]) % values, str(BODIES[notice.kind]) % values


def _moment(value) -> str:
    if value is None:
        return "-"
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")


def _reason(notice: Notice) -> str:
    dossier = notice.dossier
    if notice.kind == NoticeKind.APOLOGY:
        letter = getattr(dossier, "apology", None)
        return letter.reason if letter else ""
    if notice.kind == NoticeKind.SUPPLEMENT_REQUEST:
        entry = (
            dossier.transitions.filter(action="request_supplement", at__lte=notice.created_at)
            .order_by("-at", "-id")
            .first()
        )
        return (entry.payload or {}).get("reason", "") if entry else ""
    return ""
