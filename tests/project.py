"""What is this project's own code, as opposed to the libraries installed beside it."""

from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def is_project_path(path: str | Path) -> bool:
    """A file or folder of the checkout itself. The virtualenv usually lives inside the
    checkout too (`make install` puts it in .venv), so its packages are excluded by name."""
    path = Path(path)
    return path.is_relative_to(ROOT) and "site-packages" not in path.parts
