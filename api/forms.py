from django import forms

from api.models import ApiToken, TokenScope
from crm.forms import BootstrapFormMixin


class TokenForm(BootstrapFormMixin, forms.ModelForm):
    """A new personal API token: an optional name and what it may do."""

    class Meta:
        model = ApiToken
        fields = ["name", "scope"]
        widgets = {"scope": forms.RadioSelect}
        help_texts = {"name": "To tell your tokens apart, e.g. “Zapier” or “laptop script”."}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scope"].initial = TokenScope.READ
        self.fields["scope"].widget.attrs["class"] = "form-check-input"
