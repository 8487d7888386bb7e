"""The `replyguard` command as an operator runs it: in this process through `service.cli.main(argv)` (fast, and what
most tests use), or as a child process through the installed console script or `python -m service.cli` (what the few
tests proving the wiring use). Either way only the given REPLYGUARD_* settings reach it."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from service.cli import main

# The console script `replyguard` that installing the project puts beside the interpreter.
ENTRY_POINT = Path(sys.executable).parent / "replyguard"


def run_cli(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run `replyguard ARGS` in this process with the environment's REPLYGUARD_* replaced by `env`.

    As a child process would: `stdin` is its standard input (text and bytes alike), stdout and stderr (log lines
    included) are captured, an exit through SystemExit (argparse) or an uncaught exception (traceback on stderr, 1)
    gives the exit code a shell would see. The logging configuration `main` installs is undone afterwards.
    """
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, _logging_restored():
        for name in [name for name in os.environ if name.startswith("REPLYGUARD_")]:
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        patch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8"))
        with redirect_stdout(out), redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:
                code = _exit_code(exit_.code)
            except Exception:
                traceback.print_exc()
                code = 1
    return subprocess.CompletedProcess(["replyguard", *args], code, out.getvalue(), err.getvalue())


def run_installed_cli(
    *args: str, env: dict[str, str], stdin: str = "", as_module: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the installed `replyguard` script (or `python -m service.cli`) as a child process: the real wiring."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REPLYGUARD_")}
    command = [sys.executable, "-m", "service.cli"] if as_module else [str(ENTRY_POINT)]
    return subprocess.run(
        [*command, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=120,
        check=False,
    )


def _exit_code(code: object) -> int:
    """What the interpreter makes of `sys.exit(code)`: None is 0, an int itself, anything else printed and 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


@contextmanager
def _logging_restored() -> Iterator[None]:
    """Undo `main`'s logging.config.dictConfig: the root logger's handlers and level, and uvicorn's loggers."""
    loggers = [
        logging.getLogger(),
        *(logging.getLogger(name) for name in ("uvicorn", "uvicorn.error", "uvicorn.access")),
    ]
    saved = [(logger, logger.handlers[:], logger.level, logger.propagate, logger.disabled) for logger in loggers]
    try:
        yield
    finally:
        for logger, handlers, level, propagate, disabled in saved:
            for handler in logger.handlers[:]:
                if handler not in handlers:
                    logger.removeHandler(handler)
                    handler.close()
            for handler in handlers:
                if handler not in logger.handlers:
                    logger.addHandler(handler)
            logger.setLevel(level)
            logger.propagate, logger.disabled = propagate, disabled
