"""The Python peer for the HTTP benchmark: Isso (a comment server) on gunicorn sync workers with SQLite, same load.

    .venv/bin/python bench/isso_peer.py [--seconds 5] [--connections 64] [--workers 1] [--comments 200]

Prints {"post": ..., "get_thread": ...} as JSON, each a result of bench/run.py's `wrk` helper. From bench/run.py:

    from bench.isso_peer import measure_isso
    results.update({f"isso_{k}": v for k, v in measure_isso(seconds, connections, wrk_fn=wrk).items()})

Isso lives in its own virtualenv (bench/.isso-venv, made on first use) so that neither it nor its dependencies touch
the project's environment or lock file.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Protocol

import httpx

ROOT = Path(__file__).resolve().parent.parent

# Every distribution of the peer pinned, not just Isso and gunicorn: a newer Werkzeug, mistune or bleach would change
# what is measured between two runs that claim the same peer. 0.14.0 is the newest Isso; it runs on Python 3.11.
# misaka has no wheel for 3.11 and is built from source (Isso requires it even with the default mistune renderer).
ISSO_VERSION = "0.14.0"
GUNICORN_VERSION = "27.0.1"
PINS: dict[str, str] = {
    "isso": ISSO_VERSION,
    "gunicorn": GUNICORN_VERSION,
    "werkzeug": "3.1.9",
    "jinja2": "3.1.6",
    "itsdangerous": "2.2.0",
    "markupsafe": "3.0.4",
    "mistune": "3.4.0",
    "misaka": "2.1.1",
    "bleach": "6.4.0",
    "html5lib": "1.1",
    "webencodings": "0.6.1",
    "six": "1.17.0",
    "cffi": "2.1.1",
    "pycparser": "3.12",
}
VENV_TIMEOUT_S = 120
INSTALL_TIMEOUT_S = 600
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30
THREAD_URI = "/bench/thread"  # seeded, read by GET
POST_URI = "/bench/post"  # written by POST; a thread apart so that the read figure does not depend on the write run
SEED_TEXTS = (
    "Thanks for this clear explanation of the budget vote, I had not realised the committee met twice.",
    "I disagree with the author on *rent control*, but the numbers in the third paragraph are worth thinking about.",
    "Could you follow up on the bridge repairs promised last spring? Source: https://city.example/report",
    "Great piece. My grandmother lived through the 1962 flood in that valley.",
)


class WrkFn(Protocol):
    """The signature of bench/run.py's `wrk` helper (a script name is resolved under bench/)."""

    def __call__(
        self,
        url: str,
        *,
        seconds: int,
        connections: int,
        pid: int,
        script: str | None = None,
        headers: tuple[str, ...] = (),
    ) -> dict[str, Any]: ...


def _installed_versions(python: Path) -> dict[str, str | None]:
    """Versions of the pinned distributions in the venv (None where missing), asked of the venv's own interpreter."""
    probe = (
        "import importlib.metadata as m, json, sys\n"
        "def v(name):\n"
        "    try:\n"
        "        return m.version(name)\n"
        "    except m.PackageNotFoundError:\n"
        "        return None\n"
        "print(json.dumps({name: v(name) for name in sys.argv[1:]}))\n"
    )
    out = subprocess.run(
        [str(python), "-c", probe, *PINS], capture_output=True, text=True, check=True, timeout=VENV_TIMEOUT_S
    ).stdout
    found: dict[str, str | None] = json.loads(out)
    return found


def ensure_isso_env(root: Path = ROOT) -> Path:
    """Make bench/.isso-venv under `root` with the pinned Isso and gunicorn, unless it already has them; return its bin.

    A separate venv because Isso's dependencies (old-style Markdown renderers, a C extension) have no place in the
    project's lock file. It is made from the interpreter running the bench, so Isso runs on the same Python.
    """
    venv = root / "bench" / ".isso-venv"
    bin_dir = venv / "bin"
    python = bin_dir / "python"
    if python.exists():
        try:
            if _installed_versions(python) == PINS:
                return bin_dir
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, json.JSONDecodeError):
            pass  # a broken venv: rebuilt below
    if not python.exists() or subprocess.run([str(python), "-c", ""], timeout=VENV_TIMEOUT_S).returncode != 0:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, timeout=VENV_TIMEOUT_S)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
         *(f"{name}=={version}" for name, version in PINS.items())],
        check=True,
        timeout=INSTALL_TIMEOUT_S,
    )  # fmt: skip
    installed = _installed_versions(python)
    if installed != PINS:
        raise RuntimeError(f"isso venv has {installed}, wanted {PINS}")
    return bin_dir


def _closed_port() -> socket.socket:
    """A loopback port that is bound but not listening, so a connection to it is refused at once; keep it open."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    return holder


def write_config(workdir: Path, site: str, *, moderation: bool = False) -> Path:
    """Isso's config for the bench: everything that would throttle or hold back the load generator switched off.
    With `moderation`, new comments wait in Isso's queue (mode 2), as on a site that moderates (the import tests)."""
    config = workdir / "isso.cfg"
    config.write_text(
        "[general]\n"
        f"dbpath = {workdir / 'comments.db'}\n"
        # Isso sends HEAD to each host when a worker loads the app and GETs `uri` from it to title a new thread; the
        # bench names a loopback site that refuses at once, so nothing leaves the machine and no worker waits on a
        # time-out (a thread is always created with a title). Isso does not check Origin on the server side: the
        # host only feeds the CORS headers, so a request without an Origin (wrk's) is served like the site's own.
        f"host = {site}\n"
        # No notification backend: the default (stdout) logs every new comment. An empty value is Isso's only way
        # to say none; it logs one 'unknown notification backend' warning per worker at start.
        "notify =\n"
        "reply-notifications = false\n"
        "gravatar = false\n"
        "latest-enabled = false\n"
        "\n[admin]\nenabled = false\n"
        # Published at once (201, mode 1) like our accepted replies, rather than queued (202).
        f"\n[moderation]\nenabled = {'true' if moderation else 'false'}\n"
        # The guard allows 2 comments a minute per client address and 3 top-level ones per thread: the load
        # generator is one address.
        "\n[guard]\nenabled = false\n"
        "\n[server]\nprofile = false\n"
    )
    return config


def start_isso(
    workdir: Path, port: int, workers: int = 1, *, bin_dir: Path | None = None, moderation: bool = False
) -> subprocess.Popen[bytes]:
    """Start Isso under gunicorn (sync workers) on 127.0.0.1:`port`, db and log in `workdir`; return once it answers.

    Without `bin_dir` the pinned venv is made or checked first (ensure_isso_env).
    """
    bin_dir = bin_dir or ensure_isso_env(ROOT)
    refuser = _closed_port()
    config = write_config(workdir, f"http://127.0.0.1:{refuser.getsockname()[1]}/", moderation=moderation)
    # The venv's own interpreter and packages only: nothing of the project's environment leaks into the peer.
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
    env["ISSO_SETTINGS"] = str(config)
    # gunicorn's access log is off unless --access-logfile is given. Its control socket (new in 27) sits at one path
    # in $HOME shared by every instance, so it is switched off: nothing here uses it.
    command = [
        str(bin_dir / "gunicorn"), "--worker-class", "sync", "--workers", str(workers),
        "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--no-control-socket", "isso.run:application",
    ]  # fmt: skip
    # Logs go to a file, not a pipe: a pipe nobody reads fills up and stalls the server mid-run.
    log_path = workdir / "isso.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"isso exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
            try:
                # /info answers only once a worker has loaded the app (and so run its start-up HEAD).
                if httpx.get(f"http://127.0.0.1:{port}/info", timeout=2).status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        stop_isso(process)
        raise RuntimeError(
            f"isso on port {port} did not answer in {START_TIMEOUT_S} s:\n{log_path.read_text()[-4000:]}"
        )
    except BaseException:
        if process.poll() is None:
            stop_isso(process)
        raise
    finally:
        # A worker has loaded the app by now; one still loading (workers > 1) finds the port closed, refused alike.
        refuser.close()


def stop_isso(process: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn gracefully (its workers exit with it), killing it if it has not gone in STOP_TIMEOUT_S."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


def seed_isso(port: int, uri: str, n: int) -> None:
    """Publish `n` comments in the thread `uri` through Isso's own API (POST /new), as a reader's browser would."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        for i in range(n):
            comment = {
                "text": f"{SEED_TEXTS[i % len(SEED_TEXTS)]} ({i})",
                "author": f"Reader {i}",
                "email": f"reader{i % 700}@example.org",
                "title": "Bench thread",  # else Isso fetches `uri` from the configured host to title the thread
            }
            response = client.post("/new", params={"uri": uri}, json=comment)
            if response.status_code != 201:  # 202 would mean queued for moderation, not published
                raise RuntimeError(f"isso seed: {response.status_code} {response.text[:500]}")
            # Isso sets an edit cookie per comment; kept, they pile into a Cookie header gunicorn refuses (431).
            client.cookies.clear()


def published(port: int, uri: str) -> int:
    """How many comments the thread `uri` shows readers (limit=0 counts without rendering any)."""
    response = httpx.get(f"http://127.0.0.1:{port}/", params={"uri": uri, "limit": 0}, timeout=30)
    response.raise_for_status()
    return int(response.json()["total_replies"])


def _worker_cpu_seconds(master: int) -> float:
    """CPU time of gunicorn's master and its live workers: the workers do the serving, and a parent's own figure
    counts a child only once it has been reaped."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        pid = int(stat.parent.name)
        if pid == master or int(fields[1]) == master:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _measure(wrk_fn: WrkFn, url: str, master: int, **options: Any) -> dict[str, Any]:
    """wrk_fn's result, with CPU per request taken over the workers (wrk_fn only sees the master's, which idles)."""
    before = _worker_cpu_seconds(master)
    result = wrk_fn(url, pid=master, **options)
    cpu = _worker_cpu_seconds(master) - before
    result["cpu_ms_per_request"] = round(1000 * cpu / max(int(result["requests"]), 1), 3)
    return result


def _default_wrk() -> WrkFn:
    """bench/run.py's helper, imported only when asked for: run.py may import this module at its top."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    helper: WrkFn = importlib.import_module("bench.run").wrk
    return helper


def measure_isso(
    seconds: int,
    connections: int,
    *,
    workers: int = 1,
    comments: int = 200,
    wrk_fn: WrkFn | None = None,
) -> dict[str, dict[str, Any]]:
    """Run Isso in a temporary dir, seed a thread of `comments`, drive it with wrk; return {"post", "get_thread"}.

    "post" is POST /new (new top-level comment, published at once); its extra key "published" is how many comments
    the POST thread shows afterwards, proof that the 2xx answers were stored and visible (at least "requests").
    "get_thread" is GET /?uri=...&limit=20, the first page of 20 top-level comments, rendered by Isso per request.
    """
    if shutil.which("wrk") is None:
        raise RuntimeError("bench: wrk is missing (apt-get install wrk)")
    bin_dir = ensure_isso_env(ROOT)
    wrk_fn = wrk_fn or _default_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="isso-bench-"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    process = start_isso(workdir, port, workers, bin_dir=bin_dir)
    try:
        seed_isso(port, THREAD_URI, comments)
        # The POST thread exists before the load: two workers creating it at once would race on its unique uri.
        seed_isso(port, POST_URI, 1)
        base = f"http://127.0.0.1:{port}"
        load = {"seconds": seconds, "connections": connections}
        post = _measure(wrk_fn, f"{base}/new?uri={POST_URI}", process.pid, script="isso_post.lua", **load)
        post["published"] = published(port, POST_URI) - 1
        get_thread = _measure(wrk_fn, f"{base}/?uri={THREAD_URI}&limit=20", process.pid, **load)
    finally:
        stop_isso(process)
        shutil.rmtree(workdir, ignore_errors=True)
    return {"post": post, "get_thread": get_thread}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--comments", type=int, default=200, help="comments seeded in the thread that GET reads")
    args = parser.parse_args()
    results = measure_isso(args.seconds, args.connections, workers=args.workers, comments=args.comments)
    print(
        json.dumps({"isso": ISSO_VERSION, "gunicorn": GUNICORN_VERSION, "workers": args.workers, **results}, indent=2)
    )
    failed = any(result["errors"] for result in results.values())
    # wrk counts a 202 (queued for moderation) as a success: the comments shown say whether posts were published.
    return 1 if failed or results["post"]["published"] < results["post"]["requests"] else 0


if __name__ == "__main__":
    sys.exit(main())
