"""Lookup keys: how names and e-mail addresses are folded before they are compared.

The same folding serves three purposes, so it lives in one place: the duplicate warning
(one indexed equality on a stored key), search (an indexed prefix match on the same keys)
and sorting by name (case and accents do not split the alphabet).
"""

import re
import unicodedata

from django.db import models

# Endings that say what kind of company it is, not which one: "Acme Inc." and "ACME GmbH" are
# the same name. Checked after punctuation is folded, so "L.L.C." is "llc" here.
LEGAL_SUFFIXES = frozenset(
    {
        "ab",
        "ag",
        "as",
        "bv",
        "co",
        "company",
        "corp",
        "corporation",
        "gmbh",
        "inc",
        "incorporated",
        "kg",
        "kk",
        "limited",
        "llc",
        "llp",
        "lp",
        "ltd",
        "nv",
        "oy",
        "plc",
        "pte",
        "pty",
        "sa",
        "sarl",
        "sas",
        "spa",
        "srl",
    }
)

_DOTS_AND_APOSTROPHES = re.compile("[.'`\u2019]")
_NOT_WORD = re.compile(r"[^\w]+|_")


def fold(text: str) -> str:
    """Lower case, accents dropped, punctuation and runs of spaces as one space.

    Dots and apostrophes join what they separate ("L.L.C." -> "llc", "O'Neil" -> "oneil");
    "&" reads as "and".
    """
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(char for char in text if not unicodedata.combining(char)).casefold()
    text = _DOTS_AND_APOSTROPHES.sub("", text.replace("&", " and "))
    return " ".join(_NOT_WORD.sub(" ", text).split())


def organization_name_key(name: str) -> str:
    """The name two organizations share when they are probably the same company."""
    words = fold(name).split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words = words[:-1]
    if len(words) > 2 and words[-2:] == ["and", "co"]:
        words = words[:-2]
    return " ".join(words)


def email_key(email: str) -> str:
    """An e-mail address as mailboxes compare it in practice: case-insensitive, trimmed."""
    return (email or "").strip().lower()


def search_prefix(text: str) -> str:
    """What a search for `text` matches the start of a key with."""
    return fold(text)


class DerivedKeyField(models.CharField):
    """A lookup key computed from the row itself whenever the row is written.

    `derive` is a function of the model instance. Django calls `pre_save` on every insert and
    save, `bulk_create` and the admin included, so the key cannot go stale through them;
    `QuerySet.update()` and `bulk_update()` skip it and must set the key themselves.
    """

    def __init__(self, *args, derive=None, **kwargs) -> None:
        self.derive = derive
        kwargs.setdefault("max_length", 255)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("default", "")
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["derive"] = self.derive
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        value = self.derive(model_instance)[: self.max_length] if self.derive else ""
        setattr(model_instance, self.attname, value)
        return value
