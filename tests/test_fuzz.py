"""Every URL, fed bad input, answers 2xx, 3xx or 4xx: never a server error.

The URLs come from the resolver, so a URL added later is covered without touching this file.
Path parameters are filled with real ids of the cast's objects (and with ids that name nothing);
parameter names are the ones the views read (found in their source), the fields of every form,
the fields the pages render, and a list of our own. Each request sends bad values (huge and
non-ASCII numbers, far dates, line breaks, NUL bytes, very long text, broken percent-encoding,
repeated parameters, markup and SQL) as query parameters and POST bodies, form-encoded and, under
/api/, JSON. Each request runs in a savepoint that is rolled back, so one request's changes
(a deletion, say) do not hide the next one's paths.

FUZZ_TRACEBACKS=1 prints the traceback of each server error; FUZZ_STATS=1 (with -s) the number
of requests.
"""

import importlib
import itertools
import json
import logging
import os
import re
import traceback
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import IntConverter
from django.urls.exceptions import Resolver404
from django.utils import timezone
from django.views.generic import RedirectView

from activities.models import Notification
from contacts.models import Contact, Organization
from customfields.models import FieldDefinition
from imports.models import ImportJob, ImportStatus
from notes.models import Note
from tests.activities.factories import make_activity
from tests.factories import make_contact, make_organization
from tests.leads.factories import make_lead
from tests.project import is_project_path
from webhooks.models import Event, Webhook

ROOT = Path(settings.BASE_DIR)
HUGE = "9" * 40

# The bad values: each is sent as it is; a few base values are also sent in variants below.
BASE_BAD = [
    # Numbers
    HUGE,
    "9" * 30,
    str(2**63),
    str(2**63 - 1),
    str(-(2**63) - 1),
    "-" + HUGE,
    "-0",
    "0",
    "-1",
    "1e9",
    "1E400",
    "1.5",
    "0x1F",
    "1_000",
    "+1",
    " 1",
    "NaN",
    "inf",
    "-inf",
    "²",
    "١٢",
    "٣",
    "\uff11\uff12",  # full-width 12
    "Ⅻ",
    "1,2",
    "1;2",
    "1%2C2",
    # Dates and times
    "9999-12-31",
    "9999-12-31 23:59",
    "9999-12-31T23:59:59",
    "9999-12-31T23:59:59+14:00",
    "0001-01-01",
    "0001-01-01 00:00",
    "0001-01-01T00:00:00-12:00",
    "0000-00-00",
    "1899-12-31",
    "2201-01-01",
    "2026-02-30",
    "2026-13-01",
    "99999-01-01",
    "-2026-01-01",
    "24:00",
    "23:60",
    "99:99",
    "12:30:99",
    # Text that breaks lines, headers and terminals
    "a\r\nb",
    "\r\n",
    "\n",
    "\r",
    "Offer\r\nBcc: victim@example.com",
    "tab\there",
    "\x00",
    "a\x00b",
    "\x1b[31mred",
    "\x7f",
    "\x85next line",
    "\u2028line separator",
    "\u202eevil",
    "\ufeffbom",
    "zero\u200bwidth",
    "🙂",
    "é" * 3000,
    "x" * 10_000,
    "x" * 201,
    # Markup, SQL, templates, paths, CSV formulas
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' OR '1'='1",
    "1; DROP TABLE pipeline_deal; --",
    "%",
    "_",
    "\\",
    "'",
    '"',
    "{{ 7|add:7 }}",
    "${7*7}",
    "../../etc/passwd",
    '=HYPERLINK("http://x")',
    "@SUM(1)",
    "javascript:alert(1)",
    "//evil.example.com",
    "https://evil.example.com/",
    "http://127.0.0.1:1/",
    # Empty and look-alike values
    "",
    " ",
    "null",
    "None",
    "undefined",
    "true",
    "[]",
    "{}",
    "[1, 2]",
    '{"a": 1}',
]
# Variants: the base value repeated after a comma, with surrounding spaces, and doubled (so a
# parser that splits, trims or concatenates meets it too).
BAD = list(
    dict.fromkeys(
        [
            *BASE_BAD,
            *(f"{value},{value}" for value in BASE_BAD[:30]),
            *(f"  {value}  " for value in BASE_BAD[:60]),
            *(value * 2 for value in BASE_BAD[27:47]),
        ]
    )
)
# Percent-encodings that are not UTF-8, and a query with arrays, sent raw.
RAW_QUERIES = [
    "%ff%fe=%c3%28",
    "{name}=%ff%fe%fd",
    "{name}=%c3%28&{name}=%80",
    "{name}[]=1&{name}[]=2",
]

# Parameter names the views read, beyond what the source scan and the forms give.
EXPLICIT_NAMES = [
    "scope_owner",
    "scope_team",
    "scope_territory",
    "scope_q",
    "person",
    "pipeline",
    "after",
    "before",
    "page",
    "cursor",
    "q",
    "status",
    "sort",
    "order",
    "show",
    "field",
    "create",
    "next",
    "fp",
    "period",
    "start",
    "end",
    "shown_start",
    "shown_end",
    "by",
    "rep",
    "team",
    "territory",
    "owner",
    "organization",
    "organization_id",
    "contact",
    "stage",
    "version",
    "remove",
    "other",
    "via",
    "from",
    "id",
    "ids",
    "limit",
    "offset",
    "search",
    "o",
    "p",
    "_changelist_filters",
    "action",
    "_selected_action",
    "select_across",
]
READ_PATTERN = re.compile(
    r"""(?:GET|POST|query_params|data)\s*(?:\.get|\.getlist|\.pop)?\s*[\[(]\s*["']([A-Za-z_]\w*)["']"""
)
IN_PATTERN = re.compile(r"""["']([A-Za-z_]\w*)["']\s+(?:not\s+)?in\s+request\.(?:GET|POST)""")


def names_read_by_views() -> set[str]:
    """Every parameter name the project's code reads from a request."""
    names: set[str] = set()
    folders = [Path(c.path) for c in apps.get_app_configs() if is_project_path(c.path)]
    for path in itertools.chain(*(folder.rglob("*.py") for folder in [*folders, ROOT / "crm"])):
        if "migrations" in path.parts:
            continue
        source = path.read_text(encoding="utf-8")
        if "request" in source:
            names.update(READ_PATTERN.findall(source))
            names.update(IN_PATTERN.findall(source))
    return names


def all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found.add(sub)
        found |= all_subclasses(sub)
    return found


def form_field_names() -> set[str]:
    """The fields of every form defined by the project's apps."""
    for config in apps.get_app_configs():
        if is_project_path(config.path) and (Path(config.path) / "forms.py").exists():
            importlib.import_module(f"{config.name}.forms")
    names: set[str] = set()
    for form in all_subclasses(forms.BaseForm):
        module = importlib.import_module(form.__module__)
        if is_project_path(module.__file__ or "/") and hasattr(form, "base_fields"):
            names.update(form.base_fields)
    return names


# URLs ------------------------------------------------------------------------------------


@dataclass
class Route:
    route: str
    converters: dict
    pattern: URLPattern

    @property
    def is_admin(self) -> bool:
        return self.route.startswith("admin/")

    @property
    def is_light(self) -> bool:
        """An admin page that reads no input beyond its path (history, delete confirmation,
        the old change URL's redirect): a plain request and a bad id are enough."""
        name = self.pattern.name or ""
        redirect = getattr(self.pattern.callback, "view_class", None) is RedirectView
        return self.is_admin and (name.endswith(("_history", "_delete")) or redirect)

    @property
    def is_ours(self) -> bool:
        """Not an admin page of a third-party app (axes, auth's groups): their code is not
        ours to fix."""
        model_admin = getattr(self.pattern.callback, "model_admin", None)
        if model_admin is None:
            return True
        return is_project_path(apps.get_app_config(model_admin.opts.app_label).path)

    @property
    def params(self) -> list[str]:
        return re.findall(r"<(?:\w+:)?(\w+)>", self.route)


def walk(patterns, prefix: str = "", converters: dict | None = None):
    converters = converters or {}
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(
                entry.url_patterns,
                prefix + str(entry.pattern),
                {**converters, **getattr(entry.pattern, "converters", {})},
            )
        else:
            yield Route(
                prefix + str(entry.pattern),
                {**converters, **getattr(entry.pattern, "converters", {})},
                entry,
            )


def all_routes() -> list[Route]:
    return list(walk(get_resolver().url_patterns))


def test_every_url_names_ids_with_the_id_converter():
    """`<int:...>` takes a 30-digit number, which overflows the BIGINT it is compared with."""
    offenders = [
        route.route
        for route in all_routes()
        if any(isinstance(c, IntConverter) for c in route.converters.values())
    ]
    assert offenders == [], "use <id:...> (crm/converters.py), not <int:...>"


# The world the URLs are tried on ---------------------------------------------------------


@pytest.fixture
def world(cast, file_storage):
    """The cast, with one object of each kind a URL names."""
    organization = make_organization("Acme", owner=cast.rep_a)
    contact = make_contact(organization=organization, owner=cast.rep_a)
    cast.deal_a.organization, cast.deal_a.contact = organization, contact
    cast.deal_a.save()
    lead = make_lead(owner=cast.rep_a)
    day = timezone.localdate() + timedelta(days=2)
    make_activity(deal=cast.deal_a, subject="Call the buyer", due_date=day, reminder_offset=15)
    make_activity(lead=lead, subject="Qualify the lead", due_date=day)
    Note.objects.create(deal=cast.deal_a, author=cast.rep_a, body="First note")
    Notification.objects.create(recipient=cast.rep_a, text="Reminder", deal=cast.deal_a)
    Webhook.objects.create(
        owner=cast.admin, url="https://hooks.example.com/crm", events=list(Event.values)
    )
    job = ImportJob(
        kind="contacts",
        original_name="people.csv",
        size=10,
        uploaded_by=cast.rep_a,
        status=ImportStatus.DONE,
        total_rows=1,
        processed_rows=1,
    )
    job.file.save("people.csv", ContentFile(b"first name\nAda\n"), save=False)
    job.save()
    # A custom field of each type on each kind, with values: forms, pages, filters (cf_<key>)
    # and the API's `custom` are fuzzed too.
    for kind in ("deal", "organization", "contact"):
        for key, type in [
            ("tier", "choice"),
            ("budget", "money"),
            ("seats", "number"),
            ("renewal", "date"),
            ("regions", "multi_choice"),
            ("champion", "user"),
            ("code", "text"),
        ]:
            choices = "Gold\nSilver" if type in ("choice", "multi_choice") else ""
            FieldDefinition.objects.create(
                kind=kind, key=key, label=key.title(), type=type, choices=choices
            )
    values = {"tier": "Gold", "budget": 12.5, "renewal": "2027-03-31", "champion": cast.rep_a.pk}
    for row in (cast.deal_a, organization, contact):
        row.custom = values
        row.save()
    return cast


KNOWN_IDS = {
    "deal_id": lambda cast: cast.deal_a.pk,
    "pipeline_id": lambda cast: cast.pipeline.pk,
    "stage_id": lambda cast: cast.deal_a.stage_id,
    "organization_id": lambda cast: Organization.objects.order_by("pk").first().pk,
    "contact_id": lambda cast: Contact.objects.order_by("pk").first().pk,
}


def real_value(name: str, converter, cast) -> str:
    """A value naming a real object for the path parameter `name`."""
    if name in KNOWN_IDS:
        return str(KNOWN_IDS[name](cast))
    if name.endswith("_id"):
        wanted = name[: -len("_id")].replace("_", "")
        for model in apps.get_models():
            if model._meta.model_name in (wanted, wanted.removeprefix("webhook")) or (
                wanted == "job" and model._meta.model_name == "importjob"
            ):
                row = model._default_manager.order_by("pk").first()
                if row is not None:
                    return str(row.pk)
        return "1"
    regex = getattr(converter, "regex", "[^/]+")
    if "|" in regex:
        return regex.split("|")[0].strip("()")
    return {"uuid": "00000000-0000-0000-0000-000000000000"}.get(name, "1")


def admin_path_value(route: Route, name: str) -> str:
    model_admin = getattr(route.pattern.callback, "model_admin", None)
    if name == "object_id" and model_admin is not None:
        row = model_admin.model._default_manager.order_by("pk").first()
        return str(row.pk) if row is not None else "1"
    if name == "app_label":
        return "pipeline"
    return "1"


def fill(route: Route, values: dict[str, str]) -> str | None:
    path = "/" + route.route
    for name in route.params:
        path = re.sub(rf"<(?:\w+:)?{name}>", values[name], path)
    if "^" in path or "(?P" in path or "$" in path:
        return None  # a regex route (admin's catch-all): tried through its own links
    try:
        resolve(path)
    except Resolver404:
        return None
    return path


# Reading forms from pages --------------------------------------------------------------


class FormReader(HTMLParser):
    """The forms of a page: action, method and the values a browser would send."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict] = []
        self.names: set[str] = set()
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append(
                {
                    "action": attrs.get("action") or attrs.get("hx-post") or "",
                    "method": (attrs.get("method") or "get").lower(),
                    "fields": {},
                }
            )
            return
        name = attrs.get("name")
        if tag in ("input", "select", "textarea") and name:
            self.names.add(name)
        if not self.forms or not name:
            if tag == "option" and self.select and self.forms:
                fields = self.forms[-1]["fields"]
                if self.select not in fields or "selected" in attrs:
                    fields[self.select] = attrs.get("value", "")
            return
        fields = self.forms[-1]["fields"]
        if tag == "input":
            kind = attrs.get("type", "text")
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                if kind == "radio" and name not in fields:
                    fields[name] = attrs.get("value", "on")
                return
            fields[name] = attrs.get("value", "")
        elif tag == "select":
            self.select = name
        elif tag == "textarea":
            self.textarea = name
            fields[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data):
        if self.textarea and self.forms:
            self.forms[-1]["fields"][self.textarea] += data


# The run -----------------------------------------------------------------------------------


@dataclass
class Run:
    client: object
    user: object
    failures: list[str] = field(default_factory=list)
    requests: int = 0
    baselines: dict[str, dict[str, str]] = field(default_factory=dict)
    page_names: set[str] = field(default_factory=set)
    api_token: str = ""

    def send(
        self,
        method: str,
        path: str,
        *,
        data=None,
        raw: str | None = None,
        json_body=None,
        htmx=False,
        note="",
    ):
        headers = {"HX-Request": "true"} if htmx else {}
        if path.startswith("/api/") and self.api_token:
            headers["Authorization"] = f"Bearer {self.api_token}"
        self.requests += 1
        return self._send(
            method, path, data=data, raw=raw, json_body=json_body, headers=headers, note=note
        )

    def _send(self, method, path, *, data, raw, json_body, headers, note):
        try:
            with transaction.atomic():
                if raw is not None and method == "get":
                    response = self.client.get(f"{path}?{raw}", headers=headers)
                elif raw is not None:
                    response = self.client.post(
                        path, raw, content_type="application/x-www-form-urlencoded", headers=headers
                    )
                elif json_body is not None:
                    response = getattr(self.client, method)(
                        path, json_body, content_type="application/json", headers=headers
                    )
                else:
                    response = getattr(self.client, method)(path, data or {}, headers=headers)
                transaction.set_rollback(True)
        except Exception as error:  # recorded: every server error is listed at the end
            if os.environ.get("FUZZ_TRACEBACKS"):
                traceback.print_exc()
            self.failures.append(
                f"{method.upper()} {path} {note}: {type(error).__name__}: {error}"[:400]
            )
            self.relogin()
            return None
        if response.status_code >= 500:
            self.failures.append(f"{method.upper()} {path} {note}: {response.status_code}"[:400])
        self.relogin()
        return response

    def relogin(self) -> None:
        if (
            settings.SESSION_COOKIE_NAME not in self.client.cookies
            or not self.client.cookies[settings.SESSION_COOKIE_NAME].value
        ):
            self.client.force_login(self.user)


def bad_values(seed: int):
    """An endless run of bad values, starting at a different place for each seed."""
    start = (seed * 37) % len(BAD)
    return itertools.cycle(BAD[start:] + BAD[:start])


# How hard each URL is tried: fully by the rep; lighter by the admin, over the same app URLs
# (what differs is what they may see) and over Django admin's many, alike pages.
DEPTHS = {
    # bad queries, raw queries, arrays, one-bad-field posts (None: every field), bad bodies
    "full": (2, 2, True, None, 2),
    "light": (1, 1, False, 3, 1),
    "admin": (1, 1, False, 5, 1),
}


def fuzz(run: Run, path: str, names: list[str], *, seed: int, depth: str) -> None:
    queries, raws, arrays, fields, bodies = DEPTHS[depth]
    values = bad_values(seed)
    # Query parameters: all names at once, each with another bad value.
    for n in range(queries):
        run.send(
            "get",
            path,
            data={name: next(values) for name in names},
            htmx=n % 2 == 1,
            note="(bad query)",
        )
    # Raw queries: broken UTF-8 and arrays.
    for raw in RAW_QUERIES[seed % 2 :][:raws]:
        name = names[seed % len(names)] if names else "q"
        run.send("get", path, raw=raw.format(name=name), note=f"(raw {raw})")
    if arrays:
        run.send(
            "get",
            path,
            data={name: [next(values), next(values)] for name in names[:40]},
            note="(arrays)",
        )
    # POST: the page's own form with one field at a time made bad, then everything bad.
    baseline = run.baselines.get(path, {})
    chosen = list(baseline) if fields is None else list(baseline)[seed % 3 :: 3][:fields]
    for index, name in enumerate(chosen):
        data = dict(baseline)
        data[name] = BAD[(seed + index * 11) % len(BAD)]
        run.send("post", path, data=data, htmx=index % 2 == 1, note=f"({name}={data[name][:40]!r})")
    for n in range(bodies):
        run.send(
            "post",
            path,
            data={name: next(values) for name in names},
            htmx=n % 2 == 0,
            note="(bad body)",
        )
    run.send(
        "post",
        path,
        raw="%ff%fe=%c3%28&" + "&".join(f"{quote(n)}=%80" for n in names[:20]),
        note="(raw body)",
    )
    if path.startswith("/api/"):
        bodies_json = [
            json.dumps({name: next(values) for name in names}),
            '{"title": "\\u0000", "id": 99999999999999999999999}',
            "[1, 2]",
            "{not json",
        ]
        for index, body in enumerate(bodies_json[: 4 if depth == "full" else 2]):
            method = "patch" if index % 2 else "post"
            run.send(method, path, json_body=body, note=f"(json {body[:30]})")


def harvest(run: Run, response, path: str) -> None:
    """Remember the forms a page shows, by the path they post to."""
    if response is None or "html" not in response.get("Content-Type", ""):
        return
    reader = FormReader()
    reader.feed(response.content.decode("utf-8", "replace"))
    run.page_names |= reader.names
    for form in reader.forms:
        action = urlsplit(form["action"]).path or path
        if form["method"] == "post" or form["action"]:
            run.baselines.setdefault(action, form["fields"])


@pytest.fixture
def quiet_client_errors():
    """Thousands of 4xx answers: Django logs each with its traceback, which takes longer than
    the request. Server errors are still logged."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.mark.usefixtures("quiet_client_errors")
@pytest.mark.parametrize("viewer", ["admin", "rep_a"])
def test_no_url_answers_bad_input_with_a_server_error(client, world, viewer, settings):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    cast = world
    user = cast.user(viewer)
    client.force_login(user)
    run = Run(client, user)
    if apps.is_installed("api"):
        # The API takes tokens, not the session; without limits on their use in this run.
        from api.services import token_create

        settings.API_RATE_LIMIT = 0
        run.api_token = token_create(user=user, scope="write")[1]
    names_from_code = sorted(names_read_by_views() | form_field_names() | set(EXPLICIT_NAMES))

    routes = all_routes()
    if viewer != "admin":
        routes = [route for route in routes if not route.is_admin]
    routes = [route for route in routes if route.is_ours]
    targets: list[tuple[Route, str]] = []
    for route in routes:
        if route.is_admin:
            values = {name: admin_path_value(route, name) for name in route.params}
        else:
            values = {
                name: real_value(name, route.converters.get(name), cast) for name in route.params
            }
        path = fill(route, values)
        if path is None or path in ("/logout/", "/admin/logout/"):
            continue
        targets.append((route, path))
        # Ids that name nothing, or too much.
        for name in route.converters:
            if route.is_admin and name != "object_id":
                continue
            for bad in (HUGE,) if viewer == "admin" else ("0", "999999999", str(2**63), HUGE):
                bad_path = fill(route, {**values, name: bad})
                if bad_path is not None:
                    run.send("get", bad_path, note=f"({name}={bad})")

    # First the pages as they are, to learn their forms.
    for _route, path in targets:
        harvest(run, run.send("get", path, note="(plain)"), path)

    names = sorted(set(names_from_code) | run.page_names)
    for seed, (route, path) in enumerate(targets):
        if route.is_light:
            continue
        fuzz(
            run,
            path,
            names if not route.is_admin else sorted(run.page_names)[:60],
            seed=seed,
            depth="admin" if route.is_admin else "light" if viewer == "admin" else "full",
        )

    if os.environ.get("FUZZ_STATS"):
        print(f"\n{viewer}: {run.requests} requests, {len(targets)} URLs")
    assert run.failures == [], (
        f"{len(run.failures)} of {run.requests} requests failed:\n" + "\n".join(run.failures[:60])
    )
