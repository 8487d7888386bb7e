"""Tests of service/rules/: the pure rules."""
