"""The moderator console: server-rendered pages over the same use cases as the moderation API."""
