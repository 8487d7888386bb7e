"""Protocols other comment systems already speak (Akismet, Perspective), answered by replyguard's own model."""
