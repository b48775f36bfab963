from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from crm.forms import BootstrapFormMixin
from notes.files import UploadRefused, allowed_types_text, check_upload
from notes.services import NOTE_MAX_LENGTH


class NoteForm(BootstrapFormMixin, forms.Form):
    body = forms.CharField(
        label="Note",
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write something first."},
        help_text="Markdown: **bold**, *italic*, lists, [links](https://example.com).",
    )


class AttachmentForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label="File",
        error_messages={
            "required": "Choose a file to attach.",
            "empty": "The file is empty.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = filesizeformat(settings.ATTACHMENT_MAX_BYTES)
        self.fields["file"].help_text = f"Up to {limit}: {allowed_types_text()}."

    def clean_file(self):
        file = self.cleaned_data["file"]
        try:
            check_upload(file)
        except UploadRefused as refusal:
            raise forms.ValidationError(str(refusal)) from refusal
        return file
