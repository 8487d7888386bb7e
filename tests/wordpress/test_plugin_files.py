"""The WordPress plugin's files: every PHP file parses (`php -l`), and the zip holds exactly the plugin folder."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from tests.wordpress.site import REPOSITORY, build_plugin_zip

PLUGIN = REPOSITORY / "deploy" / "wordpress" / "replyguard"
PHP_FILES = sorted(PLUGIN.rglob("*.php")) + sorted((REPOSITORY / "tests" / "wordpress").glob("*.php"))
needs_php = pytest.mark.skipif(shutil.which("php") is None, reason="needs php-cli (make wordpress-deps installs it)")


@needs_php
@pytest.mark.parametrize("path", PHP_FILES, ids=lambda path: str(path.relative_to(REPOSITORY)))
def test_every_php_file_parses(path: Path) -> None:
    linted = subprocess.run(["php", "-l", str(path)], capture_output=True, text=True, timeout=30, check=False)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_every_plugin_file_refuses_to_run_outside_wordpress() -> None:
    for path in PLUGIN.rglob("*.php"):
        guard = "WP_UNINSTALL_PLUGIN" if path.name == "uninstall.php" else "ABSPATH"
        assert f"defined( '{guard}' ) || exit;" in path.read_text(), path


def test_the_zip_holds_the_plugin_folder_and_nothing_else(tmp_path: Path) -> None:
    built = build_plugin_zip(tmp_path)
    assert built == tmp_path / "replyguard.zip"
    with zipfile.ZipFile(built) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(
            f"replyguard/{p.relative_to(PLUGIN).as_posix()}" for p in PLUGIN.rglob("*") if p.is_file()
        )
        header = archive.read("replyguard/replyguard.php").decode()
    assert "Plugin Name:       replyguard" in header
    assert build_plugin_zip(tmp_path / "again").read_bytes() == built.read_bytes()  # same sources, same bytes
