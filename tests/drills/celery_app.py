"""The Celery app for the worker-kill drill: the product's app plus one handler that stalls once.

``issues.opened`` runs after the product's ``issues`` handler, inside the same
transaction: the first time, it leaves a marker in $DRILL_DIR and sleeps, so the
drill can SIGKILL the worker with the handler's writes made but not committed.
"""

import os
import time
from pathlib import Path

from config.celery import app  # noqa: F401  (celery -A tests.drills.celery_app)
from webhooks.handlers import on


@on("issues.opened")
def stall_the_first_time(event):
    marker = Path(os.environ["DRILL_DIR"]) / "stalled"
    if marker.exists():
        return
    marker.write_text(str(os.getpid()))
    time.sleep(120)
