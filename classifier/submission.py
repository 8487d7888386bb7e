"""The submission: what the classifier is allowed to see of a reply."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Submission:
    """One reply as the service hands it over.

    `email_domain` carries the domain part only: the classifier never needs, and must never see, the full
    address. `has_parent` is accepted for future use; no training corpus labels threads, so the current
    models ignore it.
    """

    body: str
    name: str = ""
    website: str | None = None
    email_domain: str | None = None
    has_parent: bool = False

    def __reduce__(self) -> tuple[type[Submission], tuple[str, str, str | None, str | None, bool]]:
        # Pickled by the constructor's arguments: the default for frozen slots dataclasses calls fields() per
        # object, a measurable cost when batches go to the service's scoring process.
        return Submission, (self.body, self.name, self.website, self.email_domain, self.has_parent)


def email_domain(address: str | None) -> str | None:
    """What the model may see of an email address: the part after its last "@", trimmed and lower-cased; None for
    no address or one without "@". The service, the Akismet API and `replyguard score` all take it from here."""
    if address is None or "@" not in address:
        return None
    return address.rpartition("@")[2].strip().lower()
