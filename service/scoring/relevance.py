"""Article relevance and the abuse head's second opinion in the service: the embedder loaded once, the cascades that
decide which replies need them, and the article contexts relevance reads. The numbers themselves live in
classifier/relevance_shift.py and classifier/abuse_opinion.py.

Both are optional: without the extra, with REPLYGUARD_RELEVANCE=off, or with a model whose card has no parameters
for them, replies are scored by the model alone, and `status` / `opinion_status` say why for /ready.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Final, TypeVar

from classifier import ModelCard, Scorer, Scores, Thresholds
from classifier.abuse_opinion import OpinionScorer, OpinionScores, SiteReference, asks_opinion, opinion_parameters
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

Parameters = TypeVar("Parameters")  # what a card holds for a second opinion (relevance's shift, the abuse opinion)
Built = TypeVar("Built")  # the scorer built from it with the embedder

# The cascade's lower bound lives with the model (classifier.relevance_shift.UNCERTAIN_FLOOR): `replyguard evaluate`
# measures what it costs and changes.
# How long an article's title, excerpt and URL are reused in this process without reading them again. A PUT in this
# process forgets them at once; an import or another replica's PUT shows within this time.
ARTICLE_SECONDS: Final = 60.0
ARTICLE_ENTRIES: Final = 4096
# The abuse opinion asks most English replies (docs/model.md: 70-90% of news replies) at 5-15 ms each on one thread,
# about 100-200 a second: beyond that a queue would grow without bound and every reply would wait on it. With this
# many opinions already waiting, a reply is scored by the model alone (counted, and logged at most once a minute).
# 8 let the paced submit's p99 reach 196 ms under load, 4 118 ms (docs/model.md).
MAX_WAITING_OPINIONS: Final = 4
BUSY_LOG_SECONDS: Final = 60.0


class Relevance:
    """The embedder (None when relevance is off, with `problem` saying why) and per-model relevance scorers.

    A plain class, not a dataclass: Litestar inspects a dataclass dependency's field types, and rejects some.
    """

    def __init__(self, embedder: Embedder | None, problem: str | None = None) -> None:
        self.embedder = embedder
        self.problem = problem
        self._scorers: dict[str, RelevanceScorer | str] = {}
        self._opinions: dict[str, OpinionScorer | str] = {}
        # This process's reading of the site's ordinary replies, per model version (a new opinion starts again).
        self._site_references: dict[str, SiteReference] = {}
        self._waiting_opinions = 0
        self.opinions_skipped_busy = 0  # replies scored without the opinion because too many were waiting
        self._busy_logged_at = -BUSY_LOG_SECONDS
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
        return self._per_model(self._scorers, scorer, relevance_parameters, RelevanceScorer)

    def opinion_for(self, scorer: Scorer | None) -> OpinionScorer | str:
        """The abuse opinion for this model, or why there is none (worked out once per model version)."""
        return self._per_model(self._opinions, scorer, opinion_parameters, OpinionScorer)

    def _per_model(
        self,
        known: dict[str, Built | str],
        scorer: Scorer | None,
        parameters_of: Callable[[ModelCard], Parameters | str],
        build: Callable[[Scorer, Embedder, Parameters], Built],
    ) -> Built | str:
        if self.embedder is None:
            return self.problem or "off"
        if scorer is None:
            return "no model is loaded"
        found = known.get(scorer.version)
        if found is None:
            parameters = parameters_of(scorer.card)
            try:
                found = parameters if isinstance(parameters, str) else build(scorer, self.embedder, parameters)
            except ModelLoadError as exc:
                found = str(exc)
            # Models are promoted, not mixed: keep the current one only.
            known.clear()
            known[scorer.version] = found
        return found

    def opinion_status(self, scorer: Scorer | None) -> str:
        """ "on", or "off: <why>" for /ready's details."""
        found = self.opinion_for(scorer)
        return "on" if isinstance(found, OpinionScorer) else f"off: {found}"

    async def second_opinion(
        self, scorer: Scorer | None, scores: Scores | None, thresholds: Thresholds | None, *, body: str,
        language: str | None,
    ) -> tuple[Scores, OpinionScores] | None:  # fmt: skip
        """The scores with the abuse score adjusted by the second opinion, and the figures behind it; None when it
        was not asked: off, no scores, a reply the cascade leaves alone (another language, outside the band)."""
        if scores is None or thresholds is None:
            return None
        opinion = self.opinion_for(scorer)
        if isinstance(opinion, str) or opinion.version != scores.model_version:
            return None
        if not asks_opinion(scores.abuse_score, thresholds, language, opinion.parameters.floor):
            return None
        if self._waiting_opinions >= MAX_WAITING_OPINIONS:
            self._skip_busy()
            return None
        site = self._site_references.get(opinion.version)
        if site is None:
            site = SiteReference(opinion.parameters.opinion_reference)
            self._site_references = {opinion.version: site}
        loop = asyncio.get_running_loop()
        self._waiting_opinions += 1
        try:
            # The site's reference is read and fed on the embedding thread alone, in the order replies are asked.
            work = partial(opinion.adjust, scores, body, thresholds, site=site)
            return await loop.run_in_executor(self._executor, work)
        except Exception:
            log.exception("the abuse opinion failed; the reply keeps the model's score")
            return None
        finally:
            self._waiting_opinions -= 1

    def _skip_busy(self) -> None:
        self.opinions_skipped_busy += 1
        now = time.monotonic()
        if now - self._busy_logged_at >= BUSY_LOG_SECONDS:
            self._busy_logged_at = now
            log.warning(
                "the abuse opinion is busy (%d waiting): replies are scored by the model alone; %d so far",
                MAX_WAITING_OPINIONS,
                self.opinions_skipped_busy,
            )

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
