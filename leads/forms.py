from typing import cast

from django import forms

from contacts.forms import contact_lookup, lookup, organization_lookup, scope_lookups
from crm.forms import BootstrapFormMixin, InputRulesMixin
from leads.models import Lead, LeadLabel, LeadSource, LeadStatus
from leads.queries import STATUS_CHOICES, InboxOptions, LeadFilters
from pipeline.models import Pipeline
from teams.access import assignable_owners

DISQUALIFY_SUGGESTIONS = [
    "No budget",
    "Not a fit for our product",
    "No response",
    "Chose a competitor",
    "Duplicate",
    "Bad contact data",
]


class LeadFilterForm(BootstrapFormMixin, forms.Form):
    """The inbox's filters; choices are only what the user may see (no extra queries)."""

    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    source = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    label = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    owner = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    q = forms.CharField(required=False, max_length=100, label="Search")

    def __init__(self, data, *, options: InboxOptions):
        super().__init__(data)
        self.options = options
        self.choice_field("source").choices = [("", "All sources")] + [
            (s.pk, s.name) for s in options.sources
        ]
        self.choice_field("label").choices = [("", "All labels")] + [
            (label.pk, label.name) for label in options.labels
        ]
        if options.owners:
            self.choice_field("owner").choices = [("", "Everyone")] + [
                (u.pk, str(u)) for u in options.owners
            ]
        else:
            del self.fields["owner"]
        self.fields["q"].widget.attrs.update(
            placeholder="Title, organization or contact", type="search"
        )

    def choice_field(self, name: str) -> forms.TypedChoiceField:
        return cast(forms.TypedChoiceField, self.fields[name])

    def filters(self) -> LeadFilters:
        """The valid filters; an invalid one (a crafted id, say) is left out, never trusted."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return LeadFilters(
            status=data.get("status") or LeadStatus.OPEN,
            source_id=data.get("source"),
            label_id=data.get("label"),
            owner_id=data.get("owner"),
            search=(data.get("q") or "").strip(),
        )


class LeadForm(BootstrapFormMixin, forms.ModelForm):
    """Create or edit a lead. The owner must be someone the user may assign leads to.

    Organization and contact are typeaheads over the records the user may see, as on the
    deal form (never a list of all of them).
    """

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput, required=False)
    organization = organization_lookup(required=False)
    contact = contact_lookup(required=False)

    class Meta:
        model = Lead
        fields = [
            "title",
            "source",
            "organization",
            "contact",
            "value",
            "currency",
            "owner",
            "labels",
        ]
        widgets = {"labels": forms.CheckboxSelectMultiple}

    def __init__(self, *args, user, **kwargs):
        # Ids of its own: the inbox's filters, on the same page, have fields of the same names.
        kwargs.setdefault("auto_id", "lead-%s")
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = assignable_owners(user).order_by("first_name", "last_name")
        self.fields["owner"].initial = user.pk
        sources = LeadSource.objects.order_by("name")
        if self.instance.pk:
            # A retired source stays selectable on the leads that have it.
            sources = sources.filter(is_active=True) | sources.filter(pk=self.instance.source_id)
        else:
            sources = sources.filter(is_active=True)
        self.fields["source"].queryset = sources
        self.fields["source"].empty_label = "Choose a source"
        self.fields["source"].help_text = "Admins add sources and set their score weights."
        scope_lookups(self, user)
        organization, contact = lookup(self, "organization"), lookup(self, "contact")
        organization.remember(self.instance.organization if self.instance.organization_id else None)
        contact.remember(self.instance.contact if self.instance.contact_id else None)
        organization.widget.create_dialog = "quick-organization-dialog"
        contact.widget.create_dialog = "quick-contact-dialog"
        # Once an organization is chosen, only its contacts are suggested.
        contact.widget.narrow_by_id = f"{self['organization'].auto_id}_id"
        self.fields["labels"].queryset = LeadLabel.objects.order_by("name")
        self.fields["labels"].widget.attrs["class"] = "form-check-input"
        self.fields["value"].help_text = "Your estimate; leave empty when unknown."
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            self.fields["version"].required = True
        if not (user.is_admin or user.is_manager):
            self.fields["owner"].disabled = True

    def clean(self):
        data = super().clean()
        contact, organization = data.get("contact"), data.get("organization")
        if contact and organization and contact.organization_id != organization.pk:
            self.add_error("contact", f"{contact} works at another organization.")
        if contact and not organization:
            data["organization"] = contact.organization
        return data


class QualifyForm(InputRulesMixin, forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    pipeline = forms.ModelChoiceField(
        queryset=Pipeline.objects.order_by("name"),
        required=False,
        empty_label=None,
        help_text="The deal starts in the pipeline's first stage.",
    )

    def clean_pipeline(self):
        pipeline = self.cleaned_data.get("pipeline")
        if pipeline is None:
            pipeline = Pipeline.objects.order_by("name").first()
            if pipeline is None:
                raise forms.ValidationError("There is no pipeline to start a deal in.")
        return pipeline


class DisqualifyForm(BootstrapFormMixin, forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    reason = forms.CharField(
        max_length=200,
        label="Why is it disqualified?",
        help_text="For example: no budget, not a fit, no response, duplicate.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].widget.attrs["list"] = "disqualify-reasons"

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("This field is required.")
        return reason
