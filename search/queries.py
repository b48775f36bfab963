"""Global search: one text over deals, organizations, contacts and leads, grouped by kind.

Every kind starts from its visibility queryset (`Deal.objects.visible_to`,
`contacts.access.organizations_visible_to / contacts_visible_to`,
`leads.access.leads_visible_to`), so a result, and whether a group has more, only ever
counts what the user may see. One query per kind, whatever the data: four in all (eight
when a second round looks for close spellings).

Each kind is searched in one lower-case "document" (a deal's title, an organization's folded
name, a contact's folded full name and e-mail address, a lead's title) with the same
expression the search app's migration indexes. The text matches when, as typed or folded
(contacts.keys.fold), it appears in the document (up to three characters: at the start of a word),
or when its words all start words of the document, in any order:

- PostgreSQL: LIKE on a GIN trigram index, and full-text search of word prefixes
  (`to_tsvector('simple', ...)`, a GIN index). When nothing at all matches, a second round
  looks for close spellings: pg_trgm's word similarity (`<%`) on the trigram index.
- SQLite: LIKE, a scan (fine at the sizes SQLite serves here); each word of two characters
  or more anywhere in the document rather than at a word's start; no spelling tolerance.

Order: an exact match, then a document that starts with the text, then one with a word that
does; shorter first, then alphabetically. Close spellings: the most similar first.
"""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Expression,
    F,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import Case, Value, When
from django.db.models.functions import Length, Lower
from django.urls import reverse

from contacts.access import contacts_visible_to, linked_deal_parts, organizations_visible_to
from contacts.keys import fold
from leads.access import leads_visible_to
from pipeline.models import Deal
from teams.models import Team

MAX_LENGTH = 100
MIN_LENGTH = 2
# A shorter text matches the start of a word, not any substring: "jo" or "mar" inside
# words matches too much to be useful (and below three characters a substring has no whole
# trigram to look up in the index).
SUBSTRING_MIN_LENGTH = 4
SIMILAR_MIN_LENGTH = 3
CANDIDATES = 500
# Close spellings are ranked by word similarity, computed row by row: fewer of them.
SIMILAR_CANDIDATES = 200
DROPDOWN_PER_KIND = 5
PAGE_PER_KIND = 20


class Sql(Expression):
    """A boolean or numeric SQL fragment around compiled expressions: `{0}`, `{1}`... in
    `template` are the expressions' SQL. The search needs operators Django has no lookup for
    in the form the indexes are built on (`LIKE` without UPPER(), `<%`, `@@`)."""

    def __init__(self, template: str, *expressions, output_field=None) -> None:
        super().__init__(output_field=output_field or BooleanField())
        self.template = template
        self.expressions = list(expressions)

    def get_source_expressions(self):
        return self.expressions

    def set_source_expressions(self, exprs):
        self.expressions = list(exprs)

    def as_sql(self, compiler, connection):
        parts, params = [], []
        for expression in self.expressions:
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        return self.template.format(*parts), params


def like(document: Expression, pattern: str) -> Sql:
    """`document LIKE pattern`, the backslash escaping on both databases."""
    escape = " ESCAPE '\\'" if connection.vendor == "sqlite" else ""
    return Sql("({0} LIKE {1}" + escape + ")", document, Value(pattern))


def escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def clean(text: str) -> str:
    """The text as searched: no control, format or surrogate characters, spaces collapsed,
    at most MAX_LENGTH characters. (PostgreSQL refuses NUL in a string; a lone surrogate
    cannot be encoded.)"""
    kept = "".join(
        " " if unicodedata.category(char) in {"Cc", "Cf", "Cs", "Zl", "Zp"} else char
        for char in (text or "")[: MAX_LENGTH * 4]
    )
    return " ".join(kept.split())[:MAX_LENGTH]


@dataclass(frozen=True)
class Needle:
    """What the user typed, in the forms the documents are compared with."""

    text: str  # cleaned, as typed
    lower: str  # lower case, punctuation kept (e-mail addresses, accents)
    folded: str  # contacts.keys.fold: accents and punctuation dropped

    @classmethod
    def of(cls, text: str) -> "Needle":
        cleaned = clean(text)
        return cls(text=cleaned, lower=cleaned.lower(), folded=fold(cleaned))

    @property
    def searchable(self) -> bool:
        return len(self.folded.replace(" ", "")) >= MIN_LENGTH

    @property
    def words(self) -> list[str]:
        return self.folded.split()

    def forms(self) -> list[str]:
        """The lower-case and folded forms, each once."""
        return list(dict.fromkeys(form for form in (self.lower, self.folded) if form))


@dataclass(frozen=True)
class Hit:
    kind: str
    id: int
    label: str
    detail: str
    url: str


@dataclass(frozen=True)
class Group:
    kind: str
    title: str
    icon: str
    hits: list[Hit]
    more: bool  # the user may see more matches than are shown

    @property
    def anchor(self) -> str:
        return f"search-{self.kind}"


@dataclass(frozen=True)
class SearchResults:
    text: str
    searchable: bool
    groups: list[Group] = field(default_factory=list)
    similar: bool = False  # nothing matched as typed: these are close spellings

    @property
    def count(self) -> int:
        return sum(len(group.hits) for group in self.groups)

    @property
    def non_empty_groups(self) -> list[Group]:
        return [group for group in self.groups if group.hits]


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    icon: str
    visible: Callable[[Any], QuerySet]  # the rows the user may see (the app's access rule)
    shape: Callable[[QuerySet], QuerySet]  # what `hit` reads, in the same query
    document: Callable[[], Any]  # lower-case text searched (the indexed expression)
    key: Callable[[], Any]  # what "exact" and "starts with" compare with
    hit: Callable[[Any], Hit]
    deal_field: str | None = None  # seen through deals: Deal's foreign key to this kind


def _deal_hit(deal) -> Hit:
    parts = [deal.organization.name if deal.organization else "", deal.get_status_display()]
    if deal.status == "open":
        parts[1] = deal.stage.name
    return Hit(
        "deal",
        deal.pk,
        deal.title,
        " · ".join(part for part in parts if part),
        reverse("pipeline:deal-detail", args=[deal.pk]),
    )


def _organization_hit(organization) -> Hit:
    return Hit(
        "organization",
        organization.pk,
        organization.name,
        " · ".join(part for part in (organization.sector, organization.country) if part),
        reverse("contacts:organization-detail", args=[organization.pk]),
    )


def _contact_hit(contact) -> Hit:
    return Hit(
        "contact",
        contact.pk,
        str(contact),
        " · ".join(part for part in (contact.email, contact.organization.name) if part),
        reverse("contacts:contact-detail", args=[contact.pk]),
    )


def _lead_hit(lead) -> Hit:
    parts = [lead.organization.name if lead.organization else "", lead.get_status_display()]
    return Hit(
        "lead",
        lead.pk,
        lead.title,
        " · ".join(part for part in parts if part),
        reverse("leads:lead-detail", args=[lead.pk]),
    )


def contact_document() -> Expression:
    return Sql("({0} || ' ' || {1})", F("full_name_key"), F("email_key"))


KINDS = [
    Kind(
        "deal",
        "Deals",
        "bi-briefcase",
        lambda user: Deal.objects.visible_to(user),
        lambda rows: rows.select_related("organization", "stage").only(
            "title", "status", "organization__name", "stage__name", "organization_id", "stage_id"
        ),
        lambda: Lower("title"),
        lambda: Lower("title"),
        _deal_hit,
    ),
    Kind(
        "organization",
        "Organizations",
        "bi-building",
        organizations_visible_to,
        lambda rows: rows.only("name", "sector", "country"),
        lambda: F("name_key"),
        lambda: F("name_key"),
        _organization_hit,
        deal_field="organization",
    ),
    Kind(
        "contact",
        "Contacts",
        "bi-person",
        contacts_visible_to,
        lambda rows: rows.select_related("organization").only(
            "first_name", "last_name", "email", "organization__name", "organization_id"
        ),
        contact_document,
        lambda: F("full_name_key"),
        _contact_hit,
        deal_field="contact",
    ),
    Kind(
        "lead",
        "Leads",
        "bi-inbox",
        leads_visible_to,
        lambda rows: rows.select_related("organization").only(
            "title", "status", "organization__name", "organization_id"
        ),
        lambda: Lower("title"),
        lambda: Lower("title"),
        _lead_hit,
    ),
]


class _Matches:
    """A template over the document ({0}) and values ({1}...), bound to a kind's document."""

    def __init__(self, template: str, values: list[Expression]) -> None:
        self.template = f"({template})"
        self.values = values

    def bind(self, document: Expression) -> Sql:
        return Sql(self.template, document, *self.values)


def _literal_matches(needle: Needle) -> _Matches:
    """The text (lower case as typed, or folded) appears in the document (a short one at the
    start of a word), or its words start words of the document in any order."""
    postgresql = connection.vendor == "postgresql"
    escape = "" if postgresql else " ESCAPE '\\'"
    patterns = []
    # On PostgreSQL a short text is looked up as word prefixes in the full-text index alone:
    # its trigrams ("  j", " jo") are in most rows, and each would have to be fetched and
    # checked.
    short = postgresql and len(needle.folded) < SUBSTRING_MIN_LENGTH
    for form in [] if short else needle.forms():
        if len(form) >= SUBSTRING_MIN_LENGTH:
            patterns.append("%" + escaped(form) + "%")
        else:
            patterns += [escaped(form) + "%", "% " + escaped(form) + "%"]
    sql = [f"({{0}} LIKE {{{i + 1}}}{escape})" for i in range(len(patterns))]
    values: list[Expression] = [Value(pattern) for pattern in patterns]
    words = needle.words
    if postgresql and (len(words) > 1 or short):
        values.append(Value(" & ".join(f"{word}:*" for word in words)))
        sql.append(
            "(to_tsvector('simple'::regconfig, {0}) @@ "
            f"to_tsquery('simple'::regconfig, {{{len(values)}}}))"
        )
    elif len([word for word in words if len(word) >= MIN_LENGTH]) > 1:
        # LIKE '%x%' on a one-letter word would match nearly anything: such words are left out.
        words = [word for word in words if len(word) >= MIN_LENGTH]
        every_word = " AND ".join(
            f"({{0}} LIKE {{{len(values) + i + 1}}}{escape})" for i in range(len(words))
        )
        sql.append(f"({every_word})")
        values += [Value("%" + escaped(word) + "%") for word in words]
    return _Matches(" OR ".join(sql), values)


def _literal_order(kind: Kind, needle: Needle) -> list:
    """Exact, then starts with the text, then a word starts with it; shorter names first."""
    key = kind.key()
    forms = needle.forms()
    exact = [When(Sql("({0} = {1})", key, Value(form)), then=Value(0)) for form in forms]
    prefix = [When(like(key, escaped(form) + "%"), then=Value(1)) for form in forms]
    word = [When(like(key, "% " + escaped(form) + "%"), then=Value(2)) for form in forms]
    closeness = Case(*exact, *prefix, *word, default=Value(3), output_field=IntegerField())
    return [closeness, Length(key), key.asc(), "pk"]


def _similar_matches(needle: Needle) -> _Matches:
    """pg_trgm's word similarity: a word of the document is spelt close to the text."""
    return _Matches("({1} <%% {0})", [Value(needle.folded)])


def _similar_order(kind: Kind, needle: Needle) -> list:
    document = kind.document()
    similarity = Sql(
        "word_similarity({0}, {1})", Value(needle.folded), document, output_field=FloatField()
    )
    return [similarity.desc(), Length(kind.key()), kind.key().asc(), "pk"]


def _managed_team_ids(user) -> list[int] | None:
    """A manager's teams, read once per search (see _indexable_scope); PostgreSQL only."""
    if connection.vendor != "postgresql" or not user.is_active or not user.is_manager:
        return None
    return list(Team.objects.filter(manager=user).values_list("pk", flat=True))


def _indexable_scope(kind: Kind, user, team_ids: list[int] | None) -> Q | None:
    """The visibility rule again, written so that PostgreSQL can read it from indexes; None
    when that does not help (an admin; a rep's deals and leads, already by owner; what a
    manager sees through their teams' deals, ten thousand ids to look up one by one).

    The visibility querysets are one WHERE clause with ORs of subqueries (contacts.access
    explains why that suits lists). A search needs the opposite: PostgreSQL cannot read an
    OR of subqueries from an index, so it fetches every row matching the text (tens of
    thousands for a common name) and tests each. Here each part is an index condition (the
    owner, a team among a list, the id among an array of the visible deals' foreign keys),
    combined with the text's trigram index in one bitmap. It is exactly the visibility rule
    (contacts.access, teams.access.owned_or_managed), and rows still pass the visibility
    queryset itself too: this can narrow, never widen.
    """
    if connection.vendor != "postgresql" or not user.is_active or user.is_admin:
        return None
    if kind.deal_field is None:  # deals and leads: the owner, and the teams they manage
        return Q(owner=user) | Q(team_id__in=team_ids) if team_ids else None
    if user.is_manager:
        return None
    condition = Q(owner=user)
    for deals in linked_deal_parts(user):
        linked = deals.filter(**{f"{kind.deal_field}__isnull": False}).values(kind.deal_field)
        condition |= Q(Sql("({0} = ANY(ARRAY{1}))", F("pk"), Subquery(linked)))
    return condition


def _candidates(
    kind: Kind, needle: Needle, matching: QuerySet, per_kind: int, limit: int
) -> QuerySet:
    """The ids worth ranking: any `limit` of the matching rows, and those named exactly
    the text (so the best one is never left out). PostgreSQL only (SQLite refuses LIMIT in
    a UNION's parts; it has no index to save anyway).

    A common word or syllable matches tens of thousands of rows; ranking them all would
    fetch and sort every one. A LIMITed subquery stops early instead, and the best of at
    most a few hundred rows are shown, with "more" to say that there are others: a longer text
    narrows them down.
    """
    matching = matching.order_by()
    key = kind.key()
    any_ones = matching.values("pk")[:limit]
    exact = [
        matching.filter(Sql("({0} = {1})", key, Value(form))).values("pk")[: per_kind + 1]
        for form in needle.forms()
    ]
    return any_ones.union(*exact, all=True)


def _groups(
    user, needle: Needle, per_kind: int, matches: _Matches, order, team_ids, candidates: int
) -> list[Group]:
    groups = []
    for kind in KINDS:
        rows = kind.visible(user).filter(matches.bind(kind.document()))
        indexable = _indexable_scope(kind, user, team_ids)
        if indexable is not None:
            rows = rows.filter(indexable)
        if connection.vendor == "postgresql":
            # The candidates are visible rows already: filtering by visibility again would
            # make PostgreSQL test every row of the table against it.
            model = rows.model
            ids = _candidates(kind, needle, rows, per_kind, candidates)
            rows = model._default_manager.filter(pk__in=ids)
        rows = kind.shape(rows).order_by(*order(kind, needle))[: per_kind + 1]
        found = list(rows)
        groups.append(
            Group(
                kind=kind.name,
                title=kind.title,
                icon=kind.icon,
                hits=[kind.hit(row) for row in found[:per_kind]],
                more=len(found) > per_kind,
            )
        )
    return groups


def search_everything(*, user, text: str, per_kind: int = DROPDOWN_PER_KIND) -> SearchResults:
    """What `user` may see that matches `text`: at most `per_kind` of each kind, best first.

    Four queries (one per kind) for the text as typed; on PostgreSQL, when nothing at all
    matches it, four more for close spellings. (Word similarity costs a few microseconds a
    row: worth it over the few rows a misspelling resembles, not over the thousands a common
    word is in.)
    """
    needle = Needle.of(text)
    if not needle.searchable:
        return SearchResults(text=needle.text, searchable=False)
    team_ids = _managed_team_ids(user)
    literal = _literal_matches(needle)
    groups = _groups(user, needle, per_kind, literal, _literal_order, team_ids, CANDIDATES)
    if (
        connection.vendor == "postgresql"
        and len(needle.folded) >= SIMILAR_MIN_LENGTH
        and not any(group.hits for group in groups)
    ):
        similar = _similar_matches(needle)
        groups = _groups(
            user, needle, per_kind, similar, _similar_order, team_ids, SIMILAR_CANDIDATES
        )
        return SearchResults(text=needle.text, searchable=True, groups=groups, similar=True)
    return SearchResults(text=needle.text, searchable=True, groups=groups)
