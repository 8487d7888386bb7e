"""Tests of service/scoring/: the model in the service."""
