"""Tests of service/web/: HTTP plumbing, the embed and the console."""
