"""Article relevance in the service: the embedder loaded once, the cascade that decides which replies need it, and
the article contexts it reads. The numbers themselves live in classifier/relevance_shift.py.

Relevance is optional: without the extra, with REPLYGUARD_RELEVANCE=off, or with a model whose card has no relevance
parameters, replies are scored by the model alone, and `status` says why for /ready.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Final

from classifier import Scorer, Scores, Thresholds
from classifier.errors import ModelLoadError, RelevanceUnavailable
from classifier.relevance import Embedder, load_embedder
from classifier.relevance_shift import (
    Article,
    RelevanceScorer,
    RelevanceScores,
    in_uncertain_band,
    relevance_parameters,
)
from service.storage import articles as article_store
from service.storage import comments as comment_store
from service.storage.database import Database

log = logging.getLogger(__name__)

# The cascade's lower bound lives with the model (classifier.relevance_shift.UNCERTAIN_FLOOR): `replyguard evaluate`
# measures what it costs and changes.
# How long an article's title, excerpt and URL are reused in this process without reading them again. A PUT in this
# process forgets them at once; an import or another replica's PUT shows within this time.
ARTICLE_SECONDS: Final = 60.0
ARTICLE_ENTRIES: Final = 4096


class Relevance:
    """The embedder (None when relevance is off, with `problem` saying why) and per-model relevance scorers.

    A plain class, not a dataclass: Litestar inspects a dataclass dependency's field types, and rejects some.
    """

    def __init__(self, embedder: Embedder | None, problem: str | None = None) -> None:
        self.embedder = embedder
        self.problem = problem
        self._scorers: dict[str, RelevanceScorer | str] = {}
        self._articles: dict[str, tuple[float, Article | None]] = {}
        # One thread: embedding runs beside the event loop, never on it, and never two at once on the service's cores.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="relevance")

    @classmethod
    async def start(cls, mode: str) -> Relevance:
        """Load the embedding model in a thread (about 3 s, once per process), unless the setting is off."""
        if mode == "off":
            return cls(embedder=None, problem="setting off (REPLYGUARD_RELEVANCE=off)")
        try:
            return cls(embedder=await asyncio.to_thread(load_embedder))
        except RelevanceUnavailable as exc:
            return cls(embedder=None, problem=f"the relevance extra is not installed ({exc})")
        except Exception as exc:  # a broken install must not stop the service: it scores without relevance
            log.exception("the embedding model failed to load; scoring without relevance")
            return cls(embedder=None, problem=f"the embedding model failed to load ({type(exc).__name__})")

    @property
    def enabled(self) -> bool:
        return self.embedder is not None

    def scorer_for(self, scorer: Scorer | None) -> RelevanceScorer | str:
        """The relevance scorer for this model, or why there is none (worked out once per model version)."""
        if self.embedder is None:
            return self.problem or "off"
        if scorer is None:
            return "no model is loaded"
        known = self._scorers.get(scorer.version)
        if known is None:
            parameters = relevance_parameters(scorer.card)
            try:
                known = (
                    parameters if isinstance(parameters, str) else RelevanceScorer(scorer, self.embedder, parameters)
                )
            except ModelLoadError as exc:
                known = str(exc)
            self._scorers = {scorer.version: known}  # models are promoted, not mixed: keep the current one only
        return known

    def status(self, scorer: Scorer | None) -> str:
        """ "on", or "off: <why>" for /ready's details."""
        found = self.scorer_for(scorer)
        return "on" if isinstance(found, RelevanceScorer) else f"off: {found}"

    def forget(self, article_id: str) -> None:
        """The article's title, excerpt or URL changed in this process: read them again next time."""
        self._articles.pop(article_id, None)

    async def adjust(
        self,
        db: Database,
        scorer: Scorer | None,
        scores: Scores | None,
        thresholds: Thresholds | None,
        *,
        article_id: str,
        body: str,
        parent_id: uuid.UUID | None,
    ) -> tuple[Scores, RelevanceScores] | None:
        """The scores with the spam score adjusted by relevance, and the figures behind it; None when relevance was
        not asked: off, no scores, a reply outside the uncertain band, an article without a title."""
        if scores is None or thresholds is None or not in_uncertain_band(scores.spam_score, thresholds):
            return None
        relevance = self.scorer_for(scorer)
        if isinstance(relevance, str) or relevance.version != scores.model_version:
            return None
        article = await self._article(db, article_id)
        if article is None:
            return None
        parent: str | None = None
        if parent_id is not None:
            parent = await db.run_read(lambda conn: comment_store.parent_body(conn, parent_id, article_id=article_id))
        loop = asyncio.get_running_loop()
        work = partial(relevance.adjust, scores, body, article, parent_body=parent or "")
        try:
            return await loop.run_in_executor(self._executor, work)
        except Exception:
            log.exception("relevance failed; the reply keeps the model's score")
            return None

    async def _article(self, db: Database, article_id: str) -> Article | None:
        now = time.monotonic()
        cached = self._articles.get(article_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        context = await db.run_read(lambda conn: article_store.article_context(conn, article_id))
        article = None
        if context is not None and context.title:
            article = Article.at(context.title, excerpt=context.excerpt, url=context.url)
        if len(self._articles) >= ARTICLE_ENTRIES:
            self._articles.clear()  # a crude bound: the next minute re-reads what is still being replied to
        self._articles[article_id] = (now + ARTICLE_SECONDS, article)
        return article

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
