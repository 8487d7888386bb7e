"""The moderator console's pages: sign-in, the review queue, one item, decisions (one, bulk, undo), the model.

Every page is rendered on the server by an auto-escaping template under a strict Content-Security-Policy (scripts
and styles only from this service, no inline code). State changes are form posts carrying the session's CSRF token;
the session cookie is HttpOnly and SameSite=Strict (and `__Host-` over HTTPS: service/web/console/sign_in.py, which
also makes the sign-in form's token). Forms are read by service/web/payloads.py like every body. Status banners are
fixed, signed codes (service/web/console/notices.py). The same use cases serve the bearer-token API, so the console
and programs get the same rules (a moved-on item is a conflict, never a second decision).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from jinja2 import Environment
from litestar import MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template

from classifier.language import SERVICE_LANGUAGES
from service.domain import moderation
from service.domain.auth import moderator_for_token
from service.domain.model_history import model_history
from service.domain.views import ItemDetail, QueueItem
from service.errors import Conflict, InvalidInput, NotFound, Unauthorized
from service.ids import parse_id
from service.rules.validation import check_article_id
from service.scoring.state import ScoringState
from service.settings import Settings
from service.storage import comments as comment_store
from service.storage.database import Database
from service.storage.model_versions import active_model
from service.web.callers import count_failed_authentication
from service.web.console.highlight import highlight
from service.web.console.notices import Notice
from service.web.console.plots import SIZE, head_plots
from service.web.console.queue_cards import QueueCards
from service.web.console.sessions import ConsoleSession, close_session, find_session, open_session
from service.web.console.sign_in import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    SIGN_IN_SECONDS,
    accepts_sign_in_token,
    console_cookie,
    console_secret,
    from_this_origin,
    is_sign_in_token,
    new_sign_in_token,
    read_cookie,
)
from service.web.encoded_response import EncodedResponse
from service.web.payloads import read_form
from service.web.routes.moderation import parse_decision
from service.web.runtime import runtime_of

CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
STATUSES = ("pending", "rejected", "published")
PAGE_SIZE = 25
CARDS = QueueCards()  # the queue page's items as HTML, kept per content (one per process; queue_cards.py says why)
# A page's notice: a fixed code with its reply or counts, and the signature of the session that earned it.
NoticeCode = Annotated[str | None, QueryParameter(max_length=300)]  # any text: an unknown one shows nothing
NoticeItem = Annotated[uuid.UUID | None, QueryParameter()]
NoticeCount = Annotated[int, QueryParameter(ge=0, le=100_000)]
NoticeSignature = Annotated[str | None, QueryParameter(max_length=64)]


CONSOLE_HEADERS = {"Content-Security-Policy": CONSOLE_CSP, "Cache-Control": "no-store"}


def _page(name: str, context: dict[str, Any], status_code: int = 200, *, cookies: list[Any] | None = None) -> Template:
    return Template(
        template_name=f"console/{name}.html",
        context=context,
        status_code=status_code,
        headers=CONSOLE_HEADERS,
        cookies=cookies or [],
    )


def _jinja(request: Request[Any, Any, Any]) -> Environment:
    engine = request.app.template_engine
    if not isinstance(engine, JinjaTemplateEngine):
        raise TypeError("the console's pages are Jinja templates (service/app.py)")
    return engine.engine


def _to(path: str, **query: str | None) -> Redirect:
    kept = {key: value for key, value in query.items() if value}
    return Redirect(f"{path}?{urlencode(kept)}" if kept else path, status_code=303)


async def _session(request: Request[Any, Any, Any], db: Database) -> ConsoleSession | None:
    """The session behind the request's cookie; one found moments ago is not looked up again (signing out, a
    revocation in this worker and any other write here end that at once: service/web/moderator_reads.py)."""
    cookie = read_cookie(request, SESSION_COOKIE)
    runtime = runtime_of(request)
    return await runtime.moderator_reads.session(cookie, lambda: db.run_read(lambda conn: find_session(conn, cookie)))


async def _sign_in_page(
    request: Request[Any, Any, Any], db: Database, error: str | None = None, status_code: int = 200
) -> Template:
    """The sign-in form with the token of its cookie, or a new one (and its cookie) if that is not a live token of
    this server's."""
    secret = await console_secret(request, db)
    token = read_cookie(request, SIGN_IN_COOKIE)
    if is_sign_in_token(secret, token):
        return _page("sign_in", {"csrf_token": token, "error": error}, status_code)
    token = new_sign_in_token(secret)
    cookie = console_cookie(request, SIGN_IN_COOKIE, token, max_age=SIGN_IN_SECONDS)
    return _page("sign_in", {"csrf_token": token, "error": error}, status_code, cookies=[cookie])


@get("/console/sign-in", include_in_schema=False)
async def sign_in_form(request: Request[Any, Any, Any], db: NamedDependency[Database]) -> Template:
    return await _sign_in_page(request, db)


@post("/console/sign-in", include_in_schema=False, status_code=303)
async def sign_in(
    request: Request[Any, Any, Any], db: NamedDependency[Database], settings: NamedDependency[Settings]
) -> Template | Redirect:
    if not from_this_origin(request):
        return await _sign_in_page(request, db, "This sign-in did not come from this console's own page.", 403)
    form = await read_form(request)
    sent = (form.get("csrf_token") or [""])[0]
    if not accepts_sign_in_token(await console_secret(request, db), read_cookie(request, SIGN_IN_COOKIE), sent):
        return await _sign_in_page(request, db, "The form expired; please sign in again.", 403)
    token = (form.get("token") or [""])[0].strip()
    try:
        moderator = await db.run_read(lambda conn: moderator_for_token(conn, token))
    except Unauthorized:
        runtime = runtime_of(request)
        await count_failed_authentication(request, runtime)  # 429 for a guesser, as on the API
        return await _sign_in_page(request, db, "That token is not valid.", 401)
    lifetime = timedelta(hours=settings.console_session_hours)
    async with db.write() as conn:
        session_id, _ = await open_session(conn, moderator, lifetime=lifetime)
    cookies = [
        console_cookie(request, SESSION_COOKIE, session_id, max_age=int(lifetime.total_seconds())),
        console_cookie(request, SIGN_IN_COOKIE, "", max_age=0),
    ]
    return Redirect("/console", status_code=303, cookies=cookies)


async def _state_change(
    request: Request[Any, Any, Any], db: Database
) -> tuple[ConsoleSession, dict[str, Any]] | Template | Redirect:
    """The session and form of a state change; or, instead, the answer when there is no session (sign in) or the
    form lacks the session's CSRF token (403, nothing changes)."""
    session = await _session(request, db)
    if session is None:
        return _to("/console/sign-in")
    form = await read_form(request)
    fields: dict[str, Any] = {key: values if key == "ids" else values[0] for key, values in form.items()}
    sent = fields.get("csrf_token")
    if not session.accepts(sent if isinstance(sent, str) else None):
        message = "This form is not from your console session. Reload the page and retry."
        return _page("refused", {"message": message}, 403)
    return session, fields


def _invalid(exc: InvalidInput, item_id: uuid.UUID | None = None) -> Template:
    return _page(
        "refused", {"message": "; ".join(f"{e.field} {e.message}" for e in exc.errors), "item_id": item_id}, 422
    )


@post("/console/sign-out", include_in_schema=False, status_code=303)
async def sign_out(request: Request[Any, Any, Any], db: NamedDependency[Database]) -> Template | Redirect:
    checked = await _state_change(request, db)
    if not isinstance(checked, tuple):
        return checked
    async with db.write() as conn:
        await close_session(conn, read_cookie(request, SESSION_COOKIE))
    return Redirect(
        "/console/sign-in", status_code=303, cookies=[console_cookie(request, SESSION_COOKIE, "", max_age=0)]
    )


@get("/console", include_in_schema=False)
async def queue_page(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    status: Annotated[str, QueryParameter(max_length=16)] = "pending",
    article_id: Annotated[str | None, QueryParameter(max_length=128)] = None,
    cursor: Annotated[str | None, QueryParameter(max_length=200)] = None,
    order: Annotated[str, QueryParameter(max_length=16)] = "oldest",
    offset: Annotated[int, QueryParameter(ge=0, le=100_000)] = 0,
    language: Annotated[str | None, QueryParameter(max_length=8)] = None,
    notice: NoticeCode = None,
    item: NoticeItem = None,
    done: NoticeCount = 0,
    left: NoticeCount = 0,
    sig: NoticeSignature = None,
) -> Template | Redirect | Response[str]:
    session = await _session(request, db)
    if session is None:
        return _to("/console/sign-in")
    banner = await _banner(db, session, Notice(notice or "", item, done, left), sig)
    status = status if status in STATUSES else "pending"
    article = article_id or None
    if article is not None:
        check_article_id(article)
    # A code as detection gives them (ISO 639-1); anything else filters nothing, like an empty field.
    spoken = language if language is not None and re.fullmatch("[a-z]{2}", language) else None
    order = order if order == "riskiest" else "oldest"

    async def folder() -> tuple[list[QueueItem], str | None, int | None, dict[str, str]]:
        if order == "riskiest":
            items, next_offset = await moderation.riskiest_first(
                db, status=status, article_id=article, offset=offset, limit=PAGE_SIZE, language=spoken
            )
            next_cursor = None
        else:
            page = await moderation.queue(
                db, status=status, article_id=article, cursor=cursor or None, limit=PAGE_SIZE, language=spoken
            )
            items, next_cursor, next_offset = page.items, page.next_cursor, None
        counts = await moderation.folder_counts(db, article_id=article, language=spoken)
        return items, next_cursor, next_offset, counts

    # What the folder holds is the same for every moderator: kept for a moment (service/web/moderator_reads.py).
    reads = runtime_of(request).moderator_reads
    key = (status, article, cursor or None, order, offset if order == "riskiest" else 0, spoken)

    async def context() -> dict[str, Any]:
        items, next_cursor, next_offset, counts = await reads.console_queues.read(key, folder)
        return {
            "session": session,
            "status": status,
            "article_id": article or "",
            "language": spoken or "",
            "languages": SERVICE_LANGUAGES,
            # The filters every folder and page link keeps (urlencoded; the template escapes the ampersands).
            "filters": urlencode({k: v for k, v in (("article_id", article), ("language", spoken)) if v}),
            "items": [
                CARDS.render(_jinja(request), item, _card, order=order, csrf_token=session.csrf_token) for item in items
            ],
            "next_cursor": next_cursor,
            "next_offset": next_offset,
            "order": order,
            "counts": counts,
            "statuses": STATUSES,
            "notice": banner,
        }

    if banner is not None:  # a one-off page: the notice of this session's own redirect
        return _page("queue", await context())

    async def rendered() -> str:
        return _jinja(request).get_template("console/queue.html").render(await context())

    # The whole page, kept per session (it carries the session's CSRF token) with the same freshness as the folder.
    html = await reads.console_pages.read((session, key), rendered)
    return EncodedResponse(html, media_type=MediaType.HTML, headers=CONSOLE_HEADERS)


async def _banner(db: Database, session: ConsoleSession, notice: Notice, sig: str | None) -> str | None:
    """The notice's text if this session's own redirect carried it (see notices.py), else nothing."""
    if not notice.signed_for(session.csrf_token, sig):
        return None
    name = None
    if notice.item is not None:
        row = await db.run_read(lambda conn: comment_store.get_comment(conn, notice.item))  # type: ignore[arg-type]
        name = row.name if row is not None else None
    return notice.text(name)


def _card(item: QueueItem) -> dict[str, Any]:
    """What the queue and the item page show of a comment: its fields, scores, and why it was held."""
    terms = [reason.term for reason in item.reasons if reason.term]
    return {
        "item": item,
        "segments": highlight(item.body, terms),
        "rules": [reason for reason in item.reasons if reason.term is None],
        "features": [reason for reason in item.reasons if reason.term is not None],
        "suggested_reason": _suggested_reason(item),
    }


def _suggested_reason(item: QueueItem) -> str:
    """The reject reason the `r` key uses: the head that scored higher, or "other"."""
    spam, abuse = item.spam_score or 0.0, item.abuse_score or 0.0
    if max(spam, abuse) < 0.5:
        return "other"
    return "spam" if spam >= abuse else "abuse"


@get("/console/items/{comment_id:uuid}", include_in_schema=False)
async def item_page(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    comment_id: Annotated[uuid.UUID, PathParameter()],
    notice: NoticeCode = None,
    item: NoticeItem = None,
    sig: NoticeSignature = None,
) -> Template | Redirect:
    session = await _session(request, db)
    if session is None:
        return _to("/console/sign-in")
    detail: ItemDetail = await moderation.item_detail(db, comment_id)
    banner = await _banner(db, session, Notice(notice or "", item), sig)
    parent = None
    if detail.parent_id is not None:
        parent = await db.run_read(lambda conn: comment_store.get_comment(conn, detail.parent_id))  # type: ignore[arg-type]
    context = {
        "session": session,
        "card": _card(detail),
        "detail": detail,
        "parent": parent,
        "notice": banner,
        "reject_reasons": moderation.REJECT_REASONS,
    }
    return _page("item", context)


@post("/console/items/{comment_id:uuid}/decision", include_in_schema=False, status_code=303)
async def decide(
    request: Request[Any, Any, Any], db: NamedDependency[Database], comment_id: Annotated[uuid.UUID, PathParameter()]
) -> Template | Redirect:
    checked = await _state_change(request, db)
    if not isinstance(checked, tuple):
        return checked
    session, form = checked
    back = str(form.get("back") or "queue")
    payload = {key: form.get(key) or None for key in ("action", "reason", "note", "expected_status")}
    try:
        decision = parse_decision(payload)
        detail = await moderation.decide_comment(
            db, comment_id, decision, moderator=session.moderator, mail=runtime_of(request).replies.options.mail
        )
    except Conflict as exc:
        return _page("refused", {"message": f"Another moderator got there first: {exc.detail}.",
                                 "item_id": comment_id}, 409)  # fmt: skip
    except InvalidInput as exc:
        return _invalid(exc, comment_id)
    notice = Notice("approved" if detail.status == "published" else "rejected", item=comment_id).query(
        session.csrf_token
    )
    if back == "item":
        return _to(f"/console/items/{comment_id}", **notice)
    return _to("/console", status=str(form.get("from_status") or "pending"),
               order=str(form.get("order") or "") or None, **notice)  # fmt: skip


@post("/console/bulk", include_in_schema=False, status_code=303)
async def bulk(request: Request[Any, Any, Any], db: NamedDependency[Database]) -> Template | Redirect:
    """One decision on every selected item; items another moderator moved meanwhile are left alone and counted."""
    checked = await _state_change(request, db)
    if not isinstance(checked, tuple):
        return checked
    session, form = checked
    status = str(form.get("from_status") or "pending")
    payload = {"action": form.get("action"), "reason": form.get("reason") or None, "expected_status": status}
    try:
        decision = parse_decision(payload)
    except InvalidInput as exc:
        return _invalid(exc)
    done = conflicts = 0
    for raw in form.get("ids") or []:
        comment_id = parse_id(str(raw))
        if comment_id is None:
            continue
        try:
            await moderation.decide_comment(
                db,
                comment_id,
                decision,
                moderator=session.moderator,
                mail=runtime_of(request).replies.options.mail,
            )
            done += 1
        except (Conflict, NotFound):
            conflicts += 1
    code = "approved_many" if decision.action == "approve" else "rejected_many"
    return _to("/console", status=status, **Notice(code, done=done, left=conflicts).query(session.csrf_token))


@post("/console/undo", include_in_schema=False, status_code=303)
async def undo(request: Request[Any, Any, Any], db: NamedDependency[Database]) -> Template | Redirect:
    checked = await _state_change(request, db)
    if not isinstance(checked, tuple):
        return checked
    session = checked[0]
    try:
        undone = await moderation.undo_last(
            db, moderator=session.moderator, mail=runtime_of(request).replies.options.mail
        )
    except Conflict as exc:
        return _page("refused", {"message": f"Cannot undo: {exc.detail} (someone decided it since)."}, 409)
    if undone is None:
        return _to("/console", **Notice("nothing_to_undo").query(session.csrf_token))
    return _to(f"/console/items/{undone}", **Notice("undone").query(session.csrf_token))


@get("/console/model", include_in_schema=False)
async def model_page(
    request: Request[Any, Any, Any],
    db: NamedDependency[Database],
    scoring: NamedDependency[ScoringState],
    notice: NoticeCode = None,
    sig: NoticeSignature = None,
) -> Template | Redirect:
    session = await _session(request, db)
    if session is None:
        return _to("/console/sign-in")
    since = datetime.now(UTC) - timedelta(days=7)
    outcomes = await db.run_read(lambda conn: comment_store.automatic_outcomes(conn, since=since))
    total = sum(outcomes.values())
    shares = {
        status: (outcomes.get(status, 0), outcomes.get(status, 0) / total if total else 0.0) for status in STATUSES
    }
    row = await db.run_read(active_model)
    card = dict(row.card) if row is not None else None
    plots = [
        plot
        for head in ("spam", "abuse")
        for plot in head_plots(head, (card or {}).get("metrics", {}).get(head, {}).get("held_out_curves", {}))
    ]
    context = {
        "session": session,
        "scoring": scoring,
        "card": card,
        "shares": shares,
        "total": total,
        "plots": plots,
        "size": SIZE,
        # The versions, the site's learning curve and who changed the active model (promote and roll back: admins).
        "history": await model_history(db),
        "notice": await _banner(db, session, Notice(notice or ""), sig),
    }
    return _page("model", context)


ROUTES = [sign_in_form, sign_in, sign_out, queue_page, item_page, decide, bulk, undo, model_page]
