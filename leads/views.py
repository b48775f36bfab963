from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from activities.queries import lead_activity_panel
from crm.http import toast
from leads import services
from leads.access import can_change_lead, lead_for_user
from leads.forms import (
    DISQUALIFY_SUGGESTIONS,
    DisqualifyForm,
    LeadFilterForm,
    LeadForm,
    QualifyForm,
)
from leads.models import Lead
from leads.queries import Cursor, inbox_options, lead_inbox, lead_labels
from pipeline.models import Pipeline

CONFLICT = (
    "Someone else changed this lead while you were looking at it; here it is as it is now. "
    "Apply your change again if it still makes sense."
)


# The inbox -------------------------------------------------------------------------------


@require_GET
def inbox(request):
    after = None
    if "after" in request.GET:
        after = Cursor.parse(request.GET["after"])
        if after is None:
            return HttpResponseBadRequest("That page of the inbox does not exist.")
    form = LeadFilterForm(request.GET, options=inbox_options(request.user))
    filters = form.filters()
    page = lead_inbox(request.user, filters, after=after)
    context = {"form": form, "filters": filters, "page": page, "after": after}
    if request.htmx and after is not None:
        return render(request, "leads/inbox.html#rows", context)
    if request.htmx and request.htmx.target == "inbox":
        return render(request, "leads/inbox.html#inbox", context)
    return render(request, "leads/inbox.html", context)


@require_http_methods(["GET", "POST"])
def lead_create(request):
    form = LeadForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        lead = services.lead_create(
            title=data["title"],
            source=data["source"],
            owner=data["owner"],
            organization=data["organization"],
            contact=data["contact"],
            value=data["value"],
            currency=data["currency"],
            labels=data["labels"],
            actor=request.user,
        )
        message = f"Added “{lead.title}” (score {lead.score})."
        if request.htmx:
            response = HttpResponse(status=204)
            toast(response, message)
            trigger_client_event(response, "lead-dialog:close")
            return trigger_client_event(response, "leads:changed")
        messages.success(request, message)
        return redirect("leads:lead-detail", lead.pk)
    template = "leads/lead_form.html#form" if request.htmx else "leads/lead_form.html"
    return render(request, template, {"form": form, "lead": None})


# One lead --------------------------------------------------------------------------------


def detail_context(request, lead: Lead, **extra) -> dict:
    pipelines = list(Pipeline.objects.order_by("name"))
    return {
        "lead": lead,
        "labels": lead_labels(lead),
        "can_change": can_change_lead(request.user, lead),
        "pipelines": pipelines,
        "qualify_form": QualifyForm(initial={"version": lead.version}),
        "disqualify_form": DisqualifyForm(initial={"version": lead.version}),
        "reasons": DISQUALIFY_SUGGESTIONS,
        "activity_panel": lead_activity_panel(lead, user=request.user),
        **extra,
    }


@require_GET
def lead_detail(request, lead_id: int):
    lead = lead_for_user(request.user, lead_id)
    if request.htmx and request.htmx.target == "lead-summary":
        # Redrawn after its activities changed (its score counts them).
        return render(
            request,
            "leads/lead_detail.html#summary",
            {
                "lead": lead,
                "labels": lead_labels(lead),
                "can_change": can_change_lead(request.user, lead),
            },
        )
    return render(request, "leads/lead_detail.html", detail_context(request, lead))


@require_http_methods(["GET", "POST"])
def lead_edit(request, lead_id: int):
    """Edit in place: htmx swaps the summary for the form and back; without JavaScript it is
    a page of its own."""
    lead = lead_for_user(request.user, lead_id, write=True)
    form = LeadForm(request.POST or None, instance=lead, user=request.user)
    if request.method == "POST" and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data if name != "version"}
        try:
            services.lead_update(
                lead=lead, version=form.cleaned_data["version"], actor=request.user, **changed
            )
        except services.LeadConflict:
            form.add_error(None, CONFLICT)
        except services.LeadChangeRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            message = f"Saved “{lead.title}”."
            if request.htmx:
                lead = lead_for_user(request.user, lead.pk)
                response = render(
                    request,
                    "leads/lead_detail.html#summary",
                    {"lead": lead, "labels": lead_labels(lead), "can_change": True},
                )
                return toast(response, message)
            messages.success(request, message)
            return redirect("leads:lead-detail", lead.pk)
    if request.htmx:
        return render(request, "leads/lead_detail.html#summary-form", {"lead": lead, "form": form})
    return render(request, "leads/lead_form.html", {"form": form, "lead": lead})


@require_POST
def lead_qualify(request, lead_id: int):
    lead = lead_for_user(request.user, lead_id, write=True)
    form = QualifyForm(request.POST)
    detail_url = reverse("leads:lead-detail", args=[lead.pk])
    if not form.is_valid():
        errors = " ".join(str(e) for errors in form.errors.values() for e in errors)
        messages.error(request, f"The lead was not qualified: {errors}")
        return redirect(detail_url)
    try:
        deal = services.lead_qualify(
            lead=lead,
            version=form.cleaned_data["version"],
            pipeline=form.cleaned_data["pipeline"],
            actor=request.user,
        )
    except services.LeadConflict:
        messages.error(request, CONFLICT)
    except services.LeadChangeRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request, f"“{lead.title}” is qualified: it is now a deal in {deal.stage.name}."
        )
        return redirect("pipeline:deal-detail", deal.pk)
    return redirect(detail_url)


@require_POST
def lead_disqualify(request, lead_id: int):
    lead = lead_for_user(request.user, lead_id, write=True)
    form = DisqualifyForm(request.POST)
    if form.is_valid():
        try:
            services.lead_disqualify(
                lead=lead,
                version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except services.LeadConflict:
            form.add_error(None, CONFLICT)
        except services.LeadChangeRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, f"“{lead.title}” is disqualified.")
            return redirect("leads:lead-detail", lead.pk)
    return render(
        request,
        "leads/lead_detail.html",
        detail_context(request, lead, disqualify_form=form),
        status=400,
    )
