"""replyguard's web service: the reply form's backend, the moderators' API and the readers' API."""

__version__ = "0.1.0"
