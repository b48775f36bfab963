from django.urls import path, register_converter

from notes import views
from notes.subjects import BY_URL_SEGMENT, SUBJECT_TYPES

app_name = "notes"


class SubjectTypeConverter:
    """The first segment of a subject's URLs ("deals") to its type's name ("deal")."""

    regex = "|".join(BY_URL_SEGMENT)

    def to_python(self, value: str) -> str:
        return BY_URL_SEGMENT[value].name

    def to_url(self, value: str) -> str:
        return SUBJECT_TYPES[value].url_segment


register_converter(SubjectTypeConverter, "subject")

urlpatterns = [
    path("<subject:subject_type>/<id:subject_id>/history/", views.history, name="history"),
    path("<subject:subject_type>/<id:subject_id>/notes/", views.note_create, name="note-create"),
    path(
        "<subject:subject_type>/<id:subject_id>/files/",
        views.attachment_upload,
        name="attachment-upload",
    ),
    path("notes/<id:note_id>/", views.note_detail, name="note-detail"),
    path("notes/<id:note_id>/edit/", views.note_edit, name="note-edit"),
    path("notes/<id:note_id>/delete/", views.note_delete, name="note-delete"),
    path("files/<id:attachment_id>/", views.attachment_download, name="attachment-download"),
    path("files/<id:attachment_id>/delete/", views.attachment_delete, name="attachment-delete"),
]
