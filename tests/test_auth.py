from django.urls import reverse

from tests.factories import make_user


def test_every_page_but_login_requires_login(client, db):
    for name in ("home", "pipeline:deal-list", "profile", "password_change"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200


def test_login_and_logout(client, db):
    make_user("rita")
    response = client.post(reverse("login"), {"username": "rita", "password": "pw"})
    assert response.status_code == 302
    assert client.get(reverse("pipeline:deal-list")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("pipeline:deal-list")).status_code == 302


def test_wrong_password_shows_an_error(client, db):
    make_user("rita")
    response = client.post(reverse("login"), {"username": "rita", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.text


def test_password_change(client, db):
    user = make_user("rita")
    client.force_login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pw",
            "new_password1": "a-Long-new-secret-42",
            "new_password2": "a-Long-new-secret-42",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-Long-new-secret-42")


def test_profile_sets_the_time_zone_and_rejects_unknown_ones(client, db):
    user = make_user("rita")
    client.force_login(user)
    response = client.post(
        reverse("profile"),
        {
            "first_name": "Rita",
            "last_name": "R",
            "email": "r@example.com",
            "time_zone": "Mars/Olympus",
        },
    )
    assert response.status_code == 200
    assert "is-invalid" in response.text
    user.refresh_from_db()
    assert user.time_zone == "UTC"
    client.post(
        reverse("profile"),
        {
            "first_name": "Rita",
            "last_name": "R",
            "email": "r@example.com",
            "time_zone": "Europe/Paris",
        },
    )
    user.refresh_from_db()
    assert user.time_zone == "Europe/Paris"
