"""Structured (JSON-lines) logs on stderr, with email addresses and API keys redacted before a line is written."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

# Deliberately broad: a false positive costs a redacted word, a false negative leaks a private address.
EMAIL = re.compile(r"[^\s@<>\"'(),;:\[\]]+@[^\s@<>\"'(),;:\[\]]+\.[^\s@<>\"'(),;:\[\]]+")
# Record attributes that are not "extra" fields; uvicorn's color_message only duplicates the message with ANSI codes.
# API keys of the compatible APIs: Perspective clients send them in the query string, which the access log writes.
# Coral's phase secrets (empsec_...) are never logged either; should one ever reach a line, it is hidden too.
API_KEY = re.compile(r"((?:[?&]|\b)(?:key|api_key)=)[^&\s\"']+|rgk_[A-Za-z0-9_-]+|empsec_[A-Za-z0-9]+", re.IGNORECASE)
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


def _hide_key(match: re.Match[str]) -> str:
    return f"{match.group(1)}[key]" if match.group(1) else "[key]"


def redact(text: str) -> str:
    """The line without email addresses or API keys."""
    return API_KEY.sub(_hide_key, EMAIL.sub("[email]", text))


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the record's extra fields, and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str, ensure_ascii=False))


def log_config(level: str) -> dict[str, Any]:
    """A logging.config dict for the service and uvicorn alike, so every line goes through the same redaction."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": True},
        },
    }
