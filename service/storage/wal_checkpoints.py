"""SQLite WAL checkpoints in a background thread instead of inside a committing request.

By default SQLite checkpoints (copies the write-ahead log back into the database file and fsyncs it) in whichever
connection's COMMIT pushes the log past 1,000 pages. Under submit load that is one request every second or so
paying several milliseconds of copying and an extra fsync: the tail of the paced submit latency
(docs/performance.md). The service's writer connections therefore run with `wal_autocheckpoint=0`, and this thread
runs a PASSIVE checkpoint on its own connection at a short interval. PASSIVE never waits for readers or writers, so
commits go on appending to the log while it copies; the log is rewound from the start by the next writer once a
checkpoint has caught up. Durability is unchanged: a commit is durable once its log frames are fsynced
(synchronous=FULL), whoever checkpoints later.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine

log = logging.getLogger(__name__)

# Half a second: at the measured ~1,800 replies/s the log grows by a few MB between checkpoints at most, and an idle
# service costs one cheap no-op statement per tick.
DEFAULT_INTERVAL_SECONDS = 0.5


@dataclass
class Checkpointer:
    """Runs `PRAGMA wal_checkpoint(PASSIVE)` on `engine` every `interval` seconds until stopped."""

    engine: Engine
    interval: float = DEFAULT_INTERVAL_SECONDS
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="replyguard-sqlite-checkpoint", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread and run one last checkpoint, so a stopped service leaves a short log behind."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.checkpoint()

    def checkpoint(self) -> tuple[int, int, int] | None:
        """One PASSIVE checkpoint: (busy, log frames, frames checkpointed), or None when it could not run."""
        try:
            # The raw driver connection runs in autocommit (see database._configure_sqlite): a checkpoint inside an
            # open transaction would be refused.
            conn = self.engine.raw_connection()
            try:
                cursor = conn.cursor()
                busy, frames, done = cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                cursor.close()
                return (int(busy), int(frames), int(done))
            finally:
                conn.close()
        except Exception:  # a locked or vanished file: the next tick tries again, and SQLite stays consistent
            log.warning("WAL checkpoint failed; retrying at the next interval", exc_info=True)
            return None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.checkpoint()
