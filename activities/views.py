from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseStopPolling, trigger_client_event

from activities import services
from activities.access import (
    activity_for_user,
    agenda_people,
    agenda_person_for,
    notification_for_user,
)
from activities.forms import ActivityForm, NextStepForm
from activities.models import Activity, ActivityType
from activities.queries import (
    AGENDA_STATUSES,
    activity_agenda,
    deal_activity_panel,
    lead_activity_panel,
    notifications_for,
    page_url_of,
    unread_notification_count,
)
from crm.http import AuthenticatedHttpRequest, parse_id, safe_next, toast
from leads.access import lead_for_user
from leads.models import Lead
from pipeline.access import deal_for_user
from pipeline.models import Deal


def deal_url(deal: Deal | Lead) -> str:
    """The activities panel on the page of a deal (or a lead)."""
    return page_url_of(deal) + "#activities"


def render_panel(request: AuthenticatedHttpRequest, deal: Deal | Lead, **extra) -> HttpResponse:
    """The activity panel of a deal's or a lead's page, re-read from the database (what htmx
    swaps in). A lead's score counts its activities, so its page is told to redraw it."""
    if isinstance(deal, Lead):
        panel = lead_activity_panel(deal, user=request.user)
    else:
        panel = deal_activity_panel(deal, user=request.user)
    for name, value in extra.items():
        setattr(panel, name, value)
    response = render(request, "activities/_deal_panel.html", {"panel": panel})
    if isinstance(deal, Lead):
        trigger_client_event(response, "lead:changed")
    return response


def about_context(about: Deal | Lead) -> dict:
    """What the full-page activity form says about the deal or lead it is on."""
    return {
        "about": about,
        "about_url": page_url_of(about),
        "about_is_lead": isinstance(about, Lead),
    }


def is_on(activity: Activity, about: Deal | Lead) -> bool:
    if isinstance(about, Lead):
        return activity.lead_id == about.pk
    return activity.deal_id == about.pk


def completed_activity(request: AuthenticatedHttpRequest, deal: Deal | Lead) -> Activity | None:
    """The activity named by ?after= (just completed on this deal or lead), offered a next step."""
    after = parse_id(request.POST.get("after") or request.GET.get("after"))
    if after is None:
        return None
    activity = activity_for_user(request.user, after)
    return activity if is_on(activity, deal) else None


# The deal page's panel -------------------------------------------------------------------


@require_GET
def deal_panel(request, deal_id: int):
    deal = deal_for_user(request.user, deal_id)
    if not request.htmx:
        return redirect(deal_url(deal))
    return render_panel(request, deal)


@require_GET
def lead_panel(request, lead_id: int):
    lead = lead_for_user(request.user, lead_id)
    if not request.htmx:
        return redirect(deal_url(lead))
    return render_panel(request, lead)


@require_http_methods(["GET", "POST"])
def activity_create(request, deal_id: int):
    return schedule(request, deal_for_user(request.user, deal_id, write=True))


@require_http_methods(["GET", "POST"])
def lead_activity_create(request, lead_id: int):
    return schedule(request, lead_for_user(request.user, lead_id, write=True))


def schedule(request, deal: Deal | Lead) -> HttpResponse:
    """Schedule an activity on a deal or a lead the user may change."""
    completed = completed_activity(request, deal)
    data = request.POST if request.method == "POST" else None
    form: ActivityForm
    if completed is not None:
        form = NextStepForm(data, about=deal, user=request.user, completed=completed)
    else:
        form = ActivityForm(data, about=deal, user=request.user)
    if request.method == "POST" and form.is_valid():
        on = {"lead": deal} if isinstance(deal, Lead) else {"deal": deal}
        activity = services.activity_create(actor=request.user, **on, **form.service_kwargs())
        message = f"Scheduled: {activity.subject}"
        if request.htmx:
            return toast(render_panel(request, deal), message)
        messages.success(request, message)
        return redirect(deal_url(deal))
    if request.htmx:
        return render_panel(request, deal, form=form, completed=completed)
    return render(
        request,
        "activities/activity_form.html",
        {**about_context(deal), "form": form, "completed": completed, "activity": None},
    )


@require_http_methods(["GET", "POST"])
def activity_edit(request, activity_id: int):
    activity = activity_for_user(request.user, activity_id, write=True)
    deal = activity.about
    data = request.POST if request.method == "POST" else None
    form = ActivityForm(data, about=deal, user=request.user, activity=activity)
    if request.method == "POST" and form.is_valid():
        activity = services.activity_update(
            activity=activity, actor=request.user, **form.service_kwargs()
        )
        message = f"Saved: {activity.subject}"
        if request.htmx:
            return toast(render_panel(request, deal), message)
        messages.success(request, message)
        return redirect(deal_url(deal))
    if request.htmx:
        return render_panel(request, deal, form=form, editing=activity)
    return render(
        request,
        "activities/activity_form.html",
        {**about_context(deal), "form": form, "completed": None, "activity": activity},
    )


@require_POST
def activity_complete(request, activity_id: int):
    activity = activity_for_user(request.user, activity_id, write=True)
    deal = activity.about
    services.activity_complete(activity=activity, actor=request.user)
    message = f"Done: {activity.subject}"
    if request.htmx:
        if request.POST.get("from") == "agenda":
            query = QueryDict(urlsplit(request.htmx.current_url or "").query)
            response = render(
                request,
                "activities/activity_list.html#agenda",
                agenda_context(request, query, completed=activity),
            )
            return toast(response, message)
        form = NextStepForm(about=deal, user=request.user, completed=activity)
        return toast(render_panel(request, deal, form=form, completed=activity), message)
    messages.success(request, f"{message}. What is the next step?")
    create = "lead-activity-create" if isinstance(deal, Lead) else "activity-create"
    return redirect(reverse(f"activities:{create}", args=[deal.pk]) + f"?after={activity.pk}")


@require_POST
def activity_reopen(request, activity_id: int):
    activity = activity_for_user(request.user, activity_id, write=True)
    services.activity_reopen(activity=activity, actor=request.user)
    message = f"Reopened: {activity.subject}"
    if request.htmx:
        return toast(render_panel(request, activity.about), message)
    messages.success(request, message)
    return redirect(deal_url(activity.about))


@require_http_methods(["GET", "POST"])
def activity_delete(request, activity_id: int):
    activity = activity_for_user(request.user, activity_id, write=True)
    deal = activity.about
    if request.method == "GET":
        return render(request, "activities/activity_confirm_delete.html", {"activity": activity})
    services.activity_delete(activity=activity, actor=request.user)
    message = f"Deleted: {activity.subject}"
    if request.htmx:
        return toast(render_panel(request, deal), message)
    messages.success(request, message)
    return redirect(deal_url(deal))


# /activities/ ----------------------------------------------------------------------------


def agenda_context(request: AuthenticatedHttpRequest, params: QueryDict, **extra) -> dict:
    person = request.user
    person_id = params.get("person", "")
    if person_id and person_id != str(request.user.pk):
        # An id that is not one answers 404 like any person outside the viewer's teams.
        person = agenda_person_for(request.user, parse_id(person_id) or 0)
    agenda = activity_agenda(
        viewer=request.user,
        person=person,
        status=params.get("status", "open"),
        type=params.get("type", ""),
    )
    return {
        "agenda": agenda,
        "types": ActivityType.choices,
        "statuses": AGENDA_STATUSES,
        "completed": None,
        **extra,
    }


@require_GET
def activity_list(request):
    context = agenda_context(request, request.GET)
    if request.htmx:
        return render(request, "activities/activity_list.html#agenda", context)
    if request.user.is_manager or request.user.is_admin:
        context["people"] = agenda_people(request.user)
    return render(request, "activities/activity_list.html", context)


# Notifications ---------------------------------------------------------------------------


@login_not_required
@require_GET
def notification_bell(request):
    # Polled from every page: a signed-out tab stops polling instead of swapping in a login page.
    if not request.user.is_authenticated:
        return HttpResponseStopPolling()
    return render(
        request,
        "activities/_bell.html",
        {"unread": unread_notification_count(request.user)},
    )


@require_GET
def notification_list(request):
    page = Paginator(notifications_for(request.user).select_related("deal"), 30).get_page(
        request.GET.get("page")
    )
    return render(request, "activities/notification_list.html", {"page": page})


@require_POST
def notification_read(request, notification_id: int):
    notification = notification_for_user(request.user, notification_id)
    services.notification_mark_read(notification=notification, user=request.user)
    target = safe_next(request, reverse("activities:notification-list"))
    if request.htmx and "next" not in request.POST:
        notification.refresh_from_db()
        response = render(
            request,
            "activities/notification_list.html#notification",
            {"notification": notification},
        )
        return trigger_client_event(response, "notifications-changed")
    return redirect(target)


@require_POST
def notification_read_all(request):
    count = services.notifications_mark_all_read(user=request.user)
    message = f"Marked {count} notification{'s' if count != 1 else ''} as read."
    if request.htmx:
        page = Paginator(notifications_for(request.user).select_related("deal"), 30).get_page(
            request.POST.get("page")
        )
        response = render(request, "activities/notification_list.html#list", {"page": page})
        return toast(trigger_client_event(response, "notifications-changed"), message)
    messages.success(request, message)
    return redirect("activities:notification-list")
