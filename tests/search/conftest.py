"""The organizations and contacts of the contacts tests, around the shared cast."""

from tests.contacts.conftest import records  # noqa: F401
