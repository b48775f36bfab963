"""Two people move the same deal from the same version at the same moment: one wins."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from pipeline.models import Deal, DealStageChange

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_moves_from_the_same_version_exactly_one_wins(cast):
    _, proposal, negotiation = cast.pipeline.stages.order_by("order")
    deal = cast.deal_a
    url = reverse("pipeline:deal-move", args=[deal.pk])
    start = threading.Barrier(2)
    results: dict[str, int] = {}

    def drag(who: str, user, stage):
        client = Client()
        client.force_login(user)
        start.wait()
        response = client.post(
            url, {"stage": stage.pk, "version": 1}, headers={"HX-Request": "true"}
        )
        results[who] = response.status_code
        connection.close()  # each thread has its own database connection

    threads = [
        threading.Thread(target=drag, args=("rep", cast.rep_a, proposal)),
        threading.Thread(target=drag, args=("manager", cast.manager_a, negotiation)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(results.values()) == [200, 409]
    winner = "rep" if results["rep"] == 200 else "manager"
    deal.refresh_from_db()
    assert deal.stage == (proposal if winner == "rep" else negotiation)
    assert deal.version == 2
    moves = DealStageChange.objects.filter(deal=deal, from_stage__isnull=False)
    assert moves.count() == 1
    assert moves.get().changed_by == (cast.rep_a if winner == "rep" else cast.manager_a)


def test_the_loser_sees_the_deal_where_it_really_is(cast):
    _, proposal, negotiation = cast.pipeline.stages.order_by("order")
    deal = cast.deal_a
    winner, loser = Client(), Client()
    winner.force_login(cast.manager_a)
    loser.force_login(cast.rep_a)
    url = reverse("pipeline:deal-move", args=[deal.pk])
    assert (
        winner.post(
            url, {"stage": negotiation.pk, "version": 1}, headers={"HX-Request": "true"}
        ).status_code
        == 200
    )
    response = loser.post(url, {"stage": proposal.pk, "version": 1}, headers={"HX-Request": "true"})
    assert response.status_code == 409
    # The loser's board reloads (board:reload) and draws the card in Negotiation.
    board = loser.get(
        reverse("pipeline:board", args=[cast.pipeline.pk]),
        headers={"HX-Request": "true", "HX-Target": "board"},
    )
    negotiation_column = next(c for c in board.context["columns"] if c.stage == negotiation)
    assert deal.pk in [d.pk for d in negotiation_column.cards]
    assert Deal.objects.get(pk=deal.pk).version == 2
