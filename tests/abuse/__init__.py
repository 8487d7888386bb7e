"""Tests of service/abuse/: abuse controls."""
