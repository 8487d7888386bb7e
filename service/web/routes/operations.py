"""Probes for operators and orchestrators: liveness touches nothing, readiness checks the database and the model."""

from __future__ import annotations

import logging

import msgspec
from litestar import Response, get
from litestar.di import NamedDependency

from service.scoring.relevance import Relevance
from service.scoring.state import ScoringState
from service.storage.database import Database

log = logging.getLogger(__name__)


class Health(msgspec.Struct):
    status: str


class Readiness(msgspec.Struct):
    status: str  # "ready" | "not_ready"
    database: str  # "ok" or what went wrong
    model: str  # the active model version, or why there is none
    model_loaded: bool
    scoring_failures: int  # replies the model failed to score since start-up (they wait for a person)
    # "on", or "off: <why>": relevance is optional, so the service is ready either way (service/scoring/relevance.py).
    relevance: str
    # "on", or "off: <why>": the abuse head's second opinion, optional in the same way (classifier/abuse_opinion.py).
    abuse_opinion: str


@get("/health", summary="The process is alive", cache=False)
async def health() -> Health:
    return Health(status="ok")


@get("/ready", summary="Ready to take traffic: database answers and a model is loaded", cache=False)
async def ready(
    db: NamedDependency[Database], scoring: NamedDependency[ScoringState], relevance: NamedDependency[Relevance]
) -> Response[Readiness]:
    try:
        await db.ping()
        database = "ok"
    except Exception as exc:  # any failure means "not ready", and the reason is for the operator
        log.warning("readiness: database check failed: %s", type(exc).__name__)
        database = f"unavailable ({type(exc).__name__})"
    scoring_ready = scoring.probe()
    if scoring.scorer is None:
        model = f"missing: {scoring.problem or 'not loaded'}"
    elif scoring_ready:
        model = scoring.scorer.version
    else:
        model = "failing: " + "; ".join(why for why in (scoring.problem, scoring.process_problem) if why)
    is_ready = database == "ok" and scoring_ready
    body = Readiness(
        status="ready" if is_ready else "not_ready",
        database=database,
        model=model,
        model_loaded=scoring.scorer is not None,
        scoring_failures=scoring.failures,
        relevance=relevance.status(scoring.scorer),
        abuse_opinion=relevance.opinion_status(scoring.scorer),
    )
    return Response(body, status_code=200 if is_ready else 503)


ROUTES = [health, ready]
