"""Migration files sort by name in the order Alembic applies them, and each name starts with its revision id."""

from __future__ import annotations

import re

from alembic.script import ScriptDirectory

from service.storage import migrations

VERSIONS = migrations.ROOT / "migrations" / "versions"
NAME = re.compile(r"^(?P<rev>\d{4})_\d{4}-\d{2}-\d{2}_[a-z0-9_]+\.py$")


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(migrations.alembic_config("sqlite+aiosqlite://"))


def _chain_from_base() -> list[str]:
    script = _script()
    # walk_revisions goes from head down to base; one line of history, so reversed is the order of application.
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def test_every_migration_file_is_named_sequence_date_slug() -> None:
    names = [path.name for path in VERSIONS.glob("*.py")]
    assert names, "no migration files found"
    assert [name for name in names if not NAME.match(name)] == []


def test_file_names_sort_in_the_order_alembic_applies_them() -> None:
    by_name = [NAME.match(path.name)["rev"] for path in sorted(VERSIONS.glob("*.py"))]  # type: ignore[index]
    assert by_name == _chain_from_base()


def test_the_history_is_one_line_with_one_head() -> None:
    script = _script()
    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1


def test_each_file_declares_the_revision_its_name_starts_with() -> None:
    for path in VERSIONS.glob("*.py"):
        declared = re.search(r'^revision: str = "(\d+)"', path.read_text(encoding="utf-8"), re.MULTILINE)
        assert declared is not None, path.name
        assert path.name.startswith(f"{declared[1]}_"), path.name
