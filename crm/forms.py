"""What every form of the CRM shares: Bootstrap classes and the input rules.

The input rules (README, "Input rules") apply to each field by its type, in `input_rules`:
dates lie between 1900 and 2200, single-line text holds no line breaks or control characters,
integers fit a BIGINT. Our forms get them from `InputRulesMixin` (inside `BootstrapFormMixin`);
Django admin's from `crm.admin.InputRulesAdminMixin`.
"""

from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from crm.dates import bound_dates
from crm.http import MAX_INT
from crm.text import validate_single_line

# The mixin only ever sits in front of a Form or ModelForm; telling mypy so types its
# use of fields, errors and full_clean.
if TYPE_CHECKING:
    _FormBase = forms.BaseForm
else:
    _FormBase = object

MULTI_LINE_WIDGETS = (forms.Textarea, forms.PasswordInput)


def fits_bigint(value) -> bool:
    """False for a whole number past what a BIGINT column holds; True for anything else (which
    Django's own checks judge)."""
    try:
        number = int(str(value))
    except ValueError:
        return True
    return -MAX_INT <= number <= MAX_INT


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A ModelMultipleChoiceField that refuses a 30-digit id before the database sees it
    (Django sends it in an IN (...) query, which overflows on SQLite)."""

    def _check_values(self, value):
        meta = self.queryset.model._meta
        key = meta.get_field(self.to_field_name) if self.to_field_name else meta.pk
        if isinstance(key, models.IntegerField | models.AutoField):
            for pk in value if isinstance(value, list | tuple | set | frozenset) else ():
                if not fits_bigint(pk):
                    raise ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": pk},
                    )
        return super()._check_values(value)


def input_rules(field: forms.Field) -> forms.Field:
    """Give `field` the validators its type calls for (see the module's docstring)."""
    bound_dates(field)
    is_single_line = isinstance(field, forms.CharField) and not isinstance(
        field.widget, MULTI_LINE_WIDGETS
    )
    if is_single_line and validate_single_line not in field.validators:
        field.validators.append(validate_single_line)
    if isinstance(field, forms.IntegerField):
        # Without bounds, a 30-digit number reaches the database and overflows its BIGINT.
        kinds = {type(validator) for validator in field.validators}
        if MaxValueValidator not in kinds:
            field.validators.append(MaxValueValidator(MAX_INT))
        if MinValueValidator not in kinds:
            field.validators.append(MinValueValidator(-MAX_INT))
    if type(field) is forms.ModelMultipleChoiceField:
        # The fields Django makes for many-to-many relations (ModelForms, admin).
        field.__class__ = BoundedModelMultipleChoiceField
    return field


class InputRulesMixin(_FormBase):
    """Apply the input rules to every field of the form."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            input_rules(field)


class BootstrapFormMixin(InputRulesMixin):
    """Give every widget the Bootstrap class it needs, mark fields with errors, and apply the
    input rules to every field."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"
