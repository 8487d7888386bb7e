"""The dependency audit (.ci/audit.py, run by `make test`) fails on a known vulnerability and honours a reviewed ignore.

A fake package index on loopback stands in for the real one, so this proves the failing path without waiting for a
real advisory against one of our pins.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

AUDIT = Path(__file__).resolve().parent.parent / ".ci" / "audit.py"
ADVISORY = {"id": "PYSEC-2099-1", "aliases": ["CVE-2099-0001"], "details": "demo is broken", "fixed_in": ["1.1"]}
# Like the index these machines reach: no release pages, project pages with the latest release's advisories.
PROJECTS = {
    "vulnerable": {"info": {"version": "1.0"}, "vulnerabilities": [ADVISORY]},
    "clean": {"info": {"version": "2.0"}, "vulnerabilities": []},
}


class FakeIndex(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        parts = self.path.strip("/").split("/")  # pypi/NAME/json
        project = PROJECTS.get(parts[1]) if len(parts) == 3 else None
        body = json.dumps(project).encode()
        self.send_response(200 if project else 404)
        self.send_header("Content-Length", str(len(body) if project else 0))
        self.end_headers()
        if project:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def index_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeIndex)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    server.shutdown()
    server.server_close()


def _audit(index_url: str, tmp_path: Path, pins: list[str], *options: str) -> subprocess.CompletedProcess[str]:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("".join(f"{pin} --hash=sha256:{'0' * 64}\n" for pin in pins))
    env = {**os.environ, "AUDIT_INDEX_URL": index_url}
    command = [sys.executable, str(AUDIT), str(requirements), "--cache-dir", str(tmp_path / "cache"), *options]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_a_pin_with_a_known_vulnerability_fails_the_audit(index_url: str, tmp_path: Path) -> None:
    result = _audit(index_url, tmp_path, ["vulnerable==1.0", "clean==2.0"])
    assert result.returncode == 1, result.stdout + result.stderr
    assert "PYSEC-2099-1" in result.stdout and "1.1" in result.stdout


def test_a_reviewed_ignore_lets_the_audit_pass(index_url: str, tmp_path: Path) -> None:
    result = _audit(index_url, tmp_path, ["vulnerable==1.0"], "--ignore-vuln", "PYSEC-2099-1")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_pin_older_than_the_latest_release_is_named_as_partly_audited(index_url: str, tmp_path: Path) -> None:
    result = _audit(index_url, tmp_path, ["clean==1.5"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "latest release's advisories only: clean==1.5 (latest 2.0)" in result.stdout


def test_a_project_the_index_does_not_know_fails_the_audit(index_url: str, tmp_path: Path) -> None:
    result = _audit(index_url, tmp_path, ["unheard-of==1.0"])
    assert result.returncode != 0  # never a silent skip
