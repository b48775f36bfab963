from datetime import datetime
from typing import cast

from django import forms
from django.conf import settings
from django.http import QueryDict
from django.utils.http import urlencode

from crm.dates import DAY_RANGE_MESSAGE, in_supported_range
from crm.forms import BootstrapFormMixin
from pipeline.models import Pipeline
from reporting.periods import (
    DEFAULT_PRESET,
    Period,
    Preset,
    local_today,
    preset_period,
)
from reporting.queries import DEFAULT_SORT, Dimension, ReportScope, report_scope, valid_sort
from teams.access import people_visible_to, teams_visible_to, territories_visible_to
from teams.models import Team, Territory, User

# A custom period longer than this is refused: the funnel reads every stage change since
# the period began.
MAX_PERIOD_DAYS = 3 * 366


# The filters in the order they appear in a URL.
QUERY_FIELDS = ["period", "start", "end", "pipeline", "team", "territory", "rep", "by", "sort"]


def filter_query(data: QueryDict) -> QueryDict:
    """The filters a request asks for, as a clean query: a preset or custom dates, not both,
    and no empty or unknown parameters.

    The form sends the dates it showed (`shown_start`, `shown_end`) beside the date inputs.
    Dates that differ from them were typed: custom dates, whatever the select says (it cannot
    switch itself without JavaScript). Otherwise the select decides, and a preset drops the
    dates. A URL with dates and no period means custom dates; one with a preset and dates but
    nothing shown (written by hand) means the preset.
    """
    values = {name: data.get(name, "").strip() for name in QUERY_FIELDS}
    dates = (values["start"], values["end"])
    shown = (data.get("shown_start", ""), data.get("shown_end", ""))
    typed = ("shown_start" in data or "shown_end" in data) and any(dates) and dates != shown
    if typed or (not values["period"] and any(dates)):
        values["period"] = Preset.CUSTOM
    if values["period"] != Preset.CUSTOM:
        values["start"] = values["end"] = ""
    return QueryDict(urlencode([(name, value) for name, value in values.items() if value]))


def same_query(a: QueryDict, b: QueryDict) -> bool:
    """Whether two queries hold the same parameters, in whatever order."""
    return sorted(a.lists()) == sorted(b.lists())


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)


class ReportFilterForm(BootstrapFormMixin, forms.Form):
    """The dashboard's filters, read from the query string. Every choice list holds only
    what the viewer may see, so a crafted URL naming another team is refused."""

    period = forms.ChoiceField(choices=Preset.choices, required=False)
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    pipeline = forms.ModelChoiceField(
        queryset=Pipeline.objects.all(), required=False, empty_label="All pipelines"
    )
    # The choices are the viewer's, set in __init__.
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="All teams"
    )
    territory = forms.ModelChoiceField(
        queryset=Territory.objects.none(), required=False, empty_label="All territories"
    )
    rep = UserChoiceField(queryset=User.objects.none(), required=False, empty_label="All reps")
    by = forms.ChoiceField(choices=Dimension.CHOICES, required=False)
    sort = forms.CharField(required=False, max_length=40)

    def __init__(self, data: QueryDict, *, user: User, now: datetime) -> None:
        # The clean query: links and the URL in the address bar are built from it.
        self.query = filter_query(data)
        data = self.query.copy()
        # So that the select shows the period the figures are for.
        data.setdefault("period", DEFAULT_PRESET)
        super().__init__(data)
        self.user = user
        self.now = now
        choices = {
            "team": teams_visible_to(user).order_by("name"),
            "territory": territories_visible_to(user).order_by("name"),
            "rep": people_visible_to(user).order_by("first_name", "last_name", "username"),
        }
        for name, queryset in choices.items():
            cast(forms.ModelChoiceField, self.fields[name]).queryset = queryset

    def clean(self):
        data = super().clean()
        tz = self.user.zoneinfo
        preset = data.get("period") or DEFAULT_PRESET
        start, end = data.get("start"), data.get("end")
        if preset == Preset.CUSTOM:
            if self.has_error("start") or self.has_error("end"):
                return data  # e.g. a day out of range: the field says so
            if not start or not end:
                raise forms.ValidationError("Give both a start and an end date.")
            if not in_supported_range(start, end):
                raise forms.ValidationError(DAY_RANGE_MESSAGE)
            if end < start:
                raise forms.ValidationError("The end date is before the start date.")
            if (end - start).days + 1 > MAX_PERIOD_DAYS:
                raise forms.ValidationError("Choose a period of at most three years.")
            data["report_period"] = Period(start, end, tz)
        else:
            data["report_period"] = preset_period(preset, today=local_today(self.now, tz), tz=tz)
        data["period"] = preset
        data["by"] = data.get("by") or Dimension.REP
        data["sort"] = valid_sort(data.get("sort") or DEFAULT_SORT)
        return data

    @property
    def report_period(self) -> Period:
        return self.cleaned_data["report_period"]

    def scope(self) -> ReportScope:
        data = self.cleaned_data
        return report_scope(
            self.user,
            period=data["report_period"],
            pipeline=data["pipeline"],
            team=data["team"],
            territory=data["territory"],
            rep=data["rep"],
            currency=settings.DEFAULT_CURRENCY,
        )

    def shown_fields(self) -> list[forms.BoundField]:
        """The organisation filters worth showing: a rep sees only their own figures, so
        team, territory and rep would each offer one choice."""
        names = ["pipeline"]
        if self.user.is_admin or self.user.is_manager:
            names += ["team", "territory", "rep"]
        return [self[name] for name in names]

    def resolved_dates(self) -> tuple[str, str]:
        """The start and end dates to show in the date inputs, presets included."""
        period = getattr(self, "cleaned_data", {}).get("report_period")
        if period is not None:
            return period.start.isoformat(), period.end.isoformat()
        return self.data.get("start", ""), self.data.get("end", "")
