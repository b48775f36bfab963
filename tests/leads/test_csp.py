"""The lead screens send nothing the Content-Security-Policy would block (tests/test_csp.py
checks the other screens the same way)."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from activities.models import Notification
from leads.services import lead_disqualify
from tests.activities.factories import make_activity
from tests.test_csp import inline_code


def test_lead_pages_hold_no_inline_code(client, cast, leads):
    leads.lead_a.labels.add(leads.hot)
    make_activity(lead=leads.lead_a, due_at=timezone.now() + timedelta(days=1))
    Notification.objects.create(recipient=cast.admin, lead=leads.lead_a, text="Call: due")
    lead_disqualify(lead=leads.lead_b, version=1, reason="Duplicate", actor=cast.rep_b)
    lead = leads.lead_a.pk
    client.force_login(cast.admin)
    for url in (
        reverse("leads:inbox"),
        reverse("leads:inbox") + "?status=all&q=Rep",
        reverse("leads:lead-create"),
        reverse("leads:lead-detail", args=[lead]),
        reverse("leads:lead-detail", args=[leads.lead_b.pk]),
        reverse("leads:lead-edit", args=[lead]),
        reverse("activities:lead-activity-create", args=[lead]),
        reverse("activities:activity-list") + f"?person={cast.rep_a.pk}",
        reverse("activities:notification-list"),
        reverse("reporting:dashboard"),
        reverse("admin:leads_lead_changelist"),
        reverse("admin:leads_lead_change", args=[lead]),
        reverse("admin:leads_leadsource_changelist"),
        reverse("admin:leads_leadlabel_changelist"),
    ):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code == 200, url
            assert inline_code(response.text) == [], url
