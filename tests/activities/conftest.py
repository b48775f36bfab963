import pytest

from activities.services import digests_dispatch, reminders_dispatch
from crm.celery import app as celery_app


@pytest.fixture
def eager_celery():
    """Run tasks in the test's process as soon as they are sent."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield celery_app
    celery_app.conf.task_always_eager = False
    celery_app.conf.task_eager_propagates = False


@pytest.fixture
def dispatch(eager_celery, django_capture_on_commit_callbacks):
    """Run beat's reminder dispatch once, with its delivery tasks, as a worker would."""

    def run() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return reminders_dispatch()

    return run


@pytest.fixture
def dispatch_digests(eager_celery, django_capture_on_commit_callbacks):
    def run() -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return digests_dispatch()

    return run
