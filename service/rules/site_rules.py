"""The site's own rules as one in-memory snapshot: premoderation modes, lists (blocked addresses, phrases, link
domains) and sanctions of authors; what they say about one reply. Pure: no I/O; the clock is an argument."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from classifier.normalise import normalise_text
from service.rules.policy import Reason, RuleHits

MODES = ("model", "first-reply-held", "all-held", "closed")
DEFAULT_MODE = "model"
SITE = "*"  # the scope of the site's own mode; article ids cannot contain "*"
LISTS = (
    "blocked_emails",
    "blocked_email_domains",
    "banned_phrases",
    "suspect_phrases",
    "blocked_link_domains",
    "allowed_link_domains",
)
LINK_ACTIONS = ("hold", "reject")  # what a blocked link domain does
SANCTIONS = ("ban", "shadow_ban", "suspension")
# The site's settings: name -> its choices, the first the default. `uncovered_language`: what happens to a reply in a
# language the active model does not cover (rules/policy.decide): it waits for a person, or is judged as any other.
SETTINGS: dict[str, tuple[str, ...]] = {"uncovered_language": ("hold", "publish")}

_WORDS = re.compile(r"\w+")
_LINK = re.compile(r"(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)


def phrase_words(phrase: str) -> tuple[str, ...]:
    """A phrase as the words the model reads: normalised (look-alikes, leetspeak, spacing, case) and split."""
    return tuple(_WORDS.findall(normalise_text(phrase)))


def email_key(email: str) -> str:
    """What blocks and sanctions match an address on: the address as the validator normalised it, case-folded (so
    `Ana@Example.org` and `ana@example.org` are one author to a ban)."""
    return email.casefold()


def link_hosts(text: str) -> list[str]:
    """The host of each link in `text`, lower-case, without a leading `www.` ("" for a link with no readable host)."""
    hosts = []
    for link in _LINK.findall(text):
        address = link if "://" in link else f"http://{link}"
        try:
            host = urlsplit(address).hostname or ""
        except ValueError:
            host = ""
        hosts.append(host.removeprefix("www.").rstrip("."))
    return hosts


def _domain_and_parents(host: str) -> list[str]:
    """`a.b.example.org` -> [a.b.example.org, b.example.org, example.org, org]: a domain entry covers subdomains."""
    parts = host.split(".")
    return [".".join(parts[i:]) for i in range(len(parts))]


class PhraseIndex:
    """Whole-word phrases found in one pass over a text's words. Each phrase is a tuple of words in one dictionary,
    and each first word knows the lengths of the phrases it starts: a word of the text costs one lookup, plus one per
    distinct length (a handful), however many phrases the list holds or share that first word."""

    def __init__(self, keys: Iterable[str]) -> None:
        self._phrases: dict[tuple[str, ...], str] = {}
        lengths: dict[str, set[int]] = {}
        for key in keys:
            if key:
                words = tuple(key.split(" "))
                self._phrases[words] = key
                lengths.setdefault(words[0], set()).add(len(words))
        self._lengths = {word: tuple(sorted(found)) for word, found in lengths.items()}

    def __bool__(self) -> bool:
        return bool(self._phrases)

    def find(self, words: list[str]) -> list[str]:
        """The keys (phrase_key) of the phrases that occur in `words`, each once, in order of appearance."""
        found: dict[str, None] = {}
        lengths_of, phrases = self._lengths, self._phrases
        for start, word in enumerate(words):
            lengths = lengths_of.get(word)
            if lengths is None:
                continue
            for length in lengths:
                key = phrases.get(tuple(words[start : start + length]))
                if key is not None:
                    found[key] = None
        return list(found)


@dataclass(frozen=True, slots=True)
class Entry:
    """One list entry; `expires_at` None lasts until removed."""

    value: str
    action: str | None = None  # blocked_link_domains only: "hold" or "reject"
    expires_at: datetime | None = None

    def live(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


@dataclass(frozen=True, slots=True)
class Sanction:
    kind: str  # "ban" | "shadow_ban" | "suspension"
    expires_at: datetime | None = None  # required for a suspension: it ends by itself

    def live(self, now: datetime) -> bool:
        return self.expires_at is None or self.expires_at > now


_SANCTION_REASONS = {
    "ban": Reason(code="author_banned", message="the author is banned"),
    "shadow_ban": Reason(code="author_shadow_banned", message="the author is shadow-banned"),
    "suspension": Reason(code="author_suspended", message="the author is suspended"),
}


class RuleSet:
    """One generation of the site's rules, built once per change and shared by every submission until the next."""

    def __init__(
        self,
        *,
        generation: int = 0,
        modes: Mapping[str, str] | None = None,
        entries: Mapping[str, Mapping[str, Entry]] | None = None,
        sanctions: Mapping[str, Sanction] | None = None,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        self.generation = generation
        self.settings: Mapping[str, str] = settings or {}  # name -> value, for those not at their default
        self.modes: Mapping[str, str] = modes or {}  # SITE or an article id -> mode
        self.entries: Mapping[str, Mapping[str, Entry]] = entries or {}  # list -> entry_key -> entry
        self.sanctions: Mapping[str, Sanction] = sanctions or {}  # email_key -> sanction
        self._banned = PhraseIndex(self.entries.get("banned_phrases", {}))
        self._suspect = PhraseIndex(self.entries.get("suspect_phrases", {}))

    def mode_for(self, article_id: str) -> str:
        """The article's own mode, else the site's, else `model`."""
        return self.modes.get(article_id) or self.modes.get(SITE) or DEFAULT_MODE

    def setting(self, name: str) -> str:
        """The site's value of setting `name` (one of SETTINGS), its default when none was set or the stored one is
        no longer a choice."""
        value = self.settings.get(name)
        choices = SETTINGS[name]
        return value if value in choices else choices[0]

    def _entry(self, name: str, key: str, now: datetime) -> Entry | None:
        entry = self.entries.get(name, {}).get(key)
        return entry if entry is not None and entry.live(now) else None

    def _domain_entry(self, name: str, host: str, now: datetime) -> Entry | None:
        listed = self.entries.get(name)
        if not listed or not host:
            return None
        for domain in _domain_and_parents(host):
            entry = listed.get(domain)
            if entry is not None and entry.live(now):
                return entry
        return None

    def sanction_of(self, email: str, now: datetime) -> Sanction | None:
        sanction = self.sanctions.get(email_key(email))
        return sanction if sanction is not None and sanction.live(now) else None

    def evaluate(
        self, *, body: str, email: str, website: str | None, own_hosts: Iterable[str], now: datetime
    ) -> RuleHits:
        """What the lists and sanctions say about a reply. `own_hosts` are the site's hosts (their links never
        count toward the link limit). Phrases match whole words of the text the model reads."""
        rejects: list[Reason] = []
        holds: list[Reason] = []
        sanction = self.sanction_of(email, now)
        if sanction is not None:
            rejects.append(_SANCTION_REASONS[sanction.kind])
        key = email_key(email)
        if self._entry("blocked_emails", key, now) is not None:
            rejects.append(Reason(code="email_blocked", message="the email address is on the blocked list"))
        domain = key.rpartition("@")[2]
        if self._domain_entry("blocked_email_domains", domain, now) is not None:
            rejects.append(Reason(code="email_domain_blocked", message="the email's domain is on the blocked list"))
        if self._banned or self._suspect:
            words = _WORDS.findall(normalise_text(body))
            for phrase in self._live_phrases("banned_phrases", self._banned.find(words), now):
                rejects.append(Reason(code="banned_phrase", message=f"banned phrase '{phrase}'"))
            for phrase in self._live_phrases("suspect_phrases", self._suspect.find(words), now):
                holds.append(Reason(code="suspect_phrase", message=f"suspect phrase '{phrase}'"))
        hosts = link_hosts(body)
        own = {host.removeprefix("www.") for host in own_hosts if host}
        counted = 0
        blocked_seen: set[str] = set()
        for host in [*hosts, *link_hosts(website or "")]:
            entry = self._domain_entry("blocked_link_domains", host, now)
            if entry is not None and host not in blocked_seen:
                blocked_seen.add(host)
                reason = Reason(code="link_domain_blocked", message=f"a link to {host}, a blocked domain")
                (rejects if entry.action == "reject" else holds).append(reason)
        for host in hosts:
            if any(host == o or host.endswith(f".{o}") for o in own):
                continue
            if self._domain_entry("allowed_link_domains", host, now) is None:
                counted += 1
        return RuleHits(rejects=tuple(rejects), holds=tuple(holds), counted_links=counted)

    def _live_phrases(self, name: str, keys: list[str], now: datetime) -> list[str]:
        """The phrases as entered, of the keys found, whose entries have not expired."""
        listed = self.entries.get(name, {})
        return [entry.value for key in keys if (entry := listed.get(key)) is not None and entry.live(now)]


def phrase_key(phrase: str) -> str:
    """How a phrase is stored and looked up: its normalised words joined by one space."""
    return " ".join(phrase_words(phrase))


VALUE_MAX = 200  # characters of a list entry as entered
NOTE_MAX = 500
_DOMAIN = re.compile(r"(?=.{1,253}$)[^\W_](?:[\w-]{0,61}[^\W_])?(?:\.[^\W_](?:[\w-]{0,61}[^\W_])?)*")


def domain_key(value: str, *, drop_www: bool) -> str | None:
    """A domain as entries store it (lower-case, no trailing dot, for link domains no `www.`); None if not one."""
    domain = value.strip().casefold().rstrip(".")
    if drop_www:
        domain = domain.removeprefix("www.")
    return domain if _DOMAIN.fullmatch(domain) else None


def entry_key(list_name: str, value: str, *, email: str | None = None) -> tuple[str | None, str]:
    """(the key `value` is stored and matched under, or None when it is not a valid entry of that list; why not).

    `email` is the validator's normalised form of `value` for the email list (rules/validation.py checks it)."""
    if list_name == "blocked_emails":
        return (email_key(email), "") if email is not None else (None, "must be a valid email address")
    if list_name in ("banned_phrases", "suspect_phrases"):
        phrase = phrase_key(value)
        return (phrase, "") if phrase else (None, "must contain at least one word")
    domain = domain_key(value, drop_www=list_name != "blocked_email_domains")
    return (domain, "") if domain else (None, "must be a domain name such as example.org")
