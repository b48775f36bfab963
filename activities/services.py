"""Every write to activities, reminders, notifications and digests goes through a function here.

How a reminder is sent once
---------------------------
1. Scheduling an activity arms one `Reminder` row (state pending, `remind_at` in UTC). Editing,
   completing or deleting the activity cancels it; moving the due time arms a new one.
   Closing the deal cancels it too, reopening arms it again if its time is still ahead, and
   a new owner of the deal takes over the former owner's open activities and reminders.
2. Beat runs `reminders_dispatch` every minute. It claims due reminders with
   `SELECT ... FOR UPDATE SKIP LOCKED` and a conditional update to "queued", and queues
   their ids for delivery after the claim commits. Two dispatchers never claim the same row.
   A claim older than the lease (lost message, killed worker) is claimed again, so nothing
   due is lost, however long no worker ran.
3. `reminders_deliver` takes a chunk of claimed ids. In one transaction it locks them
   (skipping rows another worker holds), re-checks each (still armed, activity not done,
   deal open, recipient still able to see the deal), writes the in-app notifications with
   their `Delivery` rows (unique per reminder and channel) and moves them to "sending".
   Then each e-mail gets a transaction of its own: a conditional update from "sending" to
   "sent" claims it, its `Delivery` row is written and the message is handed to the mail
   server last, before COMMIT. A retried task finds nothing left to claim; a worker killed
   mid-chunk leaves the rest queued or sending, to be claimed again after the lease.

The one window no database can close: a worker killed after the mail server accepted an
e-mail and before its COMMIT reached PostgreSQL (microseconds) sends that e-mail again after
the lease. The e-mail keeps its Message-ID (`<reminder-ID@host>`), so mail clients that drop
duplicate Message-IDs show it once. A missed reminder costs more than that.
"""

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone

from activities.models import (
    ALL_DAY_REMINDER_TIME,
    ARMED_STATES,
    CLAIMED_STATES,
    Activity,
    Channel,
    Delivery,
    Digest,
    DigestState,
    Notification,
    Reminder,
    ReminderState,
)
from activities.queries import DigestContent, digest_for, page_url_of
from crm.dates import safe_localtime
from crm.text import single_line
from leads.models import Lead
from leads.services import lead_activity_changed
from pipeline.access import visible_pairs
from pipeline.models import Deal
from teams.models import User
from webhooks import services as webhook_services
from webhooks.models import Event as WebhookEvent

log = logging.getLogger(__name__)

DISPATCH_BATCH = 1000  # reminders claimed per transaction
DELIVERY_CHUNK = 50  # reminders per delivery task
MAX_EMAIL_ATTEMPTS = 5  # after this many claims, deliver in-app only
DIGEST_HOUR = 8  # local time the morning digest goes out
DIGEST_LAST_HOUR = 12  # a digest missed since 08:00 (no worker ran) is still sent until noon


# Time ------------------------------------------------------------------------------------


def wall_clock_to_utc(naive: datetime, tz: ZoneInfo) -> datetime:
    """A wall-clock time in `tz` as UTC; a time skipped by DST counts with the earlier offset."""
    return naive.replace(tzinfo=tz).astimezone(UTC)


def local_time_exists(naive: datetime, tz: ZoneInfo) -> bool:
    """False for a wall-clock time that a DST change skips (e.g. 02:30 on a spring-forward day)."""
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == naive


def due_moment(*, due_date: date, due_at: datetime | None, tz: ZoneInfo) -> datetime:
    """When an activity is due: its time, or 09:00 of its day in `tz` when it is all day."""
    if due_at is not None:
        return due_at
    return wall_clock_to_utc(datetime.combine(due_date, ALL_DAY_REMINDER_TIME), tz)


def reminder_time(
    *, due_date: date, due_at: datetime | None, offset: int | None, tz: ZoneInfo
) -> datetime | None:
    """When to remind about an activity, or None without a reminder.

    Whole days are counted on the wall clock of `tz` (the assignee's), so "1 day before" a
    10:00 meeting is 10:00 the day before even across a DST change; minutes are counted in
    absolute time.
    """
    if offset is None:
        return None
    moment = due_moment(due_date=due_date, due_at=due_at, tz=tz)
    days, minutes = divmod(offset, 24 * 60)
    if days:
        wall = moment.astimezone(tz).replace(tzinfo=None) - timedelta(days=days)
        moment = wall_clock_to_utc(wall, tz)
    return moment - timedelta(minutes=minutes)


def stored_due_date(*, due_date: date, due_at: datetime | None, assignee: User) -> date:
    """The day an activity is due in its assignee's time zone (what reports count by)."""
    if due_at is None:
        return due_date
    return timezone.localtime(due_at, assignee.zoneinfo).date()


# Activities ------------------------------------------------------------------------------


@transaction.atomic
def activity_create(
    *,
    deal: Deal | None = None,
    lead: Lead | None = None,
    actor: User,
    type: str,
    subject: str,
    assignee: User,
    due_date: date,
    due_at: datetime | None = None,
    duration: timedelta | None = None,
    reminder_offset: int | None = None,
    note: str = "",
) -> Activity:
    """Schedule an activity on `deal` (or `lead`) and arm its reminder."""
    activity = Activity.objects.create(
        deal=deal,
        lead=lead,
        type=type,
        subject=subject,
        note=note,
        assignee=assignee,
        due_date=stored_due_date(due_date=due_date, due_at=due_at, assignee=assignee),
        due_at=due_at,
        duration=duration,
        reminder_offset=reminder_offset,
        created_by=actor,
    )
    reminder_sync(activity=activity)
    lead_activity_changed(activity=activity)
    webhook_services.event_record(name=WebhookEvent.ACTIVITY_CREATED, obj=activity, actor=actor)
    return activity


@transaction.atomic
def activity_update(
    *,
    activity: Activity,
    actor: User,
    type: str,
    subject: str,
    assignee: User,
    due_date: date,
    due_at: datetime | None,
    duration: timedelta | None,
    reminder_offset: int | None,
    note: str,
) -> Activity:
    """Change an activity; its armed reminder is kept, re-armed at the new time, or cancelled."""
    # FOR NO KEY UPDATE serialises edits of one activity without blocking a worker that is
    # writing a notification pointing at it (which takes FOR KEY SHARE).
    locked = (
        Activity.objects.select_for_update(no_key=True, of=("self",))
        .select_related("deal", "assignee")
        .get(pk=activity.pk)
    )
    locked.type = type
    locked.subject = subject
    locked.note = note
    locked.assignee = assignee
    locked.due_date = stored_due_date(due_date=due_date, due_at=due_at, assignee=assignee)
    locked.due_at = due_at
    locked.duration = duration
    locked.reminder_offset = reminder_offset
    locked.save()
    reminder_sync(activity=locked)
    lead_activity_changed(activity=locked)
    return locked


def activity_complete(*, activity: Activity, actor: User, now: datetime | None = None) -> bool:
    """Mark an activity done and cancel its pending reminder; False if it already was done."""
    now = now or timezone.now()
    with transaction.atomic():
        completed = Activity.objects.filter(pk=activity.pk, done=False).update(
            done=True, done_at=now, updated_at=now
        )
        if completed:
            reminders_cancel(activity=activity)
            lead_activity_changed(activity=activity)
        activity.refresh_from_db(fields=["done", "done_at", "updated_at"])
        if completed:
            webhook_services.event_record(
                name=WebhookEvent.ACTIVITY_DONE, obj=activity, actor=actor
            )
    return bool(completed)


def activity_reopen(*, activity: Activity, actor: User) -> bool:
    """Undo a completion; the reminder is armed again if its time is still ahead."""
    with transaction.atomic():
        reopened = Activity.objects.filter(pk=activity.pk, done=True).update(
            done=False, done_at=None, updated_at=timezone.now()
        )
        activity.refresh_from_db(fields=["done", "done_at", "updated_at"])
        if reopened:
            reminder_sync(activity=activity)
            lead_activity_changed(activity=activity)
    return bool(reopened)


@transaction.atomic
def activity_delete(*, activity: Activity, actor: User) -> None:
    """Delete an activity with its reminders; a reminder being sent at this moment finishes
    first (its row is locked by the worker), and none can start after."""
    # Lock first: otherwise the delete would collect the reminder's deliveries, then wait
    # for the worker, which commits one more delivery pointing at the reminder being deleted.
    list(
        Reminder.objects.select_for_update()
        .filter(activity_id=activity.pk)
        .values_list("pk", flat=True)
    )
    reminders_cancel(activity=activity)
    Activity.objects.filter(pk=activity.pk).delete()
    lead_activity_changed(activity=activity)


# A deal's activities ---------------------------------------------------------------------
# Called by pipeline.services when a deal closes, reopens or changes hands, in its transaction.


def deal_reminders_cancel(*, deal: Deal) -> int:
    """Cancel the armed reminders of the deal's activities: a closed deal reminds nobody.

    A reminder a worker is notifying at this moment finishes first (as in `reminders_cancel`).
    """
    return Reminder.objects.filter(
        activity__in=Activity.objects.filter(deal_id=deal.pk).values("pk"),
        state__in=ARMED_STATES,
    ).update(state=ReminderState.CANCELLED)


def deal_reminders_rearm(*, deal: Deal, now: datetime | None = None) -> int:
    """Arm again the reminders of the reopened deal's open activities whose reminder time
    is still ahead; one whose time passed while the deal was closed is not sent late."""
    activities = Activity.objects.filter(deal_id=deal.pk, done=False).select_related("assignee")
    rearmed = 0
    for activity in activities:
        activity.deal = deal
        rearmed += reminder_sync(activity=activity, now=now, late=False) is not None
    return rearmed


def deal_activities_reassign(*, deal: Deal, former_owner_id: int, owner: User, actor: User) -> int:
    """Give the new owner of `deal` its open activities that its former owner was to do, with
    their reminders (re-armed on the new owner's clock). Done ones stay with who did them."""
    activities = list(
        Activity.objects.select_for_update(no_key=True, of=("self",)).filter(
            deal_id=deal.pk, done=False, assignee_id=former_owner_id
        )
    )
    for activity in activities:
        activity.deal = deal
        activity.assignee = owner
        activity.due_date = stored_due_date(
            due_date=activity.due_date, due_at=activity.due_at, assignee=owner
        )
        activity.save(update_fields=["assignee", "due_date", "updated_at"])
        reminder_sync(activity=activity)
    return len(activities)


# Reminders -------------------------------------------------------------------------------


def reminders_cancel(*, activity: Activity) -> int:
    """Cancel the activity's armed reminder. Waits for a worker notifying it at this moment;
    once that worker has committed, the reminder is on its way and is not cancelled."""
    return Reminder.objects.filter(activity_id=activity.pk, state__in=ARMED_STATES).update(
        state=ReminderState.CANCELLED
    )


def reminder_sync(
    *, activity: Activity, now: datetime | None = None, late: bool = True
) -> Reminder | None:
    """Make the armed reminder match the activity: keep it, re-arm it at the new time, or
    cancel it (done, deal closed, no reminder wanted, or nothing left to remind about).

    With `late=False` a reminder whose time has already passed is not armed (it would go
    out at once); by default it is, as long as the activity itself is still ahead.
    """
    now = now or timezone.now()
    assignee = activity.assignee
    tz = assignee.zoneinfo
    remind_at = None
    deal_closed = activity.deal is not None and activity.deal.is_closed
    if not activity.done and assignee.is_active and not deal_closed:
        remind_at = reminder_time(
            due_date=activity.due_date,
            due_at=activity.due_at,
            offset=activity.reminder_offset,
            tz=tz,
        )
    armed = Reminder.objects.filter(activity_id=activity.pk, state__in=ARMED_STATES).first()
    if armed and remind_at == armed.remind_at and armed.recipient_id == assignee.pk:
        return armed
    reminders_cancel(activity=activity)
    if remind_at is None:
        return None
    if due_moment(due_date=activity.due_date, due_at=activity.due_at, tz=tz) <= now:
        return None  # a past activity (e.g. a call being logged) needs no reminder
    if not late and remind_at <= now:
        return None
    already_sent = Reminder.objects.filter(
        activity_id=activity.pk, state=ReminderState.SENT, remind_at=remind_at, recipient=assignee
    ).exists()
    if already_sent:
        return None
    return Reminder.objects.create(activity=activity, recipient=assignee, remind_at=remind_at)


def reminders_dispatch(*, now: datetime | None = None) -> int:
    """Claim every due reminder, and every claim older than the lease, and queue delivery.

    Returns how many were claimed. Safe to run in several processes at once: rows another
    dispatcher has locked are skipped, and claimed rows are no longer due.
    """
    from activities.tasks import deliver_reminders

    now = now or timezone.now()
    lease_expired = now - timedelta(seconds=settings.REMINDER_LEASE_SECONDS)
    due = Q(state=ReminderState.PENDING, remind_at__lte=now) | Q(
        state__in=CLAIMED_STATES, queued_at__lt=lease_expired
    )
    claimed = 0
    while True:
        with transaction.atomic():
            ids = list(
                Reminder.objects.filter(due)
                .order_by("remind_at", "id")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:DISPATCH_BATCH]
            )
            if ids:
                Reminder.objects.filter(pk__in=ids).update(
                    # A reminder whose notification is out but whose e-mail is owed stays so.
                    state=Case(
                        When(state=ReminderState.SENDING, then=Value(ReminderState.SENDING)),
                        default=Value(ReminderState.QUEUED),
                    ),
                    queued_at=now,
                    attempts=F("attempts") + 1,
                )
                for start in range(0, len(ids), DELIVERY_CHUNK):
                    deliver_reminders.delay_on_commit(ids[start : start + DELIVERY_CHUNK])
        claimed += len(ids)
        if len(ids) < DISPATCH_BATCH:
            return claimed


def reminders_deliver(*, reminder_ids: Iterable[int], now: datetime | None = None) -> int:
    """Send due reminders: all their in-app notifications in one transaction, then each
    e-mail in a transaction of its own. Returns how many reminders were completely sent.

    Nothing is sent twice: the notifications commit together with the move to "sending", and
    each e-mail is claimed by a conditional update from "sending" to "sent" and recorded as a
    `Delivery` in the transaction that hands it to the mail server. A reminder left behind (a
    killed worker, a refused e-mail) keeps its state and is claimed again after the lease.
    """
    now = now or timezone.now()
    sent, emails = reminders_notify(reminder_ids=list(reminder_ids), now=now)
    for reminder_id, message in emails:
        try:
            sent += reminder_email_send(reminder_id=reminder_id, message=message, now=now)
        except SoftTimeLimitExceeded:
            raise  # out of time: the rest stay "sending" and are claimed again after the lease
        except Exception:
            log.exception("Reminder %s: e-mail not sent; retried after the lease", reminder_id)
    return sent


def reminder_deliver(*, reminder_id: int, now: datetime | None = None) -> bool:
    """Send one due reminder; False when there is nothing to send: it is sent, cancelled,
    deleted, not due yet, or another worker is sending it right now."""
    return bool(reminders_deliver(reminder_ids=[reminder_id], now=now))


def reminders_notify(
    *, reminder_ids: list[int], now: datetime
) -> tuple[int, list[tuple[int, EmailMessage]]]:
    """Deliver the in-app notifications of these due reminders and return the e-mails owed.

    Locks the reminders it handles (skipping any another worker holds) and re-checks them:
    still armed, activity not done, deal open, and the recipient (active) still sees the deal.
    Returns how many reminders are now completely sent (no e-mail wanted) and the
    (reminder id, e-mail) pairs still to send.
    """
    with transaction.atomic():
        reminders = list(
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("activity__deal", "activity__lead", "recipient")
            .filter(
                pk__in=reminder_ids,
                state__in=[*ARMED_STATES, ReminderState.SENDING],
                remind_at__lte=now,
            )
            .order_by("pk")
        )
        # Whatever armed them, nobody hears about a deal or lead they can no longer see.
        seen = reminder_subjects_seen(reminders)
        cancelled, done, sending = [], [], []
        notifications, deliveries, emails = [], [], []
        for reminder in reminders:
            activity, recipient = reminder.activity, reminder.recipient
            sees_deal = (recipient.pk, activity.deal_id, activity.lead_id) in seen
            wants_email = bool(recipient.email) and reminder.attempts <= MAX_EMAIL_ATTEMPTS
            if reminder.state == ReminderState.SENDING:
                # Its notification is out; only the e-mail is owed (or given up).
                if wants_email and sees_deal:
                    text = reminder_text(activity, tz=recipient.zoneinfo)
                    emails.append((reminder.pk, reminder_email(reminder, text=text)))
                else:
                    done.append(reminder.pk)
                continue
            deal_closed = activity.deal is not None and activity.deal.is_closed
            if activity.done or deal_closed or not sees_deal:
                cancelled.append(reminder.pk)
                continue
            text = reminder_text(activity, tz=recipient.zoneinfo)
            notifications.append(
                Notification(
                    recipient=recipient,
                    reminder=reminder,
                    deal=activity.deal,
                    lead=activity.lead,
                    activity=activity,
                    text=text,
                    created_at=now,
                )
            )
            deliveries.append(Delivery(reminder=reminder, channel=Channel.IN_APP, delivered_at=now))
            if wants_email:
                sending.append(reminder.pk)
                emails.append((reminder.pk, reminder_email(reminder, text=text)))
            else:
                done.append(reminder.pk)
        Notification.objects.bulk_create(notifications)
        Delivery.objects.bulk_create(deliveries)
        if cancelled:
            Reminder.objects.filter(pk__in=cancelled).update(state=ReminderState.CANCELLED)
        if sending:
            Reminder.objects.filter(pk__in=sending).update(
                state=ReminderState.SENDING, queued_at=now
            )
        if done:
            Reminder.objects.filter(pk__in=done).update(state=ReminderState.SENT, sent_at=now)
    return len(done), emails


def reminder_subjects_seen(reminders: list[Reminder]) -> set[tuple[int, int | None, int | None]]:
    """(recipient id, deal id, lead id) of the reminders whose recipient still sees the deal
    or the lead the activity is on: at most one query for deals and one for leads."""
    on_deals = [(r.recipient, r.activity.deal_id) for r in reminders if r.activity.deal_id]
    on_leads = [(r.recipient, r.activity.lead_id) for r in reminders if r.activity.lead_id]
    deals_seen = visible_pairs(on_deals) if on_deals else set()
    leads_seen = visible_pairs(on_leads, visible=Lead.objects.visible_to) if on_leads else set()
    return {(user_id, deal_id, None) for user_id, deal_id in deals_seen} | {
        (user_id, None, lead_id) for user_id, lead_id in leads_seen
    }


def reminder_email_send(*, reminder_id: int, message: EmailMessage, now: datetime) -> bool:
    """Send a reminder's owed e-mail once: claim it with a conditional update, record the
    delivery, and hand the message to the mail server last, before the commit."""
    with transaction.atomic():
        claimed = Reminder.objects.filter(pk=reminder_id, state=ReminderState.SENDING).update(
            state=ReminderState.SENT, sent_at=now
        )
        if not claimed:
            return False  # another worker sent it (it waited for that worker's commit)
        Delivery.objects.create(reminder_id=reminder_id, channel=Channel.EMAIL, delivered_at=now)
        # Last: if the mail server refuses it or the worker dies, all of the above rolls back
        # and the e-mail is claimed again after the lease.
        message.send()
    return True


def when_text(activity: Activity, tz: ZoneInfo) -> str:
    if activity.due_at is None:
        return dateformat.format(activity.due_date, "D j M") + " (all day)"
    return dateformat.format(safe_localtime(activity.due_at, tz), "D j M, H:i")


def reminder_text(activity: Activity, *, tz: ZoneInfo) -> str:
    return (
        f"{activity.get_type_display()}: {activity.subject} · {activity.about.title} · "
        f"due {when_text(activity, tz)}"
    )


def absolute_url(path: str) -> str:
    return settings.SITE_URL + path


def message_id(kind: str, pk: int) -> str:
    host = urlparse(settings.SITE_URL).hostname or "localhost"
    return f"<{kind}-{pk}@{host}>"


def reminder_email(reminder: Reminder, *, text: str) -> EmailMessage:
    activity, recipient = reminder.activity, reminder.recipient
    with timezone.override(recipient.zoneinfo):
        body = render_to_string(
            "activities/email/reminder.txt",
            {
                "activity": activity,
                "recipient": recipient,
                "when": when_text(activity, recipient.zoneinfo),
                "deal_url": absolute_url(page_url_of(activity.about) + "#activities"),
                "agenda_url": absolute_url(reverse("activities:activity-list")),
                "profile_url": absolute_url(reverse("profile")),
            },
        )
    return EmailMessage(
        # Titles stored before forms refused line breaks must not break the header.
        subject=single_line(f"Reminder: {text}")[:200],
        body=body,
        to=[recipient.email],
        headers={
            "Message-ID": message_id("reminder", reminder.pk),
            "X-CRM-Reminder": str(reminder.pk),
        },
    )


# Digests ---------------------------------------------------------------------------------


def digest_recipients():
    return User.objects.filter(is_active=True, receives_digest=True).exclude(email="")


def digests_dispatch(*, now: datetime | None = None) -> int:
    """Claim today's digest of everyone whose local time is between 08:00 and noon and who
    has none yet (a unique row per user and day), and queue it; re-queue stale claims."""
    from activities.tasks import send_digest

    now = now or timezone.now()
    claimed = 0
    zones = digest_recipients().values_list("time_zone", flat=True).distinct().order_by()
    for zone in zones:
        local = now.astimezone(ZoneInfo(zone))
        if not DIGEST_HOUR <= local.hour < DIGEST_LAST_HOUR:
            continue
        day = local.date()
        waiting = (
            digest_recipients()
            .filter(time_zone=zone)
            .exclude(pk__in=Digest.objects.filter(day=day).values("recipient_id"))
        )
        for user_id in waiting.values_list("pk", flat=True):
            try:
                with transaction.atomic():
                    digest = Digest.objects.create(recipient_id=user_id, day=day, queued_at=now)
                    send_digest.delay_on_commit(digest.pk)
            except IntegrityError:
                continue  # another dispatcher claimed it first
            claimed += 1

    lease_expired = now - timedelta(seconds=settings.REMINDER_LEASE_SECONDS)
    with transaction.atomic():
        stale = list(
            Digest.objects.filter(state=DigestState.QUEUED, queued_at__lt=lease_expired)
            .select_related("recipient")
            .select_for_update(skip_locked=True, of=("self",))
        )
        for digest in stale:
            local = now.astimezone(digest.recipient.zoneinfo)
            if local.date() != digest.day or local.hour >= DIGEST_LAST_HOUR:
                continue  # the morning is over; tomorrow brings a new one
            Digest.objects.filter(pk=digest.pk).update(queued_at=now, attempts=F("attempts") + 1)
            send_digest.delay_on_commit(digest.pk)
            claimed += 1
    return claimed


def digest_send(*, digest_id: int, now: datetime | None = None) -> bool:
    """Send one claimed digest, once; an empty one is recorded and not sent."""
    now = now or timezone.now()
    with transaction.atomic():
        digest = (
            Digest.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient")
            .filter(pk=digest_id, state=DigestState.QUEUED)
            .first()
        )
        if digest is None:
            return False
        recipient = digest.recipient
        content = digest_for(recipient, now=now)
        wanted = recipient.is_active and recipient.receives_digest and recipient.email
        if not wanted or content.is_empty:
            Digest.objects.filter(pk=digest.pk).update(state=DigestState.EMPTY)
            return False
        Digest.objects.filter(pk=digest.pk).update(state=DigestState.SENT, sent_at=now)
        digest_email(digest, content).send()  # last, as for reminders
    return True


def digest_email(digest: Digest, content: DigestContent) -> EmailMessage:
    recipient = digest.recipient
    with timezone.override(recipient.zoneinfo):
        body = render_to_string(
            "activities/email/digest.txt",
            {
                "digest": digest,
                "content": content,
                "recipient": recipient,
                "site_url": settings.SITE_URL,
                "agenda_url": absolute_url(reverse("activities:activity-list")),
                "profile_url": absolute_url(reverse("profile")),
            },
        )
    overdue, rotting, idle = content.totals
    whose = "Your teams" if content.team else "Your day"
    return EmailMessage(
        subject=f"{whose}, {dateformat.format(digest.day, 'D j M')}: {overdue} overdue, "
        f"{rotting} rotting, {idle} without a next step",
        body=body,
        to=[recipient.email],
        headers={"Message-ID": message_id("digest", digest.pk), "X-CRM-Digest": str(digest.pk)},
    )


# Notifications ---------------------------------------------------------------------------


def notification_mark_read(
    *, notification: Notification, user: User, now: datetime | None = None
) -> bool:
    """Mark one of `user`'s notifications read; False if it already was."""
    return bool(
        Notification.objects.filter(
            pk=notification.pk, recipient=user, read_at__isnull=True
        ).update(read_at=now or timezone.now())
    )


def notifications_mark_all_read(*, user: User, now: datetime | None = None) -> int:
    """Mark all of `user`'s notifications read; returns how many were unread."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )
