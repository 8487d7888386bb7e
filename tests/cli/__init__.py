"""Tests of service/cli/: the replyguard command."""
