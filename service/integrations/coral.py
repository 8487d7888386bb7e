"""Coral's external moderation phase, pure: the signature check, Coral's request JSON in, Coral's answer out.

Based on coralproject/talk, server/src/core/server/services/comments/pipeline/phases/external.ts (the request and
response types and the Joi schema Coral validates answers with), models/settings/signingSecret/helpers.ts
(generateSignatures) and services/fetch/fetch.ts (generateFetchOptions):

- Coral POSTs `JSON.stringify(request, null, 2)` with `Content-Type: application/json` and
  `X-Coral-Signature: sha256=<hex>[,sha256=<hex>...]`: the HMAC-SHA256 of those exact body bytes, keyed with each of
  the phase's active signing secrets (several while a rotated secret is still active). There is no timestamp in it,
  so no replay window can be enforced; a replayed request only gets the same answer again (nothing is stored).
- The answer: 204 with no body to let the comment through ("do not moderate"), or 200 with
  `{"status"?, "tags"?, "actions"?: [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC" | "..._SPAM"}]}`.
  Coral strips keys its schema does not know, so `additionalDetails` and `metadata` (where older Coral releases kept
  them) carry our scores and reasons for whoever reads the answer, and are ignored by current Coral.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any, Literal

import msgspec

from classifier import Scores, Submission, Thresholds
from service.errors import BadRequest, FieldError, InvalidInput
from service.rules.policy import Verdict, count_links, decide

SIGNATURE_HEADER = "X-Coral-Signature"
SCHEME = "sha256"
FLAG = "FLAG"
DETECTED = {"spam": "COMMENT_DETECTED_SPAM", "abuse": "COMMENT_DETECTED_TOXIC"}
# Our status -> Coral's COMMENT_STATUS. Held replies go where Coral's own spam and toxicity phases put theirs
# (SYSTEM_WITHHELD: the pending queue, with the flag saying why); "published" is no status at all (204).
STATUSES = {"rejected": "REJECTED", "pending": "SYSTEM_WITHHELD"}
# A rule that holds a reply for looking like spam rather than for its score.
_SPAM_RULES = frozenset({"too_many_links", "duplicate", "spam_run"})
_MAX_SIGNATURES = 8  # Coral sends one per active secret; more than a handful is not Coral
# Coral's request nests 3 levels (story.metadata, comment.revision); room to spare, far below a decoder's recursion.
MAX_DEPTH = 16
_MSGSPEC_PATH = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")


class Comment(msgspec.Struct, frozen=True):
    body: str
    parentID: str | None = None  # Coral's field name


class Author(msgspec.Struct, frozen=True):
    id: str | None = None
    role: str | None = None


class ExternalModerationRequest(msgspec.Struct, frozen=True):
    """What Coral sends. Only what replyguard reads is required; story, site, tenantID and tenantDomain (and the
    `tenant` object of the first releases) are accepted and ignored."""

    action: Literal["NEW", "EDIT"]
    comment: Comment
    author: Author | None = None


_decoder = msgspec.json.Decoder(ExternalModerationRequest)


def signatures(header: str | None) -> list[str]:
    """The hex digests of the `sha256=` elements of an X-Coral-Signature value (other schemes are skipped, as
    Coral's own verification example does)."""
    if not header:
        return []
    found = []
    for element in header.split(",")[:_MAX_SIGNATURES]:
        scheme, _, value = element.strip().partition("=")
        if scheme.strip() == SCHEME and value.strip():
            found.append(value.strip().lower())
    return found


def is_signed(body: bytes, header: str | None, secrets: Sequence[str]) -> bool:
    """Whether one of the header's signatures is the HMAC-SHA256 of `body` under one of `secrets`.

    Every pair is compared in constant time and none is skipped, so the time taken says nothing about which
    secret or which signature came close.
    """
    expected = [hmac.new(secret.encode(), body, hashlib.sha256).hexdigest() for secret in secrets]
    matched = False
    for given in signatures(header):
        for digest in expected:
            matched |= hmac.compare_digest(given.encode(), digest.encode())
    return matched


def sign(body: bytes, secrets: Sequence[str]) -> str:
    """The X-Coral-Signature value Coral sends for `body` (for tests, the benchmark and anyone trying the phase)."""
    return ",".join(f"{SCHEME}={hmac.new(s.encode(), body, hashlib.sha256).hexdigest()}" for s in secrets)


def parse_request(raw: bytes) -> ExternalModerationRequest:
    """Coral's request; BadRequest (400) for a body that is not UTF-8 JSON, InvalidInput (422) naming the field that
    is missing or of the wrong type. The caller bounds the nesting first (service/web/payloads.check_json_nesting)."""
    try:
        return _decoder.decode(raw)
    except msgspec.ValidationError as exc:
        message = str(exc)
        match = _MSGSPEC_PATH.search(message)
        path = match.group("path") if match else ""
        detail = message[: match.start()] if match else message
        if detail.startswith("Object missing required field `"):  # name the missing field, not its parent
            path = ".".join(p for p in (path, detail.split("`")[1]) if p)
        raise InvalidInput(
            "The request is not Coral's external moderation request", errors=[FieldError(path or "body", detail)]
        ) from exc
    except (msgspec.DecodeError, RecursionError, ValueError) as exc:  # ValueError: UnicodeDecodeError (not UTF-8)
        raise BadRequest("The body is not valid JSON") from exc


class _Text(HTMLParser):
    """The words of an HTML body, with each link's address where its text does not already show it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._href: str | None = None  # the address of the link being read
        self._link_start = 0

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"br", "p", "div", "li", "blockquote"}:
            self.parts.append("\n")
        if tag == "a":
            self._href, self._link_start = dict(attrs).get("href"), len(self.parts)

    def handle_endtag(self, tag: str) -> None:
        # A link's address is part of what a spammer posts, but Coral's linkify writes <a href="U">U</a>: count it
        # once, as the plain-text format would show it, so the links rule sees as many links as there are.
        if tag == "a" and self._href:
            if self._href not in "".join(self.parts[self._link_start :]):
                self.parts.append(f" ({self._href})")
            self._href = None


def comment_text(request: ExternalModerationRequest) -> str:
    """The text the model reads: as sent for Coral's PLAIN_TEXT format; the words and link addresses of HTML when
    the phase sends HTML (the model learnt from plain text, so markup would only be noise)."""
    body = request.comment.body
    if "<" not in body:
        return body
    parser = _Text()
    parser.feed(body)
    parser.close()
    return "".join(parser.parts)


def submission(request: ExternalModerationRequest, text: str) -> Submission:
    """What the model sees: the text alone. Coral sends no name, email or website, only opaque ids."""
    return Submission(body=text, has_parent=request.comment.parentID is not None)


def verdict(text: str, scores: Scores | None, thresholds: Thresholds | None, *, max_links: int) -> Verdict:
    """replyguard's own policy (service/rules/policy.py) on the reply: the model's thresholds and the links rule.
    Coral's stories have their own pre-moderation, so the article is taken as open. Without scores (no model) the reply
    is held, never published unscored, as on replyguard's own submit path."""
    return decide(
        scores, thresholds=thresholds, article_status="open", link_count=count_links(text), max_links=max_links
    )


def answer(verdict: Verdict, scores: Scores | None) -> dict[str, Any] | None:
    """Coral's ExternalModerationResponse for a verdict; None for a published reply, which Coral must be told
    nothing about (204) so its own default status applies."""
    status = STATUSES.get(verdict.status)
    if status is None:
        return None
    heads: dict[str, list[str]] = {}
    for reason in verdict.reasons:
        head = reason.head or ("spam" if reason.code in _SPAM_RULES else None)
        if head in DETECTED:
            heads.setdefault(head, []).append(reason.term or reason.message)
    actions = [
        {"actionType": FLAG, "reason": DETECTED[head], "additionalDetails": "replyguard: " + "; ".join(said)[:500]}
        for head, said in heads.items()
    ]
    details: dict[str, Any] = {"reasons": [msgspec.to_builtins(r) for r in verdict.reasons]}
    if scores is not None:
        details.update(
            spam_score=round(scores.spam_score, 4),
            abuse_score=round(scores.abuse_score, 4),
            model_version=scores.model_version,
        )
    body: dict[str, Any] = {"status": status, "metadata": {"replyguard": details}}
    if actions:
        body["actions"] = actions
    return body
