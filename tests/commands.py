"""The `replyguard` command run as an operator runs it: a child process with only the given REPLYGUARD_* settings."""

from __future__ import annotations

import os
import subprocess
import sys


def run_cli(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run `replyguard ARGS` (as `python -m service.cli`) with this environment minus REPLYGUARD_*, plus `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REPLYGUARD_")}
    return subprocess.run(
        [sys.executable, "-m", "service.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=120,
        check=False,
    )
