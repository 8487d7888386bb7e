"""Dependency audit: pip-audit over the locked dependency set, its advisories read from the package index.

Usage: python .ci/audit.py REQUIREMENTS [pip-audit options...]   (`make audit` passes the `uv export` of uv.lock)

Why an adapter: pip-audit's default source asks the index for one page per release (/pypi/NAME/VERSION/json).
The index these machines reach answers 404 for every such page, and pip-audit then *skips* each dependency and
still prints "No known vulnerabilities found" with exit code 0: a check that cannot fail. The index does serve the
project page (/pypi/NAME/json), which carries the advisories of the latest release. So this script serves pip-audit's
OSV query API on loopback and answers each query from the release page when the index has it, else from the project
page. pip-audit keeps its own job: collecting the pins, matching, `--ignore-vuln`, output and exit code (1 on a
finding).

Limit, printed at the end of every run: for a pin older than the latest release, when the release page is missing,
the project page only tells the advisories that still affect the latest release; one fixed in between is not seen.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.request import urlopen

LOCK = Path(__file__).resolve().parent.parent / "uv.lock"
TIMEOUT_SECONDS = 30
# Pins the index could only audit against the latest release's advisories (see the module docstring).
partly_audited: list[str] = []


def index_json_base() -> str:
    """The JSON API beside the simple index uv.lock was resolved from; AUDIT_INDEX_URL overrides it (tests)."""
    simple = os.environ.get("AUDIT_INDEX_URL")
    if simple is None:
        found = re.search(r'registry = "([^"]+)"', LOCK.read_text())
        if found is None:
            raise SystemExit("audit: uv.lock names no package index")
        simple = found.group(1)
    return simple.rstrip("/").removesuffix("/simple") + "/pypi"


def fetch(url: str) -> dict[str, Any] | None:
    """The JSON page at `url`, or None when the index has no such page."""
    try:
        with urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (the index's own https URL)
            return dict(json.load(response))
    except HTTPError as error:
        if error.code == 404:
            return None
        raise


def advisories(name: str, version: str) -> list[dict[str, Any]]:
    """The index's advisories for `name==version`: exact from its release page, else from the project page."""
    base = index_json_base()
    release = fetch(f"{base}/{name}/{version}/json")
    if release is not None:
        return list(release.get("vulnerabilities") or [])
    project = fetch(f"{base}/{name}/json")
    if project is None:
        raise LookupError(f"the package index has no project {name}")
    latest = project["info"]["version"]
    if latest != version:
        partly_audited.append(f"{name}=={version} (latest {latest})")
    return list(project.get("vulnerabilities") or [])


def as_osv(name: str, advisory: dict[str, Any]) -> dict[str, Any]:
    """One index advisory in the OSV shape pip-audit reads (its fix versions become `fixed` events)."""
    events: list[dict[str, str]] = [{"introduced": "0"}, *({"fixed": v} for v in advisory.get("fixed_in") or [])]
    return {
        "id": advisory["id"],
        "aliases": advisory.get("aliases") or [],
        "summary": advisory.get("summary"),
        "details": advisory.get("details"),
        "published": advisory.get("published"),
        "withdrawn": advisory.get("withdrawn"),
        "affected": [
            {"package": {"name": name, "ecosystem": "PyPI"}, "ranges": [{"type": "ECOSYSTEM", "events": events}]}
        ],
    }


class OsvQueries(BaseHTTPRequestHandler):
    """POST /v1/query {"package": {"name"}, "version"} -> {"vulns": [...]}; a failed look-up is a 502 (pip-audit
    then fails the whole audit rather than skip the dependency)."""

    def do_POST(self) -> None:
        query = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        name, version = query["package"]["name"], query["version"]
        try:
            answer: dict[str, Any] = {"vulns": [as_osv(name, a) for a in advisories(name, version)]}
            status = 200
        except (OSError, LookupError, ValueError) as error:
            answer, status = {"error": str(error)}, 502
        body = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # one line per dependency is noise
        pass


@contextmanager
def osv_adapter() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), OsvQueries)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/query"
    finally:
        server.shutdown()
        thread.join()


def main(argv: list[str]) -> int:
    if not argv:
        raise SystemExit(__doc__)
    requirements, options = argv[0], argv[1:]
    with osv_adapter() as url:
        command = [sys.executable, "-m", "pip_audit", "-r", requirements, "--require-hashes", "--disable-pip"]
        command += ["--vulnerability-service", "osv", "--osv-url", url, "--progress-spinner", "off", *options]
        code = subprocess.run(command, check=False).returncode  # noqa: S603 (our own interpreter and arguments)
    if partly_audited:
        print(f"audit: checked against the latest release's advisories only: {', '.join(partly_audited)}")
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
