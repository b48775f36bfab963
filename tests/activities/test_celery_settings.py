"""Celery's configuration comes from the environment: the broker, the visibility timeout
above the time limits, beat's schedule."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = """
import json
from django.conf import settings
print(json.dumps({
    "broker": settings.CELERY_BROKER_URL,
    "options": settings.CELERY_BROKER_TRANSPORT_OPTIONS,
    "soft": settings.CELERY_TASK_SOFT_TIME_LIMIT,
    "hard": settings.CELERY_TASK_TIME_LIMIT,
    "acks_late": settings.CELERY_TASK_ACKS_LATE,
    "reject": settings.CELERY_TASK_REJECT_ON_WORKER_LOST,
    "beat": {k: [v["task"], v["schedule"]] for k, v in settings.CELERY_BEAT_SCHEDULE.items()},
}))
"""


def settings_with(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {SHOW}"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "crm.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_without_redis_the_broker_is_the_file_system():
    result = settings_with()
    config = json.loads(result.stdout)
    assert config["broker"] == "filesystem://"
    assert config["options"]["data_folder_in"] == config["options"]["data_folder_out"]
    assert config["acks_late"] and config["reject"]
    assert config["beat"] == {
        "dispatch-reminders": ["activities.tasks.dispatch_reminders", 60.0],
        "dispatch-digests": ["activities.tasks.dispatch_digests", 60.0],
        "rescore-leads": ["leads.tasks.rescore_leads", 3600.0],
        "dispatch-webhooks": ["webhooks.tasks.dispatch_webhooks", 5.0],
        "dispatch-imports": ["imports.tasks.dispatch_imports", 60.0],
    }


def test_with_redis_the_visibility_timeout_is_set_above_the_time_limits():
    config = json.loads(settings_with(REDIS_URL="redis://cache:6379/2").stdout)
    assert config["broker"] == "redis://cache:6379/2"
    assert config["soft"] < config["hard"] < config["options"]["visibility_timeout"]


def test_time_limits_above_the_visibility_timeout_refuse_to_start():
    result = settings_with(REDIS_URL="redis://cache:6379/2", CELERY_VISIBILITY_TIMEOUT="120")
    assert result.returncode != 0
    assert "below the broker's visibility timeout" in result.stderr
