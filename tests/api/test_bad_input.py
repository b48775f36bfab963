"""Bad input never reaches the database as a 500: each is a clear 4xx JSON error."""

import pytest

from pipeline.models import Deal

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999999"
BAD_IDS = [HUGE, "²", "0", "-1", "1e3", "\uff11\uff12", "%20", "9223372036854775808"]


def assert_json_error(response, *statuses):
    assert response.status_code in statuses, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str) and body["detail"]


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/deals/{}",
        "/api/v1/organizations/{}",
        "/api/v1/contacts/{}",
        "/api/v1/activities/{}",
        "/api/v1/pipelines/{}",
        "/api/v1/deals/{}/notes",
    ],
)
def test_bad_ids_in_paths(api_as, cast, path, bad):
    assert_json_error(api_as("admin").get(path.format(bad)), 404, 422)


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("name", ["pipeline", "stage", "owner", "team", "territory"])
def test_bad_ids_in_filters(api_as, cast, name, bad):
    assert_json_error(api_as("admin").get("/api/v1/deals", {name: bad}), 422)


@pytest.mark.parametrize(
    "value",
    [
        "9999-12-31T23:59:59-05:00",
        "0001-01-01T00:00:00+05:00",
        "not a date",
        "2026-02-30T00:00:00Z",
    ],
)
def test_dates_out_of_range(api_as, cast, value):
    assert_json_error(api_as("admin").get("/api/v1/deals", {"updated_since": value}), 422)


def test_far_future_is_fine_when_it_fits(api_as, cast):
    response = api_as("admin").get("/api/v1/deals", {"updated_since": "9999-12-31T00:00:00Z"})
    assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize("q", ["a\x00b", "x" * 101])
def test_search_text_is_checked(api_as, cast, q):
    assert_json_error(api_as("admin").get("/api/v1/deals", {"q": q}), 422)


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[]",
        "null",
        '"text"',
        {},
        {"title": "X"},
        {"title": "X", "stage_id": "²", "value": "1"},
        {"title": "X", "stage_id": True, "value": "1"},
        {"title": "X", "stage_id": HUGE, "value": "1"},
        {"title": "X", "stage_id": 1, "value": "NaN"},
        {"title": "X", "stage_id": 1, "value": "1e400"},
        {"title": "X", "stage_id": 1, "value": "-5"},
        {"title": "X", "stage_id": 1, "value": "123456789012345678"},
        {"title": "X", "stage_id": 1, "value": [1]},
        {"title": "X" * 201, "stage_id": 1, "value": "1"},
        {"title": "a\x00b", "stage_id": 1, "value": "1"},
        {"title": "X", "stage_id": 1, "value": "1", "expected_close_date": "9999-99-99"},
        {"title": "X", "stage_id": 1, "value": "1", "currency": "EURO"},
        {"title": "X", "stage_id": 1, "value": "1", "organization_id": HUGE},
    ],
)
def test_bad_deal_bodies(api_as, cast, body):
    response = api_as("rep_a").post("/api/v1/deals", body)
    assert_json_error(response, 400, 422)
    assert Deal.objects.count() == 3


def test_line_breaks_and_year_9999_are_refused_as_on_the_pages(api_as, cast):
    """The API writes through the deal form, so it follows the same input rules (issue 8)."""
    stage = cast.pipeline.stages.first()
    deals_before = Deal.objects.count()
    response = api_as("rep_a").post(
        "/api/v1/deals",
        {
            "title": "Line\r\nbreak",
            "stage_id": stage.pk,
            "value": "1",
            "expected_close_date": "9999-12-31",
        },
    )
    assert_json_error(response, 422)
    fields = {error.get("field") for error in response.json()["errors"]}
    assert {"title", "expected_close_date"} <= fields, response.json()
    assert Deal.objects.count() == deals_before


@pytest.mark.parametrize(
    "body",
    [
        {"stage_id": 1},
        {"stage_id": 1, "version": 0},
        {"stage_id": 1, "version": HUGE},
        {"stage_id": 1, "version": "two"},
        {"stage_id": HUGE, "version": 1},
        {"stage_id": 1, "after_id": "²", "version": 1},
    ],
)
def test_bad_move_bodies(api_as, cast, body):
    assert_json_error(api_as("rep_a").post(f"/api/v1/deals/{cast.deal_a.pk}/move", body), 422)
    cast.deal_a.refresh_from_db()
    assert cast.deal_a.version == 1


def test_move_to_an_unknown_stage_is_400(api_as, cast):
    response = api_as("rep_a").post(
        f"/api/v1/deals/{cast.deal_a.pk}/move", {"stage_id": 987654321, "version": 1}
    )
    assert_json_error(response, 400)


@pytest.mark.parametrize(
    "body",
    [
        {"subject": "X", "due_date": "9999-12-31", "due_time": "25:00"},
        {"subject": "X", "due_date": "2030-01-01", "due_time": "\r\n"},
        {"subject": "X", "due_date": "2030-01-01", "duration_minutes": 7},
        {"subject": "X", "due_date": "2030-01-01", "reminder_offset": 3},
        {"subject": "", "due_date": "2030-01-01"},
        {"subject": "X", "due_date": "01/02/2030"},
    ],
)
def test_bad_activity_bodies(api_as, cast, body):
    response = api_as("rep_a").post(f"/api/v1/deals/{cast.deal_a.pk}/activities", body)
    assert_json_error(response, 422)


@pytest.mark.parametrize(
    "body",
    [
        '{"version": 1, "title": "a\\ud800b"}',
        '{"version": 1, "custom": {"po": "a\\udfffb"}}',
        '{"version": 1, "custom": {"k\\ud800": "x"}}',
        '{"version": 1, "title": "' + "9" * 5000 + '"}',
        '{"version": ' + "9" * 5000 + "}",
    ],
)
def test_lone_surrogates_and_endless_numbers_are_400_not_stored(api_as, cast, body):
    """A lone surrogate escape is valid JSON but not text: no column takes it (issue 10)."""
    from tests.customfields.conftest import define

    define("deal", "po", "text")
    response = api_as("rep_a").patch(f"/api/v1/deals/{cast.deal_a.pk}", body)
    assert response.status_code in (400, 422)
    cast.deal_a.refresh_from_db()
    assert (cast.deal_a.version, cast.deal_a.custom) == (1, {})


def test_a_form_body_is_400(api_as, cast):
    response = api_as("rep_a").client.post(
        "/api/v1/deals",
        data="title=x",
        content_type="application/x-www-form-urlencoded",
        headers=api_as("rep_a").headers(),
    )
    assert_json_error(response, 400, 422)


def test_unknown_addresses_and_methods(api_as, cast):
    api = api_as("admin")
    assert_json_error(api.get("/api/v1/nothing/here"), 404)
    assert_json_error(api.get("/api/v2/deals"), 404)
    response = api.client.delete(f"/api/v1/deals/{cast.deal_a.pk}", headers=api.headers())
    assert_json_error(response, 405)
    assert set(response["Allow"].split(", ")) == {"GET", "PATCH"}
