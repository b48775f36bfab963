import os
from pathlib import Path

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def create_file_system_queue(sender, **kwargs) -> None:
    """The file-system broker (no REDIS_URL) needs its folders before the first message."""
    if not str(sender.conf.broker_url).startswith("filesystem://"):
        return
    options = sender.conf.broker_transport_options
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        Path(options[key]).mkdir(parents=True, exist_ok=True)
