"""An e-mail backend for tests that run real worker processes.

Each message becomes its own file in $CRM_TEST_MAIL_DIR, written under a temporary name and
renamed, so a process killed while writing never leaves half a message behind. With
$CRM_TEST_MAIL_HANG_AT set to N, the process that is about to hand over the N-th message
(counting the files already there) hangs instead, like a worker stuck in an SMTP
conversation, and leaves a `hanging-<pid>` marker, so a test can kill it at that moment.
"""

import os
import time
import uuid
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


class OneFilePerMessageBackend(BaseEmailBackend):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.directory = Path(os.environ["CRM_TEST_MAIL_DIR"])
        self.directory.mkdir(parents=True, exist_ok=True)

    def send_messages(self, email_messages) -> int:
        for message in email_messages:
            self.hang_if_asked()
            name = uuid.uuid4().hex
            temporary = self.directory / f".{name}.tmp"
            temporary.write_bytes(message.message().as_bytes())
            os.replace(temporary, self.directory / f"{name}.eml")
        return len(email_messages)

    def hang_if_asked(self) -> None:
        hang_at = int(os.environ.get("CRM_TEST_MAIL_HANG_AT") or 0)
        if hang_at and len(list(self.directory.glob("*.eml"))) >= hang_at:
            (self.directory / f"hanging-{os.getpid()}").touch()
            while True:
                time.sleep(1)
