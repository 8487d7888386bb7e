"""Routes of readers' reports: a reader reports a published reply (the embed's Report link); moderators list the
reported folder and decide (bearer token, like the other moderation routes)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from service.domain import reports
from service.domain.auth import Moderator
from service.domain.report_views import ReportAnswer, ReportDecision, ReportedFolder
from service.rules.report_input import validate_report
from service.rules.validation import check_article_id
from service.settings import Settings
from service.storage.database import Database
from service.web.callers import client_address
from service.web.openapi import ReportDecisionOperation, ReportOperation
from service.web.payloads import read_payload
from service.web.routes.public import ArticleId
from service.web.runtime import Runtime, runtime_of


def report_policy(settings: Settings) -> reports.ReportPolicy:
    return reports.ReportPolicy(threshold=settings.report_threshold,
                                illegal_threshold=settings.report_threshold_illegal)  # fmt: skip


@post(
    "/api/v1/articles/{article_id:str}/comments/{comment_id:uuid}/reports",
    status_code=201,
    operation_class=ReportOperation,
    summary="Report a published reply",
)
async def report(
    request: Request[Any, Any, Any],
    article_id: ArticleId,
    comment_id: Annotated[uuid.UUID, PathParameter()],
    runtime: NamedDependency[Runtime],
) -> Response[ReportAnswer]:
    """201 when the report is stored; 200 with the same answer when this reader reported the reply already. 404 for
    any reply readers do not see."""
    check_article_id(article_id)
    address = client_address(request)
    await runtime.limiter.check_report(address)
    payload, _ = await read_payload(request, allow_form=False)
    new = validate_report(payload, check_deliverability=runtime.settings.email_check_deliverability)
    stored = await reports.report_comment(
        runtime.db,
        article_id=article_id,
        comment_id=comment_id,
        report=new,
        client_address=address,
        policy=report_policy(runtime.settings),
    )
    return Response(ReportAnswer(comment_id=comment_id), status_code=201 if stored else 200)


@get("/api/v1/moderation/reports", summary="The reported folder: replies with enough open reports, and the reports")
async def reported_folder(
    db: NamedDependency[Database],
    settings: NamedDependency[Settings],
    moderator: NamedDependency[Moderator],
    limit: Annotated[int, QueryParameter(ge=1, le=100)] = 50,
) -> ReportedFolder:
    moderator.require("moderator")
    return await reports.reported_folder(db, policy=report_policy(settings), limit=limit)


@post(
    "/api/v1/moderation/comments/{comment_id:uuid}/reports/decision",
    status_code=200,
    operation_class=ReportDecisionOperation,
    summary="Keep, take down or dismiss a reported reply",
)
async def decide_reports(
    request: Request[Any, Any, Any],
    comment_id: Annotated[uuid.UUID, PathParameter()],
    db: NamedDependency[Database],
    moderator: NamedDependency[Moderator],
) -> ReportDecision:
    moderator.require("moderator")
    payload, _ = await read_payload(request, allow_form=False)
    action, confirm, note = reports.check_decision(payload.get("action"), payload.get("confirm"), payload.get("note"))
    mail = runtime_of(request).replies.options.mail  # set when email is configured
    return await reports.decide_reports(db, comment_id, action=action, confirm=confirm, note=note,
                                        moderator=moderator, mail=mail)  # fmt: skip


ROUTES = [report, reported_folder, decide_reports]
