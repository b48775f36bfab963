from django import forms

from contacts.forms import contact_lookup, lookup, organization_lookup, scope_lookups
from crm.forms import BootstrapFormMixin, InputRulesMixin
from customfields.forms import PREFIX as CUSTOM_PREFIX
from customfields.forms import add_custom_fields, filter_field
from customfields.models import FieldDefinition
from customfields.queries import filterable, parse_filters
from pipeline.models import Deal, LostReason, Product, Stage
from pipeline.queries import BoardFilters, FilterOptions
from teams.access import assignable_owners


class BoardFilterForm(BootstrapFormMixin, forms.Form):
    """The board's filters; the choices are only what the user may see (no extra queries)."""

    owner = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Owner")
    team = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Team")
    territory = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Territory"
    )
    q = forms.CharField(required=False, max_length=100, label="Search")

    def __init__(
        self,
        data,
        *,
        options: FilterOptions,
        definitions: list[FieldDefinition] | None = None,
        viewer=None,
    ):
        super().__init__(data)
        self.options = options
        self.set_choices("owner", "Everyone", [(u.pk, str(u)) for u in options.owners])
        self.set_choices("team", "All teams", [(t.pk, t.name) for t in options.teams])
        self.set_choices(
            "territory", "All territories", [(t.pk, t.name) for t in options.territories]
        )
        self.fields["q"].widget.attrs.update(placeholder="Title or organization", type="search")
        # A filter per text, choice and user custom field (people: those the owner filter
        # offers, or the viewer themself).
        people = [(u.pk, str(u)) for u in options.owners]
        if not people and viewer is not None:
            people = [(viewer.pk, str(viewer))]
        self.custom_definitions = filterable(definitions or [])
        for definition in self.custom_definitions:
            self.fields[CUSTOM_PREFIX + definition.key] = filter_field(definition, people=people)

    def set_choices(self, name: str, everything: str, choices: list[tuple[int, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", everything), *choices]

    def filters(self) -> BoardFilters:
        """The valid filters; an invalid one (a crafted id, say) is left out, never trusted."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        territory = data.get("territory")
        return BoardFilters(
            owner_id=data.get("owner"),
            team_id=data.get("team"),
            territory_ids=self.options.territory_with_descendants(territory) if territory else (),
            search=(data.get("q") or "").strip(),
            custom=tuple(parse_filters(data, self.custom_definitions)),
        )

    @property
    def custom_fields(self) -> list[forms.BoundField]:
        return [self[CUSTOM_PREFIX + d.key] for d in self.custom_definitions]

    @property
    def is_narrowed(self) -> bool:
        return any(self.data.get(name) for name in self.fields)


class DealMoveForm(InputRulesMixin, forms.Form):
    stage = forms.IntegerField()
    after = forms.IntegerField(required=False)
    version = forms.IntegerField(min_value=1)


class DealVersionForm(InputRulesMixin, forms.Form):
    version = forms.IntegerField(min_value=1)


class DealLostForm(BootstrapFormMixin, forms.Form):
    """Why a deal was lost: one of the reasons admins offer, or "Other" said in words."""

    OTHER = "other"

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.ChoiceField(label="Why was it lost?", widget=forms.RadioSelect)
    reason_text = forms.CharField(
        max_length=200,
        required=False,
        label="Details",
        help_text="Required for “Other”; optional otherwise.",
    )

    def __init__(self, *args, reasons: list[LostReason], **kwargs):
        super().__init__(*args, **kwargs)
        self.reasons = {str(reason.pk): reason for reason in reasons}
        field = self.fields["reason"]
        assert isinstance(field, forms.ChoiceField)
        field.widget.attrs["class"] = "form-check-input"
        field.choices = [
            *((pk, reason.name) for pk, reason in self.reasons.items()),
            (self.OTHER, "Other (say why)"),
        ]

    def clean(self):
        data = super().clean()
        choice = data.get("reason")
        data["reason"] = None if choice in (None, self.OTHER) else self.reasons[choice]
        if choice == self.OTHER and not (data.get("reason_text") or "").strip():
            self.add_error("reason_text", "Say why the deal was lost.")
        return data


class DealForm(BootstrapFormMixin, forms.ModelForm):
    """Create or edit a deal. The owner must be someone the user may assign deals to.

    Organization and contact are typeaheads over the records the user may see (never a list
    of all of them); either can be created in place from the form.
    """

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput, required=False)
    organization = organization_lookup(required=False)
    contact = contact_lookup(required=False)

    class Meta:
        model = Deal
        fields = [
            "title",
            "organization",
            "contact",
            "product",
            "value",
            "currency",
            "owner",
            "stage",
            "expected_close_date",
        ]
        widgets = {"expected_close_date": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, user, pipeline, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_owners(user).order_by("first_name", "last_name")
        self.fields["owner"].initial = user.pk
        scope_lookups(self, user)
        organization, contact = lookup(self, "organization"), lookup(self, "contact")
        organization.remember(self.instance.organization if self.instance.organization_id else None)
        contact.remember(self.instance.contact if self.instance.contact_id else None)
        organization.widget.create_dialog = "quick-organization-dialog"
        contact.widget.create_dialog = "quick-contact-dialog"
        # Once an organization is chosen, only its contacts are suggested.
        contact.widget.narrow_by_id = f"{self['organization'].auto_id}_id"
        self.fields["product"].queryset = Product.objects.order_by("name")
        self.fields["stage"].queryset = Stage.objects.filter(pipeline=pipeline).order_by("order")
        self.fields["stage"].empty_label = None  # a new deal starts in the first stage
        self.fields["stage"].label_from_instance = lambda stage: stage.name
        self.fields["value"].help_text = "Leave empty to use the product's list price."
        self.fields["value"].required = False
        if self.instance.pk:
            # Stage and status change on the board (moves) and with the won/lost buttons.
            del self.fields["stage"]
            self.fields["version"].initial = self.instance.version
            self.fields["version"].required = True
        if user.role == "rep" and not user.is_admin:
            self.fields["owner"].disabled = True
        add_custom_fields(self, kind="deal", user=user, custom=self.instance.custom)

    def clean(self):
        data = super().clean()
        if data.get("value") is None:
            product = data.get("product")
            if product is None:
                self.add_error("value", "Enter a value, or pick a product to use its list price.")
            else:
                data["value"] = product.list_price
        contact, organization = data.get("contact"), data.get("organization")
        if contact and organization and contact.organization_id != organization.pk:
            self.add_error("contact", f"{contact} works at another organization.")
        return data
