"""Settings from REPLYGUARD_* variables: parsed, validated, and typos refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.settings import DEFAULT_DATABASE_URL, Settings, SettingsError


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.is_sqlite and settings.rate_limit_enabled


def test_every_kind_of_value_is_parsed() -> None:
    settings = Settings.from_env(
        {
            "REPLYGUARD_DATABASE_URL": "postgresql+asyncpg://u@localhost/db",
            "REPLYGUARD_PORT": "9000",
            "REPLYGUARD_RATE_LIMIT_ENABLED": "false",
            "REPLYGUARD_SPAM_REJECT_THRESHOLD": "0.95",
            "REPLYGUARD_ABUSE_HOLD_THRESHOLD": "",
            "REPLYGUARD_MODEL_DIR": "/srv/models",
            "REPLYGUARD_DATA_DIR": "",
            "REPLYGUARD_ALLOWED_ORIGINS": "https://news.example/, https://blog.example",
            "REPLYGUARD_TEST_DATABASE_URL": "ignored: belongs to the test suite",
            "PATH": "/usr/bin",
        }
    )
    assert not settings.is_sqlite
    assert settings.port == 9000 and settings.rate_limit_enabled is False
    assert settings.spam_reject_threshold == 0.95 and settings.abuse_hold_threshold is None
    assert settings.model_dir == Path("/srv/models") and settings.data_dir is None
    assert settings.allowed_origins == ("https://news.example", "https://blog.example")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("REPLYGUARD_DATABSE_URL", "typo"),
        ("REPLYGUARD_PORT", "eighty"),
        ("REPLYGUARD_RATE_LIMIT_ENABLED", "maybe"),
        ("REPLYGUARD_SPAM_HOLD_THRESHOLD", "1.5"),
        ("REPLYGUARD_RELEVANCE", "sometimes"),
        ("REPLYGUARD_SPAM_REJECT_THRESHOLD", "1.0"),  # a card needs hold < reject < 1
        ("REPLYGUARD_DATABASE_URL", "mysql://x"),
        ("REPLYGUARD_BODY_MAX_CHARS", "0"),
        ("REPLYGUARD_REQUEST_MAX_BYTES", "10"),
        ("REPLYGUARD_MAX_LINKS", "-1"),
        ("REPLYGUARD_MAX_THREAD_DEPTH", "1"),  # one level is no thread: a reply needs a comment to attach to
        ("REPLYGUARD_MAX_THREAD_DEPTH", "101"),
        ("REPLYGUARD_SPAM_RUN_THRESHOLD", "-1"),
        ("REPLYGUARD_SPAM_RUN_WINDOW_MINUTES", "0"),
        ("REPLYGUARD_HONEYPOT_FIELD", 'x" onfocus="alert(1)'),  # goes into the embed's script and the demo page
        ("REPLYGUARD_DEMO_PAGES", "perhaps"),
        ("REPLYGUARD_SQLITE_READ_THREADS", "0"),
        ("REPLYGUARD_SCORING_TIMEOUT_SECONDS", "0"),
    ],
)
def test_bad_values_are_refused_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})
