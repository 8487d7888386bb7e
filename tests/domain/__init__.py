"""Tests of service/domain/: use cases."""
