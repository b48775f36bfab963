"""Admins define custom fields in Django admin: checked definitions, fixed key and type."""

from django.urls import reverse

from customfields.models import FieldDefinition

from .conftest import define

ADD = "admin:customfields_fielddefinition_add"


def definition_form(**changes) -> dict:
    return {
        "kind": "deal",
        "key": "tier",
        "label": "Tier",
        "type": "choice",
        "choices": "Gold\nSilver",
        "order": "1",
        "help_text": "",
        **changes,
    }


def test_an_admin_adds_a_field(client, cast):
    client.force_login(cast.admin)
    response = client.post(reverse(ADD), definition_form(show_on_card="on"))
    assert response.status_code == 302
    tier = FieldDefinition.objects.get()
    assert (tier.kind, tier.key, tier.type, tier.choice_list, tier.show_on_card) == (
        "deal",
        "tier",
        "choice",
        ["Gold", "Silver"],
        True,
    )


def test_bad_definitions_are_refused_with_a_reason(client, cast):
    define("deal", "tier", "text")
    client.force_login(cast.admin)
    cases = [
        (definition_form(key="Tier Level"), "Lower-case letters, digits and single underscores"),
        (definition_form(key="a__b"), "Lower-case letters, digits and single underscores"),
        (definition_form(choices=""), "List at least one choice, one per line."),
        (definition_form(type="text"), "Only single and multiple choice fields have choices."),
        (
            definition_form(kind="contact", key="x", show_on_card="on"),
            "Only deals have board cards.",
        ),
        (definition_form(), "Field definition with this Object and Key already exists."),
    ]
    for data, message in cases:
        response = client.post(reverse(ADD), data)
        assert response.status_code == 200
        assert message in response.text, message
    assert FieldDefinition.objects.count() == 1


def test_key_and_type_cannot_change_but_label_and_order_can(client, cast):
    tier = define("deal", "tier", "choice", choices="Gold")
    client.force_login(cast.admin)
    url = reverse("admin:customfields_fielddefinition_change", args=[tier.pk])
    page = client.get(url).text
    assert 'name="key"' not in page and 'name="type"' not in page
    response = client.post(
        url, {"label": "Level", "choices": "Gold\nBronze", "order": "5", "help_text": ""}
    )
    assert response.status_code == 302
    tier.refresh_from_db()
    assert (tier.key, tier.type, tier.label, tier.order) == ("tier", "choice", "Level", 5)


def test_only_staff_reach_the_definitions(client, cast):
    url = reverse("admin:customfields_fielddefinition_changelist")
    for name in ("rep_a", "manager_a"):
        client.force_login(cast.user(name))
        assert client.get(url).status_code == 302  # to the admin login
    client.force_login(cast.admin)
    assert client.get(url).status_code == 200
