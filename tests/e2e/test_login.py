import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_rep_logs_in_and_lands_on_their_board(new_page, cast):
    page = new_page(cast.rep_a)
    assert page.url.endswith("/pipeline/")
    assert page.get_by_role("link", name="Rep A's deal").is_visible()
    assert page.get_by_text("Rep B's deal").count() == 0


def test_wrong_password_shows_a_message(new_page, cast):
    page = new_page()
    page.goto("/login/")
    page.fill("#id_username", "rep_a")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text().startswith("Please enter a correct username")
