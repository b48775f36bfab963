from django.urls import reverse

from pipeline.models import DealStatus
from tests.factories import make_deal


def test_list_filters_by_status_and_search(client, cast):
    stage = cast.pipeline.stages.first()
    make_deal(owner=cast.rep_a, stage=stage, title="Won big one", status=DealStatus.WON)
    client.force_login(cast.rep_a)
    response = client.get(reverse("pipeline:deal-list"), {"status": "won"})
    assert "Won big one" in response.text
    assert "Rep A&#x27;s deal" not in response.text
    response = client.get(reverse("pipeline:deal-list"), {"q": "big"})
    assert "Won big one" in response.text


def test_list_shows_an_empty_state(client, cast):
    client.force_login(cast.rep_a)
    response = client.get(reverse("pipeline:deal-list"), {"q": "nothing like this"})
    assert "No deals match these filters" in response.text


def test_list_runs_a_fixed_number_of_queries(client, cast, django_assert_max_num_queries):
    stage = cast.pipeline.stages.first()
    client.force_login(cast.manager_a)
    with django_assert_max_num_queries(6):
        client.get(reverse("pipeline:deal-list"))
    for _ in range(40):
        make_deal(owner=cast.rep_a2, stage=stage)
    with django_assert_max_num_queries(6):
        response = client.get(reverse("pipeline:deal-list"))
    assert response.text.count("/deals/") >= 42


def test_user_text_is_escaped(client, cast):
    cast.deal_a.title = "<script>alert(1)</script>"
    cast.deal_a.save()
    client.force_login(cast.rep_a)
    for url in (
        reverse("pipeline:deal-list"),
        reverse("pipeline:deal-detail", args=[cast.deal_a.pk]),
    ):
        response = client.get(url)
        assert "<script>alert(1)</script>" not in response.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_deal_page_shows_the_timeline_with_who_and_when(client, cast):
    stage = cast.pipeline.stages.first()
    deal = make_deal(owner=cast.rep_a, stage=stage, title="Closed one", status=DealStatus.LOST)
    client.force_login(cast.rep_a)
    response = client.get(reverse("pipeline:deal-detail", args=[deal.pk]))
    assert "Entered <strong>Lead</strong>" in response.text
    assert "Marked <strong>lost</strong>" in response.text
    assert str(cast.rep_a) in response.text
