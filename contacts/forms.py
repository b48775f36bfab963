from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.utils.safestring import SafeString

from contacts.access import can_reassign_owner, contacts_visible_to, organizations_visible_to
from contacts.models import Contact, Organization
from contacts.queries import (
    SEARCH_MAX_LENGTH,
    contact_exact_matches,
    organization_exact_matches,
    parent_would_loop,
)
from crm.forms import BootstrapFormMixin
from crm.http import parse_id
from customfields.forms import add_custom_fields
from teams.models import User

# Typeahead fields -------------------------------------------------------------------------


@dataclass(frozen=True)
class LookupValue:
    """What a typeahead shows: the text in the box and the id of the record it names, if any."""

    text: str = ""
    id: int | None = None


class LookupWidget(forms.Widget):
    """A text box with suggestions (static/js/lookup.js) and a hidden id beside it.

    The box is submitted as `<name>` and the chosen record's id as `<name>_id`. Without
    JavaScript the box is a plain text field: the server reads an exact name, e-mail
    address or id from it (RecordLookupField).
    """

    template_name = "contacts/_lookup_widget.html"

    def __init__(
        self, *, kind: str, search_url, create_url, placeholder: str = "", attrs=None
    ) -> None:
        super().__init__(attrs)
        self.kind = kind
        self.search_url = search_url
        self.create_url = create_url
        self.placeholder = placeholder
        # Set by a form that wants them: the hidden id input of another lookup that narrows
        # the suggestions (the deal form's organization narrows its contacts), and the
        # dialog that creates a record in place (templates/contacts/_quick_create_dialogs.html).
        self.narrow_by_id = ""
        self.create_dialog = ""

    def value_from_datadict(self, data, files, name) -> LookupValue:
        text = (data.get(name) or "")[: SEARCH_MAX_LENGTH * 3]
        return LookupValue(text=text, id=parse_id(data.get(f"{name}_id")))

    def value_omitted_from_data(self, data, files, name) -> bool:
        return name not in data and f"{name}_id" not in data

    def get_context(self, name, value, attrs) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget_id = widget["attrs"].get("id") or f"id_{name}"
        widget.update(
            lookup=value if isinstance(value, LookupValue) else LookupValue(),
            input_id=widget_id,
            hidden_id=f"{widget_id}_id",
            listbox_id=f"{widget_id}_suggestions",
            kind=self.kind,
            search_url=self.search_url,
            create_url=self.create_url,
            placeholder=self.placeholder,
            narrow_by_id=self.narrow_by_id,
            create_dialog=self.create_dialog,
        )
        return context

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        # The site's templates (templates/contacts/), not the form renderer's.
        return render_to_string(self.template_name, self.get_context(name, value, attrs))


class RecordLookupField(forms.Field):
    """Chooses one organization or contact among those the user may see.

    The id sent by the typeahead is used when the box still shows that record's name;
    otherwise the typed text is read as an id (``#12`` or ``12``) or an exact name (or
    e-mail address, for contacts). Anything outside `queryset` is "not found", so a crafted
    id never reaches a record the user may not see.
    """

    default_error_messages = {
        "not_found": "No %(kind)s called “%(text)s” that you can see. Pick one from the list.",
        "ambiguous": "More than one %(kind)s is called “%(text)s”. Pick one from the list.",
        "null_characters": "Null characters are not allowed.",
    }

    def __init__(self, *, kind: str, exact_matches, **kwargs) -> None:
        self.kind = kind
        self.exact_matches = exact_matches
        # Set per form instance by `scope_lookups`: until then, nothing can be chosen.
        model = Organization if kind == "organization" else Contact
        self.queryset: QuerySet = model._default_manager.none()
        self.known: dict[int, Model] = {}
        self._resolved: tuple[LookupValue, Model | None] | None = None
        super().__init__(**kwargs)

    def __deepcopy__(self, memo):
        # Each form instance gets its own field: what one request resolved stays there.
        result = super().__deepcopy__(memo)
        result.known = {}
        result._resolved = None
        return result

    def remember(self, record: Model | None) -> None:
        """A record already loaded (the current value of an edited deal): no query to label it."""
        if record is not None:
            self.known[record.pk] = record

    def prepare_value(self, value) -> LookupValue:
        if isinstance(value, LookupValue):
            return value
        if isinstance(value, Model):
            return LookupValue(text=str(value), id=value.pk)
        pk = parse_id(value)
        if pk is None:
            return LookupValue()
        record = self.known.get(pk) or self.queryset.filter(pk=pk).first()
        return LookupValue(text=str(record), id=pk) if record else LookupValue()

    def to_python(self, value) -> Model | None:
        if isinstance(value, Model):
            return value
        if not isinstance(value, LookupValue):
            value = self.prepare_value(value)
        if self._resolved is not None and self._resolved[0] == value:
            return self._resolved[1]
        record = self._resolve(value)
        self._resolved = (value, record)
        return record

    def _resolve(self, value: LookupValue) -> Model | None:
        text = value.text.strip()
        if not text:
            return None
        if "\x00" in text:
            raise ValidationError(self.error_messages["null_characters"], "null_characters")
        if value.id is not None:
            record = self.queryset.filter(pk=value.id).first()
            if record is not None and str(record) == text:
                return record
        typed_id = parse_id(text.removeprefix("#"))
        if typed_id is not None:
            record = self.queryset.filter(pk=typed_id).first()
            if record is not None:
                return record
        matches = list(self.exact_matches(self.queryset, text[:SEARCH_MAX_LENGTH])[:2])
        params = {"kind": self.kind, "text": text[:SEARCH_MAX_LENGTH]}
        if not matches:
            raise ValidationError(self.error_messages["not_found"], "not_found", params)
        if len(matches) > 1:
            raise ValidationError(self.error_messages["ambiguous"], "ambiguous", params)
        return matches[0]

    def has_changed(self, initial, data) -> bool:
        initial_id = getattr(initial, "pk", initial)
        try:
            record = self.to_python(data)
        except ValidationError:
            return True
        return (record.pk if record else None) != (parse_id(initial_id) if initial_id else None)


def organization_lookup(*, required: bool = True, label: str = "Organization", **kwargs):
    """A typeahead over organizations; the form sets its queryset to the user's visible ones."""
    return RecordLookupField(
        kind="organization",
        exact_matches=organization_exact_matches,
        required=required,
        label=label,
        widget=LookupWidget(
            kind="organization",
            search_url=reverse_lazy("contacts:organization-search"),
            create_url=reverse_lazy("contacts:organization-create"),
            placeholder="Start typing a name",
        ),
        **kwargs,
    )


def contact_lookup(*, required: bool = True, label: str = "Contact", **kwargs):
    """A typeahead over contacts; the form sets its queryset to the user's visible ones."""
    return RecordLookupField(
        kind="contact",
        exact_matches=contact_exact_matches,
        required=required,
        label=label,
        widget=LookupWidget(
            kind="contact",
            search_url=reverse_lazy("contacts:contact-search"),
            create_url=reverse_lazy("contacts:contact-create"),
            placeholder="Name or e-mail",
        ),
        **kwargs,
    )


def lookup(form: forms.BaseForm, name: str) -> RecordLookupField:
    """The typeahead field `name` of `form`."""
    field = form.fields[name]
    assert isinstance(field, RecordLookupField)
    return field


def scope_lookups(form: forms.BaseForm, user) -> None:
    """Give every typeahead of `form` the records `user` may see."""
    for field in form.fields.values():
        if isinstance(field, RecordLookupField):
            # A chosen record is looked up by id or exact name: a few rows, checked one by one.
            field.queryset = (
                organizations_visible_to(user, per_row=True)
                if field.kind == "organization"
                else contacts_visible_to(user, per_row=True).select_related("organization")
            )


# Organizations and contacts ---------------------------------------------------------------


class OwnerFieldMixin:
    """Admins choose the owner; everyone else creates records they own and cannot hand over."""

    fields: dict[str, forms.Field]

    def limit_owner(self, user) -> None:
        if not can_reassign_owner(user):
            del self.fields["owner"]
            return
        owner = self.fields["owner"]
        owner.queryset = User.objects.filter(is_active=True).order_by(  # type: ignore[attr-defined]
            "first_name", "last_name", "username"
        )
        owner.empty_label = "Nobody"  # type: ignore[attr-defined]


class OrganizationForm(OwnerFieldMixin, BootstrapFormMixin, forms.ModelForm):
    """Create or edit an organization; the parent is chosen among the visible ones."""

    parent = organization_lookup(required=False, label="Subsidiary of")
    allow_duplicate = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Organization
        fields = [
            "name",
            "sector",
            "country",
            "employees",
            "year_established",
            "annual_revenue",
            "parent",
            "owner",
        ]

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        scope_lookups(self, user)
        self.limit_owner(user)
        lookup(self, "parent").remember(self.instance.parent if self.instance.parent_id else None)
        self.fields["name"].widget.attrs["autocomplete"] = "organization"
        if self.instance.pk:
            del self.fields["allow_duplicate"]
        add_custom_fields(self, kind="organization", user=user, custom=self.instance.custom)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError("Enter a name.")
        return name

    def clean_parent(self) -> Organization | None:
        parent = self.cleaned_data.get("parent")
        if parent is not None and self.instance.pk and parent_would_loop(self.instance, parent):
            raise ValidationError("An organization cannot be a subsidiary of itself.")
        return parent


class ContactForm(OwnerFieldMixin, BootstrapFormMixin, forms.ModelForm):
    """Create or edit a contact; the organization is chosen among the visible ones."""

    organization = organization_lookup()
    allow_duplicate = forms.BooleanField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Contact
        fields = [
            "first_name",
            "last_name",
            "organization",
            "job_title",
            "email",
            "phone",
            "owner",
        ]
        labels = {"email": "E-mail"}
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"})}

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        scope_lookups(self, user)
        self.limit_owner(user)
        if self.instance.pk:
            lookup(self, "organization").remember(self.instance.organization)
            del self.fields["allow_duplicate"]
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        add_custom_fields(self, kind="contact", user=user, custom=self.instance.custom)

    def clean_first_name(self) -> str:
        return self._required_text("first_name")

    def clean_last_name(self) -> str:
        return self._required_text("last_name")

    def _required_text(self, name: str) -> str:
        value = self.cleaned_data[name].strip()
        if not value:
            raise ValidationError("This field is required.")
        return value


# Merging ----------------------------------------------------------------------------------


class OrganizationPickForm(BootstrapFormMixin, forms.Form):
    """Which organization to merge into the one whose page this is."""

    other = organization_lookup(label="Duplicate organization")

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        scope_lookups(self, user)


class ContactPickForm(BootstrapFormMixin, forms.Form):
    """Which contact to merge into the one whose page this is."""

    other = contact_lookup(label="Duplicate contact")

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        scope_lookups(self, user)
