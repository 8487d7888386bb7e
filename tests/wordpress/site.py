"""A throwaway WordPress on loopback for the plugin's end-to-end test: Debian's `wordpress` package copied into a
temp dir with its own wp-config.php, a MariaDB server on a socket in that dir, PHP's built-in web server, and the
plugin installed from its zip (deploy/wordpress/build_zip.py).

Every wait is bounded (START_TIMEOUT_SECONDS, TOOL_TIMEOUT_SECONDS); every process started here is stopped on the way
out. As root, MariaDB runs as the unprivileged user `nobody` (as .ci/postgres.sh runs PostgreSQL).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

WORDPRESS = Path("/usr/share/wordpress")
HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parent.parent
START_TIMEOUT_SECONDS = 30
TOOL_TIMEOUT_SECONDS = 30
NEEDED = ("php", "mariadbd", "mariadb-install-db")
WP_SECRET_NAMES = [
    f"{kind}_{what}" for what in ("KEY", "SALT") for kind in ("AUTH", "SECURE_AUTH", "LOGGED_IN", "NONCE")
]

needs_wordpress = pytest.mark.skipif(
    not WORDPRESS.is_dir() or any(shutil.which(name) is None for name in NEEDED),
    reason="needs Debian's wordpress, php-cli, php-mysql and mariadb-server (make wordpress-deps installs them)",
)


@dataclass(frozen=True)
class Site:
    """The running site: its base URL, its files, and the tool script (tool.php) to look inside it."""

    url: str
    docroot: Path
    folder: Path
    admin_password: str

    def tool(self, command: str, payload: dict[str, Any] | None = None) -> Any:
        done = subprocess.run(
            ["php", str(HERE / "tool.php"), str(self.docroot), command, json.dumps(payload or {})],
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_SECONDS,
            env={**os.environ, "WP_TEST_HOME": self.url},
            check=False,
        )
        assert done.returncode == 0, done.stderr + done.stdout
        return json.loads(done.stdout)

    def comment(self, content: str) -> dict[str, Any]:
        """The one comment with this text, any status, with its meta."""
        found = [row for row in self.tool("comments") if row["content"] == content]
        assert len(found) == 1, found
        return dict(found[0])

    def log(self) -> str:
        return "".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}\n"
            for path in sorted(self.folder.glob("*.log"))
        )


def _as_unprivileged(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", *command]


def _wait_for(condition: Any, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.05)


@contextmanager
def mariadb() -> Iterator[Path]:
    """A MariaDB server with database `wordpress`, listening only on a socket in a temp dir of its own (no TCP port
    to collide with), removed on the way out. Grant tables are skipped, so any user gets in: the socket is reachable
    only on this machine. The dir is directly under the system temp dir: `nobody` could not enter pytest's."""
    with tempfile.TemporaryDirectory(prefix="replyguard-mariadb.") as name:
        folder = Path(name)
        folder.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(folder, "nobody", "nogroup")
        with _mariadb_in(folder) as socket:
            yield socket


@contextmanager
def _mariadb_in(folder: Path) -> Iterator[Path]:
    data, socket, log = folder / "data", folder / "mysqld.sock", folder / "mariadb.log"
    install = subprocess.run(
        _as_unprivileged(
            ["mariadb-install-db", "--no-defaults", f"--datadir={data}", "--skip-test-db", "--skip-name-resolve"]
        ),
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_SECONDS,
        check=False,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    server = subprocess.Popen(
        _as_unprivileged(
            [
                "mariadbd",
                "--no-defaults",
                f"--datadir={data}",
                f"--socket={socket}",
                f"--pid-file={folder / 'mysqld.pid'}",
                f"--log-error={log}",
                "--skip-networking",
                "--skip-grant-tables",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=32M",
                "--innodb-flush-log-at-trx-commit=0",
            ]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: socket.exists() or server.poll() is not None, "MariaDB", log)
        assert server.poll() is None, log.read_text(errors="replace")
        created = subprocess.run(
            ["mariadb", f"--socket={socket}", "-u", "root", "-e", "CREATE DATABASE wordpress"],
            capture_output=True,
            text=True,
            timeout=TOOL_TIMEOUT_SECONDS,
            check=False,
        )
        assert created.returncode == 0, created.stderr
        yield socket
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def build_plugin_zip(out_dir: Path) -> Path:
    """The plugin's zip as `make wordpress-zip` builds it."""
    done = subprocess.run(
        [sys.executable, str(REPOSITORY / "deploy" / "wordpress" / "build_zip.py"), str(out_dir)],
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT_SECONDS,
        check=True,
    )
    return Path(done.stdout.strip())


def _docroot(folder: Path, *, socket: Path, url: str) -> Path:
    """WordPress's files (hard links when the temp dir shares the file system, else copies), this site's
    wp-config.php, a must-use plugin for the test (test-mu-plugin.php) and the plugin unpacked from its zip."""
    docroot = folder / "wordpress"

    def link_or_copy(source: str, target: str) -> None:
        try:
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)

    shutil.copytree(WORDPRESS, docroot, symlinks=True, copy_function=link_or_copy)
    (docroot / "wp-config.php").unlink()  # a link to Debian's: never written through
    keys = "".join(f"define( '{name}', '{secrets.token_hex(32)}' );\n" for name in WP_SECRET_NAMES)
    (docroot / "wp-config.php").write_text(
        "<?php\n"
        "define( 'DB_NAME', 'wordpress' );\ndefine( 'DB_USER', 'root' );\ndefine( 'DB_PASSWORD', '' );\n"
        f"define( 'DB_HOST', 'localhost:{socket}' );\ndefine( 'DB_CHARSET', 'utf8mb4' );\n"
        f"define( 'WP_HOME', '{url}' );\ndefine( 'WP_SITEURL', '{url}' );\n"
        f"define( 'WP_CONTENT_DIR', '{docroot / 'wp-content'}' );\n"
        # Cron runs only when the test calls wp-cron.php, never as a side effect of a page view.
        "define( 'DISABLE_WP_CRON', true );\ndefine( 'AUTOMATIC_UPDATER_DISABLED', true );\n"
        # No calls out to the internet (update and PHP-version checks): the site and replyguard on 127.0.0.1 only.
        "define( 'WP_HTTP_BLOCK_EXTERNAL', true );\n"
        "define( 'WP_DEBUG', true );\ndefine( 'WP_DEBUG_DISPLAY', false );\n"
        f"define( 'WP_DEBUG_LOG', '{folder / 'wordpress-debug.log'}' );\n"
        f"{keys}$table_prefix = 'wp_';\n"
        "if ( ! defined( 'ABSPATH' ) ) { define( 'ABSPATH', __DIR__ . '/' ); }\n"
        "require_once ABSPATH . 'wp-settings.php';\n"
    )
    mu_plugins = docroot / "wp-content" / "mu-plugins"
    mu_plugins.mkdir()
    shutil.copyfile(HERE / "test-mu-plugin.php", mu_plugins / "replyguard-test.php")
    with zipfile.ZipFile(build_plugin_zip(folder / "build")) as archive:
        archive.extractall(docroot / "wp-content" / "plugins")
    return docroot


@contextmanager
def wordpress(folder: Path, *, port: int, settings: dict[str, Any]) -> Iterator[Site]:
    """WordPress installed on http://127.0.0.1:`port`, the plugin active with `settings`; served by PHP's
    built-in server (four workers: the plugin's call to replyguard and replyguard's webhook call back must not wait
    for each other)."""
    url = f"http://127.0.0.1:{port}"
    with ExitStack() as stack:
        socket = stack.enter_context(mariadb())
        docroot = _docroot(folder, socket=socket, url=url)
        site = Site(url=url, docroot=docroot, folder=folder, admin_password=secrets.token_urlsafe(16))
        installed = site.tool("install", {"admin_password": site.admin_password, "settings": settings})
        assert installed["activated"], installed
        log = folder / "php-server.log"
        with log.open("ab") as sink:
            # Its own process group: the workers are forked children that outlive a signal to the parent alone.
            server = subprocess.Popen(
                ["php", "-S", f"127.0.0.1:{port}", "-t", str(docroot)],
                env={**os.environ, "PHP_CLI_SERVER_WORKERS": "4"},
                stdout=sink,
                stderr=sink,
                start_new_session=True,
            )

        def answers() -> bool:
            try:
                return httpx.get(f"{url}/wp-login.php", timeout=2).status_code == 200
            except httpx.TransportError:
                return server.poll() is not None

        try:
            _wait_for(answers, "PHP's web server", log)
            assert server.poll() is None, log.read_text(errors="replace")
            yield site
        finally:
            _stop_group(server)


def _stop_group(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (itself and its workers), SIGKILL if it lingers."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    except ProcessLookupError:
        server.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)  # a worker that outlived the parent
