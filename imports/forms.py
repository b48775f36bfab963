from django import forms

from crm.forms import BootstrapFormMixin
from imports.models import ImportKind


class ImportForm(BootstrapFormMixin, forms.Form):
    """What to import: the kind of records and the CSV file."""

    kind = forms.ChoiceField(
        label="The file holds",
        choices=ImportKind.choices,
        widget=forms.RadioSelect,
        initial=ImportKind.ORGANIZATIONS,
    )
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8 (Excel: “CSV UTF-8”), comma, semicolon or tab separated, with a "
        "header row.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,text/csv"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Radio buttons are drawn one by one in the template, as Bootstrap's form-checks.
        self.fields["kind"].widget.attrs["class"] = "form-check-input"
