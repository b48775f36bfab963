from django import forms

from crm.forms import BootstrapFormMixin
from webhooks.models import Event
from webhooks.transport import TargetRefused, check_url


class WebhookForm(BootstrapFormMixin, forms.Form):
    """Register or change a webhook: where it sends (checked now, and again at each
    delivery) and which events it wants."""

    url = forms.CharField(
        label="Payload URL",
        max_length=2000,
        widget=forms.URLInput(attrs={"placeholder": "https://example.com/crm-webhook"}),
        help_text="An http:// or https:// address on the public internet. The CRM POSTs "
        "JSON there, signed with the secret shown once after you save.",
    )
    description = forms.CharField(max_length=200, required=False)
    events = forms.MultipleChoiceField(
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Pick at least one event."},
        help_text="You receive an event only about what you can see in the CRM.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Checkboxes, not a text box: the mixin gave them the classes of a text input.
        self.fields["events"].widget.attrs["class"] = "form-check-input"

    def clean_url(self) -> str:
        url = self.cleaned_data["url"].strip()
        try:
            check_url(url)
        except TargetRefused as refusal:
            raise forms.ValidationError(str(refusal)) from refusal
        return url
