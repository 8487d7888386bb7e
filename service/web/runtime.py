"""The long-lived parts a request handler works with, built once at start-up."""

from __future__ import annotations

from dataclasses import dataclass

from service.abuse.rate_limits import SubmissionLimiter
from service.abuse.spam_runs import SpamRunDetector
from service.domain.comments import ReplyWriter
from service.scoring.relevance import Relevance
from service.scoring.state import ScoringState
from service.settings import Settings
from service.storage.database import Database
from service.storage.reader_cache import ReaderCache


@dataclass(frozen=True, slots=True)
class Runtime:
    """One dependency for the hot public routes. Litestar resolves several dependencies of one handler concurrently,
    in an anyio task group; for a page served from memory that costs more than the page (profiled: ~30% of a cached
    list request), so the reader and submit routes take this bundle instead."""

    settings: Settings
    db: Database
    scoring: ScoringState
    limiter: SubmissionLimiter
    reader_cache: ReaderCache
    replies: ReplyWriter
    spam_runs: SpamRunDetector
    relevance: Relevance
