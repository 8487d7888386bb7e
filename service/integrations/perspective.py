"""Perspective's AnalyzeComment and SuggestCommentScore, pure: request JSON in, response JSON or PerspectiveError out.

Attributes: replyguard has two heads, spam and abuse, and answers only the attributes they honestly measure.
- TOXICITY: the abuse probability as it is. The abuse head learnt from toxic, hateful and offensive replies, which
  is what TOXICITY means ("rude, disrespectful or unreasonable").
- SEVERE_TOXICITY: the abuse probability squared. Perspective's SEVERE_TOXICITY ignores mild rudeness and scores
  well below TOXICITY except on the clearest cases; squaring keeps the order and both ends (0 and 1) but pulls a
  middling score down (0.5 -> 0.25, 0.9 -> 0.81), so only replies the model is sure of score high. It is a
  stricter reading of the same head, not a separately trained or calibrated probability.
- SPAM: the spam probability (Perspective's experimental SPAM attribute).
INSULT, PROFANITY, THREAT, IDENTITY_ATTACK and the rest are refused with Perspective's error: one abuse head cannot
tell an insult from swearing or a threat, and its score under their names would claim what it does not measure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from classifier import Scores
from service.integrations.feedback import Feedback
from service.integrations.perspective_errors import invalid_argument, unknown_attribute

ATTRIBUTES: dict[str, Callable[[Scores], float]] = {
    "TOXICITY": lambda scores: scores.abuse_score,
    "SEVERE_TOXICITY": lambda scores: scores.abuse_score**2,
    "SPAM": lambda scores: scores.spam_score,
}
SCORED = tuple(ATTRIBUTES)
ABUSE_ATTRIBUTES = ("TOXICITY", "SEVERE_TOXICITY")
MODEL_LANGUAGE = "en"  # the corpora are English; there is no language detection
MAX_TEXT_BYTES = 20 * 1024  # Perspective's limit
MAX_SPANS = 20  # each span is scored on its own: a bound on the time one request holds the event loop
# A sentence runs to its closing punctuation (followed by a space or the end) or to a line break.
_SENTENCE = re.compile(r"\S.*?(?:[.!?]+(?=\s|$)|(?=\n)|$)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class AnalyzeRequest:
    text: str
    thresholds: dict[str, float | None]  # the attributes to answer, each with its scoreThreshold
    languages: list[str]
    span_annotations: bool
    client_token: str | None


@dataclass(frozen=True, slots=True)
class SuggestRequest:
    feedback: Feedback | None  # None: the suggestion teaches neither head (say a low SEVERE_TOXICITY alone)
    do_not_store: bool
    client_token: str | None


def _object(value: Any, name: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise invalid_argument(f"Invalid value at '{name}': expected an object", field_name=name)
    return value


def _typed(payload: dict[str, Any], name: str, kind: type, default: Any) -> Any:
    value = payload.get(name, default)
    if value is None:
        return default
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise invalid_argument(f"Invalid value at '{name}' ({kind.__name__}): {value!r}"[:300], field_name=name)
    return value


def _comment_text(payload: dict[str, Any]) -> str:
    comment = _object(payload.get("comment"), "comment")
    text = comment.get("text")
    kind = comment.get("type", "PLAIN_TEXT")
    if kind not in (None, "PLAIN_TEXT"):
        message = "Currently, only 'PLAIN_TEXT' comments are supported" if kind == "HTML" else "Unknown text type"
        raise invalid_argument(message, field_name="comment.type")
    if not isinstance(text, str) or not text.strip():
        raise invalid_argument("Comment must be non-empty.", error_type="COMMENT_EMPTY", field_name="comment.text")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
        raise invalid_argument("Comment text too long.", error_type="COMMENT_TOO_LONG", field_name="comment.text")
    return text


def _languages(payload: dict[str, Any]) -> list[str]:
    languages = _typed(payload, "languages", list, [])
    if not all(isinstance(language, str) for language in languages):
        raise invalid_argument("Invalid value at 'languages': expected strings", field_name="languages")
    return [str(language) for language in languages]


def _unsupported_languages(languages: list[str]) -> list[str]:
    """The requested languages the model does not read ("en", "en-GB", "EN" are all English)."""
    return [lang for lang in languages if re.split(r"[-_]", lang.strip().lower(), maxsplit=1)[0] != MODEL_LANGUAGE]


def _threshold(name: str, config: dict[str, Any]) -> float | None:
    score_type = config.get("scoreType")
    if score_type not in (None, "", "PROBABILITY"):
        message = f"Requested score type {score_type} is not supported by attribute {name}"
        raise invalid_argument(message, field_name=f"requested_attributes[{name}].score_type")
    threshold = config.get("scoreThreshold")
    if threshold is None:
        return None
    if isinstance(threshold, bool) or not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
        field_name = f"requested_attributes[{name}].score_threshold"
        raise invalid_argument(f"Invalid value at '{field_name}': {threshold!r}"[:300], field_name=field_name)
    return float(threshold)


def parse_analyze(payload: dict[str, Any]) -> AnalyzeRequest:
    text = _comment_text(payload)
    requested = _object(payload.get("requestedAttributes"), "requestedAttributes")
    if not requested:
        raise invalid_argument(
            "Missing requested_attributes", error_type="NO_REQUESTED_ATTRIBUTES", field_name="requested_attributes"
        )
    drop = _typed(payload, "dropUnsupportedAttributes", bool, False)
    languages = _languages(payload)
    thresholds: dict[str, float | None] = {}
    for name, config in requested.items():
        if name not in ATTRIBUTES:
            if drop:
                continue
            raise unknown_attribute(name, scored=SCORED, field_prefix="requested_attributes")
        thresholds[name] = _threshold(name, _object(config, f"requestedAttributes.{name}"))
    foreign = _unsupported_languages(languages)
    if foreign and thresholds:
        if drop:
            thresholds = {}
        else:
            first = next(iter(thresholds))
            raise invalid_argument(
                f"Attribute {first} does not support request languages: {', '.join(foreign)}",
                error_type="LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE",
                languageNotSupportedByAttributeError={"attribute": first, "requestedLanguages": languages},
            )
    client_token = _typed(payload, "clientToken", str, None)
    # doNotStore is read for its type only: analyze never stores anything, whatever it says.
    _typed(payload, "doNotStore", bool, False)
    span_annotations = _typed(payload, "spanAnnotations", bool, False)
    return AnalyzeRequest(text, thresholds, languages, span_annotations, client_token)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans [begin, end) in code points, as Perspective returns them; the last absorbs any past MAX_SPANS."""
    spans = [(match.start(), match.end()) for match in _SENTENCE.finditer(text) if match.group().strip()]
    if len(spans) > MAX_SPANS:
        spans = [*spans[: MAX_SPANS - 1], (spans[MAX_SPANS - 1][0], spans[-1][1])]
    return spans or [(0, len(text))]


def _score(value: float) -> dict[str, Any]:
    return {"value": round(value, 8), "type": "PROBABILITY"}


def analyze_response(request: AnalyzeRequest, summary: Scores, spans: list[tuple[int, int, Scores]]) -> dict[str, Any]:
    scores: dict[str, Any] = {}
    for name, threshold in request.thresholds.items():
        value = ATTRIBUTES[name](summary)
        if threshold is not None and value < threshold:
            continue  # "The API won't return scores that are below this threshold"
        entry: dict[str, Any] = {"summaryScore": _score(value)}
        if request.span_annotations:
            entry["spanScores"] = [
                {"begin": begin, "end": end, "score": _score(ATTRIBUTES[name](span))} for begin, end, span in spans
            ]
        scores[name] = entry
    body: dict[str, Any] = {
        "attributeScores": scores,
        "languages": request.languages or [MODEL_LANGUAGE],
        "detectedLanguages": [MODEL_LANGUAGE],
    }
    if request.client_token is not None:
        body["clientToken"] = request.client_token
    return body


def _suggested_value(name: str, scored: dict[str, Any]) -> float:
    """The summary score, or the highest span score when only spans were suggested (a toxic span makes a toxic
    comment)."""
    values = [_object(scored.get("summaryScore"), f"attributeScores.{name}.summaryScore").get("value")]
    if values[0] is None:
        spans = _typed(scored, "spanScores", list, [])
        values = [_object(_object(span, "spanScores").get("score"), "score").get("value") for span in spans]
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)]
    if not numbers or len(numbers) != len(values) or not all(0 <= v <= 1 for v in numbers):
        field_name = f"attribute_scores[{name}].summary_score.value"
        raise invalid_argument(f"Invalid value at '{field_name}': a score in [0, 1] is required", field_name=field_name)
    return float(max(numbers))


def parse_suggest(payload: dict[str, Any]) -> SuggestRequest:
    """What a suggested score teaches: a score of 0.5 or more on any abuse attribute is abuse; TOXICITY below 0.5 is
    not abuse (a low SEVERE_TOXICITY alone says nothing: the reply may still be rude); SPAM likewise for spam."""
    text = _comment_text(payload)
    suggested = _object(payload.get("attributeScores"), "attributeScores")
    if not suggested:
        raise invalid_argument("attribute_scores must not be empty", field_name="attribute_scores")
    values: dict[str, float] = {}
    for name, scored in suggested.items():
        if name not in ATTRIBUTES:
            raise unknown_attribute(name, scored=SCORED, field_prefix="attribute_scores")
        values[name] = _suggested_value(name, _object(scored, f"attributeScores.{name}"))
    abuse: int | None = None
    if any(values.get(name, 0.0) >= 0.5 for name in ABUSE_ATTRIBUTES):
        abuse = 1
    elif "TOXICITY" in values:
        abuse = 0
    spam = None if "SPAM" not in values else int(values["SPAM"] >= 0.5)
    _languages(payload)
    feedback = None if spam is None and abuse is None else Feedback("perspective", text, spam=spam, abuse=abuse)
    return SuggestRequest(
        feedback=feedback,
        do_not_store=_typed(payload, "doNotStore", bool, False),
        client_token=_typed(payload, "clientToken", str, None),
    )


def suggest_response(request: SuggestRequest) -> dict[str, Any]:
    return {} if request.client_token is None else {"clientToken": request.client_token}
