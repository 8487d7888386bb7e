"""Abuse controls beside the model: rate limits per client and email, spam runs across senders."""
