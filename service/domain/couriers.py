"""The delivery worker's configuration from the settings: which sender delivers each channel, and how often and how
long it tries."""

from __future__ import annotations

from datetime import timedelta

from service.domain.delivery import DeliveryOptions, Sender
from service.domain.email_sender import EmailSender
from service.domain.emails import MailPolicy
from service.domain.webhook_sender import TargetPolicy, WebhookSender
from service.settings import Settings
from service.storage.database import Database


def delivery_options(settings: Settings) -> DeliveryOptions:
    return DeliveryOptions(
        max_attempts=settings.delivery_max_attempts,
        backoff_seconds=settings.delivery_backoff_seconds,
        backoff_max_seconds=settings.delivery_backoff_max_seconds,
        lease_seconds=settings.delivery_lease_seconds,
        poll_seconds=settings.delivery_poll_seconds,
    )


def target_policy(settings: Settings) -> TargetPolicy:
    return TargetPolicy.from_setting(settings.webhook_private_networks)


def mail_policy(settings: Settings) -> MailPolicy | None:
    """None unless email is configured: then replies and decisions write no mail at all."""
    if not settings.email_enabled:
        return None
    return MailPolicy(batch_window=timedelta(seconds=settings.email_batch_seconds))


def senders(settings: Settings, db: Database) -> dict[str, Sender]:
    """A sender per channel this service can deliver; messages of any other channel wait in the outbox."""
    chosen: dict[str, Sender] = {
        "webhook": WebhookSender(policy=target_policy(settings), timeout_seconds=settings.webhook_timeout_seconds)
    }
    if settings.email_enabled:
        chosen["email"] = EmailSender(db, settings)
    return chosen
