"""Settings from the environment: the embedded default and production refusals."""

import os
import subprocess
import sys

from tests.conftest import ROOT


def run_check(**env):
    base = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "DEBUG", "DATABASE_URL")}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_debug_off_without_secret_key_refuses_to_start():
    result = run_check(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_no_environment_at_all_runs_embedded():
    result = run_check()
    assert result.returncode == 0, result.stderr
