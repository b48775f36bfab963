"""Organizations and contacts through the API: contacts.access decides who sees (404) and
who changes (403) each record, exactly as on the pages."""

import pytest

from contacts.models import Contact, Organization
from tests.api.conftest import custom_sample
from tests.factories import make_contact, make_organization

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(cast):
    """org_a (rep_a's own) and org_b (rep_b's, linked to rep_a's deal), each with a contact."""
    org_a = make_organization("Alpha Ltd", owner=cast.rep_a)
    org_b = make_organization("Beta GmbH", owner=cast.rep_b)
    contact_a = make_contact(organization=org_a, first_name="Ann", owner=cast.rep_a)
    contact_b = make_contact(organization=org_b, first_name="Ben", owner=cast.rep_b)
    cast.deal_a.organization, cast.deal_a.contact = org_b, contact_b
    cast.deal_a.save()
    return {"org_a": org_a, "org_b": org_b, "contact_a": contact_a, "contact_b": contact_b}


# What each viewer gets for each record: 200 (may change), 403 (sees, may not change), 404.
ACCESS = {
    "rep_a": {"a": 200, "b": 403},
    "rep_a2": {"a": 404, "b": 404},
    "manager_a": {"a": 200, "b": 403},
    "rep_b": {"a": 404, "b": 200},
    "manager_b": {"a": 404, "b": 200},
    "admin": {"a": 200, "b": 200},
}
CASES = [(viewer, which, code) for viewer, row in ACCESS.items() for which, code in row.items()]
KINDS = [("organizations", "org"), ("contacts", "contact")]


@pytest.mark.parametrize("scope", ["read", "write"])
@pytest.mark.parametrize(("segment", "key"), KINDS)
@pytest.mark.parametrize(("viewer", "which", "code"), CASES)
def test_detail_matrix(api_as, records, viewer, which, code, segment, key, scope):
    record = records[f"{key}_{which}"]
    response = api_as(viewer, scope=scope).get(f"/api/v1/{segment}/{record.pk}")
    assert response.status_code == (404 if code == 404 else 200)
    if code != 404:
        assert response.json()["id"] == record.pk


@pytest.mark.parametrize(("segment", "key"), KINDS)
@pytest.mark.parametrize("viewer", list(ACCESS))
def test_list_matrix(api_as, records, viewer, segment, key):
    response = api_as(viewer, scope="read").get(f"/api/v1/{segment}")
    ids = {row["id"] for row in response.json()["results"]}
    expected = {records[f"{key}_{w}"].pk for w, code in ACCESS[viewer].items() if code != 404}
    assert ids == expected


@pytest.mark.parametrize(("viewer", "which", "code"), CASES)
def test_organization_update_matrix(api_as, records, viewer, which, code):
    org = records[f"org_{which}"]
    response = api_as(viewer).patch(f"/api/v1/organizations/{org.pk}", {"sector": "Retail"})
    assert response.status_code == code
    org.refresh_from_db()
    assert (org.sector == "Retail") is (code == 200)


@pytest.mark.parametrize(("viewer", "which", "code"), CASES)
def test_contact_update_matrix(api_as, records, viewer, which, code):
    contact = records[f"contact_{which}"]
    response = api_as(viewer).patch(f"/api/v1/contacts/{contact.pk}", {"job_title": "CFO"})
    assert response.status_code == code
    contact.refresh_from_db()
    assert (contact.job_title == "CFO") is (code == 200)


@pytest.mark.parametrize("viewer", list(ACCESS))
def test_read_only_token_cannot_change_records(api_as, records, viewer):
    api = api_as(viewer, scope="read")
    org = records["org_a"]
    assert api.patch(f"/api/v1/organizations/{org.pk}", {"sector": "X"}).status_code == 403
    assert api.post("/api/v1/organizations", {"name": "New"}).status_code == 403
    assert (
        api.post(
            "/api/v1/contacts", {"first_name": "A", "last_name": "B", "organization_id": org.pk}
        ).status_code
        == 403
    )
    assert Organization.objects.count() == 2 and Contact.objects.count() == 2


def test_rep_creates_an_organization_and_a_contact_they_own(api_as, cast, records):
    api = api_as("rep_a")
    org = api.post("/api/v1/organizations", {"name": "  Gamma Inc  ", "employees": 12})
    assert org.status_code == 201
    assert (org.json()["name"], org.json()["owner_id"]) == ("Gamma Inc", cast.rep_a.pk)
    contact = api.post(
        "/api/v1/contacts",
        {
            "first_name": "Gil",
            "last_name": "Grey",
            "organization_id": org.json()["id"],
            "email": "gil@example.com",
        },
    )
    assert contact.status_code == 201
    assert Contact.objects.get(pk=contact.json()["id"]).owner == cast.rep_a


def test_contact_at_an_invisible_organization_is_refused(api_as, records):
    response = api_as("rep_a2").post(
        "/api/v1/contacts",
        {"first_name": "A", "last_name": "B", "organization_id": records["org_a"].pk},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "organization_id"


def test_only_admins_hand_records_over(api_as, cast, records):
    refused = api_as("rep_a").patch(
        f"/api/v1/organizations/{records['org_a'].pk}", {"owner_id": cast.rep_a2.pk}
    )
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "owner_id"
    done = api_as("admin").patch(
        f"/api/v1/organizations/{records['org_a'].pk}", {"owner_id": cast.rep_a2.pk}
    )
    assert done.status_code == 200 and done.json()["owner_id"] == cast.rep_a2.pk


def test_contact_validation_uses_the_forms_messages(api_as, records):
    response = api_as("rep_a").patch(
        f"/api/v1/contacts/{records['contact_a'].pk}", {"email": "not an address"}
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "email", "message": "Enter a valid email address."}
    ]


def test_search_and_organization_filters(api_as, records):
    api = api_as("admin")
    assert [
        o["name"] for o in api.get("/api/v1/organizations", {"q": "bet"}).json()["results"]
    ] == ["Beta GmbH"]
    contacts = api.get("/api/v1/contacts", {"organization": records["org_a"].pk}).json()["results"]
    assert [c["first_name"] for c in contacts] == ["Ann"]


@pytest.mark.parametrize("segment", ["organizations", "contacts"])
def test_record_lists_cost_the_same_queries_at_two_sizes(
    api_as, cast, records, assert_max_queries, five_fields, segment
):
    # The token, the page, the custom field definitions.
    api = api_as("manager_a")
    api.get(f"/api/v1/{segment}")
    with assert_max_queries(3) as small:
        api.get(f"/api/v1/{segment}")
    custom = custom_sample(cast.rep_a2.pk)
    for _ in range(15):
        organization = make_organization(owner=cast.rep_a2, custom=custom)
        make_contact(organization=organization, owner=cast.rep_a2, custom=custom)
    with assert_max_queries(3) as large:
        results = api.get(f"/api/v1/{segment}", {"limit": 10}).json()["results"]
    assert len(small.captured_queries) == len(large.captured_queries)
    assert len(results) == 10
    assert results[0]["custom"]["budget"] == "1999.99"
    assert results[0]["custom"]["champion"] == cast.rep_a2.pk
