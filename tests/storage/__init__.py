"""Tests of service/storage/: storage."""
