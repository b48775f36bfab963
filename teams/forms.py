from django import forms
from django.contrib.auth.forms import PasswordChangeForm

from crm.forms import BootstrapFormMixin
from teams.models import User


class StyledPasswordChangeForm(BootstrapFormMixin, PasswordChangeForm):
    pass


class ProfileForm(BootstrapFormMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = [
            "first_name",
            "last_name",
            "email",
            "time_zone",
            "default_reminder_offset",
            "receives_digest",
        ]
