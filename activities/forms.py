from datetime import date, datetime, timedelta

from django import forms
from django.utils import timezone

from activities.access import assignees_for
from activities.models import Activity, ActivityType
from activities.services import local_time_exists, wall_clock_to_utc
from crm.dates import safe_localtime
from crm.forms import BootstrapFormMixin
from leads.models import Lead
from pipeline.models import Deal
from teams.models import ReminderOffset, User

DURATION_CHOICES = [
    (None, "—"),
    (15, "15 min"),
    (30, "30 min"),
    (45, "45 min"),
    (60, "1 h"),
    (90, "1 h 30"),
    (120, "2 h"),
    (180, "3 h"),
    (240, "4 h"),
    (480, "All day (8 h)"),
]


def next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


class ActivityForm(BootstrapFormMixin, forms.Form):
    """Schedule or edit an activity on `about` (a deal or a lead). Day and time are read and
    shown in `user`'s time zone."""

    type = forms.ChoiceField(choices=ActivityType.choices, initial=ActivityType.CALL)
    subject = forms.CharField(max_length=200)
    due_date = forms.DateField(label="Due date", widget=forms.DateInput(attrs={"type": "date"}))
    due_time = forms.TimeField(
        label="Time",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Empty for an all-day activity.",
    )
    duration = forms.TypedChoiceField(
        choices=DURATION_CHOICES, coerce=int, empty_value=None, required=False
    )
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), empty_label=None)
    reminder_offset = forms.TypedChoiceField(
        label="Reminder",
        choices=ReminderOffset.choices,
        coerce=int,
        empty_value=None,
        required=False,
    )
    note = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self, *args, about: Deal | Lead, user: User, activity: Activity | None = None, **kwargs
    ) -> None:
        self.about, self.user, self.activity = about, user, activity
        kwargs.setdefault("initial", self.initial_for(activity))
        # Ids unique to the activity, so that a page holding two of these forms stays valid.
        kwargs.setdefault("auto_id", f"activity-{activity.pk if activity else 'new'}-%s")
        super().__init__(*args, **kwargs)
        assignee = self.fields["assignee"]
        assert isinstance(assignee, forms.ModelChoiceField)
        assignee.queryset = assignees_for(about, user)
        self.fields[
            "due_time"
        ].help_text = (
            f"Times are in your time zone, {user.time_zone}. No time: an all-day activity."
        )
        self.fields["note"].widget.attrs["placeholder"] = "Agenda, dial-in, what to prepare…"
        minutes = self.initial.get("duration")
        duration = self.fields["duration"]
        assert isinstance(duration, forms.TypedChoiceField)
        if minutes and minutes not in dict(DURATION_CHOICES):
            # Keep a duration set elsewhere (admin) instead of silently dropping it on save.
            duration.choices = [*DURATION_CHOICES, (minutes, f"{minutes} min")]

    def initial_for(self, activity: Activity | None) -> dict:
        tz = self.user.zoneinfo
        if activity is None:
            return {
                "due_date": next_working_day(timezone.localdate(timezone=tz)),
                "assignee": self.about.owner_id,
                "reminder_offset": self.user.default_reminder_offset,
            }
        initial = {
            "type": activity.type,
            "subject": activity.subject,
            "due_date": activity.due_date,
            "assignee": activity.assignee_id,
            "reminder_offset": activity.reminder_offset,
            "note": activity.note,
            "duration": int(activity.duration.total_seconds() // 60) if activity.duration else None,
        }
        if activity.due_at is not None:
            local = safe_localtime(activity.due_at, tz)
            initial |= {"due_date": local.date(), "due_time": local.time().replace(second=0)}
        return initial

    def clean(self) -> dict:
        data = super().clean() or {}
        day, time = data.get("due_date"), data.get("due_time")
        data["due_at"] = None
        if day is not None and time is not None:
            tz = self.user.zoneinfo
            wall = datetime.combine(day, time)
            if not local_time_exists(wall, tz):
                self.add_error(
                    "due_time",
                    f"{time:%H:%M} does not exist on {day:%Y-%m-%d} in {self.user.time_zone}: "
                    "the clocks skip it for daylight saving time. Pick another time.",
                )
            else:
                data["due_at"] = wall_clock_to_utc(wall, tz)
        minutes = data.get("duration")
        data["duration"] = timedelta(minutes=minutes) if minutes else None
        return data

    def service_kwargs(self) -> dict:
        """The cleaned values as the keyword arguments of `activity_create`/`activity_update`."""
        data = self.cleaned_data
        return {
            "type": data["type"],
            "subject": data["subject"],
            "assignee": data["assignee"],
            "due_date": data["due_date"],
            "due_at": data["due_at"],
            "duration": data["duration"],
            "reminder_offset": data["reminder_offset"],
            "note": data["note"],
        }


class NextStepForm(ActivityForm):
    """The form offered after completing an activity: the next step on the same deal or lead."""

    def __init__(self, *args, completed: Activity, **kwargs) -> None:
        self.completed = completed
        super().__init__(*args, **kwargs)

    def initial_for(self, activity: Activity | None) -> dict:
        initial = super().initial_for(None)
        initial |= {"type": self.completed.type, "assignee": self.completed.assignee_id}
        return initial
