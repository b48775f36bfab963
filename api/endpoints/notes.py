"""Notes on deals, organizations and contacts: through notes.subjects (the subject's access)."""

from ninja import Router, Status

from api.endpoints.common import ERRORS, Paging, reader, writer
from api.errors import refuse
from api.pagination import page_of
from api.schemas import Id, NoteIn, NoteOut, NotePage
from notes import services
from notes.models import Note
from notes.subjects import SUBJECT_TYPES, subject_for_user

router = Router()


def _list(request, type_name: str, subject_id: int, paging):
    subject = subject_for_user(reader(request), type_name, subject_id)
    rows = Note.objects.filter(**subject.owner_filter)
    return page_of(rows, cursor=paging.cursor, limit=paging.limit)


def _create(request, type_name: str, subject_id: int, payload: NoteIn):
    user = writer(request)
    subject = subject_for_user(user, type_name, subject_id, write=True)
    try:
        note = services.note_create(subject=subject.obj, body=payload.body, actor=user)
    except services.NoteRefused as refusal:
        raise refuse("body", str(refusal)) from refusal
    return Status(201, note)


def _register(type_name: str) -> None:
    segment = SUBJECT_TYPES[type_name].url_segment
    label = type_name

    @router.get(
        f"/{segment}/{{subject_id}}/notes",
        response={200: NotePage, **ERRORS},
        summary=f"List a {label}'s notes",
        operation_id=f"note_list_{type_name}",
    )
    def note_list(request, subject_id: Id, paging: Paging):
        return _list(request, type_name, subject_id, paging)

    @router.post(
        f"/{segment}/{{subject_id}}/notes",
        response={201: NoteOut, **ERRORS},
        summary=f"Add a note to a {label}",
        operation_id=f"note_create_{type_name}",
    )
    def note_create(request, subject_id: Id, payload: NoteIn):
        return _create(request, type_name, subject_id, payload)


for _type_name in ("deal", "organization", "contact"):
    _register(_type_name)
