"""OpenAPI descriptions the handlers cannot infer: bodies read by hand (submit form, Akismet, Perspective, Coral).

Every limit stated here is the constant (or, for the body, the setting) the validation applies, never a copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from litestar.enums import ParamType
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Reference,
    RequestBody,
    Schema,
)

from service.domain.events import WEBHOOK_EVENTS
from service.domain.moderation import ACTIONS, NOTE_MAX, REJECT_REASONS
from service.domain.reports import ACTIONS as REPORT_ACTIONS
from service.domain.webhooks import DESCRIPTION_MAX as WEBHOOK_DESCRIPTION_MAX
from service.domain.webhooks import URL_MAX as WEBHOOK_URL_MAX
from service.rules.report_input import CONTACT_MAX, EXPLANATION_MAX
from service.rules.report_input import REASONS as REPORT_REASONS
from service.rules.site_rules import LINK_ACTIONS, MODES, SANCTIONS
from service.rules.site_rules import NOTE_MAX as RULE_NOTE_MAX
from service.rules.site_rules import VALUE_MAX as RULE_VALUE_MAX
from service.rules.validation import ARTICLE_TITLE_MAX, ARTICLE_URL_MAX, NAME_MAX, WEBSITE_MAX
from service.storage.tables import ARTICLE_STATUSES, EXCERPT_MAX, STATUSES

_string = OpenAPIType.STRING


def _submission_schema(body_max_chars: int) -> Schema:
    """A reply as JSON, each limit the one validate_submission applies (the body's is REPLYGUARD_BODY_MAX_CHARS)."""
    return Schema(
        type=OpenAPIType.OBJECT,
        required=["name", "email", "body"],
        properties={
            "name": Schema(type=_string, min_length=1, max_length=NAME_MAX, description="Shown with the reply."),
            "email": Schema(
                type=_string, format=OpenAPIFormat.EMAIL, description="Private: never published, never logged."
            ),
            "body": Schema(
                type=_string, min_length=1, max_length=body_max_chars, description="Stored as submitted, shown escaped."
            ),
            "parent_id": Schema(
                type=[_string, OpenAPIType.NULL],
                format=OpenAPIFormat.UUID,
                description=(
                    "A published comment. At the thread's last level (REPLYGUARD_MAX_THREAD_DEPTH) the reply attaches "
                    "to that comment's parent: the answer's parent_id says where it went."
                ),
            ),
            "website": Schema(type=[_string, OpenAPIType.NULL], max_length=WEBSITE_MAX, description="An http(s) URL."),
            "notify": Schema(
                type=[OpenAPIType.BOOLEAN, OpenAPIType.NULL],
                description="Notify me of replies to my comment: the first time, one confirmation mail is sent; "
                "nothing else until the address is confirmed (docs/notifications.md).",
            ),
            "article_title": Schema(
                type=[_string, OpenAPIType.NULL],
                max_length=ARTICLE_TITLE_MAX,
                description="The page's title of the article; kept only if nobody has set one (first writer wins).",
            ),
            "article_url": Schema(
                type=[_string, OpenAPIType.NULL],
                max_length=ARTICLE_URL_MAX,
                description="The article's http(s) URL; kept only if nobody has set one (first writer wins).",
            ),
        },
    )


def _form_schema(submission: Schema) -> Schema:
    """The same reply as a plain HTML form sends it: empty fields instead of nulls, and where to go back to."""
    return Schema(
        type=OpenAPIType.OBJECT,
        required=["name", "email", "body"],
        properties={
            **(submission.properties or {}),
            "parent_id": Schema(type=_string, description="A published comment's id, or empty."),
            "website": Schema(type=_string, description="An http(s) URL, or empty."),
            "notify": Schema(type=_string, enum=["on", "true", "false", ""], description="A ticked checkbox sends on."),
            "return_to": Schema(type=_string, description="The article page to go back to (an allowed origin)."),
            "article_title": Schema(type=_string, description="The article's title, or empty (first writer wins)."),
            "article_url": Schema(type=_string, description="The article's http(s) URL, or empty (first writer wins)."),
        },
    )


IDEMPOTENCY_KEY_MAX = 255
IDEMPOTENCY_KEY = Parameter(
    name="Idempotency-Key",
    param_in=ParamType.HEADER,
    required=False,
    schema=Schema(one_of=[Schema(type=_string), Schema(type=OpenAPIType.NULL)], max_length=IDEMPOTENCY_KEY_MAX),
)

# A site's own server submitting for its readers (the WordPress plugin): read by the submit route itself.
SITE_API_KEY = Parameter(
    name="Authorization",
    param_in=ParamType.HEADER,
    required=False,
    description="Bearer rgk_... (an API key, `replyguard apikey add`): the site's own server submitting for a "
    "reader. The answer's status is then the one stored: published, pending or rejected (without a key a rejection "
    "reads pending). A rgk_ key that is not active is a 401; any other Authorization value is ignored.",
    schema=Schema(type=_string),
)


@lru_cache(maxsize=8)
def submit_operation(body_max_chars: int) -> type[Operation]:
    """The submit route's operation, its body schemas stating this service's body limit (one class per limit: the
    schema is generated from the class, so the limit cannot be passed at run time)."""
    submission = _submission_schema(body_max_chars)
    form = _form_schema(submission)

    @dataclass
    class SubmitOperation(Operation):
        def __post_init__(self) -> None:
            # The handler reads this header itself (service/web/payloads.header), so it is described here.
            self.parameters = [*(self.parameters or []), IDEMPOTENCY_KEY, SITE_API_KEY]
            self.request_body = RequestBody(
                required=True,
                content={
                    "application/json": OpenAPIMediaType(schema=submission),
                    "application/x-www-form-urlencoded": OpenAPIMediaType(schema=form),
                },
            )

    return SubmitOperation


# The author's edit token, read by the edit routes themselves (service/web/routes/author_edits.py).
EDIT_TOKEN = Parameter(
    name="Authorization",
    param_in=ParamType.HEADER,
    required=True,
    description="Bearer <edit_token>: the token the submit answer gave for this reply (valid for "
    "REPLYGUARD_EDIT_WINDOW_SECONDS after it was submitted).",
    schema=Schema(type=_string),
)


@lru_cache(maxsize=8)
def edit_operation(body_max_chars: int) -> type[Operation]:
    """The author's edit: the new body under the submission's body rule (REPLYGUARD_BODY_MAX_CHARS), the token in
    Authorization."""
    edit = Schema(
        type=OpenAPIType.OBJECT,
        required=["body"],
        properties={
            "body": Schema(
                type=_string,
                min_length=1,
                max_length=body_max_chars,
                description="The reply's new text: validated, scored and decided again as a fresh submission.",
            )
        },
    )

    @dataclass
    class EditOperation(Operation):
        def __post_init__(self) -> None:
            self.parameters = [*(self.parameters or []), EDIT_TOKEN]
            self.request_body = RequestBody(required=True, content={"application/json": OpenAPIMediaType(schema=edit)})

    return EditOperation


@dataclass
class DeleteOperation(Operation):
    """The author's delete: only the token, in Authorization."""

    def __post_init__(self) -> None:
        self.parameters = [*(self.parameters or []), EDIT_TOKEN]


ARTICLE_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="Absent fields are left as they are. Setting title, url or excerpt (even to null) makes the "
    "article's metadata the operator's: the page's article_title/article_url no longer count.",
    properties={
        "status": Schema(type=_string, enum=list(ARTICLE_STATUSES)),
        "title": Schema(type=[_string, OpenAPIType.NULL], max_length=ARTICLE_TITLE_MAX),
        "url": Schema(type=[_string, OpenAPIType.NULL], max_length=ARTICLE_URL_MAX, description="An http(s) URL."),
        "excerpt": Schema(
            type=[_string, OpenAPIType.NULL],
            max_length=EXCERPT_MAX,
            description="The article's text or its start, for relevance scoring.",
        ),
    },
)


@dataclass
class ArticleOperation(Operation):
    """The handler reads its JSON body itself (service/requests.read_payload), so the body is described here."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True, content={"application/json": OpenAPIMediaType(schema=ARTICLE_SCHEMA)}
        )


DECISION_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["action"],
    properties={
        "action": Schema(type=_string, enum=list(ACTIONS)),
        "reason": Schema(type=[_string, OpenAPIType.NULL], enum=[*REJECT_REASONS, None]),
        "note": Schema(type=[_string, OpenAPIType.NULL], max_length=NOTE_MAX),
        "expected_status": Schema(type=[_string, OpenAPIType.NULL], enum=[*STATUSES, None]),
    },
)


@dataclass
class DecisionOperation(Operation):
    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True, content={"application/json": OpenAPIMediaType(schema=DECISION_SCHEMA)}
        )


REPORT_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["reason"],
    description="A reader's report of a published reply. Nothing of it is shown to readers or the reply's author.",
    properties={
        "reason": Schema(type=_string, enum=list(REPORT_REASONS)),
        "explanation": Schema(
            type=[_string, OpenAPIType.NULL],
            max_length=EXPLANATION_MAX,
            description="Why; required for illegal content (which law or harm).",
        ),
        "contact_email": Schema(
            type=[_string, OpenAPIType.NULL],
            max_length=CONTACT_MAX,
            format=OpenAPIFormat.EMAIL,
            description="Optional, for moderators' questions: never shown in a list, a log, a webhook or an error.",
        ),
    },
)


@dataclass
class ReportOperation(Operation):
    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True, content={"application/json": OpenAPIMediaType(schema=REPORT_SCHEMA)}
        )
        created = (self.responses or {}).get("201")
        if isinstance(created, OpenAPIResponse):
            # A repeated report is answered like the first, with 200: nothing new was stored.
            self.responses = {
                **(self.responses or {}),
                "200": OpenAPIResponse(
                    description="This client reported the reply already: the same answer, nothing stored",
                    content=created.content,
                ),
            }


REPORT_DECISION_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["action"],
    properties={
        "action": Schema(
            type=_string,
            enum=list(REPORT_ACTIONS),
            description="keep: stays published, reports closed as kept; take_down: rejected (reason reader_report); "
            "dismiss: reports closed as unfounded, stays published.",
        ),
        "confirm": Schema(
            type=[_string, OpenAPIType.NULL],
            enum=[*REPORT_REASONS, None],
            description="take_down only: the reports' reason the moderator confirms (a training label for spam or "
            "abuse); unconfirmed reports never become labels.",
        ),
        "note": Schema(type=[_string, OpenAPIType.NULL], max_length=NOTE_MAX),
    },
)


@dataclass
class ReportDecisionOperation(Operation):
    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True, content={"application/json": OpenAPIMediaType(schema=REPORT_DECISION_SCHEMA)}
        )


PRIVACY_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["email"],
    properties={"email": Schema(type=_string, description="The author's email address, as they gave it.")},
)


@dataclass
class PrivacyOperation(Operation):
    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True, content={"application/json": OpenAPIMediaType(schema=PRIVACY_SCHEMA)}
        )


_AKISMET_FIELDS = (
    "api_key",
    "key",
    "blog",
    "user_ip",
    "user_agent",
    "referrer",
    "permalink",
    "comment_type",
    "comment_author",
    "comment_author_email",
    "comment_author_url",
    "comment_content",
    "user_role",
    "is_test",
    "honeypot_field_name",
)
AKISMET_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    properties={name: Schema(type=_string) for name in _AKISMET_FIELDS},
    description="Akismet's form fields (docs/integrations.md); the key as `api_key` (verify-key also takes `key`).",
)


@dataclass
class AkismetOperation(Operation):
    """Akismet's requests are HTML-form encoded; its answers are plain text."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True, content={"application/x-www-form-urlencoded": OpenAPIMediaType(schema=AKISMET_SCHEMA)}
        )


_SCORE = Schema(
    type=OpenAPIType.OBJECT, properties={"value": Schema(type=OpenAPIType.NUMBER), "type": Schema(type=_string)}
)
_COMMENT = Schema(
    type=OpenAPIType.OBJECT,
    required=["text"],
    properties={"text": Schema(type=_string), "type": Schema(type=_string, enum=["PLAIN_TEXT"])},
)
ANALYZE_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["comment", "requestedAttributes"],
    properties={
        "comment": _COMMENT,
        "requestedAttributes": Schema(
            type=OpenAPIType.OBJECT,
            description="TOXICITY, SEVERE_TOXICITY or SPAM, each {scoreType?, scoreThreshold?}; others are refused.",
        ),
        "languages": Schema(type=OpenAPIType.ARRAY, items=Schema(type=_string)),
        "doNotStore": Schema(type=OpenAPIType.BOOLEAN),
        "spanAnnotations": Schema(type=OpenAPIType.BOOLEAN),
        "dropUnsupportedAttributes": Schema(type=OpenAPIType.BOOLEAN),
        "clientToken": Schema(type=_string),
    },
)
SUGGEST_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["comment", "attributeScores"],
    properties={
        "comment": _COMMENT,
        "attributeScores": Schema(
            type=OpenAPIType.OBJECT,
            description="Attribute name -> {summaryScore: {value}} (or spanScores): the score the comment should get.",
            additional_properties=Schema(type=OpenAPIType.OBJECT, properties={"summaryScore": _SCORE}),
        ),
        "languages": Schema(type=OpenAPIType.ARRAY, items=Schema(type=_string)),
        "doNotStore": Schema(type=OpenAPIType.BOOLEAN),
        "clientToken": Schema(type=_string),
    },
)


@dataclass
class AnalyzeOperation(Operation):
    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True, content={"application/json": OpenAPIMediaType(schema=ANALYZE_SCHEMA)}
        )


@dataclass
class SuggestOperation(Operation):
    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True, content={"application/json": OpenAPIMediaType(schema=SUGGEST_SCHEMA)}
        )


_CORAL_FLAG = Schema(
    type=OpenAPIType.OBJECT,
    required=["actionType", "reason"],
    properties={
        "actionType": Schema(type=_string, enum=["FLAG"]),
        "reason": Schema(type=_string, enum=["COMMENT_DETECTED_SPAM", "COMMENT_DETECTED_TOXIC"]),
        "additionalDetails": Schema(type=_string, description="Our reasons; current Coral releases ignore it."),
    },
)
CORAL_REQUEST_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["action", "comment"],
    description="Coral's ExternalModerationRequest (external.ts), signed: X-Coral-Signature: sha256=<HMAC-SHA256 of "
    "the body bytes under the phase's signing secret>[,sha256=... for each active secret].",
    properties={
        "action": Schema(type=_string, enum=["NEW", "EDIT"]),
        "comment": Schema(
            type=OpenAPIType.OBJECT,
            required=["body"],
            properties={
                "body": Schema(type=_string, description="Plain text or HTML, as the phase's format says."),
                "parentID": Schema(type=[_string, OpenAPIType.NULL]),
            },
        ),
        "author": Schema(
            type=OpenAPIType.OBJECT, properties={"id": Schema(type=_string), "role": Schema(type=_string)}
        ),
        "story": Schema(type=OpenAPIType.OBJECT, properties={"id": Schema(type=_string), "url": Schema(type=_string)}),
        "site": Schema(type=OpenAPIType.OBJECT, properties={"id": Schema(type=_string)}),
        "tenantID": Schema(type=_string),
        "tenantDomain": Schema(type=_string),
    },
)
CORAL_RESPONSE_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="Coral's ExternalModerationResponse. A reply replyguard would publish gets 204 and no body instead.",
    properties={
        "status": Schema(type=_string, enum=["REJECTED", "SYSTEM_WITHHELD"]),
        "actions": Schema(type=OpenAPIType.ARRAY, items=_CORAL_FLAG),
        "metadata": Schema(
            type=OpenAPIType.OBJECT,
            description="{replyguard: {spam_score, abuse_score, model_version, reasons}}; current Coral ignores it.",
        ),
    },
)
CORAL_SIGNATURE = Parameter(
    name="X-Coral-Signature",
    param_in=ParamType.HEADER,
    required=True,
    schema=Schema(type=_string, description="sha256=<hex>[,sha256=<hex>...]"),
)


@dataclass
class CoralOperation(Operation):
    """The body is read as bytes (its signature covers them exactly), so its schema is described here."""

    def __post_init__(self) -> None:
        self.parameters = [*(self.parameters or []), CORAL_SIGNATURE]
        self.request_body = RequestBody(
            required=True, content={"application/json": OpenAPIMediaType(schema=CORAL_REQUEST_SCHEMA)}
        )
        self.responses = {
            **(self.responses or {}),
            "200": OpenAPIResponse(
                description="Hold or reject, in Coral's words",
                content={"application/json": OpenAPIMediaType(schema=CORAL_RESPONSE_SCHEMA)},
            ),
            "204": OpenAPIResponse(description="Publish: Coral is told nothing and its own default status applies"),
        }


def json_body_operation(schema: Schema) -> type[Operation]:
    """An operation whose handler reads its JSON body itself (service/web/payloads.read_payload), described here."""

    @dataclass
    class JsonBodyOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                required=True, content={"application/json": OpenAPIMediaType(schema=schema)}
            )

    return JsonBodyOperation


_NOTE = Schema(type=[_string, OpenAPIType.NULL], max_length=RULE_NOTE_MAX)
_EXPIRES = Schema(
    type=[_string, OpenAPIType.NULL],
    format=OpenAPIFormat.DATE_TIME,
    description="When it stops applying: an ISO 8601 time with its offset, in the future; null: until removed.",
)
WEBHOOK_ENDPOINT_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["url"],
    description="A webhook endpoint (docs/notifications.md). PUT replaces every field but the secret.",
    properties={
        "url": Schema(
            type=_string,
            min_length=1,
            max_length=WEBHOOK_URL_MAX,
            format=OpenAPIFormat.URI,
            description="http or https; refused when it resolves to a private, loopback or link-local address that "
            "REPLYGUARD_WEBHOOK_PRIVATE_NETWORKS does not allow.",
        ),
        "description": Schema(type=[_string, OpenAPIType.NULL], max_length=WEBHOOK_DESCRIPTION_MAX),
        "events": Schema(
            type=OpenAPIType.ARRAY,
            min_items=1,
            items=Schema(type=_string, enum=list(WEBHOOK_EVENTS)),
            description="The events sent to it; all of them when left out.",
        ),
        "include_email": Schema(
            type=OpenAPIType.BOOLEAN, description="Grant it the authors' email addresses (false by default)."
        ),
        "enabled": Schema(
            type=OpenAPIType.BOOLEAN, description="A disabled endpoint's messages wait (true by default)."
        ),
    },
)
ENTRY_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["value"],
    description="A list entry. An entry with the same key (the normalised value) is replaced.",
    properties={
        "value": Schema(
            type=_string,
            min_length=1,
            max_length=RULE_VALUE_MAX,
            description="An email address, a domain (covers its subdomains) or a phrase (whole words, matched on the "
            "text as the model reads it).",
        ),
        "action": Schema(
            type=[_string, OpenAPIType.NULL],
            enum=[*LINK_ACTIONS, None],
            description="blocked_link_domains only: hold (default) or reject.",
        ),
        "note": _NOTE,
        "expires_at": _EXPIRES,
    },
)
MODE_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["mode"],
    properties={
        "mode": Schema(
            type=[_string, OpenAPIType.NULL],
            enum=[*MODES, None],
            description="An article's mode may be null: the site's mode applies again.",
        ),
        "note": _NOTE,
    },
)
SETTING_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["value"],
    properties={
        "value": Schema(
            type=_string,
            description="uncovered_language: hold (a reply in a language the active model does not cover waits for "
            "a person, reason language_not_covered; the default) or publish (judged by the model as any other).",
        ),
        "note": _NOTE,
    },
)
_SANCTION_FIELDS: dict[str, Schema | Reference] = {
    "kind": Schema(type=_string, enum=list(SANCTIONS)),
    "note": _NOTE,
    "expires_at": Schema(
        type=[_string, OpenAPIType.NULL],
        format=OpenAPIFormat.DATE_TIME,
        description="When it ends (required for a suspension): an ISO 8601 time with its offset, in the future.",
    ),
}
SANCTION_SCHEMA = Schema(type=OpenAPIType.OBJECT, required=["kind"], properties=_SANCTION_FIELDS)
AUTHOR_SANCTION_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["email", "kind"],
    properties={
        "email": Schema(type=_string, description="The author's address, as they gave it."),
        **_SANCTION_FIELDS,
    },
)
LIFT_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["email"],
    properties={"email": Schema(type=_string, description="The author's address, as they gave it.")},
)
