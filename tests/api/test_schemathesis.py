"""Schemathesis against the live API: generated requests, valid and invalid, for every
operation, as a rep with a read-write token. No 5xx, and every response matches the
OpenAPI document (status code, content type, headers, body schema).

Each operation is driven through its Hypothesis strategy (schemathesis' pytest plugin does
not run under pytest 9 yet); a failure names the operation and the case that broke it.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.services import token_create

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Per operation and mode: enough to reach every parameter, small enough for a quick suite.
EXAMPLES = 8


@pytest.mark.django_db(transaction=True)
def test_api_conforms_to_its_schema(live_server, cast):
    from django.conf import settings as django_settings

    previous = django_settings.API_RATE_LIMIT
    django_settings.API_RATE_LIMIT = 0  # hundreds of requests a minute: not what is tested
    try:
        _, raw = token_create(user=cast.rep_a, scope="write")
        with_custom_values(cast)
        schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 20
        headers = {"Authorization": f"Bearer {raw}"}
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                run_operation(operation, mode, headers, live_server.url)
    finally:
        django_settings.API_RATE_LIMIT = previous


def with_custom_values(cast) -> None:
    """Custom fields of several types, with values on rep_a's deal and organization, so that
    `custom` is read and written too."""
    from tests.customfields.conftest import define
    from tests.factories import make_organization

    for kind in ("deal", "organization", "contact"):
        define(kind, "tier", "choice", choices="Gold\nSilver")
        define(kind, "budget", "money")
        define(kind, "champion", "user")
        define(kind, "regions", "multi_choice", choices="EU\nUS")
    values = {"tier": "Gold", "budget": 1999.99, "champion": cast.rep_a.pk, "regions": ["EU"]}
    cast.deal_a.custom = values
    cast.deal_a.save()
    make_organization("Custom Org", owner=cast.rep_a, custom=values)


def run_operation(operation, mode, headers, base_url) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case):
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS)

    try:
        check()
    except Exception as error:
        pytest.fail(f"{operation.label} ({mode}): {error}")
