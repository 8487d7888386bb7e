"""Coral's external moderation phase: a signed ExternalModerationRequest in, replyguard's verdict in Coral's words out.

Refusals, in the order they are checked (never a 500, and the body is not parsed before its signature is checked):
404 when no signing secret is configured, 401 without X-Coral-Signature, 403 when it matches no configured secret
(both count as failed authentications: 429 past the allowance), 415 for a body that is not JSON by its media type,
400 for unreadable JSON, 422 naming the missing or mistyped field.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency

from service.errors import Forbidden, NotFound, Unauthorized, UnsupportedMediaType
from service.integrations import coral
from service.integrations.model_scores import score_submission
from service.web.callers import count_failed_authentication
from service.web.openapi import CoralOperation
from service.web.payloads import JSON, check_json_nesting, header, is_json, media_type, read_body
from service.web.runtime import Runtime

NOT_CONFIGURED = "Coral's external moderation phase is not configured here (REPLYGUARD_CORAL_SIGNING_SECRETS)"


@post(
    "/coral/external-moderation",
    operation_class=CoralOperation,
    status_code=200,
    summary="Coral: external moderation phase",
    description="Coral's signed ExternalModerationRequest; 200 with status and flags to hold or reject, 204 to "
    "publish. Nothing is stored.",
)
async def external_moderation(
    request: Request[Any, Any, Any], runtime: NamedDependency[Runtime]
) -> Response[dict[str, Any] | None]:
    secrets = runtime.settings.coral_signing_secrets
    if not secrets:
        raise NotFound(NOT_CONFIGURED)
    raw = await read_body(request)
    signature = header(request, b"x-coral-signature")
    if not coral.is_signed(raw, signature, secrets):
        await count_failed_authentication(request, runtime)
        if not signature:
            raise Unauthorized(f"Missing {coral.SIGNATURE_HEADER} header")
        raise Forbidden(f"{coral.SIGNATURE_HEADER} matches none of the configured signing secrets")
    if not is_json(media_type(request)):
        raise UnsupportedMediaType(f"Send {JSON}")
    check_json_nesting(raw, max_depth=coral.MAX_DEPTH)
    parsed = coral.parse_request(raw)
    text = coral.comment_text(parsed)
    if not text.strip():
        # A reply that is only an image or a GIF: nothing to read, so no opinion (Coral's own toxicity phase agrees).
        return Response(None, status_code=204)
    scores, thresholds = await score_submission(runtime.scoring, coral.submission(parsed, text))
    verdict = coral.verdict(text, scores, thresholds, max_links=runtime.settings.max_links)
    body = coral.answer(verdict, scores)
    if body is None:
        return Response(None, status_code=204)
    return Response(body)


ROUTES = [external_moderation]
