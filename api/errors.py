"""Refusals the endpoints raise; api.api turns them into JSON error responses."""

from django import forms

# A form field's name as the API calls it.
API_FIELD_NAMES = {
    "organization": "organization_id",
    "contact": "contact_id",
    "product": "product_id",
    "owner": "owner_id",
    "stage": "stage_id",
    "parent": "parent_id",
    "assignee": "assignee_id",
    "duration": "duration_minutes",
    "reason": "lost_reason_id",
    "reason_text": "lost_reason_text",
}


class InvalidInput(Exception):
    def __init__(
        self, errors: list[dict], *, detail: str = "The request is not valid.", status=422
    ):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.status = status


def form_errors(form: forms.BaseForm) -> list[dict]:
    """A bound form's errors as the API lists them."""
    return [
        {
            "field": "body" if name == "__all__" else API_FIELD_NAMES.get(name, name),
            "message": str(message),
        }
        for name, messages in form.errors.items()
        for message in messages
    ]


def valid(form: forms.BaseForm, *, also: list[dict] | None = None) -> dict:
    """The form's cleaned data; InvalidInput (422) with the form's messages otherwise, and
    with `also` (errors found beside the form, e.g. in custom values) in any case."""
    errors = ([] if form.is_valid() else form_errors(form)) + (also or [])
    if errors:
        raise InvalidInput(errors)
    return form.cleaned_data


def refuse(field: str, message: str) -> InvalidInput:
    return InvalidInput([{"field": field, "message": message}])
